"""MLP autoencoder: its bottleneck neurons are what the explainers interpret."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from latentlaw.models.base import LatentModel
from latentlaw.models.mlp import make_mlp


class Autoencoder(LatentModel):
    """Encoder in -> hidden -> latent, mirrored decoder, reconstruction MSE."""

    data_kind = "table"

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (128,),
        latent_size: int = 32,
        activation: str = "elu",
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        lr_factor: float = 0.5,
        lr_patience: int = 10,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__()
        if int(latent_size) <= 0:
            raise ValueError(f"model.latent_size must be >= 1, got {latent_size}.")
        if float(weight_decay) < 0:
            raise ValueError(f"model.weight_decay must be >= 0, got {weight_decay}.")
        self.save_hyperparameters()
        self.encoder = make_mlp(in_features, list(hidden), latent_size, activation)
        self.decoder = make_mlp(latent_size, list(hidden)[::-1], in_features, activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The latent code, shape (n, latent_size)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def configure_optimizers(self) -> dict:
        """Adam + ReduceLROnPlateau. Adam's ``weight_decay`` is an L2 term scaled by Adam's per-weight step
        sizes, which shrinks rarely-updated weights hard; ``decoupled_weight_decay`` makes it AdamW's."""
        config = super().configure_optimizers()
        if self.hparams.get("decoupled_weight_decay"):
            config["optimizer"].param_groups[0]["decoupled_weight_decay"] = True
        return config

    def _step(self, batch: tuple[torch.Tensor, ...], stage: str) -> torch.Tensor:
        (x,) = batch
        loss = F.mse_loss(self(x), x)
        self.log(f"{stage}_loss", loss, prog_bar=True, on_step=False, on_epoch=True, batch_size=len(x))
        return loss
