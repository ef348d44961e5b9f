"""Explaining every latent of an autoencoder: wall time and R^2 against each latent.

Usage: python bench/explain_autoencoder.py [--only covertype_synthetic reviews] [--explainer direct_regression]
       [--set preselect.max_inputs=20 ...]   (explain.py overrides, to compare settings)
Trains a 32-latent autoencoder (trainer=fast) on the Covertype stand-in (54 inputs) and on the
shipped reviews (384 embedding dimensions), explains all 32 latents of each with explain.py's
defaults, and prints the time and the R^2 distribution. Target: the 54-input case within 10
minutes on 2 cores. Prints the table, writes bench/results/explain_autoencoder.md, logs to MLflow.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 600  # the 54-input case on 2 cores


def main() -> None:
    import os

    os.environ.setdefault("LATENTLAW_ROOT", str(ROOT))
    from hydra import compose, initialize_config_dir

    from latentlaw.tasks.explain import explain
    from latentlaw.tasks.train import train
    from latentlaw.tracking import record

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", default=["covertype_synthetic", "reviews"])
    parser.add_argument("--explainer", default="direct_regression")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="explain.py overrides")
    args = parser.parse_args()

    def config(name: str, overrides: list[str]):
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            return compose(config_name=name, overrides=overrides)

    rows, metrics = [], {}
    for dataset in args.only:
        trained = train(config("train", [f"dataset={dataset}", "model=autoencoder", "trainer=fast",
                                         f"seed={args.seed}", "trainer.enable_progress_bar=false"]))
        started = time.perf_counter()
        summary = explain(config("explain", [f"train_run={trained['run_id']}", f"explainer={args.explainer}",
                                             f"seed={args.seed}", *args.set]))
        seconds = time.perf_counter() - started
        r2 = np.array([r[record.COLUMN_R2] for r in summary["neurons"]])
        best = np.array([r[record.COLUMN_BEST_R2] for r in summary["neurons"]])
        inputs = [len(r[record.COLUMN_INPUTS].split(",")) if r[record.COLUMN_INPUTS] else 0 for r in summary["neurons"]]
        share = np.array([r[record.COLUMN_INPUT_SHARE] for r in summary["neurons"]])
        rows.append((dataset, len(r2), seconds, r2, best, inputs, share))
        print(f"{dataset}: {len(r2)} latents in {seconds:.0f} s; R^2 min {r2.min():.4g} median {np.median(r2):.3f} "
              f"max {r2.max():.3f}, share >= 0.9: {np.mean(r2 >= 0.9):.0%}", flush=True)
        metrics |= {f"seconds.{dataset}": seconds, f"r2_median.{dataset}": float(np.median(r2)),
                    f"r2_min.{dataset}": float(r2.min()), f"r2_max.{dataset}": float(r2.max()),
                    f"r2_share_0.9.{dataset}": float(np.mean(r2 >= 0.9)),
                    f"best_r2_median.{dataset}": float(np.median(best))}
    settings = " ".join(args.set) or "explain.py's defaults"
    lines = [f"# Explaining all latents of an autoencoder ({args.explainer}, trainer=fast, seed {args.seed})", "",
             f"Settings: {settings}.", "",
             f"{os.cpu_count()} cores, shared with other jobs while this ran (wall times are upper bounds).", "",
             "| dataset | latents | wall s | R^2 min | median | max | share >= 0.9 | best R^2 on front, median | "
             "inputs searched | their energy share, median |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    def fmt(value: float) -> str:  # explain logs an expression undefined on some rows as R^2 = -1e9
        return "-inf" if value <= -1e9 else f"{value:.3f}"

    for dataset, n, seconds, r2, best, inputs, share in rows:
        lines.append(f"| {dataset} | {n} | {seconds:.0f} | {fmt(r2.min())} | {fmt(np.median(r2))} | {fmt(r2.max())} | "
                     f"{np.mean(r2 >= 0.9):.0%} | {np.median(best):.3f} | {min(inputs)}-{max(inputs)} | "
                     f"{np.median(share):.2f} |")
    first = rows[0]
    lines += ["", f"{first[0]}: {first[2]:.0f} s against a target of {TARGET_SECONDS} s "
                  f"({'met' if first[2] <= TARGET_SECONDS else 'missed'})."]
    from bench_log import publish

    publish("explain_autoencoder", "\n".join(lines), metrics)


if __name__ == "__main__":
    main()
