"""Gradient laws with one input set apart: f = F(x_i, h(the other inputs)), h and F fitted in turn.

At fixed x_i, the gradient over the other inputs is dF/dh grad h: whatever F is, its direction is
h's. So h is fitted from those components alone (``gradient_fits``, P alone, over d - 1 inputs),
and F over the two inputs (x_i, h) from df/dx_i and df/dh = g_rest . grad h / |grad h|^2
(``gradient_fits`` again, its Qs included). Klein-Nishina in its groups (beta, z1 = omega /
omega_0, z2 = alpha h / (m c)) is z2^2 (z1^-3 + z1^-1 - z1^-2 sin^2 beta): its term
z2^2 z1^-2 sin^2 beta is past the factor library's monomials (two inputs, degree 3), while apart
from z2 the rest is three terms of the library and F = z2^2 h is one monomial. Only exact fits are
kept at both steps; for laws of 3..MAX_INPUTS inputs (with d - 1 <= 3, h's terms may carry the
factor library's functions), the inputs that look set apart first (``likely_apart``). AI Feynman's separability tests look for f = A(x_i) + B(rest) or
A(x_i) B(rest) on values; from gradient directions alone the composition F(x_i, h) is the test.
"""

from __future__ import annotations

import time

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.group_start import substitute
from latentlaw.symbolic.rational_gradient_start import (EXACT, gradient_fits, start_functions, term_gradients,
                                                        whole_node)
from latentlaw.symbolic.rational_start import START_ROWS, Fit, p_values, share_of

MAX_INPUTS = 4  # d inputs cost d fits of h over d - 1 (~1 s each with three and the factor library)
MIN_ROWS = 20  # rows where the other inputs move f, for h's fit
OUTER_SHARE = 0.5  # of the time left, F's fit (with its Qs) may take per h


def separable_laws(ctx: SearchContext, deadline: float | None) -> list[Node]:
    """The first exact law F(x_i, h(rest)), the inputs i in ``likely_apart``'s order (a list: empty
    where none is exact, or no input looks set apart)."""
    X, G = ctx.data.X, ctx.data.gradients
    n, d = X.shape
    if not 3 <= d <= MAX_INPUTS:
        return []
    functions = start_functions(ctx.options)
    laws = []
    for tried, i in enumerate(likely_apart(X, G)):
        if tried and deadline is not None and time.perf_counter() > deadline:
            break  # the likeliest is tried whatever the time (its fits are kept for the next call)
        rest = [k for k in range(d) if k != i]
        g_rest = G[:, rest]
        norms = np.linalg.norm(g_rest, axis=1)
        moved = norms > 1e-6 * np.linalg.norm(G, axis=1)
        if moved.sum() < MIN_ROWS:
            continue
        inner = gradient_fits(X[moved][:, rest], g_rest[moved] / norms[moved, None], deadline, with_q=False,
                              functions=functions)
        h = next((fit for fit in inner if fit.rss <= EXACT and not fit.q and not fit.root_sign), None)
        if h is None:
            continue
        outer = _outer_data(h, X, G, i, rest)
        if outer is None:
            continue
        Y, GY = outer
        F = next((fit for fit in gradient_fits(Y, GY, share_of(deadline, OUTER_SHARE), functions=functions)
                  if fit.rss <= EXACT and not fit.root_sign), None)
        law = None if F is None else _written(F, h, i, rest, ctx)
        if law is not None:
            laws.append(law)
            break
    return laws


def likely_apart(X: np.ndarray, G: np.ndarray, rows: int = START_ROWS) -> list[int]:
    """The inputs i that f may be F(x_i, h(rest)) of, likeliest first: if it is, rows close in the
    other inputs have gradients over them in the same direction whatever x_i, so the nearest
    neighbour in the other inputs agrees with a row at least as well as the nearest in all of them
    (median 1 - cos^2 of the two, their ratio at most 1). Klein-Nishina in its groups: 0.14 for its
    prefactor group, 0.17 and 0.68 for the others. A guide to the order only: it lets through
    some inputs no law sets apart (c in a c + c e^2 + a / e), whose fits then find nothing exact."""
    n, d = X.shape
    pick = np.linspace(0, n - 1, min(n, rows)).astype(int)
    Z = X[pick]
    Z = (Z - Z.mean(axis=0)) / np.where(Z.std(axis=0) > 0, Z.std(axis=0), 1.0)
    ratios = {}
    for i in range(d):
        rest = [k for k in range(d) if k != i]
        g = G[pick][:, rest]
        g = g / np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-300)
        near = [_nearest(Z[:, rest]), _nearest(Z)]
        off = [np.median(1.0 - np.sum(g * g[k], axis=1) ** 2) for k in near]
        if off[0] <= off[1]:
            ratios[i] = off[0] / max(off[1], 1e-300)
    return sorted(ratios, key=ratios.get)


def _nearest(Z: np.ndarray) -> np.ndarray:
    """Each row's nearest other row."""
    D = np.sum((Z[:, None, :] - Z[None, :, :]) ** 2, axis=2)
    np.fill_diagonal(D, np.inf)
    return D.argmin(axis=1)


def _outer_data(h: Fit, X: np.ndarray, G: np.ndarray, i: int, rest: list[int]) -> tuple[np.ndarray, np.ndarray] | None:
    """(x_i, h) and the unit gradient of f over them, on the rows where both are finite and h moves."""
    E, a = np.array(h.p, dtype=int).reshape(-1, len(rest)), np.array(h.p_coefs)
    factors = list(h.p_factors)
    values = h.intercept + p_values(X[:, rest], E, factors) @ a
    grad = np.einsum("rkd,k->rd", term_gradients(X[:, rest], E, factors, np.inf), a)
    with np.errstate(all="ignore"):
        dh = np.sum(G[:, rest] * grad, axis=1) / np.sum(grad * grad, axis=1)
        GY = np.column_stack([G[:, i], dh])
        GY = GY / np.linalg.norm(GY, axis=1, keepdims=True)
    ok = np.isfinite(values) & np.all(np.isfinite(GY), axis=1)
    if ok.sum() < MIN_ROWS:
        return None
    return np.column_stack([X[ok, i], values[ok]]), GY[ok]


def _written(F: Fit, h: Fit, i: int, rest: list[int], ctx: SearchContext) -> Node | None:
    """F(x_i, h) as a tree of the inputs."""
    outer, inner = whole_node(F, ctx), whole_node(h, ctx)
    if outer is None or inner is None:
        return None
    return substitute(outer, [Node.var(i), substitute(inner, [Node.var(k) for k in rest])])
