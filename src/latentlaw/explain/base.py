"""What every explainer shares: pick the points, fit the searcher, keep the front."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sympy
import torch

from latentlaw.explain.gradients import normalize_rows
from latentlaw.symbolic.export_sympy import as_sympy

log = logging.getLogger(__name__)


@dataclass
class NeuronExplanation:
    """One neuron's search result; ``expression`` is the automatically selected one."""

    neuron: int
    explainer: str
    front: pd.DataFrame
    selected_index: int
    expression: sympy.Expr
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    interrupted: bool = False
    ray_node: str | None = None  # the Ray node that ran the search (parallel.backend=ray), else None
    n_concepts: int = 1  # laws in the selected row (explainer.n_concepts, or what "auto" chose)
    concept_losses: dict[int, float] = field(default_factory=dict)  # k -> span loss, for each k "auto" tried


class Explainer:
    """Subclasses say what the searcher fits (``targets``) and how to read the result back."""

    name = "explainer"
    objective = "gradient"

    def __init__(self, n_samples: int = 1000, layer: str | None = None) -> None:
        if int(n_samples) < 10:
            raise ValueError(f"explainer.n_samples must be >= 10 points, got {n_samples}.")
        self.n_samples = int(n_samples)
        self.layer = layer

    def targets(self, model: torch.nn.Module, X: np.ndarray, neuron: int) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def to_neuron_units(self, expression: sympy.Expr) -> sympy.Expr:
        """Map the searcher's expression back to the neuron's own scale (identity by default)."""
        return expression

    def restrict(self, targets: dict[str, np.ndarray], X: np.ndarray, inputs: list[int]) -> dict[str, np.ndarray]:
        """The targets of a search that sees only the columns ``inputs`` of X (a preselection):
        gradients keep those columns (renormalised), a tangent projector is recomputed for them,
        values stay as they are (the neuron is still computed from every input)."""
        from latentlaw.symbolic.dataset import tangent_projector

        out = dict(targets)
        if "gradients" in out:
            out["gradients"] = normalize_rows(out["gradients"][:, inputs])
        if "projector" in out:
            projector = tangent_projector(X[:, inputs])
            if projector is None:
                out.pop("projector")
            else:
                out["projector"] = projector
        return out

    def explain(self, model: torch.nn.Module, X: np.ndarray, variables: list[str], neuron: int,
                searcher: Any, inputs: list[int] | None = None) -> NeuronExplanation:
        """Fit ``searcher`` (an unfitted SymbolicSearch) to this neuron on the first n_samples points;
        with ``inputs`` (column indices) the search sees only those columns, under their own names."""
        X = np.asarray(X[: self.n_samples], dtype=np.float64)
        fit_kwargs = self.targets(model, X, neuron)
        if inputs is not None:
            fit_kwargs = self.restrict(fit_kwargs, X, inputs)
            X, variables = X[:, inputs], [variables[i] for i in inputs]
        backend = getattr(searcher, "backend", "native")
        if "projector" in fit_kwargs and backend != "native":
            # Other engines cannot project a candidate's gradient: give them at least the targets'
            # tangent-space part, which drops the network's arbitrary off-subspace component.
            projector = fit_kwargs.pop("projector")
            fit_kwargs["gradients"] = normalize_rows(fit_kwargs["gradients"] @ projector)
            log.warning("the inputs vary only in a subspace; the %s backend compares whole gradients, so it is "
                        "given the targets projected onto that subspace and may still miss the law there "
                        "(searcher=native projects the candidates too).", backend)
        started = time.perf_counter()
        interrupted = False
        try:
            searcher.fit(X, variable_names=list(variables), **fit_kwargs)
        except KeyboardInterrupt:
            if getattr(searcher, "pareto_front_", None) is None:
                raise
            interrupted = True
        # The native engine catches Ctrl-C itself, keeps its front and says so in stop_reason_.
        interrupted = interrupted or getattr(searcher, "stop_reason_", "") == "interrupted"
        front = searcher.pareto_front_.copy()
        index = int(searcher.best_index_)
        front["sympy"] = [self.to_neuron_units(as_sympy(e, variables)) for e in front["sympy"]]  # no text is run
        return NeuronExplanation(
            neuron=neuron,
            explainer=self.name,
            front=front,
            selected_index=index,
            expression=front["sympy"].iloc[index],
            seconds=time.perf_counter() - started,
            settings=dict(searcher.get_params()) if hasattr(searcher, "get_params") else {},
            interrupted=interrupted,
            n_concepts=int(getattr(searcher, "n_concepts_", 1)),
            concept_losses={int(k): float(v) for k, v in getattr(searcher, "concept_losses_", {}).items()},
        )
