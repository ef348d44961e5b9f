"""Search backends behind one interface, looked up by name and imported only when chosen.

The contract every backend module honours:

* ``NAME: str`` and ``OBJECTIVES: tuple[str, ...]`` (a subset of "gradient", "regression");
* ``is_available() -> bool``: cheap, never imports heavy optional packages (pysr, juliacall);
* ``run(X, y, gradients, variable_names, *, objective, settings, random_state, timeout_in_seconds,
  verbosity) -> pandas.DataFrame`` with columns ``complexity`` (int), ``loss`` (float),
  ``equation`` (str) and ``sympy`` (sympy.Expr over ``sympy.Symbol(name)`` for the variable
  names). X, y and gradients arrive validated (gradients as unit rows, zero rows dropped).
  ``settings`` holds SymbolicSearch's parameters: binary_operators, unary_operators, maxsize,
  niterations, populations, population_size, complexity_of_operators, complexity_of_constants,
  complexity_of_variables, early_stop_loss, batch_size. A backend may put ``n_evaluations``,
  ``n_iterations`` and ``stop_reason`` in ``DataFrame.attrs``, and a ``tree`` column of
  latentlaw trees (the native backend does) for exact predict/gradient/torch export.

Optional abilities are declared, not inferred from the name: ``CAPABILITIES`` (a frozenset,
default empty) may hold "projector" (``fit(projector=...)``: compare gradients in a tangent
space), "patience" (stop once the selection settles) and "concepts" (``n_concepts > 1``: rows of
several expressions, equation strings joined by " ; ", sympy as a tuple).

SymbolicSearch scores and selects rows itself, so every backend gets the same selection rule.
"""

from __future__ import annotations

import importlib
from types import ModuleType

BACKENDS: tuple[str, ...] = ("native", "operon", "pysr")
INSTALL: dict[str, str] = {
    "native": "it ships with latentlaw",
    "operon": "pip install pyoperon==0.6.2",
    "pysr": "pip install 'latentlaw[pysr]' and a local Julia (PYTHON_JULIAPKG_EXE=/path/to/julia)",
}


def module(name: str) -> ModuleType:
    """The backend module ``name`` (imported now); ValueError if unknown or not importable."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {list(BACKENDS)}.")
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ImportError as err:
        raise ValueError(f"backend {name!r} cannot be loaded here ({err}); use backend='native'.") from err


def supporting(capability: str) -> list[str]:
    """The backends that declare ``capability`` (see the contract above)."""
    out = []
    for name in BACKENDS:
        try:
            if capability in getattr(module(name), "CAPABILITIES", frozenset()):
                out.append(name)
        except ValueError:
            continue
    return out


def supports(name: str, capability: str) -> bool:
    """Whether backend ``name`` declares ``capability`` (False for an unknown or unloadable one)."""
    try:
        return capability in getattr(module(name), "CAPABILITIES", frozenset())
    except ValueError:
        return False


def require(name: str, capability: str, what: str, fix: str) -> None:
    """A ValueError naming ``what`` and the backends that can do it, unless ``name`` declares ``capability``."""
    able = supporting(capability)
    if name in able:
        return
    which = "the native backend only" if able == ["native"] else f"the backends {able} only"
    raise ValueError(f"{what} is supported by {which}, not {name!r}; {fix}")


def available() -> dict[str, bool]:
    """Which backends can run here (cheap checks only)."""
    out = {}
    for name in BACKENDS:
        try:
            out[name] = bool(module(name).is_available())
        except ValueError:
            out[name] = False
    return out


def load(name: str, objective: str) -> ModuleType:
    """The backend for ``objective``, or a ValueError saying why it cannot be used and how to fix it."""
    mod = module(name)
    if objective not in mod.OBJECTIVES:
        able = [b for b in BACKENDS if b != name and _supports(b, objective)]
        raise ValueError(f"backend {name!r} does not support objective {objective!r} (it supports "
                         f"{list(mod.OBJECTIVES)}); use one of {able}.")
    if not mod.is_available():
        reason = getattr(mod, "unavailable_reason", lambda: None)()
        raise ValueError(f"backend {name!r} is not available here: {reason or 'install it: ' + INSTALL[name]}. "
                         "backend='native' always works.")
    return mod


def _supports(name: str, objective: str) -> bool:
    try:
        return objective in module(name).OBJECTIVES
    except ValueError:
        return False
