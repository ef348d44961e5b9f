"""Report ``recovery`` (the default): which laws each explainer recovered, per experiment, from MLflow alone."""

from __future__ import annotations

from typing import Any

import pandas as pd
from omegaconf import DictConfig

from latentlaw.analysis import AnalysisError, Report
from latentlaw.analysis.published import PAPER_DIRECT_REGRESSION, paper_verdicts  # noqa: F401  (re-exported)
from latentlaw.tracking import record
from latentlaw.tracking.ui import code_span

EXPLAINERS = ("symbolic_gradient", "direct_regression")


def latest_explain_runs(experiments: list[str] | None) -> pd.DataFrame:
    """Newest finished explain run per (experiment, explainer)."""
    import mlflow

    runs = mlflow.search_runs(filter_string=record.search_filter({record.TASK: record.TASK_EXPLAIN})
                              + " and attributes.status = 'FINISHED'",
                              order_by=["attributes.start_time DESC"], search_all_experiments=True)
    if runs.empty:
        return runs
    runs = runs.copy()
    for tag in (record.EXPERIMENT, record.DATASET, record.EXPLAINER):  # absent when no run has the tag
        if f"tags.{tag}" not in runs:
            runs[f"tags.{tag}"] = None
    runs["key"] = runs[f"tags.{record.EXPERIMENT}"].fillna("")
    blank = runs["key"] == ""
    runs.loc[blank, "key"] = "dataset/" + runs.loc[blank, f"tags.{record.DATASET}"].fillna("?")
    if experiments:
        runs = runs[runs["key"].isin(list(experiments))]
    return runs.drop_duplicates(subset=["key", f"tags.{record.EXPLAINER}"], keep="first")


def _cell(runs: pd.DataFrame, key: str, explainer: str) -> dict[str, Any]:
    row = runs[(runs["key"] == key) & (runs[f"tags.{record.EXPLAINER}"] == explainer)]
    if row.empty:
        return {"expression": "", "recovered": None, "exact_form": None, "alignment": None, "seconds": None,
                "concepts": None, "run_id": ""}
    r = row.iloc[0]
    recovered, exact = r.get(f"tags.{record.RECOVERED}"), r.get(f"tags.{record.EXACT_FORM}")
    return {
        "expression": r.get(f"tags.{record.EQUATION}") or "",
        "recovered": None if recovered not in ("true", "false") else recovered == "true",
        "exact_form": None if exact not in ("true", "false") else exact == "true",  # older runs lack it
        "alignment": r.get(f"metrics.{record.ALIGNMENT_METRIC}"),
        "seconds": r.get(f"metrics.{record.SEARCH_SECONDS_METRIC}"),
        "concepts": r.get(f"metrics.{record.N_CONCEPTS_METRIC}"),  # runs before explainer.n_concepts lack it
        "run_id": r["run_id"],
    }


def recovery_table(experiments: list[str] | None = None) -> pd.DataFrame:
    """One row per experiment: truth, each explainer's expression, verdict, alignment, time."""
    runs = latest_explain_runs(experiments)
    if runs.empty:
        return pd.DataFrame()
    rows = []
    for key in sorted(runs["key"].unique()):
        truth = runs.loc[runs["key"] == key, f"tags.{record.GROUND_TRUTH}"].dropna()
        sg, dr = (_cell(runs, key, e) for e in EXPLAINERS)
        paper_sg, paper_dr = paper_verdicts(key)
        rows.append({
            "experiment": key,
            "ground_truth": truth.iloc[0] if len(truth) else "",
            "symbolic_gradient": sg["expression"],
            "sg_recovered": sg["recovered"],
            "sg_exact_form": sg["exact_form"],
            "sg_alignment": sg["alignment"],
            "sg_seconds": sg["seconds"],
            "sg_concepts": sg["concepts"],
            "direct_regression": dr["expression"],
            "dr_recovered": dr["recovered"],
            "dr_exact_form": dr["exact_form"],
            "dr_alignment": dr["alignment"],
            "dr_seconds": dr["seconds"],
            "paper_sg_recovered": paper_sg,
            "paper_dr_recovered": paper_dr,
            "sg_run": sg["run_id"],
            "dr_run": dr["run_id"],
        })
    return pd.DataFrame(rows)


