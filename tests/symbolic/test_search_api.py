"""SymbolicSearch as users see it: validation, results, determinism, checkpoints, interruption."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import latentlaw.symbolic.equation_search as equation_search
from latentlaw.symbolic import SymbolicSearch, equivalent
from latentlaw.symbolic.laws import LAWS, law_gradients

NAMES = ["x", "v"]
FAST = dict(niterations=20, populations=4, population_size=30, ncycles_per_iteration=100, verbosity=0)


def harmonic(n=300, seed=0):
    X = LAWS["harmonic"].sample(np.random.default_rng(seed), n)
    return X, law_gradients("harmonic", X)


@pytest.fixture(scope="module")
def fitted() -> SymbolicSearch:
    X, G = harmonic()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy (or other) warning may reach the user
        return SymbolicSearch(random_state=0, **FAST).fit(X, gradients=G, variable_names=NAMES)


def test_fit_returns_the_front_and_selects_the_law(fitted):
    front = fitted.pareto_front_
    assert isinstance(front, pd.DataFrame)
    assert {"complexity", "loss", "score", "equation", "sympy", "latex"} <= set(front.columns)
    assert front["complexity"].is_monotonic_increasing and front["loss"].is_monotonic_decreasing
    X, _ = harmonic(200, seed=5)
    assert equivalent(fitted.sympy(), "x**2 + v**2", X, NAMES)
    assert fitted.pareto_front_["complexity"].iloc[fitted.best_index_] == 5
    assert fitted.latex() == front["latex"].iloc[fitted.best_index_]
    assert fitted.fit_seconds_ > 0 and fitted.n_evaluations_ > 0 and fitted.stop_reason_ == "early_stop"


def test_predict_and_gradient(fitted):
    X, G = harmonic(50, seed=3)
    T = fitted.predict(X)
    assert T.shape == (50,)
    grad = fitted.gradient(X)
    cos = (grad * G).sum(1) / np.linalg.norm(grad, axis=1) / np.linalg.norm(G, axis=1)
    assert abs(cos.mean()) > 1 - 1e-9
    assert fitted.predict(X, index=0).shape == (50,)
    with pytest.raises(IndexError):
        fitted.predict(X, index=99)
    with pytest.raises(ValueError, match="columns"):
        fitted.predict(np.zeros((3, 5)))


def test_same_seed_same_front():
    X, G = harmonic(200, seed=1)
    settings = dict(FAST, niterations=2, early_stop_loss=None)
    a = SymbolicSearch(random_state=7, **settings).fit(X, gradients=G)
    b = SymbolicSearch(random_state=7, **settings).fit(X, gradients=G)
    assert a.pareto_front_["equation"].tolist() == b.pareto_front_["equation"].tolist()
    np.testing.assert_array_equal(a.pareto_front_["loss"], b.pareto_front_["loss"])


def test_checkpoint_is_written_and_resumes(tmp_path):
    X, G = harmonic()
    path = tmp_path / "front.csv"
    first = SymbolicSearch(random_state=0, checkpoint_file=str(path), **FAST).fit(X, gradients=G, variable_names=NAMES)
    saved = pd.read_csv(path)
    assert list(saved.columns) == ["complexity", "loss", "equation"]
    assert saved["equation"].tolist() == first.pareto_front_["equation"].tolist()
    again = SymbolicSearch(random_state=1, resume_from=str(path), **dict(FAST, niterations=1, ncycles_per_iteration=1))
    again.fit(X, gradients=G, variable_names=NAMES)
    assert again.pareto_front_["loss"].min() < 1e-10
    loaded = SymbolicSearch.from_file(path, NAMES)
    assert loaded.pareto_front_["equation"].tolist() == saved["equation"].tolist()
    np.testing.assert_allclose(loaded.predict(X), first.predict(X, index=len(first.pareto_front_) - 1))


def test_interrupt_keeps_the_front_and_flushes_the_checkpoint(tmp_path, monkeypatch):
    X, G = harmonic()
    calls = {"n": 0}
    real = equation_search.run_iteration

    def interrupted(population, ctx):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real(population, ctx)

    monkeypatch.setattr(equation_search, "run_iteration", interrupted)
    path = tmp_path / "front.csv"
    search = SymbolicSearch(random_state=0, checkpoint_file=str(path), **dict(FAST, early_stop_loss=None))
    search.fit(X, gradients=G, variable_names=NAMES)
    assert search.stop_reason_ == "interrupted"
    assert len(search.pareto_front_) > 0 and path.exists()


def test_timeout_stops_the_search():
    X = LAWS["kepler_energy"].sample(np.random.default_rng(0), 300)
    G = law_gradients("kepler_energy", X)
    search = SymbolicSearch(random_state=0, timeout_in_seconds=1.0, niterations=10**6, verbosity=0)
    search.fit(X, gradients=G)
    assert search.stop_reason_ == "timeout" and search.fit_seconds_ < 15


def test_progress_lines_and_silence(capsys):
    X, G = harmonic()
    SymbolicSearch(random_state=0, **dict(FAST, verbosity=1)).fit(X, gradients=G)
    assert "latentlaw.symbolic" in capsys.readouterr().out
    SymbolicSearch(random_state=0, **FAST).fit(X, gradients=G)
    assert capsys.readouterr().out == ""


def test_params_follow_scikit_learn():
    search = SymbolicSearch(maxsize=20)
    assert search.get_params()["maxsize"] == 20
    assert search.set_params(niterations=3).niterations == 3
    assert "maxsize=20" in repr(search)
    with pytest.raises(ValueError, match="unknown parameter"):
        search.set_params(bogus=1)
    with pytest.raises(ValueError, match="not fitted"):
        search.sympy()


BAD_INPUTS = [
    (dict(X=np.zeros((10, 2)), gradients=np.ones((10, 3))), "shape of X"),
    (dict(X=np.full((10, 2), np.nan), gradients=np.ones((10, 2))), "NaN/inf"),
    (dict(X=np.ones((10, 2)), gradients=np.full((10, 2), np.inf)), "NaN/inf"),
    (dict(X=np.ones((10, 2)), gradients=np.zeros((10, 2))), "every target gradient is zero"),
    (dict(X=None, gradients=np.ones((10, 2))), "X is required"),
    (dict(X=np.ones(10), gradients=np.ones(10)), "2-d"),
    (dict(X=np.ones((10, 2)), y=np.ones(10)), "objective='regression'"),
    (dict(X=np.ones((10, 2)), y=np.ones(10), gradients=np.ones((10, 2))), "gradients only"),
    (dict(X=np.ones((10, 2)), gradients=np.ones((10, 2)), variable_names=["a"]), "one name per column"),
    (dict(X=np.ones((10, 2)), gradients=np.ones((10, 2)), variable_names=["a", "sin"]), "cannot be used"),
]


@pytest.mark.parametrize("kwargs,message", BAD_INPUTS)
def test_bad_input_fails_before_any_search(kwargs, message, capsys):
    X = kwargs.pop("X")
    with pytest.raises(ValueError, match=message):
        SymbolicSearch(verbosity=1).fit(X, **kwargs)
    assert capsys.readouterr().out == ""


def test_regression_input_errors():
    with pytest.raises(ValueError, match="needs y"):
        SymbolicSearch(objective="regression").fit(np.ones((10, 2)))
    with pytest.raises(ValueError, match="objective='gradient' to match gradients"):
        SymbolicSearch(objective="regression").fit(np.ones((10, 2)), gradients=np.ones((10, 2)))
    with pytest.raises(ValueError, match="one value per row"):
        SymbolicSearch(objective="regression").fit(np.ones((10, 2)), np.ones(9))


BAD_SETTINGS = [
    (dict(unary_operators=["sin", "erf"]), "unknown unary operator 'erf'"),
    (dict(binary_operators=["+", "%"]), "unknown binary operator"),
    (dict(maxsize=2, complexity_of_variables=3), "not even a single"),
    (dict(maxsize=0), "maxsize must be an integer >= 1"),
    (dict(objective="density"), "objective must be one of"),
    (dict(complexity_of_operators={"erf": 2}), "unknown operator 'erf'"),
    (dict(nested_constraints={"sin": {"exp": 0}}, unary_operators=["sin"]), "not in use"),
    (dict(timeout_in_seconds=-1), "timeout_in_seconds"),
    (dict(model_selection="median"), "model_selection"),
    (dict(backend="julia"), "unknown backend 'julia'"),
    (dict(backend="operon"), "does not support objective 'gradient'"),
    (dict(resume_from="/nonexistent/front.csv"), "does not exist"),
    (dict(patience=0), "patience must be an integer >= 1"),
    (dict(backend="pysr", patience=5), "patience is supported by the native backend only"),
]


@pytest.mark.parametrize("params,message", BAD_SETTINGS)
def test_bad_settings_fail_with_the_fix(params, message):
    X, G = harmonic(20)
    with pytest.raises(ValueError, match=message):
        SymbolicSearch(verbosity=0, **params).fit(X, gradients=G)


def test_unavailable_backend_says_how_to_install():
    from latentlaw.symbolic import backends

    if backends.available()["pysr"]:
        pytest.skip("PySR with Julia is installed here")
    X, G = harmonic(20)
    with pytest.raises(ValueError, match="not available here"):
        SymbolicSearch(backend="pysr", verbosity=0).fit(X, gradients=G)
