"""Finding runs again: training runs to explain, explain runs to analyse."""

from __future__ import annotations

import json
import re

import mlflow
import numpy as np
from mlflow.entities import Run
from mlflow.exceptions import MlflowException

from latentlaw.tracking import record


class RunNotFound(LookupError):
    """No usable run matched; the message says what was searched and what to do."""


RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def get_training_run(train_run: str = "latest") -> Run:
    """A FINISHED training run: a run id, "latest", or an experiment name (its latest run)."""
    train_run = str(train_run or "latest")
    experiment = None if train_run == "latest" else train_run
    if RUN_ID.match(train_run):
        try:
            run = mlflow.get_run(train_run)
        except MlflowException as err:
            raise RunNotFound(f"no MLflow run with id {train_run!r} in {mlflow.get_tracking_uri()}; "
                              "list runs with `mlflow ui` or use train_run=latest.") from err
        if run.info.lifecycle_stage == "deleted":
            raise RunNotFound(f"run {train_run} is deleted; restore it (mlflow runs restore --run-id {train_run}) "
                              "or pick another run.")
        if run.data.tags.get(record.TASK) != record.TASK_TRAIN:
            raise RunNotFound(f"run {train_run} is not a latentlaw training run "
                              f"(task={run.data.tags.get(record.TASK)!r}); pass a run made by train.py.")
        return run
    wanted = {record.TASK: record.TASK_TRAIN}
    if experiment:
        wanted[record.EXPERIMENT] = experiment
    query = record.search_filter(wanted) + " and attributes.status = 'FINISHED'"
    runs = mlflow.search_runs(filter_string=query, order_by=["attributes.start_time DESC"], max_results=1,
                              output_format="list", search_all_experiments=True)
    if not runs:
        which = f" of experiment {experiment!r}" if experiment else ""
        raise RunNotFound(f"no finished training run{which} in {mlflow.get_tracking_uri()}; "
                          "train one first, e.g. python train.py experiment=paper/07_harmonic trainer=fast.")
    return runs[0]


def _download(run_id: str, path: str) -> str:
    try:
        return mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path)
    except (MlflowException, OSError) as err:
        raise LookupError(f"run {run_id} has no artifact {path!r}; it was not made by train.py, or its "
                          "artifacts were removed. Train again or pick another run.") from err


def load_json_artifact(run_id: str, path: str) -> dict:
    with open(_download(run_id, path), encoding="utf-8") as handle:
        return json.load(handle)


def load_npz_artifact(run_id: str, path: str) -> dict[str, np.ndarray]:
    with np.load(_download(run_id, path), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
