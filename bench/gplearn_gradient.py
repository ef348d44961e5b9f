"""Gradient objective: native SymbolicSearch vs gplearn with the same fitness, time to a recovered law.

Both searches see the same points and the same unit target gradients g (those of the known law)
and minimise 2 - 2|mean cos(grad f, g)|. gplearn cannot differentiate its programs, so it gets
finite differences: the data are stacked as [X; X + h e_1; ...; X + h e_d] and its custom
fitness reads the program's values on those blocks (the target gradients ride in y).

Held-out |mean cos| between the found law's gradient field and the truth's
(latentlaw.symbolic.verify.gradient_alignment) grades a result: >= 0.999 "recovered" (the
project's verdict), >= 1 - 1e-6 "exact" (the law itself, up to reparametrisation: 0.999 still
admits spurious terms). The native engine runs one fit per seed; gplearn runs generation by
generation, noting when each level is first reached, until exact or the per-case time cap
(a level never reached makes the speed-up a lower bound).

    .venv/bin/python bench/gplearn_gradient.py [--cap 120] [--seeds 0 1 2] [--gplearn-seeds 0]

Writes bench/results/gplearn_gradient.md. gplearn is a benchmark-only extra:
pip install 'latentlaw[bench]'.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.parse_sympy import parse_sympy
from latentlaw.symbolic.verify import gradient_alignment

RESULTS = Path(__file__).resolve().parent / "results" / "gplearn_gradient.md"
# Held-out |mean cos| with the true gradient field: 0.999 is latentlaw's "recovered" (explain's
# recovery_tolerance 1e-3); "exact" asks for the law itself up to reparametrisation.
LEVELS = {"recovered": 0.999, "exact": 1.0 - 1e-6}
H = 1e-5  # forward-difference step for gplearn's programs
BINARY = ["+", "-", "*", "/"]
UNARY = ["square", "sin", "cos", "exp"]
GPLEARN_FUNCTIONS = ("add", "sub", "mul", "div", "sin", "cos")  # + square and exp primitives


@dataclass(frozen=True)
class Case:
    name: str
    variables: tuple[str, ...]
    truth: str


CASES = [
    Case("harmonic x^2+v^2", ("x", "v"), "x**2 + v**2"),
    Case("det 2x2", ("A11", "A12", "A21", "A22"), "A11*A22 - A12*A21"),
    Case("spacetime interval", ("t", "x1", "x2", "x3"), "t**2 - x1**2 - x2**2 - x3**2"),
    Case("sine potential", ("x", "v"), "v**2/2 + sin(x)"),
    Case("anharmonic", ("x", "v"), "v**2/2 + x**2/2 + x**4/4"),
    Case("exp potential", ("x", "v"), "v**2/2 + x**2/2 + exp(x + 1)"),
    Case("angular momentum", ("x1", "x2", "v1", "v2"), "x1*v2 - x2*v1"),
    Case("field invariant E.B", ("E1", "E2", "E3", "B1", "B2", "B3"), "E1*B1 + E2*B2 + E3*B3"),
]


def unit_gradients(truth: sympy.Expr, variables: tuple[str, ...], X: np.ndarray) -> np.ndarray:
    symbols = [sympy.Symbol(v) for v in variables]
    grad = sympy.lambdify(symbols, [sympy.diff(truth, s) for s in symbols], modules="numpy")
    G = np.stack([np.broadcast_to(np.asarray(g, dtype=float), (len(X),)) for g in grad(*X.T)], axis=1)
    return G / np.maximum(np.linalg.norm(G, axis=1, keepdims=True), 1e-12)


def alignment(expr: sympy.Expr, truth: sympy.Expr, X: np.ndarray, variables: tuple[str, ...]) -> float:
    try:
        return float(gradient_alignment(expr, truth, X, list(variables)))
    except Exception:  # an expression that cannot be differentiated or evaluated is not the law
        return 0.0


def run_native(case: Case, seed: int, X, G, X_test, truth) -> dict:
    search = SymbolicSearch(objective="gradient", binary_operators=BINARY, unary_operators=UNARY,
                            random_state=seed, verbosity=0)
    wall, cpu = time.perf_counter(), time.process_time()
    search.fit(X, gradients=G, variable_names=list(case.variables))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    score, law = max(((alignment(e, truth, X_test, case.variables), e) for e in search.pareto_front_["sympy"]),
                     key=lambda t: t[0])
    reached = {level: (wall, cpu) if score >= bar else None for level, bar in LEVELS.items()}
    return {"reached": reached, "alignment": score, "law": str(law), "wall": wall, "cpu": cpu}


def gplearn_fitness(n: int, d: int):
    """2 - 2|mean cos| between the program's forward-difference gradient and the targets.

    y and y_pred come as d + 1 stacked blocks of n rows: block 0 the points, block i the points
    shifted by H along input i; y's block i holds the i-th target gradient component.
    """
    from gplearn.fitness import make_fitness

    def fitness(y: np.ndarray, y_pred: np.ndarray, w: np.ndarray) -> float:
        if len(y) != (d + 1) * n:  # gplearn's own sanity call with toy arrays
            return 2.0
        with np.errstate(all="ignore"):
            blocks = y_pred.reshape(d + 1, n)
            fd = (blocks[1:] - blocks[0]) / H
            if not np.all(np.isfinite(fd)):
                return 2.0
            target = y.reshape(d + 1, n)[1:]
            norm = np.sqrt((fd * fd).sum(axis=0))
            cos = np.where(norm > 0, (fd * target).sum(axis=0) / np.where(norm > 0, norm, 1.0), 0.0)
            loss = float(2.0 - 2.0 * abs(cos.mean()))
        return loss if np.isfinite(loss) else 2.0

    return make_fitness(function=fitness, greater_is_better=False, wrap=False)


def gplearn_to_sympy(program: str, variables: tuple[str, ...]) -> sympy.Expr:
    """gplearn's prefix program as sympy (div read as plain division)."""
    functions = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
                 "div": lambda a, b: a / b}  # sin, cos, square, exp are parse_sympy's own
    names = [f"X{i}" for i in range(len(variables))]
    rename = {sympy.Symbol(n): sympy.Symbol(v) for n, v in zip(names, variables)}
    return parse_sympy(program, names, functions=functions, what="gplearn program").xreplace(rename)


