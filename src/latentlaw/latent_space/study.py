"""Across runs: how the latent field changes with latent size (the study's aggregation report).

Reads only MLflow: the newest finished latent-field explain run per training run of an experiment,
its summary and dictionary table, and the training run's callback curve. The lead registers
``latent_field_report`` in the analysis registry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from latentlaw.tracking import record

COLUMNS = ["latent_size", "test_loss", "n_attractors", "n_stable", "converged", "memorisation", "baseline",
           "calibrated", "components_90", "omp_attractors", "omp_orthogonal", "ood_auroc", "knn_auroc",
           "curve_points", "train_run", "field_run"]


def _field_runs(experiment_name: str | None) -> list:
    import mlflow

    query = record.search_filter({record.TASK: record.TASK_EXPLAIN, record.EXPLAINER: record.EXPLAINER_LATENT_FIELD})
    query += " and attributes.status = 'FINISHED'"
    kwargs: dict[str, Any] = {"search_all_experiments": True}
    if experiment_name:
        experiment = mlflow.get_experiment_by_name(experiment_name)
        if experiment is None:
            raise LookupError(f"no MLflow experiment {experiment_name!r} in {mlflow.get_tracking_uri()}; run the study "
                              "first (python bench/latent_field_study.py).")
        kwargs = {"experiment_ids": [experiment.experiment_id]}
    runs = mlflow.search_runs(filter_string=query, order_by=["attributes.start_time DESC"], output_format="list",
                              **kwargs)
    newest: dict[str, Any] = {}
    for run in runs:
        newest.setdefault(run.data.tags.get(record.TRAIN_RUN, ""), run)
    return list(newest.values())


def study_rows(experiment_name: str | None = None, sparsity: float = 0.05,
               train_runs: list[str] | None = None) -> tuple[pd.DataFrame, dict[str, list]]:
    """One row per trained model (sorted by latent size; only ``train_runs`` when given) and each
    model's callback curve of attractors."""
    import mlflow

    client = mlflow.tracking.MlflowClient()
    rows, curves = [], {}
    for run in _field_runs(experiment_name):
        if train_runs is not None and run.data.tags.get(record.TRAIN_RUN) not in train_runs:
            continue
        summary = mlflow.artifacts.load_dict(f"runs:/{run.info.run_id}/{record.LATENT_FIELD_SUMMARY}")
        train_id = run.data.tags[record.TRAIN_RUN]
        parent = mlflow.get_run(train_id)
        size = int(parent.data.tags.get(record.LATENT_SIZE, "0") or 0)
        history = client.get_metric_history(train_id, record.LF_ATTRACTORS_METRIC)
        curves[str(size)] = [(m.step, m.value) for m in sorted(history, key=lambda m: m.step)]
        table = summary.get("dictionary", {})
        share = table.get("sparsity", [])
        at = share.index(sparsity) if sparsity in share else None
        ood = summary.get("ood", {})
        rows.append({
            "latent_size": size, "test_loss": parent.data.metrics.get("test_loss", float("nan")),
            "n_attractors": summary["n_attractors"], "n_stable": summary["n_stable_attractors"],
            "converged": summary["converged_fraction"], "memorisation": summary["memorisation"],
            "baseline": summary["memorisation_baseline"], "calibrated": summary["memorisation_calibrated"],
            "components_90": summary["generalisation_components"],
            "omp_attractors": table["attractor_mse"][at] if at is not None else float("nan"),
            "omp_orthogonal": table["orthogonal_mse"][at] if at is not None else float("nan"),
            "ood_auroc": ood.get("trajectory", {}).get("auroc", float("nan")),
            "knn_auroc": ood.get("knn", {}).get("auroc", float("nan")),
            "curve_points": len(history), "train_run": train_id, "field_run": run.info.run_id,
        })
    frame = pd.DataFrame(rows, columns=COLUMNS).sort_values("latent_size").reset_index(drop=True)
    return frame, curves


def spearman_size_vs_calibrated(frame: pd.DataFrame) -> float:
    from scipy.stats import spearmanr

    finite = frame.dropna(subset=["calibrated"])
    if len(finite) < 3:
        return float("nan")
    return float(spearmanr(finite["latent_size"], finite["calibrated"]).statistic)


