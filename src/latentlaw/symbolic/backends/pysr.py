"""PySR backend: SymbolicRegression.jl through PySR, for both objectives.

PySR needs Julia. Importing pysr makes juliacall try to install Julia (and fail without a
network), and torch with juliacall in one process can crash, so this module never imports
pysr in the caller's process: ``run`` checks for pysr and a Julia executable, then fits in a
child Python process that loads this file under another name and exchanges data through a
temporary directory.

Gradient objective: the target unit gradients ride along as extra X columns (y = 0) and a
Julia ``loss_function`` differentiates the candidate with respect to the first d columns only,
returning 2 - 2|mean cos| (Inf for a tree that reads a gradient column). Unlike a template
expression this keeps PySR's sympy export.

Determinism: an integer random_state turns on deterministic=True and parallelism="serial";
a timeout makes the run depend on machine speed again.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sympy

from latentlaw.symbolic.parse_sympy import ExpressionError, parse_sympy

NAME = "pysr"
OBJECTIVES: tuple[str, ...] = ("regression", "gradient")
CAPABILITIES: frozenset[str] = frozenset()  # none of projector, patience, concepts (see backends/__init__.py)

# PySR spells every SymbolicSearch operator the same way; anything else is passed through
# untouched, since PySR also accepts Julia definitions such as "inv(x) = 1/x".
OPERATORS = ("+", "-", "*", "/", "^", "sqrt", "square", "cube", "sin", "cos", "exp", "log", "neg", "abs", "asin",
             "acos", "atan", "tanh")

# SymbolicSearch settings PySR takes under the same name (advanced ones pass through when given).
SAME_NAME = ("maxsize", "niterations", "populations", "population_size", "complexity_of_constants",
             "complexity_of_variables", "constraints", "nested_constraints", "ncycles_per_iteration", "parsimony",
             "adaptive_parsimony_scaling", "tournament_selection_n", "tournament_selection_p",
             "crossover_probability", "optimizer_probability", "optimizer_iterations", "fraction_replaced",
             "fraction_replaced_hof", "topn")

JULIA_HELP = (
    "PySR needs a local Julia. Point at one with PYTHON_JULIAPKG_EXE=/path/to/julia "
    "(or put `julia` on PATH); without network access also set PYTHON_JULIAPKG_OFFLINE=yes and "
    "JULIA_DEPOT_PATH to a depot that already holds SymbolicRegression.jl and PythonCall.jl. "
    "Otherwise use backend='native' (either objective) or backend='operon' (regression)."
)
JULIA_PROBE_TIMEOUT_S = 60.0
# Julia compiles SymbolicRegression on first use; allow that on top of the search's own timeout.
STARTUP_ALLOWANCE_S = 900.0
_CHILD_MODULE = "_latentlaw_pysr_child"


def julia_executable() -> str | None:
    """The Julia juliacall would use: PYTHON_JULIAPKG_EXE, else `julia` on PATH."""
    return os.environ.get("PYTHON_JULIAPKG_EXE") or shutil.which("julia")


def unavailable_reason() -> str | None:
    """Why PySR cannot run here, or None. Cheap: never imports pysr or juliacall."""
    if importlib.util.find_spec("pysr") is None:
        return "pysr is not installed (pip install 'latentlaw[pysr]'). " + JULIA_HELP
    exe = julia_executable()
    if exe is None:
        return "no Julia found (PYTHON_JULIAPKG_EXE is unset and `julia` is not on PATH). " + JULIA_HELP
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)) and shutil.which(exe) is None:
        return f"Julia executable {exe!r} does not exist or is not executable. " + JULIA_HELP
    return None


def is_available() -> bool:
    return unavailable_reason() is None


def require_julia(timeout_s: float = JULIA_PROBE_TIMEOUT_S) -> str:
    """Raise RuntimeError unless pysr is installed and Julia starts; returns the Julia path."""
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"backend 'pysr' is unavailable: {reason}")
    exe = julia_executable()
    try:
        subprocess.run([exe, "--startup-file=no", "--version"], check=True, capture_output=True, timeout=timeout_s)
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError(f"backend 'pysr' is unavailable: Julia at {exe!r} did not start ({err}). "
                           f"{JULIA_HELP}") from err
    return exe


def gradient_loss_julia(n_features: int) -> str:
    """Julia loss for the gradient objective over X = [inputs (d rows); unit target gradients (d rows)].

    Any tree reading a feature above d scores Inf; otherwise the candidate's input gradient
    (eval_grad_tree_array, variable=true: d x n) is compared with the target by cosine,
    and the loss is 2 - 2|mean cos| (sign-free: a law and its negation are equally good).
    A zero candidate gradient counts as cos = 0. The 4-argument method serves batching.
    """
    d = int(n_features)
    if d < 1:
        raise ValueError(f"gradient objective needs at least one input column, got {n_features}")
    # One `begin` block: PySR evaluates the string as a single Julia expression (Meta.parse);
    # its value, the last line, is the generic function with both methods.
    return f"""begin
