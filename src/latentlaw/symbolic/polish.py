"""A last pass over the front: drop terms that do not pay, round constants that do not matter.

Both moves are priced on all rows. Dropping a term offers the shorter expression to the hall of
fame (an early stop can end the search before mutation finds it). Rounding rewrites a front
entry in place only when the loss does not measurably change (2.5000000013 -> 2.5).
"""

from __future__ import annotations

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.concepts import dropped_term_genomes, fixed_span_loss
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.hall_of_fame import Entry, HallOfFame
from latentlaw.symbolic.member import PopMember, evaluate_terms
from latentlaw.symbolic.simplify import simplify_tree

ROUNDING_DIGITS = (1, 2, 3, 4, 6, 8)
ROUNDING_SLACK = 1e-6  # relative loss increase accepted for rounder constants


def polish_front(hof: HallOfFame, ctx: SearchContext) -> None:
    seen: set[str] = set()
    for _ in range(3):  # dropping can expose another droppable term
        changed = False
        for entry in hof.front():
            if ctx.options.n_concepts > 1:
                candidates = dropped_term_genomes(entry.terms, ctx.options)
            elif len(entry.terms) < 2:
                continue
            else:
                candidates = [entry.terms[:k] + entry.terms[k + 1:] for k in range(len(entry.terms))]
            for terms in candidates:
                key = " | ".join(map(repr, terms))
                if key in seen:
                    continue
                seen.add(key)
                ctx.evaluations += 1
                result = evaluate_terms(terms, ctx.data, ctx.objective, ctx.options, memo=False)
                if result is not None:
                    before = hof.version
                    hof.consider(PopMember(result[0], result[1], 0), ctx, scored=True)
                    changed |= hof.version != before
        if not changed:
            break
    for entry in hof.front():
        tidy(entry, hof, ctx)


def fixed_loss(expression, ctx: SearchContext) -> float:
    """Loss of an expression (a tuple of them for k concepts) exactly as written (no coefficients re-solved)."""
    if isinstance(expression, tuple):
        return max(fixed_span_loss(expression, ctx.data, ctx.objective), 0.0)
    stats = ctx.objective.stats(expression, ctx.data, memo=False)
    if stats is None:
        return float("inf")
    solution = ctx.objective.solve([stats], ctx.data, linear=False)
    return float("inf") if solution is None else max(solution.loss, 0.0)


def tidy(entry, hof: HallOfFame, ctx: SearchContext) -> None:
    concepts = isinstance(entry.variant.expression, tuple)
    expression = tuple(e.copy() for e in entry.variant.expression) if concepts else entry.variant.expression.copy()
    constants = [c for e in expression for c in e.constants()] if concepts else expression.constants()
    if not constants:
        return
    exact = [c.value for c in constants]
    reference = fixed_loss(expression, ctx)
    for digits in ROUNDING_DIGITS:
        rounded = [float(f"{v:.{digits}g}") for v in exact]
        if rounded == exact:
            return
        for node, value in zip(constants, rounded):
            node.value = value
        ctx.evaluations += 1
        loss = fixed_loss(expression, ctx)
        if loss <= reference * (1 + ROUNDING_SLACK) + 1e-14:
            # rounding can leave 1*t or t + 0: simplify, and file the result under its own size
            if concepts:
                tidier = tuple(simplify_tree(e) for e in expression)
                size = sum(complexity(e, ctx.options.weights) for e in tidier)
            else:
                tidier = simplify_tree(expression)
                size = complexity(tidier, ctx.options.weights)
            variant = entry.variant.respelled(tidier, loss, size)
            if size == entry.complexity:
                entry.variant = variant
            else:
                hof.offer(Entry(entry.terms, variant))
            hof.version += 1
            return
