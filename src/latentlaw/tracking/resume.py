"""``resume=<run id>``: find the ended run again and the config it was started with.

The config comes from the run's own ``config.yaml`` artifact, read as YAML data (OmegaConf's
safe loader; nothing in it is evaluated). Only where the store is (``tracking``, ``paths``) comes
from the current command line, since that is how the run was found.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from omegaconf import DictConfig, OmegaConf

from latentlaw.tracking import record
from latentlaw.tracking.lookup import RUN_ID

# Keys taken from the current invocation rather than from the logged config.
LOCAL_KEYS = ("tracking", "paths")


class ResumeError(ValueError):
    """The run cannot be resumed; the message says why and what to do instead."""


def resumable_run(run_id: str, task: str) -> Any:
    """The run ``run_id`` if it is a ``task`` run that ended without finishing (or died)."""
    import mlflow
    from mlflow.exceptions import MlflowException

    run_id = str(run_id)
    script = f"{task}.py"
    if not RUN_ID.match(run_id):
        raise ResumeError(f"resume={run_id!r} is not an MLflow run id (32 hex digits); pass the id of the "
                          f"{script} run to continue, as printed when it started or shown by `mlflow ui`.")
    try:
        run = mlflow.get_run(run_id)
    except MlflowException as err:
        raise ResumeError(f"no MLflow run with id {run_id} in {mlflow.get_tracking_uri()}; check the id and "
                          "tracking.uri (or MLFLOW_TRACKING_URI).") from err
    if run.info.lifecycle_stage == "deleted":
        raise ResumeError(f"run {run_id} is deleted; restore it (mlflow runs restore --run-id {run_id}) to resume it.")
    if run.data.tags.get(record.TASK) != task:
        raise ResumeError(f"run {run_id} is a {run.data.tags.get(record.TASK)!r} run, not a {task} run; "
                          f"resume it with the script that made it, or pass a {script} run id.")
    status = run.info.status
    if status == "FINISHED":
        raise ResumeError(f"run {run_id} already FINISHED; there is nothing to resume. Start a new run instead.")
    if status == "RUNNING":
        beat = run.data.tags.get(record.HEARTBEAT)
        age = f", last heartbeat {time.time() - float(beat):.0f} s ago" if beat and beat.replace(".", "").isdigit() else ""
        raise ResumeError(
            f"run {run_id} is still RUNNING in process {run.data.tags.get(record.PID, '?')} on "
            f"{run.data.tags.get(record.HOST, '?')} (this is {socket.gethostname()}){age}. Stop that process first; "
            "a dead one is marked FAILED automatically once its heartbeat is stale "
            "(or now: python -m latentlaw.tracking.stale --stale-after 0)."
        )
    return run


def logged_config(run_id: str, current: DictConfig) -> DictConfig:
    """The run's logged config with ``resume`` set and the current ``tracking``/``paths``."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=record.CONFIG_ARTIFACT)
    except (MlflowException, OSError) as err:
        raise ResumeError(f"run {run_id} has no {record.CONFIG_ARTIFACT}: it died before logging its config, so it "
                          "cannot be resumed. Start it again instead.") from err
    try:
        logged = OmegaConf.load(path)
    except Exception as err:  # yaml errors of several kinds
        raise ResumeError(f"run {run_id}'s {record.CONFIG_ARTIFACT} is not readable YAML ({err}); start a new run "
                          "instead.") from err
    if not isinstance(logged, DictConfig):
        raise ResumeError(f"run {run_id}'s {record.CONFIG_ARTIFACT} is not a mapping; start a new run instead.")
    OmegaConf.set_struct(logged, False)
    for key in LOCAL_KEYS:
        if key in current:
            logged[key] = current[key]
    logged["resume"] = run_id
    return logged
