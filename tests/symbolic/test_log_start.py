"""Regression of a one-signed target starts from the laws of log|y| (log_start.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.log_start import log_target

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
        search = SymbolicSearch(objective="regression", verbosity=1, **BUDGET).fit(X, y, variable_names=NAMES)
    assert "starting members from a search of log|y|" in capsys.readouterr().out
    a, b, c = sympy.symbols(NAMES)
    X_new, y_new = _data(_boltzmann, 200, seed=1)
    assert np.allclose(search.predict(X_new), y_new, rtol=1e-8, atol=0)  # exact law: round-off only
    assert search.sympy().has(sympy.exp), search.sympy()


@pytest.mark.parametrize("f", [lambda a, b, c: a - b, lambda a, b, c: 0 * a, lambda a, b, c: a * (b - 2)])
def test_no_start_where_log_y_does_not_exist(f, capsys):
    X, y = _data(f)
    data = Dataset(X=X, columns=list(X.T), y=y, gradient_columns=None, weights=None, variable_names=NAMES)
    assert log_target(data) is None
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
