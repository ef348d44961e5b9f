"""Where runs go: the embedded sqlite store under mlruns/, or whatever the user points at.

Several processes may open the same sqlite store at once (parallel train/explain jobs, Hydra
``-m`` with joblib). MLflow migrates a fresh database without a lock (parallel first opens die
with alembic's "Online migration expected to match one row") and has no retry when sqlite
reports "database is locked" (its busy timeout does not cover a read transaction that must
become a write one). So the store is created under an inter-process file lock, and the store's
write methods retry with backoff on a locked database.
"""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

DEFAULT_EXPERIMENT = "latentlaw"
# Seconds of "database is locked" a store call tolerates before the error reaches the caller.
LOCKED_RETRY_SECONDS = 120.0
# Store methods that write: each opens its own session and rolls back on failure, so a retry is safe.
WRITE_METHODS = (
    "create_experiment", "create_run", "update_run_info", "log_batch", "log_metric", "log_param",
    "set_tag", "delete_tag", "set_experiment_tag", "log_inputs", "log_outputs", "restore_run", "delete_run",
    "record_logged_model",
)

log = logging.getLogger(__name__)
T = TypeVar("T")


def resolve_tracking_uri(uri: str | None, root: str | Path) -> str:
    """Config value first, then $MLFLOW_TRACKING_URI, then sqlite:///<root>/mlruns/mlflow.db.

    MLflow 3.17 refuses a plain ./mlruns file store, so the embedded default is sqlite.
    """
    if uri:
        return str(uri)
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    db = Path(root).resolve() / "mlruns" / "mlflow.db"
    return f"sqlite:///{db}"


def sqlite_file(uri: str) -> Path | None:
    """The database file of a sqlite:/// URI, else None."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri[len("sqlite:///"):])  # sqlite:///rel.db or sqlite:////abs.db


def artifact_root_for(uri: str) -> str | None:
    """Artifacts of a local sqlite store live beside the database; a server decides its own."""
    db_path = sqlite_file(uri)
    if db_path is None:
        return None
    return (db_path.resolve().parent / "artifacts").as_uri()


@contextmanager
def store_lock(db_file: Path) -> Iterator[None]:
    """An exclusive fcntl lock on ``<db>.lock`` beside the database, held across processes."""
    lock_path = db_file.parent / (db_file.name + ".lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked_error(err: BaseException) -> bool:
    """sqlite's transient lock errors, however MLflow/SQLAlchemy wrapped them."""
    text = str(err).lower()
    return "database is locked" in text or "database table is locked" in text or "database schema is locked" in text


def retry_locked(fn: Callable[..., T], budget: float = LOCKED_RETRY_SECONDS) -> Callable[..., T]:
    """``fn`` retried with jittered exponential backoff while sqlite says the database is locked."""
    if getattr(fn, "_latentlaw_retry", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        deadline = time.monotonic() + budget
        delay = 0.05
        while True:
            try:
                return fn(*args, **kwargs)
            except Exception as err:
                if not is_locked_error(err) or time.monotonic() + delay > deadline:
                    raise
                log.debug("database locked in %s; retrying in %.2f s", getattr(fn, "__name__", fn), delay)
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 2.0)

    wrapper._latentlaw_retry = True  # type: ignore[attr-defined]
    return wrapper


def _tracking_store() -> Any:
    """MLflow's cached store object for the current tracking URI (private API, hence guarded)."""
    try:
        from mlflow.tracking._tracking_service.utils import _get_store
    except ImportError:  # pragma: no cover - a future MLflow moved it; lose only the retries
        return None
    return _get_store()


def install_retries(store: Any) -> None:
    """Wrap the write methods of this (cached, per-URI) store instance with ``retry_locked``."""
    if store is None or not type(store).__name__.lower().startswith(("sqlalchemy", "workspaceaware")):
        return
    for name in WRITE_METHODS:
        method = getattr(store, name, None)
        if method is not None:
            setattr(store, name, retry_locked(method))


def _experiment_id(experiment_name: str, location: str | None) -> str:
    """The experiment's id, created if missing; a process that loses the creation race reads the winner's."""
    import mlflow
    from mlflow.exceptions import MlflowException

    for _ in range(5):
        experiment = mlflow.get_experiment_by_name(experiment_name)
        if experiment is not None:
            if experiment.lifecycle_stage == "deleted":
                raise RuntimeError(
                    f"MLflow experiment {experiment_name!r} is deleted; restore it "
                    f"(mlflow experiments restore --experiment-id {experiment.experiment_id}) "
                    "or choose another tracking.experiment_name."
                )
            return experiment.experiment_id
        try:
            return mlflow.create_experiment(experiment_name, artifact_location=location)
        except MlflowException as err:
            if "already exists" not in str(err) and "UNIQUE constraint" not in str(err):
                raise
            time.sleep(0.1)  # another process created it between our lookup and our insert
    raise RuntimeError(f"could not create or find MLflow experiment {experiment_name!r}; try again.")


def _open_store(resolved: str, experiment_name: str, artifact_root: str | None) -> str:
    import mlflow

    mlflow.set_tracking_uri(resolved)
    install_retries(_tracking_store())  # creating the store object runs any pending migration
    location = artifact_root or artifact_root_for(resolved)
    if location is not None:
        location = location.rstrip("/") + "/" + experiment_name.replace("/", "_")
    return _experiment_id(experiment_name, location)


def check_writable(db_file: Path) -> None:
    """A store that cannot be written fails here with a fix, not deep inside a run."""
    folder = db_file.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RuntimeError(f"cannot create the tracking store folder {folder}: {err.strerror}; set tracking.uri "
                           "or MLFLOW_TRACKING_URI to a writable location.") from err
    for path in (folder, db_file):
        if path.exists() and not os.access(path, os.W_OK):
            raise RuntimeError(f"the tracking store {path} is read-only; make it writable (chmod u+w) or point "
                               "tracking.uri / MLFLOW_TRACKING_URI at a writable store.")


def configure_tracking(uri: str | None, root: str | Path, experiment_name: str = DEFAULT_EXPERIMENT,
                       artifact_root: str | None = None, stale_after_seconds: float | None = None,
                       mark_stale: bool = True) -> str:
    """Point MLflow at the store and make ``experiment_name`` active; returns its id.

    A local sqlite store is created, migrated and given its experiment under ``store_lock``, so
    parallel first opens queue instead of racing. Then runs left RUNNING by dead processes are
    marked FAILED (``tracking.stale``; ``stale_after_seconds`` None: its default staleness).
    """
    import mlflow

    from latentlaw.tracking.stale import mark_stale_runs
    from latentlaw.tracking.ui import mark_model_training

    resolved = resolve_tracking_uri(uri, root)
    db_file = sqlite_file(resolved)
    if db_file is not None:
        check_writable(db_file)
        with store_lock(db_file):
            try:
                experiment_id = _open_store(resolved, experiment_name, artifact_root)
            except Exception as err:
                if is_locked_error(err) or isinstance(err, RuntimeError):
                    raise
                raise RuntimeError(
                    f"cannot open the MLflow store {db_file}: {str(err).splitlines()[0][:300]}. Point tracking.uri "
                    "(or MLFLOW_TRACKING_URI) at a valid store, or move this file away to start a new one."
                ) from err
    else:
        experiment_id = _open_store(resolved, experiment_name, artifact_root)
    mlflow.set_experiment(experiment_id=experiment_id)
    mark_model_training(experiment_id)  # MLflow's UI: a model-training experiment, not GenAI
    if mark_stale:
        mark_stale_runs(stale_after_seconds)
    return experiment_id