function latentlaw_gradient_loss(tree, dataset::Dataset{{T,L}}, options, idx)::L where {{T,L}}
    d = {d}
    if any(node -> node.degree == 0 && !node.constant && node.feature > d, tree)
        return L(Inf)
    end
    X = idx === nothing ? dataset.X : dataset.X[:, idx]
    _, grad, ok = eval_grad_tree_array(tree, X[1:d, :], options; variable=true)
    if !ok
        return L(Inf)
    end
    n = size(X, 2)
    total = zero(T)
    for j in 1:n
        norm2 = zero(T)
        inner = zero(T)
        for i in 1:d
            norm2 += grad[i, j]^2
            inner += grad[i, j] * X[d + i, j]
        end
        if norm2 > 0
            total += inner / sqrt(norm2)
        end
    end
    loss = 2 - 2 * abs(total / n)
    return isfinite(loss) ? L(loss) : L(Inf)
end
latentlaw_gradient_loss(tree, dataset::Dataset, options) = latentlaw_gradient_loss(tree, dataset, options, nothing)
end
"""


def pysr_kwargs(objective: str, settings: dict[str, Any], n_features: int, random_state: int | None,
                timeout_in_seconds: float | None, verbosity: int) -> dict[str, Any]:
    """PySRRegressor keyword arguments for SymbolicSearch settings (a plain dict: testable without pysr)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"backend 'pysr' supports objectives {OBJECTIVES}, not {objective!r}")
    s = {k: v for k, v in settings.items() if v is not None}
    kwargs: dict[str, Any] = {
        "binary_operators": list(s.get("binary_operators", ("+", "-", "*", "/"))),
        "unary_operators": list(s.get("unary_operators", ())),
        "verbosity": int(verbosity),
        "progress": False,
    }
    for key in SAME_NAME:
        if key in s:
            kwargs[key] = s[key]
    if "early_stop_loss" in s:
        kwargs["early_stop_condition"] = float(s["early_stop_loss"])
    if s.get("complexity_of_operators"):
        kwargs["complexity_of_operators"] = dict(s["complexity_of_operators"])
    if s.get("batch_size"):
        kwargs["batching"] = True
        kwargs["batch_size"] = int(s["batch_size"])
    if timeout_in_seconds is not None:
        kwargs["timeout_in_seconds"] = float(timeout_in_seconds)
    if random_state is not None:
        kwargs.update(deterministic=True, parallelism="serial", random_state=int(random_state))
    if objective == "gradient":
        kwargs["loss_function"] = gradient_loss_julia(n_features)
    return kwargs


