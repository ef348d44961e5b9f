"""The mutations of one term tree (SymbolicRegression.jl's MutationFunctions).

Each function returns an edited copy and leaves its input untouched (trees are shared between
members), or None when the mutation does not apply (no constant to perturb, ...).
"""

from __future__ import annotations

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.operators import Operator

CONSTANT_LEAF = 0.12  # share of new leaves that are constants (the rest are variables)
SMALL_CONSTANTS = (1.0, 2.0, 0.5, 3.0)  # half the new constants: laws are full of them


def random_leaf(ctx: SearchContext) -> Node:
    if ctx.rng.random() < CONSTANT_LEAF:
        if ctx.rng.random() < 0.5:
            return Node.const(SMALL_CONSTANTS[int(ctx.rng.integers(len(SMALL_CONSTANTS)))])
        return Node.const(float(np.round(ctx.rng.normal(0.0, 2.0), 2)) or 1.0)
    return Node.var(ctx.draw_variable())


def random_operator(ctx: SearchContext, arity: int | None = None) -> Operator:
    o = ctx.options
    pool = o.binary if arity == 2 else ctx.unary if arity == 1 else (*o.binary, *ctx.unary)
    if not pool:
        pool = (*o.binary, *ctx.unary)
    return pool[int(ctx.rng.integers(len(pool)))]


def random_op_node(ctx: SearchContext, child: Node | None = None) -> Node:
    """A random operator over ``child`` (or a fresh leaf) and, for a binary operator, a fresh
    operand: a leaf, or (when wrapping an existing subtree) half the time a one-operator tree,
    a third of those shifted by a small constant, so t -> t*sin(x) or t/(1 + x^2) is one step,
    not two or three with useless stops in between (t/x^2 alone is far worse than t)."""
    op = random_operator(ctx)
    first = child if child is not None else random_leaf(ctx)
    if op.arity == 1:
        return Node.unary(op, first)
    other = random_leaf(ctx)
    if child is not None and ctx.rng.random() < 0.5:
        other = append_node(other, ctx)
        plus = ctx.options.operator("+")
        if plus is not None and other.has_variables() and ctx.rng.random() < 1 / 3:
            shift = Node.const(SMALL_CONSTANTS[int(ctx.rng.integers(len(SMALL_CONSTANTS)))])
            other = Node.binary(plus, shift, other)
    if ctx.rng.random() < 0.5:
        return Node.binary(op, first, other)
    return Node.binary(op, other, first)


def random_tree(ctx: SearchContext, n_operators: int) -> Node:
    tree = random_leaf(ctx)
    for _ in range(n_operators):
        tree = append_node(tree, ctx)
    return tree


def _pick(nodes: list[Node], ctx: SearchContext) -> Node | None:
    return nodes[int(ctx.rng.integers(len(nodes)))] if nodes else None


def mutate_constant(tree: Node, ctx: SearchContext) -> Node | None:
    tree = tree.copy()
    node = _pick(tree.constants(), ctx)
    if node is None:
        return None
    factor = np.exp(ctx.rng.normal(0.0, 0.5))
    node.value = float(node.value * factor if ctx.rng.random() < 0.5 else node.value / factor)
    if ctx.rng.random() < 0.1:
        node.value = -node.value
    return tree


def mutate_operator(tree: Node, ctx: SearchContext) -> Node | None:
    tree = tree.copy()
    node = _pick([n for n in tree.nodes() if n.op is not None], ctx)
    if node is None:
        return None
    choices = [op for op in (ctx.options.binary if node.op.arity == 2 else ctx.unary) if op is not node.op]
    if not choices:
        return None
    node.op = choices[int(ctx.rng.integers(len(choices)))]
    return tree


def mutate_feature(tree: Node, ctx: SearchContext) -> Node | None:
    tree = tree.copy()
    node = _pick([n for n in tree.nodes() if n.is_variable], ctx)
    if node is None or len(ctx.variable_p) < 2:
        return None
    node.feature = ctx.draw_variable(exclude=node.feature)
    return tree


def swap_operands(tree: Node, ctx: SearchContext) -> Node | None:
    tree = tree.copy()
    node = _pick([n for n in tree.nodes() if n.degree == 2], ctx)
    if node is None:
        return None
    node.left, node.right = node.right, node.left
    return tree


