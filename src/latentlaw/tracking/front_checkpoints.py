"""Search fronts in the explain run while it searches, so ``kill -9`` loses at most one interval.

The native engine rewrites each neuron's front to a local CSV (``checkpoint_file``) whenever
it improves. ``FrontUploader`` copies changed files into the run's artifacts every few seconds
from a daemon thread; ``explain.py resume=<run id>`` reopens the run, fetches those files back
and seeds each neuron's new search with them (``resume_from``).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from latentlaw.tracking import record
from latentlaw.tracking.heartbeat import Periodic

log = logging.getLogger(__name__)


def upload_interval(cfg: DictConfig) -> float:
    """``tracking.upload_fronts_every_seconds``, checked to be a positive number."""
    value = cfg.tracking.get("upload_fronts_every_seconds", 30)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ValueError(f"tracking.upload_fronts_every_seconds must be a number > 0, got {value!r}; e.g. 30.")
    return float(value)


def prepare_resume(cfg: DictConfig) -> tuple[DictConfig, str | None]:
    """``resume=<explain run id>``: that run's logged config (same training run, neurons, searcher,
    seed) and its id; without ``resume``: ``cfg`` unchanged and None. Tracking must be configured.
    Also checks the upload interval, so a bad one fails before the run exists."""
    upload_interval(cfg)
    if not cfg.get("resume"):
        return cfg, None
    from latentlaw.tracking.resume import logged_config, resumable_run

    run = resumable_run(str(cfg.resume), record.TASK_EXPLAIN)
    resumed = logged_config(run.info.run_id, cfg)
    resumed["train_run"] = run.data.tags.get(record.TRAIN_RUN, resumed.get("train_run"))
    return resumed, run.info.run_id


def checkpoint_paths(folder: str | Path, neurons: list[int]) -> dict[int, str]:
    """Where each neuron's search writes its front, named as in the run's artifacts."""
    return {j: str(Path(folder) / Path(record.front_checkpoint(j)).name) for j in neurons}


def fetch_fronts(run_id: str | None, checkpoints: dict[int, str]) -> list[int]:
    """Download the run's front checkpoints onto the local checkpoint paths; returns the neurons
    that got one. A file cut short by a kill during its upload is skipped with a warning."""
    if run_id is None:
        return []
    import mlflow

    from latentlaw.symbolic.checkpoint import read_front

    uploaded = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path=record.CHECKPOINTS_DIR)}
    fetched = []
    with tempfile.TemporaryDirectory() as tmp:
        for j, target in checkpoints.items():
            if record.front_checkpoint(j) not in uploaded:
                continue
            local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=record.front_checkpoint(j),
                                                        dst_path=tmp)
            try:
                read_front(local)
            except ValueError as err:
                log.warning("neuron %d's front checkpoint is unusable (%s); its search starts afresh", j, err)
                continue
            shutil.copyfile(local, target)
            fetched.append(j)
    return fetched


def resume_from(checkpoint: str) -> dict[str, Any]:
    """Searcher keyword arguments that seed a search from its fetched front, if there is one."""
    return {"resume_from": checkpoint} if Path(checkpoint).is_file() else {}


class FrontUploader(Periodic):
    """Every ``interval`` seconds, the checkpoint files that changed -> the run's artifacts."""

    def __init__(self, run_id: str, checkpoints: dict[int, str], interval: float) -> None:
        super().__init__(interval, self.upload, name="latentlaw-front-uploader")
        self.run_id = run_id
        self.paths = [Path(p) for p in checkpoints.values()]
        self._seen: dict[Path, int] = {}

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        self.upload()  # whatever the search last wrote, success or not

    def upload(self) -> int:
        """Upload each file whose modification time changed since its last upload; returns how many."""
        from mlflow import MlflowClient

        client, count = MlflowClient(), 0
        for path in self.paths:
            try:
                stamp = path.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if self._seen.get(path) == stamp:
                continue
            client.log_artifact(self.run_id, str(path), artifact_path=record.CHECKPOINTS_DIR)
            self._seen[path] = stamp
            count += 1
        return count
