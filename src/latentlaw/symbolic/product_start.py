"""Starting members for the gradient objective: laws that are products, linear in their logs.

f = prod_i x_i^p_i * prod_k F_k(s_k a_k)^c_k * exp(sum_j e_j b_j), with F sin or cos of an input,
a ratio or the product of two (s from the scales of ``factor_library``) and b_j such arguments
themselves, has log|f| = sum_i p_i log|x_i| + sum_k c_k log|F_k| + sum_j e_j b_j: a sparse sum, so
its gradient (parallel to f's) is a sparse null vector of the columns grad log|x_i|,
grad log|F_k| and grad b_j projected off g, as in P alone of ``rational_gradient_start``. Found
there too (``null_supports``, one Gram matrix of ~100-1,300 columns, milliseconds), with the
powers p and c then scaled to small integers (the exp's e stay real: exp(-m g x / (kb T)) needs
no scale from a list). I.30.3's Int_0 sin(n theta / 2)^2 / sin(theta / 2)^2, a product of two
functions, is out of reach of P alone (one function per term) and is one such null vector.
Rows are scaled to one norm first: log|sin| has poles where sin crosses 0, and a column that
is a few rows' correlates with every other such column to 1 - 1e-16.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.rational_gradient_start import (CANDIDATE, EXACT, FACTOR_SCALES, misalignment,
                                                       null_supports, project)
from latentlaw.symbolic.rational_start import Factor, monomial_node

MAX_POWER = 6  # the largest |power| of an input or a function in a product
DENOMINATORS = (1, 2, 3, 4)  # powers read as integers after scaling by one of these
STEPS = 5  # columns added to an anchor (p_d sin(theta) cos(theta) / (epsilon r^3) has six); the
# library is small, so the forward selection stays cheap


@dataclass(frozen=True)
class ProductFit:
    """prod x^powers * prod factor^power (each Factor carries its power) * exp(sum e_j b_j);
    ``exps``: Factor("exp", b_j, 1, e_j); ``rss``: misalignment with the gradients."""

    powers: tuple[int, ...]
    factors: tuple[Factor, ...]
    exps: tuple[Factor, ...]
    rss: float


def _arguments(d: int) -> list[tuple[str, int, int]]:
    return ([("var", i, -1) for i in range(d)] + [("ratio", i, j) for i, j in itertools.permutations(range(d), 2)]
            + [("product", i, j) for i, j in itertools.combinations(range(d), 2)])


def log_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """The columns: ("log", i) for log|x_i|, ("factor", Factor) for log|F| and ("exp", argument)
    for an argument itself (exp's only where exp is an operator)."""
    columns: list[tuple[str, object]] = [("log", i) for i in range(d)]
    columns += [("factor", Factor(f, a, 1, s)) for s in FACTOR_SCALES for a in _arguments(d)
                for f in ("sin", "cos") if f in functions]
    if "exp" in functions:
        columns += [("exp", a) for a in _arguments(d) if a[0] != "var"] + [("exp", ("var", i, -1)) for i in range(d)]
    return columns


def _gradients(X: np.ndarray, columns: list[tuple[str, object]]) -> np.ndarray:
    """(rows, columns, d): grad log|x_i|, grad log|F| = grad F / F, grad b; zero where not finite."""
    n, d = X.shape
    out = np.zeros((n, len(columns), d))
    with np.errstate(all="ignore"):
        for k, (kind, what) in enumerate(columns):
            if kind == "log":
                out[:, k, what] = 1.0 / X[:, what]
            elif kind == "factor":
                out[:, k, :] = what.gradient(X) / what.values(X)[:, None]
            else:
                out[:, k, :] = Factor("exp", what).argument_values(X)[1]
    out[:, ~np.all(np.isfinite(out), axis=(0, 2)), :] = 0.0
    return out


def product_fits(X: np.ndarray, G: np.ndarray, functions: tuple[str, ...], rows: int = 300) -> list[ProductFit]:
    """Exact products (misalignment <= EXACT) whose gradients are parallel to the rows of G,
    fewest columns first."""
    n, d = X.shape
    at = np.linspace(0, n - 1, min(n, rows)).astype(int)
    Xs, Gs = X[at], G[at]
    columns = log_columns(d, functions)
    grads = _gradients(Xs, columns)
    size = np.sqrt(np.einsum("rld,rld->r", grads, grads))
    grads = grads / np.where(size > 0, size, 1.0)[:, None, None]
    whole = np.sqrt(np.einsum("rld,rld->l", grads, grads))
    flat = project(grads, [Gs]).transpose(0, 2, 1).reshape(-1, len(columns))
    out, seen = [], set()
    for rss, support in null_supports(flat.T @ flat, whole, steps=STEPS):
        if rss > CANDIDATE or support in seen:
            continue
        seen.add(support)
        fit = _complete(X, G, [columns[k] for k in support])
        if fit is not None and fit.rss <= EXACT and fit not in out:
            out.append(fit)
    out.sort(key=lambda f: sum(map(abs, f.powers)) + 3 * sum(abs(f.power) for f in f.factors) + 3 * len(f.exps))
    return out


def _complete(X: np.ndarray, G: np.ndarray, support: list[tuple[str, object]]) -> ProductFit | None:
    """The null vector on ``support`` over all rows, its powers scaled to small integers; None
    where they are not (to 1e-6) or a column is unused."""
    grads = _gradients(X, support)
    W = project(grads, [G]).transpose(0, 2, 1).reshape(-1, len(support))
    scale = np.linalg.norm(W, axis=0)
    if np.any(scale == 0):
        return None
    v = np.linalg.svd(W / scale, full_matrices=False)[2][-1] / scale
    powered = np.array([kind != "exp" for kind, _ in support])
    if not powered.any() or np.min(np.abs(v)) < 1e-9 * np.max(np.abs(v)):
        return None
    v = v / np.min(np.abs(v[powered]))
    for m in DENOMINATORS:
        w = v * m
        if np.all(np.abs(w[powered] - np.round(w[powered])) < 1e-6) and np.all(np.abs(w[powered]) <= MAX_POWER):
            break
    else:
        return None
    w = np.where(powered, np.round(w), w)
    powers = [0] * X.shape[1]
    factors, exps = [], []
    for (kind, what), c in zip(support, w):
        if kind == "log":
            powers[what] = int(c)
        elif kind == "factor":
            factors.append(Factor(what.function, what.argument, int(c), what.scale))
        else:
            exps.append(Factor("exp", what, 1, float(c)))
    grad_log = np.einsum("rkd,k->rd", grads, w)
    with np.errstate(all="ignore"):  # grad f = f grad log|f|: its sign turns with f's
        sign = np.prod(np.sign(X) ** np.array(powers), axis=1)
        for f in factors:
            sign = sign * np.sign(f.values(X))
    dots = sign * np.sum(grad_log * G, axis=1)
    clear = np.abs(dots) > 1e-9 * np.max(np.abs(dots))
    if not (np.all(dots[clear] > 0) or np.all(dots[clear] < 0)):
        return None  # parallel row by row, but f turns where the gradients do not (sin(mu Nn) for mu Nn)
    return ProductFit(tuple(powers), tuple(factors), tuple(exps), misalignment(grad_log, G))


def product_node(fit: ProductFit, ctx: SearchContext) -> Node | None:
    """The product as a tree: the monomial, the functions (squares, products) over the ones with
    negative powers, times the exps; None where an operator is missing."""
    o = ctx.options
    times, divide, square = o.operator("*"), o.operator("/"), o.operator("square")
    if times is None or divide is None:
        return None
    up_f, down_f = [], []
    for f in fit.factors:
        base = Factor(f.function, f.argument, 1, f.scale).node(ctx)
        if base is None:
            return None
        k = abs(f.power)
        copies = ([Node.unary(square, base.copy()) for _ in range(k // 2)] + [base.copy() for _ in range(k % 2)]
                  if square is not None else [base.copy() for _ in range(k)])
        (up_f if f.power > 0 else down_f).extend(copies)
    exps = [e.node(ctx) for e in fit.exps]
    if any(e is None for e in exps):
        return None
    up_m = monomial_node(tuple(max(p, 0) for p in fit.powers), ctx) if any(p > 0 for p in fit.powers) else None
    down_m = monomial_node(tuple(max(-p, 0) for p in fit.powers), ctx) if any(p < 0 for p in fit.powers) else None
    up = Node.chain(times, [n for n in (up_m, *up_f, *exps) if n is not None])
    down = Node.chain(times, [n for n in (down_m, *down_f) if n is not None])
    if up is None:
        up = Node.const(1.0)
    return up if down is None else Node.binary(divide, up, down)
