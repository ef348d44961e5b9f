"""Users' own data: triplet and table files, and the one path every table takes into a dataset.

File formats
------------
Triplet file (``load_triplet_file``), one row per triplet:

* ``.npz`` with arrays ``anchor``, ``positive``, ``negative``, each of shape (n, d) (a 1-d array
  is read as one variable), and optionally ``variables``: d names.
* ``.csv`` / ``.parquet`` with columns ``anchor_<var>``, ``positive_<var>``, ``negative_<var>``
  for every variable ``<var>``; variables are ordered as their ``anchor_`` columns appear.

Table file (``load_table_file``): ``.csv`` or ``.parquet`` with a header row; the chosen columns must
be numeric, one optional label column is kept aside (not trained on).

Every table in latentlaw (Covertype, text embeddings, user tables) goes through ``split_indices``
and ``build_table``, so shuffling, splitting and train-only standardisation happen in one place.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from latentlaw.data.base import DataError, TableDataset, Triplets, TripletDataset, check_float32_range, split_sizes
from latentlaw.data.truth import parse_expression

Splits = tuple[np.ndarray, np.ndarray, np.ndarray]
SPLITS = ("train", "val", "test")
TABLE_SUFFIXES = (".csv", ".parquet", ".pq")
ROLES = ("anchor", "positive", "negative")


def repo_root() -> Path:
    """Where ``data/`` and ``.cache/`` live: $LATENTLAW_ROOT (set by the CLIs), else this checkout, else cwd."""
    if os.environ.get("LATENTLAW_ROOT"):
        return Path(os.environ["LATENTLAW_ROOT"]).expanduser().resolve()
    root = Path(__file__).resolve().parents[3]
    return root if (root / "pyproject.toml").is_file() else Path.cwd()


def split_indices(n_rows: int, n_train: int | None, n_val: int | None, n_test: int | None,
                  seed: int) -> Splits:
    """Disjoint shuffled row indices for train/val/test; sizes from ``base.split_sizes``."""
    a, b, c = split_sizes(n_rows, n_train, n_val, n_test)
    order = np.random.default_rng(seed).permutation(n_rows)
    return order[:a], order[a:a + b], order[a + b:a + b + c]


def build_table(name: str, columns: list[str], rows: np.ndarray, splits: Splits, *,
                labels: np.ndarray | None = None, standardize: Sequence[int] = (),
                description: str = "", synthetic: bool = False,
                ground_truth: list[str] | None = None, generators: list[str] | None = None) -> TableDataset:
    """Cut ``rows`` into splits as float32 and standardise the ``standardize`` columns.

    The scaler is fitted on the train split only, so val/test statistics never leak into training.
    ``rows`` may be any integer or float array; only the selected rows are copied.
    """
    check_float32_range(name, rows)
    parts = [np.take(rows, idx, axis=0).astype(np.float32, copy=False) for idx in splits]
    cols = list(standardize)
    if cols:
        from sklearn.preprocessing import StandardScaler

        scaler = StandardScaler().fit(parts[0][:, cols])
        for part in parts:
            part[:, cols] = scaler.transform(part[:, cols])
    kept = {} if labels is None else {s: np.take(labels, idx, axis=0) for s, idx in zip(SPLITS, splits)}
    return TableDataset(
        name=name, columns=list(columns), train=parts[0], val=parts[1], test=parts[2],
        description=description, synthetic=synthetic, labels=kept, ground_truth=list(ground_truth or []),
        generators=list(generators or []),
    )


def require_file(path: str | Path, what: str) -> Path:
    """The path if it exists, else a DataError saying what should be there."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DataError(f"{path} does not exist; it should be {what}.")
    return path


