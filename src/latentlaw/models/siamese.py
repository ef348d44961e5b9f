"""Siamese network trained with a triplet loss: its latent neuron learns an invariant."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from latentlaw.models.base import LatentModel
from latentlaw.models.mlp import make_mlp


def squared_distance(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a - b).pow(2).sum(dim=-1)


class SiameseNetwork(LatentModel):
    """One shared MLP f maps each triplet member to ``latent_size`` neurons.

    The loss max(0, |f(a)-f(p)|^2 - |f(a)-f(n)|^2 + margin) pulls transformed copies together
    and pushes independent samples apart, so f must encode what the transformation keeps.
    """

    data_kind = "triplets"

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (256, 256),
        latent_size: int = 1,
        activation: str = "elu",
        margin: float = 1.0,
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        lr_factor: float = 0.5,
        lr_patience: int = 10,
    ) -> None:
        super().__init__()
        if int(latent_size) <= 0:
            raise ValueError(f"model.latent_size must be >= 1, got {latent_size}.")
        self.save_hyperparameters()
        self.encoder = make_mlp(in_features, list(hidden), latent_size, activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The latent neurons, shape (n, latent_size): what explainers differentiate."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)

    def _step(self, batch: tuple[torch.Tensor, ...], stage: str) -> torch.Tensor:
        anchor, positive, negative = batch
        # one pass over the three stacked members: fewer, larger matrix products (faster on CPU,
        # bench/train_speed.py) and the same values as three passes
        za, zp, zn = self.encode(torch.cat((anchor, positive, negative))).split(len(anchor))
        d_pos, d_neg = squared_distance(za, zp), squared_distance(za, zn)
        loss = F.relu(d_pos - d_neg + self.hparams.margin).mean()
        on_step = stage == "train"
        self.log(f"{stage}_loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(anchor))
        if not on_step:
            accuracy = (d_pos < d_neg).float().mean()
            self.log(f"{stage}_triplet_accuracy", accuracy, on_epoch=True, batch_size=len(anchor))
        return loss
