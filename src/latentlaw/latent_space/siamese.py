"""How well a trained network's latents track the known law (the paper's Fig. 2)."""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import spearmanr

from latentlaw.data.base import TripletDataset
from latentlaw.data.truth import evaluate_expression


@torch.no_grad()
def latents(model: torch.nn.Module, X: np.ndarray, batch_size: int = 8192) -> np.ndarray:
    """model.encode over X in batches, as float64 (n, latent_size)."""
    model.eval()
    parts = [model.encode(torch.as_tensor(X[i:i + batch_size], dtype=torch.float32)) for i in range(0, len(X), batch_size)]
    return torch.cat(parts).double().numpy()


def invariant_agreement(model: torch.nn.Module, dataset: TripletDataset) -> tuple[dict[str, float], dict]:
    """|Spearman rho| between each latent neuron and each ground truth on test anchors.

    Rank correlation because the network learns the law only up to a monotone map; the
    sign is arbitrary, hence the absolute value. ``spearman_abs`` is the best pair.
    """
    X = dataset.test.anchor
    z = latents(model, X)
    metrics: dict[str, float] = {}
    best = (-1.0, 0, 0)
    truths = [evaluate_expression(expr, dataset.variables, X) for expr in dataset.ground_truth]
    for t, truth in enumerate(truths):
        for j in range(z.shape[1]):
            rho = spearmanr(z[:, j], truth).statistic
            rho = 0.0 if not np.isfinite(rho) else abs(float(rho))
            metrics[f"spearman_abs_truth{t}_neuron{j}"] = rho
            if rho > best[0]:
                best = (rho, t, j)
    metrics["spearman_abs"] = best[0]
    return metrics, {"latents": z, "truths": truths, "best_truth": best[1], "best_neuron": best[2]}


def latent_vs_truth_figure(dataset: TripletDataset, detail: dict, max_points: int = 3000):
    """Scatter of the best latent neuron against each ground truth, one panel per truth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    z = detail["latents"][:, detail["best_neuron"]]
    truths = detail["truths"]
    idx = np.random.default_rng(0).permutation(len(z))[:max_points]
    fig, axes = plt.subplots(1, len(truths), figsize=(4.2 * len(truths), 3.6), squeeze=False)
    for ax, expr, truth in zip(axes[0], dataset.ground_truth, truths):
        ax.scatter(truth[idx], z[idx], s=3, alpha=0.5)
        ax.set_xlabel(f"ground truth: {expr}", fontsize=8)
        ax.set_ylabel(f"latent neuron {detail['best_neuron']}")
    fig.suptitle(f"{dataset.name}: latent vs ground truth (test anchors)", fontsize=10)
    fig.tight_layout()
    return fig
