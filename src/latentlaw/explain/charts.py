"""The Pareto chart in the paper's style: one bar per front member, the selected one red."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from latentlaw.symbolic.export_sympy import as_sympy, equation_latex  # noqa: E402


def _labels(front: pd.DataFrame, use_latex: bool) -> list[str]:
    if use_latex:
        return [f"${equation_latex(as_sympy(e, None))}$" for e in front["sympy"]]  # restricted parser for text
    return [str(e) for e in front["equation"]]


MAX_LABEL = 70  # characters of an equation label; longer ones are cut with an ellipsis


def readable_labels(labels: list[str], plain: list[str], limit: int = MAX_LABEL) -> list[str]:
    """Labels that fit beside a bar: a LaTeX label too long to draw is replaced by its plain
    text, and plain text longer than ``limit`` is cut (the full equations are in the front table)."""
    out = []
    for label, text in zip(labels, plain):
        if len(label) > limit:
            label = text if len(text) <= limit else text[:limit - 1].rstrip() + "\u2026"
        out.append(label)
    return out


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
        labels = readable_labels(_labels(front, use_latex), [str(e) for e in front["equation"]])
        ax.set_yticklabels([f"{c}: {lbl}" for c, lbl in zip(front["complexity"], labels)], fontsize=8)
        ax.set_xlabel("loss")
        ax.set_title(title + (f"\nground truth: {readable_labels([truth], [truth], 2 * MAX_LABEL)[0]}" if truth else ""),
                     fontsize=9)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tight_layout's notes on long labels
                fig.tight_layout()
                fig.canvas.draw()
            return fig
        except (ValueError, RuntimeError):
            plt.close(fig)
    raise RuntimeError("could not draw the Pareto chart")
