"""Expression evaluations per second per core: value + exact input gradient of one tree.

Trees of 5/15/25 nodes over 4 inputs, on batches of 25 and 1,000 samples, timed in CPU
seconds (the engine is single-threaded). Reference: PySR's published ~500k evaluations/s on a
4-core laptop, i.e. ~125k/s per core; the target is to stay within 4x of that (>= 31k/s).
Also reports a full candidate evaluation as the search does it (value, gradient, projection
on the targets, closed-form coefficients for a 3-term candidate), and a like-for-like row against
DynamicExpressions.jl's published timings for x1*cos(x2 - 3.2) on 100 rows (0.6 us for the value,
2.3 us with the input gradient).
Prints the table, writes bench/results/symbolic_eval_speed.md and logs to MLflow ('benchmarks').
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from latentlaw.symbolic.dataset import prepare
from latentlaw.symbolic.evaluate import columns_of, evaluate
from latentlaw.symbolic.evaluate_derivative import evaluate_with_gradient
from latentlaw.symbolic.member import evaluate_terms
from latentlaw.symbolic.objectives import OBJECTIVES
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.parse import parse_expression

ROOT = Path(__file__).resolve().parents[1]
PYSR_PER_CORE = 125_000
DE_SECONDS = {"value": 0.6e-6, "gradient": 2.3e-6}  # DynamicExpressions.jl, x1*cos(x2 - 3.2), 100 rows
NAMES = ["x0", "x1", "x2", "x3"]
TREES = {  # node counts 5, 15, 25 (typical operator mix, values stay finite on U[0.5, 1.5])
    5: "square(x0)*cos(x1)",
    15: "square(x0)*cos(x1 - 3.2) + sqrt(square(x2)/(x3 + 1.5))",
    25: "square(x0)*cos(x1 - 3.2) + square(x2)/(x3 + 1.5) - exp(x0*0.5)*sin(sqrt(x1*x2))",
}


def rate(fn, min_seconds: float) -> float:
    """Calls per CPU second of ``fn``."""
    calls, started = 0, time.process_time()
    while True:
        for _ in range(200):
            fn()
        calls += 200
        spent = time.process_time() - started
        if spent >= min_seconds:
            return calls / spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="CPU seconds per measurement")
    parser.add_argument("--no-mlflow", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows, metrics = [], {}
    for n in (25, 1000):
        X = rng.uniform(0.5, 1.5, (n, 4))
        cols = columns_of(X)
        G = rng.normal(size=(n, 4))
        data, _ = prepare(X, gradients=G, objective="gradient", variable_names=NAMES)
        for size, text in TREES.items():
            tree = parse_expression(text, NAMES)
            assert tree.size == size, (text, tree.size)
            with np.errstate(all="ignore"):
                both = rate(lambda: evaluate_with_gradient(tree, cols), args.seconds)
                value = rate(lambda: evaluate(tree, cols), args.seconds)
            rows.append((size, n, both, value, both / PYSR_PER_CORE))
            metrics[f"evals_per_s_nodes{size}_rows{n}"] = both
        options = build_options({"binary_operators": ["+", "-", "*", "/"], "unary_operators": ["square", "cos", "exp", "sin"]})
        terms = tuple(parse_expression(t, NAMES) for t in ("x0*cos(x1 - 3.2)", "square(x2)/(x3 + 1.5)", "exp(x0*0.5)"))
        with np.errstate(all="ignore"):
            candidate = rate(lambda: evaluate_terms(terms, data, OBJECTIVES["gradient"], options, memo=False), args.seconds)
        metrics[f"candidates_per_s_rows{n}"] = candidate
        rows.append(("3-term candidate", n, candidate, float("nan"), candidate / PYSR_PER_CORE))
    X = rng.uniform(0.5, 1.5, (100, 2))
    cols = columns_of(X)
    tree = parse_expression("x1*cos(x2 - 3.2)", ["x1", "x2"])
    with np.errstate(all="ignore"):
        ours = {"value": 1.0 / rate(lambda: evaluate(tree, cols), args.seconds),
                "gradient": 1.0 / rate(lambda: evaluate_with_gradient(tree, cols), args.seconds)}
    for kind, seconds in ours.items():
        metrics[f"de_case_{kind}_us"] = seconds * 1e6
    lines_de = ["", "Like for like with DynamicExpressions.jl (x1*cos(x2 - 3.2), 100 rows):", "",
                "| evaluation | latentlaw | DynamicExpressions.jl | ratio |", "|---|---|---|---|"]
    for kind, seconds in ours.items():
        lines_de.append(f"| {kind} | {seconds * 1e6:.1f} us | {DE_SECONDS[kind] * 1e6:.1f} us | "
                        f"{seconds / DE_SECONDS[kind]:.1f}x slower |")
    lines = ["# Symbolic evaluation speed (one core, CPU time)", "",
             f"Reference: PySR ~{PYSR_PER_CORE:,} evaluations/s/core; target >= {PYSR_PER_CORE // 4:,}/s (within 4x).", "",
             "| tree | rows | value+gradient / s | value only / s | vs PySR |", "|---|---|---|---|---|"]
    for size, n, both, value, ratio in rows:
        label = f"{size} nodes" if isinstance(size, int) else size
        value_text = "-" if value != value else f"{value:,.0f}"
        lines.append(f"| {label} | {n} | {both:,.0f} | {value_text} | {ratio:.2f}x |")
    lines += lines_de
    from bench_log import publish

    publish("symbolic_eval_speed", "\n".join(lines), metrics, log=not args.no_mlflow)


if __name__ == "__main__":
    main()
