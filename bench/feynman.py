"""The Feynman benchmark: latentlaw's engine beside operon, gplearn and PySR on the 100 Feynman equations.

For each equation (bench/feynman_table.py: table, errata, sampling) and seed: ``--n`` rows drawn
uniformly from its ranges (seeded by seed and equation number), as many fresh rows for scoring.
Modes: ``regression`` (y = f(X)), ``noisy`` (y + Gaussian noise of 1% of y's RMS, SRBench's
convention) and ``gradient`` (targets: unit gradients of f; the law is wanted only up to an
invertible reparametrisation). Every engine gets the same operators (+ - * / square sqrt sin
cos exp log asin acos tanh: every function the tables use; gplearn has no asin, acos or tanh
and takes the rest), ``--budget`` seconds per equation and mode on one core, and stops early on an
exact fit in noise-free modes. Each equation x engine x mode x seed runs in a child process with
a hard timeout, so a hang or crash of one engine costs one row, never the bench.

Engines: ``native`` (latentlaw.symbolic.SymbolicSearch), ``operon`` (pyoperon, regression
only), ``gplearn`` (regression; gradient through the finite-difference fitness of
bench/gplearn_gradient.py), ``pysr`` (only where Julia exists; skipped with a note otherwise).
For the native engine and operon the expression scored is the one SymbolicSearch selects; for
gplearn its best program. Scores (bench/feynman_scoring.py): exact by SRBench's symbolic rule
(for gradients: functional dependence), exact by the numeric rule, R^2 > 0.999 (gradient:
|mean cos| > 0.999), whether any Pareto-front member is numerically exact, seconds to the law.

    .venv/bin/python bench/feynman.py                       # all 100 equations, 60 s each (about 14 h)
    .venv/bin/python bench/feynman.py --subset 12 --budget 20 --engines native operon
    .venv/bin/python bench/feynman.py --subset I.12.1 II.3.24 --modes gradient --seeds 0 1
    .venv/bin/python bench/feynman.py --engines native --modes regression --jobs 15   # 100 at 60 s on 16 cores
    .venv/bin/python bench/feynman.py --table bonus --engines native --modes gradient  # AI Feynman's 20 harder ones
    .venv/bin/python bench/feynman.py --table textbook --budget 30   # 30 laws never tuned on (bench/tables/)
    .venv/bin/python bench/feynman.py --table roots --modes regression  # 8 roots of quadratics (bench/tables/)

``--jobs N`` runs N children at once, each on one core (leave a core for the parent and the
machine); the budget stays per run, so the figures do not depend on N while N is below the
number of cores.

Writes bench/results/feynman.csv (one row per run, rewritten after every run) and
bench/results/feynman.md (bench/results/feynman_<table>/ for another named ``--table``), and logs the rates to MLflow (experiment 'benchmarks'; --no-log to skip).
physo (the table) and gplearn are in the bench extra: pip install 'latentlaw[bench]'.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core per engine
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import multiprocessing as mp  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor, as_completed  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import sympy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from feynman_scoring import (GOOD_FIT, NUMERIC_GRADIENT, NUMERIC_REGRESSION, functionally_dependent,  # noqa: E402
                             misalignment, regression_error, srbench_exact)
from feynman_table import SHIPPED, TABLES, Equation, load_table, sample, select, table_path, values  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ENGINES = ("native", "operon", "gplearn", "pysr")
MODES = ("regression", "noisy", "gradient")
SUPPORTS = {"native": MODES, "operon": ("regression", "noisy"), "gplearn": MODES, "pysr": MODES}
BINARY = ("+", "-", "*", "/")
UNARY = ("square", "sqrt", "sin", "cos", "exp", "log", "asin", "acos", "tanh")  # every function the tables use
NOISE = 0.01  # noise std as a share of y's RMS (SRBench's target noise 0.01)
# Noise-free runs stop at these losses. Regression: MSE / var(y); 1e-10 let an approximation of
# II.11.28 stop the native engine, and 1e-12 approximations of 1/(gamma - 1) (I.39.11, 5e-11 on
# fresh rows); the native engine's exact laws reach 1e-18 or less in float64, so it stops at
# 1e-14, while operon's, with float32 constants tidied to 6 figures, reach ~2e-13 and stop at
# 1e-12. Gradient: 2 - 2|mean cos|, the native engine's default.
EARLY_STOP = {"regression": 1e-12, "gradient": 1e-10}
NATIVE_REGRESSION_STOP = 1e-14
ITERATIONS = 10**6  # so that the time budget, not an iteration count, ends a search
GPLEARN_POPULATION = 1000
STARTUP_SLACK = 60.0  # seconds a child may take beyond its budget and checks (imports, data, front scoring)
# Published exact-solution rates, noise-free (SRBench 2021, averaged from cavalab/srbench
# docs/csv/groundtruth.csv, hours per problem; PhySO from its own paper).
PUBLISHED = {"PhySO": 58.4, "AI Feynman": 55.8, "AFP_FE": 27.0, "GP-GOMEA": 26.8, "DSR": 19.7, "Operon": 16.6}
COLUMNS = ["equation", "number", "n_variables", "formula", "engine", "mode", "seed", "status", "seconds",
           "symbolic_exact", "numeric_exact", "error", "good_fit", "front_numeric_exact", "front_size",
           "expression", "stop_reason", "note"]


@dataclass(frozen=True)
class Job:
    equation: Equation
    engine: str
    mode: str
    seed: int


@dataclass(frozen=True)
class Settings:
    budget: float
    n: int
    check_limit: float
    native: tuple[tuple[str, Any], ...] = ()  # extra SymbolicSearch parameters of the native engine (ablations)


# -- data --------------------------------------------------------------------------------------

def make_data(equation: Equation, seed: int, n: int) -> dict[str, np.ndarray]:
    """Training rows, fresh scoring rows, y, noisy y and unit gradients; one seed drives them all,
    so every engine and mode sees the same points."""
    from gplearn_gradient import unit_gradients

    rng = np.random.default_rng([seed, equation.number])
    X, X_test = sample(equation, n, rng), sample(equation, n, rng)
    y = values(equation.truth, equation.variables, X)
    noisy = y + rng.normal(0.0, NOISE * math.sqrt(float(np.mean(y**2))), n)
    return {"X": X, "X_test": X_test, "y": y, "noisy": noisy,
            "y_test": values(equation.truth, equation.variables, X_test),
            "G": unit_gradients(equation.truth, equation.variables, X)}


# -- engines -----------------------------------------------------------------------------------

def fit_symbolic_search(backend: str, job: Job, data: dict, budget: float,
                        extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """native / operon / pysr through SymbolicSearch: the selected expression and the front;
    ``extra``: more SymbolicSearch parameters (--native-params)."""
    from latentlaw.symbolic import SymbolicSearch

    objective = "gradient" if job.mode == "gradient" else "regression"
    stop = NATIVE_REGRESSION_STOP if backend == "native" else EARLY_STOP["regression"]
    early = {"regression": stop * float(np.var(data["y"])), "noisy": None,
             "gradient": EARLY_STOP["gradient"]}[job.mode]
    search = SymbolicSearch(objective=objective, backend=backend, binary_operators=BINARY, unary_operators=UNARY,
                            niterations=ITERATIONS, timeout_in_seconds=budget, early_stop_loss=early,
                            random_state=job.seed, verbosity=0, **(extra or {}))
    names = list(job.equation.variables)
    if objective == "gradient":
        search.fit(data["X"], gradients=data["G"], variable_names=names)
    else:
        search.fit(data["X"], data[job.mode if job.mode == "noisy" else "y"], variable_names=names)
    return {"chosen": search.sympy(), "front": list(search.pareto_front_["sympy"]), "stop_reason": search.stop_reason_}


def program_to_sympy(program: list, variables: tuple[str, ...]) -> sympy.Expr:
    """A gplearn program (prefix list of functions, feature indices and constants) as sympy, read
    from the program itself rather than from its printed text. gplearn's protected operators are
    read as what they compute on the data: sqrt|a|, log|a|, plain division. The inputs are real
    symbols: over complex ones sympy writes log|exp(a)| as re(a), and the re()/im() parts left
    the symbolic rule undecided or out of time on a third of gplearn's gradient rows."""
    symbols = [sympy.Symbol(v, real=True) for v in variables]
    spelled = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
               "div": lambda a, b: a / b, "sqrt": lambda a: sympy.sqrt(sympy.Abs(a)),
               "log": lambda a: sympy.log(sympy.Abs(a)), "sin": sympy.sin, "cos": sympy.cos,
               "square": lambda a: a**2, "exp": sympy.exp, "neg": lambda a: -a, "inv": lambda a: 1 / a}

    def leaf(node: Any) -> sympy.Expr:
        return symbols[node] if isinstance(node, (int, np.integer)) else sympy.Float(float(node))

    def build(at: int) -> tuple[sympy.Expr, int]:
        """The subtree starting at position ``at`` (prefix order) and the position after it."""
        node = program[at]
        if not hasattr(node, "arity"):
            return leaf(node), at + 1
        args, at = [], at + 1
        for _ in range(node.arity):
            arg, at = build(at)
            args.append(arg)
        return spelled[node.name](*args), at

    expr, end = build(0)
    if end != len(program):
        raise ValueError(f"malformed gplearn program: {len(program) - end} nodes after the tree")
    return expr


