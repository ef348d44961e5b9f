"""Losses, each with its closed-form solution for the outer linear coefficients.

A candidate is a sum of terms ``T = b + sum_k c_k t_k(x)``. The terms are evolved; the
coefficients are solved exactly for every candidate, so the search never wastes effort on
scales and offsets:

* ``regression``: (weighted) mean squared error; c and b by least squares.
* ``gradient``: mean over samples of ``|grad T / |grad T| - g|^2`` for unit targets g, with
  one global sign chosen freely, i.e. ``2 - 2 |mean cos(grad T, g)|``. The combination whose
  gradient is best aligned with g minimises the weighted mean squared sine between
  ``sum_k c_k grad t_k`` and g: a K x K generalised eigenproblem (re-weighted once so each
  sample counts equally). A per-sample |cos| is never used: only the global sign is free.
  Constant candidates have no direction and get an infinite loss; b is irrelevant.

Objectives are looked up by name in ``OBJECTIVES``; a new loss only needs ``term_stats``
(per-term numbers cached per batch) and ``solve``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from scipy.linalg.lapack import dsygv

from latentlaw.symbolic.dataset import ZERO_GRADIENT, Dataset, _finite, row_norms
from latentlaw.symbolic.evaluate import evaluate
from latentlaw.symbolic.evaluate_derivative import Gradient, evaluate_with_gradient
from latentlaw.symbolic.expression import Node

SNAP = 0.1  # coefficients within this of +-1 are also tried as exactly +-1 (one node fewer each)
TINY = 1e-300
EXACT = 1e-13  # a loss this small is an exact fit: no need to refine the coefficients
REFINE_BELOW = 0.2  # only candidates this good get the second (re-weighted) coefficient solve


@dataclass
class TermStats:
    value: np.ndarray
    grad: Gradient | None = None
    proj: np.ndarray | None = None  # gradient objective: grad t . g per sample
    sq: np.ndarray | float | None = None  # gradient objective: |grad t|^2 per sample


@dataclass
class Solution:
    """Solved coefficients and loss; ``loss_of`` prices any other coefficients on the same rows."""

    coefs: np.ndarray
    intercept: float
    loss: float
    loss_of: Callable[[np.ndarray, float], float]
    refit: Callable[[dict[int, float], bool], "Solution | None"] | None = None
    contributions: np.ndarray | None = None  # each term's share of T (|c_k| times its typical size)


class Objective:
    """A loss and everything that depends on which loss it is: its name, the targets it takes
    (``prepare``), the levels the selection rule reads (``levels``) and whether it can score
    several expressions at once (``concepts``), so no other module compares objective names."""

    name = "objective"
    concepts = False  # n_concepts > 1 (k expressions, one loss) is meaningful for this loss

    def prepare(self, X: np.ndarray, y, gradients, w: np.ndarray | None, names: list[str],
                projector) -> tuple[Dataset, int, np.ndarray | None]:
        """Validated targets as a Dataset, the number of rows dropped, and the kept rows' weights."""
        raise NotImplementedError

    def levels(self, y_variance: float | None = None, n_concepts: int = 1) -> tuple[float, float, float]:
        """(numerical floor, null-model loss, good-enough loss) for ``selection.select``."""
        raise NotImplementedError

    def term_stats(self, node: Node, data: Dataset) -> TermStats | None:
        raise NotImplementedError

    def solve(self, stats: Sequence[TermStats], data: Dataset, linear: bool) -> Solution | None:
        raise NotImplementedError

    def stats(self, node: Node, data: Dataset, memo: bool = True) -> TermStats | None:
        """Per-term numbers, cached on the term for the current rows."""
        cached = node.memo
        if memo and cached is not None and cached[0] == data.token:
            return cached[1]
        try:
            result = self.term_stats(node, data)
        except ArithmeticError:  # defence in depth: unsafe arithmetic rejects, never crashes
            result = None
        if memo:
            node.memo = (data.token, result)
        return result

    def stats_of(self, terms: Sequence[Node], data: Dataset, memo: bool = True) -> list[TermStats] | None:
        """Per-term numbers of every term, or None if any term is unusable."""
        out = []
        for term in terms:
            s = self.stats(term, data, memo)
            if s is None:
                return None
            out.append(s)
        return out

    def variants(self, solution: Solution) -> list[tuple[np.ndarray, float, float]]:
        """(coefs, intercept, loss) of the solution and of its +-1-snapped simplification."""
        return [(solution.coefs, solution.intercept, solution.loss)]


