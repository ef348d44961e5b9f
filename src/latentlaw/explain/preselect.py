"""Which inputs a latent's search sees: those carrying most of its gradient energy.

An autoencoder latent over 54 or 384 inputs depends a little on nearly all of them; a search over
all of them spends its time on inputs that barely matter and returns sums of them at the
complexity cap. Ranking inputs by the latent's mean squared input gradient on held-out rows and
keeping the top share (or the top k) gives each search a handful of variables that carry the
latent, so its expression can be short and still fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from latentlaw.explain.gradients import neuron_values_and_gradients

WEIGHTS = ("none", "variance")


@dataclass
class Preselection:
    """The inputs one latent's search runs on, most energetic first, with their energy shares."""

    neuron: int
    inputs: list[int]  # column indices into the variables
    variables: list[str]
    shares: list[float]  # each kept input's share of the latent's total energy
    kept_share: float  # their sum
    weight: str  # "none": mean (dz/dx_j)^2; "variance": times Var(x_j)
    n_inputs: int  # how many inputs the model has

    def as_record(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PreselectSettings:
    """``energy``: keep the fewest inputs whose shares add up to this; ``max_inputs``: at most this
    many; ``weight``: see WEIGHTS; ``min_width``: only models with more inputs than this."""

    energy: float | None = 0.95
    max_inputs: int | None = 12
    weight: str = "variance"
    min_width: int = 16
    seed_linear: bool = True  # start the search from the nested linear sums of the kept inputs

    @classmethod
    def from_config(cls, cfg: Any) -> PreselectSettings | None:
        """None when preselection is off (``preselect=null``, or both cuts null)."""
        if cfg is None:
            return None
        values = dict(cfg)
        unknown = sorted(set(values) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"preselect has no setting(s) {unknown}; known: {sorted(cls.__dataclass_fields__)}.")
        settings = cls(**values)
        settings.check()
        if settings.energy is None and settings.max_inputs is None:
            return None
        return settings

    def check(self) -> None:
        if self.energy is not None and not 0.0 < float(self.energy) <= 1.0:
            raise ValueError(f"preselect.energy must be a share in (0, 1], e.g. 0.95, or null; got {self.energy}.")
        if self.max_inputs is not None and int(self.max_inputs) < 1:
            raise ValueError(f"preselect.max_inputs must be >= 1 or null; got {self.max_inputs}.")
        if self.weight not in WEIGHTS:
            raise ValueError(f"preselect.weight must be one of {list(WEIGHTS)}; got {self.weight!r}.")
        if int(self.min_width) < 0:
            raise ValueError(f"preselect.min_width must be >= 0; got {self.min_width}.")


def gradient_energy(model: torch.nn.Module, X: np.ndarray, neuron: int, layer: str | None = None,
                    weight: str = "variance") -> np.ndarray:
    """Per input j: mean over rows of (dz/dx_j)^2, times Var(x_j) with ``weight="variance"``.

    The variance weight turns the energy into each input's first-order share of the latent's
    variance: a one-hot column that is 1 in 2% of the rows moves the latent far less than its
    gradient says, and unweighted it would crowd out the continuous columns.
    """
    _, grads = neuron_values_and_gradients(model, X, neuron, layer)
    energy = np.mean(grads**2, axis=0)
    if weight == "variance":
        energy = energy * np.var(X, axis=0)
    return energy


def choose_inputs(energy: np.ndarray, share: float | None, max_inputs: int | None) -> list[int]:
    """The fewest most-energetic inputs reaching ``share`` of the total, capped at ``max_inputs``
    (ties broken by column order, so the choice is reproducible); all inputs if the energy is 0."""
    order = np.argsort(-energy, kind="stable")
    total = float(energy.sum())
    count = len(order)
    if share is not None and total > 0:
        cumulative = np.cumsum(energy[order]) / total
        count = int(np.searchsorted(cumulative, float(share) - 1e-12) + 1)
    if max_inputs is not None:
        count = min(count, int(max_inputs))
    return [int(i) for i in order[:max(count, 1)]]


def preselect(model: torch.nn.Module, X: np.ndarray, variables: list[str], neuron: int,
              settings: PreselectSettings, layer: str | None = None) -> Preselection:
    """One latent's preselection on the held-out rows ``X``."""
    energy = gradient_energy(model, X, neuron, layer, settings.weight)
    inputs = choose_inputs(energy, settings.energy, settings.max_inputs)
    total = float(energy.sum())
    shares = [float(energy[i] / total) if total > 0 else 0.0 for i in inputs]
    return Preselection(neuron=neuron, inputs=inputs, variables=[variables[i] for i in inputs], shares=shares,
                        kept_share=float(sum(shares)), weight=settings.weight, n_inputs=len(variables))


def linear_seeds(variables: list[str], path: str | Path) -> str:
    """Write the nested sums x1, x1 + x2, ..., of the kept inputs (most energetic first) as a
    front CSV for the searcher's ``resume_from``, and return its path.

    The engine re-solves every seed's outer coefficients, so these are forward-stepwise least
    squares in energy order. An autoencoder latent is close to linear in many inputs; a search
    started from random trees spends its whole time budget rediscovering that sum, one started
    here spends it on what the sum misses.
    """
    from latentlaw.symbolic.checkpoint import write_front

    rows = [{"complexity": 2 * k - 1, "loss": float("nan"), "equation": " + ".join(variables[:k])}
            for k in range(1, len(variables) + 1)]
    write_front(path, rows)
    return str(path)