def markdown(frame: pd.DataFrame, rho: float, sparsity: float = 0.05) -> str:
    lines = ["| latent | test MSE | attractors (stable) | converged | memorisation | held-out baseline | calibrated | "
             f"SVs for 90% | OMP MSE attractors @{sparsity:.0%} | OMP MSE orthogonal | OOD AUROC trajectory | "
             "OOD AUROC nearest latent |", "|" + "---|" * 12]
    for r in frame.itertuples():
        lines.append(f"| {r.latent_size} | {r.test_loss:.4f} | {r.n_attractors} ({r.n_stable}) | {r.converged:.2f} | "
                     f"{r.memorisation:.3f} | {r.baseline:.3f} | {r.calibrated:.3f} | {r.components_90} | "
                     f"{r.omp_attractors:.4f} | {r.omp_orthogonal:.4f} | {r.ood_auroc:.3f} | {r.knn_auroc:.3f} |")
    wins = int((frame["omp_attractors"] < frame["omp_orthogonal"]).sum())
    lines += ["", f"Spearman(latent size, calibrated memorisation) = {rho:.2f} over {len(frame)} models; "
                  f"attractors beat the random orthogonal basis at {sparsity:.0%} sparsity for {wins}/{len(frame)}."]
    return "\n".join(lines)


def _by_size(ax, frame: pd.DataFrame, columns: dict[str, str], ylabel: str) -> None:
    """Columns of the study table against latent size (log2 axis), solid then dashed."""
    for (column, label), style in zip(columns.items(), ("o-", "s--")):
        ax.plot(frame["latent_size"], frame[column], style, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("latent size")
    ax.set_ylabel(ylabel)


def figure(frame: pd.DataFrame, curves: dict[str, list]):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    ax = axes[0]
    _by_size(ax, frame, {"memorisation": "memorisation (raw)", "baseline": "held-out baseline"},
             "best cosine to a training sample")
    ax2 = ax.twinx()
    ax2.plot(frame["latent_size"], frame["calibrated"], "^-", color="C3", label="calibrated (right)")
    ax2.axhline(0, color="C3", lw=0.5)
    ax2.set_ylabel("calibrated share")
    ax.legend(loc="lower left", fontsize=7)
    ax2.legend(loc="lower right", fontsize=7)
    ax = axes[1]
    for size, points in sorted(curves.items(), key=lambda kv: int(kv[0])):
        if points:
            ax.plot([p[0] + 1 for p in points], [p[1] for p in points], "o-", ms=3, label=f"latent {size}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("attractors from training latents")
    ax.legend(fontsize=7)
    _by_size(axes[2], frame, {"omp_attractors": "decoded noise attractors", "omp_orthogonal": "random orthogonal basis"},
             "OMP reconstruction MSE (test)")
    axes[2].legend(fontsize=7)
    fig.tight_layout()
    return fig


def latent_field_report(experiment_name: str | None = None, log: bool = True, out_dir: str | Path | None = None,
                        sparsity: float = 0.05, train_runs: list[str] | None = None) -> dict[str, Any]:
    """The study table (one row per latent size), Spearman of size vs calibrated memorisation, and the
    figure; logged to an analysis run when ``log``, written to ``out_dir`` when given. ``train_runs``
    restricts it to those training runs (e.g. one execution of the study)."""
    import mlflow

    from latentlaw.tracking import tracked_run
    from latentlaw.tracking.runs import log_figure

    frame, curves = study_rows(experiment_name, sparsity, train_runs)
    if frame.empty:
        raise LookupError(f"no finished latent-field runs{' in ' + repr(experiment_name) if experiment_name else ''}; "
                          "run explain.py explainer=latent_field on trained autoencoders first.")
    rho = spearman_size_vs_calibrated(frame)
    text = markdown(frame, rho, sparsity)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        figure(frame, curves).savefig(out / record.LATENT_FIELD_STUDY_PLOT, dpi=80, bbox_inches="tight")
    if log:
        with tracked_run("latent_field_study", {record.TASK: record.TASK_ANALYZE,
                                                record.EXPLAINER: record.EXPLAINER_LATENT_FIELD}):
            mlflow.log_text(text, record.LATENT_FIELD_STUDY_TABLE)
            mlflow.log_table(frame.to_dict(orient="list"), record.LATENT_FIELD_STUDY_ROWS)
            if np.isfinite(rho):
                mlflow.log_metric("spearman_size_calibrated", rho)
            log_figure(figure(frame, curves), record.LATENT_FIELD_STUDY_PLOT)
    return {"table": frame, "spearman": rho, "markdown": text, "curves": curves}
