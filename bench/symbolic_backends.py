"""Native engine vs operon on one regression law: is it recovered, and how fast.

Task: y = 2.5 x0^2 + cos(x1) - x2 on 500 rows x 5 columns (x3, x4 are distractors), both
backends with the same operators and SymbolicSearch's default budget, one fit per seed.
"operon:full-budget" is operon without early_stop_loss (all niterations generations).
"Recovered" means a Pareto-front member equals the law symbolically once its float constants
are read as simple numbers (tolerance 1e-6, pi allowed); the table also gives the held-out R^2
of the model SymbolicSearch selects. Times are wall and CPU seconds of ``fit``.

    .venv/bin/python bench/symbolic_backends.py [--seeds 0 1 2] [--backends native operon operon:full-budget]

Writes bench/results/symbolic_backends.md.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.parse_sympy import parse_sympy

NAMES = [f"x{i}" for i in range(5)]
TRUTH = "2.5*x0**2 + cos(x1) - x2"
SETTINGS = {"binary_operators": ["+", "-", "*", "/"], "unary_operators": ["square", "cos", "sin", "exp"]}
RESULTS = Path(__file__).resolve().parent / "results" / "symbolic_backends.md"


def law(X: np.ndarray) -> np.ndarray:
    return 2.5 * X[:, 0] ** 2 + np.cos(X[:, 1]) - X[:, 2]


def is_law(expr: sympy.Expr, truth: sympy.Expr, X: np.ndarray) -> bool:
    """Symbolic equality after reading constants such as 2.4999999 or 3.1415926 as 2.5 or pi.

    A numeric screen on X comes first: sympy.simplify on a wrong expression with big rational
    constants can take minutes and gigabytes."""
    symbols = [sympy.Symbol(n) for n in NAMES]
    if expr.free_symbols != truth.free_symbols:
        return False
    with np.errstate(all="ignore"):
        values = [np.broadcast_to(sympy.lambdify(symbols, e, "numpy")(*X.T), len(X)) for e in (expr, truth)]
    if not np.allclose(values[0], values[1], rtol=1e-6, atol=1e-6):
        return False
    try:
        guess = sympy.nsimplify(expr, [sympy.pi], tolerance=1e-6)
        return sympy.simplify(guess - truth) == 0
    except Exception:  # sympy may choke on an odd front member; that member is then not the law
        return False


def r2(pred: np.ndarray, y: np.ndarray) -> float:
    return float(1.0 - np.mean((pred - y) ** 2) / np.var(y))


def run_one(backend: str, seed: int, X: np.ndarray, y: np.ndarray, X_test: np.ndarray,
            y_test: np.ndarray, truth: sympy.Expr) -> dict:
    name, _, variant = backend.partition(":")
    extra = {"early_stop_loss": None} if variant == "full-budget" else {}
    search = SymbolicSearch(objective="regression", backend=name, random_state=seed, verbosity=0, **SETTINGS, **extra)
    wall, cpu = time.perf_counter(), time.process_time()
    search.fit(X, y, variable_names=NAMES)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    front = search.pareto_front_
    hits = [expr for expr in front["sympy"] if is_law(expr, truth, X_test)]
    return {"backend": backend, "seed": seed, "recovered": bool(hits),
            "law": str(hits[0]) if hits else "-", "chosen": str(search.sympy()),
            "r2": r2(np.asarray(search.predict(X_test), dtype=float), y_test), "wall": wall, "cpu": cpu}


def table(rows: list[dict]) -> str:
    lines = ["| backend | seed | recovered | front member equal to the law | selected model | held-out R^2 "
             "| wall s | CPU s |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['backend']} | {r['seed']} | {'yes' if r['recovered'] else 'no'} | `{r['law']}` | "
                     f"`{r['chosen']}` | {r['r2']:.12f} | {r['wall']:.2f} | {r['cpu']:.2f} |")
    lines += ["", "| backend | recovered | median wall s | median CPU s |", "|---|---|---|---|"]
    for backend in dict.fromkeys(r["backend"] for r in rows):
        mine = [r for r in rows if r["backend"] == backend]
        wall, cpu = (statistics.median(r[key] for r in mine) for key in ("wall", "cpu"))
        lines.append(f"| {backend} | {sum(r['recovered'] for r in mine)}/{len(mine)} | {wall:.2f} | {cpu:.2f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--backends", nargs="+", default=["native", "operon", "operon:full-budget"],
                        help="backend names; NAME:full-budget runs without early_stop_loss")
    args = parser.parse_args()

    rng = np.random.default_rng(12345)
    X, X_test = rng.uniform(-2, 2, (500, 5)), rng.uniform(-2, 2, (2000, 5))
    y, y_test = law(X), law(X_test)
    truth = parse_sympy(TRUTH, NAMES, what="benchmark law")
    rows = []
    for backend in args.backends:
        for seed in args.seeds:
            rows.append(run_one(backend, seed, X, y, X_test, y_test, truth))
            r = rows[-1]
            print(f"{backend:7s} seed {seed}: recovered={r['recovered']} wall={r['wall']:.2f}s cpu={r['cpu']:.2f}s "
                  f"selected: {r['chosen']}", flush=True)
    text = table(rows)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        f"# Regression backends: y = {TRUTH} (500 rows x 5 columns)\n\n"
        f"Operators {SETTINGS['binary_operators']} and {SETTINGS['unary_operators']}, SymbolicSearch's "
        f"default budget, seeds {args.seeds}; machine: 2 shared cores (timings vary with load). "
        f"Generated by `bench/symbolic_backends.py`.\n\n{text}\n")
    print(f"\nwrote {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


if __name__ == "__main__":
    main()
