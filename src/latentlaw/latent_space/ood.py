"""Out-of-distribution scores: how far a latent trajectory stays from the training attractors."""

from __future__ import annotations

import numpy as np
import torch


def nearest_distance(points: torch.Tensor, reference: torch.Tensor) -> np.ndarray:
    """Each point's Euclidean distance to its nearest reference point (the KNN baseline with k = 1)."""
    return torch.cdist(points.float(), reference.float()).min(dim=1).values.double().numpy()


def detection(in_scores: np.ndarray, out_scores: np.ndarray) -> dict[str, float]:
    """AUROC (out-of-distribution = positive, higher score = more OOD) and the false-positive rate
    at 95% true positives, the two numbers the OOD literature reports."""
    from sklearn.metrics import roc_auc_score, roc_curve

    y = np.r_[np.zeros(len(in_scores)), np.ones(len(out_scores))]
    s = np.r_[in_scores, out_scores]
    if np.isnan(s).any():
        raise ValueError("OOD scores contain NaN; every start needs a finite score.")
    s = np.minimum(s, np.finfo(np.float64).max)  # +inf (a trajectory that left every bound) ranks as most OOD
    fpr, tpr, _ = roc_curve(y, s)
    return {"auroc": float(roc_auc_score(y, s)), "fpr95": float(fpr[np.searchsorted(tpr, 0.95)])}
