"""Sympy back to trees, and trees made smaller by sympy's rational normal form.

A law written from outside evolution can exceed ``maxsize`` in a form sympy writes small: the group
start writes G m1 m2/dx^2 / (1 + (dy/dx)^2 + (dz/dx)^2) back in the inputs with 31 nodes, where
``together`` gives G m1 m2 / (dx^2 + dy^2 + dz^2) with 15; a polynomial with integer coefficients
may be shorter factored. The search's own simplifier works on
local patterns and never brings a sum to a common denominator, so this is sympy's job. Only our own
trees pass through here (never text: see ``parse_sympy`` for that).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy
from sympy.polys.polyerrors import BasePolynomialError

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.evaluate import columns_of, evaluate
from latentlaw.symbolic.export_sympy import to_sympy
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.options import Options

APART_INPUTS = 6  # ``compact`` tries partial fractions in each input of a rational function of this many at most
SIMPLE_DENOMINATOR = 12  # ``compact`` factors only where every constant is such a fraction (to ROUNDING)
ROUNDING = 1e-9

_FUNCTIONS = {sympy.sin: "sin", sympy.cos: "cos", sympy.exp: "exp", sympy.log: "log", sympy.Abs: "abs",
              sympy.asin: "asin", sympy.acos: "acos", sympy.atan: "atan", sympy.tanh: "tanh"}


class _Missing(Exception):
    """The expression needs an operator the search does not have."""


def from_sympy(expr: sympy.Expr, o: Options) -> Node | None:
    """``expr`` over symbols x0, x1, ... as a tree of ``o``'s operators; None where one is missing.

    Integer powers become square, cube and products, x^(1/2) sqrt, negative powers a division by
    the product of the denominators' factors, negative terms a subtraction."""
    try:
        return _Writer(o).tree(expr)
    except _Missing:
        return None


def compact(node: Node, o: Options) -> Node | None:
    """``node`` in sympy's rational normal form (``together``), or, where every constant is a
    simple fraction to rounding, that form factored (a two-body decay's squared momentum, six
    terms over M^2 and 37 nodes, is -(M - m1 - m2)(M - m1 + m2)(M + m1 - m2)(M + m1 + m2) / (2 M^2),
    28) or in partial fractions of one input (``apart``: Redlich-Kwong's R T / (V - b) - a / (sqrt(T)
    V (V + b)), fitted as four terms over 1 - V^2 / b^2, is those two fractions again), whichever
    is a tree of ``o``'s operators of least complexity below the node's; else None."""
    expr = sympy.together(to_sympy(node))
    forms = [expr]
    fractions = _simple_fractions(expr)
    if fractions is not None:  # factored over the rationals (of floats, sympy factors nothing)
        exact = expr.xreplace(fractions)
        forms.append(sympy.factor(exact))
        if len(exact.free_symbols) <= APART_INPUTS and exact.is_rational_function():
            forms += [_apart(exact, x) for x in sorted(exact.free_symbols, key=str)]
    best, size = None, complexity(node, o.weights)
    for form in forms:
        tree = from_sympy(form, o)
        if tree is not None and complexity(tree, o.weights) < size:
            best, size = tree, complexity(tree, o.weights)
    return best


def with_roots(node: Node, inputs: tuple[int, ...], o: Options) -> Node | None:
    """``node``, written over sqrt(x_i) for each i of ``inputs`` as if it were x_i, as a tree of
    the inputs themselves (sympy turns sqrt(x)^2 into x, sqrt(x)^3 into x sqrt(x)); None where an
    operator is missing."""
    roots = {sympy.Symbol(f"x{i}"): sympy.sqrt(sympy.Symbol(f"x{i}")) for i in inputs}
    return from_sympy(to_sympy(node).xreplace(roots), o)


def squares_out(node: Node, X: np.ndarray, o: Options) -> Node | None:
    """``node`` with the squared factors of each square root's argument taken outside it:
    sqrt(c (A + B L)^2) is (A + B L) sqrt(c) where A + B L keeps one sign on the rows X (the sign
    goes out with it); None where nothing comes out or an operator is missing. To sympy sqrt(u^2)
    is |u| and stays under the root, and the quadratic start writes its radicand multiplied out
    (Onsager's L0 - (A + B L0) sqrt(c) as L0 - sqrt(c (A^2 + 2 A B L0 + B^2 L0^2)), 25 nodes
    where the law has 9). A radicand is factored over the rationals after division by its first
    coefficient, so only where every coefficient is then a simple fraction (to rounding)."""
    columns = columns_of(X)
    changed = False

    def one_sign(base: sympy.Expr) -> int:
        tree = from_sympy(base, o)
        if tree is None:
            return 0
        with np.errstate(all="ignore"):
            values = np.broadcast_to(evaluate(tree, columns), (X.shape[0],))
        if not np.all(np.isfinite(values)):
            return 0
        return 1 if np.all(values > 0) else -1 if np.all(values < 0) else 0

    def outside(root: sympy.Pow) -> sympy.Expr:
        nonlocal changed
        radicand = sympy.expand(root.base)
        lead = next(iter(sympy.Add.make_args(radicand))).as_coeff_Mul()[0]  # a number; 0 for a radicand of 0
        scaled = radicand / lead if lead != 0 else None
        fractions = None if scaled is None else _simple_fractions(scaled)
        if fractions is None:
            return root
        top, bottom = sympy.fraction(sympy.together(scaled.xreplace(fractions)))
        try:  # factor_list takes polynomials only (k^2 / d raised): the two sides apart
            content, factors = sympy.factor_list(top)
            below, under = sympy.factor_list(bottom)
        except (BasePolynomialError, NotImplementedError):
            return root
        out, inside = sympy.Integer(1), lead * content / below
        for base, k in factors + [(b, -k) for b, k in under]:
            half, rest = divmod(int(k), 2)
            sign = one_sign(base) if half else 0
            if sign:
                out, inside, changed = out * (sign * base) ** half, inside * base ** rest, True
            else:
                inside *= base ** k
        return (out * sympy.sqrt(inside)) ** (1 if root.exp > 0 else -1)

    expr = to_sympy(node).replace(lambda e: e.is_Pow and abs(e.exp) == sympy.S.Half, outside)
    return from_sympy(expr, o) if changed else None


