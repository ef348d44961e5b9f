"""Lorentz invariants of the symbolic-gradients paper (experiments 06 and 12), with c = 1.

Positives apply a random proper Lorentz transform ``L = R1 . boost(beta) . R2`` (R1, R2 Haar
rotations of space). Heavy tails: with beta near 1 the Lorentz factor gamma reaches the hundreds and
so do the transformed values, so the boost speed is drawn U[0, BETA_MAX] with BETA_MAX = 0.9
(gamma <= 2.29, rapidity <= 1.47): a transformed four-vector grows by at most e^rapidity = 4.36 in
norm, and |E'| <= gamma (|E| + beta |B|), |B'| <= gamma (|B| + beta |E|).
"""

from __future__ import annotations

import numpy as np

from latentlaw.data.base import Triplets
from latentlaw.data.matrices import random_orthogonal

BETA_MAX = 0.9
"""Largest boost speed (units of c); bounds gamma by 2.29 and every transformed value accordingly."""


def random_lorentz(n: int, rng: np.random.Generator, beta_max: float = BETA_MAX) -> np.ndarray:
    """n proper orthochronous Lorentz matrices acting on (t, x1, x2, x3), shape (n, 4, 4)."""
    beta = rng.uniform(0.0, beta_max, n)
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    boost = np.tile(np.eye(4), (n, 1, 1))
    boost[:, 0, 0] = boost[:, 1, 1] = gamma
    boost[:, 0, 1] = boost[:, 1, 0] = -gamma * beta
    rotations = np.tile(np.eye(4), (2, n, 1, 1))
    rotations[:, :, 1:, 1:] = random_orthogonal(2 * n, 3, rng, proper=True).reshape(2, n, 3, 3)
    return rotations[0] @ boost @ rotations[1]


def _field_tensor(eb: np.ndarray) -> np.ndarray:
    """F^{mu nu} of rows (E1, E2, E3, B1, B2, B3): F^{i0} = E_i, F^{ij} = -eps_ijk B_k."""
    e1, e2, e3, b1, b2, b3 = eb.T
    f = np.zeros((eb.shape[0], 4, 4))
    f[:, 1, 0], f[:, 2, 0], f[:, 3, 0] = e1, e2, e3
    f[:, 3, 2], f[:, 1, 3], f[:, 2, 1] = b1, b2, b3
    return f - np.swapaxes(f, 1, 2)


def _field_components(f: np.ndarray) -> np.ndarray:
    """Inverse of _field_tensor: rows (E1, E2, E3, B1, B2, B3)."""
    return np.stack([f[:, 1, 0], f[:, 2, 0], f[:, 3, 0], f[:, 3, 2], f[:, 1, 3], f[:, 2, 1]], axis=1)


def sample_field_tensor(n: int, rng: np.random.Generator) -> Triplets:
    """E, B with U[0,1] components (the paper's text; its code used U[0,2]); positive L F L^T."""
    anchor = rng.uniform(0.0, 1.0, (n, 6))
    lam = random_lorentz(n, rng)
    positive = _field_components(lam @ _field_tensor(anchor) @ np.swapaxes(lam, 1, 2))
    return Triplets(anchor, positive, rng.uniform(0.0, 1.0, (n, 6)))


def sample_spacetime(n: int, rng: np.random.Generator) -> Triplets:
    """Events (t, x1, x2, x3) with U[0,1] coordinates; positive = L x keeps t^2 - |x|^2."""
    anchor = rng.uniform(0.0, 1.0, (n, 4))
    positive = np.einsum("nij,nj->ni", random_lorentz(n, rng), anchor)
    return Triplets(anchor, positive, rng.uniform(0.0, 1.0, (n, 4)))
