"""PySR's structural constraints on a tree.

``constraints``: the largest complexity an operator's argument may have, e.g.
``{"^": (-1, 1)}`` (any base, exponent of complexity <= 1) or ``{"sqrt": 5}``; -1 means no limit.
``nested_constraints``: how deeply an operator may nest inside another, e.g.
``{"sin": {"sin": 0, "cos": 0}}`` forbids sin(... sin(...) ...) and sin(... cos(...) ...).
"""

from __future__ import annotations

from latentlaw.symbolic.complexity import ComplexityWeights, complexity
from latentlaw.symbolic.expression import Node


def nesting(node: Node, name: str) -> int:
    """Largest number of ``name`` operators on one root-to-leaf path of ``node``."""
    if node.op is None:
        return 0
    here = 1 if node.op.name == name else 0
    return here + max(nesting(child, name) for child in node.children())


def satisfies(node: Node, constraints: dict[str, tuple[int, ...]], nested: dict[str, dict[str, int]],
              weights: ComplexityWeights) -> bool:
    if not constraints and not nested:
        return True
    for n in node.nodes():
        if n.op is None:
            continue
        limits = constraints.get(n.op.name)
        if limits is not None:
            for child, limit in zip(n.children(), limits):
                if limit >= 0 and complexity(child, weights) > limit:
                    return False
        inner = nested.get(n.op.name)
        if inner:
            for name, limit in inner.items():
                if max(nesting(child, name) for child in n.children()) > limit:
                    return False
    return True