def _mark(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


LAW_COLUMNS = ("ground_truth", "symbolic_gradient", "direct_regression")


def to_markdown(table: pd.DataFrame) -> str:
    """A plain markdown table (no extra dependency) with a totals line."""
    cols = [("experiment", "experiment"), ("ground_truth", "ground truth"),
            ("symbolic_gradient", "symbolic gradient"), ("sg_recovered", "rec."), ("sg_exact_form", "form"),
            ("sg_alignment", "align."), ("sg_concepts", "laws"), ("sg_seconds", "s"),
            ("direct_regression", "direct regression"), ("dr_recovered", "rec."), ("dr_exact_form", "form"),
            ("dr_alignment", "align."),
            ("paper_sg_recovered", "paper SG"), ("paper_dr_recovered", "paper DR")]
    lines = ["| " + " | ".join(h for _, h in cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = []
        for c, _ in cols:
            v = r[c]
            if c in ("sg_alignment", "dr_alignment") and v is not None and pd.notna(v):
                v = f"{float(v):.5f}"
            elif c == "sg_seconds" and v is not None and pd.notna(v):
                v = f"{float(v):.1f}"
            elif c == "sg_concepts" and v is not None and pd.notna(v):
                v = str(int(v))
            if c in LAW_COLUMNS and isinstance(v, str) and v:
                cells.append(code_span(v))  # laws in code spans: ** must not render as bold
            else:
                cells.append(_mark(v).replace("|", "\\|"))
        lines.append("| " + " | ".join(cells) + " |")
    n = len(table)
    counts = verdict_counts(table)
    lines.append("")
    lines.append(f"Recovered: symbolic gradients {counts['sg_recovered']}/{n} ({counts['sg_exact_form']} in the exact "
                 f"form), direct regression {counts['dr_recovered']}/{n} ({counts['dr_exact_form']} in the exact form) "
                 "(paper, judged by hand: symbolic gradients 12/12, direct regression 7/12).")
    lines.append("laws: how many laws (concepts) the symbolic-gradient row has, set by explainer.n_concepts or "
                 "chosen by auto; rec.: aligned with the truth to 1e-3 (several laws: the same gradient span); "
                 "form: with its constants refitted, the expression is the law up to an invertible function "
                 "(an approximation of another form is not).")
    return "\n".join(lines)


def verdict_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many experiments each verdict column says yes to (unknown counts as no)."""
    columns = ("sg_recovered", "sg_exact_form", "dr_recovered", "dr_exact_form")
    return {c: int((table[c] == True).sum()) for c in columns}  # noqa: E712


def recovery_figure(table: pd.DataFrame):
    """Verdict grid: ours beside the paper's, for both explainers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    columns = [("sg_recovered", "symbolic gradient\n(latentlaw)"), ("paper_sg_recovered", "symbolic gradient\n(paper)"),
               ("dr_recovered", "direct regression\n(latentlaw)"), ("paper_dr_recovered", "direct regression\n(paper)")]
    code = {True: 1.0, False: 0.0, None: 0.5}
    grid = np.array([[code.get(None if pd.isna(v) else bool(v), 0.5) for v in table[c]] for c, _ in columns]).T
    fig, ax = plt.subplots(figsize=(6.5, 0.4 * len(table) + 1.6))
    ax.imshow(grid, cmap="RdYlGn", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(columns)), [h for _, h in columns], fontsize=8)
    ax.set_yticks(range(len(table)), list(table["experiment"]), fontsize=8)
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j, i, {1.0: "yes", 0.0: "no"}.get(v, "-"), ha="center", va="center", fontsize=8)
    ax.set_title("laws recovered", fontsize=10)
    fig.tight_layout()
    return fig


def analyze(cfg: DictConfig) -> pd.DataFrame:
    """Build the recovery table, print-ready, and log it to an analysis run."""
    import mlflow

    from latentlaw.tracking import configure_tracking, log_config, tracked_run
    from latentlaw.tracking.runs import log_figure

    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    experiments = list(cfg.experiments) if cfg.get("experiments") else None
    table = recovery_table(experiments)
    if table.empty:
        raise AnalysisError(f"no finished explain runs in {mlflow.get_tracking_uri()}"
                          + (f" for experiments {experiments}" if experiments else "")
                          + "; run train.py and explain.py first.")
    with tracked_run("analysis-recovery", {record.TASK: record.TASK_ANALYZE, record.ANALYSIS: "recovery"}):
        log_config(cfg)
        markdown = to_markdown(table)
        mlflow.log_text(markdown, record.RECOVERY_MARKDOWN)
        mlflow.log_text(table.to_csv(index=False), record.RECOVERY_CSV)
        mlflow.log_table(table.astype(str), record.RECOVERY_TABLE)
        log_figure(recovery_figure(table), record.RECOVERY_PLOT)
        counts = verdict_counts(table)
        mlflow.log_metrics({
            "n_experiments": float(len(table)),
            "recovered_symbolic_gradient": float(counts["sg_recovered"]),
            "recovered_direct_regression": float(counts["dr_recovered"]),
            "exact_form_symbolic_gradient": float(counts["sg_exact_form"]),
            "exact_form_direct_regression": float(counts["dr_exact_form"]),
        })
    return table


def run(cfg: DictConfig) -> Report:
    """analyze.py analysis=recovery: the table, printed; Hydra gets the symbolic-gradient count."""
    table = analyze(cfg)
    return Report(text=to_markdown(table), value=float(verdict_counts(table)["sg_recovered"]), data=table)
