"""A population member (SymbolicRegression.jl's ``PopMember``): a sum of evolved terms.

The genome is a tuple of term trees; the expression a member stands for is
``b + sum_k c_k t_k`` with c, b solved by the objective. A member keeps up to two *variants* of
that expression: the solved coefficients, and the same with coefficients near +-1 snapped to
exactly +-1 (fewer nodes); a k-concept member also the one with every coefficient within a factor
2 of +-1 set to +-1 (concepts.UNIT_RATIO). All are priced honestly on the data and offered to the
hall of fame, so the Pareto front decides whether the simpler spelling is worth its loss.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.concepts import evaluate_concepts
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.objectives import Objective
from latentlaw.symbolic.options import Options
from latentlaw.symbolic.simplify import split_sum, strip_linear
from latentlaw.symbolic.strings import to_string

PRUNE = 1e-4  # relative share below which a term is dropped
SNAP_SLACK = 1.05  # the member evolves as its snapped variant unless snapping costs > 5% loss
SEEN_LIMIT = 50_000  # genomes remembered per batch


class Variant:
    """One spelling b + sum_k c_k t_k of a member; its tree is built only when asked for."""

    __slots__ = ("terms", "coefs", "intercept", "loss", "complexity", "_options", "_expression")

    def __init__(self, terms: tuple[Node, ...], coefs: np.ndarray, intercept: float, loss: float, complexity: int,
                 options: Options, expression: Node | None = None) -> None:
        self.terms, self.coefs, self.intercept = terms, coefs, intercept
        self.loss, self.complexity = loss, complexity
        self._options, self._expression = options, expression

    @property
    def expression(self) -> Node:
        if self._expression is None:
            self._expression = assemble(self.terms, self.coefs, self.intercept, self._options)
        return self._expression

    def respelled(self, expression: Node, loss: float, complexity: int) -> Variant:
        """The same variant written as ``expression`` (e.g. with rounded constants)."""
        return Variant(self.terms, self.coefs, self.intercept, loss, complexity, self._options, expression)


class ConceptVariant(Variant):
    """A k-concept spelling: ``terms`` are the concepts, ``coefs`` one array per concept (over its
    ``groups`` of terms), and ``expression`` the tuple of the k assembled concepts."""

    __slots__ = ("groups",)

    def __init__(self, terms, coefs, intercept, loss, complexity, options, expression=None, *, groups) -> None:
        super().__init__(terms, coefs, intercept, loss, complexity, options, expression)
        self.groups = groups

    @property
    def expression(self) -> tuple[Node, ...]:
        if self._expression is None:
            self._expression = tuple(assemble(g, c, 0.0, self._options) for g, c in zip(self.groups, self.coefs))
        return self._expression

    def respelled(self, expression, loss: float, complexity: int) -> ConceptVariant:
        return ConceptVariant(self.terms, self.coefs, self.intercept, loss, complexity, self._options, expression,
                              groups=self.groups)


class PopMember:
    __slots__ = ("terms", "variants", "primary", "loss", "complexity", "birth")

    def __init__(self, terms: tuple[Node, ...], variants: list[Variant], birth: int) -> None:
        self.terms = terms
        self.variants = variants
        self.birth = birth
        primary = variants[0]
        for v in variants[1:]:
            if v.complexity < primary.complexity and v.loss <= primary.loss * SNAP_SLACK + 1e-15:
                primary = v
        self.primary = primary
        self.loss = primary.loss
        self.complexity = primary.complexity

    @property
    def key(self) -> str:
        return members_key(self.terms)

    def with_birth(self, birth: int) -> PopMember:
        return PopMember(self.terms, self.variants, birth)

    def __repr__(self) -> str:
        return f"PopMember({to_string(self.variants[0].expression)}, loss={self.loss:.3g}, c={self.complexity})"


def term_key(node: Node) -> str:
    if node.key is None:
        node.key = to_string(node)
    return node.key


def members_key(terms: Sequence[Node]) -> str:
    return " | ".join(term_key(t) for t in terms)


def canonical_terms(terms: Sequence[Node], options: Options) -> tuple[Node, ...] | None:
    """Split sums, strip outer affine wrappers, drop constants and duplicates, sort: the
    canonical genome of ``terms`` (None if nothing with a variable is left)."""
    out: dict[str, Node] = {}
    for term in terms:
        parts = split_sum(term) if options.linear else [term]
        for part in parts:
            node = strip_linear(part) if options.linear else (part if part.has_variables() else None)
            if node is not None:
                out.setdefault(term_key(node), node)
    if not out:
        return None
    keys = list(out)[: options.max_terms if options.linear else 1]
    terms = tuple(out[k] for k in sorted(keys))
    for t in terms:
        if t.cost is None:
            t.cost = complexity(t, options.weights)
    return terms


def assemble(terms: Sequence[Node], coefs: np.ndarray, intercept: float, options: Options) -> Node:
    """The single tree b + sum_k c_k t_k, written with + - * and as few nodes as possible."""
    if not options.linear:
        return terms[0]
    plus, times = options.operator("+"), options.operator("*")
    minus, neg = options.operator("-"), options.operator("neg")
    items = sorted(zip(coefs, terms), key=lambda ct: ct[0] < 0)  # positive coefficients first
    expr: Node | None = None

    def scaled(c: float, term: Node) -> Node:  # c*t, or c/u for t = 1/u
        if term.op is not None and term.op.name == "/" and term.left.is_constant and term.left.value == 1.0:
            return Node.binary(term.op, Node.const(c), term.right)
        return Node.binary(times, Node.const(c), term)

    for c, term in items:
        c = float(c)
        if expr is None:
            if c == 1.0:
                expr = term
            elif c == -1.0 and neg is not None:
                expr = Node.unary(neg, term)
            else:
                expr = scaled(c, term)
            continue
        if c < 0 and minus is not None:
            part = term if c == -1.0 else scaled(-c, term)
            expr = Node.binary(minus, expr, part)
        else:
            part = term if c == 1.0 else scaled(c, term)
            expr = Node.binary(plus, expr, part)
    if intercept != 0.0:
        if intercept < 0 and minus is not None:
            expr = Node.binary(minus, expr, Node.const(-intercept))
        else:
            expr = Node.binary(plus, expr, Node.const(intercept))
    return expr


def _is_reciprocal(term: Node) -> bool:
    return term.op is not None and term.op.name == "/" and term.left.is_constant and term.left.value == 1.0


def assembled_complexity(terms: Sequence[Node], coefs: np.ndarray, intercept: float, options: Options) -> int:
    """complexity(assemble(terms, coefs, intercept)) without building the tree (the hot path)."""
    w = options.weights
    costs = [complexity(t, w) for t in terms]
    if not options.linear:
        return costs[0]
    op = w.of_operator
    can_subtract, can_negate = options.operator("-") is not None, options.operator("neg") is not None

    def scaled(k: int) -> int:  # c*t, or c/u for t = 1/u (same count as 1/u)
        return costs[k] if _is_reciprocal(terms[k]) else w.constant + op("*") + costs[k]

    order = sorted(range(len(terms)), key=lambda k: coefs[k] < 0)
    first, total = order[0], 0
    c = float(coefs[first])
    if c == 1.0:
        total = costs[first]
    elif c == -1.0 and can_negate:
        total = op("neg") + costs[first]
    else:
        total = scaled(first)
    for k in order[1:]:
        c = float(coefs[k])
        if c < 0 and can_subtract:
            total += op("-") + (costs[k] if c == -1.0 else scaled(k))
        else:
            total += op("+") + (costs[k] if c == 1.0 else scaled(k))
    if intercept != 0.0:
        total += (op("-") if intercept < 0 and can_subtract else op("+")) + w.constant
    return total


def evaluate_terms(terms: tuple[Node, ...], data: Dataset, objective: Objective, options: Options,
                   memo: bool = True) -> tuple[tuple[Node, ...], list[Variant]] | None:
    """Solve the coefficients of ``terms`` on ``data``: the (possibly pruned) terms and their
    variants, or None if the candidate is unusable.

    Terms whose share of T is negligible (the solver gives them ~1e-10 of the others) are pruned:
    they change nothing but complexity, and would otherwise ride along for free.
    """
    if options.n_concepts > 1:
        return evaluate_concepts(terms, data, objective, options, memo)
    stats = objective.stats_of(terms, data, memo)
    if stats is None:
        return None
    solution = objective.solve(stats, data, options.linear)
    if solution is None:
        return None
    shares = solution.contributions
    if shares is not None and len(terms) > 1 and shares.max() > 0:  # all-zero (y = 0) or NaN shares: keep all
        keep = shares >= PRUNE * shares.max()
        if not keep.all():
            terms = tuple(t for t, k in zip(terms, keep) if k)
            solution = objective.solve([s for s, k in zip(stats, keep) if k], data, options.linear)
            if solution is None:
                return None
    variants = []
    for coefs, intercept, loss in objective.variants(solution):
        if not math.isfinite(loss):
            continue
        size = assembled_complexity(terms, coefs, intercept, options)
        if size <= options.maxsize:
            variants.append(Variant(terms, coefs, intercept, max(loss, 0.0), size, options))
    return (terms, variants) if variants else None


def new_member(terms: tuple[Node, ...], ctx, birth: int | None = None) -> PopMember | None:
    """Evaluate ``terms`` on the context's current batch as a member (None if unusable).

    Genomes seen before on this batch are not evaluated again (evolution proposes many repeats)."""
    cache = ctx.seen
    if cache.get("token") != ctx.batch.token or len(cache) > SEEN_LIMIT:
        cache.clear()
        cache["token"] = ctx.batch.token
    key = members_key(terms)
    if key in cache:
        result = cache[key]
    else:
        ctx.evaluations += 1
        result = cache[key] = evaluate_terms(terms, ctx.batch, ctx.objective, ctx.options)
    if result is None:
        return None
    return PopMember(result[0], result[1], ctx.next_birth() if birth is None else birth)
