"""Beyond the paper: the field V(z) = f(z) - z of a small latent space as closed-form equations.

For latent sizes <= 3 each component of V is fitted by latentlaw's regression search on sampled z;
the fixed points of the fitted law (roots of V, found by scipy from each numerical attractor) are
compared with the attractors iteration found. Close roots mean the equations capture the dynamics,
not only the values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from latentlaw.latent_space.field import LatentMap

MAX_LATENT = 3


@dataclass
class FieldLaw:
    equations: list[str]
    losses: list[float]
    variance: list[float]  # variance of each V component on the samples: the loss's natural scale
    roots: np.ndarray  # (k, d) root found from each attractor (nan where the solver failed)
    distances: np.ndarray  # (k,) ||root - attractor||
    seconds: float


def sample_box(latents: torch.Tensor, n: int, seed: int, margin: float = 0.1) -> np.ndarray:
    """Uniform samples over the latents' bounding box, widened by ``margin`` of its size per side."""
    z = latents.double().numpy()
    low, high = z.min(axis=0), z.max(axis=0)
    pad = margin * (high - low)
    return np.random.default_rng(seed).uniform(low - pad, high + pad, size=(n, z.shape[1]))


def fit_field_law(f: LatentMap, latents: torch.Tensor, attractors: torch.Tensor, *, n_samples: int = 500,
                  timeout_in_seconds: float = 20.0, niterations: int = 40, seed: int = 0) -> FieldLaw:
    """One regression search per component of V on ``n_samples`` points over the box holding the latents
    and the attractors, then roots from each attractor."""
    import time

    from scipy.optimize import root

    from latentlaw.symbolic import SymbolicSearch

    d = int(latents.shape[1])
    if d > MAX_LATENT:
        raise ValueError(f"closed-form fields are fitted for latent sizes <= {MAX_LATENT}, not {d}.")
    started = time.perf_counter()
    Z = sample_box(torch.cat([latents, attractors.to(latents.dtype)]), int(n_samples), seed)  # the roots lie inside
    with torch.no_grad():
        V = (f(torch.as_tensor(Z, dtype=torch.float32)).double() - torch.as_tensor(Z)).numpy()
    names = [f"z{i}" for i in range(d)]
    searches = []
    for j in range(d):
        search = SymbolicSearch(objective="regression", timeout_in_seconds=timeout_in_seconds, niterations=niterations,
                                random_state=seed + j, verbosity=0, maxsize=25)
        searches.append(search.fit(Z, V[:, j], variable_names=names))

    def law(z: np.ndarray) -> np.ndarray:
        return np.array([s.predict(z[None, :])[0] for s in searches])

    points = attractors.double().numpy()
    roots = np.full_like(points, np.nan)
    for i, z0 in enumerate(points):
        with np.errstate(all="ignore"):
            solution = root(law, z0, method="hybr")
        if solution.success and np.all(np.isfinite(solution.x)):
            roots[i] = solution.x
    distances = np.linalg.norm(roots - points, axis=1) if len(points) else np.zeros(0)
    return FieldLaw([str(s.sympy()) for s in searches],
                    [float(s.pareto_front_["loss"].iloc[s.best_index_]) for s in searches],
                    [float(v) for v in V.var(axis=0)], roots, distances, time.perf_counter() - started)
