"""The PySR backend: settings mapping, the Julia loss, the probe and the child-process plumbing.

Julia is not installable on our machines, so the real fits skip; everything else runs against a
stub `pysr` package in a temporary directory (the child process imports it like the real one).
"""

from __future__ import annotations

import re
import sys
import textwrap

import numpy as np
import pytest
import sympy

from latentlaw.symbolic.backends import pysr as backend

SETTINGS = {"binary_operators": ["+", "-", "*", "/", "^"], "unary_operators": ["sqrt", "square", "sin", "exp"],
            "complexity_of_operators": {"sqrt": 4, "square": 4, "sin": 5, "exp": 5},
            "complexity_of_constants": 3, "complexity_of_variables": 1, "maxsize": 25, "niterations": 200,
            "populations": 15, "population_size": 33, "early_stop_loss": 1e-10, "batch_size": 25}


def kwargs(objective="regression", settings=SETTINGS, d=4, seed=0, timeout=None):
    return backend.pysr_kwargs(objective, settings, d, seed, timeout, 0)


def test_settings_map_to_pysr_keywords():
    kw = kwargs(timeout=30)
    assert kw["binary_operators"] == ["+", "-", "*", "/", "^"]
    assert kw["unary_operators"] == ["sqrt", "square", "sin", "exp"]
    assert kw["complexity_of_operators"] == {"sqrt": 4, "square": 4, "sin": 5, "exp": 5}
    assert (kw["complexity_of_constants"], kw["complexity_of_variables"]) == (3, 1)
    assert (kw["maxsize"], kw["niterations"], kw["populations"], kw["population_size"]) == (25, 200, 15, 33)
    assert kw["early_stop_condition"] == 1e-10
    assert kw["batching"] is True and kw["batch_size"] == 25
    assert kw["timeout_in_seconds"] == 30.0
    assert (kw["deterministic"], kw["parallelism"], kw["random_state"]) == (True, "serial", 0)
    assert "loss_function" not in kw


def test_no_seed_no_batch_means_pysr_defaults():
    kw = kwargs(settings={"maxsize": 10, "batch_size": None, "early_stop_loss": None}, seed=None)
    assert not {"deterministic", "parallelism", "random_state", "batching", "early_stop_condition"} & set(kw)
    assert kw["maxsize"] == 10


def test_same_named_advanced_settings_pass_through():
    kw = kwargs(settings={"constraints": {"^": (-1, 1)}, "ncycles_per_iteration": 100, "parsimony": 0.001,
                          "max_terms": None})
    assert kw["constraints"] == {"^": (-1, 1)} and kw["ncycles_per_iteration"] == 100 and kw["parsimony"] == 0.001
    assert "max_terms" not in kw


def test_gradient_objective_adds_the_julia_loss():
    kw = kwargs("gradient", d=4)
    assert kw["loss_function"] == backend.gradient_loss_julia(4)


def test_unsupported_objective_is_a_value_error():
    with pytest.raises(ValueError, match="objective"):
        kwargs("classification")


@pytest.mark.parametrize("d", [1, 4, 9])
def test_julia_loss_is_well_formed(d):
    src = backend.gradient_loss_julia(d)
    for opening, closing in ["()", "[]", "{}"]:
        depth = 0
        for ch in src:
            depth += (ch == opening) - (ch == closing)
            assert depth >= 0
        assert depth == 0, f"unbalanced {opening}{closing}"
    # every block opener has its `end`
    openers = len(re.findall(r"^\s*(?:begin|function|if|for)\b", src, flags=re.M))
    assert openers == len(re.findall(r"^\s*end\b", src, flags=re.M))
    assert src.startswith("begin") and src.rstrip().endswith("end")
    assert f"d = {d}" in src
    assert "node.feature > d" in src and "L(Inf)" in src  # trees reading gradient columns are rejected
    assert "eval_grad_tree_array(tree, X[1:d, :], options; variable=true)" in src
    assert "X[d + i, j]" in src  # target gradients are rows d+1..2d
    assert "2 - 2 * abs(total / n)" in src
    assert "idx" in src  # the batching method


def test_julia_loss_needs_a_column():
    with pytest.raises(ValueError):
        backend.gradient_loss_julia(0)


def test_probe_without_pysr(monkeypatch):
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: None)
    assert not backend.is_available()
    assert "pip install" in backend.unavailable_reason()


def test_probe_without_julia_explains_how_to_point_at_one(monkeypatch):
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: object())
    monkeypatch.delenv("PYTHON_JULIAPKG_EXE", raising=False)
    monkeypatch.setattr(backend.shutil, "which", lambda name: None)
    reason = backend.unavailable_reason()
    assert not backend.is_available()
    for hint in ("PYTHON_JULIAPKG_EXE", "PYTHON_JULIAPKG_OFFLINE=yes", "JULIA_DEPOT_PATH"):
        assert hint in reason
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", "/nonexistent/julia")
    assert "does not exist" in backend.unavailable_reason()


def test_run_without_julia_raises_and_never_imports_pysr(monkeypatch):
    monkeypatch.delenv("PYTHON_JULIAPKG_EXE", raising=False)
    monkeypatch.setattr(backend.shutil, "which", lambda name: None)
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(RuntimeError, match="PYTHON_JULIAPKG_EXE"):
        backend.run(X, X[:, 0], None, ["x", "v"], objective="regression", settings={}, random_state=0,
                    timeout_in_seconds=None, verbosity=0)
    assert "pysr" not in sys.modules and "juliacall" not in sys.modules


