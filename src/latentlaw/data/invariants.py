"""The 12 invariant datasets of the symbolic-gradients paper, by name.

Each ``Invariant`` knows its input names, its ground-truth invariant(s) as sympy strings over those
names, and a vectorised sampler ``(n, rng) -> Triplets``; ``make_invariant_dataset`` builds seeded
train/val/test splits from it. Everything is computed in float64 and handed out as float32.

Summary of the choices that keep values bounded and invariants exact (details in each module):

- similarity positives (matrices.py): M has the paper's U[0,1] entries but condition number
  <= 20 (rejection sampling), so |M A M^-1| entries stay below 20 ||A||_2 instead of reaching 1e4+;
- Lorentz positives (relativity.py): boost speed U[0, 0.9], so gamma <= 2.29 instead of hundreds;
- dynamics (dynamics.py): adaptive Dormand-Prince over all trajectories at once, closed forms for
  the harmonic oscillator and Kepler; every pair must conserve its invariants within 1e-8, and
  Kepler points within 0.02 of the centre are dropped (speeds stay below ~10).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral
from typing import Callable

import numpy as np

from latentlaw.data import dynamics, matrices, relativity
from latentlaw.data.base import DataError, TripletDataset, Triplets
from latentlaw.data.truth import evaluate_expression, parse_expression

Sampler = Callable[[int, np.random.Generator], Triplets]


@dataclass(frozen=True)
class Invariant:
    """One dataset of the paper: inputs, known invariant(s), and how to draw triplets."""

    name: str
    paper_id: int
    variables: tuple[str, ...]
    ground_truth: tuple[str, ...]
    description: str
    sample: Sampler

    def expressions(self) -> list:
        """The ground truth as sympy expressions over exactly ``variables``."""
        return [parse_expression(g, list(self.variables)) for g in self.ground_truth]

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        """Ground-truth values at the rows of x (n, d), in float64: shape (n, len(ground_truth))."""
        return np.stack([evaluate_expression(g, list(self.variables), x) for g in self.ground_truth], axis=1)


_M2, _M3, _M4 = (tuple(matrices.matrix_names(d)) for d in (2, 3, 4))
_XV = ("x", "v")

_ENTRIES = [
    Invariant("trace_2x2", 1, _M2, ("A11 + A22",),
              "2x2 matrices with U[0,1] entries under similarity M A M^-1: the trace is invariant.",
              matrices.sample_trace_2x2),
    Invariant("det_2x2", 2, _M2, ("A11*A22 - A12*A21",),
              "2x2 matrices, all of trace 5, under similarity: the determinant is the remaining invariant.",
              matrices.sample_det_2x2),
    Invariant("trace_3x3", 3, _M3, ("A11 + A22 + A33",),
              "3x3 matrices with U[0,1] entries under similarity M A M^-1: the trace is invariant.",
              matrices.sample_trace_3x3),
    Invariant("antisym_3x3", 4, _M3, ("A12**2 + A13**2 + A23**2",),
              "3x3 antisymmetric N(0,1) matrices under Q A Q^T, Q orthogonal: A12^2 + A13^2 + A23^2 is invariant.",
              matrices.sample_antisym_3x3),
    Invariant("trace_4x4", 5, _M4, ("A11 + A22 + A33 + A44",),
              "4x4 matrices with U[0,1] entries under similarity M A M^-1: the trace is invariant.",
              matrices.sample_trace_4x4),
    Invariant("field_tensor", 6, ("E1", "E2", "E3", "B1", "B2", "B3"),
              ("E1*B1 + E2*B2 + E3*B3", "B1**2 + B2**2 + B3**2 - E1**2 - E2**2 - E3**2"),
              "Electromagnetic field (E, B) under Lorentz transforms: E.B and B^2 - E^2 are invariant.",
              relativity.sample_field_tensor),
    Invariant("harmonic", 7, _XV, ("v**2/2 + x**2/2",),
              "Harmonic oscillator V = x^2/2: two times of one trajectory share the energy.",
              dynamics.sample_harmonic),
    Invariant("anharmonic", 8, _XV, ("v**2/2 + x**2/2 + x**4/4",),
              "Anharmonic oscillator V = x^2/2 + x^4/4: two times of one trajectory share the energy.",
              dynamics.sample_anharmonic),
    Invariant("sine", 9, _XV, ("v**2/2 + sin(x)",),
              "Motion in V = sin(x): two times of one trajectory share the energy.",
              dynamics.sample_sine),
    Invariant("exp_potential", 10, _XV, ("v**2/2 + x**2/2 + exp(x + 1)",),
              "Motion in V = x^2/2 + exp(x + 1): two times of one trajectory share the energy.",
              dynamics.sample_exp_potential),
    Invariant("angular_momentum", 11, ("x1", "x2", "v1", "v2"),
              ("x1*v2 - x2*v1", "v1**2/2 + v2**2/2 - 1/sqrt(x1**2 + x2**2)"),
              "Kepler motion in the plane, V = -1/r: angular momentum and energy are conserved.",
              dynamics.sample_angular_momentum),
    Invariant("spacetime", 12, ("t", "x1", "x2", "x3"), ("t**2 - x1**2 - x2**2 - x3**2",),
              "Events (t, x) under Lorentz transforms: the spacetime interval is invariant.",
              relativity.sample_spacetime),
]

INVARIANTS: dict[str, Invariant] = {entry.name: entry for entry in _ENTRIES}


def list_invariants() -> list[str]:
    """Dataset names in the paper's order (experiments 01-12)."""
    return list(INVARIANTS)


def get_invariant(name: str) -> Invariant:
    """The registry entry for ``name``; unknown names raise DataError listing the valid ones."""
    try:
        return INVARIANTS[name]
    except (KeyError, TypeError):
        raise DataError(
            f"unknown invariant dataset {name!r}; choose one of: {', '.join(INVARIANTS)}."
        ) from None


def _check_count(label: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise DataError(f"{label} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def make_invariant_dataset(name: str, n_train: int = 50000, n_val: int = 5000, n_test: int = 10000,
                           seed: int = 0) -> TripletDataset:
    """Seeded train/val/test triplets of one of the paper's invariant datasets.

    The same (name, sizes, seed) gives bit-identical arrays. Each split draws from its own child
    stream of ``np.random.SeedSequence(seed)``, so resizing one split leaves the others unchanged.
    """
    entry = get_invariant(name)
    sizes = {split: _check_count(f"n_{split}", n, 1)
             for split, n in (("train", n_train), ("val", n_val), ("test", n_test))}
    seed = _check_count("seed", seed, 0)
    streams = np.random.SeedSequence(seed).spawn(len(sizes))
    splits = {split: entry.sample(n, np.random.default_rng(stream))
              for (split, n), stream in zip(sizes.items(), streams)}
    return TripletDataset(
        name=entry.name,
        variables=list(entry.variables),
        ground_truth=list(entry.ground_truth),
        description=entry.description,
        synthetic=True,
        **splits,
    )
