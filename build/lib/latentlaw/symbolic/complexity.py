"""Complexity with PySR's meaning: the sum over nodes of each node's weight.

Operators weigh ``complexity_of_operators[name]`` (default 1), constants
``complexity_of_constants`` and variables ``complexity_of_variables``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from latentlaw.symbolic.expression import Node


@dataclass(frozen=True)
class ComplexityWeights:
    operators: dict[str, int] = field(default_factory=dict)
    constant: int = 1
    variable: int = 1

    def of_operator(self, name: str) -> int:
        return self.operators.get(name, 1)


def complexity(node: Node, weights: ComplexityWeights) -> int:
    if node.cost is not None:  # a term root whose complexity the search already knows
        return node.cost
    op = node.op
    if op is None:
        return weights.variable if node.feature >= 0 else weights.constant
    total = weights.operators.get(op.name, 1) + complexity(node.left, weights)
    return total + complexity(node.right, weights) if op.arity == 2 else total