def test_a_julia_that_does_not_start_is_reported(monkeypatch, tmp_path):
    julia = tmp_path / "julia"
    julia.write_text("#!/bin/sh\nexit 3\n")
    julia.chmod(0o755)
    monkeypatch.setattr(backend.importlib.util, "find_spec", lambda name: object())
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", str(julia))
    assert backend.is_available()  # the cheap probe only looks
    with pytest.raises(RuntimeError, match="did not start"):
        backend.require_julia()


STUB = '''
import json, os
import numpy as np
import pandas as pd
import sympy


class PySRRegressor:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def fit(self, X, y, variable_names):
        with open(os.environ["STUB_RECORD"], "w") as f:
            json.dump({"kwargs": self.kwargs, "shape": list(X.shape), "names": variable_names,
                       "y_abs_sum": float(np.abs(y).sum()),
                       "tail_norms": np.linalg.norm(X[:, X.shape[1] // 2:], axis=1).tolist()}, f)
        s = sympy.symbols(variable_names)
        self.equations_ = pd.DataFrame({
            "complexity": [3, 1, 5], "loss": [0.5, 1.0, float("inf")],
            "equation": ["x0 * x1", "x0", "g0"], "score": [0.3, 0.0, 0.0],
            "sympy_format": [s[0] * s[1], s[0], s[-1]],
        })
        return self
'''


@pytest.fixture
def stub_pysr(monkeypatch, tmp_path):
    """A fake `pysr` package and a Julia that answers --version, visible to this and child processes."""
    (tmp_path / "pysr").mkdir()
    (tmp_path / "pysr" / "__init__.py").write_text(textwrap.dedent(STUB))
    julia = tmp_path / "julia"
    julia.write_text("#!/bin/sh\necho 'julia version 1.11.0'\n")
    julia.chmod(0o755)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    monkeypatch.setenv("PYTHON_JULIAPKG_EXE", str(julia))
    monkeypatch.setenv("STUB_RECORD", str(tmp_path / "record.json"))
    return tmp_path / "record.json"


def test_gradient_fit_runs_in_a_child_process(stub_pysr):
    import json

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 2))
    G = 3.0 * X  # not unit length: the backend normalises
    front = backend.run(X, None, G, ["x", "v"], objective="gradient", settings=SETTINGS, random_state=1,
                        timeout_in_seconds=None, verbosity=0)
    assert "pysr" not in sys.modules  # the caller's process never imported it
    record = json.loads(stub_pysr.read_text())
    assert record["shape"] == [30, 4] and record["names"] == ["x0", "x1", "g0", "g1"]
    assert record["y_abs_sum"] == 0.0
    np.testing.assert_allclose(record["tail_norms"], 1.0)
    assert record["kwargs"]["loss_function"] == backend.gradient_loss_julia(2)
    assert record["kwargs"]["random_state"] == 1
    # the Inf row is dropped, rows sorted by complexity, safe names mapped back
    assert list(front.columns) == ["complexity", "loss", "equation", "sympy"]
    assert front["complexity"].tolist() == [1, 3]
    x, v = sympy.symbols("x v")
    assert front["sympy"].tolist() == [x, x * v]
    assert front["equation"].tolist() == ["x", "v*x"]


def test_child_failure_is_reported(stub_pysr, monkeypatch):
    monkeypatch.setenv("STUB_RECORD", str(stub_pysr.parent / "missing-dir" / "record.json"))
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(RuntimeError, match="exit code"):
        backend.run(X, X[:, 0], None, ["x", "v"], objective="regression", settings={}, random_state=0,
                    timeout_in_seconds=None, verbosity=0)


@pytest.mark.slow
@pytest.mark.skipif(not backend.is_available(), reason="PySR and a local Julia are not available")
def test_real_pysr_recovers_a_gradient_law():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (200, 2))
    G = np.stack([2 * X[:, 0], 2 * X[:, 1]], axis=1)
    front = backend.run(X, None, G, ["x", "v"], objective="gradient",
                        settings={"unary_operators": ["square"], "niterations": 20, "maxsize": 12},
                        random_state=0, timeout_in_seconds=300, verbosity=0)
    assert front["loss"].min() < 1e-6


def test_symbolic_search_explains_a_missing_julia(monkeypatch):
    from latentlaw.symbolic import SymbolicSearch

    monkeypatch.delenv("PYTHON_JULIAPKG_EXE", raising=False)
    monkeypatch.setattr(backend.shutil, "which", lambda name: None)
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="Julia|pysr"):
        SymbolicSearch(objective="gradient", backend="pysr").fit(X, gradients=X, variable_names=["x", "v"])


def test_searcher_config_uses_the_paper_settings():
    from conftest import compose

    cfg = compose("explain", ["searcher=pysr"])
    s = cfg.searcher
    assert s._target_ == "latentlaw.symbolic.SymbolicSearch" and s.backend == "pysr"
    kw = backend.pysr_kwargs("gradient", dict(s), 4, s.random_state, s.timeout_in_seconds, s.verbosity)
    assert kw["unary_operators"] == ["sqrt", "square", "sin", "exp"] and kw["maxsize"] == 25
    assert kw["niterations"] == 200 and kw["batch_size"] == 25 and kw["complexity_of_constants"] == 3
