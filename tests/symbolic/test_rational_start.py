"""Regression starts from sparse rational fits t = P / (1 + Q) of y and y^2 (rational_start.py)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.rational_start import EXACT, Factor, exponents, monomials, rational_fits, root_of_numerator

NAMES = ["c", "u", "v"]
# small fixed budget (no timeout, so the same front on any CPU)
BUDGET = dict(niterations=3, populations=4, population_size=30, ncycles_per_iteration=50, random_state=0,
              unary_operators=["square", "sqrt", "exp"])


def _inputs(n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(3.0, 10.0, n), rng.uniform(1.0, 2.0, n), rng.uniform(1.0, 2.0, n)])


def _velocity_addition(c, u, v):
    return (u + v) / (1 + u * v / c**2)  # a sum over a sum: one term of 13 nodes for evolution


def _lorentz(c, u, v):
    return v / np.sqrt(1 - u**2 / c**2)  # in y^2: v^2 / (1 - u^2/c^2), rational


def test_exponents_come_simplest_first_within_the_limit():
    E = exponents(3, variables=2, degree=4, limit=30, high=3)
    assert len(E) == 30 and E.shape[1] == 3
    counts, degrees = np.count_nonzero(E, axis=1), np.abs(E).sum(axis=1)
    assert np.all(np.diff(counts) >= 0)  # one variable before two
    assert set(np.abs(E[counts == 1]).max(axis=1)) == {1, 2, 3}  # powers up to `high`
    assert np.all(degrees <= 4)
    assert exponents(3, 2, 4, 0).shape == (0, 3)


def test_monomials_drop_columns_that_are_not_finite():
    X = np.array([[0.0, 2.0], [1.0, 3.0]])
    V = monomials(X, np.array([[1, 1], [-1, 0], [0, 2]]))
    assert np.allclose(V, [[0.0, 0.0, 4.0], [3.0, 0.0, 9.0]])  # 1/x0 meets 0: zeroed, not inf


def test_a_quotient_of_sums_is_fitted_exactly():
    X = _inputs()
    fit = rational_fits(X, _velocity_addition(*X.T))[0]
    assert fit.rss <= EXACT
    assert sorted(fit.p) == [(0, 0, 1), (0, 1, 0)] and fit.intercept == pytest.approx(0.0, abs=1e-9)
    assert fit.q == ((-2, 1, 1),)
    # float64 round-off of a least-squares solve on 300 rows: far below 1e-9
    assert np.allclose(fit.p_coefs, 1.0, atol=1e-9) and np.allclose(fit.q_coefs, 1.0, atol=1e-9)


def test_a_square_numerator_has_its_root_found():
    X = _inputs()
    c, u, v = X.T
    fit = rational_fits(X, ((c - v) / np.sqrt(1 - u**2 / c**2)) ** 2)[0]  # P = (c - v)^2, a sum of three
    assert fit.rss <= EXACT and fit.q == ((-2, 2, 0),)
    root = root_of_numerator(fit, X, None)  # c - v > 0 on these rows: |c - v| is the polynomial c - v
    assert root is not None and sorted(root.p) == [(0, 0, 1), (1, 0, 0)]
    assert abs(root.p_coefs[0]) == pytest.approx(abs(root.p_coefs[1]), rel=1e-9)
    assert root_of_numerator(rational_fits(X, (c - u) ** 2 * v)[0], X, None) is None  # not a square


def test_the_search_finds_the_law_from_its_rational_fit(capsys):
    X = _inputs()
    search = SymbolicSearch(objective="regression", verbosity=1, log_start=0, **BUDGET)
    search.fit(X, _velocity_addition(*X.T), variable_names=NAMES)
    assert "starting members from rational fits of y" in capsys.readouterr().out
    X_new = _inputs(200, seed=1)
    assert np.allclose(search.predict(X_new), _velocity_addition(*X_new.T), rtol=1e-9, atol=0)  # round-off only
    c, u, v = sympy.symbols(NAMES, positive=True)
    found = search.sympy().subs({sympy.Symbol(n): s for n, s in zip(NAMES, (c, u, v))})
    assert sympy.simplify(found - (u + v) / (1 + u * v / c**2)) == 0, found


def test_a_root_of_a_quotient_is_written_with_the_square_taken_out():
    """y^2 = v^2 / (1 - u^2/c^2) is planted as sqrt of it; the polish takes v out of the root,
    the form sympy can compare with v / sqrt(1 - u^2/c^2) without knowing signs."""
    X = _inputs()
    search = SymbolicSearch(objective="regression", log_start=0, **BUDGET).fit(X, _lorentz(*X.T), variable_names=NAMES)
    X_new = _inputs(200, seed=1)
    assert np.allclose(search.predict(X_new), _lorentz(*X_new.T), rtol=1e-9, atol=0)
    c, u, v = sympy.symbols(NAMES, positive=True)
    found = search.sympy().subs({sympy.Symbol(n): s for n, s in zip(NAMES, (c, u, v))})
    assert sympy.simplify(found / (v / sympy.sqrt(1 - u**2 / c**2))) == 1, found


def test_the_start_can_be_turned_off_and_is_checked(capsys):
    X = _inputs()
    y = _velocity_addition(*X.T)
    SymbolicSearch(objective="regression", verbosity=1, rational_start=0, log_start=0,
                   **dict(BUDGET, niterations=1)).fit(X, y)
    assert "rational fits" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="rational_start"):
        SymbolicSearch(objective="regression", rational_start=-0.1).fit(X, y)


def test_a_log_of_a_ratio_times_a_product_is_one_term():
    """n kb T log(V2/V1): its halves n kb T log V2 and n kb T log V1 are each nearly uncorrelated
    with y, so the library carries the log of each ratio of positive inputs as one factor."""
    X = _inputs()
    c, u, v = X.T
    fit = rational_fits(X, c * u * np.log(v / u), functions=("log",))[0]
    assert fit.rss <= EXACT and fit.q == () and len(fit.p) == 1
    assert fit.p[0] == (1, 1, 0) and fit.p_factors[0] == Factor("log", ("ratio", 1, 2))  # log(u/v)
    assert fit.p_coefs[0] == pytest.approx(-1.0, rel=1e-9)
    assert rational_fits(X, c * u * np.log(v / u))[0].rss > EXACT  # without logs: no exact fit


def test_a_cosine_of_a_difference_times_a_product_is_one_term():
    """The law of cosines in y^2: x1^2 + x2^2 - 2 x1 x2 cos(theta1 - theta2)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1.0, 5.0, 300), rng.uniform(1.0, 5.0, 300), rng.uniform(1.0, 5.0, 300),
                         rng.uniform(1.0, 5.0, 300)])
    x1, x2, t1, t2 = X.T
    fit = rational_fits(X, x1**2 + x2**2 - 2 * x1 * x2 * np.cos(t1 - t2), functions=("sin", "cos"))[0]
    assert fit.rss <= EXACT and fit.q == ()
    terms = {(p, f): c for p, f, c in zip(fit.p, fit.p_factors, fit.p_coefs)}
    assert set(terms) == {((2, 0, 0, 0), None), ((0, 2, 0, 0), None),
                          ((1, 1, 0, 0), Factor("cos", ("difference", 2, 3)))}
    assert terms[((1, 1, 0, 0), Factor("cos", ("difference", 2, 3)))] == pytest.approx(-2.0, rel=1e-9)


