"""The gradient search starts from the products of powers of the inputs that the law depends on
(group_start.py)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.group_start import circuits, group_basis, group_text, reduce, scaling_rank, shifted_inputs

NAMES = ["a", "b", "q", "V", "T"]
# small fixed budget (no timeout, so the same front on any CPU)
BUDGET = dict(niterations=6, populations=4, population_size=30, ncycles_per_iteration=50, random_state=0,
              unary_operators=["square", "sqrt", "exp"])


def _inputs(n: int = 300, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(1.0, 3.0, (n, 5))


def _diode(X: np.ndarray) -> np.ndarray:
    """Unit gradients of f = a b^2 (exp(q V / T) - 1), by hand (exact to rounding: finite
    differences would blur the rank gap this start reads)."""
    a, b, q, V, T = X.T
    u = q * V / T
    e = np.exp(u)
    G = np.column_stack([b**2 * (e - 1), 2 * a * b * (e - 1), a * b**2 * e * V / T, a * b**2 * e * q / T,
                         -a * b**2 * e * u / T])
    return G / np.linalg.norm(G, axis=1, keepdims=True)


def test_the_rank_of_the_log_gradients_counts_the_groups():
    X = _inputs()
    r, complement = scaling_rank(X, _diode(X))
    assert r == 2 and complement.shape == (3, 5)
    B = group_basis(complement, r)
    assert {tuple(b) for b in B} == {(1, 2, 0, 0, 0), (0, 0, 1, 1, -1)}
    assert sorted(group_text(b, NAMES) for b in B) == ["a*b^2", "q*V/T"]


def test_circuits_are_minimal_and_simplest_first():
    # f = x0 x1 + x2: one symmetry, (1, -1, 0) scales x0 up and x1 down
    complement = np.array([[1.0, -1.0, 0.0]]) / np.sqrt(2.0)
    found = [tuple(b) for b in circuits(complement)]
    assert found[:2] == [(0, 0, 1), (1, 1, 0)]  # x2 alone, then x0 x1; never x0 x1 x2 (not minimal)
    assert (1, 1, 1) not in found


def test_the_reduced_gradients_are_the_law_in_its_groups():
    X = _inputs()
    B = np.array([[1, 2, 0, 0, 0], [0, 0, 1, 1, -1]])
    Z, GZ = reduce(X, _diode(X), B)
    z0, z1 = Z.T
    expected = np.column_stack([np.exp(z1) - 1, z0 * np.exp(z1)])  # F = z0 (exp(z1) - 1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    # float64 round-off of a 5 x 2 least-squares solve per row: far below 1e-9
    assert np.allclose(np.abs(np.sum(GZ * expected, axis=1)), 1.0, atol=1e-9)
    assert reduce(X, _diode(X), B[:1]) is None  # one group does not explain these gradients


def test_the_search_finds_the_diode_law():
    """Once found through its groups a b^2 and q V / T; since the gradients' products hold
    exp(m) - 1 of three-input groups they write it before the group search would run (the group
    search's end to end: the next test, without those starts)."""
    X = _inputs()
    search = SymbolicSearch(objective="gradient", verbosity=1, **BUDGET)
    search.fit(X, gradients=_diode(X), variable_names=NAMES)
    # exact up to rounding, checked on fresh rows: the chosen law's gradients are parallel to f's
    fresh = _inputs(200, seed=1)
    expr, symbols = search.sympy(), sympy.symbols(NAMES)
    grad = sympy.lambdify(symbols, [sympy.diff(expr, s) for s in symbols], "numpy")
    G = np.column_stack([np.broadcast_to(g, len(fresh)) for g in grad(*fresh.T)])
    cos = np.sum(G * _diode(fresh), axis=1) / np.linalg.norm(G, axis=1)
    assert np.all(np.abs(cos) > 1 - 1e-9)


def test_the_search_finds_the_law_through_its_groups(capsys):
    """The group search end to end: without the rational and product starts (whose products
    write the diode law at once, above), a search over the groups a b^2 and q V / T finds
    z0 (exp(z1) - 1) and plants it written back in the inputs."""
    X = _inputs()
    search = SymbolicSearch(objective="gradient", verbosity=1, **dict(BUDGET, rational_start=0))
    search.fit(X, gradients=_diode(X), variable_names=NAMES)
    out = capsys.readouterr().out
    assert "a search of the groups" in out and "a*b^2" in out and "q*V/T" in out
    assert search.pareto_front_["loss"].min() < 1e-12


def test_one_group_is_planted_without_a_search(capsys):
    X = _inputs()
    a, b, q, V, T = X.T
    G = np.column_stack([1 / a, 2 / b, -1 / q, np.zeros_like(V), np.zeros_like(T)])  # f = log(a b^2 / q)
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    # without the rational and product starts (which run first and find this product too)
    search = SymbolicSearch(objective="gradient", verbosity=1, **dict(BUDGET, rational_start=0))
    search.fit(X, gradients=G, variable_names=NAMES)
    assert "from the one group a*b^2/q" in capsys.readouterr().out
    assert search.pareto_front_["loss"].min() < 1e-12


def test_one_group_of_a_law_that_turns_is_planted_inside_the_function_that_turns_with_it(capsys):
    """f = sin(2 pi a b / q)^2 (III.8.54's sin(E t / hbar)^2) turns where the gradients flip: the
    group alone is misaligned on half the rows, sin(2 pi group)^2 is the law (and a group's
    slope that never changes sign keeps the group alone, as above)."""
    X = _inputs()
    a, b, q, V, T = X.T
    u = 2 * np.pi * a * b / q
    slope = 2 * np.sin(u) * np.cos(u) * 2 * np.pi
    G = np.column_stack([slope * b / q, slope * a / q, -slope * a * b / q**2, np.zeros_like(V), np.zeros_like(T)])
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    assert np.any(slope > 0) and np.any(slope < 0)
    search = SymbolicSearch(objective="gradient", verbosity=1, **dict(BUDGET, unary_operators=["sin", "cos"]))
    search.fit(X, gradients=G, variable_names=NAMES)
    assert "from a function of the one group a*b/q" in capsys.readouterr().out
    best = search.pareto_front_.sort_values("loss").iloc[0]
    assert best["loss"] < 1e-12
    assert {"sin", "cos"} & {str(f.func) for f in best["sympy"].atoms(sympy.Function)}


def test_noisy_gradients_have_no_groups_and_the_start_is_checked(capsys):
    X = _inputs()
    noisy = _diode(X) + np.random.default_rng(1).normal(0.0, 1e-4, X.shape)  # a network's gradients
    r, _ = scaling_rank(X, noisy)
    assert r == X.shape[1]
    SymbolicSearch(objective="gradient", verbosity=1, **dict(BUDGET, niterations=1)).fit(
        X, gradients=noisy, variable_names=NAMES)
    assert "groups" not in capsys.readouterr().out
    SymbolicSearch(objective="gradient", verbosity=1, group_start=0, **dict(BUDGET, niterations=1)).fit(
        X, gradients=_diode(X), variable_names=NAMES)
    assert "groups" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="group_start"):
        SymbolicSearch(objective="gradient", group_start=2.0).fit(X, gradients=_diode(X))


