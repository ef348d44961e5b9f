"""The multilayer perceptron both model families are built from."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "elu": nn.ELU,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "silu": nn.SiLU,
    "softplus": nn.Softplus,
}


def make_mlp(in_features: int, hidden: Sequence[int], out_features: int, activation: str = "elu") -> nn.Sequential:
    """Linear layers with ``activation`` between them and none after the last.

    The output stays linear because it is the latent (or reconstruction) that explainers read.
    ELU is the default: piecewise-linear activations give the symbolic-gradient search
    gradient artefacts (paper, appendix).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}.")
    sizes = [int(in_features), *(int(h) for h in hidden), int(out_features)]
    if any(s <= 0 for s in sizes):
        raise ValueError(f"layer sizes must be positive, got {sizes} (in_features, hidden..., out_features).")
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def adam_with_plateau(module: nn.Module, lr: float, weight_decay: float, factor: float, patience: int) -> dict:
    """Adam + ReduceLROnPlateau on val_loss: the optimiser of the paper for both families.

    Adam's fused kernel (one update for all parameters, CPU and CUDA) is the same algorithm and
    measurably faster for these small MLPs (bench/train_speed.py)."""
    params = list(module.parameters())
    fused = all(p.device.type in ("cpu", "cuda") and p.dtype.is_floating_point for p in params)
    optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay, fused=fused or None)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=factor, patience=patience)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": "val_loss"}}
