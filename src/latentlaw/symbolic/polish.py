"""A last pass over the front: regroup, drop terms that do not pay, round constants that do not matter.

Every move is priced on all rows. With k concepts, every split of a row's terms among the
concepts is offered first (``concepts.regrouped_genomes``); with one, each row with sqrt(square(u))
written u (the y^2 start's spelling of a law, see log_start.py). Dropping a term offers the shorter
expression to the hall of fame (an early stop can end the search before mutation finds it).
Rounding rewrites a front entry in place only when the loss does not measurably change: first a
constant at a time to 0 (m + 1e-8 -> m), then to a nearby rational multiple of a power of pi
(9.8696044 -> pi^2, see ``nice_constants``), then to a round value near it (one significant
digit, or a pi form within ``NOISY_PI_TOLERANCE``, whichever fits better), then all remaining constants at once to
fewer significant digits (2.5000000013 -> 2.5; constants that trade off, like the coefficient
and the shift of 0.499 Y / (sigma + 0.995), round together or not at all), with the pi forms
near them first (a gradient law's 0.49999934 and 0.70710729 move together: 0.5 and sqrt(2)/2),
then the constants rounded alone at one digit with them (on noisy y a lone rounding keeps the
value that fits the others' noise: sqrt(3 pi)/3 beside 2.018 and 2.005 where tanh has 1). "Measurably" is the
rounding slack plus ln(n)/n of the loss per constant moved (BIC's price of a free parameter).
On noise-free data that admits nothing: an exact law's loss is round-off. On noisy y a fitted
constant is off by the noise (gamma - 1.00074, sigma^0.4995 with 1% noise), fixing it at the
true value costs about 1/n of the loss, and the price admits it; left unrounded, the law fails
SRBench's check, which rounds constants to 3 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.concepts import (concept_terms, count_groupings, dropped_term_genomes, fixed_span_loss,
                                         regrouped_genomes)
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.hall_of_fame import Entry, HallOfFame
from latentlaw.symbolic.member import PopMember, evaluate_terms
from latentlaw.symbolic.mutate import valid_terms
from latentlaw.symbolic.nice_constants import SNAP_TOLERANCE, pi_multiple
from latentlaw.symbolic.options import Options
from latentlaw.symbolic.simplify import simplify_tree

ROUNDING_DIGITS = (1, 2, 3, 4, 6, 8)
REGROUP_BUDGET = 600  # k-concept genomes the regrouping scores on all rows (a few ms each)
ROUNDING_SLACK = 1e-6  # relative loss increase accepted for rounder constants
NOISY_PI_TOLERANCE = 1e-2  # relative distance at which a round value may be a pi form (the loss decides)
NOISY_PI_LARGEST = 4  # largest numerator and denominator of such a form (pi^2, 2 pi, 1/sqrt(2 pi), 4 pi/3):
# at 1% with larger ones some 24/pi lies near any number


def polish_front(hof: HallOfFame, ctx: SearchContext) -> None:
    seen: set[str] = set()
    if ctx.options.n_concepts > 1:
        _regroup(hof, ctx, seen)
    else:
        for entry in hof.front():
            terms = [_unsquared(t, ctx.options) for t in entry.terms]
            if any(t is not None for t in terms):  # in canonical form: sqrt(4 u^2) -> 2u -> u
                canonical = valid_terms([u or t for u, t in zip(terms, entry.terms)], ctx)
                if canonical is not None:  # preferred at a tie: the form sympy can compare
                    _offer(canonical, hof, ctx, seen, prefer_over=entry)
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
                changed |= _offer(terms, hof, ctx, seen)
        if not changed:
            break
    for entry in hof.front():
        tidy(entry, hof, ctx)


def _regroup(hof: HallOfFame, ctx: SearchContext, seen: set[str]) -> None:
    """Offer every split of a row's terms among its concepts, most accurate rows first, within
    ``REGROUP_BUDGET`` scored genomes (a row of 10 terms and 2 concepts has 511)."""
    o = ctx.options
    budget = REGROUP_BUDGET
    for entry in sorted(hof.front(), key=lambda e: e.loss):
        n_terms = sum(len(concept_terms(c, o)) for c in entry.terms)
        count = count_groupings(n_terms, o.n_concepts)
        if n_terms <= o.n_concepts or count > budget:
            continue
        budget -= count
        for terms in regrouped_genomes(entry.terms, o):
            _offer(terms, hof, ctx, seen)


def _unsquared(term: Node, options: Options) -> Node | None:
    """``term`` with the squares under every root taken out of it (sqrt(square(u)) -> u,
    sqrt(square(a)/square(b)) -> a/b, sqrt(c*square(u)) -> sqrt(c)*u for c > 0,
    sqrt(square(m)/(1 - v^2/c^2)) -> m/sqrt(1 - v^2/c^2)), or None if it has none. |u| = +-u
    wherever u keeps its sign, which is how the y^2 starts (log_start.py, rational_start.py)
    write a law whose square is the simpler sum, product or quotient; the outer coefficient
    takes the sign, and all-rows pricing decides. sympy cannot do this without knowing signs."""
    out, changed = term.copy(), False
    for node in out.nodes():
        while (root := _root_of_squares(node, options)) is not None:
            node.set_from(root)
            changed = True
    return out if changed else None


def _root_of_squares(node: Node, options: Options) -> Node | None:
    """For a node sqrt(u) where u is a product or quotient with squares among its factors: their
    roots (and those of positive constant factors) times sqrt of the rest (over sqrt of the
    rest's denominator); None for any other node."""
    if node.op is None or node.op.name != "sqrt":
        return None
    up, down, inside_up, inside_down = [], [], [], []
    _factors(node.left, up, down, inside_up, inside_down)
    times, divide = options.operator("*"), options.operator("/")
    if all(f.is_constant for f in up + down) or times is None or divide is None:
        return None  # no square among the factors

    up += [Node.unary(node.op, Node.chain(times, inside_up))] if inside_up else []
    down += [Node.unary(node.op, Node.chain(times, inside_down))] if inside_down else []
    top = Node.chain(times, up) or Node.const(1.0)
    return top if not down else Node.binary(divide, top, Node.chain(times, down))


def _factors(node: Node, up: list[Node], down: list[Node], inside_up: list[Node], inside_down: list[Node]) -> None:
    """Split a product/quotient tree into the roots of its squares and positive constants
    (``up`` over ``down``) and the factors that stay under the root (``inside_up`` over
    ``inside_down``)."""
    if node.is_constant and node.value > 0:
        up.append(Node.const(node.value ** 0.5))
    elif node.op is not None and node.op.name == "square":
        up.append(node.left)
    elif node.op is not None and node.op.name in "*/":
        _factors(node.left, up, down, inside_up, inside_down)
        if node.op.name == "*":
            _factors(node.right, up, down, inside_up, inside_down)
        else:
            _factors(node.right, down, up, inside_down, inside_up)
    else:
        inside_up.append(node)


def _offer(terms, hof: HallOfFame, ctx: SearchContext, seen: set[str], prefer_over: Entry | None = None) -> bool:
    """Score a genome on all rows and offer it to the hall of fame; True if the front changed.
    With ``prefer_over``, a variant no larger than that entry and as accurate (within rounding)
    replaces the entry at its size even where the losses tie."""
    key = " | ".join(map(repr, terms))
    if key in seen:
        return False
    seen.add(key)
    ctx.evaluations += 1
    result = evaluate_terms(terms, ctx.data, ctx.objective, ctx.options, memo=False)
    if result is None:
        return False
    before = hof.version
    if prefer_over is not None:
        for variant in result[1]:
            if variant.complexity <= prefer_over.complexity and variant.loss <= _allowed(prefer_over.loss):
                current = hof.entries.get(variant.complexity)
                if current is None or variant.loss <= _allowed(current.loss):
                    hof.replace(Entry(result[0], variant))
    hof.consider(PopMember(result[0], result[1], 0), ctx, scored=True)
    return hof.version != before


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
    # one constant where a power's and its neighbour's product alone is fixed (9.8715 square(0.999904/d)
    # is 9.8696 square(1/d), which snaps to pi^2)
    expression = (tuple(simplify_tree(e, powers=True) for e in entry.variant.expression) if concepts
                  else simplify_tree(entry.variant.expression, powers=True))
    constants = [c for e in expression for c in e.constants()] if concepts else expression.constants()
    if not constants:
        return
    reference = fixed_loss(expression, ctx)
    rows = ctx.data.n
    original = [c.value for c in constants]
    snapped = _snap(constants, expression, reference, ctx, _zero, set(), rows)  # x*(m + 1e-8) -> x*m
    snapped |= _snap(constants, expression, reference, ctx, _pi_form, snapped, rows)
    alone = _snap(constants, expression, reference, ctx, _rounder, snapped, rows)  # noisy y: 1.00074 -> 1
    snapped |= alone
    exact = [c.value for c in constants]
    # pi forms join the joint rounding: constants that move together, one of them a pi form (a
    # gradient law respelled over sqrt(2): sqrt((h + 0.49999934 v^2/g)/g) + 0.70710729 v/g), snap
    # only at once; each level is tried with them, then without (a form near by chance)
    forms = {i: form[0] for i, v in enumerate(exact) if i not in snapped for form in [_pi_form(v)] if form}
    for digits in ROUNDING_DIGITS:  # all the rest at once: constants that trade off (0.499 Y / (sigma + 0.995))
        plain = [v if i in snapped else float(f"{v:.{digits}g}") for i, v in enumerate(exact)]
        if plain == exact and not forms:
            if snapped:
                _respell(entry, expression, fixed_loss(expression, ctx), hof, ctx, concepts)
            return
        tries = [[forms.get(i, r) for i, r in enumerate(plain)]] if forms else []
        # a constant rounded alone (noisy y) took the value that best fits the others' noise
        # (tanh's 1 as sqrt(3 pi)/3 beside 2.018 and 2.005): with them, its plainest value first
        plainest = [float(f"{original[i]:.1g}") if i in alone else r for i, r in enumerate(plain)]
        tries += [plainest] if plain != exact and plainest != plain else []
        for rounded in tries + ([plain] if plain != exact else []):
            for node, value in zip(constants, rounded):
                node.value = value
            ctx.evaluations += 1
            loss = fixed_loss(expression, ctx)
            moved = sum(r != v for r, v in zip(rounded, original))
            if loss <= _allowed(reference, moved, rows):
                _respell(entry, expression, loss, hof, ctx, concepts)
                return
    if snapped:
        for node, value in zip(constants, exact):
            node.value = value
        _respell(entry, expression, fixed_loss(expression, ctx), hof, ctx, concepts)


def _allowed(reference: float, moved: int = 0, rows: int = 1) -> float:
    """The loss a rounder spelling may reach: the rounding slack, plus ln(rows)/rows of the
    reference per constant ``moved`` to a round value (module docstring)."""
    return reference * (1 + ROUNDING_SLACK + moved * math.log(rows) / rows) + 1e-14


def _zero(value: float) -> list[float]:
    return [0.0] if value != 0.0 else []


def _pi_form(value: float) -> list[float]:
    """A nearby r * pi^k; short decimals (0.7854, 2.5) are left alone: a reader (or an earlier
    pass) already chose them."""
    if float(f"{value:.4g}") == value:
        return []
    found = pi_multiple(value, SNAP_TOLERANCE)
    return [] if found is None else [found.value]


def _rounder(value: float) -> list[float]:
    """Round values near ``value``: one significant digit and a small pi form within
    ``NOISY_PI_TOLERANCE`` (6.28335 -> 2 pi, where 6 is not the law; 9.87 -> pi^2 where the
    data fit it better than 10: ``_snap`` keeps the closer of those that pass). Two and three digits are
    left to the joint rounding, where constants that trade off move together."""
    form = pi_multiple(value, NOISY_PI_TOLERANCE, NOISY_PI_LARGEST)
    out = []
    for candidate in [float(f"{value:.1g}"), *([] if form is None else [form.value])]:
        if candidate != value and candidate not in out:
            out.append(candidate)
    return out


def _snap(constants: list, expression, reference: float, ctx: SearchContext,
          propose: Callable[[float], list[float]], skip: set[int], rows: int) -> set[int]:
    """Indices of the constants (those not in ``skip``) moved to one of ``propose``'s values,
    one constant at a time, each kept only if the loss of the whole expression stays within
    ``_allowed`` of ``reference`` for the constants moved so far; of the values that pass, the
    one of least loss (on noisy y both 10 and pi^2 may pass for 9.87: the data prefer one)."""
    snapped: set[int] = set()
    for i, node in enumerate(constants):
        if i in skip:
            continue
        value, best = node.value, None
        for candidate in propose(value):
            node.value = candidate
            ctx.evaluations += 1
            loss = fixed_loss(expression, ctx)
            if loss <= _allowed(reference, len(skip) + len(snapped) + 1, rows) and (best is None or loss < best[0]):
                best = (loss, candidate)
        node.value = value if best is None else best[1]
        if best is not None:
            snapped.add(i)
    return snapped


def _respell(entry, expression, loss: float, hof: HallOfFame, ctx: SearchContext, concepts: bool) -> None:
    """Rounding can leave 1*t or t + 0: simplify, and file the result under its own size."""
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