def _protected_exp(a: np.ndarray) -> np.ndarray:
    """gplearn needs total functions; exp is clipped where it would overflow."""
    return np.exp(np.clip(a, -50.0, 50.0))


def run_gplearn(case: Case, seed: int, X, G, X_test, truth, cap: float) -> dict:
    """Generation by generation until the exact law (or the cap); notes when each level is first reached."""
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor

    n, d = X.shape
    stacked = np.vstack([X] + [X + H * np.eye(d)[i] for i in range(d)])
    target = np.concatenate([np.zeros(n)] + [G[:, i] for i in range(d)])
    square = make_function(function=np.square, name="square", arity=1, wrap=False)
    exp = make_function(function=_protected_exp, name="exp", arity=1, wrap=False)
    est = SymbolicRegressor(population_size=1000, generations=1, metric=gplearn_fitness(n, d),
                            function_set=(*GPLEARN_FUNCTIONS, square, exp), max_samples=1.0, stopping_criteria=0.0,
                            parsimony_coefficient=1e-4, init_depth=(2, 4), warm_start=True, random_state=seed)
    wall, cpu = time.perf_counter(), time.process_time()
    out = {"reached": dict.fromkeys(LEVELS), "alignment": 0.0, "law": "-", "generations": 0}
    tried: set[str] = set()
    while time.perf_counter() - wall < cap and out["reached"]["exact"] is None:
        out["generations"] += 1
        est.set_params(generations=out["generations"])
        est.fit(stacked, target)
        program = str(est._program)
        # gplearn keeps no elite, so check each generation's best; verify only plausible ones
        if est._program.raw_fitness_ > 2.0 - 2.0 * LEVELS["recovered"] or program in tried:
            continue
        tried.add(program)
        expr = gplearn_to_sympy(program, case.variables)
        score = alignment(expr, truth, X_test, case.variables)
        if score > out["alignment"]:
            out.update(alignment=score, law=str(expr))
        for level, bar in LEVELS.items():
            if score >= bar and out["reached"][level] is None:
                out["reached"][level] = (time.perf_counter() - wall, time.process_time() - cpu)
    out.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)
    return out


def seconds(reached: tuple[float, float] | None, spent: dict) -> str:
    if reached is None:
        return f"not within {spent['wall']:.0f}"
    return f"{reached[0]:.1f} ({reached[1]:.1f})"


