"""UCI Covertype (581,012 forest cells x 54 cartographic features) and a synthetic stand-in.

The real file is never downloaded here: it is looked for locally, and its absence is an error that
says where to put it. The synthetic stand-in has the same columns, comes from three known latent
factors, and shares the real loader's preprocessing, so pipelines can be run and checked without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from latentlaw.data.base import DataError, TableDataset
from latentlaw.data.truth import evaluate_expression
from latentlaw.data.user_files import build_table, repo_root, split_indices

CONTINUOUS = [
    "Elevation", "Aspect", "Slope", "Horizontal_Distance_To_Hydrology", "Vertical_Distance_To_Hydrology",
    "Horizontal_Distance_To_Roadways", "Hillshade_9am", "Hillshade_Noon", "Hillshade_3pm",
    "Horizontal_Distance_To_Fire_Points",
]
WILDERNESS = [f"Wilderness_Area{i}" for i in range(1, 5)]
SOIL = [f"Soil_Type{i}" for i in range(1, 41)]
COLUMNS = CONTINUOUS + WILDERNESS + SOIL
LABEL = "Cover_Type"
N_ROWS = 581_012
DEFAULT_SYNTHETIC_ROWS = 20_000

UCI_URL = "https://archive.ics.uci.edu/dataset/31/covertype"
UCI_FILE_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/covtype/covtype.data.gz"
FILE_NAMES = ("covtype.data", "covtype.data.gz")
ENV_VAR = "LATENTLAW_COVTYPE"

# Synthetic stand-in: three latent factors and the exact generating law of each continuous column
# (before the integer rounding of covtype.data and the noise listed in _NOISE).
FACTORS = ["height", "facing", "remote"]
EQUATIONS = {
    "Elevation": "1900 + 1800*height",
    "Aspect": "180*facing/pi",
    "Slope": "2 + 30*height**2",
    "Horizontal_Distance_To_Hydrology": "80 + 700*height*remote",
    "Vertical_Distance_To_Hydrology": "120*height - 50*cos(facing) - 20",
    "Horizontal_Distance_To_Roadways": "300 + 5500*remote",
    "Hillshade_9am": "212 + 30*sin(facing)",
    "Hillshade_Noon": "223 + 18*cos(facing)",
    "Hillshade_3pm": "142 - 40*sin(facing)",
    "Horizontal_Distance_To_Fire_Points": "400 + 5000*remote**2 + 800*height",
}
_NOISE = [20.0, 3.0, 1.5, 15.0, 8.0, 60.0, 3.0, 3.0, 3.0, 60.0]  # Gaussian sd per continuous column
_CLIP = {"Aspect": (0, 360), "Slope": (0, 90), "Hillshade_9am": (0, 254),
         "Hillshade_Noon": (0, 254), "Hillshade_3pm": (0, 254)}


def _sklearn_home() -> Path:
    """scikit-learn's data home, computed without sklearn's get_data_home (which creates it)."""
    return Path(os.environ.get("SCIKIT_LEARN_DATA", "~/scikit_learn_data")).expanduser()


def _candidates(path: str | Path | None) -> list[Path]:
    if path is not None:
        path = Path(path).expanduser()
        return [path / n for n in FILE_NAMES] if path.is_dir() else [path]
    if os.environ.get(ENV_VAR):
        return _candidates(os.environ[ENV_VAR])
    return [repo_root() / "data" / n for n in FILE_NAMES]


def _missing_error(looked: list[Path]) -> DataError:
    target = repo_root() / "data" / "covtype.data.gz"
    return DataError(
        "UCI Covertype not found (nothing is downloaded automatically). Looked for "
        f"{[str(p) for p in looked]} and scikit-learn's cache {_sklearn_home() / 'covertype'}. "
        f"Fix: download covtype.data.gz from {UCI_FILE_URL} (dataset page {UCI_URL}) and put it at "
        f"{target} (gzipped or unzipped as covtype.data), or point dataset.path= or ${ENV_VAR} at it; "
        "or, on a machine with internet, run `python -c \"from sklearn.datasets import fetch_covtype; "
        "fetch_covtype()\"` and copy the resulting ~/scikit_learn_data/covertype folder to this machine's "
        "~/scikit_learn_data (or set SCIKIT_LEARN_DATA to the folder holding it). Without the data, "
        "dataset=covertype_synthetic runs the same pipeline on a labelled synthetic stand-in."
    )


_FORMAT = "581,012 rows of 55 comma-separated integers, no header: the 54 features, then Cover_Type 1-7"


def read_covtype_file(path: str | Path) -> np.ndarray:
    """covtype.data(.gz) as an int32 array (n, 55): 54 features then Cover_Type.

    Read with fixed integer dtypes so the full table stays ~128 MB instead of 256 MB of float64.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, header=None, dtype=np.int32, engine="c")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise DataError(f"{path} is not in covtype.data format ({_FORMAT}): {err}") from err
    if frame.shape[1] != len(COLUMNS) + 1 or frame.empty:
        raise DataError(f"{path} has {frame.shape[1]} columns and {len(frame)} rows; covtype.data has {_FORMAT}.")
    raw = frame.to_numpy(dtype=np.int32)
    del frame
    return raw


