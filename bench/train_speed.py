"""Training throughput of the paper's Siamese MLP on this machine, by torch thread count.

Reference: the authors' code needs ~1.9 s per 50k-triplet epoch (environment notes). The last
row is the step as it was written before (three encoder passes per triplet batch, Adam's
per-parameter loop), measured in the same run so the ratio holds on a noisy machine.
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


def seconds_per_epoch(threads: int, n: int, epochs: int, before: bool = False) -> float:
    import pytorch_lightning as pl
    import torch
    import torch.nn.functional as F

    from latentlaw.data.datamodule import LatentDataModule
    from latentlaw.data.invariants import make_invariant_dataset
    from latentlaw.models import SiameseNetwork
    from latentlaw.models.siamese import squared_distance

    class Before(SiameseNetwork):
        """Three encoder passes and Adam's for-each update: the earlier step, for comparison."""

        def _step(self, batch, stage):
            anchor, positive, negative = batch
            za, zp, zn = self.encode(anchor), self.encode(positive), self.encode(negative)
            loss = F.relu(squared_distance(za, zp) - squared_distance(za, zn) + self.hparams.margin).mean()
            self.log(f"{stage}_loss", loss, on_step=False, on_epoch=True, batch_size=len(anchor))
            return loss

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=self.hparams.lr, weight_decay=self.hparams.weight_decay)

    torch.set_num_threads(threads)
    pl.seed_everything(0, verbose=False)
    data = make_invariant_dataset("harmonic", n_train=n, n_val=1000, n_test=1000, seed=0)
    model = (Before if before else SiameseNetwork)(in_features=2, hidden=[256, 256])
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
    for label, threads, before in (("1", 1, False), ("2", 2, False), ("1, step as before", 1, True)):
        s = seconds_per_epoch(threads, args.triplets, args.epochs, before)
        rows.append((label, s, args.triplets / s, REFERENCE_SECONDS_PER_EPOCH / s))
    lines = [f"# Siamese MLP training speed ({args.triplets} triplets/epoch, {os.cpu_count()} cores)", "",
             "| torch threads | s / epoch | triplets / s | speed-up vs reference 1.9 s |", "|---|---|---|---|"]
    lines += [f"| {t} | {s:.2f} | {tps:,.0f} | {x:.2f}x |" for t, s, tps, x in rows]
    lines += ["", f"One stacked pass and fused Adam vs the step as before: {rows[2][1] / rows[0][1]:.2f}x faster."]
    from bench_log import publish

    metrics = {f"seconds_per_epoch_threads{t}": s for t, s, _, _ in rows[:2]}
    publish("train_speed", "\n".join(lines), metrics | {"seconds_per_epoch_before": rows[2][1]})


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