def _apart(expr: sympy.Expr, x: sympy.Symbol) -> sympy.Expr:
    """``expr`` in partial fractions of ``x``, or as it is where sympy cannot write them."""
    try:
        return sympy.apart(expr, x)
    except (sympy.PolynomialError, NotImplementedError):
        return expr


def _simple_fractions(expr: sympy.Expr) -> dict[sympy.Float, sympy.Rational] | None:
    """Each float of ``expr`` as the fraction of denominator at most SIMPLE_DENOMINATOR it is to
    rounding (a fit's -0.499999999999997 is -1/2); None where one is no such fraction."""
    out = {}
    for f in expr.atoms(sympy.Float):
        r = Fraction(float(f)).limit_denominator(SIMPLE_DENOMINATOR)
        if abs(float(r) - float(f)) > ROUNDING * max(1.0, abs(float(f))):
            return None
        out[f] = sympy.Rational(r.numerator, r.denominator)
    return out


class _Writer:
    def __init__(self, o: Options) -> None:
        self.o = o

    def op(self, name: str):
        found = self.o.operator(name)
        if found is None:
            raise _Missing(name)
        return found

    def tree(self, e: sympy.Expr) -> Node:
        if e.is_Symbol:
            name = e.name
            if not (name.startswith("x") and name[1:].isdigit()):
                raise _Missing(name)
            return Node.var(int(name[1:]))
        if e.is_number:
            value = complex(e)
            if value.imag != 0:
                raise _Missing("complex constant")
            return Node.const(value.real)
        if e.is_Add:
            return self.sum(e.as_ordered_terms())
        if e.is_Mul or e.is_Pow:
            return self.product(e)
        name = _FUNCTIONS.get(e.func)
        if name is None:
            raise _Missing(str(e.func))
        return Node.unary(self.op(name), self.tree(e.args[0]))

    def sum(self, terms: list[sympy.Expr]) -> Node:
        """Positive terms added, then negative ones subtracted (a - b, not a + (-1)*b)."""
        plus = [t for t in terms if not t.could_extract_minus_sign()]
        minus = [-t for t in terms if t.could_extract_minus_sign()]
        if not plus:
            return self.negate(self.sum(minus))
        out = Node.chain(self.op("+"), [self.tree(t) for t in plus])
        for t in minus:
            out = Node.binary(self.op("-"), out, self.tree(t))
        return out

    def negate(self, node: Node) -> Node:
        neg = self.o.operator("neg")
        return Node.unary(neg, node) if neg is not None else Node.binary(self.op("*"), Node.const(-1.0), node)

    def product(self, e: sympy.Expr) -> Node:
        """coefficient * numerator factors / denominator factors."""
        coefficient, factors = e.as_coeff_mul()
        coefficient *= sympy.Mul(*(f for f in factors if f.is_number))  # sqrt(2)/sqrt(pi): one constant
        top, bottom = [], []
        for f in (f for f in factors if not f.is_number):
            base, exponent = f.as_base_exp()
            if exponent.is_number and exponent.is_negative:
                bottom.append(self.power(base, -exponent))
            else:
                top.append(self.power(base, exponent))
        if coefficient != 1 or not top:
            top.insert(0, Node.const(float(coefficient)))
        out = Node.chain(self.op("*"), top)
        if bottom:
            out = Node.binary(self.op("/"), out, Node.chain(self.op("*"), bottom))
        return out

    def power(self, base: sympy.Expr, exponent: sympy.Expr) -> Node:
        if exponent == 1:
            return self.tree(base)
        if exponent.is_Integer and 2 <= int(exponent) <= 4:
            inner = self.tree(base)
            n = int(exponent)
            square, cube = self.o.operator("square"), self.o.operator("cube")
            if n == 3 and cube is not None:
                return Node.unary(cube, inner)
            if n == 4 and square is not None:
                return Node.unary(square, Node.unary(square, inner))
            if n == 2 and square is not None:
                return Node.unary(square, inner)
            if n == 3 and square is not None:
                return Node.binary(self.op("*"), Node.unary(square, inner), self.tree(base))
            return Node.chain(self.op("*"), [self.tree(base) for _ in range(n)])
        if exponent == sympy.Rational(1, 2):
            return Node.unary(self.op("sqrt"), self.tree(base))
        if exponent.is_number and self.o.operator("^") is not None:
            return Node.binary(self.op("^"), self.tree(base), Node.const(float(exponent)))
        if exponent.is_Rational and exponent.q == 2 and exponent.p > 0:
            return self.power(sympy.sqrt(base), sympy.Integer(exponent.p))  # x^(3/2) = sqrt(x)^3
        if base is sympy.E:
            return Node.unary(self.op("exp"), self.tree(exponent))
        raise _Missing(f"power {exponent}")
