"""The search loop: populations evolving in turn, migration, hall of fame, budgets, checkpoints.

Populations run one after another in this process (no threads), so a fixed seed reproduces the
run exactly. Budgets: ``niterations``; ``early_stop_loss`` (the hall of fame reached it, plus
``EARLY_STOP_GRACE`` iterations); ``patience`` (the expression the "best" rule selects from the
hall of fame has not changed for that many iterations);
``timeout_in_seconds`` (checked between population iterations: the only time-dependent
decision). Ctrl-C ends the search cleanly: the front found so far is kept and checkpointed.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from latentlaw.symbolic.checkpoint import read_front, write_front
from latentlaw.symbolic.concepts import concepts_text, split_text
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import Dataset, variable_probabilities
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.group_start import group_seeds
from latentlaw.symbolic.hall_of_fame import Entry, HallOfFame
from latentlaw.symbolic.log_start import outer_seeds
from latentlaw.symbolic.member import PopMember, new_member
from latentlaw.symbolic.migration import migrate
from latentlaw.symbolic.mutate import valid_terms
from latentlaw.symbolic.nice_constants import SNAP_TOLERANCE, pi_multiple
from latentlaw.symbolic.objectives import EXACT, OBJECTIVES
from latentlaw.symbolic.operators import ALGEBRAIC
from latentlaw.symbolic.options import Options
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.polish import polish_front
from latentlaw.symbolic.population import Population
from latentlaw.symbolic.progress import Progress
from latentlaw.symbolic.product_start import beside_seeds, product_seeds, value_seeds
from latentlaw.symbolic.quadratic_start import quadratic_seeds
from latentlaw.symbolic.rational_gradient_start import gradient_rational_seeds, node_misalignment
from latentlaw.symbolic.rational_start import ROOT_DUE, rational_seeds, root_seeds
from latentlaw.symbolic.selection import floor_and_levels, select
from latentlaw.symbolic.single_iteration import run_iteration
from latentlaw.symbolic.span_start import span_seeds

AUTO_BATCH = 512  # batch_size=None: rows per batch when there are more than twice as many
# Iterations still run once early_stop_loss is reached: a first exact hit can be a long
# spelling (cos(1e-6 x) for x^2); a little more evolution finds the short one.
EARLY_STOP_GRACE = 2
EARLY_RATIONAL_INPUTS = (3, 4)  # gradients: with this many inputs the rational start (a few seconds
# there) goes before the group start's searches (half the budget): the Lorentz time, I.15.3t and an
# elastic collision came from it at 35-40 s of 60, after those searches, or at the edge not at all.
# Not with two: the group start has no search there (one group or none), and evolution finds most
# such laws before the fits are done (the recovery bench's sine 2.2 -> 4.0 s with the fits first)
FLOAT_EXACT = 1e-20  # ``node_misalignment`` of a law to float64 precision: the law ~1e-30, its constants
# 2e-9 off 6e-21, 5e-8 off 6e-20; the RLC stand-in 520780 sqrt(cos(0.00277 / (omega C))) 8e-19


@dataclass
class SearchResult:
    front: list[Entry]
    evaluations: int
    iterations: int
    stop_reason: str  # "niterations" | "early_stop" | "patience" | "timeout" | "interrupted"
    seconds: float


def operator_pools(options: Options) -> list[tuple]:
    """The unary operators of each population: a third of them (at least one when there are two
    or more) search with the algebraic operators only, so laws built from arithmetic and roots
    are not crowded out by transcendental approximations (cos(x)-1.4 for -(1+x^2)); the others
    use every operator. With no transcendental operator in use all populations are alike."""
    algebraic = tuple(op for op in options.unary if op.name in ALGEBRAIC)
    n = options.populations
    n_algebraic = 0 if len(algebraic) == len(options.unary) or n < 2 else max(1, n // 3)
    return [algebraic if p < n_algebraic else options.unary for p in range(n)]


def batch_rows(n: int, options: Options) -> int:
    if options.batch_size is not None:
        return min(options.batch_size, n)
    return n if n <= 2 * AUTO_BATCH else AUTO_BATCH


def equation_search(data: Dataset, options: Options, *, random_state: int | None = None,
                    checkpoint_file: str | None = None, resume_from: str | None = None,
                    verbosity: int = 1, roots: bool = True) -> SearchResult:
    """Evolve ``options.populations`` populations on ``data`` from the starts (``roots``: with the
    late fits over an input's square root, which a start's own search, on a share of a budget,
    leaves out)."""
    rng = np.random.default_rng(random_state)
    objective = OBJECTIVES[options.objective]
    rows = batch_rows(data.n, options)
    batching = rows < data.n
    ctx = SearchContext(options=options, objective=objective, data=data, batch=data, rng=rng,
                        variable_p=variable_probabilities(data))
    if batching:
        ctx.batch = data.take(np.sort(rng.choice(data.n, rows, replace=False)))
    hof = HallOfFame()
    progress = Progress(verbosity, options.niterations)
    progress.say(f"{options.objective} search on {data.n} rows x {data.d} inputs"
                 + (f" (batches of {rows})" if batching else "")
                 + f", {options.populations} populations of {options.population_size}")
    deadline = None if options.timeout_in_seconds is None else time.perf_counter() + options.timeout_in_seconds
    written = -1
    stop_reason = "niterations"
    iteration = 0

    def flush() -> None:
        nonlocal written
        if checkpoint_file is not None and hof.version != written and hof.entries:
            write_front(checkpoint_file, [{"complexity": e.complexity, "loss": e.loss,
                                           "equation": concepts_text(e.variant.expression, data.variable_names)}
                                          for e in hof.front()])
            written = hof.version

    def best_text() -> str:
        front = hof.front()
        if not front:
            return "no valid expression yet"
        e = front[-1]
        return f"best loss {e.loss:.3g} at complexity {e.complexity}: {concepts_text(e.variant.expression, data.variable_names)}"

    def plant_starts(found: list[tuple[str, list[PopMember]]], how: str) -> None:
        """Plant each start's members into the populations and say so."""
        for target, starts in found:
            if starts:
                progress.say(f"{len(starts)} starting members from " + " ".join(filter(None, (how, target))))
                _plant(starts, populations, hof, ctx, first=False)

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            populations = []
            for pools in operator_pools(options):
                ctx.unary = pools
                populations.append(Population.random(ctx, options.population_size))
            if resume_from is not None:
                seeds = _seeds(resume_from, ctx)
                progress.say(f"resuming from {resume_from}: {len(seeds)} seed expressions")
                _plant(seeds, populations, hof, ctx, first=True)
            if options.n_concepts > 1:  # k laws: start from the unmixed span of a library of simple terms
                ctx.unary = options.unary
                starts = span_seeds(ctx)
                progress.say(f"{len(starts)} starting members from the span of simple terms")
                _plant(starts, populations, hof, ctx, first=False)
            for pop in populations:
                for m in pop.best_per_complexity():
                    hof.consider(m, ctx)
            # fits over an input's square root: late (a share of the whole budget, the starts' time
            # included), where nothing is exact by then, and only with a time budget, whose share
            # bounds them (root_seeds: d inputs, seconds each; on data of no exact law, such as a
            # latent's, they find nothing)
            roots_due = None if resume_from is not None or not roots or deadline is None else _due(ROOT_DUE, options, deadline)
            rational_first = (resume_from is None and data.d in EARLY_RATIONAL_INPUTS
                              and _rational_due(options, deadline) is not None)
            if resume_from is None:  # after the random members are in the hall of fame, so Ctrl-C
                # during the starts keeps those. First laws linear in their logs (both objectives;
                # the fits take a second at most), then, each only while nothing is exact yet:
                # regression's sparse rational fits of y, then y as a root of a quadratic, then y
                # beside an input (x_i + P, x_i (1 + P)), the gradients' search over the inputs'
                # groups (after their rational fits with three or four inputs), and (one-signed y) the
                # laws of log|y| and y^2
                plant_starts(value_seeds(ctx) + product_seeds(ctx), "products of")
                starts = [(rational_seeds, "rational fits of"), (quadratic_seeds, ""), (beside_seeds, ""),
                          (group_seeds, ""), (outer_seeds, "a search of")]
                if rational_first:
                    starts.insert(0, (gradient_rational_seeds, "rational fits of"))
                for start, how in starts:
                    if options.early_stop_loss is None or not hof.best_loss() <= options.early_stop_loss:
                        plant_starts(start(ctx, deadline), how)
            grace = None
            settled = _Settling(options, data)
            # gradients: rational fits join later, once evolution has had rational_start of the budget
            # without an exact law (easy laws are found sooner than the fits would take)
            rational_due = None if resume_from is not None or rational_first else _rational_due(options, deadline)
            while iteration < options.niterations and stop_reason == "niterations":
                exact = options.early_stop_loss is not None and hof.best_loss() <= options.early_stop_loss
                if rational_due is not None and rational_due(iteration) and not exact:
                    rational_due = None
                    plant_starts(product_seeds(ctx, later=True), "products of")
                    plant_starts(gradient_rational_seeds(ctx, deadline), "rational fits of")
                if roots_due is not None and roots_due(iteration) and not exact:
                    roots_due = None
                    plant_starts(root_seeds(ctx, deadline), "rational fits of")
                if batching:
                    ctx.batch = data.take(np.sort(rng.choice(data.n, rows, replace=False)))
                for pop in populations:
                    ctx.unary = pop.unary
                    if batching:
                        pop.rescore(ctx)
                    run_iteration(pop, ctx)
                    for m in pop.best_per_complexity():
                        hof.consider(m, ctx)
                    if deadline is not None and time.perf_counter() > deadline:
                        stop_reason = "timeout"
                        break
                iteration += 1
                if options.early_stop_loss is not None and hof.best_loss() <= options.early_stop_loss:
                    grace = EARLY_STOP_GRACE if grace is None else grace - 1
                    if grace <= 0 and rational_due is not None and (hof.best_loss() > EXACT
                                                                    or not _exact_gradients(hof, ctx)):
                        # before stopping on what may be a close approximation (1e-11 stand-ins for
                        # log(gamma - 1) pass 1e-10 but not EXACT; exact laws reach 1e-16; below EXACT,
                        # 520780 sqrt(cos(0.00277 / (omega C))) stood in for RLC's 1 / (omega C)^2 at a
                        # misalignment of 1e-18): the rational start, with its Qs (a 2e-11 stand-in stopped
                        # the RLC root, a root of a quadratic with q = R C, before its pass with P alone
                        # could find it)
                        rational_due = None
                        plant_starts(gradient_rational_seeds(ctx, deadline), "rational fits of")
                    if grace <= 0:
                        stop_reason = "early_stop"
                if stop_reason == "niterations" and settled.update(hof):
                    stop_reason = "patience"
                ctx.frequencies *= 0.5  # adaptive parsimony looks at recent members only
                ctx.frequencies += 0.5
                pool = [m for pop in populations for m in pop.top(ctx, options.topn)]
                hof_pool = hof.members(ctx)
                for pop in populations:
                    migrate(pop, pool, options.fraction_replaced, ctx)
                    migrate(pop, hof_pool, options.fraction_replaced_hof, ctx)
                flush()
                progress.update(iteration, ctx.evaluations, best_text())
            polish_front(hof, ctx)
        except KeyboardInterrupt:
            stop_reason = "interrupted"
            progress.say("interrupted: keeping the front found so far")
        finally:
            flush()
    progress.say(f"done ({stop_reason}) after {iteration} iterations, {ctx.evaluations:,} evaluations; {best_text()}")
    return SearchResult(hof.front(), ctx.evaluations, iteration, stop_reason, progress.elapsed())