def read_frame(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file with at least one data row, with the file named in any error."""
    frame = _read_frame(path)
    if len(frame) == 0:
        raise DataError(f"{path} has no data rows (only a header with {len(frame.columns)} columns); give it at "
                        "least one row per sample (and enough for the train, val and test splits).")
    return frame


def _read_frame(path: Path) -> pd.DataFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pd.read_csv(path)
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as err:
        raise DataError(f"cannot read {path}: {err}; it should be a whole CSV or Parquet table with a header row "
                        "and one row per sample (re-export it if it was cut short).") from err
    raise DataError(f"{path}: unsupported file type {suffix!r}; use one of {list(TABLE_SUFFIXES)}.")


def _numeric_column(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """One column as float64, refusing text and missing values with the column and row named."""
    series = frame[column]
    if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
        text = series.notna() & pd.to_numeric(series, errors="coerce").isna()
        where = f"{series[text].iloc[0]!r} at data row {int(np.argmax(text.to_numpy()))}" if text.any() else "no numbers"
        raise DataError(
            f"{path}: column {column!r} is not numeric (dtype {series.dtype}; {where}); "
            "drop it, encode it as numbers, or leave it out of `columns`."
        )
    values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"{path}: column {column!r} has {int(bad.sum())} missing or non-finite values, first at "
            f"data row {int(np.argmax(bad))}; clean or drop those rows."
        )
    return values


def _check_columns(frame: pd.DataFrame, wanted: Sequence[str], path: Path) -> None:
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column(s) {missing}; available columns: {list(frame.columns)}.")


def load_table_file(path: str | Path, columns: list[str] | None = None, label_column: str | None = None,
                    standardize: bool | list[str] = True, n_train: int | None = None,
                    n_val: int | None = None, n_test: int | None = None, seed: int = 0,
                    name: str | None = None) -> TableDataset:
    """A numeric CSV/Parquet table for autoencoders.

    ``columns`` picks the features (default: all but ``label_column``); ``standardize`` is True
    (all features), False, or a list of feature names to standardise with train statistics.
    """
    path = require_file(path, "a CSV or Parquet table with a header row and numeric feature columns")
    frame = read_frame(path)
    if label_column is not None:
        _check_columns(frame, [label_column], path)
    features = list(columns) if columns is not None else [c for c in frame.columns if c != label_column]
    _check_columns(frame, features, path)
    if not features:
        raise DataError(f"{path}: no feature columns left; available columns: {list(frame.columns)}.")
    rows = np.column_stack([_numeric_column(frame, c, path) for c in features])
    labels = frame[label_column].to_numpy() if label_column is not None else None
    if standardize is True:
        scaled = list(range(len(features)))
    elif standardize is False or standardize is None:
        scaled = []
    else:
        unknown = [c for c in standardize if c not in features]
        if unknown:
            raise DataError(f"standardize names {unknown}, which are not feature columns {features}.")
        scaled = [features.index(c) for c in standardize]
    del frame
    splits = split_indices(len(rows), n_train, n_val, n_test, seed)
    return build_table(
        name or path.stem, [str(c) for c in features], rows, splits, labels=labels, standardize=scaled,
        description=f"User table {path} ({len(rows)} rows, {len(features)} features"
                    f"{', label ' + repr(label_column) if label_column else ''}; "
                    f"{len(scaled)} columns standardised with train mean/std).",
        synthetic=False,
    )


def _triplets_from_npz(path: Path) -> tuple[dict[str, np.ndarray], list[str] | None]:
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        what = "is empty" if path.stat().st_size == 0 else "is cut short or not an .npz archive"
        raise DataError(f"cannot read {path} as .npz: it {what} ({type(err).__name__}: {err}); write it again with "
                        "numpy.savez(path, anchor=..., positive=..., negative=...).") from err
    with archive:
        missing = [r for r in ROLES if r not in archive.files]
        if missing:
            raise DataError(
                f"{path}: missing array(s) {missing}; found {archive.files}. A triplet .npz needs "
                "arrays 'anchor', 'positive', 'negative' of shape (n, d), optionally 'variables'."
            )
        arrays = {}
        for role in ROLES:
            value = archive[role]
            if not np.issubdtype(value.dtype, np.number) and value.dtype != bool:
                raise DataError(f"{path}: array {role!r} has non-numeric dtype {value.dtype}.")
            if value.ndim == 1:
                value = value[:, None]
            if value.ndim != 2:
                raise DataError(f"{path}: array {role!r} has shape {value.shape}; expected (n, d).")
            arrays[role] = value
        names = [str(v) for v in archive["variables"].reshape(-1)] if "variables" in archive.files else None
    return arrays, names


def _triplets_from_frame(path: Path) -> tuple[dict[str, np.ndarray], list[str]]:
    frame = read_frame(path)
    stray = [c for c in frame.columns if not any(str(c).startswith(r + "_") for r in ROLES)]
    if stray:
        raise DataError(
            f"{path}: column(s) {stray} are not of the form anchor_<var>, positive_<var> or "
            "negative_<var>; remove them or rename them."
        )
    names = [str(c)[len("anchor_"):] for c in frame.columns if str(c).startswith("anchor_")]
    if not names:
        raise DataError(f"{path}: no anchor_<var> columns; found {list(frame.columns)}.")
    expected = {f"{r}_{v}" for r in ROLES for v in names}
    missing = sorted(expected - {str(c) for c in frame.columns})
    extra = sorted({str(c) for c in frame.columns} - expected)
    if missing or extra:
        raise DataError(
            f"{path}: every variable needs anchor_, positive_ and negative_ columns; "
            f"missing {missing}, unmatched {extra}."
        )
    arrays = {r: np.column_stack([_numeric_column(frame, f"{r}_{v}", path) for v in names]) for r in ROLES}
    return arrays, names


def load_triplet_file(path: str | Path, variables: list[str] | None = None,
                      ground_truth: str | list[str] | None = None, n_train: int | None = None,
                      n_val: int | None = None, n_test: int | None = None, seed: int = 0,
                      name: str | None = None) -> TripletDataset:
    """Siamese triplets from a .npz or CSV/Parquet file (format in the module docstring).

    ``variables`` overrides the names from the file (default x0..x{d-1}); each ``ground_truth``
    expression must parse with sympy over those names, so a typo fails here and not after training.
    """
    path = require_file(path, "a triplet file: .npz with arrays anchor, positive, negative of shape (n, d) "
                              "(optionally variables), or .csv/.parquet with anchor_<var>, positive_<var>, "
                              "negative_<var> columns")
    if path.suffix.lower() == ".npz":
        arrays, names = _triplets_from_npz(path)
    elif path.suffix.lower() in TABLE_SUFFIXES:
        arrays, names = _triplets_from_frame(path)
    else:
        raise DataError(f"{path}: unsupported triplet file type {path.suffix!r}; use .npz, .csv or .parquet.")
    shapes = {r: a.shape for r, a in arrays.items()}
    if len(set(shapes.values())) != 1:
        raise DataError(f"{path}: anchor, positive and negative must have one shape; got {shapes}.")
    n_rows, d = arrays["anchor"].shape
    if variables is not None:
        names = [str(v) for v in variables]
    names = names or [f"x{i}" for i in range(d)]
    if len(names) != d:
        raise DataError(f"{path}: {len(names)} variable names {names} for {d} columns; give one per column.")
    truths = [ground_truth] if isinstance(ground_truth, str) else list(ground_truth or [])
    for expression in truths:
        parse_expression(expression, names)
    train, val, test = (
        Triplets(*(np.take(arrays[r], idx, axis=0) for r in ROLES))
        for idx in split_indices(n_rows, n_train, n_val, n_test, seed)
    )
    return TripletDataset(
        name=name or path.stem, variables=names, train=train, val=val, test=test, ground_truth=truths,
        description=f"User triplets from {path} ({n_rows} triplets over {names}).", synthetic=False,
    )
