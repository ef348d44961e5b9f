"""Sympy expressions back to trees, and trees brought to a common denominator (from_sympy.py)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.evaluate import columns_of, evaluate
from latentlaw.symbolic.from_sympy import compact, from_sympy, squares_out, with_roots
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.strings import to_string

X = sympy.symbols("x0:4")
OPTIONS = build_options(dict(binary_operators=["+", "-", "*", "/"], unary_operators=["square", "sqrt", "sin", "exp"]))
ROWS = np.random.default_rng(0).uniform(0.5, 2.0, (50, 4))


@pytest.mark.parametrize("expr", [
    X[0] * X[1] ** 3 / (2 * sympy.sqrt(X[2])) - X[3],
    sympy.exp(-X[0] ** 2 / 2) / sympy.sqrt(2 * sympy.pi),
    X[0] ** sympy.Rational(3, 2) * sympy.sin(X[1]) ** 4 + 1,
    -(X[0] + X[1]) / (X[2] - X[3]) ** 2,
])
def test_trees_written_from_sympy_have_the_same_values(expr):
    tree = from_sympy(expr, OPTIONS)
    assert tree is not None
    assert {n.op.name for n in tree.nodes() if n.op is not None} <= {"+", "-", "*", "/", "square", "sqrt", "sin", "exp"}
    expected = sympy.lambdify(X, expr, "numpy")(*ROWS.T)
    # a handful of float64 operations per row: agreement to 1e-12 relative holds on any CPU
    assert np.allclose(evaluate(tree, columns_of(ROWS)), expected, rtol=1e-12, atol=0)


def test_an_operator_the_search_lacks_gives_none():
    assert from_sympy(sympy.log(X[0]), OPTIONS) is None
    assert from_sympy(sympy.cos(X[0]) + X[1], OPTIONS) is None
    assert from_sympy(X[0] ** sympy.Rational(1, 3), OPTIONS) is None  # no ^ operator


def test_a_sum_of_ratios_is_brought_to_one_denominator():
    # I.9.18 written back from its groups: (x0/dx^2) / (1 + (dy/dx)^2) with dx = x2 - x1 ... in 2-D
    names = ["x0", "x1", "x2", "x3"]
    tree = parse_expression("x0/square(x2 - x1) / (1 + square((x3 - x1)/(x2 - x1)))", names)
    smaller = compact(tree, OPTIONS)
    assert smaller is not None and complexity(smaller, OPTIONS.weights) < complexity(tree, OPTIONS.weights)
    assert to_string(smaller, names).count("/") == 1
    assert np.allclose(evaluate(smaller, columns_of(ROWS)), evaluate(tree, columns_of(ROWS)), rtol=1e-10, atol=0)
    assert compact(parse_expression("x0 + x1", names), OPTIONS) is None  # nothing smaller to write


def test_a_polynomial_of_simple_fractions_is_written_factored():
    """A two-body decay's squared momentum as a fit writes it, six terms over M^2 with a
    coefficient rounded off -1/2: over maxsize (37 nodes) and not shorter over one denominator;
    its constants are simple fractions to rounding, and factored it is four differences (28)."""
    names = ["x0", "x1", "x2", "x3"]
    text = ("-0.499999999999997*square(x0) + square(x1) + square(x2) - 0.5*square(square(x1))/square(x0)"
            " + square(x1)*square(x2)/square(x0) - 0.499999999999987*square(square(x2))/square(x0)")
    tree = parse_expression(text, names)
    smaller = compact(tree, OPTIONS)
    assert smaller is not None and complexity(smaller, OPTIONS.weights) <= OPTIONS.maxsize < complexity(tree, OPTIONS.weights)
    # the rounded coefficients made exact: the same values to well within 1e-10 relative
    assert np.allclose(evaluate(smaller, columns_of(ROWS)), evaluate(tree, columns_of(ROWS)), rtol=1e-10, atol=0)
    # a perfect square factors; 1e-7 off one, its constant is no simple fraction and is not made one
    assert to_string(compact(parse_expression("square(x0) - 2*x0*x1 + square(x1)", names), OPTIONS), names) == "square(x0 - x1)"
    assert compact(parse_expression("square(x0) - 2.0000001*x0*x1 + square(x1)", names), OPTIONS) is None


def _redlich_kwong_rows() -> np.ndarray:
    """R, u = sqrt(T), V, b, a with V > b (no pole)."""
    rng = np.random.default_rng(0)
    return np.column_stack([rng.uniform(1, 2, 50), rng.uniform(1, 2.2, 50), rng.uniform(2, 5, 50),
                            rng.uniform(0.1, 1, 50), rng.uniform(1, 5, 50)])


def test_a_quotient_of_sums_is_written_in_partial_fractions_where_that_is_shortest():
    """Redlich-Kwong over u = sqrt(T) as the rational start fits it: four terms over 1 - V^2 / b^2
    (39 nodes). Over one denominator or factored it stays one long fraction; in partial fractions
    of u (or b) it is the law's two, R u^2 / (V - b) - a / (u V (V + b)) (18)."""
    names = ["R", "u", "V", "b", "a"]
    tree = parse_expression("(a/(u*square(b)) - R*square(u)/b - a/(u*V*b) - R*square(u)*V/square(b))"
                            " / (1 - square(V)/square(b))", names)
    smaller = compact(tree, OPTIONS)
    assert smaller is not None and complexity(smaller, OPTIONS.weights) <= 18, to_string(smaller, names)
    rows = columns_of(_redlich_kwong_rows())
    # a few float64 operations per row, no cancellation beyond 1e-3 of the terms: 1e-10 holds on any CPU
    assert np.allclose(evaluate(smaller, rows), evaluate(tree, rows), rtol=1e-10, atol=0)