def start_search(data: Dataset, options: Options, ctx: SearchContext, keep: int) -> list[Entry]:
    """A start's own search (of log|y|, of the groups): seeded from the outer search's generator,
    Ctrl-C passed on (the inner search keeps it to itself); its ``keep`` most accurate laws."""
    result = equation_search(data, options, random_state=int(ctx.rng.integers(2**31)), verbosity=0, roots=False)
    if result.stop_reason == "interrupted":
        raise KeyboardInterrupt
    return sorted(result.front, key=lambda e: e.loss)[:keep]


class _Settling:
    """Counts iterations over which the automatically selected expression stayed the same."""

    def __init__(self, options: Options, data: Dataset) -> None:
        self.patience = options.patience
        self.names = data.variable_names
        y_variance = None if data.y is None else float(np.var(data.y))
        self.levels = floor_and_levels(options.objective, y_variance, options.n_concepts)
        self.choice: str | None = None
        self.unchanged = 0

    def update(self, hof: HallOfFame) -> bool:
        """True once the choice has been the same for ``patience`` iterations."""
        if self.patience is None:
            return False
        front = hof.front()
        if not front:
            return False
        floor, null, good = self.levels
        k = select([e.complexity for e in front], [e.loss for e in front], "best", floor=floor, null_loss=null,
                   good_enough=good)
        choice = concepts_text(front[k].variant.expression, self.names)
        self.unchanged = self.unchanged + 1 if choice == self.choice else 0
        self.choice = choice
        return self.unchanged >= self.patience