def fit_gplearn(job: Job, data: dict, budget: float) -> dict[str, Any]:
    """gplearn generation by generation until the budget or an exact fit, keeping the best
    program seen (gplearn has no elitism). Gradient mode reuses gplearn_gradient's
    finite-difference fitness on the stacked points [X; X + h e_1; ...]."""
    from gplearn.functions import make_function
    from gplearn.genetic import SymbolicRegressor
    from gplearn_gradient import GPLEARN_FUNCTIONS, H, _protected_exp, gplearn_fitness

    X = data["X"]
    n, d = X.shape
    functions = (*GPLEARN_FUNCTIONS, "sqrt", "log", make_function(function=np.square, name="square", arity=1, wrap=False),
                 make_function(function=_protected_exp, name="exp", arity=1, wrap=False))
    if job.mode == "gradient":
        inputs = np.vstack([X] + [X + H * np.eye(d)[i] for i in range(d)])
        target = np.concatenate([np.zeros(n)] + [data["G"][:, i] for i in range(d)])
        metric, stop = gplearn_fitness(n, d), EARLY_STOP["gradient"]
    else:
        inputs, target = X, data["noisy" if job.mode == "noisy" else "y"]
        metric = "mse"
        stop = EARLY_STOP["regression"] * float(np.var(target)) if job.mode == "regression" else -math.inf
    est = SymbolicRegressor(population_size=GPLEARN_POPULATION, generations=0, function_set=functions, metric=metric,
                            parsimony_coefficient="auto", max_samples=1.0, stopping_criteria=0.0,
                            warm_start=True, random_state=job.seed, n_jobs=1)
    started, best, best_fitness, generations = time.perf_counter(), None, math.inf, 0
    while time.perf_counter() - started < budget and best_fitness > stop:
        generations += 1
        est.set_params(generations=generations)
        est.fit(inputs, target)
        fitness = float(est._program.raw_fitness_)
        if fitness < best_fitness:
            best, best_fitness = list(est._program.program), fitness
    expr = program_to_sympy(best, job.equation.variables)
    reason = "early_stop" if best_fitness <= stop else "timeout"
    return {"chosen": expr, "front": [expr], "stop_reason": f"{reason} after {generations} generations"}


