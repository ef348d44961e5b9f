"""The operon backend honours the backend contract and recovers a plain regression law."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import sympy

pytest.importorskip("pyoperon")

from latentlaw.symbolic.backends import operon  # noqa: E402
from latentlaw.symbolic.parse_sympy import parse_sympy  # noqa: E402

NAMES = ["a", "b", "c", "d", "e"]
# A modest budget: ~1 s of CPU per fit on this machine.
SETTINGS = {"binary_operators": ["+", "-", "*", "/"], "unary_operators": ["cos", "square"],
            "maxsize": 20, "niterations": 30, "populations": 6, "population_size": 50}


def law_data(n: int = 500, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).uniform(-2, 2, (n, 5))
    return X, 2.5 * X[:, 0] ** 2 + np.cos(X[:, 1]) - X[:, 2]


def fit(X, y, seed=0, settings=SETTINGS, **kw):
    return operon.run(X, y, None, NAMES, objective="regression", settings=settings, random_state=seed,
                      timeout_in_seconds=None, verbosity=0, **kw)


@pytest.fixture(scope="module")
def front() -> pd.DataFrame:
    return fit(*law_data(), settings={**SETTINGS, "niterations": 60, "early_stop_loss": 1e-10})


def test_early_stop_ends_the_run_once_the_law_is_found(front):
    assert front.attrs["stop_reason"] == "early_stop"
    assert 0 < front.attrs["n_iterations"] < 60


def test_timeout_cuts_a_long_budget():
    X, y = law_data(200)
    started = time.perf_counter()
    cut = operon.run(X, y + 0.1 * np.sin(7 * X[:, 3]), None, NAMES, objective="regression",
                     settings={**SETTINGS, "niterations": 100000}, random_state=0, timeout_in_seconds=1, verbosity=0)
    assert cut.attrs["stop_reason"] == "timeout" and len(cut) > 0
    assert time.perf_counter() - started < 30


def test_recovers_the_law_exactly(front):
    a, b, c = sympy.symbols("a b c")
    best = front.iloc[front["loss"].idxmin()]
    assert best["loss"] < 1e-10
    assert sympy.simplify(best["sympy"] - (sympy.Rational(5, 2) * a**2 + sympy.cos(b) - c)) == 0
    assert best["complexity"] <= 12


def test_front_matches_the_contract(front):
    assert list(front.columns) == ["complexity", "loss", "equation", "sympy"]
    assert front["complexity"].dtype.kind == "i" and front["loss"].dtype.kind == "f"
    assert front["complexity"].is_monotonic_increasing and front["complexity"].is_unique
    assert front["loss"].is_monotonic_decreasing
    symbols = [sympy.Symbol(n) for n in NAMES]
    X, _ = law_data(20, seed=5)
    for expr, text in zip(front["sympy"], front["equation"]):
        assert isinstance(expr, sympy.Expr) and expr.free_symbols <= set(symbols)
        parsed = parse_sympy(text, NAMES, what="front equation")
        values = [np.broadcast_to(sympy.lambdify(symbols, e)(*X.T), 20) for e in (parsed, expr)]
        np.testing.assert_allclose(*values, rtol=1e-9)


def test_same_seed_same_front():
    X, y = law_data(200, seed=1)
    small = {**SETTINGS, "niterations": 10, "early_stop_loss": 1e-10}  # two chunks of 5 generations
    first, second = fit(X, y, seed=3, settings=small), fit(X, y, seed=3, settings=small)
    assert first["equation"].tolist() == second["equation"].tolist()
    np.testing.assert_array_equal(first["loss"].to_numpy(), second["loss"].to_numpy())


def test_gradient_objective_is_refused():
    X, y = law_data(20)
    with pytest.raises(ValueError, match="gradient"):
        operon.run(X, None, X, NAMES, objective="gradient", settings=SETTINGS, random_state=0,
                   timeout_in_seconds=None, verbosity=0)


def test_settings_map_to_an_operon_budget_and_unsupported_ones_are_named():
    params, ignored = operon.operon_params(
        {**SETTINGS, "unary_operators": ["cos", "cube", "neg"], "early_stop_loss": 1e-10,
         "complexity_of_constants": 3})
    assert params["allowed_symbols"] == "constant,variable,add,sub,mul,div,cos"
    assert params["population_size"] == 300 and params["generations"] == 30 and params["max_length"] == 20
    text = " ".join(ignored)
    assert "'cube'" in text and "complexity_of_constants" in text and "early_stop_loss" not in text
    assert "neg" not in text  # leaf weights carry the sign


def test_unsupported_settings_warn_once():
    X, y = law_data(50)
    settings = {**SETTINGS, "niterations": 2, "unary_operators": ["cube"], "batch_size": 25}
    operon._warned.clear()
    with pytest.warns(UserWarning, match="cube.*batch_size"):
        fit(X, y, settings=settings)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit(X, y, settings=settings)


def test_complexity_uses_the_search_weights():
    a, b = sympy.symbols("a b")
    ops = dict.fromkeys(["+", "-", "*", "square", "cos"])
    expr = 2.5 * a**2 - b
    assert operon._complexity(expr, ops, {}) == 6
    assert operon._complexity(expr, ops, {"complexity_of_constants": 3, "complexity_of_operators": {"square": 4}}) == 11


def test_symbolic_search_runs_operon_end_to_end():
    from latentlaw.symbolic import SymbolicSearch

    X, y = law_data(300, seed=2)
    search = SymbolicSearch(objective="regression", backend="operon", random_state=0, verbosity=0,
                            **{**SETTINGS, "niterations": 60}).fit(X, y, variable_names=NAMES)
    assert search.backend_ == "operon" and search.stop_reason_ == "early_stop"
    # What early_stop promises (float64 MSE <= early_stop_loss = 1e-10), not a per-point bound that
    # holds only where the tidied constants came out exact: operon fits in float32 with CPU-specific SIMD.
    assert np.mean((search.predict(X) - y) ** 2) <= 1e-10


def test_searcher_config_builds_an_operon_search():
    from conftest import compose

    from latentlaw.config import build

    cfg = compose("explain", ["searcher=operon"])
    search = build(cfg.searcher, objective="regression", random_state=3)
    assert (search.backend, search.objective, search.random_state) == ("operon", "regression", 3)
    assert cfg.searcher._target_ == "latentlaw.symbolic.SymbolicSearch"
