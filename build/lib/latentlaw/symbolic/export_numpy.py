"""Trees as plain NumPy callables on (n, d) arrays, with the search's own semantics."""

from __future__ import annotations

from typing import Callable

import numpy as np

from latentlaw.symbolic.evaluate import columns_of, evaluate
from latentlaw.symbolic.evaluate_derivative import dense_gradient, evaluate_with_gradient
from latentlaw.symbolic.expression import Node


def values(node: Node, X: np.ndarray) -> np.ndarray:
    """T(X) for each row; NaN where the expression is undefined."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    with np.errstate(all="ignore"):
        out = evaluate(node, columns_of(X))
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()


def gradients(node: Node, X: np.ndarray) -> np.ndarray:
    """grad T(X), shape (n, d)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    with np.errstate(all="ignore"):
        _, grad = evaluate_with_gradient(node, columns_of(X))
        return dense_gradient(grad, X.shape[0], X.shape[1])


def to_numpy(node: Node) -> Callable[[np.ndarray], np.ndarray]:
    """A callable X (n, d) -> T(X) (n,)."""
    tree = node.copy()
    return lambda X: values(tree, X)
