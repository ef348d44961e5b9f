"""y as a root of a quadratic with sparse coefficients (quadratic_start.py)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.quadratic_start import extra_monomials, quadratic_fits, root
from latentlaw.symbolic.rational_start import EXACT, rational_fits

FIELD = ["m", "c", "p", "q", "A", "V"]
# small fixed budget (no timeout, so the same front on any CPU)
BUDGET = dict(niterations=3, populations=4, population_size=30, ncycles_per_iteration=50, random_state=0,
              unary_operators=["square", "sqrt"])


def _field(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A charge's energy in a field, sqrt((p - q A)^2 c^2 + m^2 c^4) + q V (bonus test_16)."""
    X = np.random.default_rng(seed).uniform(1.0, 5.0, (n, 6))
    m, c, p, q, A, V = X.T
    return X, np.sqrt((p - q * A) ** 2 * c**2 + m**2 * c**4) + q * V


def _values(fit, X: np.ndarray) -> np.ndarray:
    from latentlaw.symbolic.rational_start import numerator
    return numerator(fit, X)


def test_extra_monomials_are_products_beyond_the_library():
    E = extra_monomials(6)
    assert np.all(E >= 0) and set(E.sum(axis=1)) == {3, 4, 5}
    assert np.all(np.count_nonzero(E, axis=1) <= 4)
    assert (0, 2, 1, 1, 1, 0) in {tuple(e) for e in E}  # c^2 p q A, a cross term of (p - q A)^2 c^2


def test_a_root_plus_a_term_is_fitted_and_its_root_taken():
    X, y = _field()
    # neither y nor y^2 is a sparse rational law: the rational start's best fits are not exact
    assert rational_fits(X, y, with_q=False)[0].rss > 1e-8
    fit = quadratic_fits(X, y)[0]
    assert fit.rss <= EXACT
    assert fit.q == ((0, 0, 0, 1, 0, 1),) and fit.q_coefs[0] == pytest.approx(-2.0, rel=1e-9)  # Q = -2 q V
    half, radicand, sign = root(fit, X, y)
    assert sign == 1.0 and half.p == ((0, 0, 0, 1, 0, 1),) and half.p_coefs[0] == pytest.approx(1.0, rel=1e-9)
    # q^2 V^2 of P cancels against Q^2 / 4: the radicand is (p - q A)^2 c^2 + m^2 c^4 multiplied out
    assert sorted(radicand.p) == sorted([(0, 2, 2, 0, 0, 0), (0, 2, 1, 1, 1, 0), (0, 2, 0, 2, 2, 0), (2, 4, 0, 0, 0, 0)])
    # least squares on 400 rows of values up to ~1e4: round-off far below 1e-8 relative
    assert np.allclose(_values(half, X) + sign * np.sqrt(_values(radicand, X)), y, rtol=1e-8, atol=0)


def test_the_smaller_root_has_its_sign():
    rng = np.random.default_rng(1)
    v, g, h = rng.uniform(4.0, 6.0, 300), rng.uniform(1.0, 2.0, 300), rng.uniform(1.0, 3.0, 300)
    X, y = np.column_stack([v, g, h]), (v - np.sqrt(v**2 - 2 * g * h)) / g  # time to rise to h
    half, radicand, sign = root(quadratic_fits(X, y)[0], X, y)
    assert sign == -1.0
    assert np.allclose(_values(half, X) - np.sqrt(_values(radicand, X)), y, rtol=1e-8, atol=0)


def test_a_root_whose_sign_changes_is_not_planted():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.uniform(1.0, 2.0, 300), rng.uniform(-1.0, 1.0, 300), rng.uniform(1.0, 2.0, 300)])
    y = X[:, 0] + X[:, 1] * np.sqrt(X[:, 2])  # (y - x0)^2 = x1^2 x2, but y - x0 changes sign with x1
    fit = quadratic_fits(X, y)[0]
    assert fit.rss <= EXACT
    assert root(fit, X, y) is None


def test_the_search_finds_a_root_plus_a_term(capsys):
    X, y = _field()
    search = SymbolicSearch(objective="regression", verbosity=1, log_start=0, **BUDGET).fit(X, y, variable_names=FIELD)
    assert "starting members from y as a root of a quadratic" in capsys.readouterr().out
    X_new, y_new = _field(200, seed=1)
    assert np.allclose(search.predict(X_new), y_new, rtol=1e-9, atol=0)  # round-off only
    m, c, p, q, A, V = sympy.symbols(FIELD, positive=True)
    found = search.sympy().subs({sympy.Symbol(n): s for n, s in zip(FIELD, (m, c, p, q, A, V))})
    truth = sympy.sqrt((p - q * A) ** 2 * c**2 + m**2 * c**4) + q * V
    assert sympy.simplify(sympy.expand(found - truth)) == 0, found


