"""The two dataset shapes latentlaw trains on, and the checks every loader shares.

Siamese networks learn from triplets (anchor, positive, negative); autoencoders from tables.
Every loader returns one of these two types, so models, tracking and explainers never need to
know where the data came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class DataError(ValueError):
    """Bad or missing input data; the message names the problem and the fix."""


def check_finite(name: str, array: np.ndarray) -> None:
    """Refuse non-finite values up front: one NaN silently poisons a whole training run."""
    bad = ~np.isfinite(array)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise DataError(
            f"{name} has {int(bad.sum())} non-finite values (NaN or inf) in {rows.size} rows, "
            f"first at row {int(rows[0])}; clean or drop those rows before training."
        )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def check_float32_range(name: str, array: np.ndarray) -> None:
    """Refuse finite values that float32 (what the models train in) turns into inf."""
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.floating) or array.dtype.itemsize <= 4 or array.size == 0:
        return
    with np.errstate(invalid="ignore"):
        big = np.isfinite(array) & (np.abs(array) > FLOAT32_MAX)
    if big.any():
        rows = np.unique(np.nonzero(big)[0])
        raise DataError(
            f"{name} has {int(big.sum())} values too large for float32 (|x| up to {np.abs(array[big]).max():.3g}, "
            f"limit {FLOAT32_MAX:.3g}) in {rows.size} rows, first at row {int(rows[0])}; rescale the data "
            "(e.g. standardise or take logs) or drop those rows."
        )


@dataclass(frozen=True)
class Triplets:
    """anchor[i] and positive[i] share the invariant; negative[i] is an independent sample."""

    anchor: np.ndarray
    positive: np.ndarray
    negative: np.ndarray

    def __post_init__(self) -> None:
        for name in ("anchor", "positive", "negative"):
            check_float32_range(name, getattr(self, name))
            value = np.asarray(getattr(self, name), dtype=np.float32)
            object.__setattr__(self, name, value)
        shapes = {n: getattr(self, n).shape for n in ("anchor", "positive", "negative")}
        if len(set(shapes.values())) != 1 or self.anchor.ndim != 2:
            raise DataError(
                f"triplet arrays must share one 2-d shape (n, d); got {shapes}. "
                "Give anchor, positive and negative the same number of rows and columns."
            )
        for name, value in (("anchor", self.anchor), ("positive", self.positive), ("negative", self.negative)):
            check_finite(name, value)

    def __len__(self) -> int:
        return int(self.anchor.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.anchor.shape[1])


@dataclass
class TripletDataset:
    """Train/val/test triplets over named inputs, with the invariant(s) if known.

    ground_truth holds sympy-parsable strings over ``variables`` (empty when unknown). A dataset
    with two invariants (field tensor, Kepler) lists both: the network may learn either or a mix.
    """

    name: str
    variables: list[str]
    train: Triplets
    val: Triplets
    test: Triplets
    ground_truth: list[str] = field(default_factory=list)
    description: str = ""
    synthetic: bool = True

    kind = "triplets"

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            triplets = getattr(self, split)
            if triplets.n_features != len(self.variables):
                raise DataError(
                    f"{self.name}: {split} triplets have {triplets.n_features} columns but "
                    f"{len(self.variables)} variable names {self.variables}; give one name per column."
                )
            if len(triplets) == 0:
                raise DataError(f"{self.name}: the {split} split is empty; ask for at least one triplet.")

    @property
    def n_features(self) -> int:
        return len(self.variables)

    def heldout_inputs(self) -> np.ndarray:
        """The points explainers probe: test anchors, never seen in training."""
        return self.test.anchor


@dataclass
class TableDataset:
    """Train/val/test rows of a feature table for autoencoders.

    labels holds per-split targets that training ignores (e.g. Covertype's class), kept for
    analysis. ground_truth holds laws over ``columns`` (what a latent might compute); generators
    holds how a synthetic table's columns were made from hidden factors (``column = formula``), which
    is not a law over the inputs and so is never used to verify an explanation.
    """

    name: str
    columns: list[str]
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    description: str = ""
    synthetic: bool = False
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    ground_truth: list[str] = field(default_factory=list)
    generators: list[str] = field(default_factory=list)

    kind = "table"

    def __post_init__(self) -> None:
        for split in ("train", "val", "test"):
            value = np.asarray(getattr(self, split), dtype=np.float32)
            if value.ndim != 2 or value.shape[1] != len(self.columns):
                raise DataError(
                    f"{self.name}: {split} table has shape {value.shape} but {len(self.columns)} "
                    "column names; give a 2-d array with one name per column."
                )
            if value.shape[0] == 0:
                raise DataError(f"{self.name}: the {split} split is empty; ask for at least one row.")
            check_finite(f"{self.name} {split} table", value)
            setattr(self, split, value)

    @property
    def n_features(self) -> int:
        return len(self.columns)

    @property
    def variables(self) -> list[str]:
        return self.columns

    def heldout_inputs(self) -> np.ndarray:
        return self.test


def split_sizes(n_rows: int, n_train: int | None, n_val: int | None, n_test: int | None,
                fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> tuple[int, int, int]:
    """Row counts per split for a table: explicit caps, else fractions of what exists."""
    default = [int(n_rows * f) for f in fractions]
    default[0] = n_rows - default[1] - default[2]
    sizes = [d if n is None else int(n) for n, d in zip((n_train, n_val, n_test), default)]
    if any(s <= 0 for s in sizes):
        raise DataError(f"split sizes must be positive, got train/val/test = {sizes}.")
    if sum(sizes) > n_rows:
        raise DataError(
            f"asked for {sum(sizes)} rows (train/val/test = {sizes}) but the table has {n_rows}; "
            "lower n_train/n_val/n_test or set them to null to use fractions."
        )
    return sizes[0], sizes[1], sizes[2]
