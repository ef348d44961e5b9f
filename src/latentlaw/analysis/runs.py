"""Finding the autoencoder runs a report reads, and refusing, with the fix, when they are not there.

Every check here runs before a report opens its analysis run, so a store that cannot answer the
question leaves no half-written run behind.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from latentlaw.analysis import AnalysisError
from latentlaw.tracking import record

TRAIN_EXAMPLE = ("python train.py -m dataset=covertype_synthetic model=autoencoder trainer=fast "
                 "seed=0,1,2")


def _tag(name: str) -> str:
    return f"tags.{name}"


def finished_runs(tags: dict[str, str]) -> pd.DataFrame:
    """Finished runs of every experiment carrying these tags, newest first (empty frame if none)."""
    import mlflow

    query = record.search_filter(tags) + " and attributes.status = 'FINISHED'"
    runs = mlflow.search_runs(filter_string=query, order_by=["attributes.start_time DESC"],
                              search_all_experiments=True)
    return runs.reset_index(drop=True)


def autoencoder_runs() -> pd.DataFrame:
    """Finished training runs on tables, one row each: run_id, dataset, seed, latent_size, test_loss."""
    runs = finished_runs({record.TASK: record.TASK_TRAIN, record.DATA_KIND: "table"})
    columns = ["run_id", "run_name", "dataset", "seed", "latent_size", "test_loss", "start_time"]
    if runs.empty:
        return pd.DataFrame(columns=columns)

    def column(name: str) -> pd.Series:
        return runs[name] if name in runs.columns else pd.Series([None] * len(runs), index=runs.index)

    frame = pd.DataFrame({
        "run_id": runs["run_id"],
        "run_name": column("tags.mlflow.runName"),
        "dataset": column(_tag(record.DATASET)).fillna("?"),
        "seed": column(_tag(record.SEED)).fillna("?").astype(str),
        "latent_size": pd.to_numeric(column(_tag(record.LATENT_SIZE)), errors="coerce"),
        "test_loss": pd.to_numeric(column(f"metrics.{record.TEST_LOSS_METRIC}"), errors="coerce"),
        "start_time": runs["start_time"],
    })
    return frame


def choose_datasets(runs: pd.DataFrame, wanted: str | Sequence[str] | None, report: str,
                    several: bool = False) -> list[str]:
    """The dataset(s) to analyse: the one asked for, else the only one present.

    Runs of several datasets without a choice are refused, naming them and the ``analysis.dataset=`` key.
    """
    present = sorted(runs["dataset"].unique()) if len(runs) else []
    if not present:
        raise AnalysisError(f"no finished autoencoder (table) training runs in the store; train some first, e.g. "
                            f"{TRAIN_EXAMPLE}, then run python analyze.py analysis={report}.")
    if wanted is None or wanted == "" or (not isinstance(wanted, str) and len(wanted) == 0):
        if len(present) > 1:
            lists = " or a list, e.g. analysis.dataset=[" + ",".join(present[:2]) + "]" if several else ""
            raise AnalysisError(f"the store holds autoencoder runs of several datasets {present}; choose one with "
                                f"python analyze.py analysis={report} analysis.dataset={present[0]}{lists}.")
        return present
    chosen = [str(wanted)] if isinstance(wanted, str) else [str(w) for w in wanted]
    if len(chosen) > 1 and not several:
        raise AnalysisError(f"analysis={report} reads one dataset at a time, got analysis.dataset={chosen}; "
                            f"pick one, e.g. analysis.dataset={chosen[0]}.")
    missing = [d for d in chosen if d not in present]
    if missing:
        raise AnalysisError(f"no finished autoencoder runs of dataset(s) {missing}; the store has {present}. "
                            f"Train them, e.g. python train.py model=autoencoder dataset={missing[0]} trainer=fast, "
                            "or choose another analysis.dataset=.")
    return chosen


def newest_explain_runs(train_run_ids: Sequence[str], explainer: str | None = None) -> dict[str, str]:
    """train run id -> its newest finished explain run id (of ``explainer`` when given)."""
    tags = {record.TASK: record.TASK_EXPLAIN}
    if explainer:
        tags[record.EXPLAINER] = explainer
    runs = finished_runs(tags)
    column = _tag(record.TRAIN_RUN)
    if runs.empty or column not in runs.columns:
        return {}
    runs = runs[runs[column].isin(list(train_run_ids))].drop_duplicates(subset=[column], keep="first")
    return dict(zip(runs[column], runs["run_id"]))
