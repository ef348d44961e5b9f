"""The operator table: every operator's NumPy value, exact derivative, and export spellings.

Operators mean what they mean in PySR. Unsafe inputs (log of a negative, sqrt of a negative,
division by zero, overflow) produce NaN or inf here on purpose: the evaluator lets them flow to
the result, and a non-finite result rejects the candidate (infinite loss) instead of crashing.
Callers run inside ``np.errstate(all="ignore")`` so no NumPy warning reaches the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import sympy

Array = Any  # an ndarray of samples, or a float for constant subtrees


@dataclass(frozen=True, eq=False)
class Operator:
    """One operator. ``d_left``/``d_right`` give the partial derivative factors of a binary
    operator; ``derivative`` the factor of a unary one. A ``linear`` pair of signs marks
    + and - whose partials are constants, so the evaluator skips multiplications."""

    name: str
    arity: int
    fn: Callable[..., Array]
    to_sympy: Callable[..., sympy.Expr]
    derivative: Callable[[Array, Array], Array] | None = None  # unary: (a, value) -> d value / d a
    d_left: Callable[[Array, Array, Array], Array] | None = None  # binary: (a, b, value) -> d/da
    d_right: Callable[[Array, Array, Array], Array] | None = None  # binary: (a, b, value) -> d/db
    linear: tuple[float, float] | None = None
    infix: str | None = None
    precedence: int = 0  # binary only: + - 1, * / 2, ^ 3

    def __repr__(self) -> str:
        return f"Operator({self.name!r})"


def _cube(a: Array) -> Array:
    return a * a * a


BINARY: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("+", 2, np.add, lambda a, b: a + b, linear=(1.0, 1.0), infix="+", precedence=1),
        Operator("-", 2, np.subtract, lambda a, b: a - b, linear=(1.0, -1.0), infix="-", precedence=1),
        Operator("*", 2, np.multiply, lambda a, b: a * b,
                 d_left=lambda a, b, v: b, d_right=lambda a, b, v: a, infix="*", precedence=2),
        Operator("/", 2, np.divide, lambda a, b: a / b,
                 d_left=lambda a, b, v: 1.0 / b, d_right=lambda a, b, v: -v / b, infix="/", precedence=2),
        # a^b with a < 0 and non-integer b is NaN (rejected), as in PySR's safe power.
        Operator("^", 2, np.power, lambda a, b: a**b,
                 d_left=lambda a, b, v: b * np.power(a, b - 1.0), d_right=lambda a, b, v: v * np.log(a),
                 infix="^", precedence=3),
    )
}

UNARY: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("sqrt", 1, np.sqrt, sympy.sqrt, derivative=lambda a, v: 0.5 / v),
        Operator("square", 1, np.square, lambda a: a**2, derivative=lambda a, v: a + a),
        Operator("cube", 1, _cube, lambda a: a**3, derivative=lambda a, v: 3.0 * a * a),
        Operator("sin", 1, np.sin, sympy.sin, derivative=lambda a, v: np.cos(a)),
        Operator("cos", 1, np.cos, sympy.cos, derivative=lambda a, v: -np.sin(a)),
        Operator("exp", 1, np.exp, sympy.exp, derivative=lambda a, v: v),
        Operator("log", 1, np.log, sympy.log, derivative=lambda a, v: 1.0 / a),
        Operator("neg", 1, np.negative, lambda a: -a, derivative=lambda a, v: -1.0),
        Operator("abs", 1, np.abs, sympy.Abs, derivative=lambda a, v: np.sign(a)),
        # outside [-1, 1] the inverse sines are NaN (rejected), like log of a negative
        Operator("asin", 1, np.arcsin, sympy.asin, derivative=lambda a, v: 1.0 / np.sqrt(1.0 - a * a)),
        Operator("acos", 1, np.arccos, sympy.acos, derivative=lambda a, v: -1.0 / np.sqrt(1.0 - a * a)),
        Operator("atan", 1, np.arctan, sympy.atan, derivative=lambda a, v: 1.0 / (1.0 + a * a)),
        Operator("tanh", 1, np.tanh, sympy.tanh, derivative=lambda a, v: 1.0 - v * v),
    )
}

ALL: dict[str, Operator] = {**BINARY, **UNARY}
# Unary operators that keep an expression algebraic; some populations search with only these.
ALGEBRAIC = frozenset({"sqrt", "square", "cube", "neg", "abs"})


def lookup(names: Any, kind: str) -> tuple[Operator, ...]:
    """Operators by name, in the given order; an unknown name is an error listing the accepted ones."""
    table = BINARY if kind == "binary" else UNARY
    if names is None:
        return ()
    if isinstance(names, str):
        names = [names]
    chosen: list[Operator] = []
    for name in names:
        key = str(name).strip()
        if key not in table:
            other = UNARY if kind == "binary" else BINARY
            hint = f" ({key!r} is a {'unary' if kind == 'binary' else 'binary'} operator)" if key in other else ""
            raise ValueError(
                f"unknown {kind} operator {key!r}{hint}; {kind}_operators accepts {sorted(table)}."
            )
        if table[key] not in chosen:
            chosen.append(table[key])
    return tuple(chosen)