class RegressionObjective(Objective):
    name = "regression"

    def prepare(self, X, y, gradients, w, names, projector):
        n = X.shape[0]
        if gradients is not None:
            raise ValueError("objective='regression' fits y; gradients were given: use objective='gradient' "
                             "to match gradients, or drop them.")
        if y is None:
            raise ValueError("objective='regression' needs y=<(n_samples,) targets>.")
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.shape != (n,):
            raise ValueError(f"y must have one value per row of X ({n}), got shape {y.shape}.")
        _finite("y", y)
        dropped = 0
        data = Dataset(X=X, columns=list(np.ascontiguousarray(X.T)), y=y, gradient_columns=None,
                       weights=None, variable_names=names)
        return data, dropped, w

    def levels(self, y_variance=None, n_concepts=1):
        scale = y_variance if y_variance and y_variance > 0 else 1.0
        return 1e-10 * scale, scale, 1e-2 * scale

    def term_stats(self, node: Node, data: Dataset) -> TermStats | None:
        value = evaluate(node, data.columns)
        if np.ndim(value) == 0 or not math.isfinite(float(np.add.reduce(value))):
            return None
        return TermStats(value=value)

    def solve(self, stats, data, linear):
        y, w = data.y, data.weights
        V = np.stack([s.value for s in stats])
        spread = V.std(axis=1)

        def loss_of(coefs: np.ndarray, intercept: float) -> float:
            residual = y - intercept - coefs @ V
            loss = _mean(residual * residual, w, len(y))
            return loss if math.isfinite(loss) else math.inf

        def refit(fixed: dict[int, float], intercept: bool) -> Solution | None:
            free = [k for k in range(len(stats)) if k not in fixed]
            target = y - sum((c * V[k] for k, c in fixed.items()), np.zeros_like(y))
            design = [V[k] for k in free] + ([np.ones_like(y)] if intercept else [])
            coefs = np.array([fixed.get(k, 0.0) for k in range(len(stats))])
            b = 0.0
            if design:
                D = np.stack(design, axis=1)
                sw = np.ones_like(y) if w is None else np.sqrt(w)
                try:
                    beta = np.linalg.lstsq(D * sw[:, None], target * sw, rcond=None)[0]
                except np.linalg.LinAlgError:
                    return None
                coefs[free] = beta[: len(free)]
                b = float(beta[-1]) if intercept else 0.0
            if not np.all(np.isfinite(coefs)) or not math.isfinite(b):
                return None
            return Solution(coefs, b, loss_of(coefs, b), loss_of, refit, np.abs(coefs) * spread)

        if not linear:
            return Solution(np.ones(1), 0.0, loss_of(np.ones(1), 0.0), loss_of, None)
        return refit({}, True)

    def variants(self, solution):
        out = [(solution.coefs, solution.intercept, solution.loss)]
        if solution.refit is None:
            return out
        fixed = {k: float(np.sign(c)) for k, c in enumerate(solution.coefs) if abs(abs(c) - 1.0) <= SNAP}
        scale = max(float(np.abs(solution.coefs).max()), 1.0)
        keep_intercept = abs(solution.intercept) > SNAP * scale
        exact = all(solution.coefs[k] == c for k, c in fixed.items()) and (keep_intercept or solution.intercept == 0.0)
        if (fixed or not keep_intercept) and not exact:
            snapped = solution.refit(fixed, keep_intercept)
            if snapped is not None:
                out.append((snapped.coefs, snapped.intercept, snapped.loss))
        return out


