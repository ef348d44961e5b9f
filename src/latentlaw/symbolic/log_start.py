"""Starting members for a regression of a one-signed target: the laws of log|y|, exponentiated.

A regression member is b + sum_k c_k t_k with the c_k and b solved in closed form, so the search
assembles a law term by term. Products, powers and exponentials do not split that way in y:
n0 exp(-m g x / (kb T)) or exp(-theta^2 / 2) / sqrt(2 pi) are one term of a dozen nodes, which
evolution must hit whole, while in log|y| they are sums of small terms (log n0 - m g x / (kb T);
-theta^2 / 2 + const) that the linear solve assembles at once. The gradient objective has this
for free (log f has f's level sets), which is why it found such laws in the Feynman bench where
regression did not. So when y keeps one sign and ``exp`` is an allowed operator, a short search
of log|y| (``Options.log_start`` of the budget) runs first and each expression h on its front,
without its constant, is planted as the term exp(h): the outer coefficient carries the scale and
the sign, and evolution and the polish go on from there in y itself, so nothing is trusted that
y's own loss does not confirm.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.member import PopMember, assemble, new_member
from latentlaw.symbolic.mutate import valid_terms

MAX_SEEDS = 8  # the most accurate expressions of the log front are planted


def log_target(data: Dataset) -> Dataset | None:
    """``data`` with y replaced by log|y|, or None when y changes sign, touches 0 or is constant."""
    y = data.y
    if y is None or not (np.all(y > 0) or np.all(y < 0)):
        return None
    logy = np.log(np.abs(y))
    if not np.all(np.isfinite(logy)) or np.ptp(logy) == 0:
        return None
    return Dataset(X=data.X, columns=data.columns, y=logy, gradient_columns=None, weights=data.weights,
                   variable_names=data.variable_names, projector=data.projector)


def log_seeds(ctx: SearchContext, deadline: float | None) -> list[PopMember]:
    """Members exp(h) for the expressions h found for log|y| within the start's share of the budget
    (iterations and, when the search has a deadline, time). Empty when the start does not apply."""
    from latentlaw.symbolic.equation_search import equation_search  # the start is a search itself

    o = ctx.options
    exp = o.operator("exp")
    logged = log_target(ctx.data)
    if o.objective != "regression" or o.log_start <= 0 or exp is None or logged is None:
        return []
    timeout = None
    if deadline is not None:
        timeout = max(o.log_start * (deadline - time.perf_counter()), 1e-3)
    early = o.early_stop_loss
    if early is not None:  # the same relative accuracy in log|y| as asked of y
        early *= float(np.var(logged.y)) / max(float(np.var(ctx.data.y)), 1e-300)
    inner = dataclasses.replace(o, log_start=0.0, timeout_in_seconds=timeout, early_stop_loss=early,
                                niterations=max(1, round(o.log_start * o.niterations)))
    result = equation_search(logged, inner, random_state=int(ctx.rng.integers(2**31)), verbosity=0)
    if result.stop_reason == "interrupted":  # the inner search kept Ctrl-C to itself: pass it on
        raise KeyboardInterrupt
    seeds: list[PopMember] = []
    for entry in sorted(result.front, key=lambda e: e.loss)[:MAX_SEEDS]:
        v = entry.variant
        h = assemble(v.terms, v.coefs, 0.0, o)  # exp(b + h) = e^b exp(h): the outer coefficient takes e^b
        if h.is_constant:
            continue
        terms = valid_terms([Node.unary(exp, h)], ctx)
        member = None if terms is None else new_member(terms, ctx)
        if member is not None:
            seeds.append(member)
    return seeds
