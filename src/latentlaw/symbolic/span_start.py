"""Starting members for a k-concept search: the span of a library of simple terms, made sparse.

Evolution assembles each concept term by term, and on narrow inputs (the paper's U[0, 1] field
components) it settles on look-alikes (cos E1 for -E1^2/2) long before both laws are whole: on
exact gradients of a mixture of E.B and B^2 - E^2 it stalled at span loss 0.02 for minutes. When
the laws are sums of simple terms the span is nearly a linear-algebra problem. Every concept
starts as a sum over one library (each input, its square, each product of two inputs), the
concepts' coefficients are solved by the span solver's block coordinate descent
(``concepts.SpanProblem``), and terms are then dropped one at a time, each time the one whose loss
is least missed. While the concepts still mix the laws, the other concept carries a dropped term,
so each removal pushes a concept towards a combination without it, and the mixture comes apart
into sparse laws. When one law dominates the neuron, elimination can end with the right terms
grouped wrongly (every square and one E_i B_i in one concept, the other products in the other);
the small states on the way are therefore regrouped (every split of their terms among the k
concepts scored by a quick solve, within a fixed budget) and elimination goes on from the best
splits. On the paper-size network of experiment 06 this took the two-concept search from span
loss 0.020 (worse than one concept's 0.0078) to 0.0009 with both invariants, for ~2 s more.
Every state on the way that fits ``maxsize`` is offered as a starting member;
evolution and the polish then replace what the library cannot write (1/r, sin x). Nothing here
is random: the starts depend on the data only.

Written here because no library does it: sparse regression (PySINDy, scikit-learn's Lasso) fits
values or derivatives of one function, not the span of k unknown functions' gradients, which is
unchanged by mixing them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from latentlaw.symbolic.concepts import SpanProblem, count_groupings, groupings, join_terms
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.member import PopMember, new_member
from latentlaw.symbolic.mutate import valid_terms
from latentlaw.symbolic.objectives import gram

LIBRARY_LIMIT = 40  # terms per concept at most: a larger library is cut to the terms the first solve uses most
GRAM_BUDGET = 1e6  # floats per row of the start's Gram array: caps the rows it uses
START_ROWS = 256
SWEEPS = 40  # block coordinate descent sweeps over the concepts (each a closed-form solve)
CANDIDATES = 6  # per concept and step, the terms with the smallest shares are tried for removal
MAX_SEEDS = 8
REGROUP_BUDGET = 1200  # groupings scored in all (511 for 10 terms and two concepts, 255 for 9, ...)
REGROUP_KEEP = 2  # best groupings of each state that elimination goes on from


def library(ctx: SearchContext) -> list[Node]:
    """Each input, its square and each product of two inputs (unary functions of an input have
    nearly collinear gradients on narrow ranges, so they would make the first solve ill-posed)."""
    o = ctx.options
    d = ctx.data.d
    times, square = o.operator("*"), o.operator("square")
    terms = [Node.var(i) for i in range(d)]
    terms += [Node.unary(square, Node.var(i)) if square else Node.binary(times, Node.var(i), Node.var(i))
              for i in range(d)]
    terms += [Node.binary(times, Node.var(i), Node.var(j)) for i, j in itertools.combinations(range(d), 2)]
    return terms


def span_seeds(ctx: SearchContext) -> list[PopMember]:
    """Seed members for ``ctx.options.n_concepts`` >= 2 concepts (empty when sums cannot be written)."""
    o = ctx.options
    k = o.n_concepts
    if k < 2 or not o.linear or o.operator("*") is None:
        return []
    data = ctx.data
    probe = data.take(np.arange(min(data.n, 64)))
    terms = [t for t in library(ctx) if ctx.objective.stats(t, probe, memo=False) is not None]
    if len(terms) <= k:
        return []
    rows = int(min(data.n, START_ROWS, max(64, GRAM_BUDGET / (k * len(terms)) ** 2)))
    sub = data.take(np.linspace(0, data.n - 1, rows).astype(int)) if rows < data.n else data
    stats = ctx.objective.stats_of(terms, sub, memo=False)
    if stats is None:
        return []
    M, a = gram(stats, sub.n)
    supports = [list(range(len(terms))) for _ in range(k)]
    solved = _solve(SpanProblem.from_gram(M, a, supports, sub.weights), None)
    if solved is not None and len(terms) > LIBRARY_LIMIT:  # keep the terms the solve uses most
        problem, coefs, _ = solved
        shares = np.max([s / max(s.max(), 1e-300) for s in problem.contributions(coefs)], axis=0)
        keep = sorted(np.argsort(-shares)[:LIBRARY_LIMIT].tolist())
        supports = [list(keep) for _ in range(k)]
        solved = _solve(SpanProblem.from_gram(M, a, supports, sub.weights), None)
    path = _eliminate(M, a, supports, solved, sub.weights)
    regrouped: set[tuple[int, ...]] = set()
    fresh = path
    while fresh:  # regroup the new small states, eliminate from the best groupings, repeat
        found = []
        for grouping in _regroup(M, a, fresh, k, sub.weights, regrouped):
            found += _eliminate(M, a, grouping, _solve(SpanProblem.from_gram(M, a, grouping, sub.weights), None),
                                sub.weights)
        path += found
        fresh = found
    seeds: list[PopMember] = []
    seen: set[str] = set()
    for supports in path:
        _offer([[terms[j] for j in s] for s in supports], ctx, seeds, seen)
    seeds.sort(key=lambda member: member.primary.loss)
    return seeds[:MAX_SEEDS]


def _eliminate(M, a, supports, solved, weights) -> list[list[list[int]]]:
    """The states (each concept's library terms) from ``supports`` down to one term per concept.

    Each step drops the term whose loss is least missed (its concept re-solved without it, the
    others fixed), among each concept's weakest few; while the concepts mix the laws another
    concept still carries it, so each removal pushes one concept away from a mixture."""
    path: list[list[list[int]]] = []
    while solved is not None and sum(len(s) for s in supports) > len(supports):
        problem, coefs, _ = solved
        path.append(supports)
        shares = problem.contributions(coefs)
        best = None
        for i in range(len(supports)):
            if len(supports[i]) < 2:
                continue
            for x in np.argsort(shares[i])[:CANDIDATES].tolist():
                trial = supports[:i] + [supports[i][:x] + supports[i][x + 1:]] + supports[i + 1:]
                start = coefs[:i] + [np.delete(coefs[i], x)] + coefs[i + 1:]
                problem = SpanProblem.from_gram(M, a, trial, weights)
                c = problem.solve_concept(start, i, refine=False)
                if c is not None:
                    start = start[:i] + [c] + start[i + 1:]
                trial_loss = problem.loss(start)
                if best is None or trial_loss < best[0]:
                    best = (trial_loss, trial, start)
        if best is None:
            break
        _, supports, coefs = best
        solved = _solve(SpanProblem.from_gram(M, a, supports, weights), coefs)
    return path


def _regroup(M, a, path, k: int, weights, done: set[tuple[int, ...]]) -> list[list[list[int]]]:
    """The best few ways to share each small state's terms out among the k concepts.

    When one law dominates the neuron, elimination gathers the terms of every law into one
    concept and leaves the others stray terms: the terms are right but grouped wrongly. Every
    state on ``path`` small enough has each grouping of its terms scored by a quick solve, largest
    states first, while ``done`` (the term sets regrouped so far) stays within ``REGROUP_BUDGET``
    solves; elimination goes on from the best."""
    out: list[list[list[int]]] = []
    spent = sum(count_groupings(len(union), k) for union in done)
    for supports in sorted(path, key=lambda s: -sum(map(len, s))):
        union = tuple(sorted({j for s in supports for j in s}))
        count = count_groupings(len(union), k)
        if len(union) <= k or union in done or spent + count > REGROUP_BUDGET:
            continue
        done.add(union)
        spent += count
        scored = []
        for grouping in groupings(list(union), k):
            solved = SpanProblem.from_gram(M, a, grouping, weights).solve()
            if solved is not None and math.isfinite(solved[1]):
                scored.append((solved[1], grouping))
        scored.sort(key=lambda t: t[0])
        out += [g for _, g in scored[:REGROUP_KEEP]]
    return out


def _solve(problem: SpanProblem, coefs) -> tuple[SpanProblem, list[np.ndarray], float] | None:
    """Block coordinate descent to convergence (from ``coefs``, or cold); the problem comes back
    with the solution so its Gram blocks are not sliced again."""
    solved = problem.solve() if coefs is None else (coefs, problem.loss(coefs))
    if solved is None:
        return None
    coefs, loss = solved
    for _ in range(SWEEPS):
        before = loss
        for i in range(problem.k):
            c = problem.solve_concept(coefs, i, refine=False)
            if c is None:
                continue
            trial = coefs[:i] + [c] + coefs[i + 1:]
            trial_loss = problem.loss(trial)
            if trial_loss < loss or not math.isfinite(loss):
                coefs, loss = trial, trial_loss
        if not loss < before * (1 - 1e-3):
            break
    return (problem, coefs, loss) if math.isfinite(loss) else None


def _offer(concept_terms, ctx, seeds, seen) -> None:
    o = ctx.options
    concepts = [join_terms([t.copy() for t in ts], o) if len(ts) > 1 else ts[0].copy() for ts in concept_terms]
    canon = valid_terms(concepts, ctx)
    if canon is None:
        return
    key = " ; ".join(c.key or repr(c) for c in canon)
    if key in seen:
        return
    seen.add(key)
    member = new_member(canon, ctx)
    if member is not None:
        seeds.append(member)
