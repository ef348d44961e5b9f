"""Starting members for a regression of a one-signed target: the laws of log|y| and of y^2.

A regression member is b + sum_k c_k t_k with the c_k and b solved in closed form, so the search
assembles a law term by term. Products, powers, exponentials and roots do not split that way in y:
n0 exp(-m g x / (kb T)) or sqrt(omega^2 / c^2 - pi^2 / d^2) are one term of a dozen nodes, which
evolution must hit whole, while in log|y| or y^2 they are sums of small terms (log n0 - m g x /
(kb T); omega^2 / c^2 - pi^2 / d^2) that the linear solve assembles at once. The gradient
objective has this for free (any invertible function of f has f's level sets), which is why it
found such laws in the Feynman bench where regression did not. So when y keeps one sign (or
crosses 0 only by noise: then on the rows clear of it, ``outer_target``), a short
search of each target runs first (``Options.log_start`` of the budget, shared equally; the rest
is skipped once a planted member fits y exactly), and each expression h on its front is planted
as exp(h) (its constant dropped: the outer coefficient takes e^b) or sqrt(h) (constant kept);
evolution and the polish go on from there in y itself, so nothing is trusted that y's own loss
does not confirm. A third start, 1/|y| planted as 1/h, was measured on 33 Feynman equations and
dropped: it found no law the others missed and its share of the budget cost two.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import Dataset, sign_rows
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.member import PopMember, assemble
from latentlaw.symbolic.mutate import seed_member

MAX_SEEDS = 8  # the most accurate expressions of each start's front are planted


@dataclasses.dataclass(frozen=True)
class Outer:
    """One reparametrisation t(y) searched first, and the unary operator that writes y from a law
    h of t's front."""

    name: str  # how progress names the target
    operator: str  # "exp": y = c exp(h); "sqrt": y = c sqrt(h)
    keeps_constant: bool  # exp(b + h) = e^b exp(h) drops b; sqrt(b + h) needs it

    def target(self, y: np.ndarray) -> np.ndarray | None:
        """t(y), or None where y changes sign, touches 0, or t is not finite or constant."""
        if not (np.all(y > 0) or np.all(y < 0)):
            return None
        t = np.log(np.abs(y)) if self.operator == "exp" else y * y
        return t if np.all(np.isfinite(t)) and np.ptp(t) > 0 else None


OUTERS = (Outer("log|y|", "exp", False), Outer("y^2", "sqrt", True))


def outer_target(data: Dataset, outer: Outer) -> Dataset | None:
    """``data`` with y replaced by the outer's target, or None where it does not apply. Where y
    crosses 0 only by noise (``sign_rows``), the rows of its main sign clear of the noise, each
    weighted by the inverse variance of the target's noise (y^2 for log|y|, 1 / y^2 for y^2)."""
    rows = None if data.y is None else sign_rows(data.y)
    if rows is None:
        return None
    noisy = not rows.all()
    data = data.take(np.flatnonzero(rows)) if noisy else data
    t = outer.target(data.y)
    if t is None:
        return None
    weights = data.weights
    if noisy:
        weights = (data.y**2 if outer.operator == "exp" else 1.0 / data.y**2) * (1.0 if weights is None else weights)
        weights = weights / weights.mean()
    return Dataset(X=data.X, columns=data.columns, y=t, gradient_columns=None, weights=weights,
                   variable_names=data.variable_names, projector=data.projector)


def outer_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """(target name, members planted from the laws of its front) for each outer that applies, each
    search within an equal part of the starts' share of the budget (iterations and, with a
    deadline, time). Empty when the start does not apply."""
    from latentlaw.symbolic.equation_search import start_search  # the start is a search itself

    o = ctx.options
    if o.objective != "regression" or o.log_start <= 0:
        return []
    todo = [(outer, op, t) for outer in OUTERS for op in [o.operator(outer.operator)] if op is not None
            for t in [outer_target(ctx.data, outer)] if t is not None]
    out = []
    share = o.log_start / max(len(todo), 1)
    ends = None if deadline is None else time.perf_counter() + o.log_start * (deadline - time.perf_counter())
    for i, (outer, op, target) in enumerate(todo):
        timeout = None
        if ends is not None:  # what is left of the starts' time, split among the starts to come
            timeout = max((ends - time.perf_counter()) / (len(todo) - i), 1e-3)
        early = o.early_stop_loss
        if early is not None:  # the same relative accuracy in the target as asked of y
            early *= float(np.var(target.y)) / max(float(np.var(ctx.data.y)), 1e-300)
        inner = dataclasses.replace(o, log_start=0.0, rational_start=0.0, timeout_in_seconds=timeout, early_stop_loss=early,
                                    niterations=max(1, round(share * o.niterations)))
        seeds: list[PopMember] = []
        for entry in start_search(target, inner, ctx, MAX_SEEDS):
            v = entry.variant
            h = assemble(v.terms, v.coefs, v.intercept if outer.keeps_constant else 0.0, o)
            if h.is_constant:
                continue
            member = seed_member([Node.unary(op, h)], ctx)
            if member is not None:
                seeds.append(member)
        out.append((outer.name, seeds))
        if o.early_stop_loss is not None and any(m.loss <= o.early_stop_loss for m in seeds):
            break  # y itself is already fitted exactly: the other starts' time goes to the search
    return out