def _plant(members: list[PopMember], populations: list[Population], hof: HallOfFame, ctx: SearchContext,
           first: bool) -> None:
    """Put ``members`` into every population whose operators can write them and offer them to the
    hall of fame: a resumed front fills the first slots (all of a population if it is that long),
    starting members the last ones (half of a population at most, so random members remain)."""
    for pop in populations:
        ctx.unary = pop.unary
        usable = [m for m in members if ctx.uses_only_allowed(m.terms)]
        n = len(pop.members)
        for i, member in enumerate(usable[: n if first else n // 2]):
            pop.members[i if first else n - 1 - i] = member.with_birth(ctx.next_birth())
    for member in members:
        hof.consider(member, ctx)


def _exact_gradients(hof: HallOfFame, ctx: SearchContext) -> bool:
    """Whether the simplest law the objective calls exact has the targets' gradients to float64
    precision (its 2 - 2 |mean cos| cannot tell below ~1e-16), as found or with its constants
    rounded: evolution fits them to ~1e-9 (Saha's -0.666666670568 / z0, 3e-19 off; as 2/3, 1e-31)."""
    best = next((e for e in hof.front() if e.loss <= EXACT), None)
    if best is None or not isinstance(best.variant.expression, Node):
        return True
    found = best.variant.expression
    rounded = found.copy()
    for node in rounded.constants():
        form = pi_multiple(node.value, SNAP_TOLERANCE)
        node.value = form.value if form is not None else float(f"{node.value:.6g}")
    with np.errstate(all="ignore"):
        return any(node_misalignment(tree, ctx.data) <= FLOAT_EXACT for tree in (found, rounded))


def _rational_due(options: Options, deadline: float | None) -> Callable[[int], bool] | None:
    """When the gradient objective's rational start is due (``_due``: after ``rational_start`` of
    the budget), or None where it does not apply."""
    return _due(options.rational_start, options, deadline) if options.objective == "gradient" else None


def _due(share: float, options: Options, deadline: float | None) -> Callable[[int], bool] | None:
    """When a start is due (a test of the iteration count): after ``share`` of the time budget, or
    of the iterations without one; None where the rational starts do not apply."""
    if options.rational_start <= 0 or options.n_concepts != 1:
        return None
    if deadline is None:
        return lambda iteration: iteration >= share * options.niterations
    due = time.perf_counter() + share * (deadline - time.perf_counter())
    return lambda iteration: time.perf_counter() >= due


def _seeds(path: str, ctx: SearchContext) -> list[PopMember]:
    """Checkpointed equations as members (their terms; coefficients are re-solved)."""
    frame = read_front(path)
    names = ctx.data.variable_names
    allowed = [op.name for op in (*ctx.options.binary, *ctx.options.unary)]
    seeds = []
    for text in frame["equation"].astype(str):
        parts = split_text(text)
        if len(parts) != ctx.options.n_concepts:
            continue  # a row with another number of concepts cannot seed this search
        try:
            trees = [parse_expression(part, names, allowed) for part in parts]
        except ValueError:
            continue
        if any(n.op is not None and ctx.options.operator(n.op.name) is None for tree in trees for n in tree.nodes()):
            continue
        terms = valid_terms(trees, ctx)
        if terms is None:
            continue
        member = new_member(terms, ctx)
        if member is not None:
            seeds.append(member)
    return seeds
