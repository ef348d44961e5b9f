"""The data a search sees: validated inputs, targets, and which variables look relevant.

``prepare`` is the only place user arrays are checked; a bad input fails here, before any search,
with a ValueError that names the problem and the fix.
"""

from __future__ import annotations

import itertools
import keyword
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from latentlaw.symbolic.operators import ALL

NOISE_FLOOR = 0.05  # share of y's RMS below which a noisy y is mostly noise (5 times SRBench's 1% noise)
ZERO_GRADIENT = 1e-8  # rows whose target gradient is this small relative to the median carry no direction
_tokens = itertools.count(1)


@dataclass
class Dataset:
    """Rows of a search problem. ``columns``/``gradient_columns`` hold one contiguous array per
    variable (X transposed); ``token`` identifies the row set so cached term values stay valid.
    ``projector`` (d, d), when set, is the orthogonal projector onto the tangent space of the
    inputs: candidate gradients are compared only within it (see ``tangent_projector``)."""

    X: np.ndarray
    columns: list[np.ndarray]
    y: np.ndarray | None
    gradient_columns: list[np.ndarray] | None
    weights: np.ndarray | None
    variable_names: list[str]
    projector: np.ndarray | None = None
    token: int = field(default_factory=lambda: next(_tokens))

    @property
    def n(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def gradients(self) -> np.ndarray | None:
        return None if self.gradient_columns is None else np.stack(self.gradient_columns, axis=1)

    def take(self, rows: np.ndarray) -> Dataset:
        X = self.X[rows]
        return Dataset(
            X=X,
            columns=list(np.ascontiguousarray(X.T)),
            y=None if self.y is None else self.y[rows],
            gradient_columns=None if self.gradient_columns is None else [np.ascontiguousarray(g[rows]) for g in self.gradient_columns],
            weights=None if self.weights is None else self.weights[rows] / max(self.weights[rows].mean(), 1e-300),
            variable_names=self.variable_names,
            projector=self.projector,
        )


def sign_rows(y: np.ndarray) -> np.ndarray | None:
    """Rows on which y keeps one sign (a mask): all of them where it does; where y crosses 0
    only within ``NOISE_FLOOR`` of its RMS, noise about a law that keeps one sign (1% noise
    turns 93 of 1,000 rows of n_0 exp(-m g x / (kb T)) negative), the rows of its main sign
    above that floor (at least half the rows); None where y changes sign beyond it or is 0 on
    some row (noise does not land on 0: the law itself touches it there)."""
    if np.all(y > 0) or np.all(y < 0):
        return np.ones(len(y), dtype=bool)
    if np.any(y == 0):
        return None
    floor = NOISE_FLOOR * float(np.sqrt(np.mean(y**2)))
    main = 1.0 if np.sum(y > 0) >= np.sum(y < 0) else -1.0
    if not np.all(main * y > -floor):
        return None
    rows = main * y >= floor
    return rows if rows.sum() >= len(y) // 2 else None


def row_norms(G: np.ndarray) -> np.ndarray:
    """Euclidean row norms without underflow/overflow (gradients of exp(law) span 1e-200..1e200)."""
    scale = np.abs(G).max(axis=1)
    safe = np.where(scale > 0, scale, 1.0)
    return scale * np.sqrt(((G / safe[:, None]) ** 2).sum(axis=1))


def _finite(name: str, array: np.ndarray) -> None:
    bad = ~np.isfinite(array)
    if bad.any():
        rows = np.unique(np.nonzero(bad.reshape(array.shape[0], -1))[0])
        raise ValueError(f"{name} has {int(bad.sum())} NaN/inf values in {rows.size} rows (first: row {int(rows[0])}); "
                         "drop or repair those rows before fitting.")


def check_variable_names(names: Sequence[str] | None, d: int) -> list[str]:
    if names is None:
        return [f"x{j}" for j in range(d)]
    names = [str(v) for v in names]
    if len(names) != d:
        raise ValueError(f"variable_names has {len(names)} names but X has {d} columns; give one name per column.")
    if len(set(names)) != d:
        raise ValueError(f"variable_names must be unique, got {names}.")
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z_0-9]*", name) or keyword.iskeyword(name) or name in ALL:
            raise ValueError(f"variable name {name!r} cannot be used in equations: use letters, digits and _ "
                             f"(not starting with a digit), and not an operator name ({sorted(n for n in ALL if n.isalpha())}).")
    return names


