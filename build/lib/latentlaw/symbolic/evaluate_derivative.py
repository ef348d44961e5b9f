"""Value and exact input gradient of a tree in one forward pass (forward-mode differentiation).

The gradient is sparse: a dict from variable index to d value / d x_j holding only the variables
the subtree reads, so a 5-variable term costs the same on 5 inputs as on 54. Entries are arrays
or floats (a constant partial such as d(3*x)/dx stays the float 3.0 and never allocates).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.operators import Array

Gradient = dict[int, Array]
ONE = 1.0  # identity partial of a variable leaf; compared by identity to skip multiplications


def evaluate_with_gradient(node: Node, columns: Sequence[np.ndarray]) -> tuple[Array, Gradient]:
    op = node.op
    if op is None:
        if node.feature >= 0:
            return columns[node.feature], {node.feature: ONE}
        return np.float64(node.value), {}  # NumPy scalar: 1/0 is inf, never ZeroDivisionError
    if op.arity == 1:
        a, ga = evaluate_with_gradient(node.left, columns)
        value = op.fn(a)
        if not ga:
            return value, ga
        d = op.derivative(a, value)
        return value, {k: d if x is ONE else d * x for k, x in ga.items()}

    a, ga = evaluate_with_gradient(node.left, columns)
    b, gb = evaluate_with_gradient(node.right, columns)
    value = op.fn(a, b)
    if op.linear is not None:
        grad = dict(ga)
        negate = op.linear[1] < 0
        for k, x in gb.items():
            y = -x if negate else x
            grad[k] = grad[k] + y if k in grad else y
        return value, grad
    grad = {}
    if ga:
        da = op.d_left(a, b, value)
        for k, x in ga.items():
            grad[k] = da if x is ONE else da * x
    if gb:
        db = op.d_right(a, b, value)
        for k, x in gb.items():
            y = db if x is ONE else db * x
            grad[k] = grad[k] + y if k in grad else y
    return value, grad


def dense_gradient(grad: Gradient, n: int, d: int) -> np.ndarray:
    """The (n, d) gradient matrix of a sparse gradient (zeros for unused variables)."""
    out = np.zeros((n, d))
    for k, x in grad.items():
        out[:, k] = x
    return out
