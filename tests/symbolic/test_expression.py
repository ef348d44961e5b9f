"""Trees: printing/parsing, exact values and gradients, unsafe values, simplification, exports."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

from latentlaw.symbolic.complexity import ComplexityWeights, complexity
from latentlaw.symbolic.constraints import satisfies
from latentlaw.symbolic.evaluate import columns_of, evaluate
from latentlaw.symbolic.evaluate_derivative import dense_gradient, evaluate_with_gradient
from latentlaw.symbolic.export_latex import to_latex
from latentlaw.symbolic.export_numpy import gradients, to_numpy, values
from latentlaw.symbolic.export_sympy import as_sympy, to_sympy
from latentlaw.symbolic.operators import UNARY, lookup
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.simplify import simplify_tree, split_sum, strip_linear
from latentlaw.symbolic.strings import to_string

NAMES = ["x", "y", "z"]
EXPRESSIONS = [
    "x + y*z", "x - (y - z)", "x/(y*z)", "2.5*square(x) + cos(y) - z", "sqrt(x)*exp(-0.5*y)",
    "log(x + 2)/cube(z)", "x^2.5 + y^3", "abs(x - y)*sin(z)", "neg(x)*(y + 1)", "x^y",
    "asin(x/2)*tanh(y) + acos(z - 1)", "atan(x*y) - z",
]


def rows(n=64, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 1.5, (n, 3))


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_print_parse_round_trip_keeps_the_value(text):
    tree = parse_expression(text, NAMES)
    again = parse_expression(to_string(tree, NAMES), NAMES)
    X = rows()
    np.testing.assert_allclose(values(again, X), values(tree, X), rtol=1e-12)
    assert to_string(again, NAMES) == to_string(tree, NAMES)


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_values_and_gradients_match_sympy(text):
    tree = parse_expression(text, NAMES)
    symbols = sympy.symbols(NAMES, real=True)
    expr = to_sympy(tree, NAMES).xreplace(dict(zip(sympy.symbols(NAMES), symbols)))
    X = rows()
    expected = sympy.lambdify(symbols, expr, "numpy")(*X.T)
    np.testing.assert_allclose(values(tree, X), np.broadcast_to(expected, (len(X),)), rtol=1e-10)
    G = gradients(tree, X)
    for j, s in enumerate(symbols):
        dj = np.broadcast_to(sympy.lambdify(symbols, sympy.diff(expr, s), "numpy")(*X.T), (len(X),))
        np.testing.assert_allclose(G[:, j], dj, rtol=1e-9, atol=1e-12)


def test_gradient_is_sparse_and_constant_partials_stay_floats():
    tree = parse_expression("3*x + y", NAMES)
    value, grad = evaluate_with_gradient(tree, columns_of(rows()))
    assert set(grad) == {0, 1} and grad[0] == 3.0 and grad[1] == 1.0
    assert dense_gradient(grad, 4, 3).shape == (4, 3)


@pytest.mark.parametrize("text", ["log(x - 2)", "sqrt(x - 2)", "1/(x - x)", "exp(1000*x)", "x^0.5*log(y - 5)",
                                  "sin(x/(1 - 1))", "sqrt(0*x)*y", "x/log(1)", "asin(x + 1)",
                                  "acos(y - 3)*x"])
def test_unsafe_values_become_non_finite_without_warnings(text):
    tree = parse_expression(text, NAMES)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = values(tree, rows())
        grad = gradients(tree, rows())
    assert not (np.isfinite(out).all() and np.isfinite(grad).all())


def test_simplification_folds_constants_and_merges_factors():
    square = UNARY["square"]
    cases = {"2*3 + x": "6 + x", "x*1 + 0": "x", "(2*x)*(3*y)": "6*x*y", "x*x": "square(x)",
             "neg(neg(y))": "y", "x/4": "0.25*x", "0.004*x/0.004*y": "x*y", "2*square(3*x)": "2*square(3*x)"}
    for text, expected in cases.items():
        assert to_string(simplify_tree(parse_expression(text, NAMES), square), NAMES) == expected
    # for the polish, a constant beside a power takes the power's own: one free constant, not two
    powers = {"2*square(3*x)": "18*square(x)", "0.5*abs(2/x)": "abs(1/x)", "2*sqrt(4*x)*y": "4*sqrt(x)*y",
              "2*sqrt(-4*x)": "2*sqrt((-4)*x)", "square(2/x)": "square(2/x)"}
    for text, expected in powers.items():
        assert to_string(simplify_tree(parse_expression(text, NAMES), square, powers=True), NAMES) == expected


def test_strip_linear_removes_what_outer_coefficients_absorb():
    cases = {"2*exp(x - 0.5)": "exp(x)", "3/(2*x)": "1/x", "square(2.5*x) + 4": "square(x)",
             "log(x/3)": "log(x)", "neg(x*y) - 1": "x*y", "sin(x + 1)": "sin(x + 1)"}
    for text, expected in cases.items():
        assert to_string(strip_linear(parse_expression(text, NAMES)), NAMES) == expected
    assert strip_linear(parse_expression("2*3", NAMES)) is None
    assert [to_string(t, NAMES) for t in split_sum(parse_expression("x + y - z", NAMES))] == ["x", "y", "z"]


def test_complexity_uses_pysr_weights():
    tree = parse_expression("2.5*square(x) + sin(y)", NAMES)
    assert complexity(tree, ComplexityWeights()) == 7
    weights = ComplexityWeights(operators={"square": 4, "sin": 5}, constant=3, variable=1)
    assert complexity(tree, weights) == 3 + 1 + 4 + 1 + 1 + 5 + 1


def test_constraints_and_nested_constraints():
    w = ComplexityWeights()
    power = parse_expression("x^(y + 1)", NAMES)
    assert not satisfies(power, {"^": (-1, 1)}, {}, w)
    assert satisfies(parse_expression("(x + y)^2", NAMES), {"^": (-1, 1)}, {}, w)
    nested = {"sin": {"sin": 0, "cos": 0}}
    assert not satisfies(parse_expression("sin(x + cos(y))", NAMES), {}, nested, w)
    assert satisfies(parse_expression("sin(x) + cos(y)", NAMES), {}, nested, w)


def test_unknown_operator_lists_the_accepted_ones():
    with pytest.raises(ValueError, match=r"unknown unary operator 'erf'.*accepts \[.*'sin'"):
        lookup(["sin", "erf"], "unary")
    with pytest.raises(ValueError, match="is a unary operator"):
        lookup(["sin"], "binary")


def test_exports_agree():
    tree = parse_expression("2.5*square(x) + cos(y) - z", NAMES)
    X = rows()
    np.testing.assert_allclose(to_numpy(tree)(X), evaluate(tree, columns_of(X)))
    expr = as_sympy("2.5*square(x) + cos(y) - z", NAMES)
    x, y, z = sympy.symbols(NAMES)
    assert sympy.simplify(expr - (sympy.Rational(5, 2) * x**2 + sympy.cos(y) - z)) == 0
    assert to_latex(expr) == sympy.latex(expr)


def test_torch_export_matches_and_trains():
    torch = pytest.importorskip("torch")
    from latentlaw.symbolic.export_torch import to_torch

    tree = parse_expression("2.5*square(x) + cos(y) - z + asin(x/2)*tanh(y) - acos(z - 1)*atan(x)", NAMES)
    module = to_torch(tree)
    X = rows()
    out = module(torch.tensor(X))
    np.testing.assert_allclose(out.detach().numpy(), values(tree, X), rtol=1e-12)
    out.sum().backward()
    assert module.constants.grad is not None
