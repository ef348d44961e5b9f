"""Run lifecycle and the config/metadata every latentlaw run records."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

from latentlaw.tracking.record import ERROR, RESUMED

PARAM_VALUE_LIMIT = 500


@contextmanager
def tracked_run(run_name: str | None = None, tags: Mapping[str, str] | None = None,
                parent_run_id: str | None = None, run_id: str | None = None) -> Iterator[mlflow.ActiveRun]:
    """An MLflow run that always ends FINISHED, FAILED or KILLED, never left RUNNING.

    An exception marks it FAILED and a Ctrl-C marks it KILLED; both are re-raised after the
    status is written, so whatever was logged before the failure stays browsable. A process
    killed outright cannot do this, so the run carries its holder's pid and host and a heartbeat
    (``tracking.heartbeat``) by which ``tracking.stale`` marks it FAILED later. ``run_id`` reopens
    an ended run (resume): RUNNING again while this block works, its old error tag removed on success.
    """
    from latentlaw.tracking.heartbeat import Heartbeat, holder_tags

    kwargs: dict[str, Any] = {"run_name": run_name, "tags": {**dict(tags or {}), **holder_tags()}}
    if run_id:
        kwargs = {"run_id": run_id}
    elif parent_run_id:
        kwargs.update(parent_run_id=parent_run_id, nested=True)
    run = mlflow.start_run(**kwargs)
    if run_id:
        resumed = int(run.data.tags.get(RESUMED, "0") or 0) + 1
        mlflow.set_tags({**dict(tags or {}), **holder_tags(), RESUMED: str(resumed)})
    try:
        with Heartbeat(run.info.run_id):
            yield run
    except BaseException as err:
        if not interrupted(err):
            mlflow.set_tag(ERROR, f"{type(err).__name__}: {err}"[:5000])
            mlflow.end_run("FAILED")
            raise
        mlflow.set_tag(ERROR, "interrupted")
        mlflow.end_run("KILLED")
        raise
    else:
        if run_id and ERROR in run.data.tags:
            mlflow.delete_tag(ERROR)  # the failure it recorded was resumed past
        mlflow.end_run("FINISHED")


def interrupted(err: BaseException) -> bool:
    """Ctrl-C (or a cancelled Ray job), also as Lightning reports it: its fit catches the
    KeyboardInterrupt, shuts down and calls sys.exit(1) from the handler."""
    return isinstance(err, KeyboardInterrupt) or (isinstance(err, SystemExit)
                                                  and isinstance(err.__context__, KeyboardInterrupt))


def flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config -> {'model.hidden': [256, 256], ...} for MLflow params."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def log_config(cfg: Any, artifact_file: str = "config.yaml") -> None:
    """The composed Hydra config, whole as an artifact and flattened as params (searchable)."""
    from omegaconf import DictConfig, OmegaConf

    if isinstance(cfg, DictConfig):
        container = OmegaConf.to_container(cfg, resolve=True)
        mlflow.log_text(OmegaConf.to_yaml(cfg, resolve=True), artifact_file)
    else:
        container = dict(cfg)
        mlflow.log_text(json.dumps(container, indent=2, default=str), artifact_file)
    params = {k: str(v)[:PARAM_VALUE_LIMIT] for k, v in flatten(container).items()}
    items = list(params.items())
    for start in range(0, len(items), 100):
        mlflow.log_params(dict(items[start:start + 100]))


def log_json(data: Any, artifact_file: str) -> None:
    mlflow.log_text(json.dumps(data, indent=2, default=str), artifact_file)


def git_commit(root: str | Path) -> str | None:
    """The checkout's commit, so a run can be traced to the code that made it."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def log_figure(fig: Any, artifact_file: str) -> None:
    """Save a matplotlib figure as a PNG artifact and close it."""
    import matplotlib.pyplot as plt

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(artifact_file).name
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        parent = str(Path(artifact_file).parent)
        mlflow.log_artifact(str(path), artifact_path=None if parent == "." else parent)
