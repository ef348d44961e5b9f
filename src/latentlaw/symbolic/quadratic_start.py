"""Starting members for a regression whose y is a root of a quadratic with sparse coefficients:
y^2 + Q y - P = 0, i.e. y = -Q / 2 + s sqrt(Q^2 / 4 + P) with s = +-1 fixed over the rows.

Laws with a root plus a term are a sum whose second half is a root of a sum: the energy of a
charge in a field, sqrt((p - q A)^2 c^2 + m^2 c^4) + q V, the relativistic kinetic energy
sqrt(p^2 c^2 + m^2 c^4) - m c^2, the time to fall from a height with a speed v,
(v + sqrt(v^2 + 2 g h)) / g. Neither y nor y^2 is a sparse P / (1 + Q) (rational_start.py), but
y^2 = P - y Q is linear in the columns p_k(x) and y q_j(x): the rational start's selection with y
as Q's multiplier (``rational_fits``; Q's monomials tried in turn, a constant among them).
Squares of sums have cross terms of more inputs and higher degree than P's library holds with
several inputs (c^2 p q A: four inputs, degree five), so P also takes the products of up to
``EXTRA_VARIABLES`` inputs with no negative power up to ``EXTRA_DEGREE``. An exact fit is
planted as the root: Q^2 / 4 + P multiplied out, the terms that cancel (q^2 V^2 above) dropped
and the rest refitted to (y + Q / 2)^2. Runs only where the rational start found no exact law,
within ``Options.rational_start`` of the time left. By gradients the same law comes from the
gradient start's span (rational_gradient_start.py), planted here (``fitted_root``, ``root_member``).
"""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.from_sympy import squares_out
from latentlaw.symbolic.member import PopMember
from latentlaw.symbolic.mutate import seed_member
from latentlaw.symbolic.rational_start import (EXACT, MAX_INPUTS, MAX_SEEDS, Factor, Fit, fit_node,
                                               monomials, numerator, p_values, rational_fits, share_of)

EXTRA_VARIABLES, EXTRA_DEGREE, EXTRA_LIMIT = 4, 5, 1000  # P's products beside its library (see above)
CANCELLED = 1e-9  # a term of Q^2 / 4 + P smaller than this share of the sum's RMS has cancelled


def extra_monomials(d: int) -> np.ndarray:
    """Products of up to EXTRA_VARIABLES inputs (no negative power) of degree 3 to EXTRA_DEGREE,
    fewest inputs and lowest degree first, at most EXTRA_LIMIT."""
    out: list[tuple[int, ...]] = []
    for k in range(1, min(d, EXTRA_VARIABLES) + 1):
        for degree in range(max(3, k), EXTRA_DEGREE + 1):
            for chosen in itertools.combinations(range(d), k):
                for parts in itertools.product(range(1, degree + 1), repeat=k):
                    if sum(parts) == degree:
                        e = [0] * d
                        for i, p in zip(chosen, parts):
                            e[i] = p
                        out.append(tuple(e))
                        if len(out) >= EXTRA_LIMIT:
                            return np.array(out, dtype=int)
    return np.array(out, dtype=int).reshape(-1, d)


def quadratic_fits(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                   deadline: float | None = None) -> list[Fit]:
    """Sparse fits of y^2 = P - y Q (Fit's q and q_coefs are Q's, a zero row its constant),
    exact ones first: Q one term, then, where none is exact, Q a sum (its other terms as
    candidates beside P's; in one pass they crowded out P's terms of the charge in a field)."""
    extra = extra_monomials(X.shape[1])
    fits: list[Fit] = []
    for q_sum in (False, True):
        fits += [f for f in rational_fits(X, y * y, weights, deadline, extra=extra, multiplier=y, q_sum=q_sum) if f.q]
        fits.sort(key=lambda f: (f.rss > EXACT, len(f.p) + len(f.q) if f.rss <= EXACT else f.rss))
        if fits and fits[0].rss <= EXACT:
            break
    return fits