def _exact_unit_gradients(c, u, v):
    """grad of (u + v)/(1 + u v/c^2), by hand (finite differences would cap the accuracy at ~1e-10)."""
    den = 1 + u * v / c**2
    f = (u + v) / den
    G = np.column_stack([2 * f * u * v / (c**3 * den), (1 - f * v / c**2) / den, (1 - f * u / c**2) / den])
    return G / np.linalg.norm(G, axis=1, keepdims=True)


def test_gradient_directions_give_the_rational_law():
    """Only the direction of grad f is known, yet f (1 + b q) = P keeps grad P in the span of the
    direction and grad q: a null vector over P's monomials finds u + v over 1 + u v/c^2."""
    from latentlaw.symbolic.rational_gradient_start import EXACT as GRADIENT_EXACT, gradient_fits

    X = _inputs()
    fit = gradient_fits(X, _exact_unit_gradients(*X.T))[0]
    assert fit.rss <= GRADIENT_EXACT
    # up to an invertible function of f: check the fitted law's level sets, not its form
    c, u, v = X.T
    P = fit.intercept + sum(a * np.prod(X ** np.array(p), axis=1) for a, p in zip(fit.p_coefs, fit.p))
    Q = 1 + sum(b * np.prod(X ** np.array(q), axis=1) for b, q in zip(fit.q_coefs, fit.q))
    law = _velocity_addition(c, u, v)
    fitted = P / Q
    # functionally dependent on these rows: fitted is a monotone function of the law
    order = np.argsort(law)
    steps = np.diff(fitted[order])
    assert np.all(steps >= -1e-9 * np.ptp(fitted)) or np.all(steps <= 1e-9 * np.ptp(fitted))