def _from_sklearn_cache() -> np.ndarray | None:
    """scikit-learn's cached copy as (n, 55) int32, or None; download_if_missing=False always."""
    home = _sklearn_home()
    if not (home / "covertype").is_dir():
        return None
    from sklearn.datasets import fetch_covtype

    try:
        data, target = fetch_covtype(data_home=str(home), download_if_missing=False, return_X_y=True)
    except OSError:
        return None
    raw = np.empty((data.shape[0], len(COLUMNS) + 1), dtype=np.int32)
    raw[:, :-1] = data
    raw[:, -1] = target
    return raw


def _covertype_table(name: str, raw: np.ndarray, labels: np.ndarray, n_train: int | None,
                     n_val: int | None, n_test: int | None, seed: int, **info) -> TableDataset:
    """The preprocessing shared by the real and synthetic tables: shuffle, split, scale continuous."""
    if raw.ndim != 2 or raw.shape[1] < len(COLUMNS):
        raise DataError(f"{name}: expected at least {len(COLUMNS)} columns, got shape {raw.shape}.")
    splits = split_indices(raw.shape[0], n_train, n_val, n_test, seed)
    return build_table(name, COLUMNS, raw[:, :len(COLUMNS)], splits, labels=labels,
                       standardize=range(len(CONTINUOUS)), **info)


def load_covertype(path: str | Path | None = None, n_train: int | None = None, n_val: int | None = None,
                   n_test: int | None = None, seed: int = 0, name: str = "covertype") -> TableDataset:
    """The real UCI Covertype table: 10 continuous columns standardised on train, 44 binary kept.

    Looks at ``path`` (a file, or a folder holding covtype.data[.gz]), else $LATENTLAW_COVTYPE, else
    <repo>/data/covtype.data[.gz], else scikit-learn's cache; labels hold Cover_Type (1-7) per split.
    """
    looked = _candidates(path)
    found = next((p for p in looked if p.is_file()), None)
    if found is not None:
        raw, source = read_covtype_file(found), str(found)
    elif path is None and not os.environ.get(ENV_VAR) and (raw := _from_sklearn_cache()) is not None:
        source = f"scikit-learn cache {_sklearn_home() / 'covertype'}"
    else:
        raise _missing_error(looked)
    return _covertype_table(
        name, raw, raw[:, -1].astype(np.int8), n_train, n_val, n_test, seed,
        description=f"UCI Covertype from {source}: {raw.shape[0]} rows x 54 features (10 continuous "
                    "standardised with train mean/std, 44 binary one-hot kept); labels hold Cover_Type 1-7.",
        synthetic=False,
    )


