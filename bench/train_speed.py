"""Training throughput of the paper's Siamese MLP on this machine, by torch thread count.

Reference: the authors' code needs ~1.9 s per 50k-triplet epoch (environment notes).
Prints the table, writes bench/results/train_speed.md and logs it to MLflow (experiment
'benchmarks').
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_SECONDS_PER_EPOCH = 1.9


def seconds_per_epoch(threads: int, n: int, epochs: int) -> float:
    import pytorch_lightning as pl
    import torch

    from latentlaw.data.datamodule import LatentDataModule
    from latentlaw.data.invariants import make_invariant_dataset
    from latentlaw.models import SiameseNetwork

    torch.set_num_threads(threads)
    pl.seed_everything(0, verbose=False)
    data = make_invariant_dataset("harmonic", n_train=n, n_val=1000, n_test=1000, seed=0)
    model = SiameseNetwork(in_features=2, hidden=[256, 256])
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, limit_val_batches=1, num_sanity_val_steps=0, accelerator="cpu")
    started = time.perf_counter()
    trainer.fit(model, datamodule=LatentDataModule(data, batch_size=256))
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--triplets", type=int, default=50000)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for threads in (1, 2):
        s = seconds_per_epoch(threads, args.triplets, args.epochs)
        rows.append((threads, s, args.triplets / s, REFERENCE_SECONDS_PER_EPOCH / s))
    lines = [f"# Siamese MLP training speed ({args.triplets} triplets/epoch, {os.cpu_count()} cores)", "",
             "| torch threads | s / epoch | triplets / s | speed-up vs reference 1.9 s |", "|---|---|---|---|"]
    lines += [f"| {t} | {s:.2f} | {tps:,.0f} | {x:.2f}x |" for t, s, tps, x in rows]
    from bench_log import publish

    publish("train_speed", "\n".join(lines), {f"seconds_per_epoch_threads{t}": s for t, s, _, _ in rows})


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