def insert_node(tree: Node, ctx: SearchContext) -> Node:
    """Put a random operator between a node and its parent."""
    tree = tree.copy()
    node = _pick(tree.nodes(), ctx)
    moved = Node()
    moved.set_from(node)
    node.set_from(random_op_node(ctx, moved))
    return tree


UNSHIFTED = {"exp", "neg"}  # exp(t + c) = e^c exp(t) and -(t + c): the outer coefficient and offset absorb c


def shift_subtree(tree: Node, ctx: SearchContext) -> Node | None:
    """Offset a subtree t by a small signed constant c, as c + t or c - t, where nothing else
    writes the offset: under a unary function (sqrt(1 - v^2/c^2), log(1 + x)) or in a
    denominator (1/(gamma - 1)); elsewhere a shift is absorbed or redundant ((1 + a)*b is
    a + a*b, a sum the coefficient solve already writes). insert_node writes such an offset only
    when it draws '+' or '-' and a constant leaf (about 1 in 40 of its proposals), never with a
    negative constant.

    Off by default (weight 0; ``mutation_weights={"shift_subtree": 0.3}`` turns it on). On the
    Feynman table at 20 s it found every law of the 1/(gamma - 1) kind in every run (I.39.11,
    I.43.43, II.10.9), but lost as many elsewhere: its shifted terms are also good
    approximations, (n0 + 0.85)^(1/4) for log n0 in the log|y| search of I.40.1, and each brings
    a constant that the constant fit works on (laws without offsets took a third longer)."""
    ops = [op for op in (ctx.options.operator("+"), ctx.options.operator("-")) if op is not None]
    if not ops:
        return None
    tree = tree.copy()
    eligible = [n.left for n in tree.nodes() if n.op is not None and n.op.arity == 1
                and n.op.name not in UNSHIFTED and n.left.has_variables()]
    eligible += [n.right for n in tree.nodes() if n.op is not None and n.op.name == "/" and n.right.has_variables()]
    node = _pick(eligible, ctx)
    if node is None:
        return None
    moved = Node()
    moved.set_from(node)
    op = ops[int(ctx.rng.integers(len(ops)))]
    shift = SMALL_CONSTANTS[int(ctx.rng.integers(len(SMALL_CONSTANTS)))] * (1.0 if ctx.rng.random() < 0.5 else -1.0)
    node.set_from(Node.binary(op, Node.const(shift), moved))
    return tree


def delete_node(tree: Node, ctx: SearchContext) -> Node | None:
    """Replace an operator by one of its arguments."""
    tree = tree.copy()
    node = _pick([n for n in tree.nodes() if n.op is not None], ctx)
    if node is None:
        return None
    kids = node.children()
    node.set_from(kids[int(ctx.rng.integers(len(kids)))])
    return tree


def append_node(tree: Node, ctx: SearchContext) -> Node:
    """Grow at a leaf: the leaf becomes an operator over fresh leaves."""
    tree = tree.copy()
    leaf = _pick([n for n in tree.nodes() if n.op is None], ctx)
    leaf.set_from(random_op_node(ctx))
    return tree


def prepend_node(tree: Node, ctx: SearchContext) -> Node:
    """Grow at the root: a random operator over the whole tree."""
    return random_op_node(ctx, tree.copy())


def replace_subtree(tree: Node, ctx: SearchContext) -> Node:
    tree = tree.copy()
    node = _pick(tree.nodes(), ctx)
    node.set_from(random_tree(ctx, int(ctx.rng.integers(0, 3))))
    return tree


def crossover_trees(a: Node, b: Node, ctx: SearchContext) -> Node:
    """``a`` with a random subtree replaced by a random subtree of ``b``."""
    a = a.copy()
    target = _pick(a.nodes(), ctx)
    target.set_from(_pick(b.nodes(), ctx).copy())
    return a


TREE_MUTATIONS = {
    "mutate_constant": mutate_constant,
    "mutate_operator": mutate_operator,
    "mutate_feature": mutate_feature,
    "swap_operands": swap_operands,
    "insert_node": insert_node,
    "shift_subtree": shift_subtree,
    "delete_node": delete_node,
    "append_node": append_node,
    "prepend_node": prepend_node,
    "replace_subtree": replace_subtree,
}
