"""Vectorised evaluation of a tree's value over all samples at once.

``columns`` is the data split into one contiguous 1-d array per input variable (X transposed),
so a variable leaf costs a list lookup. A subtree without variables evaluates to a float.
Call inside ``np.errstate(all="ignore")``: unsafe values become NaN/inf and reject the candidate.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.operators import Array


def evaluate(node: Node, columns: Sequence[np.ndarray]) -> Array:
    op = node.op
    if op is None:
        # a NumPy scalar, so that x/0 in a constant subtree is inf (rejected), not ZeroDivisionError
        return columns[node.feature] if node.feature >= 0 else np.float64(node.value)
    if op.arity == 1:
        return op.fn(evaluate(node.left, columns))
    return op.fn(evaluate(node.left, columns), evaluate(node.right, columns))


def columns_of(X: np.ndarray) -> list[np.ndarray]:
    """(n, d) samples -> d contiguous float64 columns."""
    return list(np.ascontiguousarray(np.asarray(X, dtype=np.float64).T))