def fit(job: Job, data: dict, settings: Settings) -> dict[str, Any]:
    if job.engine == "gplearn":
        return fit_gplearn(job, data, settings.budget)
    return fit_symbolic_search(job.engine, job, data, settings.budget,
                               dict(settings.native) if job.engine == "native" else None)


# -- one run in a child process ----------------------------------------------------------------

def score(job: Job, data: dict, found: dict[str, Any], check_limit: float) -> dict[str, Any]:
    """The rules of feynman_scoring on the fresh rows, for the chosen expression (and the front,
    numerically)."""
    eq, chosen = job.equation, found["chosen"]
    ranges = dict(zip(eq.variables, eq.ranges))
    names = list(eq.variables)
    if job.mode == "gradient":
        error = misalignment(chosen, eq.truth, names, data["X_test"])
        front = [misalignment(e, eq.truth, names, data["X_test"]) for e in found["front"]]
        return {"symbolic_exact": functionally_dependent(chosen, eq.truth, ranges, check_limit),
                "numeric_exact": error < NUMERIC_GRADIENT, "error": error, "good_fit": 1.0 - error > GOOD_FIT,
                "front_numeric_exact": any(e < NUMERIC_GRADIENT for e in front)}
    y_test = data["y_test"]
    error = regression_error(values(chosen, eq.variables, data["X_test"]), y_test)
    front = [regression_error(values(e, eq.variables, data["X_test"]), y_test) for e in found["front"]]
    return {"symbolic_exact": srbench_exact(chosen, eq.truth, ranges, check_limit),
            "numeric_exact": error < NUMERIC_REGRESSION, "error": error, "good_fit": 1.0 - error > GOOD_FIT,
            "front_numeric_exact": any(e < NUMERIC_REGRESSION for e in front)}


