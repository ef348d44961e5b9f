"""Recovery table of the native engine: each known law from exact (or transformed, or noisy) gradients.

For every law in latentlaw.symbolic.laws and every seed: the automatically selected
expression, its gradient alignment with the law on held-out points (recovered when >= 0.999),
and the CPU seconds of the search (default engine settings, timeout --timeout wall seconds).
Prints the table, writes bench/results/symbolic_recovery.{csv,md} and logs to MLflow
('benchmarks').

    python bench/symbolic_recovery.py                      # 16 laws x 3 seeds, exact gradients
    python bench/symbolic_recovery.py --transforms exp cube atan negation --seeds 0
    python bench/symbolic_recovery.py --noise 0.02 --laws harmonic kepler_energy
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from latentlaw.symbolic import SymbolicSearch, gradient_alignment
from latentlaw.symbolic.laws import LAWS, law_gradients

ROOT = Path(__file__).resolve().parents[1]
ALIGNED = 0.999


def run_one(law: str, seed: int, transform: str | None, noise: float, n: int, timeout: float) -> dict:
    spec = LAWS[law]
    rng = np.random.default_rng(1000 + seed)
    X = spec.sample(rng, n)
    G = law_gradients(spec, X, transform=transform, noise=noise, rng=rng)
    started = time.process_time()
    search = SymbolicSearch(random_state=seed, verbosity=0, timeout_in_seconds=timeout)
    search.fit(X, gradients=G, variable_names=list(spec.variables))
    seconds = time.process_time() - started
    held_out = spec.sample(np.random.default_rng(99), 2000)
    alignment = gradient_alignment(search.sympy(), spec.expression, held_out, list(spec.variables))
    row = search.pareto_front_.iloc[search.best_index_]
    return {"law": law, "truth": spec.expression, "transform": transform or "-", "noise": noise, "seed": seed,
            "found": row["equation"], "complexity": int(row["complexity"]), "loss": float(row["loss"]),
            "alignment": alignment, "recovered": alignment >= ALIGNED, "cpu_s": seconds,
            "stop": search.stop_reason_}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--laws", nargs="*", default=list(LAWS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--transforms", nargs="*", default=[None])
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--name", default="symbolic_recovery")
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    rows = []
    for law in args.laws:
        for transform in args.transforms:
            for seed in args.seeds:
                row = run_one(law, seed, transform, args.noise, args.rows, args.timeout)
                rows.append(row)
                print(f"{law:17s} {row['transform']:8s} seed {seed} {'ok ' if row['recovered'] else 'MISS'} "
                      f"{row['cpu_s']:6.1f}s align {row['alignment']:.6f}  {row['found']}", flush=True)
    frame = pd.DataFrame(rows)
    summary = frame.groupby(["law", "transform"], sort=False).agg(
        recovered=("recovered", "sum"), runs=("recovered", "size"), median_cpu_s=("cpu_s", "median"),
        found=("found", "first")).reset_index()
    lines = [f"# Symbolic recovery (native engine, {args.rows} rows, noise {args.noise}, CPU seconds, one core)", "",
             "| law | transform | recovered | median s | selected expression (first seed) |", "|---|---|---|---|---|"]
    lines += [f"| {r.law} | {r.transform} | {r.recovered}/{r.runs} | {r.median_cpu_s:.1f} | `{r.found}` |"
              for r in summary.itertuples()]
    lines += ["", f"All runs recovered: {int(frame['recovered'].sum())}/{len(frame)}; "
              f"median CPU seconds over laws: {statistics.median(summary['median_cpu_s']):.1f}."]
    text = "\n".join(lines)
    print(text)
    out = ROOT / "bench/results" / f"{args.name}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    frame.to_csv(out.with_suffix(".csv"), index=False)
    if not args.no_mlflow:
        from bench_log import log_benchmark

        metrics = {f"median_cpu_s_{r.law}_{r.transform}": r.median_cpu_s for r in summary.itertuples()}
        metrics["recovered_fraction"] = float(frame["recovered"].mean())
        log_benchmark(args.name, metrics, out)


if __name__ == "__main__":
    main()