def test_a_tree_over_an_inputs_square_root_is_written_in_the_input():
    """u^2 becomes T and 1 / u 1 / sqrt(T): one root left, the same values."""
    names = ["R", "u", "V", "b", "a"]
    tree = parse_expression("R*square(u)/(V - b) - a/(u*V*(V + b))", names)
    written = with_roots(tree, (1,), OPTIONS)
    assert written is not None
    text = to_string(written, names)
    assert text.count("sqrt") == 1 and "square" not in text, text
    X = _redlich_kwong_rows()
    over_root = X.copy()
    over_root[:, 1] = np.sqrt(X[:, 1])
    assert np.allclose(evaluate(written, columns_of(X)), evaluate(tree, columns_of(over_root)), rtol=1e-12, atol=0)


def test_a_radicands_squared_factor_comes_out_of_the_root_with_its_sign():
    """Onsager's L0 - (A + B L0) sqrt(c), as the quadratic start writes it (the radicand
    multiplied out, 25 nodes), is the law again outside the root; a factor negative on every row
    comes out negated (sqrt((x1 - x0 - 3)^2 x2) is (x0 - x1 + 3) sqrt(x2) where x1 - x0 < 3)."""
    names = ["L0", "A", "B", "c"]
    tree = parse_expression("L0 - sqrt(c*(A*A + 2*A*B*L0 + B*B*L0*L0))", names)
    out = squares_out(tree, ROWS, OPTIONS)
    assert out is not None
    text = to_string(out, names)
    assert text.count("sqrt") == 1 and complexity(out, OPTIONS.weights) <= 10, text
    # the same few operations per row: agreement to 1e-12 relative holds on any CPU
    assert np.allclose(evaluate(out, columns_of(ROWS)), evaluate(tree, columns_of(ROWS)), rtol=1e-12, atol=0)
    negative = parse_expression("9.81*sqrt(x2*square(x1 - x0 - 3.0))", ["x0", "x1", "x2", "x3"])
    out = squares_out(negative, ROWS, OPTIONS)
    assert out is not None and "square" not in to_string(out, ["x0", "x1", "x2", "x3"])
    assert np.allclose(evaluate(out, columns_of(ROWS)), evaluate(negative, columns_of(ROWS)), rtol=1e-12, atol=0)
    # a quotient (Hall-Petch's k^2 / d, on which sympy's factor_list raised): k / sqrt(d)
    quotient = parse_expression("x0 - sqrt(square(x2)/x3)", ["x0", "x1", "x2", "x3"])
    out = squares_out(quotient, ROWS, OPTIONS)
    assert out is not None and "square" not in to_string(out, ["x0", "x1", "x2", "x3"])
    assert np.allclose(evaluate(out, columns_of(ROWS)), evaluate(quotient, columns_of(ROWS)), rtol=1e-12, atol=0)


def test_a_factor_that_changes_sign_stays_under_the_root():
    """sqrt((x0 - 1.25)^2 x1) is |x0 - 1.25| sqrt(x1): x0 - 1.25 changes sign on the rows (0.5 to
    2), so nothing comes out; a root with no squared factor gives None too."""
    names = ["x0", "x1", "x2", "x3"]
    assert squares_out(parse_expression("sqrt(square(x0 - 1.25)*x1)", names), ROWS, OPTIONS) is None
    assert squares_out(parse_expression("sqrt(x0*x1 + x2)", names), ROWS, OPTIONS) is None
