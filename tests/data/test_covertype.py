"""Covertype: the real loader on files written in covtype.data format, and the synthetic stand-in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from latentlaw.data import covertype as ct
from latentlaw.data.base import DataError
from latentlaw.data.truth import evaluate_expression, parse_expression
from latentlaw.data.user_files import split_indices

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_real_data(tmp_path, monkeypatch):
    """Nothing to find: an empty repo root, no env var, an empty scikit-learn home."""
    monkeypatch.setenv("LATENTLAW_ROOT", str(tmp_path / "repo"))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn_home"))
    monkeypatch.delenv(ct.ENV_VAR, raising=False)
    return tmp_path


def test_written_file_parses_with_real_names_and_one_hot_blocks(tmp_path):
    path = ct.write_covtype_file(tmp_path / "covtype.data", n_rows=2000, seed=1)
    first = path.read_text().splitlines()[0].split(",")
    assert len(first) == 55 and all(v.lstrip("-").isdigit() for v in first)
    data = ct.load_covertype(path)
    assert data.name == "covertype" and not data.synthetic and data.columns == ct.COLUMNS
    assert data.columns[:2] == ["Elevation", "Aspect"] and data.columns[-1] == "Soil_Type40"
    assert (len(data.train), len(data.val), len(data.test)) == (1600, 200, 200)
    assert data.train.dtype == np.float32
    binary = data.train[:, 10:]
    assert set(np.unique(binary)) == {0.0, 1.0}
    assert (binary[:, :4].sum(1) == 1).all() and (binary[:, 4:].sum(1) == 1).all()
    assert set(np.unique(data.labels["train"])) <= set(range(1, 8))


def test_standardisation_fitted_on_train_only_binary_untouched(tmp_path):
    path = ct.write_covtype_file(tmp_path / "covtype.data.gz", n_rows=3000, seed=2)
    raw = ct.read_covtype_file(path)
    data = ct.load_covertype(path, n_train=2000, n_val=400, n_test=600, seed=5)
    train_rows, _, test_rows = split_indices(3000, 2000, 400, 600, seed=5)
    cont = raw[train_rows, :10].astype(np.float64)
    mean, std = cont.mean(0), cont.std(0)
    np.testing.assert_allclose(data.train[:, :10].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(data.train[:, :10].std(0), 1, atol=1e-4)
    np.testing.assert_allclose(data.test[:, :10], (raw[test_rows, :10] - mean) / std, atol=1e-4)
    np.testing.assert_array_equal(data.train[:, 10:], raw[train_rows, 10:54])
    np.testing.assert_array_equal(data.labels["test"], raw[test_rows, 54])


def test_folder_and_env_var_are_searched(tmp_path, monkeypatch):
    ct.write_covtype_file(tmp_path / "covtype.data.gz", n_rows=500)
    assert len(ct.load_covertype(tmp_path).train) == 400
    monkeypatch.setenv(ct.ENV_VAR, str(tmp_path / "covtype.data.gz"))
    assert "covtype.data.gz" in ct.load_covertype().description


def test_seed_is_reproducible(tmp_path):
    path = ct.write_covtype_file(tmp_path / "covtype.data", n_rows=600)
    a, b, c = (ct.load_covertype(path, seed=s) for s in (3, 3, 4))
    np.testing.assert_array_equal(a.train, b.train)
    assert not np.array_equal(a.train, c.train)


def test_missing_data_says_where_to_put_it_and_where_to_get_it(no_real_data):
    with pytest.raises(DataError) as err:
        ct.load_covertype()
    message = str(err.value)
    assert str(no_real_data / "repo" / "data" / "covtype.data.gz") in message
    assert ct.UCI_FILE_URL in message and "fetch_covtype" in message and "covertype_synthetic" in message
    assert "LATENTLAW_COVTYPE" in message
    assert not (no_real_data / "sklearn_home").exists()  # looking never creates (or fills) sklearn's cache
    with pytest.raises(DataError, match="elsewhere.data"):
        ct.load_covertype(no_real_data / "elsewhere.data")


def test_malformed_file_is_named(tmp_path):
    (tmp_path / "covtype.data").write_text("1,2,3\n4,5,x\n")
    with pytest.raises(DataError, match="not in covtype.data format"):
        ct.load_covertype(tmp_path / "covtype.data")
    (tmp_path / "covtype.data").write_text("1,2,3\n4,5,6\n")
    with pytest.raises(DataError, match="has 3 columns and 2 rows; covtype.data has 581,012 rows of 55"):
        ct.load_covertype(tmp_path / "covtype.data")
    (tmp_path / "covtype.data").write_text("")
    with pytest.raises(DataError, match="not in covtype.data format"):
        ct.load_covertype(tmp_path / "covtype.data")


def test_scikit_learn_cache_is_used_without_downloading(no_real_data):
    import joblib

    raw, _ = ct.synthetic_covtype_rows(400, seed=0)
    home = no_real_data / "sklearn_home" / "covertype"
    home.mkdir(parents=True)
    joblib.dump(raw[:, :54].astype(np.float64), home / "samples_py3")  # sklearn's own cache layout
    joblib.dump(raw[:, 54].astype(np.int32), home / "targets_py3")
    data = ct.load_covertype(seed=0)
    assert "scikit-learn cache" in data.description
    assert len(data.train) == 320


def test_synthetic_is_labelled_and_shaped_like_covertype():
    data = ct.load_covertype_synthetic(n_rows=2000, seed=0)
    assert data.name == "covertype_synthetic" and data.synthetic
    assert data.description.startswith("SYNTHETIC stand-in for UCI Covertype")
    assert data.columns == ct.COLUMNS and data.train.shape == (1600, 54)
    assert data.labels["train"].shape == (1600, 3)
    assert data.ground_truth == []  # column generators are no law over the columns
    for line in data.generators:
        column, expression = line.split(" = ")
        assert column in ct.CONTINUOUS
        parse_expression(expression, ct.FACTORS)
    assert [line.split(" = ")[0] for line in data.generators] == ct.CONTINUOUS


def test_synthetic_shares_the_real_loader_preprocessing(tmp_path):
    path = ct.write_covtype_file(tmp_path / "covtype.data", n_rows=1500, seed=9)
    real_path = ct.load_covertype(path, seed=9)
    synthetic = ct.load_covertype_synthetic(n_rows=1500, seed=9)
    np.testing.assert_array_equal(real_path.train, synthetic.train)
    np.testing.assert_array_equal(real_path.test, synthetic.test)


def test_synthetic_has_the_low_dimensional_structure_it_claims():
    from sklearn.decomposition import PCA

    data = ct.load_covertype_synthetic(n_rows=5000, seed=0)
    block = data.train[:, :10]
    explained = np.cumsum(PCA().fit(block).explained_variance_ratio_)
    baseline = np.cumsum(PCA().fit(np.random.default_rng(0).normal(size=block.shape)).explained_variance_ratio_)
    assert explained[4] > 0.95 and baseline[4] < 0.6  # 5 of 10 directions hold nearly everything
    factors = data.labels["train"]
    for j, line in enumerate(data.generators):
        truth = evaluate_expression(line.split(" = ")[1], ct.FACTORS, factors)
        r = np.corrcoef(truth, block[:, j])[0, 1]
        assert r > 0.97, f"{line}: r={r:.3f}"  # standardising is affine, so only noise lowers r


@pytest.mark.slow
def test_full_size_table_loads_well_under_two_gigabytes(tmp_path):
    ct.write_covtype_file(tmp_path / "covtype.data.gz")
    probe = [sys.executable, str(ROOT / "bench" / "covertype_memory.py"), "--path", str(tmp_path / "covtype.data.gz"),
             "--no-log"]
    out = subprocess.run(probe, check=True, capture_output=True, text=True).stdout
    row = [line for line in out.splitlines() if line.startswith("| covtype")][0].split("|")
    assert int(row[3].strip().replace(",", "")) == ct.N_ROWS
    assert float(row[7]) < 1024, out


def test_synthetic_generates_as_many_rows_as_the_splits_ask_for():
    data = ct.load_covertype_synthetic(n_train=20_000, n_val=2_000, n_test=3_000, seed=0)  # trainer=fast's sizes
    assert (len(data.train), len(data.val), len(data.test)) == (20_000, 2_000, 3_000)
    assert len(ct.load_covertype_synthetic(n_train=None, n_val=None, n_test=None).train) == 16_000  # 80% of 20,000
