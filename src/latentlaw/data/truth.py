"""Ground-truth expressions: parsed once without running them, evaluated on arrays.

A ground truth comes from configs, user files and other users' runs (data/dataset.json), so it is
read by the restricted ``parse_sympy``, never by ``sympy.sympify`` (which would run Python in it).
"""

from __future__ import annotations

import numpy as np
import sympy

from latentlaw.data.base import DataError
from latentlaw.symbolic.parse_sympy import ExpressionError, UnknownNameError, parse_sympy


def parse_expression(expression: str, variables: list[str]) -> sympy.Expr:
    """Parse ``expression`` over exactly ``variables``; an unknown symbol is an error, not a new variable."""
    try:
        return parse_sympy(expression, list(variables), what="ground-truth expression")
    except UnknownNameError as err:
        raise DataError(
            f"ground-truth expression {expression!r:.200} uses [{err.name!r}], which is not an input variable "
            f"{list(variables)}; rename it or fix the variable list."
        ) from None
    except ExpressionError as err:
        raise DataError(f"cannot use it as a ground truth: {err}") from None


def evaluate_expression(expression: str, variables: list[str], X: np.ndarray) -> np.ndarray:
    """Values of ``expression`` at the rows of X (columns in ``variables`` order)."""
    expr = parse_expression(expression, variables)
    fn = sympy.lambdify([sympy.Symbol(v) for v in variables], expr, modules="numpy")
    X = np.asarray(X, dtype=np.float64)
    values = fn(*(X[:, j] for j in range(X.shape[1])))
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (X.shape[0],)).copy()