def test_a_radicand_with_a_squared_factor_is_planted_with_the_factor_outside():
    """Onsager's L0 - (A + B L0) sqrt(c): (y - L0)^2 = c (A + B L0)^2, a root whose radicand
    multiplied out has three terms. Before, the law was found and written
    L0 - sqrt(c (A^2 + 2 A B L0 + B^2 L0^2)), which the symbolic check does not reduce."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(50, 150, 400), rng.uniform(10, 80, 400), rng.uniform(0.1, 0.3, 400),
                         rng.uniform(0.001, 0.1, 400)])
    L0, A, B, c = X.T
    search = SymbolicSearch(objective="regression", log_start=0, **BUDGET).fit(X, L0 - (A + B * L0) * np.sqrt(c),
                                                                               variable_names=["L0", "A", "B", "c"])
    L0, A, B, c = sympy.symbols("L0 A B c", positive=True)
    found = search.sympy().subs({sympy.Symbol(n): s for n, s in zip(["L0", "A", "B", "c"], (L0, A, B, c))})
    assert sympy.simplify(found - (L0 - (A + B * L0) * sympy.sqrt(c))) == 0, found


def _kinetic(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The relativistic kinetic energy sqrt(p^2 c^2 + m^2 c^4) - m c^2 on (p, m, c), its unit
    gradients by hand (finite differences would cap the accuracy at ~1e-10)."""
    X = np.random.default_rng(seed).uniform(1.0, 5.0, (n, 3))
    p, m, c = X.T
    E = np.sqrt(p**2 * c**2 + m**2 * c**4)
    G = np.column_stack([p * c**2 / E, m * c**4 / E - c**2, (p**2 * c + 2 * m**2 * c**3) / E - 2 * m * c])
    return X, E - m * c**2, G / np.linalg.norm(G, axis=1, keepdims=True)


def test_gradient_directions_give_a_root_of_a_quadratic():
    """By gradients t^2 + Q t = P keeps grad P in the span of g and grad q, as f (1 + b q) = P does,
    and grad P's coefficient of grad q is t up to a constant factor; a single term P is such a law
    (p^2 c^2 with q = m c^2), which the span start had left out as a function of q alone."""
    from latentlaw.symbolic.rational_gradient_start import EXACT as GRADIENT_EXACT, gradient_fits
    from latentlaw.symbolic.quadratic_start import fitted_root

    X, K, G = _kinetic()
    fit = gradient_fits(X, G)[0]
    assert fit.rss <= GRADIENT_EXACT and fit.root_sign != 0
    assert fit.p == ((2, 0, 2),) and fit.q == ((0, 1, 2),)
    ratio = fitted_root(fit, X) / K  # the same law up to a constant factor
    # round-off of the per-row 2 x 2 solves and a least squares on 300 rows: far below 1e-8
    assert np.ptp(ratio) <= 1e-8 * np.abs(ratio).mean()


def test_the_gradient_search_plants_a_root_of_a_quadratic(capsys):
    X, K, G = _kinetic()
    search = SymbolicSearch(objective="gradient", verbosity=1, group_start=0, **BUDGET)
    search.fit(X, gradients=G, variable_names=["p", "m", "c"])
    assert "starting members from rational fits of gradients" in capsys.readouterr().out
    assert search.pareto_front_["loss"].min() < 1e-12  # exact up to rounding: the law's level sets


