"""Losses and their closed-form coefficients."""

from __future__ import annotations

import numpy as np
import pytest

from latentlaw.symbolic.dataset import prepare
from latentlaw.symbolic.member import evaluate_terms
from latentlaw.symbolic.objectives import OBJECTIVES
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.parse import parse_expression

NAMES = ["x", "v"]
OPTIONS = build_options({"binary_operators": ["+", "-", "*", "/"], "unary_operators": ["square", "sin", "exp"]})


def phase(n=400, seed=0):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, (n, 2))


def gradient_data(G, X):
    return prepare(X, gradients=G, objective="gradient", variable_names=NAMES)[0]


def solve(texts, data, objective="gradient"):
    terms = tuple(parse_expression(t, NAMES) for t in texts)
    return evaluate_terms(terms, data, OBJECTIVES[objective], OPTIONS, memo=False)


def test_gradient_loss_is_zero_for_the_law_and_its_global_negation():
    X = phase()
    x, v = X.T
    G = np.column_stack([x + x**3, v])  # grad of v^2/2 + x^2/2 + x^4/4
    for sign in (1.0, -1.0):
        terms, variants = solve(["square(v)", "square(x)", "square(square(x))"], gradient_data(sign * G, X))
        assert variants[0].loss < 1e-12
        snapped = variants[-1]  # coefficients near +-1 snapped: v^2 + x^2 + 0.5 x^4
        np.testing.assert_allclose(sorted(np.abs(snapped.coefs)), [0.5, 1.0, 1.0], atol=1e-9)


def test_gradient_loss_never_forgives_per_sample_sign_flips():
    X = phase()
    x, v = X.T
    G = np.column_stack([x, v])
    flips = np.where(np.arange(len(X)) % 2 == 0, 1.0, -1.0)[:, None]
    _, variants = solve(["square(x) + square(v)"], gradient_data(G * flips, X))
    assert variants[0].loss > 1.5  # half the rows point the other way: |mean cos| ~ 0


def test_gradient_loss_formula():
    X = phase()
    rng = np.random.default_rng(1)
    G = rng.normal(size=X.shape)
    data = gradient_data(G, X)
    _, variants = solve(["x*v"], data)
    grad = np.column_stack([X[:, 1], X[:, 0]])
    cos = (grad * data.gradients).sum(1) / np.linalg.norm(grad, axis=1)
    assert variants[0].loss == pytest.approx(2 - 2 * abs(cos.mean()), rel=1e-12)


def test_constant_candidates_and_unsafe_candidates_are_rejected():
    X = phase()
    data = gradient_data(np.column_stack(X.T), X)
    objective = OBJECTIVES["gradient"]
    with np.errstate(all="ignore"):  # the search runs evaluations inside errstate too
        assert objective.stats(parse_expression("2.5", NAMES), data, memo=False) is None
        assert objective.stats(parse_expression("log(x)", NAMES), data, memo=False) is None  # x < 0 on some rows
        assert objective.stats(parse_expression("x - x", NAMES), data, memo=False) is None


def test_negligible_terms_are_pruned():
    X = phase()
    x, v = X.T
    terms, variants = solve(["square(x)", "square(v)", "sin(x*v)"], gradient_data(np.column_stack([x, v]), X))
    assert [repr(t) for t in terms] == ["square(x0)", "square(x1)"]
    assert variants[-1].loss < 1e-12 and variants[-1].complexity == 5


def test_regression_solves_coefficients_and_intercept():
    X = phase()
    x, v = X.T
    y = 2.5 * x**2 + np.sin(v) - 1.0
    data = prepare(X, y, objective="regression", variable_names=NAMES)[0]
    terms, variants = solve(["square(x)", "sin(v)"], data, "regression")
    raw = variants[0]
    assert raw.loss < 1e-20
    np.testing.assert_allclose(sorted(raw.coefs), [1.0, 2.5], atol=1e-9)
    assert raw.intercept == pytest.approx(-1.0)


def test_regression_sample_weights_change_the_fit():
    X = phase()
    x = X[:, 0]
    y = np.where(x > 0, 2 * x, -x)
    weights = np.where(x > 0, 1.0, 1e-6)
    data = prepare(X, y, weights=weights, objective="regression", variable_names=NAMES)[0]
    _, variants = solve(["x"], data, "regression")
    assert variants[0].coefs[0] == pytest.approx(2.0, rel=1e-3)


def test_zero_gradient_rows_are_dropped_not_nan():
    X = phase()
    G = np.column_stack(X.T)
    G[:10] = 0.0
    data, dropped = prepare(X, gradients=G, objective="gradient", variable_names=NAMES)
    assert dropped == 10 and data.n == len(X) - 10
    assert np.isfinite(data.gradients).all()
    np.testing.assert_allclose(np.linalg.norm(data.gradients, axis=1), 1.0)


@pytest.mark.parametrize("binary", [["+", "-", "*", "/"], ["+", "*"]])
def test_complexity_is_counted_without_building_the_tree(binary):
    from latentlaw.symbolic.complexity import complexity
    from latentlaw.symbolic.member import assemble, assembled_complexity

    options = build_options({"binary_operators": binary, "unary_operators": ["square", "neg"],
                             "complexity_of_constants": 3, "complexity_of_operators": {"-": 2, "neg": 2}})
    terms = tuple(parse_expression(t, NAMES) for t in ("square(x)", "1/v", "x*v"))
    rng = np.random.default_rng(0)
    for _ in range(200):
        coefs = rng.choice([1.0, -1.0, 2.5, -0.3], size=3)
        intercept = float(rng.choice([0.0, 1.5, -2.0]))
        tree = assemble(terms, coefs, intercept, options)
        assert assembled_complexity(terms, coefs, intercept, options) == complexity(tree, options.weights)