def _attraction(X: np.ndarray) -> np.ndarray:
    """Unit gradients of f = m1 m2 / ((x2 - x1)^2 + (y2 - y1)^2), inputs (m1, m2, x1, x2, y1, y2)."""
    m1, m2, x1, x2, y1, y2 = X.T
    D = (x2 - x1) ** 2 + (y2 - y1) ** 2
    f = m1 * m2 / D
    G = np.column_stack([f / m1, f / m2, 2 * f * (x2 - x1) / D, -2 * f * (x2 - x1) / D,
                         2 * f * (y2 - y1) / D, -2 * f * (y2 - y1) / D])
    return G / np.linalg.norm(G, axis=1, keepdims=True)


def _positions(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(1.0, 2.0, (n, 2)), rng.uniform(0.0, 1.0, (n, 1)), rng.uniform(2.0, 3.0, (n, 1)),
                            rng.uniform(0.0, 1.0, (n, 1)), rng.uniform(2.0, 3.0, (n, 1))])


def test_pairs_moved_together_become_their_differences():
    X = _positions()
    names = ["m1", "m2", "x1", "x2", "y1", "y2"]
    Xs, Gs, sources, labels = shifted_inputs(X, _attraction(X), names)
    assert labels == ["m1", "m2", "(x2 - x1)", "(y2 - y1)"] and sources[2] == (2, 3)
    assert np.allclose(Xs[:, 2], X[:, 3] - X[:, 2])
    # in the differences the law has groups: m1 m2 / (x2 - x1)^2 and (y2 - y1)/(x2 - x1)
    r, complement = scaling_rank(Xs, Gs)
    assert r == 2
    # no pair where gradients do not cancel: the diode's inputs stay as they are
    assert shifted_inputs(_inputs(), _diode(_inputs()), NAMES)[3] == NAMES


def test_the_search_finds_a_law_of_differences(capsys):
    X = _positions()
    names = ["m1", "m2", "x1", "x2", "y1", "y2"]
    search = SymbolicSearch(objective="gradient", verbosity=1, **BUDGET)
    search.fit(X, gradients=_attraction(X), variable_names=names)
    assert "(x2 - x1)" in capsys.readouterr().out
    assert search.pareto_front_["loss"].min() < 1e-12  # exact to rounding


def test_a_law_written_back_over_maxsize_is_planted_in_one_denominator(capsys):
    # m1 m2/dx^2 / (1 + (dy/dx)^2) written back has 19 nodes; m1 m2 / (dx^2 + dy^2) has 13
    X = _positions()
    names = ["m1", "m2", "x1", "x2", "y1", "y2"]
    search = SymbolicSearch(objective="gradient", verbosity=1, **dict(BUDGET, maxsize=16))
    search.fit(X, gradients=_attraction(X), variable_names=names)
    assert "(x2 - x1)" in capsys.readouterr().out
    assert search.pareto_front_["loss"].min() < 1e-12
