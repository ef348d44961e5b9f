"""Pictures of the latent field: streamplot (2-d), PCA with trajectories (any size), decoded attractors."""

from __future__ import annotations

import numpy as np
import torch

from latentlaw.latent_space.field import LatentMap


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, ax, attractors: np.ndarray, title: str, labels: tuple[str, str]):
    """Attractors as red stars on top, axis labels, title, legend: what every field picture ends with."""
    if len(attractors):
        ax.scatter(attractors[:, 0], attractors[:, 1], marker="*", s=150, c="red", edgecolors="black", zorder=5,
                   label="attractors")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_title(title, fontsize=9)
    ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def streamplot(f: LatentMap, latents: torch.Tensor, attractors: torch.Tensor, basin_of: np.ndarray,
               title: str, grid: int = 40):
    """V over the training latents' range, the latents coloured by the attractor they flow to
    (grey: did not converge), attractors as stars."""
    plt = _pyplot()
    z = latents.double().numpy()
    a = attractors.double().numpy()
    both = np.r_[z, a]
    low, high = both.min(axis=0), both.max(axis=0)
    pad = 0.1 * (high - low)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], grid)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], grid)
    X, Y = np.meshgrid(xs, ys)
    points = torch.as_tensor(np.c_[X.ravel(), Y.ravel()], dtype=torch.float32)
    with torch.no_grad():
        V = (f(points) - points).double().numpy()
    fig, ax = plt.subplots(figsize=(6, 5))
    speed = np.hypot(V[:, 0], V[:, 1]).reshape(X.shape)
    ax.streamplot(xs, ys, V[:, 0].reshape(X.shape), V[:, 1].reshape(X.shape), color=speed, cmap="viridis",
                  density=1.2, linewidth=0.7)
    ax.scatter(z[basin_of < 0, 0], z[basin_of < 0, 1], s=4, c="lightgrey")
    ax.scatter(z[basin_of >= 0, 0], z[basin_of >= 0, 1], s=4, c=basin_of[basin_of >= 0], cmap="tab20", alpha=0.7)
    return _finish(fig, ax, a, title, ("z0", "z1"))


def pca_trajectories(latents: torch.Tensor, paths: np.ndarray | None, attractors: torch.Tensor, title: str):
    """Training latents, some trajectories and the attractors on the latents' first two principal axes."""
    from sklearn.decomposition import PCA

    plt = _pyplot()
    z = latents.double().numpy()
    pca = PCA(n_components=min(2, z.shape[1])).fit(z)

    def project(points: np.ndarray) -> np.ndarray:
        out = pca.transform(points)
        return out if out.shape[1] == 2 else np.c_[out, np.zeros(len(out))]

    fig, ax = plt.subplots(figsize=(6, 5))
    p = project(z)
    ax.scatter(p[:, 0], p[:, 1], s=3, c="lightgrey", label="training latents")
    if paths is not None and paths.size:
        for j in range(paths.shape[1]):
            track = project(paths[:, j, :])
            ax.plot(track[:, 0], track[:, 1], lw=0.6, alpha=0.7)
            ax.scatter(track[0, 0], track[0, 1], s=6, c="black")
    a = project(attractors.double().numpy()) if len(attractors) else np.zeros((0, 2))
    return _finish(fig, ax, a, title, ("PC 1", "PC 2"))


def image_grid(decoded: np.ndarray, nearest: np.ndarray | None, image_shape: tuple[int, ...], title: str,
               max_images: int = 32):
    """Decoded attractors (top row of each pair) above their nearest training image, when given."""
    plt = _pyplot()
    n = min(len(decoded), max_images)
    rows = 1 if nearest is None else 2
    cols = max(n, 1)
    fig, axes = plt.subplots(rows, cols, figsize=(0.9 * cols + 0.6, 1.0 * rows + 0.5), squeeze=False)
    for i in range(cols):
        for r in range(rows):
            axes[r][i].axis("off")
        if i >= n:
            continue
        axes[0][i].imshow(decoded[i].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
        if nearest is not None:
            axes[1][i].imshow(nearest[i].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
    axes[0][0].set_title("D(z*)", fontsize=7, loc="left")
    if nearest is not None:
        axes[1][0].set_title("nearest train", fontsize=7, loc="left")
    fig.suptitle(title, fontsize=9)
    return fig