def root(fit: Fit, X: np.ndarray, y: np.ndarray) -> tuple[Fit, Fit, float] | None:
    """(-Q / 2 as a fit with no Q, Q^2 / 4 + P likewise, the sign s) of an exact quadratic fit,
    with y = -Q / 2 + s sqrt(Q^2 / 4 + P) on every row; None where y - (-Q / 2) changes sign
    or the multiplied-out sum is no exact fit of (y + Q / 2)^2."""
    d = X.shape[1]
    q_powers = np.array(fit.q, dtype=int).reshape(-1, d)
    q_coefs = np.array(fit.q_coefs)
    u = y + 0.5 * monomials(X, q_powers) @ q_coefs
    if not (np.all(u > 0) or np.all(u < 0)):
        return None
    terms: dict[tuple[tuple[int, ...], Factor | None], float] = defaultdict(float)
    terms[((0,) * d, None)] += fit.intercept
    for p, c, f in zip(fit.p, fit.p_coefs, fit.p_factors):
        terms[(tuple(int(k) for k in p), f)] += c
    for (a, ca), (b, cb) in itertools.product(zip(q_powers.tolist(), q_coefs), repeat=2):
        terms[(tuple(i + j for i, j in zip(a, b)), None)] += 0.25 * ca * cb
    keys = list(terms)
    E = np.array([k[0] for k in keys], dtype=int)
    V = p_values(X, E, [k[1] for k in keys])
    contributions = V * np.array([terms[k] for k in keys])
    scale = float(np.sqrt(np.mean(np.sum(contributions, axis=1) ** 2)))
    kept = [i for i in range(len(keys)) if np.sqrt(np.mean(contributions[:, i] ** 2)) > CANCELLED * scale]
    if not kept:
        return None
    target = u * u
    coefs, *_ = np.linalg.lstsq(V[:, kept], target, rcond=None)
    r = target - V[:, kept] @ coefs
    if not float(r @ r) <= EXACT * float(target @ target):
        return None
    constant = [i for i in kept if not any(keys[i][0]) and keys[i][1] is None]
    intercept = float(sum(c for i, c in zip(kept, coefs) if i in constant))
    rest = [(i, c) for i, c in zip(kept, coefs) if i not in constant]
    radicand = Fit(p=tuple(keys[i][0] for i, _ in rest), p_coefs=tuple(float(c) for _, c in rest),
                   p_factors=tuple(keys[i][1] for i, _ in rest), intercept=intercept, q=(), q_coefs=(), rss=0.0)
    linear = [(tuple(p), -0.5 * c) for p, c in zip(q_powers.tolist(), q_coefs)]
    half = Fit(p=tuple(p for p, _ in linear if any(p)), p_coefs=tuple(c for p, c in linear if any(p)),
               p_factors=tuple(None for p, _ in linear if any(p)),
               intercept=float(sum(c for p, c in linear if not any(p))), q=(), q_coefs=(), rss=0.0)
    return half, radicand, float(np.sign(u[0]))


def quadratic_node(half: Fit, radicand: Fit, sign: float, ctx: SearchContext, factored: bool = False) -> Node | None:
    """-Q / 2 + sign sqrt(Q^2 / 4 + P) as a tree (the radicand's shared monomials written once
    with ``factored``); None where an operator is missing."""
    o = ctx.options
    sqrt, plus, minus = o.operator("sqrt"), o.operator("+"), o.operator("-")
    inner = fit_node(radicand, ctx, factored=factored) if radicand.p else Node.const(radicand.intercept)
    if sqrt is None or plus is None or minus is None or inner is None:
        return None
    top = Node.unary(sqrt, inner)
    if half.p:
        left = fit_node(half, ctx)
    else:
        left = Node.const(half.intercept)
    if left is None:
        return None
    return Node.binary(plus if sign > 0 else minus, left, top)


def root_member(found: tuple[Fit, Fit, float], ctx: SearchContext) -> PopMember | None:
    """The member planted from ``root``'s parts: as written, or with the radicand's shared
    monomials written once where that alone fits maxsize; each with the radicand's squared
    factors taken out of the root first where it has some (``squares_out``)."""
    for factored in (False, True):
        node = quadratic_node(*found, ctx, factored=factored)
        if node is None:
            continue
        for tree in (squares_out(node, ctx.data.X, ctx.options), node):
            member = None if tree is None else seed_member([tree], ctx)
            if member is not None:
                return member
    return None


def fitted_root(fit: Fit, X: np.ndarray) -> np.ndarray:
    """t = -Q / 2 + root_sign sqrt(Q^2 / 4 + P) of a fit with a ``root_sign`` (the gradient
    start's quadratic laws), on the rows X."""
    Q = monomials(X, np.array(fit.q, dtype=int).reshape(-1, X.shape[1])) @ np.array(fit.q_coefs)
    return -0.5 * Q + fit.root_sign * np.sqrt(np.maximum(0.25 * Q * Q + numerator(fit, X), 0.0))


def quadratic_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """("y as a root of a quadratic", members planted from the exact quadratic fits); empty where
    the start does not apply."""
    o, data = ctx.options, ctx.data
    if o.objective != "regression" or o.rational_start <= 0 or data.y is None or not 0 < data.d <= MAX_INPUTS:
        return []
    if any(o.operator(name) is None for name in ("*", "/", "sqrt", "+", "-")) or not o.linear:
        return []
    y = data.y
    if not np.all(np.isfinite(y)) or np.ptp(y) <= 0:
        return []
    stop = share_of(deadline, o.rational_start)
    seeds: list[PopMember] = []
    for fit in quadratic_fits(data.X, y, data.weights, stop):
        if fit.rss > EXACT:
            break  # (with 1% noise on the roots table the implicit residual ranked stand-ins first,
            # and none of the best four had a real root on every row)
        found = root(fit, data.X, y)
        member = None if found is None else root_member(found, ctx)
        if member is not None:
            seeds.append(member)
        if len(seeds) >= MAX_SEEDS:
            break
    return [("y as a root of a quadratic", seeds)]
