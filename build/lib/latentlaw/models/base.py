"""What both model families share: stage plumbing and the paper's optimiser."""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from latentlaw.models.mlp import adam_with_plateau


class LatentModel(pl.LightningModule):
    """A LightningModule with a latent layer that explainers read through ``encode``.

    Subclasses define ``encode`` and ``_step(batch, stage)``; ``data_kind`` says which dataset
    shape they train on ("triplets" or "table") so a mismatch is refused before training.
    """

    data_kind = ""

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _step(self, batch: tuple[torch.Tensor, ...], stage: str) -> torch.Tensor:
        raise NotImplementedError

    def training_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, ...], batch_idx: int) -> None:
        self._step(batch, "test")

    def configure_optimizers(self) -> dict:
        h = self.hparams
        return adam_with_plateau(self, h.lr, h.weight_decay, h.lr_factor, h.lr_patience)