class GradientObjective(Objective):
    name = "gradient"
    concepts = True

    def prepare(self, X, y, gradients, w, names, projector):
        n = X.shape[0]
        if gradients is None:
            hint = " You passed y: for fitting values use objective='regression'." if y is not None else ""
            raise ValueError("objective='gradient' needs gradients=<(n_samples, n_features) array of the neuron's "
                             f"input gradients at X>.{hint}")
        if y is not None:
            raise ValueError("objective='gradient' fits gradients only; drop y, or use objective='regression' to fit y.")
        G = np.asarray(gradients, dtype=np.float64)
        if G.shape != X.shape:
            raise ValueError(f"gradients must have the shape of X {X.shape} (one gradient row per input row), "
                             f"got {G.shape}.")
        _finite("gradients", G)
        if projector is not None:
            projector = np.asarray(projector, dtype=np.float64)
            if projector.shape != (X.shape[1], X.shape[1]) or not np.allclose(projector, projector.T, atol=1e-8):
                raise ValueError(f"projector must be a symmetric ({X.shape[1]}, {X.shape[1]}) matrix (the orthogonal "
                                 f"projector onto the inputs' tangent space), got shape {projector.shape}.")
            G = G @ projector
        norms = row_norms(G)
        if not norms.max() > 0:
            raise ValueError("every target gradient is zero: the neuron is constant on X (a dead neuron) and has no "
                             "direction to match; pick another neuron or other inputs.")
        keep = norms > ZERO_GRADIENT * np.median(norms[norms > 0])
        dropped = int(n - keep.sum())
        if keep.sum() < 2:
            raise ValueError("fewer than 2 rows have a non-zero target gradient; pass more rows.")
        X, G = X[keep], G[keep] / norms[keep, None]
        if w is not None:
            w = w[keep]
        data = Dataset(X=X, columns=list(np.ascontiguousarray(X.T)), y=None,
                       gradient_columns=list(np.ascontiguousarray(G.T)), weights=None, variable_names=names,
                       projector=projector)
        return data, dropped, w

    def levels(self, y_variance=None, n_concepts=1):
        # k > 1 concepts: the span loss (mean squared sine to the span, ~ the single loss for
        # small angles) is 1 with no concept at all
        return 1e-10, (2.0 if n_concepts == 1 else 1.0), 0.03

    def term_stats(self, node: Node, data: Dataset) -> TermStats | None:
        value, grad = evaluate_with_gradient(node, data.columns)
        if not grad or np.ndim(value) == 0 or not math.isfinite(float(np.add.reduce(value))):
            return None
        if data.projector is not None:
            grad = _project(grad, data.projector)
        g = data.gradient_columns
        proj = None
        sq = 0.0
        for k, x in grad.items():
            proj = x * g[k] if proj is None else proj + x * g[k]
            sq = sq + x * x
        total = float(np.add.reduce(sq, axis=None)) if np.ndim(sq) else float(sq)
        if not math.isfinite(total) or total <= 0.0:
            return None
        return TermStats(value=value, grad=grad, proj=proj, sq=sq)

    def solve(self, stats, data, linear):
        w = data.weights
        K = len(stats) if linear else 1
        n = data.n
        if K == 1:
            s = stats[0]
            mean = _mean(_cosines(s.proj, s.sq), w, n)
            if not math.isfinite(mean):
                return None
            loss = 2.0 - 2.0 * abs(mean)
            return Solution(np.ones(1), 0.0, loss, lambda c, b=0.0: loss)  # one term: sign and scale are free
        M, T = gram(stats, n)
        flat = M.reshape(K * K, n)
        wide = M.reshape(K, K * n)
        base_means = np.add.reduce(flat[:: K + 1], axis=1) / n

        def norm2_of(coefs: np.ndarray) -> np.ndarray:
            return coefs @ (coefs @ wide).reshape(K, n)

        def loss_of(coefs: np.ndarray, intercept: float = 0.0) -> float:
            loss = 2.0 - 2.0 * abs(_mean(_cosines(coefs @ T, norm2_of(coefs)), w, n))
            return loss if math.isfinite(loss) else math.inf

        base = flat[:: K + 1].sum(axis=0)  # sum of squared term-gradient norms per sample
        weights = 1.0 / np.maximum(base, TINY)
        coefs = _best_aligned(flat, T, weights if w is None else weights * w, K)
        if coefs is None:
            return None
        loss = loss_of(coefs)
        if EXACT < loss < REFINE_BELOW:  # re-weight so every sample counts as one angle, solve again
            norm2 = norm2_of(coefs)
            weights = 1.0 / np.maximum(norm2, 1e-6 * float(np.add.reduce(norm2)) / n + TINY)
            again = _best_aligned(flat, T, weights if w is None else weights * w, K)
            if again is not None:
                loss_again = loss_of(again)
                if loss_again < loss:
                    coefs, loss = again, loss_again
        contributions = np.abs(coefs) * np.sqrt(base_means)
        return Solution(_canonical_scale(coefs, contributions), 0.0, loss, loss_of, None, contributions)

    def variants(self, solution):
        out = [(solution.coefs, 0.0, solution.loss)]
        values = solution.coefs.tolist()
        snapped = [(1.0 if v > 0 else -1.0) if abs(abs(v) - 1.0) <= SNAP else v for v in values]
        if snapped != values:
            snapped = np.array(snapped)
            out.append((snapped, 0.0, solution.loss_of(snapped, 0.0)))
        return out