def synthetic_covtype_rows(n_rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Rows in covtype.data's layout, (n, 55) int32, and the factors (n, 3) that generated them.

    Continuous columns follow EQUATIONS plus Gaussian noise, rounded to integers; the wilderness area
    comes from the (height, remote) quadrant and the soil type from height, each with some noise.
    """
    if n_rows < 1:
        raise DataError(f"n_rows must be >= 1, got {n_rows}.")
    rng = np.random.default_rng(seed)
    factors = np.column_stack([rng.uniform(0, 1, n_rows), rng.uniform(0, 2 * np.pi, n_rows), rng.uniform(0, 1, n_rows)])
    height, remote = factors[:, 0], factors[:, 2]
    raw = np.zeros((n_rows, len(COLUMNS) + 1), dtype=np.int32)
    for j, (column, sd) in enumerate(zip(CONTINUOUS, _NOISE)):
        value = evaluate_expression(EQUATIONS[column], FACTORS, factors) + rng.normal(0, sd, n_rows)
        low, high = _CLIP.get(column, (-np.inf, np.inf))
        raw[:, j] = np.rint(np.clip(value, low, high))
    area = 2 * (remote >= 0.5) + (height >= 0.5)
    area = np.where(rng.random(n_rows) < 0.1, rng.integers(0, 4, n_rows), area)
    soil = np.clip(np.rint(39 * height + rng.normal(0, 2, n_rows)), 0, 39).astype(int)
    rows = np.arange(n_rows)
    raw[rows, len(CONTINUOUS) + area] = 1
    raw[rows, len(CONTINUOUS) + len(WILDERNESS) + soil] = 1
    raw[:, -1] = 1 + np.clip(np.floor(7 * height + rng.normal(0, 0.5, n_rows)), 0, 6)
    return raw, factors


def write_covtype_file(path: str | Path, n_rows: int = N_ROWS, seed: int = 0) -> Path:
    """Write a synthetic table in covtype.data format (gzipped if the name ends in .gz).

    Lets tests and benchmarks drive the real parser at full size without the real data.
    """
    path = Path(path)
    raw, _ = synthetic_covtype_rows(n_rows, seed)
    pd.DataFrame(raw).to_csv(path, header=False, index=False)
    return path


def load_covertype_synthetic(n_rows: int | None = None, n_train: int | None = None, n_val: int | None = None,
                             n_test: int | None = None, seed: int = 0,
                             name: str = "covertype_synthetic") -> TableDataset:
    """SYNTHETIC Covertype look-alike with known structure; labels hold the factors per split.

    ``n_rows`` null generates DEFAULT_SYNTHETIC_ROWS rows, or as many as the split sizes ask for when
    that is more (a stand-in can always make enough, so trainer=fast's 25,000 rows just work). The
    generating formulas go to ``generators``, not ``ground_truth``: they map hidden factors to
    columns and are no law of a latent over the columns.
    """
    if n_rows is None:
        asked = sum(int(n) for n in (n_train, n_val, n_test) if n is not None)
        n_rows = max(DEFAULT_SYNTHETIC_ROWS, asked)
    raw, factors = synthetic_covtype_rows(n_rows, seed)
    return _covertype_table(
        name, raw, factors.astype(np.float32), n_train, n_val, n_test, seed,
        description=(
            f"SYNTHETIC stand-in for UCI Covertype (not real data): {n_rows} rows with the real 54 column "
            f"names, generated from 3 latent factors height~U(0,1), facing~U(0,2*pi), remote~U(0,1). "
            "Continuous columns = generators + Gaussian noise, rounded to integers, then standardised "
            "with train mean/std; Wilderness_Area from the (height, remote) quadrant (10% random), "
            "Soil_Type from round(39*height + noise). labels hold the factors (height, facing, remote)."
        ),
        synthetic=True,
        generators=[f"{c} = {EQUATIONS[c]}" for c in CONTINUOUS],
    )
