"""Attractor count and memorisation over training: a Lightning callback, one MLflow point per N epochs."""

from __future__ import annotations

from typing import Any

import mlflow
import numpy as np
import pytorch_lightning as pl

from latentlaw.latent_space.explore import FieldSettings, explore, summarise
from latentlaw.tracking import record

# Lighter than the explainer's defaults: this runs many times during training.
DURING_TRAINING = dict(n_train_starts=1000, n_test_starts=0, n_noise_starts=0, max_steps=1000, keep_paths=0)


class LatentFieldCallback(pl.Callback):
    """Every ``every`` epochs: iterate f from training latents, log attractors and memorisation
    (raw, baseline, calibrated) with the epoch as step, so each run gets a curve."""

    def __init__(self, every: int, train_rows: np.ndarray, heldout_rows: np.ndarray, settings: FieldSettings) -> None:
        if int(every) < 1:
            raise ValueError(f"latent_field_every must be >= 1 to enable the callback, got {every}.")
        self.every = int(every)
        self.train_rows, self.heldout_rows, self.settings = train_rows, heldout_rows, settings

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        epoch = int(trainer.current_epoch)
        if (epoch + 1) % self.every:
            return
        from latentlaw.tasks.latent_field import field_metrics

        summary = summarise(explore(pl_module, self.train_rows, self.heldout_rows, self.settings), self.settings)
        mlflow.log_metrics(field_metrics(summary), step=epoch)


def latent_field_callbacks(cfg: Any, dataset: Any, model: Any) -> list[pl.Callback]:
    """[] unless ``latent_field_every`` > 0; refuses a model without a decoder before training starts."""
    every = cfg.get("latent_field_every", 0) or 0
    if isinstance(every, bool) or not isinstance(every, int) or every < 0:
        raise ValueError(f"latent_field_every must be a whole number of epochs >= 0 (0 = off), got {every!r}.")
    if every == 0:
        return []
    if not callable(getattr(model, "decode", None)) or dataset.kind != "table":
        raise ValueError("latent_field_every > 0 tracks an autoencoder's latent field; it needs model=autoencoder on a "
                         "table dataset (or set latent_field_every=0).")
    settings = FieldSettings(**DURING_TRAINING, seed=int(cfg.seed))
    return [LatentFieldCallback(every, dataset.train, dataset.test, settings)]
