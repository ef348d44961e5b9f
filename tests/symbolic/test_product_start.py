"""Gradient starts for laws that are products, linear in their logs (product_start.py)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.product_start import product_fits
from latentlaw.symbolic.rational_gradient_start import EXACT

BUDGET = dict(niterations=3, populations=4, population_size=30, ncycles_per_iteration=50, random_state=0,
              group_start=0, unary_operators=["square", "sin", "cos", "exp"])


def _unit(G: np.ndarray) -> np.ndarray:
    return G / np.linalg.norm(G, axis=1, keepdims=True)


def _grating(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """I.30.3: f = I0 sin(m theta / 2)^2 / sin(theta / 2)^2 over (I0, theta, m), gradients by hand."""
    rng = np.random.default_rng(seed)
    I0, theta, m = rng.uniform(1.0, 5.0, n), rng.uniform(0.3, 5.0, n), rng.uniform(1.0, 5.0, n)
    a, b = np.sin(m * theta / 2), np.sin(theta / 2)
    f = I0 * a**2 / b**2
    da_dtheta, da_dm = np.cos(m * theta / 2) * m / 2, np.cos(m * theta / 2) * theta / 2
    db_dtheta = np.cos(theta / 2) / 2
    G = np.column_stack([f / I0, I0 * (2 * a * da_dtheta / b**2 - 2 * a**2 * db_dtheta / b**3), I0 * 2 * a * da_dm / b**2])
    return np.column_stack([I0, theta, m]), _unit(G)


def test_a_product_of_two_functions_is_a_null_vector_of_log_gradients():
    """The grating's law has two sines (out of P alone's reach, one function per term); in logs
    it is a sum of three columns. The fit is exact and its powers are small integers."""
    X, G = _grating()
    fits = product_fits(X, G, ("sin", "cos"))
    assert fits and fits[0].rss <= EXACT
    assert all(abs(f.power) in (1, 2) for f in fits[0].factors)
    assert {f.argument for f in fits[0].factors} >= {("product", 1, 2)}  # sin(m theta / 2) takes the product
    assert product_fits(X, G, ()) == []  # without sin and cos: no product is exact


def test_the_search_plants_the_product_and_is_exact(capsys):
    X, G = _grating()
    search = SymbolicSearch(objective="gradient", verbosity=1, **BUDGET).fit(X, gradients=G, variable_names=["I0", "theta", "m"])
    best = search.pareto_front_.sort_values("loss").iloc[0]
    assert best["loss"] < 1e-12
    assert "sin" in {str(f.func) for f in best["sympy"].atoms(sympy.Function)}


def test_an_exponent_inside_exp_is_fitted_not_taken_from_a_list():
    """f = x0^2 exp(-0.37 x1 / x2): exp's coefficient is part of the null vector (here of
    f^(1/2) = x0 exp(-0.185 x1 / x2) or its reciprocal, the same law up to a monotone function)."""
    rng = np.random.default_rng(1)
    X = rng.uniform(1.0, 3.0, (300, 3))
    x0, x1, x2 = X.T
    G = _unit(np.column_stack([2 / x0, -0.37 / x2, 0.37 * x1 / x2**2]))  # grad log f, parallel to grad f
    fit = product_fits(X, G, ("exp",))[0]
    assert fit.rss <= EXACT and abs(fit.powers[0]) == 1 and fit.powers[1:] == (0, 0) and fit.factors == ()
    assert fit.exps[0].argument == ("ratio", 1, 2)  # (or its reciprocal: the null vector's sign is free)
    assert fit.exps[0].scale / fit.powers[0] == pytest.approx(-0.185, rel=1e-9)


def test_a_function_that_turns_where_the_law_does_not_is_no_product():
    """sin(x0 x1) has gradients parallel to x0 x1's row by row, but turns at x0 x1 = pi/2, where
    the law's gradients do not: only the monomial comes out."""
    rng = np.random.default_rng(2)
    X = rng.uniform(0.5, 3.0, (300, 2))
    G = _unit(np.column_stack([X[:, 1], X[:, 0]]))  # f = x0 x1
    fits = product_fits(X, G, ("sin", "cos"))
    assert fits[0].powers == (1, 1) and fits[0].factors == ()  # the simplest first
    # sin(x0 x1 / (2 pi)) does not turn on these rows (x0 x1 <= 9) and is a law here; sin(x0 x1) is not
    assert not any(f.factors and f.factors[0].scale == 1.0 for f in fits)
