"""The Pareto chart in the paper's style: one bar per front member, the selected one red."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sympy  # noqa: E402


def _labels(front: pd.DataFrame, use_latex: bool) -> list[str]:
    if use_latex:
        return [f"${sympy.latex(sympy.sympify(e))}$" for e in front["sympy"]]
    return [str(e) for e in front["equation"]]


def pareto_chart(front: pd.DataFrame, selected_index: int, title: str, truth: str | None = None,
                 latex: bool = True):
    """Loss (log scale) per expression in order of complexity; falls back to plain-text labels
    where matplotlib's mathtext cannot draw sympy's LaTeX. ``latex=False`` draws plain text only:
    mathtext takes ~10 s per chart of 12-term sums, which an explain run over 32 latents cannot afford."""
    front = front.reset_index(drop=True)
    height = max(2.5, 0.38 * len(front) + 1.2)
    for use_latex in ((True, False) if latex else (False,)):
        fig, ax = plt.subplots(figsize=(8, height))
        colors = ["tab:red" if i == selected_index else "tab:blue" for i in range(len(front))]
        y = np.arange(len(front))[::-1]
        losses = np.maximum(front["loss"].astype(float).to_numpy(), 1e-16)
        ax.barh(y, losses, color=colors)
        ax.set_xscale("log")
        ax.set_yticks(y)
        ax.set_yticklabels([f"{c}: {lbl}" for c, lbl in zip(front["complexity"], _labels(front, use_latex))], fontsize=8)
        ax.set_xlabel("loss")
        ax.set_title(title + (f"\nground truth: {truth}" if truth else ""), fontsize=9)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tight_layout's notes on long labels
                fig.tight_layout()
                fig.canvas.draw()
            return fig
        except (ValueError, RuntimeError):
            plt.close(fig)
    raise RuntimeError("could not draw the Pareto chart")
