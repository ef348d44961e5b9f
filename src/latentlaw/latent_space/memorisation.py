"""Do the attractors decode to training samples (memorisation) or to something new (generalisation)?"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def best_cosine(queries: np.ndarray, reference: np.ndarray, batch_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the highest cosine similarity to any reference row, and which row."""
    ref = reference / np.maximum(np.linalg.norm(reference, axis=1, keepdims=True), 1e-12)
    best, where = np.empty(len(queries)), np.empty(len(queries), dtype=np.int64)
    for i in range(0, len(queries), batch_size):
        q = queries[i:i + batch_size]
        sims = (q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)) @ ref.T
        where[i:i + batch_size] = sims.argmax(axis=1)
        best[i:i + batch_size] = sims.max(axis=1)
    return best, where


@dataclass
class Memorisation:
    """The paper's coefficient (mean +- std over attractors reached from training latents of the best
    cosine between D(z*) and a training sample), the same for held-out samples (the baseline a
    model that stores nothing already reaches when the data are redundant) and the calibrated share."""

    coefficient: float
    std: float
    baseline: float
    per_attractor: np.ndarray
    nearest_training_row: np.ndarray

    @property
    def calibrated(self) -> float:
        """How far above the baseline the attractors sit, as a share of the way to a perfect copy:
        (m - b) / (1 - b). 0: no closer to the training set than unseen data; 1: exact copies."""
        if not np.isfinite(self.coefficient) or self.baseline >= 1.0:
            return float("nan")
        return float((self.coefficient - self.baseline) / (1.0 - self.baseline))


def memorisation(decoded_attractors: np.ndarray, train_rows: np.ndarray, heldout_rows: np.ndarray) -> Memorisation:
    """Memorisation of the decoded attractors reached from training latents, calibrated on held-out rows."""
    if len(heldout_rows) == 0 or len(train_rows) == 0:
        raise ValueError("memorisation needs training rows and held-out rows to calibrate against.")
    baseline = float(best_cosine(heldout_rows, train_rows)[0].mean())
    if len(decoded_attractors) == 0:
        return Memorisation(float("nan"), float("nan"), baseline, np.zeros(0), np.zeros(0, dtype=np.int64))
    per, where = best_cosine(decoded_attractors, train_rows)
    return Memorisation(float(per.mean()), float(per.std()), baseline, per, where)


def components_for_variance(rows: np.ndarray, share: float = 0.9) -> int:
    """How many singular vectors of the centred rows hold ``share`` of their variance (the paper's
    generalisation measure: few for prototypes, many for a spread of distinct samples)."""
    if len(rows) < 2:
        return len(rows)
    s = np.linalg.svd(rows - rows.mean(axis=0), compute_uv=False)
    energy = s ** 2
    if energy.sum() <= 0:
        return 0
    return int(np.searchsorted(np.cumsum(energy) / energy.sum(), share) + 1)
