"""Trees to sympy, and strings in our spelling (square, cube, neg, ^) to sympy."""

from __future__ import annotations

from typing import Sequence

import sympy

from latentlaw.symbolic.concepts import SEPARATOR, split_text
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.nice_constants import EXACT_TOLERANCE, pi_multiple
from latentlaw.symbolic.parse_sympy import parse_sympy


def constant_to_sympy(value: float) -> sympy.Expr:
    """Whole numbers become sympy Integers, so x^2.0 reads as x**2 and simplifies; a float equal
    (to round-off) to a small rational multiple of a power of pi prints as one (pi**2, 1/(2*pi))."""
    if float(value).is_integer() and abs(value) < 1e15:
        return sympy.Integer(int(value))
    found = pi_multiple(value, EXACT_TOLERANCE)
    if found is not None:
        return found.sympy()
    return sympy.Float(value)


def to_sympy(node: Node, variable_names: Sequence[str] | None = None) -> sympy.Expr:
    op = node.op
    if op is None:
        if node.feature >= 0:
            name = variable_names[node.feature] if variable_names is not None else f"x{node.feature}"
            return sympy.Symbol(name)
        return constant_to_sympy(node.value)
    return op.to_sympy(*(to_sympy(c, variable_names) for c in node.children()))


def as_sympy(expression: object, variable_names: Sequence[str] | None) -> sympy.Expr:
    """A sympy expression from a sympy expression, one of our trees, a number or a string.

    Strings may come from files and other users' runs, so they go through the restricted
    ``parse_sympy`` (our operator names square, cube, neg, inv and ``^`` included), never sympify.
    ``variable_names=None`` accepts any plain name as a variable. A row of k concepts (a tuple
    of any of these) becomes a ``sympy.Tuple``."""
    if isinstance(expression, (tuple, list)):
        return sympy.Tuple(*(as_sympy(e, variable_names) for e in expression))
    if isinstance(expression, Node):
        return to_sympy(expression, variable_names)
    if isinstance(expression, sympy.Basic):
        return expression
    if isinstance(expression, (int, float)) and not isinstance(expression, bool):
        return constant_to_sympy(expression)
    if not isinstance(expression, str):
        raise ValueError(f"cannot read expression {expression!r:.80}: expected a formula string, a sympy "
                         f"expression or a tree, got {type(expression).__name__}")
    return parse_sympy(expression, variable_names, what="expression")


def concepts_of(expression: sympy.Basic) -> list[sympy.Expr]:
    """The expressions of a row: its k concepts (a tuple or ``sympy.Tuple``), or the one expression."""
    return list(expression) if isinstance(expression, (tuple, sympy.Tuple)) else [expression]


def equation_text(expression: sympy.Basic) -> str:
    """The text every record shares (tags, tables, files, the pyfunc model): one expression as
    sympy prints it, a row of k concepts as its expressions joined by " ; " (the front's spelling)."""
    return SEPARATOR.join(str(e) for e in concepts_of(expression))


def equation_latex(expression: sympy.Basic) -> str:
    """LaTeX of one expression, or of k concepts separated by "; "."""
    return "; ".join(sympy.latex(e) for e in concepts_of(expression))


def parse_equation(text: str, variable_names: Sequence[str] | None, what: str = "equation") -> sympy.Basic:
    """``equation_text`` read back with the restricted parser: a sympy expression, or a
    ``sympy.Tuple`` of k concepts when the text has several parts."""
    parts = split_text(text)
    if len(parts) == 1:
        return parse_sympy(parts[0], variable_names, what=what)
    return sympy.Tuple(*(parse_sympy(p, variable_names, what=f"{what} (concept {i + 1})") for i, p in enumerate(parts)))


def simplified(expr: sympy.Expr) -> sympy.Expr:
    """The shortest of a few cheap rewrites (together, expand, factor_terms, powsimp, cancel).

    On search output these find what sympy.simplify finds (x0*x1/x2/x1 -> x0/x2, (a+b)^2-a^2-b^2
    -> 2ab) at a twentieth of its cost, which matters for a front of 20-30 rows."""
    best, best_ops = expr, sympy.count_ops(expr)
    for rewrite in (sympy.together, sympy.expand, sympy.factor_terms, sympy.powsimp, sympy.cancel):
        try:
            candidate = rewrite(expr)
        except Exception:  # sympy can raise on exotic input; the other forms are still right
            continue
        ops = sympy.count_ops(candidate)
        if ops < best_ops:
            best, best_ops = candidate, ops
    return best