def run(X: np.ndarray, y: np.ndarray | None, gradients: np.ndarray | None, variable_names: list[str], *,
        objective: str, settings: dict[str, Any], random_state: int | None,
        timeout_in_seconds: float | None, verbosity: int) -> pd.DataFrame:
    """Fit PySR in a child process and return its Pareto front in the backend-contract DataFrame."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    kwargs = pysr_kwargs(objective, settings, d, random_state, timeout_in_seconds, verbosity)
    if objective == "gradient":
        if gradients is None:
            raise ValueError("objective 'gradient' needs gradients (n, d)")
        G = np.asarray(gradients, dtype=np.float64).reshape(n, d)
        G = G / np.maximum(np.linalg.norm(G, axis=1, keepdims=True), 1e-12)
        X_fit, y_fit = np.hstack([X, G]), np.zeros(n)
    else:
        if y is None:
            raise ValueError("objective 'regression' needs y")
        X_fit, y_fit = X, np.asarray(y, dtype=np.float64).ravel()
    require_julia()

    # Safe names inside PySR (user names may clash with Julia or sympy); mapped back below.
    safe = [f"x{i}" for i in range(d)] + [f"g{i}" for i in range(X_fit.shape[1] - d)]
    with tempfile.TemporaryDirectory(prefix="latentlaw-pysr-") as tmp:
        work = Path(tmp)
        np.savez(work / "data.npz", X=X_fit, y=y_fit)
        (work / "job.json").write_text(json.dumps({"kwargs": kwargs, "variable_names": safe}))
        code = (f"import importlib.util, sys; spec = importlib.util.spec_from_file_location({_CHILD_MODULE!r}, "
                f"{str(Path(__file__).resolve())!r}); m = importlib.util.module_from_spec(spec); "
                f"spec.loader.exec_module(m); m._child_main(sys.argv[1])")
        limit = None if timeout_in_seconds is None else timeout_in_seconds + STARTUP_ALLOWANCE_S
        quiet = verbosity <= 0
        try:
            proc = subprocess.run([sys.executable, "-c", code, str(work)], timeout=limit, text=True,
                                  capture_output=quiet)
        except subprocess.TimeoutExpired as err:
            raise RuntimeError(f"PySR child process exceeded {limit:.0f} s and was stopped") from err
        if proc.returncode != 0:
            tail = (proc.stderr or "")[-3000:] if quiet else "(see the output above)"
            raise RuntimeError(f"PySR child process failed with exit code {proc.returncode}:\n{tail}")
        front = json.loads((work / "front.json").read_text())
    return read_front_rows(front, safe, variable_names)


def read_front_rows(front: list[dict[str, Any]], safe: list[str], variable_names: list[str]) -> pd.DataFrame:
    """The child's front.json rows as the backend-contract DataFrame, over the user's names.

    Each row's sympy text goes through the restricted parser (text is never run); a row it refuses
    is left out with a warning quoting it, as are rows with a non-finite loss."""
    rename = {sympy.Symbol(name): sympy.Symbol(user) for name, user in zip(safe, variable_names)}
    rows = []
    for row in front:
        if row["loss"] is None or not np.isfinite(row["loss"]):
            continue
        try:
            expr = parse_sympy(row["sympy"], safe, what="PySR front row").xreplace(rename)
        except ExpressionError as err:
            warnings.warn(f"{err}; this row is left out of the front", stacklevel=2)
            continue
        rows.append({"complexity": int(row["complexity"]), "loss": float(row["loss"]),
                     "equation": str(expr), "sympy": expr})
    frame = pd.DataFrame(rows, columns=["complexity", "loss", "equation", "sympy"])
    return frame.sort_values("complexity", kind="stable").reset_index(drop=True)


def _child_main(workdir: str) -> None:
    """Entry point of the child process: the only place that imports pysr."""
    work = Path(workdir)
    job = json.loads((work / "job.json").read_text())
    data = np.load(work / "data.npz")
    from pysr import PySRRegressor

    model = PySRRegressor(**job["kwargs"], output_directory=str(work / "out"))
    model.fit(data["X"], data["y"], variable_names=job["variable_names"])
    table = model.equations_
    front = [{"complexity": int(r["complexity"]),
              "loss": float(r["loss"]) if np.isfinite(r["loss"]) else None,
              "sympy": str(r["sympy_format"])} for _, r in table.iterrows()]
    (work / "front.json").write_text(json.dumps(front))