def child(conn: Any, job: Job, settings: Settings) -> None:
    """Runs in the child: search, send what was found, then score and send the scores (so a kill
    while scoring still leaves the expression)."""
    try:
        data = make_data(job.equation, job.seed, settings.n)
        started = time.perf_counter()
        found = fit(job, data, settings)
        seconds = time.perf_counter() - started
        conn.send({"status": "scoring", "seconds": seconds, "expression": str(found["chosen"]),
                   "front_size": len(found["front"]), "stop_reason": found["stop_reason"]})
        conn.send({"status": "ok", **score(job, data, found, settings.check_limit)})
    except Exception as err:  # one engine's failure is one row's status, never the bench's end
        conn.send({"status": "error", "note": f"{type(err).__name__}: {err}"[:300]})
    finally:
        conn.close()


def run_job(job: Job, settings: Settings, context: Any) -> dict[str, Any]:
    """One run in a child process, killed after budget + scoring allowance."""
    eq = job.equation
    row: dict[str, Any] = {"equation": eq.name, "number": eq.number, "n_variables": len(eq.variables),
                           "formula": eq.formula, "engine": job.engine, "mode": job.mode, "seed": job.seed}
    if job.mode not in SUPPORTS[job.engine]:
        return {**row, "status": "skipped", "note": f"{job.engine} has no {job.mode} mode"}
    hard = 1.5 * settings.budget + 2 * settings.check_limit + STARTUP_SLACK
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=child, args=(send, job, settings), daemon=True)
    process.start()
    send.close()
    deadline = time.perf_counter() + hard
    row["status"] = "crashed"
    try:
        while (left := deadline - time.perf_counter()) > 0 and receive.poll(left):
            message = receive.recv()
            row.update(message)
            if message["status"] != "scoring":
                break
        else:
            row["status"] = "killed" if row["status"] != "scoring" else "killed while scoring"
            row["note"] = f"no result within the hard limit of {hard:.0f} s"
    except EOFError:  # the child died without a word (a segfault, the kernel's OOM killer)
        row["status"] = "crashed" if row["status"] != "scoring" else "crashed while scoring"
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    if row["status"].startswith("crashed"):
        row["note"] = f"child exited with code {process.exitcode}"
    return row


# -- report ------------------------------------------------------------------------------------

def _flag(value: Any) -> bool:
    return value is True or value == "True"


