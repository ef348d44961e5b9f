"""The native backend: latentlaw's own NumPy search engine (both objectives, no Julia)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from latentlaw.symbolic.dataset import prepare
from latentlaw.symbolic.equation_search import equation_search
from latentlaw.symbolic.export_sympy import to_sympy
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.concepts import concepts_text

NAME = "native"
OBJECTIVES: tuple[str, ...] = ("gradient", "regression")
# What this backend can do beyond the contract (SymbolicSearch checks these, never the name).
CAPABILITIES: frozenset[str] = frozenset({"projector", "patience", "concepts"})


def is_available() -> bool:
    return True


def run(X: np.ndarray, y: np.ndarray | None, gradients: np.ndarray | None, variable_names: list[str], *,
        objective: str, settings: dict[str, Any], random_state: int | None,
        timeout_in_seconds: float | None, verbosity: int) -> pd.DataFrame:
    """Search and return the front (plus a ``tree`` column and run statistics in ``attrs``).

    ``settings`` may carry the already-validated ``options`` and ``dataset`` (SymbolicSearch
    passes them) and ``checkpoint_file``/``resume_from``.
    """
    options = settings.get("options") or build_options({**settings, "objective": objective,
                                                        "timeout_in_seconds": timeout_in_seconds})
    data = settings.get("dataset")
    if data is None:
        data, _ = prepare(X, y, gradients, objective=objective, variable_names=variable_names)
    result = equation_search(data, options, random_state=random_state, checkpoint_file=settings.get("checkpoint_file"),
                             resume_from=settings.get("resume_from"), verbosity=verbosity)
    names = data.variable_names
    rows = [{"complexity": e.complexity, "loss": e.loss, "equation": concepts_text(e.variant.expression, names),
             "sympy": _sympy(e.variant.expression, names), "tree": e.variant.expression} for e in result.front]
    frame = pd.DataFrame(rows, columns=["complexity", "loss", "equation", "sympy", "tree"])
    frame.attrs.update(n_evaluations=result.evaluations, n_iterations=result.iterations,
                       stop_reason=result.stop_reason, seconds=result.seconds)
    return frame


def _sympy(expression, names: list[str]):
    """One sympy expression, or a tuple of them for a k-concept row."""
    if isinstance(expression, tuple):
        return tuple(to_sympy(e, names) for e in expression)
    return to_sympy(expression, names)