def _mean(values: np.ndarray, weights: np.ndarray | None, n: int) -> float:
    return float(np.add.reduce(values) if weights is None else values @ weights) / n


def _cosines(dot: np.ndarray, norm2) -> np.ndarray:
    """cos per sample for unit targets (0 where the candidate's gradient vanishes)."""
    cos = dot / np.sqrt(np.maximum(norm2, TINY))
    if abs(float(np.add.reduce(cos))) > 1.000001 * len(cos):  # underflow in |grad|^2 broke |cos| <= 1
        cos = np.clip(cos, -1.0, 1.0)
    return cos


def _project(grad: Gradient, projector: np.ndarray) -> Gradient:
    """P grad in the original coordinates: later dot products then live in the tangent space."""
    out: Gradient = {}
    for k in range(projector.shape[0]):
        total = None
        for j, x in grad.items():
            c = projector[k, j]
            if abs(c) > 1e-12:
                total = c * x if total is None else total + c * x
        if total is not None:
            out[k] = total
    return out


def gram(stats: Sequence[TermStats], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(K, K, n) dot products of the terms' gradients and (K, n) their dot products with the target."""
    K = len(stats)
    M = np.empty((K, K, n))
    T = np.empty((K, n))
    for k, s in enumerate(stats):
        T[k] = s.proj
        M[k, k] = s.sq
        for l in range(k):
            M[k, l] = M[l, k] = _pair(s.grad, stats[l].grad)
    return M, T


def _pair(ga: Gradient, gb: Gradient):
    total = 0.0
    for k, x in ga.items():
        y = gb.get(k)
        if y is not None:
            total = total + x * y
    return total


def _best_aligned(flat: np.ndarray, T: np.ndarray, weights: np.ndarray, K: int) -> np.ndarray | None:
    """The c maximising sum_i w_i (c.t_i)^2 / sum_i w_i |J_i^T c|^2, i.e. minimising the weighted
    mean squared sine between sum_k c_k grad t_k and g: the top generalised eigenvector of (S, B)."""
    B = (flat @ weights).reshape(K, K)
    S = (T * weights) @ T.T
    inv_d = 1.0 / np.sqrt(B.diagonal())
    scale = inv_d[:, None] * inv_d[None, :]
    _, vecs, info = dsygv(S * scale, B * scale + _RIDGE[K])
    if info != 0:
        return None
    coefs = vecs[:, -1] * inv_d
    return coefs if np.isfinite(coefs).all() and coefs.any() else None


_RIDGE = [1e-10 * np.eye(k) for k in range(65)]


def _canonical_scale(coefs: np.ndarray, contributions: np.ndarray) -> np.ndarray:
    """Scale (and sign) free gradient coefficients so that as many as possible are +-1, mostly +1,
    preferring the largest term as the reference."""
    values = coefs.tolist()
    sizes = contributions.tolist()
    best = None
    for k, ref in enumerate(values):
        if ref == 0.0:
            continue
        scaled = [v / abs(ref) for v in values]
        ones = sum(abs(abs(v) - 1.0) <= SNAP for v in scaled)
        positive = sum(v > 0 for v in scaled)
        negative = sum(v < 0 for v in scaled)
        rank = (ones, max(positive, negative), sizes[k])
        if best is None or rank > best[0]:
            best = (rank, scaled, 1.0 if positive >= negative else -1.0)
    return np.array(best[1]) * best[2]


OBJECTIVES: dict[str, Objective] = {o.name: o for o in (RegressionObjective(), GradientObjective())}
