"""One pass over an autoencoder's latent field: starts -> trajectories -> attractors -> memorisation."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from latentlaw.latent_space.attractors import Attractors, find_attractors
from latentlaw.latent_space.field import Trajectories, check_settings, decode, encode, iterate, latent_map
from latentlaw.latent_space.memorisation import Memorisation, components_for_variance, memorisation

START_KINDS = ("train", "test", "noise")
NOISE_KINDS = ("standard", "data")


@dataclass
class FieldSettings:
    """How the field is probed. ``noise``: "standard" starts at N(0, I) as the paper does; "data" at a
    Gaussian with the training latents' mean and per-dimension spread, for latents far from unit scale."""

    n_train_starts: int = 2000
    n_test_starts: int = 1000
    n_noise_starts: int = 2000
    noise: str = "standard"
    tol: float = 1e-6
    max_steps: int = 3000
    cos_threshold: float = 0.99
    keep_paths: int = 40
    path_every: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        counts = {"n_train_starts": self.n_train_starts, "n_test_starts": self.n_test_starts,
                  "n_noise_starts": self.n_noise_starts}
        bad = {k: v for k, v in counts.items() if not isinstance(v, (int, np.integer)) or v < 0}
        if bad:
            raise ValueError(f"start counts must be whole numbers >= 0, got {bad}.")
        if int(self.n_train_starts) < 1:
            raise ValueError("n_train_starts must be >= 1: memorisation is measured on attractors reached from "
                             "training latents.")
        if self.noise not in NOISE_KINDS:
            raise ValueError(f"noise must be one of {NOISE_KINDS}, got {self.noise!r}.")
        check_settings(float(self.tol), int(self.max_steps))
        if not -1.0 < float(self.cos_threshold) < 1.0:
            raise ValueError(f"cos_threshold must lie in (-1, 1), got {self.cos_threshold}; the paper uses 0.99.")

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class FieldResult:
    starts: dict[str, torch.Tensor]
    runs: dict[str, Trajectories]
    attractors: Attractors
    decoded: np.ndarray  # D(z*) per attractor
    memorisation: Memorisation
    train_latents: torch.Tensor
    seconds: float = 0.0

    def training_attractors(self) -> np.ndarray:
        return self.attractors.reached_from("train")


def _sample(rows: torch.Tensor, n: int, rng: np.random.Generator) -> torch.Tensor:
    if n >= len(rows):
        return rows
    return rows[torch.as_tensor(np.sort(rng.choice(len(rows), n, replace=False)))]


def make_starts(train_latents: torch.Tensor, test_latents: torch.Tensor, settings: FieldSettings) -> dict[str, torch.Tensor]:
    """Seeded starts of each kind; kinds asked for zero times are left out."""
    rng = np.random.default_rng(settings.seed)
    starts = {"train": _sample(train_latents, int(settings.n_train_starts), rng)}
    if settings.n_test_starts and len(test_latents):
        starts["test"] = _sample(test_latents, int(settings.n_test_starts), rng)
    if settings.n_noise_starts:
        noise = torch.as_tensor(rng.standard_normal((int(settings.n_noise_starts), train_latents.shape[1])),
                                dtype=torch.float32)
        if settings.noise == "data":
            noise = noise * train_latents.std(dim=0) + train_latents.mean(dim=0)
        starts["noise"] = noise
    return starts


def explore(model: torch.nn.Module, train_rows: np.ndarray, test_rows: np.ndarray, settings: FieldSettings) -> FieldResult:
    """Iterate f from every start kind, merge the fixed points and measure memorisation."""
    import time

    started = time.perf_counter()
    f = latent_map(model)
    was_training = model.training
    model.eval()
    try:
        train_latents, test_latents = encode(model, train_rows), encode(model, test_rows)
        starts = make_starts(train_latents, test_latents, settings)
        runs = {kind: iterate(f, z0, float(settings.tol), int(settings.max_steps),
                              keep_paths=int(settings.keep_paths), path_every=int(settings.path_every))
                for kind, z0 in starts.items()}
        attractors = find_attractors(f, runs, float(settings.cos_threshold))
        decoded = decode(model, attractors.points) if len(attractors) else np.zeros((0, train_rows.shape[1]))
        reached = attractors.reached_from("train")
        mem = memorisation(decoded[reached], np.asarray(train_rows, dtype=np.float64),
                           np.asarray(test_rows, dtype=np.float64))
    finally:
        model.train(was_training)
    return FieldResult(starts, runs, attractors, decoded, mem, train_latents, time.perf_counter() - started)


def summarise(result: FieldResult, settings: FieldSettings) -> dict:
    """The numbers a reader wants first; every array is a list so it goes into JSON as is."""
    att, mem = result.attractors, result.memorisation
    radius = att.spectral_radius
    converged = np.concatenate([r.converged for r in result.runs.values()])
    reached_train = att.reached_from("train")
    return {
        "n_attractors": len(att),
        "n_stable_attractors": int(att.stable.sum()),
        "converged_fraction": float(converged.mean()),
        "converged_fraction_by_start": {k: r.converged_fraction for k, r in result.runs.items()},
        "n_starts": {k: int(len(v)) for k, v in result.starts.items()},
        "steps_median": {k: float(np.median(r.steps)) for k, r in result.runs.items()},
        "memorisation": mem.coefficient,
        "memorisation_std": mem.std,
        "memorisation_baseline": mem.baseline,
        "memorisation_calibrated": mem.calibrated,
        "n_training_attractors": int(len(reached_train)),
        "generalisation_components": components_for_variance(result.decoded, 0.9),
        "generalisation_components_training": components_for_variance(result.decoded[reached_train], 0.9),
        "spectral_radius_max": float(radius.max()) if len(radius) else float("nan"),
        "not_attractors": [int(i) for i in np.nonzero(~att.stable)[0]],
        "attractors": [
            {"index": i, "spectral_radius": float(radius[i]), "stable": bool(att.stable[i]),
             "basin": {k: int(att.basin(k)[i]) for k in result.runs},
             "nearest_training_cosine": (float(mem.per_attractor[list(reached_train).index(i)])
                                         if i in set(reached_train.tolist()) else None),
             "z": [float(v) for v in att.points[i]]}
            for i in range(len(att))
        ],
        "settings": settings.as_dict(),
        "seconds": result.seconds,
    }
