"""Time to generate the 12 invariant datasets at paper size (50k/5k/10k triplets each).

Target: all 12 in under 60 s on 2 cores (the authors' code needed ~12 minutes for 07-11 alone).
Per dataset: wall and CPU seconds, triplets per second, the largest anchor/positive invariant drift
relative to the invariant's spread over the anchors, and the largest |value| the network will see.
Prints the table, writes bench/results/data_generation.md and logs it to MLflow (experiment
'benchmarks') unless --no-log.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 60.0


def measure(name: str, sizes: dict[str, int]) -> dict[str, float]:
    from latentlaw.data.invariants import INVARIANTS, make_invariant_dataset

    wall, cpu = time.perf_counter(), time.process_time()
    ds = make_invariant_dataset(name, **sizes, seed=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    entry, parts = INVARIANTS[name], (ds.train, ds.val, ds.test)
    anchors = np.concatenate([p.anchor for p in parts])
    positives = np.concatenate([p.positive for p in parts])
    ia, ip = entry.evaluate(anchors), entry.evaluate(positives)
    values = np.concatenate([np.abs(np.concatenate([p.anchor, p.positive, p.negative])) for p in parts])
    return {"wall_s": wall, "cpu_s": cpu, "triplets_per_s": len(anchors) / wall,
            "max_drift": float(np.max(np.abs(ip - ia) / ia.std(axis=0))), "max_abs": float(values.max())}


def kepler_drop_share(n_pairs: int) -> float:
    """Share of drawn Kepler pairs dropped (conservation check or close approach)."""
    from latentlaw.data import dynamics

    _, _, dropped = dynamics.sample_pairs(dynamics.KEPLER, n_pairs, np.random.default_rng(0))
    return dropped / (n_pairs + dropped)


def main() -> None:
    from latentlaw.data.invariants import list_invariants

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--names", nargs="*", default=list_invariants())
    parser.add_argument("--no-log", action="store_true", help="skip logging to MLflow")
    args = parser.parse_args()
    sizes = {"n_train": 50000, "n_val": 5000, "n_test": 10000}
    rows = {name: measure(name, sizes) for name in args.names}
    total_wall = sum(r["wall_s"] for r in rows.values())
    total_cpu = sum(r["cpu_s"] for r in rows.values())
    n = sum(sizes.values())
    lines = [f"# Invariant dataset generation ({n:,} triplets each: 50k/5k/10k; {os.cpu_count()} cores)", "",
             "| dataset | seconds | CPU seconds | triplets / s | max drift / spread | max abs value |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {name} | {r['wall_s']:.2f} | {r['cpu_s']:.2f} | {r['triplets_per_s']:,.0f} | "
              f"{r['max_drift']:.1e} | {r['max_abs']:.1f} |" for name, r in rows.items()]
    lines += [f"| **total** | **{total_wall:.2f}** | **{total_cpu:.2f}** | {n * len(rows) / total_wall:,.0f} | "
              f"{max(r['max_drift'] for r in rows.values()):.1e} | |", "",
              f"Target: under {TARGET_SECONDS:.0f} s in total. Drift: max |I(positive) - I(anchor)| over all "
              "splits, divided by the standard deviation of I over the anchors (float32 values, as trained on)."]
    if "angular_momentum" in rows:
        lines.append(f"Kepler pairs dropped and redrawn (close approach < 0.02 or conservation check): "
                     f"{100 * kepler_drop_share(2 * n):.2f}%.")
    from bench_log import publish

    metrics = {f"{name}_seconds": r["wall_s"] for name, r in rows.items()}
    metrics.update(total_seconds=total_wall, total_cpu_seconds=total_cpu)
    publish("data_generation", "\n".join(lines), metrics, log=not args.no_log)


if __name__ == "__main__":
    main()
