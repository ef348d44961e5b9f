"""Operon backend: pyoperon's C++ genetic programming, for plain regression.

Operon fits constants by Levenberg-Marquardt and every leaf carries a weight, so it solves
regression tasks such as ``2.5*x0**2 + cos(x1) - x2`` in about a second. It cannot take a
custom objective, hence regression only.

Budget: ``niterations`` generations of ``populations * population_size`` individuals, trees
of at most ``maxsize`` nodes. ``early_stop_loss`` is checked every few generations (the
population carries over between chunks). With an integer ``random_state`` the result is
reproducible; ``timeout_in_seconds`` maps to operon's ``max_time`` (whole seconds), and a run
cut short by the clock is not reproducible: where it stops depends on machine load.
Operon's internal float32 arithmetic is hidden: constants are tidied and every loss returned
is a float64 MSE of the expression as returned.
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
import sympy

from latentlaw.symbolic.options import Options
from latentlaw.symbolic.parse_sympy import ExpressionError, parse_sympy

NAME = "operon"
OBJECTIVES: tuple[str, ...] = ("regression",)
CAPABILITIES: frozenset[str] = frozenset()  # none of projector, patience, concepts (see backends/__init__.py)

# SymbolicSearch operator names -> operon primitive names.
OPERATORS: dict[str, str] = {
    "+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow",
    "sqrt": "sqrt", "square": "square", "sin": "sin", "cos": "cos",
    "exp": "exp", "log": "log", "abs": "abs", "asin": "asin", "acos": "acos", "atan": "atan", "tanh": "tanh",
}
# Not primitives in operon but expressible anyway: every leaf has a signed weight.
IMPLICIT_OPERATORS = frozenset({"neg"})

# For settings left out: the native engine's defaults, so both backends get the same budget.
DEFAULTS: dict[str, Any] = {
    "binary_operators": ("+", "-", "*", "/"),
    "unary_operators": (),
    **{key: getattr(Options(), key) for key in ("maxsize", "niterations", "populations", "population_size")},
}
EARLY_STOP_CHUNK = 5  # generations between early-stop checks
LOCAL_ITERATIONS = 10  # Levenberg-Marquardt steps per offspring; 0 would leave constants unfitted.
MAX_DEPTH_FLOOR = 10
TIDY_SLACK = 1e-5  # relative loss increase accepted for rounder constants

# Names operon's infix formatter prints beyond parse_sympy's whitelist, as sympy callables: the
# explicit extension of that whitelist for operon's output (which is parsed, never run).
_INFIX_FUNCTIONS: dict[str, Any] = {
    "cbrt": sympy.cbrt, "floor": sympy.floor, "ceil": sympy.ceiling,
    "min": lambda a, b: sympy.Min(a, b), "max": lambda a, b: sympy.Max(a, b),
}

_warned: set[str] = set()


def is_available() -> bool:
    """True when pyoperon can be imported (checked without importing it)."""
    return importlib.util.find_spec("pyoperon") is not None


def operon_params(settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Keyword arguments for ``pyoperon.sklearn.SymbolicRegressor`` and the settings it cannot honour.

    ``run`` adds the seed and time limit of each chunk of generations."""
    s = {**DEFAULTS, **{k: v for k, v in settings.items() if v is not None}}
    unhonoured: list[str] = []

    symbols = ["constant", "variable"]
    for name in [*s["binary_operators"], *s["unary_operators"]]:
        if name in OPERATORS:
            if OPERATORS[name] not in symbols:
                symbols.append(OPERATORS[name])
        elif name not in IMPLICIT_OPERATORS:
            unhonoured.append(f"operator {name!r} (operon has no such primitive; supported: {sorted(OPERATORS)})")

    population = int(s["populations"]) * int(s["population_size"])
    generations = int(s["niterations"])
    maxsize = int(s["maxsize"])
    params: dict[str, Any] = {
        "allowed_symbols": ",".join(symbols),
        "objectives": ["r2", "length"],  # NSGA-II: the accuracy/size Pareto front
        "optimizer": "lm",
        "optimizer_iterations": LOCAL_ITERATIONS,
        "population_size": population,
        "pool_size": population,
        "generations": generations,
        # Generations are the budget; the evaluation cap (which also counts LM residual
        # evaluations) only guards against runaway runs.
        "max_evaluations": (generations + 1) * population * (LOCAL_ITERATIONS + 2) * 4,
        "max_length": maxsize,
        "max_depth": max(MAX_DEPTH_FLOOR, maxsize),
        "initialization_max_length": min(10, maxsize),
        "n_threads": 1,
    }

    if s.get("batch_size") is not None:
        unhonoured.append("batch_size (operon evaluates every row)")
    for key in ("complexity_of_operators", "complexity_of_constants", "complexity_of_variables"):
        if s.get(key) not in (None, 1, {}):
            unhonoured.append(f"{key} during the search (operon minimises node count; the returned front's "
                              "complexity column does use it)")
    return params, unhonoured


