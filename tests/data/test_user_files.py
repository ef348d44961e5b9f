"""Users' triplet and table files: both formats, the shared splitting, and every error path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from latentlaw.data.base import DataError
from latentlaw.data.user_files import load_table_file, load_triplet_file, split_indices


def _triplet_arrays(n: int = 50, d: int = 2) -> dict[str, np.ndarray]:
    """Anchor column 0 holds the row number, so splits can be traced back to file rows."""
    rng = np.random.default_rng(1)
    anchor = rng.normal(size=(n, d))
    anchor[:, 0] = np.arange(n)
    return {"anchor": anchor, "positive": anchor + 0.01, "negative": rng.normal(size=(n, d))}


def _row_ids(dataset) -> list[np.ndarray]:
    return [getattr(dataset, s).anchor[:, 0].astype(int) for s in ("train", "val", "test")]


def test_npz_triplets_with_names_ground_truth_and_disjoint_seeded_splits(tmp_path):
    path = tmp_path / "pairs.npz"
    np.savez(path, **_triplet_arrays(), variables=np.array(["q", "p"]))
    data = load_triplet_file(path, ground_truth="q**2 + p**2", n_train=30, n_val=10, n_test=10, seed=3)
    assert data.variables == ["q", "p"] and data.ground_truth == ["q**2 + p**2"]
    assert data.name == "pairs" and not data.synthetic
    ids = _row_ids(data)
    assert [len(i) for i in ids] == [30, 10, 10]
    assert sorted(np.concatenate(ids)) == list(range(50))
    train = data.train
    np.testing.assert_allclose(train.positive, train.anchor + 0.01, atol=1e-5)  # rows stay aligned
    again = load_triplet_file(path, n_train=30, n_val=10, n_test=10, seed=3)
    other = load_triplet_file(path, n_train=30, n_val=10, n_test=10, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip(ids, _row_ids(again)))
    assert not np.array_equal(ids[0], _row_ids(other)[0])


def test_default_and_configured_variable_names(tmp_path):
    path = tmp_path / "t.npz"
    np.savez(path, **_triplet_arrays(d=3))
    assert load_triplet_file(path).variables == ["x0", "x1", "x2"]
    assert load_triplet_file(path, variables=["a", "b", "c"]).variables == ["a", "b", "c"]
    with pytest.raises(DataError, match=r"2 variable names \['a', 'b'\] for 3 columns"):
        load_triplet_file(path, variables=["a", "b"])


def test_csv_triplets_read_variables_from_column_names(tmp_path):
    arrays = _triplet_arrays()
    frame = pd.DataFrame({f"{role}_{v}": arrays[role][:, j] for role in arrays for j, v in enumerate(["x", "v"])})
    frame.to_csv(tmp_path / "t.csv", index=False)
    data = load_triplet_file(tmp_path / "t.csv", ground_truth=["x*v"], seed=0)
    assert data.variables == ["x", "v"]
    assert (len(data.train), len(data.val), len(data.test)) == (40, 5, 5)
    frame.to_parquet(tmp_path / "t.parquet")
    assert load_triplet_file(tmp_path / "t.parquet").variables == ["x", "v"]


def test_csv_triplet_errors_name_the_columns(tmp_path):
    good = pd.DataFrame({f"{r}_x": [1.0, 2.0, 3.0] for r in ("anchor", "positive", "negative")})
    good.assign(row_id=[1, 2, 3]).to_csv(tmp_path / "stray.csv", index=False)
    with pytest.raises(DataError, match=r"\['row_id'\] are not of the form anchor_<var>"):
        load_triplet_file(tmp_path / "stray.csv")
    good.drop(columns="positive_x").to_csv(tmp_path / "half.csv", index=False)
    with pytest.raises(DataError, match=r"missing \['positive_x'\]"):
        load_triplet_file(tmp_path / "half.csv")
    good.assign(anchor_x=["a", "b", "c"]).to_csv(tmp_path / "text.csv", index=False)
    with pytest.raises(DataError, match="column 'anchor_x' is not numeric"):
        load_triplet_file(tmp_path / "text.csv")


def test_npz_errors_name_the_array_and_shapes(tmp_path):
    arrays = _triplet_arrays()
    np.savez(tmp_path / "no_neg.npz", anchor=arrays["anchor"], positive=arrays["positive"])
    with pytest.raises(DataError, match=r"missing array\(s\) \['negative'\]"):
        load_triplet_file(tmp_path / "no_neg.npz")
    np.savez(tmp_path / "ragged.npz", **{**arrays, "negative": arrays["negative"][:40]})
    with pytest.raises(DataError, match=r"'negative': \(40, 2\)"):
        load_triplet_file(tmp_path / "ragged.npz")
    np.savez(tmp_path / "cube.npz", **{k: v[:, :, None] for k, v in arrays.items()})
    with pytest.raises(DataError, match=r"array 'anchor' has shape \(50, 2, 1\)"):
        load_triplet_file(tmp_path / "cube.npz")
    bad = {**arrays, "positive": arrays["positive"].copy()}
    bad["positive"][7, 1] = np.nan
    np.savez(tmp_path / "nan.npz", **bad)
    with pytest.raises(DataError, match="positive has 1 non-finite"):
        load_triplet_file(tmp_path / "nan.npz")


def test_ground_truth_with_unknown_symbol_names_it(tmp_path):
    np.savez(tmp_path / "t.npz", **_triplet_arrays())
    with pytest.raises(DataError, match=r"\['y'\]"):
        load_triplet_file(tmp_path / "t.npz", ground_truth="x0**2 + y")


def test_missing_and_unsupported_files(tmp_path):
    with pytest.raises(DataError, match=r"nowhere\.npz does not exist; it should be a triplet file.*anchor"):
        load_triplet_file(tmp_path / "nowhere.npz")
    with pytest.raises(DataError, match=r"nowhere\.csv does not exist; it should be a CSV or Parquet table"):
        load_table_file(tmp_path / "nowhere.csv")
    (tmp_path / "t.txt").write_text("1 2 3\n")
    with pytest.raises(DataError, match="unsupported triplet file type '.txt'"):
        load_triplet_file(tmp_path / "t.txt")
    with pytest.raises(DataError, match="unsupported file type '.txt'"):
        load_table_file(tmp_path / "t.txt")


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(5, 3, 200), "b": rng.integers(0, 2, 200), "c": rng.uniform(0, 9, 200),
                          "kind": rng.choice(["oak", "pine"], 200)})
    frame.to_csv(tmp_path / "t.csv", index=False)
    return frame


def test_table_file_columns_labels_and_train_only_standardisation(tmp_path, table):
    data = load_table_file(tmp_path / "t.csv", columns=["a", "b"], label_column="kind", standardize=["a"], seed=2)
    assert data.columns == ["a", "b"] and not data.synthetic
    assert [len(getattr(data, s)) for s in ("train", "val", "test")] == [160, 20, 20]
    train_rows, val_rows, _ = split_indices(200, None, None, None, seed=2)
    raw_a = table["a"].to_numpy()
    mean, std = raw_a[train_rows].mean(), raw_a[train_rows].std()
    np.testing.assert_allclose(data.train[:, 0], (raw_a[train_rows] - mean) / std, atol=1e-5)
    np.testing.assert_allclose(data.val[:, 0], (raw_a[val_rows] - mean) / std, atol=1e-5)
    np.testing.assert_array_equal(data.train[:, 1], table["b"].to_numpy()[train_rows])  # left alone
    np.testing.assert_array_equal(data.labels["train"], table["kind"].to_numpy()[train_rows])


def test_table_file_defaults_parquet_and_no_standardisation(tmp_path, table):
    table.drop(columns="kind").to_parquet(tmp_path / "t.parquet")
    data = load_table_file(tmp_path / "t.parquet", n_train=100, n_val=50, n_test=50)
    assert data.columns == ["a", "b", "c"] and data.name == "t"
    assert np.allclose(data.train.mean(0), 0, atol=1e-5) and np.allclose(data.train.std(0), 1, atol=1e-4)
    raw = load_table_file(tmp_path / "t.parquet", standardize=False)
    assert raw.train[:, 0].mean() > 3


def test_table_file_errors_name_the_column(tmp_path, table):
    with pytest.raises(DataError, match="column 'kind' is not numeric"):
        load_table_file(tmp_path / "t.csv")
    with pytest.raises(DataError, match=r"no column\(s\) \['d'\]; available columns: \['a', 'b', 'c', 'kind'\]"):
        load_table_file(tmp_path / "t.csv", columns=["a", "d"])
    with pytest.raises(DataError, match=r"no column\(s\) \['label'\]"):
        load_table_file(tmp_path / "t.csv", label_column="label")
    with pytest.raises(DataError, match="standardize names"):
        load_table_file(tmp_path / "t.csv", columns=["a"], standardize=["b"])
    table.loc[17, "c"] = np.nan
    table.to_csv(tmp_path / "gap.csv", index=False)
    with pytest.raises(DataError, match="column 'c' has 1 missing or non-finite values, first at data row 17"):
        load_table_file(tmp_path / "gap.csv", label_column="kind")
    with pytest.raises(DataError, match="asked for 300 rows"):
        load_table_file(tmp_path / "t.csv", label_column="kind", n_train=250, n_val=25, n_test=25)