def groups(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """Rows by engine and mode; gradient runs of one-variable equations form their own group
    (there any monotone function of the variable is the law)."""
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        if r["status"] == "skipped":
            continue
        mode = r["mode"]
        if mode == "gradient":
            mode = "gradient, 1 variable" if int(r["n_variables"]) == 1 else "gradient, >= 2 variables"
        out.setdefault((r["engine"], mode), []).append(r)
    order = [*ENGINES, *sorted({r["engine"] for r in rows} - set(ENGINES))]
    return dict(sorted(out.items(), key=lambda item: (order.index(item[0][0]), MODES.index(item[0][1].split(",")[0]),
                                                     "1 variable" in item[0][1])))


def summary(rows: list[dict]) -> tuple[str, dict[str, float]]:
    lines = ["| engine | mode | runs | exact, symbolic rule | exact, numeric rule | R^2 > 0.999 (gradient: "
             "alignment > 0.999) | numerically exact on the front | median s to the exact law | "
             "killed / crashed / errors |", "|---|---|---|---|---|---|---|---|---|"]
    metrics: dict[str, float] = {}
    for (engine, mode), mine in groups(rows).items():
        n = len(mine)
        counts = {key: sum(_flag(r.get(key)) for r in mine)
                  for key in ("symbolic_exact", "numeric_exact", "good_fit", "front_numeric_exact")}
        undecided = sum(r.get("symbolic_exact") is None and r["status"] == "ok" for r in mine)
        times = [float(r["seconds"]) for r in mine if _flag(r.get("symbolic_exact"))]
        median = f"{statistics.median(times):.1f}" if times else "-"
        failed = [sum(r["status"].startswith(s) for r in mine) for s in ("killed", "crashed", "error")]
        cells = [f"{c}/{n} ({100 * c / n:.0f}%)" for c in counts.values()]
        if undecided:
            cells[0] += f", {undecided} undecided"
        lines.append(f"| {engine} | {mode} | {n} | {' | '.join(cells)} | {median} | {' / '.join(map(str, failed))} |")
        key = f"{engine}_{mode.split(',')[0]}{'_1var' if '1 variable' in mode else ''}"
        metrics.update({f"{key}_symbolic_rate": counts["symbolic_exact"] / n,
                        f"{key}_numeric_rate": counts["numeric_exact"] / n,
                        f"{key}_good_fit_rate": counts["good_fit"] / n})
    return "\n".join(lines), metrics


def per_equation(rows: list[dict], engines: list[str], modes: list[str]) -> str:
    """One line per equation: S = exact by the symbolic rule, N = numerically exact only,
    ~ = close fit only, . = neither, K/C/E = killed/crashed/error (seeds side by side)."""
    pairs = [(e, m) for e in engines for m in modes if m in SUPPORTS[e]]
    head = "| equation | formula | " + " | ".join(f"{e} {m}" for e, m in pairs) + " |"
    lines = [head, "|" + "---|" * (2 + len(pairs))]
    table: dict[str, dict] = {}
    for r in rows:
        table.setdefault(r["equation"], {"formula": r["formula"]}).setdefault((r["engine"], r["mode"]), []).append(r)

    def mark(r: dict) -> str:
        if r["status"] not in ("ok",):
            return {"killed": "K", "crashed": "C", "error": "E"}.get(r["status"].split()[0], "?")
        if _flag(r.get("symbolic_exact")):
            return "S"
        return "N" if _flag(r.get("numeric_exact")) else "~" if _flag(r.get("good_fit")) else "."

    for name, cells in table.items():
        marks = ["".join(mark(r) for r in cells.get(pair, [])) or "-" for pair in pairs]
        lines.append(f"| {name} | `{cells['formula']}` | " + " | ".join(marks) + " |")
    return "\n".join(lines)


def misses(rows: list[dict], engine: str = "native") -> str:
    lines = [f"| equation | mode | seed | formula | chosen expression | status | 1 - R^2 (gradient: misalignment) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["engine"] == engine and r["status"] != "skipped" and not _flag(r.get("symbolic_exact")):
            error = r.get("error")
            shown = f"{float(error):.2e}" if error not in (None, "") else "-"
            lines.append(f"| {r['equation']} | {r['mode']} | {r['seed']} | `{r['formula']}` | "
                         f"`{str(r.get('expression', '-'))[:120]}` | {r['status']} | {shown} |")
    return "\n".join(lines)


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; load average at start {load}"


def write_csv(rows: list[dict], path: Path) -> None:
    """Rewrite the CSV through a temporary file, so a bench stopped mid-write leaves the last whole table."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, path)


# -- main --------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", nargs="+", help="equation names (I.12.1 ...) or one number N: N equations "
                                                    "spread evenly over the table (default: all 100)")
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per equation, engine, mode and seed")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--n", type=int, default=1000, help="training rows (as many fresh rows score)")
    parser.add_argument("--check-limit", type=float, default=20.0, help="seconds per sympy decision")
    parser.add_argument("--results", type=Path, default=None,
                        help="folder for feynman.csv and feynman.md (default bench/results/, or "
                             "bench/results/feynman_bonus/ for --table bonus)")
    parser.add_argument("--no-log", action="store_true", help="do not log to MLflow")
    parser.add_argument("--jobs", type=int, default=1, help="runs at once, one core each (at most the number of "
                                                            "cores; leave one for the parent)")
    parser.add_argument("--table", default="feynman",
                        help=f"a table inside the installed physo ({', '.join(TABLES)}: AI Feynman's 20 harder "
                             f"bonus equations, PhySO's 8 class-SR laws), one shipped here ({', '.join(SHIPPED)}: "
                             "bench/tables/) or the path of a CSV in the same columns")
    parser.add_argument("--native-params", type=_json_object, default={},
                        help='more SymbolicSearch parameters for the native engine, as a JSON object, for '
                             'ablations: \'{"mutation_weights": {"shift_subtree": 0}}\'')
    args = parser.parse_args(argv)
    if args.budget <= 0 or args.n < 10 or args.check_limit <= 0:
        parser.error("--budget and --check-limit must be positive and --n at least 10")
    if not 1 <= args.jobs <= (os.cpu_count() or 1):
        parser.error(f"--jobs must be between 1 and the number of cores ({os.cpu_count()}), got {args.jobs}: runs "
                     "that share a core get less than their budget")
    named = {*TABLES, *SHIPPED}
    if args.table not in named and not Path(args.table).is_file():
        parser.error(f"--table {args.table} is neither a named table ({', '.join(sorted(named))}) nor a file; "
                     "give the path of a CSV in FeynmanEquations.csv's columns or leave it out")
    if args.results is None:
        args.results = RESULTS if args.table not in named or args.table == "feynman" else RESULTS / f"feynman_{args.table}"
    return args


def _json_object(text: str) -> dict[str, Any]:
    """--native-params: a JSON object of SymbolicSearch parameters, read as data (json, never eval);
    the names are checked here, the values by SymbolicSearch itself."""
    from latentlaw.symbolic import SymbolicSearch

    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise argparse.ArgumentTypeError(f"not JSON ({err})") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object of SymbolicSearch parameters")
    fixed = {"objective", "backend", "binary_operators", "unary_operators", "niterations", "timeout_in_seconds",
             "early_stop_loss", "random_state", "verbosity"}
    known = set(SymbolicSearch().get_params()) - fixed
    unknown = sorted(set(value) - known)
    if unknown:
        raise argparse.ArgumentTypeError(f"{unknown} are not SymbolicSearch parameters the bench lets vary; "
                                         f"choose from {sorted(known)}")
    return value


def main(argv: list[str] | None = None) -> list[dict]:
    args = parse_args(argv)
    is_named = args.table in TABLES or args.table in SHIPPED
    equations = select(load_table(table_path(args.table) if is_named else Path(args.table)), args.subset)
    notes = []
    engines = list(dict.fromkeys(args.engines))
    if "pysr" in engines:
        from latentlaw.symbolic.backends import pysr

        if not pysr.is_available():
            engines.remove("pysr")
            notes.append(f"PySR skipped: {pysr.unavailable_reason()}")
            print(notes[-1], flush=True)
    if "gplearn" in engines:
        try:
            import gplearn  # noqa: F401
        except ImportError:
            raise SystemExit("gplearn is not installed: pip install 'latentlaw[bench]' (gplearn==0.4.3)")
    modes = list(dict.fromkeys(args.modes))
    jobs = [Job(eq, engine, mode, seed) for eq in equations for seed in args.seeds
            for engine in engines for mode in modes if mode in SUPPORTS[engine]]
    if not jobs:
        raise SystemExit(f"nothing to run: engines {engines} support none of the modes {modes}")
    settings = Settings(budget=args.budget, n=args.n, check_limit=args.check_limit,
                        native=tuple(sorted(args.native_params.items())))
    # fork is quickest, but forking while the pool's threads run can copy a held lock into the
    # child: with several jobs the children start from a clean server process instead
    methods = mp.get_all_start_methods()
    context = mp.get_context("fork" if args.jobs == 1 and "fork" in methods
                             else "forkserver" if "forkserver" in methods else "spawn")
    command = "python bench/feynman.py " + " ".join(sys.argv[1:] if argv is None else argv)
    where = machine()
    print(f"{len(jobs)} runs: {len(equations)} equations x {engines} x {modes} x seeds {args.seeds}, "
          f"{args.budget:g} s each, {args.jobs} at a time; {where}", flush=True)
    done: dict[int, dict] = {}
    started = time.perf_counter()
    csv_path = args.results / "feynman.csv"
    # Each run is a child process; the parent's threads only wait on them, so N threads keep N
    # children (N cores) busy.
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_job, job, settings, context): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            i, job = futures[future], jobs[futures[future]]
            row = done[i] = future.result()
            write_csv([done[k] for k in sorted(done)], csv_path)  # nothing computed is lost if the bench stops
            mark = "EXACT" if _flag(row.get("symbolic_exact")) else "numeric" if _flag(row.get("numeric_exact")) else "-"
            error = row.get("error")
            print(f"[{len(done)}/{len(jobs)} {time.perf_counter() - started:.0f}s] {job.equation.name} {job.engine} "
                  f"{job.mode} seed {job.seed}: {row['status']} {mark} "
                  f"{'err %.1e ' % error if isinstance(error, float) else ''}{float(row.get('seconds') or 0):.1f}s "
                  f"{str(row.get('expression', row.get('note', '')))[:100]}", flush=True)
    rows = [done[k] for k in sorted(done)]
    table, metrics = summary(rows)
    rates = " · ".join(f"{k} {v}%" for k, v in PUBLISHED.items())
    text = "\n".join([
        f"# The Feynman benchmark (AI Feynman / SRBench equations; table: {args.table})", "",
        f"Command: `{command}`  ", f"Machine: {where}  ",
        f"{len(equations)} equations, seeds {args.seeds}, {args.n} training rows and {args.n} fresh scoring rows "
        f"each, {args.budget:g} s per equation, engine, mode and seed (one core; {args.jobs} at a time)"
        f"{'; native engine with ' + json.dumps(args.native_params) if args.native_params else ''}; operators {list(BINARY)} + "
        f"{list(UNARY)}; noisy: Gaussian noise of {NOISE:.0%} of y's RMS. Exact, symbolic rule: SRBench's "
        "(difference or ratio with the truth simplifies to a constant; gradient: functionally dependent on the "
        f"truth), {args.check_limit:g} s per sympy decision. Exact, numeric rule: 1 - R^2 < {NUMERIC_REGRESSION:g} "
        f"(gradient: misalignment < {NUMERIC_GRADIENT:g}) on the fresh rows. Seconds to the law: median fit "
        "time of the symbolically exact runs (noise-free modes stop at an exact fit; noisy runs use the whole "
        "budget).", "",
        *(f"{note}  " for note in notes), "",
        table, "",
        f"Published exact-solution rates, all 100+ problems, noise-free, hours per problem: {rates}.", "",
        "## Per equation", "",
        "S exact (symbolic rule), N numerically exact only, ~ R^2 (alignment) > 0.999 only, . none, "
        "K/C/E killed/crashed/error; one character per seed.", "",
        per_equation(rows, engines, modes), "",
        "## Runs of the native engine that are not exact by the symbolic rule", "",
        misses(rows)])
    from bench_log import publish

    (args.results / "feynman.md").parent.mkdir(parents=True, exist_ok=True)
    if args.results == RESULTS:
        publish("feynman", text, metrics, log=not args.no_log)
    elif args.results == RESULTS / f"feynman_{args.table}":  # a named table's default folder
        publish(f"feynman_{args.table}", text, metrics, log=not args.no_log, out=args.results / "feynman.md")
    else:  # a private folder (tests, trials): the file only
        (args.results / "feynman.md").write_text(text + "\n")
        print(text)
    return rows


if __name__ == "__main__":
    main()
