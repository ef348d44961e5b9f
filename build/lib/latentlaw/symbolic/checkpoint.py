"""The Pareto front on disk: a CSV of complexity, loss and equation, rewritten atomically.

Written during the search so a killed run keeps its front; ``resume_from`` reads it back to
seed a new search.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

COLUMNS = ["complexity", "loss", "equation"]


def write_front(path: str | os.PathLike, rows: list[dict]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows], columns=COLUMNS)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            frame.to_csv(handle, index=False, float_format="%.17g")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_front(path: str | os.PathLike) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"resume_from={str(path)!r} does not exist; pass a checkpoint CSV written by a previous "
                         "search (checkpoint_file=...).")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ValueError(f"resume_from={str(path)!r} is not a readable CSV: {err}") from err
    if "equation" not in frame.columns:
        raise ValueError(f"resume_from={str(path)!r} has no 'equation' column (columns: {list(frame.columns)}); "
                         f"expected the columns {COLUMNS}.")
    return frame
