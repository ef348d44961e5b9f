"""Constants that are rational multiples of pi powers: found, snapped only when free, printed as pi."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.export_sympy import to_sympy
from latentlaw.symbolic.hall_of_fame import HallOfFame
from latentlaw.symbolic.member import new_member
from latentlaw.symbolic.mutate import valid_terms
from latentlaw.symbolic.objectives import OBJECTIVES
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.polish import polish_front
from latentlaw.symbolic.export_sympy import constant_to_sympy, equation_text, parse_equation
from latentlaw.symbolic.nice_constants import EXACT_TOLERANCE, SNAP_TOLERANCE, pi_multiple

NAMES = ["x", "v"]
FAST = dict(niterations=20, populations=4, population_size=30, ncycles_per_iteration=100, verbosity=0)


pi = sympy.pi


@pytest.mark.parametrize("value, expected", [
    (math.pi ** 2, pi ** 2),
    (-1 / (2 * math.pi), -1 / (2 * pi)),
    (4 * math.pi / 3, 4 * pi / 3),
    (1 / math.sqrt(2 * math.pi), 1 / sympy.sqrt(2 * pi)),  # the Gaussian's constant
    (1 / math.sqrt(math.pi), 1 / sympy.sqrt(pi)),
    (1 / 3, sympy.Rational(1, 3)),  # rationals that no short decimal writes
    (-5 / 6, sympy.Rational(-5, 6)),
    (math.sqrt(2), sympy.sqrt(2)),
    (1 / math.sqrt(3), 1 / sympy.sqrt(3)),
    (3.0, None),  # plain numbers and short decimals stay numbers
    (2.5, None),
    (0.25, None),
    (math.sqrt(0.25), None),
    (math.pi ** 2 * (1 + 1e-9), None),  # close, but not to round-off
])
def test_pi_multiple_reads_exact_values(value, expected):
    found = pi_multiple(value, EXACT_TOLERANCE)
    assert (found and sympy.simplify(found.sympy() - expected) == 0) if expected is not None else found is None
    if found:
        assert found.value == pytest.approx(value, rel=1e-15)


def test_the_export_prints_pi_and_reads_back():
    assert constant_to_sympy(math.pi ** 2) == sympy.pi ** 2
    assert constant_to_sympy(1 / (2 * math.pi)) == 1 / (2 * sympy.pi)
    assert constant_to_sympy(9.8696) == sympy.Float(9.8696)  # 5e-7 away: a fitted number, not pi^2
    assert constant_to_sympy(2 / 3) == sympy.Rational(2, 3)
    assert constant_to_sympy(0.5) == sympy.Float(0.5)
    text = equation_text(sympy.Symbol("x") * constant_to_sympy(math.pi / 2))
    assert text == "pi*x/2"
    assert parse_equation(text, ["x"]) == sympy.pi * sympy.Symbol("x") / 2


def _weighted_harmonic(c: float, n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Exact gradients of x^2 - c v^2 (the coefficient is solved, so only c's value is searched)."""
    X = np.random.default_rng(seed).uniform(0.5, 2.0, size=(n, 2))
    return X, np.stack([2 * X[:, 0], -2 * c * X[:, 1]], axis=1)


