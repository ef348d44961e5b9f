"""Gradient laws with one input set apart, f = F(x_i, h(rest)) (separable_start.py)."""

from __future__ import annotations

import numpy as np
import pytest

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import prepare
from latentlaw.symbolic.objectives import OBJECTIVES
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.rational_gradient_start import node_misalignment
from latentlaw.symbolic.separable_start import likely_apart, separable_laws

OPERATORS = {"binary_operators": ["+", "-", "*", "/"], "unary_operators": ["sin", "cos", "exp", "square", "sqrt"]}


def _klein_nishina_groups(n: int = 1000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Klein-Nishina in its groups (beta, z1 = omega / omega_0, z2 = alpha h / (m c)):
    z2^2 (z1^-3 + z1^-1 - z1^-2 sin^2 beta), unit gradients by hand."""
    rng = np.random.default_rng(seed)
    beta, z1 = rng.uniform(0.0, 6.0, n), rng.uniform(1.0, 5.0, n) / rng.uniform(1.0, 5.0, n)
    z2 = rng.uniform(1.0, 5.0, n) / rng.uniform(1.0, 5.0, n)
    h = z1**-3 + z1**-1 - z1**-2 * np.sin(beta) ** 2
    G = np.column_stack([-(z2**2) * z1**-2 * np.sin(2 * beta),
                         z2**2 * (-3 * z1**-4 - z1**-2 + 2 * z1**-3 * np.sin(beta) ** 2), 2 * z2 * h])
    return np.column_stack([beta, z1, z2]), G / np.linalg.norm(G, axis=1, keepdims=True)


def _context(X: np.ndarray, G: np.ndarray) -> SearchContext:
    names = [f"x{k}" for k in range(X.shape[1])]
    data, _ = prepare(X, gradients=G, objective="gradient", variable_names=names)
    return SearchContext(options=build_options(OPERATORS), objective=OBJECTIVES["gradient"], data=data, batch=data,
                         rng=np.random.default_rng(0), variable_p=np.ones(X.shape[1]))


def test_a_law_with_its_prefactor_group_set_apart_is_written_exactly():
    """Klein-Nishina's term z2^2 z1^-2 sin^2 beta is past the factor library's monomials, so no
    fit over all three groups is exact; apart from z2 (the likeliest input set apart) the rest is
    three terms of the library, and F = z2^2 h one monomial. The law written back is exact to
    round-off (~1e-30; 1e-20 holds on any CPU)."""
    X, G = _klein_nishina_groups()
    assert likely_apart(X, G)[0] == 2
    ctx = _context(X, G)
    (law,) = separable_laws(ctx, None)
    assert node_misalignment(law, ctx.data) < 1e-20


def test_the_inputs_set_apart_come_first_and_a_law_of_none_gives_nothing():
    """a c + e and (a + c) e are F(e, h(a, c)): e's gradient-neighbour test passes. f = a c + c e^2
    + a / e sets no input apart (the test lets c through, a guide to the order only): no fit of
    h over the other inputs is exact, and nothing is written."""
    rng = np.random.default_rng(0)
    a, c, e = rng.uniform(1.0, 5.0, (3, 500))
    X = np.column_stack([a, c, e])
    for G in (np.column_stack([c, a, np.ones_like(a)]), np.column_stack([e, e, a + c])):
        assert likely_apart(X, G)[0] == 2
    G = np.column_stack([c + 1 / e, a + e**2, 2 * c * e - a / e**2])
    assert separable_laws(_context(X, G / np.linalg.norm(G, axis=1, keepdims=True)), None) == []


@pytest.mark.slow  # ~10 s: a search of the seven inputs, its groups found and their law set apart
def test_klein_nishina_is_found_by_gradients_through_its_groups():
    """The whole law from unit gradients over its seven inputs: the group start's search of the
    groups plants the law with its prefactor set apart; written with omega / omega_0 it is 33
    nodes (over maxsize 30), so the next orientation (omega_0 / omega, 27 nodes) is searched too."""
    rng = np.random.default_rng(0)
    w, w0, alpha, h, m, c = rng.uniform(1.0, 5.0, (6, 1000))
    beta = rng.uniform(0.0, 6.0, 1000)
    X = np.column_stack([w, w0, alpha, h, m, c, beta])
    r, k = w0 / w, (alpha * h / (m * c)) ** 2
    f_r = k * (3 * r**2 + 1 - 2 * r * np.sin(beta) ** 2)  # d f / d r, f = k (r^3 + r - r^2 sin^2 beta)
    f = k * (r**3 + r - r**2 * np.sin(beta) ** 2)
    G = np.column_stack([f_r * -r / w, f_r / w, 2 * f / alpha, 2 * f / h, -2 * f / m, -2 * f / c,
                         -k * r**2 * np.sin(2 * beta)])
    search = SymbolicSearch(objective="gradient", timeout_in_seconds=60, early_stop_loss=1e-10, random_state=0,
                            maxsize=30, **OPERATORS)
    search.fit(X, gradients=G / np.linalg.norm(G, axis=1, keepdims=True),
               variable_names=["omega", "omega_0", "alpha", "h", "m", "c", "beta"])
    assert search.stop_reason_ == "early_stop"
    assert search.pareto_front_["loss"].min() < 1e-13
