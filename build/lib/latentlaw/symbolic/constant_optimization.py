"""Fitting the constants inside terms (outer coefficients are already solved in closed form).

BFGS on log(loss) with finite differences, re-solving the outer coefficients at every step
(variable projection). Without it, laws like x0*x1/(1 + x2^2) are only approximated.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.optimize import minimize

from latentlaw.symbolic.context import LOSS_FLOOR, SearchContext
from latentlaw.symbolic.member import PopMember, evaluate_terms, new_member

BAD = 1e3  # log-loss returned for an unusable constant setting (keeps BFGS finite)


def optimize_constants(member: PopMember, ctx: SearchContext) -> PopMember | None:
    """A member with better constants on the current batch, or None if none was found."""
    terms = [t.copy() if t.constants() else t for t in member.terms]
    changed = [t for t, old in zip(terms, member.terms) if t is not old]
    nodes = [c for t in changed for c in t.constants()]
    if not nodes:
        return None
    x0 = np.array([c.value for c in nodes])
    terms = tuple(terms)

    def objective(x: np.ndarray) -> float:
        for node, value in zip(nodes, x):
            node.value = float(value)
        for t in changed:
            t.forget()
        ctx.evaluations += 1
        result = evaluate_terms(terms, ctx.batch, ctx.objective, ctx.options)
        if result is None:
            return BAD
        return math.log(max(min(v.loss for v in result[1]), LOSS_FLOOR))

    start = objective(x0)
    best_x, best_f = x0, start
    iterations = ctx.options.optimizer_iterations
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for attempt in range(2):
            guess = x0 if attempt == 0 else x0 * (1.0 + 0.5 * ctx.rng.normal(size=x0.shape))
            try:
                result = minimize(objective, guess, method="BFGS", options={"maxiter": iterations, "gtol": 1e-12})
            except (ValueError, FloatingPointError, np.linalg.LinAlgError):
                continue
            if np.all(np.isfinite(result.x)) and result.fun < best_f:
                best_x, best_f = result.x, float(result.fun)
    if not best_f < start - 1e-9:
        return None
    for node, value in zip(nodes, best_x):
        node.value = float(value)
    for t in changed:
        t.forget()
    return new_member(terms, ctx)
