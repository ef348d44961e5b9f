"""The expression type: one small binary tree node (DynamicExpressions' ``Node``).

A node is a constant leaf, a variable leaf (column ``feature`` of X) or an operator with one or
two children. Only this module and the evaluators/printers look inside a node; the search works
on whole trees through the functions here.

Trees held by the search are treated as immutable: a mutation copies the tree and edits the
copy, so a subtree may be shared between population members and per-root caches (``memo``:
evaluation results on the current batch; ``key``: the printed form; ``cost``: complexity under
the running search's weights) stay valid.
"""

from __future__ import annotations

from collections.abc import Sequence

from latentlaw.symbolic.operators import Operator


class Node:
    __slots__ = ("op", "feature", "value", "left", "right", "memo", "key", "cost")

    def __init__(self, op: Operator | None = None, left: Node | None = None, right: Node | None = None,
                 feature: int = -1, value: float = 0.0) -> None:
        self.op = op
        self.left = left
        self.right = right
        self.feature = feature
        self.value = value
        self.memo = None
        self.key: str | None = None
        self.cost: int | None = None  # complexity, cached on term roots by the search

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def var(feature: int) -> Node:
        return Node(feature=int(feature))

    @staticmethod
    def const(value: float) -> Node:
        return Node(value=float(value))

    @staticmethod
    def unary(op: Operator, child: Node) -> Node:
        return Node(op, child)

    @staticmethod
    def binary(op: Operator, left: Node, right: Node) -> Node:
        return Node(op, left, right)

    # -- inspection ---------------------------------------------------------------------------
    @property
    def degree(self) -> int:
        return 0 if self.op is None else self.op.arity

    @property
    def is_constant(self) -> bool:
        return self.op is None and self.feature < 0

    @property
    def is_variable(self) -> bool:
        return self.op is None and self.feature >= 0

    def children(self) -> tuple[Node, ...]:
        if self.op is None:
            return ()
        return (self.left,) if self.op.arity == 1 else (self.left, self.right)

    def nodes(self) -> list[Node]:
        """All nodes, parents before children (a stable order for picking one at random)."""
        out: list[Node] = []
        stack = [self]
        while stack:
            node = stack.pop()
            out.append(node)
            if node.op is not None:
                if node.op.arity == 2:
                    stack.append(node.right)
                stack.append(node.left)
        return out

    @property
    def size(self) -> int:
        return len(self.nodes())

    def constants(self) -> list[Node]:
        return [n for n in self.nodes() if n.is_constant]

    def has_variables(self) -> bool:
        return any(n.is_variable for n in self.nodes())

    @staticmethod
    def chain(op: Operator, items: Sequence[Node]) -> Node | None:
        """items[0] op items[1] op ..., left to right (None for no items)."""
        out = items[0] if items else None
        for item in items[1:]:
            out = Node.binary(op, out, item)
        return out

    # -- copying ------------------------------------------------------------------------------
    def copy(self) -> Node:
        """A deep copy without caches."""
        if self.op is None:
            return Node(feature=self.feature, value=self.value)
        if self.op.arity == 1:
            return Node(self.op, self.left.copy())
        return Node(self.op, self.left.copy(), self.right.copy())

    def set_from(self, other: Node) -> None:
        """Turn this node into (a shallow copy of) ``other`` in place; used to replace subtrees."""
        self.op, self.left, self.right = other.op, other.left, other.right
        self.feature, self.value = other.feature, other.value
        self.memo, self.key, self.cost = None, None, None

    def forget(self) -> None:
        """Drop the caches after an in-place edit (the constant optimiser edits values)."""
        self.memo, self.key = None, None

    def __repr__(self) -> str:
        from latentlaw.symbolic.strings import to_string

        return to_string(self)
