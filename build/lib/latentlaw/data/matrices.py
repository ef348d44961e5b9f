"""Matrix invariants of the symbolic-gradients paper (experiments 01-05).

Positives are similarity transforms ``M A M^-1`` (trace, determinant) or orthogonal transforms
``Q A Q^T`` (antisymmetric 3x3). The random-matrix helpers here are shared with the relativity
datasets, so every dataset draws its rotations the same way.

Heavy tails: a matrix with U[0,1] entries, as in the paper, is often nearly singular (the median
condition number is ~6 for 2x2 and ~20 for 4x4; 1% exceed 350-1200), and ``M A M^-1`` then has
entries in the thousands. We keep the paper's U[0,1] entries but redraw every ``M`` whose condition
number exceeds ``MAX_COND``, which bounds each positive entry by ``MAX_COND * ||A||_2``.
"""

from __future__ import annotations

import numpy as np

from latentlaw.data.base import Triplets

MAX_COND = 20.0
"""Largest accepted condition number of a similarity matrix M; keeps 83%/67%/49% of U[0,1] draws
for 2x2/3x3/4x4 and bounds |M A M^-1| entries by 20 ||A||_2 (at most 80 for U[0,1] 4x4 anchors)."""

DET_MAX_COND = 3.0
"""Tighter bound for the determinant dataset: with MAX_COND the positives' entries reach ~250 while
the determinant stays within ~100, so the network would have to learn a quadratic whose terms
cancel to 1 part in 1e3, and it does not (|Spearman| 0.04 after the fast preset, 0.998 with 3)."""

DET_TRACE = 5.0
"""Trace shared by every matrix of the determinant dataset, so the trace carries no signal."""


def matrix_names(d: int) -> list[str]:
    """Row-major entry names A11, A12, ... for a d x d matrix."""
    return [f"A{i}{j}" for i in range(1, d + 1) for j in range(1, d + 1)]


def random_orthogonal(n: int, d: int, rng: np.random.Generator, proper: bool = False) -> np.ndarray:
    """n Haar-random d x d orthogonal matrices (rotations only when ``proper``), shape (n, d, d).

    QR of a Gaussian matrix, with the signs of R's diagonal moved into Q so the draw is uniform.
    """
    q, r = np.linalg.qr(rng.standard_normal((n, d, d)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    if proper:
        flip = np.linalg.det(q) < 0
        q[flip, :, 0] *= -1.0
    return q


def random_invertible(n: int, d: int, rng: np.random.Generator, max_cond: float = MAX_COND) -> np.ndarray:
    """n matrices with U[0,1] entries and condition number <= max_cond, shape (n, d, d).

    Rejection sampling keeps the paper's entry distribution while cutting its near-singular tail.
    """
    out = np.empty((n, d, d))
    filled = 0
    while filled < n:
        draw = rng.uniform(0.0, 1.0, (2 * (n - filled) + 16, d, d))
        sv = np.linalg.svd(draw, compute_uv=False)
        keep = draw[sv[:, 0] <= max_cond * sv[:, -1]][: n - filled]
        out[filled:filled + len(keep)] = keep
        filled += len(keep)
    return out


def similarity(a: np.ndarray, rng: np.random.Generator, max_cond: float = MAX_COND) -> np.ndarray:
    """M A M^-1 for each matrix of a (n, d, d), with a fresh bounded-condition M per matrix."""
    m = random_invertible(a.shape[0], a.shape[1], rng, max_cond)
    # (M A) M^-1 as a solve of M^T X^T = (M A)^T: more accurate than forming the inverse.
    return np.linalg.solve(np.swapaxes(m, 1, 2), np.swapaxes(m @ a, 1, 2)).swapaxes(1, 2)


def _flat(*matrices: np.ndarray) -> Triplets:
    n = matrices[0].shape[0]
    return Triplets(*(x.reshape(n, -1) for x in matrices))


def _uniform_similarity(d: int):
    def sample(n: int, rng: np.random.Generator) -> Triplets:
        anchor = rng.uniform(0.0, 1.0, (n, d, d))
        negative = rng.uniform(0.0, 1.0, (n, d, d))
        return _flat(anchor, similarity(anchor, rng), negative)

    sample.__doc__ = f"Anchor and negative with U[0,1] entries ({d}x{d}); positive M A M^-1."
    return sample


sample_trace_2x2 = _uniform_similarity(2)
sample_trace_3x3 = _uniform_similarity(3)
sample_trace_4x4 = _uniform_similarity(4)


def _fixed_trace(n: int, rng: np.random.Generator) -> np.ndarray:
    """2x2 matrices with U[-10,10] entries, the diagonal shifted equally so the trace is DET_TRACE."""
    a = rng.uniform(-10.0, 10.0, (n, 2, 2))
    shift = (DET_TRACE - np.trace(a, axis1=1, axis2=2)) / 2.0
    a[:, 0, 0] += shift
    a[:, 1, 1] += shift
    return a


def sample_det_2x2(n: int, rng: np.random.Generator) -> Triplets:
    """All matrices share trace 5, so the determinant is the only invariant that separates them."""
    anchor = _fixed_trace(n, rng)
    return _flat(anchor, similarity(anchor, rng, DET_MAX_COND), _fixed_trace(n, rng))


def _antisymmetric(n: int, rng: np.random.Generator) -> np.ndarray:
    """3x3 antisymmetric matrices whose three free entries are N(0, 1)."""
    a = np.zeros((n, 3, 3))
    iu = np.triu_indices(3, k=1)
    a[:, iu[0], iu[1]] = rng.standard_normal((n, 3))
    return a - np.swapaxes(a, 1, 2)


def sample_antisym_3x3(n: int, rng: np.random.Generator) -> Triplets:
    """Q A Q^T with Q in O(3) keeps antisymmetry (a general similarity would not) and A12^2+A13^2+A23^2."""
    anchor = _antisymmetric(n, rng)
    q = random_orthogonal(n, 3, rng)
    return _flat(anchor, q @ anchor @ np.swapaxes(q, 1, 2), _antisymmetric(n, rng))
