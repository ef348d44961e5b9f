"""LaTeX for an expression, with constants rounded for reading."""

from __future__ import annotations

import sympy


def round_constants(expr: sympy.Expr, digits: int = 4) -> sympy.Expr:
    return expr.xreplace({f: sympy.Float(f, digits) for f in expr.atoms(sympy.Float)})


def to_latex(expr: sympy.Expr, digits: int = 4) -> str:
    return sympy.latex(round_constants(expr, digits))
