"""Feeds a TripletDataset or TableDataset to Lightning in whole-tensor batches."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytorch_lightning as pl
import torch

from latentlaw.data.base import TableDataset, TripletDataset


class TensorBatches:
    """Slices of in-memory tensors, shuffled by a seeded generator each epoch.

    A DataLoader would index and re-stack every sample; with tiny MLPs that collate cost
    dominates the epoch, so batches are taken as contiguous slices of a permuted index.
    """

    def __init__(self, tensors: tuple[torch.Tensor, ...], batch_size: int, shuffle: bool, seed: int) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        self.tensors = tensors
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(int(seed))
        self.n = int(tensors[0].shape[0])

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        order = torch.randperm(self.n, generator=self.generator) if self.shuffle else None
        for start in range(0, self.n, self.batch_size):
            if order is None:
                yield tuple(t[start:start + self.batch_size] for t in self.tensors)
            else:
                index = order[start:start + self.batch_size]
                yield tuple(t[index] for t in self.tensors)


def _as_tensors(dataset: TripletDataset | TableDataset, split: str) -> tuple[torch.Tensor, ...]:
    part = getattr(dataset, split)
    if isinstance(dataset, TripletDataset):
        return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in (part.anchor, part.positive, part.negative))
    return (torch.from_numpy(np.ascontiguousarray(part)),)


class LatentDataModule(pl.LightningDataModule):
    """Train batches are reshuffled every epoch from ``seed``; val/test keep their order."""

    def __init__(self, dataset: TripletDataset | TableDataset, batch_size: int = 256, seed: int = 0) -> None:
        super().__init__()
        self.dataset = dataset
        self.batch_size = batch_size
        self.seed = seed

    def train_dataloader(self) -> TensorBatches:
        return TensorBatches(_as_tensors(self.dataset, "train"), self.batch_size, shuffle=True, seed=self.seed)

    def val_dataloader(self) -> TensorBatches:
        return TensorBatches(_as_tensors(self.dataset, "val"), max(self.batch_size, 4096), shuffle=False, seed=0)

    def test_dataloader(self) -> TensorBatches:
        return TensorBatches(_as_tensors(self.dataset, "test"), max(self.batch_size, 4096), shuffle=False, seed=0)
