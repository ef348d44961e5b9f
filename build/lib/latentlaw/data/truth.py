"""Ground-truth expressions: parsed once with sympy, evaluated on arrays."""

from __future__ import annotations

import numpy as np
import sympy

from latentlaw.data.base import DataError


def parse_expression(expression: str, variables: list[str]) -> sympy.Expr:
    """Parse ``expression`` over exactly ``variables``; an unknown symbol is an error, not a new variable."""
    symbols = {name: sympy.Symbol(name) for name in variables}
    try:
        expr = sympy.sympify(expression, locals=symbols)
    except (sympy.SympifyError, SyntaxError, TypeError) as err:
        raise DataError(f"cannot parse ground-truth expression {expression!r}: {err}") from err
    unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in symbols)
    if unknown:
        raise DataError(
            f"ground-truth expression {expression!r} uses {unknown}, which are not input variables "
            f"{variables}; rename them or fix the variable list."
        )
    return expr


def evaluate_expression(expression: str, variables: list[str], X: np.ndarray) -> np.ndarray:
    """Values of ``expression`` at the rows of X (columns in ``variables`` order)."""
    expr = parse_expression(expression, variables)
    fn = sympy.lambdify([sympy.Symbol(v) for v in variables], expr, modules="numpy")
    X = np.asarray(X, dtype=np.float64)
    values = fn(*(X[:, j] for j in range(X.shape[1])))
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (X.shape[0],)).copy()
