"""Training checkpoints in the run, so a killed run resumes where its last checkpoint left it.

Lightning's own checkpoint (model, optimizer, schedulers, loop counters, callback states) holds
only tensors, numbers, strings, lists and dicts for latentlaw's models, so it loads with
``torch.load(weights_only=True)``: nothing from the store is unpickled. What Lightning does not
save, the state of the generator that shuffles the train batches and torch's global RNG, travels
as tensors in this callback's own state, so the epochs after a resume see the same batches as an
uninterrupted run.

Each checkpoint is uploaded to one of two artifact slots in turn, and the run's
TRAIN_CHECKPOINT tag names the slot only after its upload completed: a process killed during an
upload leaves the previous checkpoint intact and named.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from latentlaw.tracking import record

log = logging.getLogger(__name__)


def _train_loader(trainer: pl.Trainer) -> Any:
    loader = trainer.train_dataloader
    return loader if hasattr(loader, "generator") else None


class RunCheckpoint(pl.Callback):
    """Every ``every_n_epochs`` epochs (after validation), the Lightning checkpoint -> run artifact."""

    def __init__(self, every_n_epochs: int) -> None:
        if int(every_n_epochs) < 1:
            raise ValueError(f"tracking.checkpoint_every_n_epochs must be >= 1, got {every_n_epochs}; "
                             "1 checkpoints every epoch, larger values less often.")
        self.every_n_epochs = int(every_n_epochs)
        self._restored: dict[str, Any] | None = None
        self._trainer_loader: Any = None

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"torch_rng": torch.get_rng_state()}
        if self._trainer_loader is not None:
            state["loader_generator"] = self._trainer_loader.generator.get_state()
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restored = dict(state_dict)  # applied in on_train_start, once the loader exists

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._trainer_loader = _train_loader(trainer)
        if self._restored is None:
            return
        torch.set_rng_state(self._restored["torch_rng"])
        if self._trainer_loader is not None and "loader_generator" in self._restored:
            self._trainer_loader.generator.set_state(self._restored["loader_generator"])
        self._restored = None

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or (trainer.current_epoch + 1) % self.every_n_epochs:
            return
        self.upload(trainer)

    def upload(self, trainer: pl.Trainer) -> None:
        import mlflow

        run = mlflow.active_run()
        current = mlflow.get_run(run.info.run_id).data.tags.get(record.TRAIN_CHECKPOINT) if run else None
        slot = next(s for s in record.TRAIN_CHECKPOINT_SLOTS if s != current)  # never overwrite the named one
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(slot).name
            trainer.save_checkpoint(path, weights_only=False)  # the full state; still tensors and plain data
            mlflow.log_artifact(str(path), artifact_path=str(Path(slot).parent))
        mlflow.set_tags({record.TRAIN_CHECKPOINT: slot, record.TRAIN_CHECKPOINT_EPOCH: str(trainer.current_epoch + 1)})


def download_train_checkpoint(run: Any, folder: str | Path) -> str | None:
    """The run's last complete checkpoint as a local file, or None if it never wrote one."""
    import mlflow

    slot = run.data.tags.get(record.TRAIN_CHECKPOINT)
    if not slot:
        return None
    if slot not in record.TRAIN_CHECKPOINT_SLOTS:
        raise ValueError(f"run {run.info.run_id} names an unknown checkpoint {slot!r}; it was not written by "
                         "train.py. Start a new run instead of resuming this one.")
    return mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path=slot, dst_path=str(folder))