def run(X: np.ndarray, y: np.ndarray | None, gradients: np.ndarray | None, variable_names: list[str], *,
        objective: str, settings: dict[str, Any], random_state: int | None,
        timeout_in_seconds: float | None, verbosity: int) -> pd.DataFrame:
    """Fit operon and return its Pareto front in the backend-contract DataFrame."""
    if objective not in OBJECTIVES:
        raise ValueError(f"backend 'operon' supports objective {OBJECTIVES}, not {objective!r}; "
                         "use backend='native' (or 'pysr') for the gradient objective")
    if y is None:
        raise ValueError("backend 'operon' needs a regression target y")
    from pyoperon.sklearn import SymbolicRegressor

    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    params, unhonoured = operon_params(settings)
    _warn_once(unhonoured)
    reader = _FrontReader(variable_names, settings, X, y)
    early_stop = settings.get("early_stop_loss")
    total = params["generations"]
    # With an early stop, run in chunks that continue the population (warm start) and check
    # the front in between; each chunk gets its own seed derived from random_state.
    chunk = total if early_stop is None else min(total, EARLY_STOP_CHUNK)
    seeds = np.random.SeedSequence(random_state).generate_state(-(-total // chunk), dtype=np.uint64)

    started = time.perf_counter()
    model = SymbolicRegressor(**{**params, "warm_start": True})
    done, evaluations, stop_reason = 0, 0, "niterations"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Model contains no variables" for constant front members
        for seed in seeds:
            step = {"generations": min(chunk, total - done), "random_state": int(seed)}
            if timeout_in_seconds is not None:
                left = timeout_in_seconds - (time.perf_counter() - started)
                if left <= 0:
                    stop_reason = "timeout"
                    break
                step["max_time"] = max(1, math.ceil(left))
            model.set_params(**step).fit(X, y)
            done += int(model.stats_["generations"])
            evaluations += int(model.stats_["residual_evaluations"])
            if int(model.stats_["generations"]) < step["generations"]:
                stop_reason = "timeout" if timeout_in_seconds is not None else "max_evaluations"
                break
            if early_stop is not None and reader.reached(model, float(early_stop)):
                stop_reason = "early_stop"
                break
        infix = [model.get_model_string(m["tree"], precision=12) for m in model.pareto_front_]
    if verbosity > 0:
        print(f"[operon] {done} generations ({stop_reason}), {len(infix)} front members, "
              f"{time.perf_counter() - started:.1f} s")
    front = _pareto([row for row in map(reader.row, infix) if row is not None])
    front.attrs.update(n_iterations=done, n_evaluations=evaluations, stop_reason=stop_reason,
                       seconds=time.perf_counter() - started)
    return front


class _FrontReader:
    """Operon infix strings -> contract rows (sympy over the user's names, float64 MSE, complexity)."""

    def __init__(self, variable_names: list[str], settings: dict[str, Any], X: np.ndarray, y: np.ndarray) -> None:
        self.symbols = [sympy.Symbol(name) for name in variable_names]
        # operon names the columns X1..Xd in its infix strings
        self.operon_names = [f"X{i + 1}" for i in range(len(variable_names))]
        self.rename = {sympy.Symbol(name): s for name, s in zip(self.operon_names, self.symbols)}
        self.ops = {**dict.fromkeys(settings.get("binary_operators") or DEFAULTS["binary_operators"]),
                    **dict.fromkeys(settings.get("unary_operators") or ())}
        self.settings, self.X, self.y = settings, X, y

    def row(self, text: str) -> dict[str, Any] | None:
        try:  # the restricted parser reads operon's ^ as **; a row it refuses is left out
            raw = parse_sympy(text, self.operon_names, functions=_INFIX_FUNCTIONS,
                              what="operon front row").xreplace(self.rename)
        except ExpressionError:
            return None
        expr, loss = _tidy(raw, self.symbols, self.X, self.y)
        if not math.isfinite(loss):
            return None
        return {"complexity": _complexity(expr, self.ops, self.settings), "loss": loss,
                "equation": str(expr), "sympy": expr}

    def reached(self, model: Any, early_stop: float) -> bool:
        """Whether the front's most accurate member reaches ``early_stop`` in float64 MSE.

        Operon scores in float32, so its own MSE of an exact law is ~1e-13 x var(y); only a
        member that close is re-scored (after tidying) against the threshold."""
        best = min(model.pareto_front_, key=lambda m: m["mean_squared_error"])
        if not best["mean_squared_error"] <= max(early_stop, 1e-6 * float(np.var(self.y))):
            return False
        row = self.row(model.get_model_string(best["tree"], precision=12))
        return row is not None and row["loss"] <= early_stop


def _warn_once(unhonoured: list[str]) -> None:
    """One warning per distinct message per process, so fitting many neurons does not flood the log."""
    if not unhonoured:
        return
    message = "backend 'operon' ignores: " + "; ".join(unhonoured)
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def _mse(expr: sympy.Expr, symbols: list[sympy.Symbol], X: np.ndarray, y: np.ndarray) -> float:
    fn = sympy.lambdify(symbols, expr, modules="numpy")
    with np.errstate(all="ignore"):
        pred = np.broadcast_to(np.asarray(fn(*X.T), dtype=np.float64), y.shape)
        loss = float(np.mean((pred - y) ** 2))
    return loss if math.isfinite(loss) else math.inf


def _round_constant(value: float, digits: int = 6) -> sympy.Expr:
    """A float32 constant to ``digits`` significant figures; near-integers snap, and so do
    multiples of pi/2 (phase shifts such as cos(x - 3.14159) then cancel to -cos(x))."""
    if value == 0 or not math.isfinite(value):
        return sympy.Float(value)
    tolerance = 10.0 ** -digits * max(1.0, abs(value))
    if abs(value - round(value)) <= tolerance:
        return sympy.Integer(round(value))
    halves = round(value / (math.pi / 2))
    if halves and abs(value - halves * math.pi / 2) <= 2 * tolerance:
        return sympy.pi * sympy.Rational(halves, 2)
    return sympy.Float(float(f"{value:.{digits}g}"))  # full precision: later arithmetic stays exact


def _tidy(raw: sympy.Expr, symbols: list[sympy.Symbol], X: np.ndarray, y: np.ndarray) -> tuple[sympy.Expr, float]:
    """Round float32 noise out of the constants (1.000000*x -> x, (1.581139*x)**2 -> 2.5*x**2).

    Near-zero constants go first, at full precision, so that sympy can fold what they were
    blocking ((1.581139*x + 1e-9)**2 -> 2.4999998*x**2) before anything is rounded. Each step
    is kept only when its loss is not measurably worse (TIDY_SLACK relative), so tidying never
    costs accuracy; the loss returned is the float64 MSE of the expression returned.
    """
    best, best_loss = raw, _mse(raw, symbols, X, y)
    allowed = best_loss * (1 + TIDY_SLACK) + 1e-12 * max(1.0, float(np.var(y)))
    tiny = 1e-6 * max(1.0, float(np.std(y)))
    zeroed = raw.xreplace({f: sympy.Integer(0) for f in raw.atoms(sympy.Float) if abs(float(f)) < tiny})
    rounded = zeroed.xreplace({f: _round_constant(float(f)) for f in zeroed.atoms(sympy.Float)})
    for candidate in (zeroed, rounded):
        loss = _mse(candidate, symbols, X, y)
        if candidate is not best and loss <= allowed:
            best, best_loss = candidate, loss
    return best, best_loss


def _complexity(expr: sympy.Expr, ops: dict[str, None], settings: dict[str, Any]) -> int:
    """Node count of ``expr`` with the search's complexity weights (PySR's convention).

    Counted on the sympy form so operon's front is comparable with the other backends:
    ``x**2`` is ``square(x)`` when square is allowed, ``a - b`` one ``-`` node, ``a/b`` one ``/``.
    """
    op_cost = settings.get("complexity_of_operators") or {}
    const_cost = settings.get("complexity_of_constants") or 1
    var_cost = settings.get("complexity_of_variables") or 1

    def cost(name: str) -> float:
        return op_cost.get(name, 1)

    def negated(term: sympy.Expr) -> bool:
        coeff, _ = term.as_coeff_Mul()
        return bool(coeff.is_Number and coeff.is_negative)

    def walk(e: sympy.Expr) -> float:
        if e.is_Symbol:
            return var_cost
        if e.is_Number or e.is_NumberSymbol:
            return const_cost
        if e.is_Add:  # a + b - c: one node per join, '-' for negated terms
            terms = sorted(e.args, key=negated)
            total = walk(terms[0])
            for term in terms[1:]:
                total += cost("-") + walk(-term) if negated(term) else cost("+") + walk(term)
            return total
        if e.is_Mul or e.is_Pow:
            numer, denom = sympy.fraction(e)
            if denom != 1:
                return cost("/") + walk(numer) + walk(denom)
        if e.is_Mul:
            args = list(e.args)
            if args[0] == -1 and "neg" in ops:
                return cost("neg") + walk(e.func(*args[1:]))
            return cost("*") * (len(args) - 1) + sum(walk(a) for a in args)
        if e.is_Pow:
            base, exponent = e.args
            named = {2: "square", 3: "cube", sympy.Rational(1, 2): "sqrt"}.get(exponent)
            if named in ops:
                return cost(named) + walk(base)
            return cost("^") + walk(base) + walk(exponent)
        name = {"Abs": "abs"}.get(e.func.__name__, e.func.__name__)
        return cost(name) + sum(walk(a) for a in e.args)

    return max(1, round(walk(expr)))


def _pareto(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Sorted by complexity, each row strictly better in loss than every simpler one."""
    columns = ["complexity", "loss", "equation", "sympy"]
    front: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (r["complexity"], r["loss"])):
        if not front or row["loss"] < front[-1]["loss"]:
            if front and front[-1]["complexity"] == row["complexity"]:
                continue
            front.append(row)
    frame = pd.DataFrame(front, columns=columns)
    return frame.astype({"complexity": int, "loss": float}) if len(frame) else frame
