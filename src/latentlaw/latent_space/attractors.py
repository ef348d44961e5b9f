"""Fixed points of f reached from many starts, merged into attractors and classified by their Jacobian."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from latentlaw.latent_space.field import LatentMap, Trajectories


@dataclass
class Attractors:
    """Distinct fixed points (k, d), the index each start converged to (-1: did not converge), the
    basin size per start kind, and the Jacobian spectrum of f at each point (k, d), complex."""

    points: torch.Tensor
    assignment: dict[str, np.ndarray] = field(default_factory=dict)
    eigenvalues: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=complex))

    def __len__(self) -> int:
        return int(self.points.shape[0])

    @property
    def spectral_radius(self) -> np.ndarray:
        return np.abs(self.eigenvalues).max(axis=1) if self.eigenvalues.size else np.zeros(len(self))

    @property
    def stable(self) -> np.ndarray:
        """An attractor proper: every |eigenvalue| of J_f < 1."""
        return self.spectral_radius < 1.0

    def basin(self, kind: str) -> np.ndarray:
        """How many starts of ``kind`` converged to each attractor."""
        labels = self.assignment[kind]
        return np.bincount(labels[labels >= 0], minlength=len(self))

    def reached_from(self, kind: str) -> np.ndarray:
        """Indices of the attractors at least one start of ``kind`` converged to."""
        return np.nonzero(self.basin(kind) > 0)[0]


def merge(points: torch.Tensor, cos_threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Greedy grouping: each group is every point within cosine ``cos_threshold`` of its first member.

    Returns (index of each group's representative, group label of each point). Greedy rather than
    clustering because the paper's rule is a threshold on cosine to an attractor, not a partition
    optimum; it is O(groups x points), vectorised.
    """
    if not -1.0 < cos_threshold < 1.0:
        raise ValueError(f"the attractor cosine threshold must lie in (-1, 1), got {cos_threshold}; the paper uses 0.99.")
    n = points.shape[0]
    labels = np.full(n, -1, dtype=np.int64)
    unit = torch.nn.functional.normalize(points.double(), dim=1)
    reps: list[int] = []
    while (labels < 0).any():
        open_ = np.nonzero(labels < 0)[0]
        first = int(open_[0])
        similar = (unit[open_] @ unit[first]).numpy() > cos_threshold
        similar[0] = True  # a point is its own group even at the origin, where cosine is undefined
        labels[open_[similar]] = len(reps)
        reps.append(first)
    return np.asarray(reps, dtype=np.int64), labels


def jacobian_spectra(f: LatentMap, points: torch.Tensor) -> np.ndarray:
    """Eigenvalues of J_f at each point, (k, d) complex: one vmapped reverse-mode Jacobian."""
    if len(points) == 0:
        return np.zeros((0, points.shape[1] if points.ndim == 2 else 0), dtype=complex)

    def single(z: torch.Tensor) -> torch.Tensor:
        return f(z.unsqueeze(0)).squeeze(0)

    with torch.enable_grad():
        jac = torch.func.vmap(torch.func.jacrev(single))(points.detach().float())
    return torch.linalg.eigvals(jac.detach().double()).numpy()


def find_attractors(f: LatentMap, runs: Mapping[str, Trajectories], cos_threshold: float = 0.99) -> Attractors:
    """Merge the converged end points of every start kind into attractors and take J_f's spectrum there."""
    kinds = list(runs)
    finals = [runs[k].final[torch.as_tensor(runs[k].converged)] for k in kinds]
    d = next(iter(runs.values())).final.shape[1]
    pooled = torch.cat(finals) if finals else torch.zeros((0, d))
    reps, labels = merge(pooled, cos_threshold) if len(pooled) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    points = pooled[torch.as_tensor(reps, dtype=torch.long)] if len(reps) else torch.zeros((0, d))
    assignment: dict[str, np.ndarray] = {}
    offset = 0
    for kind, part in zip(kinds, finals):
        own = np.full(len(runs[kind].converged), -1, dtype=np.int64)
        own[runs[kind].converged] = labels[offset:offset + len(part)]
        assignment[kind] = own
        offset += len(part)
    return Attractors(points=points, assignment=assignment, eigenvalues=jacobian_spectra(f, points))
