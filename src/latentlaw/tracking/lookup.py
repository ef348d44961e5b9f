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


BEST_PREFIX = "best:"


def get_training_run(train_run: str = "latest") -> Run:
    """A FINISHED training run: a run id, "latest", an experiment name (its latest run), or
    ``best:<experiment>`` (the best trial of that experiment's newest Optuna study)."""
    train_run = str(train_run or "latest")
    if train_run.startswith(BEST_PREFIX):
        return best_trial_run(train_run[len(BEST_PREFIX):])
    experiment = None if train_run == "latest" else train_run
    if RUN_ID.match(train_run):
        try:
            run = mlflow.get_run(train_run)
        except MlflowException as err:
            raise RunNotFound(f"no MLflow run with id {train_run!r} in {mlflow.get_tracking_uri()}; "
                              "list runs with `make ui` or use train_run=latest.") from err
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
    runs = _search(wanted, ["attributes.start_time DESC"])
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


def _search(tags: dict[str, str], order_by: list[str], max_results: int = 1, extra: str = "") -> list[Run]:
    query = record.search_filter(tags) + " and attributes.status = 'FINISHED'" + extra
    return mlflow.search_runs(filter_string=query, order_by=order_by, max_results=max_results,
                              output_format="list", search_all_experiments=True)


def best_trial_run(experiment: str) -> Run:
    """The best finished, unpruned trial of the newest study of ``experiment`` ("" = any).

    The study run names its best trial (tag latentlaw.study.best_run, kept current while the
    study runs); a study that died before naming one falls back to its trials' optimised metric.
    """
    wanted = {record.TASK: record.TASK_STUDY}
    if experiment:
        wanted[record.EXPERIMENT] = experiment
    studies = mlflow.search_runs(filter_string=record.search_filter(wanted), order_by=["attributes.start_time DESC"],
                                 max_results=1, output_format="list", search_all_experiments=True)
    if not studies:
        which = f" of experiment {experiment!r}" if experiment else ""
        raise RunNotFound(f"no Optuna study{which} in {mlflow.get_tracking_uri()}; run one first, e.g. python "
                          f"train.py -m hparams_search=siamese_optuna experiment={experiment or 'paper/07_harmonic'}.")
    study = studies[0]
    best_id = study.data.tags.get(record.BEST_TRIAL_RUN)
    if best_id:
        run = mlflow.get_run(best_id)
        if run.info.status == "FINISHED" and run.info.lifecycle_stage != "deleted":
            return run
    metric = study.data.tags.get(record.STUDY_METRIC)
    if metric:
        direction = "DESC" if study.data.tags.get(record.STUDY_DIRECTION) == "maximize" else "ASC"
        trials = _search({record.TASK: record.TASK_TRAIN, "mlflow.parentRunId": study.info.run_id},
                         [f"metrics.`{metric}` {direction}"], max_results=50)
        trials = [t for t in trials if t.data.tags.get(record.TRIAL_STATE) != record.TRIAL_PRUNED
                  and metric in t.data.metrics]
        if trials:
            return trials[0]
    raise RunNotFound(f"study {study.info.run_name} ({study.info.run_id}) has no finished trial to explain; "
                      "let a study complete at least one trial, or pass train_run=<run id>.")


def describe_training_run(run: Run) -> str:
    """One line naming the training run a task uses, so a reader knows which one it was."""
    tags = run.data.tags
    parts = [f"training run {run.info.run_id} ({run.info.run_name}"]
    if tags.get(record.EXPERIMENT):
        parts.append(f", {tags[record.EXPERIMENT]}")
    if tags.get(record.TRIAL_NUMBER):
        parts.append(f", Optuna trial {tags[record.TRIAL_NUMBER]} of study {tags.get(record.STUDY_NAME, '?')}")
        if tags.get(record.TRIAL_STATE) == record.TRIAL_PRUNED:
            parts.append(", pruned")
        parts.append(f"; the study's best: train_run={BEST_PREFIX}{tags.get(record.EXPERIMENT, '')}")
    return "".join(parts) + ")"
