"""Iterating an autoencoder's latent map f(z) = E(D(z)) from many starts at once.

Hand-written because no library iterates a learned map to its fixed points: thousands of starts
advance together in one batched forward pass per step, and each start stops being advanced as
soon as it has converged, so late steps only cost what is still moving.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

LatentMap = Callable[[torch.Tensor], torch.Tensor]


def latent_map(model: torch.nn.Module) -> LatentMap:
    """f(z) = E(D(z)) for any model with ``encode`` and ``decode``; a clear error otherwise."""
    if not callable(getattr(model, "decode", None)) or not callable(getattr(model, "encode", None)):
        raise ValueError(f"{type(model).__name__} has no decoder: the latent vector field f(z) = E(D(z)) needs an "
                         "autoencoder (model=autoencoder). Siamese networks only encode.")
    return lambda z: model.encode(model.decode(z))


@torch.no_grad()
def encode(model: torch.nn.Module, X: np.ndarray, batch_size: int = 8192) -> torch.Tensor:
    """E(X) as float32, batched."""
    X = torch.as_tensor(np.asarray(X), dtype=torch.float32)
    return torch.cat([model.encode(X[i:i + batch_size]) for i in range(0, len(X), batch_size)]) if len(X) else X


@torch.no_grad()
def decode(model: torch.nn.Module, Z: torch.Tensor | np.ndarray, batch_size: int = 8192) -> np.ndarray:
    Z = torch.as_tensor(np.asarray(Z), dtype=torch.float32)
    return torch.cat([model.decode(Z[i:i + batch_size]) for i in range(0, len(Z), batch_size)]).double().numpy()


@dataclass
class Trajectories:
    """Where each start ended, after how many steps, whether it converged; optionally the paths of
    the first ``keep_paths`` starts (steps x kept x d, frozen once converged) and, when reference
    points were given, each start's mean distance to its nearest reference over its trajectory."""

    final: torch.Tensor
    steps: np.ndarray
    converged: np.ndarray
    paths: np.ndarray | None = None
    mean_distance: np.ndarray | None = None

    @property
    def converged_fraction(self) -> float:
        return float(self.converged.mean()) if len(self.converged) else float("nan")


def check_settings(tol: float, max_steps: int) -> None:
    """Refuse a tolerance or step limit that makes no sense before any work starts."""
    if not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"the convergence tolerance must be a positive number, got {tol}; the paper uses 1e-6.")
    if int(max_steps) < 1:
        raise ValueError(f"the step limit must be >= 1, got {max_steps}; the paper uses 3000.")


@torch.no_grad()
def iterate(f: LatentMap, starts: torch.Tensor, tol: float = 1e-6, max_steps: int = 3000, keep_paths: int = 0,
            path_every: int = 1, references: torch.Tensor | None = None) -> Trajectories:
    """z_{t+1} = f(z_t) until ||z_{t+1} - z_t||^2 < tol (squared Euclidean, as in the paper) or max_steps.

    ``references`` (k, d): also accumulate each start's mean distance to the nearest reference point
    over the points its trajectory visits (start included, until it converges): the OOD score.
    """
    check_settings(tol, max_steps)
    z = starts.detach().clone().float()
    n = z.shape[0]
    steps = torch.zeros(n, dtype=torch.long)
    done = torch.zeros(n, dtype=torch.bool)
    diverged = torch.zeros(n, dtype=torch.bool)
    refs = None if references is None else references.float()
    dist_sum = torch.zeros(n, dtype=torch.float64)
    visited = torch.zeros(n, dtype=torch.float64)

    def visit(index: torch.Tensor, points: torch.Tensor) -> None:
        if refs is not None and len(refs):
            finite = torch.isfinite(points).all(dim=1)  # a diverging start counts its finite points only
            index, points = index[finite], points[finite].double()  # double: far points overflow float32 squares
            dist_sum[index] += torch.cdist(points, refs.double()).min(dim=1).values
            visited[index] += 1

    keep = min(int(keep_paths), n)
    paths = [z[:keep].clone()] if keep else []
    visit(torch.arange(n), z)
    for step in range(1, int(max_steps) + 1):
        active = torch.nonzero(~done).squeeze(1)
        if active.numel() == 0:
            break
        current = z[active]
        nxt = f(current)
        moved = ((nxt - current) ** 2).sum(dim=1)
        z[active] = nxt
        steps[active] = step
        finite = torch.isfinite(moved)
        newly = active[finite & (moved < tol)]
        done[newly] = True
        diverged[active[~finite]] = True  # its step overflowed: stop it, it is not converged
        done |= diverged
        visit(active[~done[active]], nxt[~done[active]])
        if keep and step % max(int(path_every), 1) == 0:
            paths.append(z[:keep].clone())
    converged = done & ~diverged & torch.isfinite(z).all(dim=1)
    mean_distance = (dist_sum / visited.clamp(min=1)).numpy() if refs is not None else None
    return Trajectories(final=z, steps=steps.numpy(), converged=converged.numpy(),
                        paths=torch.stack(paths).numpy() if keep else None, mean_distance=mean_distance)
