"""Neurons that mix several laws: the engine with n_concepts=2 (or "auto") on exact gradients of
F(I1, I2) = tanh(I1 + 0.7 I2) + 0.4 sin(1.3 I1 I2) for pairs of laws on the same inputs.

A run recovers the pair when the selected row's gradient span matches the laws' span
(``verify.span_alignment`` >= 0.999) on held-out points. With ``--auto`` the table also says how
many concepts ``n_concepts="auto"`` chose, on each pair and on single laws (from
bench/symbolic_recovery.py's list, optionally with gradient noise). CPU seconds of one core.
Prints the table, writes bench/results/<name>.md and logs to MLflow ('benchmarks').

    python bench/symbolic_concepts.py                        # field and kepler pairs, seeds 0 1 2
    python bench/symbolic_concepts.py --auto --singles harmonic sine rational --noise 0.02
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.laws import LAWS, MIXTURES, law_gradients, mixture_gradients
from latentlaw.symbolic.verify import span_alignment

ALIGNED = 0.999


def run(name: str, laws: tuple[str, ...], seed: int, n_concepts, noise: float, rows: int, timeout: float,
        maxsize: int) -> dict:
    specs = [LAWS[law] for law in laws]
    names = list(specs[-1].variables)
    rng = np.random.default_rng(1000 + seed)
    X = specs[-1].sample(rng, rows)
    if len(specs) == 1:
        G = law_gradients(specs[0], X, noise=noise, rng=rng)
    else:
        G = mixture_gradients(specs, X, noise=noise, rng=rng)
    started = time.process_time()
    search = SymbolicSearch(n_concepts=n_concepts, maxsize=maxsize, random_state=seed, verbosity=0,
                            timeout_in_seconds=timeout).fit(X, gradients=G, variable_names=names)
    seconds = time.process_time() - started
    held_out = specs[-1].sample(np.random.default_rng(99), 2000)
    truths = [s.expression for s in specs]
    found = search.concepts()
    alignment = min(span_alignment(found, truths, held_out, names), span_alignment(truths, found, held_out, names))
    row = search.pareto_front_.iloc[search.best_index_]
    return {"case": name, "seed": seed, "n_concepts": str(n_concepts), "chosen": search.n_concepts_,
            "losses": " ".join(f"{k}:{v:.2g}" for k, v in search.concept_losses_.items()),
            "found": row["equation"], "alignment": alignment, "recovered": alignment >= ALIGNED, "cpu_s": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", nargs="*", default=list(MIXTURES))
    parser.add_argument("--singles", nargs="*", default=[], help="single laws (for --auto: should pick 1)")
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--auto", action="store_true", help="n_concepts='auto' instead of 2")
    parser.add_argument("--noise", type=float, default=0.0)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--maxsize", type=int, default=40)
    parser.add_argument("--name", default="symbolic_concepts")
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    cases = [(p, MIXTURES[p]) for p in args.pairs] + [(s, (s,)) for s in args.singles]
    results = []
    for name, laws in cases:
        for seed in args.seeds:
            k = "auto" if args.auto else (2 if len(laws) > 1 else 1)
            r = run(name, laws, seed, k, args.noise, args.rows, args.timeout, args.maxsize)
            results.append(r)
            print(f"{name:16s} seed {seed} k={r['chosen']} {'ok ' if r['recovered'] else 'MISS'} {r['cpu_s']:6.1f}s "
                  f"span {r['alignment']:.6f}  {r['found']}", flush=True)
    lines = [f"# Several laws per neuron (native engine, n_concepts={'auto' if args.auto else 2}, {args.rows} rows, "
             f"noise {args.noise}, maxsize {args.maxsize}, timeout {args.timeout:g} s, CPU seconds)", "",
             "| case | seed | k chosen | loss per k | span alignment | recovered | CPU s | selected row |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['case']} | {r['seed']} | {r['chosen']} | {r['losses'] or '-'} | {r['alignment']:.6f} | "
              f"{'yes' if r['recovered'] else 'no'} | {r['cpu_s']:.1f} | `{r['found']}` |" for r in results]
    recovered = sum(r["recovered"] for r in results)
    lines += ["", f"Recovered: {recovered}/{len(results)}."]
    from bench_log import publish

    metrics = {f"cpu_s_{r['case']}_{r['seed']}": r["cpu_s"] for r in results}
    metrics["recovered_fraction"] = recovered / max(len(results), 1)
    publish(args.name, "\n".join(lines), metrics, log=not args.no_mlflow)


if __name__ == "__main__":
    main()