def test_the_gradient_search_starts_from_the_rational_law(capsys):
    X = _inputs()
    search = SymbolicSearch(objective="gradient", verbosity=1, **BUDGET)
    search.fit(X, gradients=_exact_unit_gradients(*X.T), variable_names=NAMES)
    assert "starting members from rational fits of gradients" in capsys.readouterr().out
    assert search.pareto_front_["loss"].min() < 1e-12  # exact up to rounding: the law's level sets


def test_a_gradient_law_found_as_a_sum_is_planted_whole():
    """Feynman II.11.27, f = n a / (1 - n a / 3) e E on its table's ranges, has the sparse
    reciprocal 1/(n a e E) - 1/(3 e E): planted as (1/(n a) - 1/3)/(e E), one term, since the
    objective's re-solve of the split sum prunes 1/(e E) there (misalignment 2e-3)."""
    from latentlaw.symbolic.rational_gradient_start import gradient_fits

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(0.0, 1.0, 300), rng.uniform(0.0, 1.0, 300), rng.uniform(1.0, 2.0, 300),
                         rng.uniform(1.0, 2.0, 300)])
    n, a, e, E = X.T
    den = 1 - n * a / 3
    G = np.column_stack([a * e * E / den**2, n * e * E / den**2, n * a * E / den, n * a * e / den])
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    fit = gradient_fits(X, G, with_q=False)[0]
    assert fit.q == () and sorted(fit.p) == [(-1, -1, -1, -1), (0, 0, -1, -1)]
    names = ["n", "a", "e", "E"]
    search = SymbolicSearch(objective="gradient", **BUDGET).fit(X, gradients=G, variable_names=names)
    assert search.pareto_front_["loss"].min() < 1e-12


def _doppler(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two inputs (the groups omega_0 and v/c of I.34.14) and the unit gradients of
    f = z0^2 (1 + z1) / (1 - z1), by hand."""
    rng = np.random.default_rng(seed)
    z0, z1 = rng.uniform(1.0, 5.0, n), rng.uniform(0.1, 0.7, n)
    G = np.column_stack([2 * z0 * (1 + z1) / (1 - z1), 2 * z0**2 / (1 - z1) ** 2])
    return np.column_stack([z0, z1]), G / np.linalg.norm(G, axis=1, keepdims=True)


def test_a_quotient_of_two_inputs_is_fitted_from_gradient_directions():
    """With two inputs the span of g and grad q is the plane; the pencil in (a, b a, b c) still
    finds the law, here (up to an invertible function) its reciprocal or itself."""
    from latentlaw.symbolic.rational_gradient_start import EXACT as GRADIENT_EXACT, gradient_fits

    Z, G = _doppler()
    fit = gradient_fits(Z, G)[0]
    assert fit.rss <= GRADIENT_EXACT and len(fit.p) == 2 and fit.q == ((0, 1),)
    P = fit.intercept + sum(a * np.prod(Z ** np.array(p), axis=1) for a, p in zip(fit.p_coefs, fit.p))
    fitted = P / (1 + fit.q_coefs[0] * Z[:, 1])
    law = Z[:, 0] ** 2 * (1 + Z[:, 1]) / (1 - Z[:, 1])
    # a monotone function of the law on these rows (the fit's coefficients are exact to ~1e-15)
    order = np.argsort(law)
    steps = np.diff(fitted[order])
    assert np.all(steps >= -1e-9 * np.ptp(fitted)) or np.all(steps <= 1e-9 * np.ptp(fitted))
    # the search plants it: exact within its first iterations
    search = SymbolicSearch(objective="gradient", **dict(BUDGET, group_start=0)).fit(
        Z, gradients=G, variable_names=["z0", "z1"])
    assert search.pareto_front_["loss"].min() < 1e-12
