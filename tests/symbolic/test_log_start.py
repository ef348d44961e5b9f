"""Regression of a one-signed target starts from the laws of log|y| and y^2 (log_start.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.log_start import OUTERS, outer_target

NAMES = ["a", "b", "c"]
UNARY = ["square", "sqrt", "exp", "log"]
# small fixed budget (no timeout, so the same front on any CPU)
BUDGET = dict(niterations=12, populations=4, population_size=30, ncycles_per_iteration=100, random_state=0,
              unary_operators=UNARY)


def _data(f, n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).uniform(1.0, 3.0, size=(n, 3))
    return X, f(*X.T)


def _boltzmann(a, b, c):
    return -2.5 * a * np.exp(-b * c / a)  # negative everywhere: the start works on log|y|


def test_a_product_with_an_exponential_is_found_from_its_logarithm(capsys):
    X, y = _data(_boltzmann)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # without the product and rational starts (the product start finds this law first)
        search = SymbolicSearch(objective="regression", verbosity=1, rational_start=0, **BUDGET).fit(
            X, y, variable_names=NAMES)
    assert "starting members from a search of log|y|" in capsys.readouterr().out
    a, b, c = sympy.symbols(NAMES)
    X_new, y_new = _data(_boltzmann, 200, seed=1)
    assert np.allclose(search.predict(X_new), y_new, rtol=1e-8, atol=0)  # exact law: round-off only
    assert search.sympy().has(sympy.exp), search.sympy()


@pytest.mark.parametrize("f", [lambda a, b, c: a - b, lambda a, b, c: 0 * a, lambda a, b, c: a * (b - 2)])
def test_no_start_where_log_y_does_not_exist(f, capsys):
    X, y = _data(f)
    data = Dataset(X=X, columns=list(X.T), y=y, gradient_columns=None, weights=None, variable_names=NAMES)
    assert all(outer_target(data, outer) is None for outer in OUTERS)
    SymbolicSearch(objective="regression", verbosity=1, **dict(BUDGET, niterations=1)).fit(X, y, variable_names=NAMES)
    assert "log|y|" not in capsys.readouterr().out


def test_the_start_can_be_turned_off_and_is_validated(capsys):
    X, y = _data(_boltzmann)
    SymbolicSearch(objective="regression", verbosity=1, log_start=0, **dict(BUDGET, niterations=1)).fit(X, y)
    assert "log|y|" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="log_start"):
        SymbolicSearch(objective="regression", log_start=1.5).fit(X, y)


def test_ctrl_c_during_the_start_stops_the_whole_search(monkeypatch):
    """The start is a search of its own, which keeps Ctrl-C to end with its front; the outer
    search must still stop (interrupted) rather than run on."""
    import latentlaw.symbolic.equation_search as equation_search

    calls = {"n": 0}
    real = equation_search.run_iteration

    def interrupted(population, ctx):
        calls["n"] += 1
        if calls["n"] == 2:  # inside the log|y| search: it runs first
            raise KeyboardInterrupt
        real(population, ctx)

    monkeypatch.setattr(equation_search, "run_iteration", interrupted)
    X, y = _data(_boltzmann)
    search = SymbolicSearch(objective="regression", verbosity=0, **BUDGET).fit(X, y, variable_names=NAMES)
    assert search.stop_reason_ == "interrupted"
    assert calls["n"] == 2  # no iteration of the outer search ran after it
    assert len(search.pareto_front_) > 0  # the random populations' best are kept


def _pythagoras(a, b, c):
    return np.sqrt(a * a + 3.0 * b * c)  # y^2 = a^2 + 3 b c: a sum the linear solve assembles at once


def test_a_root_of_a_sum_is_found_from_its_square(capsys):
    X, y = _data(_pythagoras)
    # (the rational start finds this law too, and first: off here, so the y^2 search runs)
    search = SymbolicSearch(objective="regression", verbosity=1, rational_start=0, **BUDGET).fit(X, y, variable_names=NAMES)
    assert "starting members from a search of y^2" in capsys.readouterr().out
    X_new, y_new = _data(_pythagoras, 200, seed=1)
    assert np.allclose(search.predict(X_new), y_new, rtol=1e-8, atol=0)  # exact law: round-off only
    assert any(isinstance(node, sympy.Pow) and node.exp == sympy.Rational(1, 2)
               for node in sympy.preorder_traversal(search.sympy())), search.sympy()


@pytest.mark.parametrize("y, applies", [([1.0, 2.0, 4.0], ["log|y|", "y^2"]), ([-1.0, -2.0, -4.0], ["log|y|", "y^2"]),
                                        ([-1.0, 0.0, 1.0], []), ([0.0, 1.0, 2.0], []), ([2.0, 2.0, 2.0], []),
                                        ([-2.0, -2.0, -2.0], [])])
def test_each_start_applies_only_where_its_target_is_usable(y, applies):
    X = np.arange(3.0).reshape(3, 1)
    data = Dataset(X=X, columns=list(X.T), y=np.array(y), gradient_columns=None, weights=None, variable_names=["a"])
    assert [o.name for o in OUTERS if outer_target(data, o) is not None] == applies


def test_the_polish_writes_a_root_of_a_square_as_the_term_itself():
    """The y^2 start writes c*omega_0/(c - v) as sqrt(square(...)); sympy cannot drop the root
    without knowing the sign, so the polish offers u for sqrt(square(u)), priced on all rows
    (|u| = u where u keeps its sign, as here)."""
    from latentlaw.symbolic.context import SearchContext
    from latentlaw.symbolic.hall_of_fame import HallOfFame
    from latentlaw.symbolic.member import new_member
    from latentlaw.symbolic.objectives import OBJECTIVES
    from latentlaw.symbolic.options import build_options
    from latentlaw.symbolic.parse import parse_expression
    from latentlaw.symbolic.dataset import prepare
    from latentlaw.symbolic.polish import polish_front
    from latentlaw.symbolic.strings import to_string

    X, y = _data(lambda a, b, c: a * b / (b + c))
    data, _ = prepare(X, y, objective="regression", variable_names=NAMES)
    options = build_options({"objective": "regression", "unary_operators": UNARY, "binary_operators": ["+", "-", "*", "/"]})
    ctx = SearchContext(options=options, objective=OBJECTIVES["regression"], data=data, batch=data,
                        rng=np.random.default_rng(0), variable_p=np.ones(3))
    # the root of a square, and of a quotient of squares with a constant (how the y^2 search
    # may write the square of a product)
    for found in ("sqrt(square(a*b/(b + c)))", "sqrt(4.0*square(a*b)/square(b + c))"):
        hof = HallOfFame()
        hof.consider(new_member((parse_expression(found, NAMES),), ctx), ctx)
        polish_front(hof, ctx)
        texts = {to_string(e.variant.expression, NAMES): e.loss for e in hof.front()}
        assert "a*b/(b + c)" in texts and texts["a*b/(b + c)"] < 1e-20, texts  # float64 round-off only
        assert not any("sqrt" in t for t in texts)  # the longer spelling is dominated and leaves the front


def test_the_polish_takes_a_square_out_of_a_root_of_a_quotient():
    """sqrt(a^2 (b + c)/(b + 2c)) is the y^2 start's spelling of a sqrt((b + c)/(b + 2c)); written
    a*sqrt(b + c)/sqrt(b + 2*c) it has the same size and loss, and sympy can compare it with the law
    without knowing a's sign (I.34.14's omega_0 sqrt((c + v)/(c - v))). The polish prefers it."""
    from latentlaw.symbolic.context import SearchContext
    from latentlaw.symbolic.dataset import prepare
    from latentlaw.symbolic.hall_of_fame import HallOfFame
    from latentlaw.symbolic.member import new_member
    from latentlaw.symbolic.objectives import OBJECTIVES
    from latentlaw.symbolic.options import build_options
    from latentlaw.symbolic.parse import parse_expression
    from latentlaw.symbolic.polish import polish_front
    from latentlaw.symbolic.strings import to_string

    X, y = _data(lambda a, b, c: a * np.sqrt((b + c) / (b + 2 * c)))
    data, _ = prepare(X, y, objective="regression", variable_names=NAMES)
    options = build_options({"objective": "regression", "unary_operators": UNARY, "binary_operators": ["+", "-", "*", "/"]})
    ctx = SearchContext(options=options, objective=OBJECTIVES["regression"], data=data, batch=data,
                        rng=np.random.default_rng(0), variable_p=np.ones(3))
    hof = HallOfFame()
    hof.consider(new_member((parse_expression("sqrt(square(a)*(b + c)/(b + 2*c))", NAMES),), ctx), ctx)
    polish_front(hof, ctx)
    texts = [to_string(e.variant.expression, NAMES) for e in hof.front()]
    assert texts == ["a*sqrt(b + c)/sqrt(b + 2*c)"], texts


def test_a_law_that_noise_pushes_across_zero_is_fitted_on_the_rows_clear_of_it():
    """n_0 exp(-m x / T) is ~1e-11 on some rows, where 1% noise (of y's RMS) turns y negative:
    log|y| did not exist, so the start did not apply (the Feynman bench's noisy I.40.1). On the
    rows clear of the noise, weighted by y^2 (log|y|'s noise is y's over |y|), log|y| is the law's
    sum log n_0 - m x / T; a y that crosses 0 by more than noise still has no start."""
    rng = np.random.default_rng(0)
    X = rng.uniform(1.0, 5.0, size=(1000, 4))  # n_0, m, x, T (the Feynman table's ranges)
    n0, m, x, T = X.T
    clean = n0 * np.exp(-m * x / T)
    y = clean + rng.normal(0.0, 0.01 * np.sqrt(np.mean(clean**2)), len(clean))
    assert np.any(y < 0) and np.all(clean > 0)
    data = Dataset(X=X, columns=list(X.T), y=y, gradient_columns=None, weights=None, variable_names=["n_0", "m", "x", "T"])
    target = outer_target(data, OUTERS[0])
    assert target is not None and target.n < len(y) and target.weights is not None
    A = np.column_stack([np.ones(target.n), np.log(target.X[:, 0]), target.X[:, 1] * target.X[:, 2] / target.X[:, 3]])
    w = np.sqrt(target.weights)
    coefs = np.linalg.lstsq(A * w[:, None], target.y * w, rcond=None)[0]
    # the noise moves the weighted fit's coefficients by ~1% (rows of small y weigh little)
    assert np.allclose(coefs, [0.0, 1.0, -1.0], atol=0.03), coefs
    crossing = Dataset(X=X, columns=list(X.T), y=clean - 0.2 * np.sqrt(np.mean(clean**2)), gradient_columns=None,
                       weights=None, variable_names=["n_0", "m", "x", "T"])
    assert all(outer_target(crossing, outer) is None for outer in OUTERS)
