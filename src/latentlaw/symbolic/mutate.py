"""Choosing and applying one change to a member (SymbolicRegression.jl's ``Mutate``).

A member is a tuple of terms, so besides the tree mutations there are term-level moves:
add a random term, delete one, replace one. Every proposal is simplified, put in canonical form
and checked against maxsize and the structural constraints; up to ``ATTEMPTS`` proposals are
drawn before giving up (the caller then keeps a copy of the parent, as SymbolicRegression does).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from latentlaw.symbolic import mutation_functions as mf
from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.concepts import canonical_concepts, concept_terms, join_terms, lower_complexity
from latentlaw.symbolic.constraints import satisfies
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.member import PopMember, canonical_terms, members_key, new_member
from latentlaw.symbolic.simplify import simplify_tree

ATTEMPTS = 10
MOVE_TERM = 0.1  # k concepts: share of proposals that move a term from one concept to another


def valid_terms(terms: Sequence[Node], ctx: SearchContext) -> tuple[Node, ...] | None:
    """Canonical, simplified terms that can still fit in maxsize and meet the constraints."""
    o = ctx.options
    square = o.operator("square")
    if square is not None and o.weights.of_operator("square") > o.weights.of_operator("*"):
        square = None  # x*x is the cheaper spelling under these weights: keep it
    simplified = [simplify_tree(t, square) if t.key is None else t for t in terms]
    if o.n_concepts > 1:
        canon = canonical_concepts(simplified, o)
        if canon is None or lower_complexity(canon, o) > o.maxsize:
            return None
        parts = [t for c in canon for t in concept_terms(c, o)]
    else:
        canon = canonical_terms(simplified, o)
        if canon is None:
            return None
        join = o.weights.of_operator("+")
        lower_bound = sum(complexity(t, o.weights) for t in canon) + join * (len(canon) - 1)
        if lower_bound > o.maxsize:
            return None
        parts = canon
    if not all(satisfies(t, o.constraints, o.nested_constraints, o.weights) for t in parts):
        return None
    return canon


def seed_member(trees: Sequence[Node], ctx: SearchContext) -> PopMember | None:
    """A starting member written from outside evolution (the starts' laws): its trees made
    canonical and checked against maxsize and the constraints, then evaluated (None if unusable)."""
    terms = valid_terms(trees, ctx)
    return None if terms is None else new_member(terms, ctx)


def _choose(weights: dict[str, float], ctx: SearchContext) -> str:
    names = list(weights)
    total = sum(weights.values())
    pick = ctx.rng.random() * total
    for name in names:
        pick -= weights[name]
        if pick < 0:
            return name
    return names[-1]


def move_weights(o, n_terms: int) -> dict[str, float]:
    """The mutation weights of the moves that apply to a sum of ``n_terms`` terms."""
    weights = dict(o.mutation_weights)
    if not o.linear or n_terms >= o.max_terms:
        weights.pop("add_term")
    if n_terms < 2:
        weights.pop("delete_term")
        weights.pop("fold_terms")
    return weights


def propose(member: PopMember, ctx: SearchContext) -> list[Node] | None:
    """One raw proposal (before canonical form); None when the chosen move does not apply."""
    o = ctx.options
    if o.n_concepts > 1:
        return propose_concepts(member, ctx)
    terms = list(member.terms)
    move = _choose(move_weights(o, len(terms)), ctx)
    k = int(ctx.rng.integers(len(terms)))
    if move == "add_term":
        return terms + [mf.random_tree(ctx, int(ctx.rng.integers(0, 3)))]
    if move == "delete_term":
        del terms[k]
        return terms
    if move == "fold_terms":
        return fold_terms(member, ctx)
    if move == "replace_term":
        terms[k] = mf.random_tree(ctx, int(ctx.rng.integers(0, 3)))
        return terms
    changed = mf.TREE_MUTATIONS[move](terms[k], ctx)
    if changed is None:
        return None
    terms[k] = changed
    return terms


def propose_concepts(member: PopMember, ctx: SearchContext) -> list[Node] | None:
    """One proposal for a k-concept member: the term moves act inside one concept (a sum of
    terms), the tree moves on that concept's whole tree (so prepend_node folds a sum)."""
    o = ctx.options
    concepts = list(member.terms)
    i = int(ctx.rng.integers(len(concepts)))
    terms = concept_terms(concepts[i], o)
    if len(terms) > 1 and ctx.rng.random() < MOVE_TERM:  # a term that belongs to another law moves there
        k = int(ctx.rng.integers(len(terms)))
        j = (i + 1 + int(ctx.rng.integers(len(concepts) - 1))) % len(concepts)
        concepts[j] = join_terms(concept_terms(concepts[j], o) + [terms[k]], o)
        concepts[i] = join_terms(terms[:k] + terms[k + 1:], o)
        return concepts
    move = _choose(move_weights(o, len(terms)), ctx)
    k = int(ctx.rng.integers(len(terms)))
    if move == "fold_terms":  # part of a concept's sum under a function: x^2 + y^2 -> sqrt(x^2 + y^2)
        folded = fold(terms, member.primary.coefs[i], ctx)
        if folded is None:
            return None
        concepts[i] = join_terms(folded, o)
        return concepts
    if move in ("add_term", "delete_term", "replace_term"):
        if move == "add_term":
            terms = terms + [mf.random_tree(ctx, int(ctx.rng.integers(0, 3)))]
        elif move == "delete_term":
            terms = terms[:k] + terms[k + 1:]
        else:
            terms = terms[:k] + [mf.random_tree(ctx, int(ctx.rng.integers(0, 3)))] + terms[k + 1:]
        concepts[i] = join_terms(terms, o)
        return concepts
    # a term, or (a quarter of the time) the whole concept: an outer function of all of it is
    # stripped (same span), but an edit inside its sum is not
    target = terms[k] if len(terms) > 1 and ctx.rng.random() < 0.75 else None
    changed = mf.TREE_MUTATIONS[move](concepts[i] if target is None else target, ctx)
    if changed is None:
        return None
    if target is not None:
        changed = join_terms(terms[:k] + [changed] + terms[k + 1:], o)
    concepts[i] = changed
    return concepts


def fold_terms(member: PopMember, ctx: SearchContext) -> list[Node] | None:
    """Nest part of the sum: c1 t1 + c2 t2 (with the member's own coefficients) becomes one term
    f(c1 t1 + c2 t2) under a random non-affine operator, e.g. x1^2 + x2^2 -> sqrt(x1^2 + x2^2).
    This is how sums grow into the arguments of other functions."""
    return fold(list(member.terms), member.primary.coefs, ctx)


def fold(terms: list[Node], coefs: np.ndarray, ctx: SearchContext) -> list[Node] | None:
    """``fold_terms`` on a list of terms with their solved coefficients."""
    o = ctx.options
    K = len(terms)
    chosen = sorted(ctx.rng.choice(K, size=int(ctx.rng.integers(2, K + 1)), replace=False).tolist())
    plus, times = o.operator("+"), o.operator("*")
    total = None
    for k in chosen:
        c = float(coefs[k])
        part = terms[k] if c == 1.0 else Node.binary(times, Node.const(c), terms[k])
        total = part if total is None else Node.binary(plus, total, part)
    ops = [op for op in (*ctx.unary, *o.binary) if op.name not in ("+", "-", "neg")]
    if not ops:
        return None
    op = ops[int(ctx.rng.integers(len(ops)))]
    if op.arity == 1:
        folded = Node.unary(op, total)
    elif ctx.rng.random() < 0.5:
        folded = Node.binary(op, total, mf.random_leaf(ctx))
    else:
        folded = Node.binary(op, mf.random_leaf(ctx), total)
    return [t for k, t in enumerate(terms) if k not in chosen] + [folded]


def mutate(member: PopMember, ctx: SearchContext) -> tuple[Node, ...] | None:
    return _retry(lambda: propose(member, ctx), member, ctx)


def crossover(a: PopMember, b: PopMember, ctx: SearchContext) -> tuple[Node, ...] | None:
    """Half the time swap in one whole term of ``b``, else graft a subtree of one of b's terms."""
    def propose_cross() -> list[Node]:
        terms = list(a.terms)
        k = int(ctx.rng.integers(len(terms)))
        donor = b.terms[int(ctx.rng.integers(len(b.terms)))]
        if ctx.rng.random() < 0.5:
            if ctx.options.n_concepts > 1:
                terms[k] = donor  # swap a whole concept
            elif ctx.options.linear and len(terms) < ctx.options.max_terms and ctx.rng.random() < 0.5:
                terms.append(donor)
            else:
                terms[k] = donor
        else:
            terms[k] = mf.crossover_trees(terms[k], donor, ctx)
        return terms

    return _retry(propose_cross, a, ctx)


def _retry(make: Callable[[], list[Node] | None], parent: PopMember, ctx: SearchContext) -> tuple[Node, ...] | None:
    for _ in range(ATTEMPTS):
        raw = make()
        if raw is None:
            continue
        terms = valid_terms(raw, ctx)
        if terms is not None and members_key(terms) != parent.key:
            return terms
    return None