def speedup(gplearn: dict, native: list[dict], level: str) -> str:
    """gplearn CPU seconds / native median CPU seconds to the same level; a lower bound ('>=')
    when gplearn never got there (its whole run is counted)."""
    times = [r["reached"][level][1] for r in native if r["reached"][level] is not None]
    if not times:
        return "native missed"
    g = gplearn["reached"][level]
    ratio = (g[1] if g is not None else gplearn["cpu"]) / statistics.median(times)
    return f"{ratio:.2g}x" if g is not None else f">= {ratio:.2g}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap", type=float, default=120.0, help="gplearn seconds per case and seed")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="native seeds")
    parser.add_argument("--gplearn-seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n", type=int, default=500, help="training points (as many held out)")
    args = parser.parse_args()
    try:
        import gplearn  # noqa: F401
    except ImportError:
        raise SystemExit("gplearn is not installed: pip install 'latentlaw[bench]' (gplearn==0.4.3)")

    lines = ["| case | native recovered / exact | native median s, wall (CPU) | native law "
             "| gplearn s to 0.999, wall (CPU) | gplearn s to exact, wall (CPU) | gplearn generations "
             "| gplearn best law "
             "| native speed-up to 0.999 (CPU) | to exact (CPU) |", "|---|---|---|---|---|---|---|---|---|---|"]
    totals = {level: [0.0, 0.0] for level in LEVELS}  # CPU seconds: native median, gplearn (cap if missed)
    for k, case in enumerate(CASES):
        rng = np.random.default_rng(100 + k)
        X, X_test = rng.uniform(-2, 2, (args.n, len(case.variables))), rng.uniform(-2, 2, (args.n, len(case.variables)))
        truth = parse_sympy(case.truth, case.variables, what="benchmark law")
        G = unit_gradients(truth, case.variables, X)
        native = [run_native(case, s, X, G, X_test, truth) for s in args.seeds]
        for s, r in zip(args.seeds, native):
            print(f"{case.name}: native seed {s} alignment {r['alignment']:.9f} wall {r['wall']:.2f}s "
                  f"cpu {r['cpu']:.2f}s law: {r['law']}", flush=True)
        counts = " / ".join(f"{sum(r['reached'][level] is not None for r in native)}/{len(native)}" for level in LEVELS)
        wall, cpu = (statistics.median(r[key] for r in native) for key in ("wall", "cpu"))
        median = f"{wall:.2f} ({cpu:.2f})"
        for s in args.gplearn_seeds:
            g = run_gplearn(case, s, X, G, X_test, truth, args.cap)
            print(f"{case.name}: gplearn seed {s} alignment {g['alignment']:.9f} reached {g['reached']} "
                  f"after {g['generations']} generations, {g['wall']:.1f}s; best: {g['law']}", flush=True)
            for level, pair in totals.items():
                hits = [r["reached"][level][1] for r in native if r["reached"][level] is not None]
                pair[0] += statistics.median(hits) if hits else float("nan")
                pair[1] += (g["reached"][level] or (0.0, g["cpu"]))[1] / len(args.gplearn_seeds)
            lines.append(f"| {case.name} | {counts} | {median} | `{native[0]['law']}` | "
                         f"{seconds(g['reached']['recovered'], g)} | {seconds(g['reached']['exact'], g)} | "
                         f"{g['generations']} | `{g['law']}` | {speedup(g, native, 'recovered')} | "
                         f"{speedup(g, native, 'exact')} |")
    summary = "; ".join(f"{level}: native {n:.1f} s, gplearn {g:.1f} s ({g / n:.2g}x)"
                        for level, (n, g) in totals.items())
    lines += ["", "Totals over the cases, CPU seconds to each level (gplearn runs that never reached it count in "
              f"full, so its totals are lower bounds): {summary}."]
    text = "\n".join(lines)
    print(text)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        "# Gradient objective: native SymbolicSearch vs gplearn (finite-difference gradient fitness)\n\n"
        f"{args.n} training and {args.n} held-out points per case, inputs U[-2, 2]; operators {BINARY} + {UNARY} "
        f"(gplearn: {list(GPLEARN_FUNCTIONS)} + square + exp, population 1000, no elitism so each generation's best "
        f"is checked). Levels of held-out |mean cos| with the true gradient field: recovered >= "
        f"{LEVELS['recovered']}, exact >= {LEVELS['exact']}. Native: one default-budget fit per seed (it stops at "
        f"loss 1e-10); gplearn runs until exact or {args.cap:.0f} s. Native seeds {args.seeds}, gplearn seeds "
        f"{args.gplearn_seeds}; machine: 2 shared cores (timings vary with load; speed-ups use CPU seconds). "
        f"Generated by `bench/gplearn_gradient.py`.\n\n{text}\n")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