def _weak_acid(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A weak acid's [H+], (-K + sqrt(K^2 + 4 K c0)) / 2, on (K, c0): two inputs, unit gradients
    by hand."""
    X = np.random.default_rng(seed).uniform(0.1, 2.0, (n, 2))
    K, c0 = X.T
    root = np.sqrt(K**2 + 4 * K * c0)
    G = np.column_stack([-1 + (K + 2 * c0) / root, 2 * K / root])
    return X, (root - K) / 2, G / np.linalg.norm(G, axis=1, keepdims=True)


def test_two_inputs_give_a_root_of_a_quadratic():
    """With two inputs the span of g and grad q is the plane and says nothing; there the root of
    t^2 + B q t = C + B m has t = h.grad m / h.grad q (h the normal of g), and the quadratic is
    linear in (C, B): t^2 + K t = K c0. Before, the weak acid was a stand-in by gradients
    (misaligned 5e-11 at best) and no fit of P / (1 + Q) over the pencil was exact."""
    from latentlaw.symbolic.rational_gradient_start import EXACT as GRADIENT_EXACT, gradient_fits
    from latentlaw.symbolic.quadratic_start import fitted_root

    X, H, G = _weak_acid()
    fit = gradient_fits(X, G, functions=("sin", "cos", "exp"))[0]
    assert fit.rss <= GRADIENT_EXACT and fit.root_sign != 0
    assert len(fit.p) == 1 and len(fit.q) == 1
    t = fitted_root(fit, X)
    # the same law up to an invertible function: here a constant factor, from a least squares on
    # exact gradients (round-off far below 1e-8)
    ratio = t / H
    assert np.ptp(ratio) <= 1e-8 * np.abs(ratio).mean()


def test_a_radicand_term_rounded_to_zero_is_left_out_of_the_grouped_tree():
    """Coefficients within 1e-8 of an integer are written as it (rational_start._integers), so a
    refitted term can round to 0; grouped by shared monomials (fit_node's ``factored``), a group
    of such terms alone had no size to share and raised (a gradient search on an RLC root did)."""
    from latentlaw.symbolic.context import SearchContext
    from latentlaw.symbolic.dataset import prepare
    from latentlaw.symbolic.evaluate import columns_of, evaluate
    from latentlaw.symbolic.objectives import OBJECTIVES
    from latentlaw.symbolic.options import build_options
    from latentlaw.symbolic.rational_start import Fit, fit_node

    X = np.random.default_rng(0).uniform(1.0, 2.0, (50, 3))
    data, _ = prepare(X, X[:, 0], objective="regression")
    options = build_options(SymbolicSearch(objective="regression").get_params())
    ctx = SearchContext(options=options, objective=OBJECTIVES["regression"], data=data, batch=data,
                        rng=np.random.default_rng(0), variable_p=np.ones(3))
    # the last two share x1^2 x2 (their group), each rounds to 0 over the shared size 1
    fit = Fit(p=((1, 0, 0), (0, 2, 2), (0, 2, 1)), p_coefs=(1.0, 1e-13, 2e-13), p_factors=(None,) * 3,
              intercept=0.0, q=(), q_coefs=(), rss=0.0)
    node = fit_node(fit, ctx, factored=True)
    assert node is not None
    assert np.allclose(evaluate(node, columns_of(X)), X[:, 0], rtol=1e-12, atol=0)


def _principal_stress(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The largest principal stress (sx + sy) / 2 + sqrt(((sx - sy) / 2)^2 + tau^2) (Mohr's circle)
    on (sx, sy, tau), unit gradients by hand."""
    X = np.random.default_rng(seed).uniform(1.0, 5.0, (n, 3))
    sx, sy, tau = X.T
    radius = np.sqrt(((sx - sy) / 2) ** 2 + tau**2)
    G = np.column_stack([0.5 + (sx - sy) / (4 * radius), 0.5 - (sx - sy) / (4 * radius), tau / radius])
    return X, (sx + sy) / 2 + radius, G / np.linalg.norm(G, axis=1, keepdims=True)


def _eigenvalue(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The larger eigenvalue of [[a, b], [c, d]], (a + d) / 2 + sqrt(((a - d) / 2)^2 + b c), on
    (a, b, c, d), unit gradients by hand."""
    X = np.random.default_rng(seed).uniform(1.0, 3.0, (n, 4))
    a, b, c, d = X.T
    radius = np.sqrt(((a - d) / 2) ** 2 + b * c)
    G = np.column_stack([0.5 + (a - d) / (4 * radius), c / (2 * radius), b / (2 * radius), 0.5 - (a - d) / (4 * radius)])
    return X, (a + d) / 2 + radius, G / np.linalg.norm(G, axis=1, keepdims=True)


@pytest.mark.parametrize("law", [_principal_stress, _eigenvalue])
def test_a_linear_coefficient_that_is_a_sum_gives_a_root_of_a_quadratic(law):
    """t^2 - (sx + sy) t = tau^2 - sx sy: the linear coefficient is a sum, so no monomial Q spans
    the law's gradients with g. The parts of grad P and grad (x^a + rho x^b) across g are parallel,
    a pencil in rho over P's terms; before, the best fit by gradients was misaligned (no exact law)."""
    from latentlaw.symbolic.rational_gradient_start import EXACT as GRADIENT_EXACT, gradient_fits
    from latentlaw.symbolic.quadratic_start import fitted_root

    X, H, G = law()
    fit = gradient_fits(X, G)[0]
    assert fit.rss <= GRADIENT_EXACT and fit.root_sign != 0
    assert len(fit.q) == 2 and len(fit.p) == 2
    ratio = fitted_root(fit, X) / H
    # the same law up to a constant factor, from null vectors and a least squares on exact
    # gradients (round-off far below 1e-8)
    assert np.ptp(ratio) <= 1e-8 * np.abs(ratio).mean()


def test_the_gradient_search_plants_the_largest_principal_stress():
    X, _, G = _principal_stress()
    search = SymbolicSearch(objective="gradient", group_start=0, **BUDGET)
    search.fit(X, gradients=G, variable_names=["sx", "sy", "tau"])
    assert search.pareto_front_["loss"].min() < 1e-12  # exact up to rounding: the law's level sets