def _search(c: float) -> sympy.Expr:
    X, G = _weighted_harmonic(c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return SymbolicSearch(random_state=0, **FAST).fit(X, gradients=G, variable_names=NAMES).sympy()


def test_a_fitted_pi_squared_is_snapped_and_printed_as_pi():
    x, v = sympy.symbols("x v")
    found = _search(math.pi ** 2)
    assert sympy.pi in found.atoms(sympy.NumberSymbol), found
    ratio = sympy.simplify(found.diff(v) / found.diff(x) * x / v)  # -pi^2 for x^2 - pi^2 v^2
    assert ratio == -sympy.pi ** 2, found


def test_a_fitted_third_is_snapped_and_printed_as_a_rational():
    """1/3 has no short decimal: left as 0.33333334 it is neither the law to a reader nor to
    SRBench's check (which rounds to 0.333)."""
    x, v = sympy.symbols("x v")
    found = _search(1 / 3)
    ratio = sympy.simplify(found.diff(v) / found.diff(x) * x / v)  # -1/3 for x^2 - v^2/3
    assert ratio == -sympy.Rational(1, 3), found


def test_a_constant_near_pi_squared_is_kept_when_snapping_costs_loss():
    c = math.pi ** 2 * (1 + SNAP_TOLERANCE / 2)  # within snapping distance, but not pi^2
    found = _search(c)
    assert not found.atoms(sympy.NumberSymbol), found
    x, v = sympy.symbols("x v")
    ratio = float(found.diff(v) / found.diff(x) * x / v)
    assert ratio == pytest.approx(-c, rel=1e-6)  # the rounding slack: at most 1e-6 relative in loss


def _regression_context(X: np.ndarray, y: np.ndarray, names: list[str], **options) -> SearchContext:
    """A search context over (X, y) as the polish sees it, without a search."""
    data = Dataset(X=X, columns=list(np.ascontiguousarray(X.T)), y=y, gradient_columns=None,
                   weights=None, variable_names=names)
    return SearchContext(options=build_options(dict(objective="regression", **options)), objective=OBJECTIVES["regression"],
                         data=data, batch=data, rng=np.random.default_rng(0), variable_p=np.ones(len(names)))


def test_a_constant_that_changes_nothing_is_snapped_to_zero():
    """A front entry carrying a spurious 1e-9 (as a constant optimiser leaves them, and an early
    stop keeps them) is polished without it (a 0 that costs loss is refused like a pi form above)."""
    X = np.random.default_rng(0).uniform(1.0, 3.0, size=(300, 3))
    a, b, c = X.T
    names = ["a", "b", "c"]
    ctx = _regression_context(X, a * np.exp(-b * c / a), names, unary_operators=["exp"])
    hof = HallOfFame()
    terms = valid_terms([parse_expression("a*exp(-(b*(c + 1e-9))/a)", names)], ctx)
    hof.consider(new_member(terms, ctx), ctx)
    polish_front(hof, ctx)
    texts = {e.complexity: (to_sympy(e.variant.expression, names), e.loss) for e in hof.front()}
    exact = [(expr, loss) for expr, loss in texts.values() if loss < 1e-20]
    assert exact and all(not expr.atoms(sympy.Float) for expr, _ in exact), texts


def test_a_constant_beside_a_power_is_merged_and_snapped():
    """II.24.17 by gradients: a search ended with omega^2/c^2 - pi^2/d^2 written
    square(omega/c) - 9.87151*square(0.999904/d), two constants whose product alone the data fix,
    neither within snapping distance of a pi form. The polish merges them and prints pi^2."""
    from latentlaw.symbolic.dataset import prepare

    X = np.random.default_rng(1).uniform(1.0, 3.0, size=(300, 3))
    omega, c, d = X.T
    G = np.column_stack([2 * omega / c**2, -2 * omega**2 / c**3, 2 * math.pi**2 / d**3])
    names = ["omega", "c", "d"]
    data, _ = prepare(X, gradients=G, objective="gradient", variable_names=names)
    options = build_options(dict(objective="gradient", unary_operators=["square", "sqrt"]))
    ctx = SearchContext(options=options, objective=OBJECTIVES["gradient"], data=data, batch=data,
                        rng=np.random.default_rng(0), variable_p=np.ones(3))
    inner = math.sqrt(math.pi**2 / 9.87151) * (1 + 1e-12)  # the product pi^2 up to the search's rounding
    hof = HallOfFame()
    terms = valid_terms([parse_expression(f"square(omega/c) - 9.87151*square({inner!r}/d)", names)], ctx)
    hof.consider(new_member(terms, ctx), ctx)
    polish_front(hof, ctx)
    best = to_sympy(min(hof.front(), key=lambda e: e.loss).variant.expression, names)
    assert sympy.pi in best.atoms(sympy.NumberSymbol), best
    w, cc, dd = sympy.symbols(names)
    assert sympy.simplify(best.diff(dd) / best.diff(w) - (sympy.pi**2 / dd**3) / (w / cc**2)) == 0, best


def _polished(y: np.ndarray, X: np.ndarray, text: str, names: list[str]) -> sympy.Expr:
    """The front's most accurate entry after the polish of one planted member."""
    ctx = _regression_context(X, y, names)
    hof = HallOfFame()
    hof.consider(new_member(valid_terms([parse_expression(text, names)], ctx), ctx), ctx)
    polish_front(hof, ctx)
    return to_sympy(min(hof.front(), key=lambda e: e.loss).variant.expression, names)


def _gamma_law(noise: float, shift: float = 1.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """I.43.43's kb v / (A (gamma - 1)) (gamma - ``shift``) on 1,000 rows with ``noise`` (of y's
    RMS), and the shift that least squares fits (by a fine scan: the law's coefficient is solved)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(2.0, 5.0, size=(1000, 2))  # gamma, v
    clean = X[:, 1] / (X[:, 0] - shift)
    y = clean + rng.normal(0.0, noise * math.sqrt(float(np.mean(clean**2))), len(clean))

    def loss(s: float) -> float:
        column = X[:, 1] / (X[:, 0] - s)
        a = float(column @ y / (column @ column))
        return float(np.mean((y - a * column) ** 2))

    grid = np.linspace(shift - 0.05, shift + 0.05, 20001)
    return X, y, float(grid[np.argmin([loss(s) for s in grid])])


def test_a_constant_moved_by_noise_is_rounded_where_the_noise_allows():
    """With 1% noise on y the fitted shift of gamma - 1 is off in the third decimal (SRBench's
    check, which rounds to 3 decimals, rejects it); fixing it at 1 costs about the noise's own
    share per constant (BIC's ln(n)/n), which the polish accepts. Without noise a law whose
    shift is 1.002 keeps it: at 1 the loss rises from round-off to far above that price."""
    gamma, v = sympy.symbols("gamma v")

    def is_law(found: sympy.Expr, shift: float) -> bool:  # SRBench's rule: a constant ratio
        return not sympy.simplify(found * (gamma - sympy.nsimplify(shift)) / v).free_symbols

    X, y, shift = _gamma_law(0.01)
    assert abs(shift - 1.0) > 5e-4  # off by the noise (seed 0), beyond the check's rounding
    found = _polished(y, X, f"v/(gamma - {shift!r})", ["gamma", "v"])
    assert is_law(found, 1), found
    X, y, _ = _gamma_law(0.0, shift=1.002)
    found = _polished(y, X, "v/(gamma - 1.002)", ["gamma", "v"])
    assert is_law(found, 1.002) and not is_law(found, 1), found


def test_constants_that_trade_off_are_rounded_together():
    """II.38.14's Y / (2 (1 + sigma)) with 1% noise, fitted as a Y / (sigma + s): a and s move
    together (a larger shift wants a larger coefficient), so fixing either alone at its round
    value costs more than its price while fixing both costs less than theirs."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(4)  # a draw where neither constant rounds alone (asserted below)
    X = rng.uniform(1.0, 5.0, size=(1000, 2))  # Y, sigma (the Feynman table's ranges)
    clean = X[:, 0] / (2 * (1 + X[:, 1]))
    y = clean + rng.normal(0.0, 0.01 * math.sqrt(float(np.mean(clean**2))), len(clean))

    def loss(a: float, s: float) -> float:
        return float(np.mean((y - a * X[:, 0] / (X[:, 1] + s)) ** 2))

    a, s = map(float, minimize(lambda p: loss(*p), [0.5, 1.0], method="Nelder-Mead",
                               options=dict(xatol=1e-10, fatol=1e-16)).x)
    assert max(abs(a - 0.5), abs(s - 1.0)) > 5e-4  # off by the noise beyond the check's rounding
    price = math.log(len(y)) / len(y)  # BIC's, relative
    assert min(loss(0.5, s), loss(a, 1.0)) > loss(a, s) * (1 + 2 * price)  # alone: refused
    assert loss(0.5, 1.0) < loss(a, s) * (1 + price)  # together: well within two prices
    found = _polished(y, X, f"{a!r}*Y/({s!r} + sigma)", ["Y", "sigma"])
    Y, sigma = sympy.symbols("Y sigma")
    assert not sympy.simplify(found * (1 + sigma) / Y).free_symbols, found


def test_a_loose_tolerance_offers_only_small_pi_forms():
    """At the noisy pass's 1% some form with numbers up to 16 and 12 lies near almost any
    constant (7.64 ~ 7 pi^2 / 9, a stand-in's 24/pi in I.40.1); bounded to 4, only the forms laws
    carry remain."""
    assert pi_multiple(7.64, 1e-2) is not None
    assert pi_multiple(7.64, 1e-2, largest=4) is None
    assert pi_multiple(24 / math.pi * 1.003, 1e-2, largest=4) is None
    for value, form in [(6.28335, 2 * pi), (9.935, pi ** 2), (0.39901, 1 / sympy.sqrt(2 * pi)), (0.159267, 1 / (2 * pi))]:
        found = pi_multiple(value, 1e-2, largest=4)
        assert found is not None and sympy.simplify(found.sympy() - form) == 0, (value, found)


def test_a_pi_form_that_moves_with_another_constant_is_snapped_with_it():
    """By gradients a law has no scale: a search respelled (v + sqrt(v^2 + 2 g h)) / g over sqrt(2)
    as sqrt((h + 0.49999934 v^2/g)/g) + 0.70710729 v/g (the roots table's fall time; here ten times
    further off, so that no snap alone fits the polish's absolute slack of 1e-14). The two move
    together, so neither snaps alone (0.5 and sqrt(2)/2 each cost loss), but together they are
    the law; the joint rounding now offers pi forms beside round decimals."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1.0, 5.0, size=(1000, 3))  # v, g, h
    v, g, h = X.T
    root = np.sqrt(v**2 + 2 * g * h)
    G = np.column_stack([(1 + v / root) / g, -(v + root) / g**2 + h / (g * root), 1 / root])  # by hand
    G /= np.linalg.norm(G, axis=1, keepdims=True)
    names = ["v", "g", "h"]
    data = Dataset(X=X, columns=list(np.ascontiguousarray(X.T)), y=None,
                   gradient_columns=list(np.ascontiguousarray(G.T)), weights=None, variable_names=names)
    from scipy.optimize import minimize_scalar

    a = 0.4999934

    def misalignment(b: float) -> float:  # of sqrt((h + a v^2/g)/g) + b v/g, gradients by hand
        s = np.sqrt(h / g + a * v**2 / g**2)
        grad = np.column_stack([a * v / (g**2 * s) + b / g, -(h / g**2 + 2 * a * v**2 / g**3) / (2 * s) - b * v / g**2,
                                1 / (2 * g * s)])
        cos = np.sum(grad * G, axis=1) / np.linalg.norm(grad, axis=1)
        return float(np.mean(1 - cos**2))

    b = float(minimize_scalar(misalignment, bracket=(0.7070, 0.7072), tol=1e-12).x)  # b as a search leaves it for that a
    assert abs(b - math.sqrt(0.5)) < SNAP_TOLERANCE * b and misalignment(math.sqrt(0.5)) > 1e-14 + misalignment(b)
    ctx = SearchContext(options=build_options(dict(objective="gradient", unary_operators=["sqrt"])),
                        objective=OBJECTIVES["gradient"], data=data, batch=data, rng=np.random.default_rng(0),
                        variable_p=np.ones(3))
    hof = HallOfFame()
    hof.consider(new_member(valid_terms([parse_expression(f"sqrt((h + {a!r}*v^2/g)/g) + {b!r}*v/g", names)],
                                        ctx), ctx), ctx)
    polish_front(hof, ctx)
    found = to_sympy(min(hof.front(), key=lambda e: e.loss).variant.expression, names)
    V, Gs, H = sympy.symbols(names, positive=True)
    law = (V + sympy.sqrt(V**2 + 2 * Gs * H)) / Gs
    found = found.subs({sympy.Symbol(n): s for n, s in zip(names, (V, Gs, H))})
    assert all(float(f) == round(float(f), 3) for f in found.atoms(sympy.Float)), found  # 0.5 stays a decimal
    assert sympy.simplify(sympy.nsimplify(found) / law).free_symbols == set(), found


@pytest.mark.parametrize("seed", [1, 4])  # draws where 10 passes too (checked below)
def test_of_round_values_that_the_noise_allows_the_closer_is_kept(seed):
    """II.24.17's sqrt(omega^2/c^2 - pi^2/d^2) with 1% noise: the fitted 9.9 is within the noise
    of both 10 (one significant digit, tried first) and pi^2. Both pass the polish's price; the
    data fit pi^2 better, and the polish keeps that one (it kept the first that passed: 10)."""
    from scipy.optimize import minimize_scalar

    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.uniform(4, 6, 1000), rng.uniform(1, 2, 1000), rng.uniform(2, 4, 1000)])
    w, c, d = X.T  # the Feynman table's ranges
    clean = np.sqrt(w**2 / c**2 - math.pi**2 / d**2)
    y = clean + rng.normal(0.0, 0.01 * math.sqrt(float(np.mean(clean**2))), len(clean))

    def loss(k: float) -> float:
        return float(np.mean((y - np.sqrt(w**2 / c**2 - k / d**2)) ** 2))

    k = float(minimize_scalar(loss, bounds=(8.0, 12.0), method="bounded", options=dict(xatol=1e-10)).x)
    price = 1 + math.log(len(y)) / len(y)  # BIC's, relative (polish._allowed for one constant)
    assert loss(10.0) <= loss(k) * price and loss(math.pi**2) < loss(10.0)
    found = _polished(y, X, f"sqrt(square(omega/c) - {k!r}/square(d))", ["omega", "c", "d"])
    assert sympy.pi in found.atoms(sympy.NumberSymbol), found


@pytest.mark.parametrize("seed", [0, 1, 3])
def test_a_constant_rounded_alone_gets_its_plainest_value_with_the_others(seed):
    """II.35.21's n m tanh(m B/(k T)) with 1% noise, fitted as n m (a - c/(exp(b x) + s)): the
    four move together (s = 1.019 beside c = 2.018, b = 2.005 at seed 0). Rounded alone with the
    others as fitted, s goes to a pi form within 1% (sqrt(3 pi)/3 = 1.023, or pi/3), which fits
    their noise better than 1; then a, c and b round to 2-3 digits and the law is lost. The joint
    rounding now tries s at its plainest value with the others first: n m (1 - 2/(exp(2x) + 1))."""
    from scipy.optimize import least_squares

    names = ["n", "m", "B", "k", "T"]
    rng = np.random.default_rng(seed)
    X = rng.uniform(1.0, 5.0, (1000, 5))  # the Feynman table's ranges
    n, m, B, k, T = X.T
    x = m * B / (k * T)
    clean = n * m * np.tanh(x)
    y = clean + rng.normal(0.0, 0.01 * math.sqrt(float(np.mean(clean**2))), len(clean))
    a, c, b, s = map(float, least_squares(lambda p: y - n * m * (p[0] - p[1] / (np.exp(p[2] * x) + p[3])),
                                          [1.0, 2.0, 2.0, 1.0], xtol=1e-14, ftol=1e-14).x)
    assert abs(s - 1.0) > 5e-3  # moved by the noise beyond the check's rounding
    found = _polished(y, X, f"n*m*({a!r} - {c!r}/(exp({b!r}*m*B/(k*T)) + {s!r}))", names)
    nn, mm, BB, kk, TT = sympy.symbols(names)
    assert sympy.simplify(found - nn * mm * sympy.tanh(mm * BB / (kk * TT)).rewrite(sympy.exp)) == 0, found
