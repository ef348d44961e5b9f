"""scikit-learn's bundled 8x8 handwritten digits (1,797 images) as a table of 64 pixels in [0, 1].

Ships with scikit-learn, so image autoencoders (and the latent vector field study) run offline.
``classes`` keeps only some digits for training; the others are kept aside in ``outside`` as a
ready out-of-distribution set (e.g. train on 0-4, probe with 5-9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from latentlaw.data.base import DataError, TableDataset
from latentlaw.data.user_files import build_table, split_indices

IMAGE_SHAPE = (8, 8)
PIXEL_MAX = 16.0  # load_digits' pixels are counts 0..16 of a 4x4 block


@dataclass
class ImageTableDataset(TableDataset):
    """A table whose rows are flattened images: ``image_shape`` lets plots draw them again;
    ``outside`` holds rows of classes left out of every split (empty when none were)."""

    image_shape: tuple[int, ...] = IMAGE_SHAPE
    outside: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))


def load_digits(classes: Sequence[int] | None = None, n_train: int | None = None, n_val: int | None = None,
                n_test: int | None = None, seed: int = 0) -> ImageTableDataset:
    """Seeded train/val/test splits of the digits, pixels scaled to [0, 1]; labels kept per split."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    pixels = (bunch.data / PIXEL_MAX).astype(np.float32)
    labels = bunch.target.astype(np.int64)
    kept = np.ones(len(labels), dtype=bool)
    if classes is not None:
        wanted = sorted({int(c) for c in classes})
        unknown = [c for c in wanted if not 0 <= c <= 9]
        if not wanted or unknown:
            raise DataError(f"dataset.classes must list digits 0..9, got {list(classes)}; "
                            "e.g. dataset.classes=[0,1,2,3,4], or null for all ten.")
        kept = np.isin(labels, wanted)
    rows, row_labels = pixels[kept], labels[kept]
    splits = split_indices(len(rows), n_train, n_val, n_test, seed)
    columns = [f"p{r}_{c}" for r in range(IMAGE_SHAPE[0]) for c in range(IMAGE_SHAPE[1])]
    which = "all ten digits" if classes is None else f"digits {sorted({int(c) for c in classes})}"
    table = build_table(
        "digits", columns, rows, splits, labels=row_labels,
        description=f"scikit-learn's 8x8 digits ({which}: {len(rows)} of 1,797 images), pixels scaled to [0, 1].",
        synthetic=False,
    )
    return ImageTableDataset(
        name=table.name, columns=table.columns, train=table.train, val=table.val, test=table.test,
        description=table.description, synthetic=False, labels=table.labels,
        image_shape=IMAGE_SHAPE, outside=pixels[~kept],
    )
