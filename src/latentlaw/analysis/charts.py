"""The reports' figures: matplotlib only, Agg backend, sized to stay legible from 2 to ~400 features."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label_size(n: int) -> float:
    return 7.0 if n <= 60 else 5.0


def feature_heatmap(features: Any, variables: list[str], order: list[str], title: str) -> Any:
    """Latents x features: the network's saliency above, the equation's gradient share below (dots
    where the equation uses the feature); features in ``order`` (most important first), so the
    redundant tail sits on the right. Each feature gets its own labelled column at any width."""
    plt = _pyplot()
    index = [variables.index(f) for f in order]
    saliency = features.saliency[:, index]
    share = features.equation_share[:, index]
    used = features.in_equation[:, index]
    k, d = saliency.shape
    width = min(3.0 + 0.13 * d, 60.0)  # ~0.13 in (15 px at 120 dpi) per labelled column
    fig, axes = plt.subplots(2, 1, figsize=(width, 1.6 + 0.5 * k), sharex=True)
    labels = [f"z{i} ({w:.0%})" for i, w in enumerate(features.weight)]
    for ax, matrix, name in ((axes[0], saliency, "network saliency |dz/dx| (share per latent)"),
                             (axes[1], share, "equation gradient-energy share (dots: in the equation)")):
        image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap="viridis", vmin=0,
                          vmax=max(float(np.nanmax(matrix)) if np.isfinite(matrix).any() else 1.0, 1e-12),
                          interpolation="nearest")
        ax.set_yticks(range(k), labels, fontsize=7)
        ax.set_title(name, fontsize=9, loc="left")
        fig.colorbar(image, ax=ax, fraction=0.02 if d > 60 else 0.04, pad=0.01)
    rows, cols = np.nonzero(used)
    axes[1].scatter(cols, rows, s=6 if d > 100 else 12, c="red", marker="o", linewidths=0)
    axes[1].set_xticks(range(d), order, rotation=90, fontsize=_label_size(d))
    axes[1].set_xlabel("feature (most important first)", fontsize=8)
    fig.suptitle(f"latent x feature: {title} (latent weight = share of the reconstruction it carries)", fontsize=9)
    fig.tight_layout()
    return fig


def importance_chart(table: pd.DataFrame, dataset: str, top_k: int) -> Any:
    """Horizontal bars of the most important features (all of them up to 60), redundant ones in red."""
    plt = _pyplot()
    shown = table if len(table) <= max(top_k, 60) else table.head(top_k)
    n = len(shown)
    fig, ax = plt.subplots(figsize=(7.0, 1.2 + 0.2 * n))
    colors = ["tab:red" if r else "tab:blue" for r in shown["redundant"]]
    ax.barh(range(n), shown["importance"], color=colors, label="importance")
    ax.plot(shown["saliency"], range(n), "k|", markersize=8, label="network saliency")
    ax.set_yticks(range(n), shown["feature"], fontsize=_label_size(n))
    ax.invert_yaxis()
    more = f" (top {n} of {len(table)})" if n < len(table) else ""
    ax.set_title(f"feature importance, {dataset}{more}; red: redundant", fontsize=9)
    ax.set_xlabel("importance: share of what the latents carry x reconstruction R^2", fontsize=8)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def reconstruction_chart(runs: pd.DataFrame, curve: pd.DataFrame, law: dict[str, Any], knee: int | None,
                         title: str) -> Any:
    """Test error of every run against latent size, the per-size means, the fitted law and the knee."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for dataset, part in runs.groupby("dataset"):
        ax.scatter(part["latent_size"], part["test_loss"], s=14, alpha=0.6, label=f"runs ({dataset})")
    ax.plot(curve["latent_size"], curve["mean_error"], "k.-", label="mean per size")
    for i, (dataset, grid) in enumerate(law.get("grid", {}).items()):
        label = f"law: {law['equation'][:60]}" if i == 0 else None
        ax.plot(grid["latent_size"], grid["prediction"], "r-", label=label)
    if knee is not None:
        ax.axvline(knee, color="gray", linestyle="--", label=f"knee: latent size {knee}")
    ax.set_xscale("log", base=2)
    if (runs["test_loss"] > 0).all() and all(np.all(np.asarray(g["prediction"]) > 0) for g in law.get("grid", {}).values()):
        ax.set_yscale("log")
    ax.set_xlabel("latent size")
    ax.set_ylabel("test reconstruction error (MSE)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
