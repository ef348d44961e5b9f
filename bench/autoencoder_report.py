"""The three autoencoder questions, measured end to end on one dataset, in a store of their own.

Usage: python bench/autoencoder_report.py --dataset covertype_synthetic [--seeds 0 1 2]
       [--sizes 1 2 3 4 6 8 16 32] [--latent-size 32] [--set preselect.max_inputs=20 ...]

What a user would run by hand, in order: train.py (model=autoencoder, trainer=fast) per seed at
``--latent-size``, explain.py (direct regression, every latent) on each, analyze.py
analysis=features; then train.py across ``--sizes`` (seed 0; the explained runs count too) and
analyze.py analysis=reconstruction. Runs go to mlruns/reports/<dataset>.db, so the reports read
exactly these runs and nothing older. Prints and writes bench/results/autoencoder_report_<dataset>.md
and logs the figures to the 'benchmarks' experiment of the default store.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    import os

    os.environ.setdefault("LATENTLAW_ROOT", str(ROOT))
    from hydra import compose, initialize_config_dir

    from latentlaw.analysis import report_module
    from latentlaw.tasks.explain import explain
    from latentlaw.tasks.train import train
    from latentlaw.tracking import record

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="covertype_synthetic")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--sizes", nargs="*", type=int, default=[1, 2, 3, 4, 6, 8, 16, 32])
    parser.add_argument("--latent-size", type=int, default=32)
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="explain.py overrides")
    parser.add_argument("--train-set", nargs="*", default=[], metavar="KEY=VALUE", help="train.py overrides")
    parser.add_argument("--store", default=None, help="tracking URI (default: mlruns/reports/<dataset>.db)")
    args = parser.parse_args()
    store = args.store or f"sqlite:///{ROOT}/mlruns/reports/{args.dataset}.db"

    def config(name: str, overrides: list[str]):
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            return compose(config_name=name, overrides=[f"tracking.uri={store}", *overrides])

    def trained(size: int, seed: int) -> str:
        started = time.perf_counter()
        run = train(config("train", [f"dataset={args.dataset}", "model=autoencoder", "trainer=fast",
                                     f"model.latent_size={size}", f"seed={seed}", "trainer.enable_progress_bar=false",
                                     *args.train_set]))
        print(f"trained latent size {size}, seed {seed} in {time.perf_counter() - started:.0f} s", flush=True)
        return run["run_id"]

    started = time.perf_counter()
    r2s, explain_seconds = [], []
    for seed in args.seeds:
        run_id = trained(args.latent_size, seed)
        began = time.perf_counter()
        summary = explain(config("explain", [f"train_run={run_id}", "explainer=direct_regression", f"seed={seed}",
                                             *args.set]))
        explain_seconds.append(time.perf_counter() - began)
        r2s.append(np.array([r[record.COLUMN_R2] for r in summary["neurons"]]))
    for size in args.sizes:
        if size != args.latent_size:
            trained(size, args.seeds[0])
    features = report_module("features").run(config("analyze", ["analysis=features", f"analysis.dataset={args.dataset}"]))
    law = report_module("reconstruction").run(config("analyze", ["analysis=reconstruction",
                                                                 f"analysis.dataset={args.dataset}"]))
    total = time.perf_counter() - started

    table, curve = features.data, law.extra["curve"]
    r2 = np.concatenate(r2s)
    redundant = list(table.loc[table["redundant"], "feature"])
    unused = list(table.loc[table["equations_using"] == 0, "feature"])
    lines = [f"# The autoencoder questions on {args.dataset} (trainer=fast, direct regression)", "",
             f"Seeds {args.seeds} at latent size {args.latent_size}; sizes {args.sizes} (seed {args.seeds[0]}); "
             f"explain settings: {' '.join(args.set) or 'defaults'}. {os.cpu_count()} cores; {total / 60:.1f} min in all.", "",
             "## What each latent computes", "",
             f"{len(r2)} latents over {len(args.seeds)} seeds: held-out R^2 min {r2.min():.3f}, median "
             f"{np.median(r2):.3f}, max {r2.max():.3f}; R^2 >= 0.9 for {np.mean(r2 >= 0.9):.0%}; explain took "
             f"{min(explain_seconds):.0f}-{max(explain_seconds):.0f} s per run.", "",
             "## Which features it keeps", "",
             f"{len(table)} features; in no latent's equation: {len(unused)}; redundant: {len(redundant)}"
             + (f" ({', '.join(redundant)})" if redundant else "") + ".", "",
             "| rank | feature | importance | saliency | equations using | reconstruction R^2 | redundant |",
             "|---|---|---|---|---|---|---|"]
    for rank, row in enumerate(table.head(10).itertuples(), start=1):
        lines.append(f"| {rank} | `{row.feature}` | {row.importance:.3f} | {row.saliency:.3f} | {row.equations_using} | "
                     f"{row.reconstruction_r2:.3f} | {row.redundant} |")
    lines += ["", "## Reconstruction error against latent size", "",
              f"Law: `{law.data['equation']}`; leave-one-size-out R^2 {law.data['r2_holdout']:.3f}; "
              f"knee at latent size {law.data['knee_latent_size']}.", "",
              "| latent size | mean test error |", "|---|---|"]
    for size, error in zip(curve["latent_size"], curve["mean_error"]):
        lines.append(f"| {size} | {error:.4g} |")
    metrics = {"r2_median": float(np.median(r2)), "r2_share_0.9": float(np.mean(r2 >= 0.9)),
               "n_unused": float(len(unused)), "n_redundant": float(len(redundant)),
               "r2_holdout_law": float(law.data["r2_holdout"]), "knee": float(law.data["knee_latent_size"]),
               "minutes": total / 60}
    from bench_log import publish

    publish(f"autoencoder_report_{args.dataset}", "\n".join(lines), metrics, log=args.store is None)


if __name__ == "__main__":
    main()
