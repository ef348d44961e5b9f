"""Movie-review sentiment as 384-d sentence embeddings: IMDB (local copy) and a small shipped sample.

Both go through ``text.text_table``, so they share the embedding model, the cache and the splits.
IMDB's own 25k/25k train/test division is pooled and re-split with the seed like every other table.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from latentlaw.data.base import DataError, TableDataset, split_sizes
from latentlaw.data.text import MODEL_NAME, text_table
from latentlaw.data.user_files import TABLE_SUFFIXES, read_frame, repo_root

ENV_VAR = "LATENTLAW_IMDB"
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/"
IMDB_ARCHIVE = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
LAYOUT = [("train", "pos", 1), ("train", "neg", 0), ("test", "pos", 1), ("test", "neg", 0)]
REVIEWS_CSV = Path(__file__).parent / "corpus" / "reviews.csv"


def _clean(text: str) -> str:
    """IMDB texts carry HTML line breaks; they only add noise to the embedding."""
    return " ".join(text.replace("<br />", " ").replace("<br/>", " ").split())


def _missing_error(where: Path) -> DataError:
    return DataError(
        f"IMDB reviews not found at {where} (nothing is downloaded automatically). "
        f"Fix: download {IMDB_ARCHIVE} (page {IMDB_URL}), extract it so that "
        f"{repo_root() / 'data' / 'aclImdb'}/{{train,test}}/{{pos,neg}}/*.txt exist, or point dataset.path= "
        f"or ${ENV_VAR} at an aclImdb folder or at a CSV/Parquet file with one review per row "
        "(set text_column and label_column). dataset=reviews runs the same pipeline on a small shipped sample."
    )


def _resolve(path: str | Path | None) -> Path:
    if path is None:
        path = os.environ.get(ENV_VAR) or repo_root() / "data" / "aclImdb"
    path = Path(path).expanduser()
    if path.is_dir() and not (path / "train").is_dir() and (path / "aclImdb").is_dir():
        path = path / "aclImdb"
    if not path.exists():
        raise _missing_error(path)
    return path


def read_imdb_folder(root: Path) -> tuple[list[str], np.ndarray]:
    """Texts and labels (pos=1, neg=0) from the aclImdb layout; ``unsup`` is ignored (no label)."""
    texts, labels = [], []
    for split, polarity, label in LAYOUT:
        for file in sorted((root / split / polarity).glob("*.txt")):
            text = _clean(file.read_text(encoding="utf-8", errors="replace"))
            if not text:
                raise DataError(f"{file} is empty; remove it or give it the review text.")
            texts.append(text)
            labels.append(label)
    if not texts:
        raise DataError(
            f"{root} has no reviews: expected {{train,test}}/{{pos,neg}}/*.txt inside it "
            f"(the layout of {IMDB_ARCHIVE} once extracted)."
        )
    return texts, np.array(labels, dtype=np.int64)


def read_text_file(path: Path, text_column: str, label_column: str | None) -> tuple[list[str], np.ndarray | None, str]:
    """Texts and integer labels from a CSV/Parquet table, plus a note on how labels were encoded.

    Text labels (e.g. negative/positive) become codes in sorted order, which the note spells out.
    """
    frame = read_frame(path)
    wanted = [text_column] + ([label_column] if label_column else [])
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: no column(s) {missing}; available columns: {list(frame.columns)}. "
            "Set text_column / label_column to the right names."
        )
    raw = frame[text_column]
    empty = np.flatnonzero(raw.isna().to_numpy() | (raw.astype(str).str.strip() == "").to_numpy())
    if empty.size:
        raise DataError(f"{path}: column {text_column!r} has {empty.size} empty texts, first at data row {empty[0]}.")
    texts = [_clean(str(t)) for t in raw]
    if not label_column:
        return texts, None, "no labels"
    values = frame[label_column]
    if values.isna().any():
        raise DataError(f"{path}: label column {label_column!r} has missing values, first at data row "
                        f"{int(np.flatnonzero(values.isna().to_numpy())[0])}.")
    if values.dtype.kind in "biu" or values.dtype == bool:
        return texts, values.to_numpy().astype(np.int64), f"labels from {label_column!r}"
    names = sorted(values.astype(str).unique())
    codes = values.astype(str).map({n: i for i, n in enumerate(names)}).to_numpy(dtype=np.int64)
    return texts, codes, f"labels from {label_column!r}: " + ", ".join(f"{i}={n}" for i, n in enumerate(names))


def load_imdb(path: str | Path | None = None, n_train: int | None = None, n_val: int | None = None,
              n_test: int | None = None, seed: int = 0, cache_dir: str | Path | None = None,
              batch_size: int = 64, text_column: str = "text", label_column: str | None = "label",
              name: str = "imdb") -> TableDataset:
    """IMDB reviews as embeddings e0..e383; labels hold sentiment (1 = positive) per split.

    ``path``: an aclImdb folder (or its parent), or a CSV/Parquet file with ``text_column`` and
    ``label_column``; default $LATENTLAW_IMDB, then <repo>/data/aclImdb. Only rows the splits use
    are embedded, and only once: full-length reviews embed at ~10 texts/s on two busy cores, so
    all 50k take one to two hours the first time (trainer=fast's 13k rows about 25 minutes).
    """
    source = _resolve(path)
    if source.is_dir():
        texts, labels = read_imdb_folder(source)
        note = "labels 0=neg, 1=pos; the official train/test halves are pooled and re-split with the seed"
    elif source.suffix.lower() in TABLE_SUFFIXES:
        texts, labels, note = read_text_file(source, text_column, label_column)
    else:
        raise DataError(f"{source}: expected an aclImdb folder or a {list(TABLE_SUFFIXES)} file.")
    return text_table(
        name, texts, labels, n_train, n_val, n_test, seed, cache_dir, batch_size,
        description=f"IMDB movie reviews from {source} ({len(texts)} reviews), embedded with {MODEL_NAME} "
                    f"(384-d, unit norm; the model reads the first 256 word pieces of each review); {note}.",
    )


def _fit_sample(n_rows: int, n_train: int | None, n_val: int | None,
                n_test: int | None) -> tuple[int, int, int]:
    """Split sizes for the small sample: presets such as trainer=fast ask for more rows than it has,
    so an over-large request falls back to each split's default share, with a warning."""
    default = split_sizes(n_rows, None, None, None)
    asked = tuple(d if a is None else int(a) for a, d in zip((n_train, n_val, n_test), default))
    if sum(asked) <= n_rows:
        return asked
    fitted = tuple(min(a, d) for a, d in zip(asked, default))
    warnings.warn(f"the reviews sample has {n_rows} rows, fewer than the {sum(asked)} asked for; "
                  f"using train/val/test = {fitted}.", stacklevel=3)
    return fitted


def load_reviews(n_train: int | None = None, n_val: int | None = None, n_test: int | None = None,
                 seed: int = 0, cache_dir: str | Path | None = None, batch_size: int = 64,
                 name: str = "reviews") -> TableDataset:
    """The small shipped SAMPLE corpus (written for latentlaw, not IMDB), embedded like IMDB."""
    texts, labels, _ = read_text_file(REVIEWS_CSV, "text", "label")
    n_train, n_val, n_test = _fit_sample(len(texts), n_train, n_val, n_test)
    return text_table(
        name, texts, labels, n_train, n_val, n_test, seed, cache_dir, batch_size,
        description=f"SAMPLE: {len(texts)} short movie reviews written for latentlaw and shipped with it "
                    f"(a small sample for quick runs, NOT IMDB), embedded with {MODEL_NAME} (384-d); "
                    "labels 0=negative, 1=positive.",
        synthetic=True,
    )