def tangent_projector(X: np.ndarray, rtol: float = 1e-6) -> np.ndarray | None:
    """Projector onto the linear span the centred inputs actually vary in, or None if they span R^d.

    Inputs confined to a subspace (antisymmetric matrices, matrices of fixed trace) leave a
    network's gradient undetermined across it: only the in-subspace part carries the neuron's
    meaning, so gradients are compared after projecting onto the span.
    """
    X = np.asarray(X, dtype=np.float64)
    _, s, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    rank = int((s > rtol * s[0]).sum()) if s.size and s[0] > 0 else 0
    if rank >= X.shape[1] or rank == 0:
        return None
    basis = vt[:rank]
    return basis.T @ basis


def prepare(X, y=None, gradients=None, weights=None, *, objective: str,
            variable_names: Sequence[str] | None = None, projector: Any = None) -> tuple[Dataset, int]:
    """Validated float64 data for ``objective``; also returns how many zero-gradient rows were dropped."""
    if X is None:
        raise ValueError("X is required: pass the inputs as an (n_samples, n_features) array "
                         "(gradients/y are the targets at those inputs).")
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 1:
        raise ValueError(f"X must be 2-d (n_samples, n_features), got shape {X.shape}; "
                         "for a single feature use X.reshape(-1, 1).")
    if X.ndim != 2 or X.shape[0] < 2 or X.shape[1] < 1:
        raise ValueError(f"X must be 2-d (n_samples >= 2, n_features >= 1), got shape {X.shape}.")
    _finite("X", X)
    names = check_variable_names(variable_names, X.shape[1])
    n = X.shape[0]

    w = None
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.shape != (n,):
            raise ValueError(f"weights must have one entry per row of X ({n}), got shape {np.shape(weights)}.")
        _finite("weights", w)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be >= 0 with a positive sum.")

    from latentlaw.symbolic.objectives import OBJECTIVES  # objectives build on this module

    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {tuple(OBJECTIVES)}, got {objective!r}.")
    data, dropped, w = OBJECTIVES[objective].prepare(X, y, gradients, w, names, projector)
    if w is not None:
        if not w.sum() > 0:
            raise ValueError("weights are zero on every row with a usable target.")
        data.weights = w / w.mean()
    return data, dropped


def variable_probabilities(data: Dataset) -> np.ndarray:
    """How often each input is drawn when building or mutating terms.

    For gradient targets an input the target never depends on has a zero gradient component:
    mean |g_j| measures dependence directly (with 50 irrelevant inputs this is the difference
    between finding a law in seconds and not at all). For regression a cheap proxy is the
    largest |correlation| of y with x_j or (x_j - mean)^2. A floor keeps every input reachable.
    """
    if data.gradient_columns is not None:
        score = np.array([np.abs(g).mean() for g in data.gradient_columns])
        floor = 0.01
    else:
        score = np.zeros(data.d)
        yc = data.y - data.y.mean()
        for j, x in enumerate(data.columns):
            for feature in (x - x.mean(), (x - x.mean()) ** 2):
                feature = feature - feature.mean()
                denom = np.sqrt((feature**2).sum() * (yc**2).sum())
                if denom > 0:
                    score[j] = max(score[j], abs(float(feature @ yc)) / denom)
        floor = 0.2
    top = score.max()
    if not top > 0:
        return np.full(data.d, 1.0 / data.d)
    p = score / top + floor
    return p / p.sum()
