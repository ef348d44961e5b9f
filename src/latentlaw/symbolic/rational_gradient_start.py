"""Starting members for the gradient objective: sparse laws f = P / (1 + b q) from gradient directions.

The regression start (rational_start.py) fits t = P - t Q linearly because t is known. With
gradients only the direction g of grad f is known at each row, yet the same form stays linear:
from f (1 + b q) = P, grad f (1 + b q) + f b grad q = grad P, so at each row grad P lies in the
span of g and grad q. Projected onto the complement of that span (d - 2 dimensions; d - 1 without
Q), sum_k a_k Pi grad m_k = 0: a sparse null vector over P's monomials, whatever the unknown
f and |grad f| are at each row. It is found by anchoring: a single monomial whose projected
gradient vanishes is a law (prV/gamma over 1 - 1/gamma); for sums, each monomial in turn is the
target of a forward selection over the others (``rational_start.forward_select``) in the Gram matrix of
the projected, unit-scaled gradient columns. b and P's constant follow by least squares from the
per-row coefficient of grad q (f b at each row); where that misses, the same coefficient may be a
root of a quadratic t^2 + B q t = C + B P (``_quadratic``). Laws are wanted only up to an invertible
function, so f^2 = m^2 / (1 - v^2/c^2) serves for m / sqrt(1 - v^2/c^2) (where such a square is
over maxsize, its root is planted: ``_root``). Deterministic; it shares
``Options.rational_start`` of the budget, stops between Q monomials when that is spent and at the
first exact fit; only for one law (n_concepts = 1), no tangent projector, 2..12 inputs (with two,
Q comes from a pencil instead: ``_plane_fits``). With up to three inputs P's terms also carry sin,
cos or exp of an input, a ratio or a product (``factor_library``), and with two Q may be such a
function (``q_factor_library``); after every Q, P alone is also fitted from one function's terms
at a time, all at once (``_function_fits``). Products of them are ``product_start``'s. After the
monomial Qs, with 3-6 inputs, Q (or a quadratic's linear coefficient) may be a sum of two
monomials of degree one (``_sum_fits``: a pencil in their ratio). Work on one dataset is kept
across calls (``_Progress``). P alone's selection is judged by the pencil of the
Gram matrices after and before the projection (``null_supports``' ``before``): its near-duplicate
functions then rank last. Where nothing is exact, laws with one input set apart follow
(``separable_start``).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.evaluate_derivative import evaluate_with_gradient
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.from_sympy import compact
from latentlaw.symbolic.member import PopMember
from latentlaw.symbolic.mutate import seed_member
from latentlaw.symbolic.options import Options
from latentlaw.symbolic import quadratic_start
from latentlaw.symbolic.rational_start import (DENSE_DEGREE, MAX_INPUTS, MAX_SEEDS, P_DEGREE, P_HIGH, P_VARIABLES,
                                               Q_DEGREE, Q_HIGH, Q_VARIABLES, START_ROWS, Factor, Fit, backward_select,
                                               denominators, exponents, forward_select, fit_node, monomial_node, monomials, p_values,
                                               root_node, root_of_numerator, share_of)

P_LIMIT, Q_LIMIT = 800, 200  # smaller than regression's: the Gram matrix is updated for every Q
GENERATED = 5000  # monomials generated (fewest inputs first) before the simplest P_LIMIT are kept
EXACT = 1e-20  # misalignment of an exact law (float64 gradients reach ~1e-28)
CANDIDATE = 1e-8  # projected residual (Gram space: squared conditioning) of a support worth completing
ANCHORS = 12  # anchors with the best pairs go on to a forward selection of more terms
PEAKED = 0.5  # share of a column's norm^2 on one row above which it is no anchor (``null_supports``)
PENCIL_ANCHORS = 48  # P alone's, judged by the pencil (once per dataset; a law's terms can rank 17th)
PENCIL_COMPLETED = 120  # of its states, the best completed (as many as 12 anchors give): shares run
# lower than projected residuals, and 480 states of the quadratic root's three inputs passed CANDIDATE
STEPS, BEAM = 3, 3
NULL_SHARE = 1e-4  # ``_null_fits``: entries of the null vector above this share of its largest are its support
FACTOR_INPUTS = 3  # P alone also takes terms with sin, cos, exp for laws of up to 3 inputs (the group
# start's reduced problems, where z1 sin(z0 / 2)^2 / z0^2 or (exp(z0 / (2 pi z1)) - 1) / z0 is the law)
FACTOR_SCALES = (1.0, 2.0, 0.5, 1 / (2 * math.pi), 2 * math.pi)  # inside the functions: half and double
# angles (sin 2 theta for sin theta cos theta), h / (2 pi) where a law has hbar
FACTOR_DEGREE = 3  # the monomials multiplying a function: two inputs, sum of |powers| up to this
FACTOR_LIMIT = 3700  # factor terms kept, simplest first: all of them for two inputs; for three, functions
# of an input at every scale, of ratios and products at scale 1
SUM_P = 120  # ``_sum_fits``: P's simplest monomials (7,000 pairs of them per pair of L's terms, ~10 ms)
SUM_INPUTS = 6  # ... with up to this many inputs (L's pairs: 66 with six, ~1 s; the wedges grow as d^2)
Q_FACTOR_P = 24  # with a function in Q (after the monomial Qs), P's monomials are the simplest this many
# (and each times the function): ~10 ms per function, 100 of them
Q_RANGE = 1e6  # an exp in Q is fitted on the rows where it is within this factor of its least value
DENSE_INPUTS = 5  # P alone from every polynomial term at once (``_dense_fits``) up to this many inputs
# (126 columns with five; with seven, 210 columns and their backward elimination took seconds)
PROGRESS_KEPT = 32  # datasets whose fits so far are kept (``_Progress``; the separable start's
# slices add two per input)
ROUNDED = 1e-6  # columns the Q update leaves less than this share of (norm^2) are recomputed
ALONG_Q = 1e-20  # ... and left out below this share where grad q alone explains them (PARALLEL): a function of q alone
PARALLEL = 1e-8  # a column's gradients with at most this share (norm) across grad q are along it
SHIFTS = (1, -1, 2, -2)  # powers of q a near-null support is divided by when it completes to no law
EXP_SPREAD = 20.0  # exp factors whose argument spans more than this over the rows are left out: their
# terms' columns are a few rows' (any two of them correlate to 1 - 1e-16 and crowd out the law's pairs)


def gradient_fits(X: np.ndarray, G: np.ndarray, deadline: float | None = None, with_q: bool = True,
                  functions: tuple[str, ...] = ()) -> list[Fit]:
    """Sparse f = P / (1 + b q) whose gradients are parallel to the rows of G, exact ones first
    (f = P alone without ``with_q``: one Gram matrix, a fraction of a second). With up to
    FACTOR_INPUTS inputs, P alone also takes monomials times sin, cos or exp (among
    ``functions``) of an input, a ratio or a product of two, at FACTOR_SCALES (``factor_library``);
    with two, Q is also one such function (``q_factor_library``), and after every Q, P alone is
    fitted from the columns of one function at a time (``_function_fits``). Work done on the same
    data is kept (``_Progress``): a call goes on with the Qs where the last one stopped."""
    n, d = X.shape
    rows = np.linspace(0, n - 1, min(n, START_ROWS)).astype(int)
    Xs, Gs = X[rows], G[rows]
    EP = _simplest(exponents(d, P_VARIABLES, P_DEGREE, GENERATED, P_HIGH), P_LIMIT)
    functions = functions if d <= FACTOR_INPUTS else ()
    progress = _progress(X, G, functions)
    if progress.alone is None:
        progress.alone = _alone_fits(Xs, Gs, EP, functions)
        if d <= DENSE_INPUTS and not any(rss <= EXACT for rss, _ in progress.alone):
            progress.alone += _dense_fits(X, G, Xs, Gs)
    found = list(progress.alone)
    if with_q and not any(rss <= EXACT for rss, _ in found):
        EQ = exponents(d, Q_VARIABLES, Q_DEGREE, Q_LIMIT, Q_HIGH)
        grad_p, grad_q = _gradients(Xs, EP), _gradients(Xs, EQ)
        whole = np.sqrt(np.einsum("rld,rld->l", grad_p, grad_p))
        along_g = project(grad_p, [Gs])  # grad m_k without their components along g
        flat = along_g.transpose(0, 2, 1).reshape(-1, len(EP))
        H0 = flat.T @ flat
        g_unit = Gs / np.maximum(np.linalg.norm(Gs, axis=1, keepdims=True), 1e-300)
        zero = np.zeros(d, dtype=int)
        EB = EP[:Q_FACTOR_P]
        sums = _sum_pairs(d)
        qs: list[tuple[str, int, Factor | None]] = [("monomial", k, None) for k in range(len(EQ))]
        qs += [("sum", k, None) for k in range(len(sums))]  # then Q a sum of two (~10 ms each)
        qs += [("function", -1, f) for f in q_factor_library(d, functions)]
        qs += [("functions", -1, None)] if functions else []  # last, P alone of one function at a time (seconds)
        while progress.next_q < len(qs) and not any(rss <= EXACT for rss, _ in progress.with_q):
            if deadline is not None and time.perf_counter() > deadline:
                break
            kind, q, q_factor = qs[progress.next_q]
            if kind == "functions":
                progress.with_q += _function_fits(X, G, Xs, Gs, functions)
            elif kind == "sum":
                progress.with_q += _sum_fits(Xs, Gs, EP, *sums[q])
            elif q_factor is not None:  # q a function alone; P's terms monomials and monomials times it
                progress.with_q += _plane_fits(Xs, Gs, X, G, np.vstack([EB, EB]), zero,
                                               [None] * len(EB) + [q_factor] * len(EB), q_factor)
            elif d == 2:  # the span of g and grad q is the whole plane: the pencil instead
                progress.with_q += _plane_fits(Xs, Gs, X, G, EP, EQ[q]) + _plane_roots(Xs, Gs, X, G, EP, EQ[q])
            else:  # also without the components along grad q's part orthogonal to g: a rank-one update per row
                progress.with_q += _span_fits(Xs, Gs, EP, *_without_q(grad_p, along_g, flat, H0, whole, grad_q[:, q, :], g_unit),
                                              EQ[q])
            progress.next_q += 1
        found += progress.with_q
    found.sort(key=lambda rf: (rf[0] > EXACT, len(rf[1].p) if rf[0] <= EXACT else rf[0]))
    distinct: dict[tuple, Fit] = {}  # supports pruned to the same terms give the same fit
    for _, f in found:
        distinct.setdefault((f.p, f.p_factors, f.q, f.q_factors, f.root_sign), f)
    return list(distinct.values())


@dataclass
class _Progress:
    """What the start has found on one dataset: P alone's fits, the fits with the Qs tried so far
    and the next Q. The group start restarts its searches on the same reduced data (ATTEMPTS), and
    each would otherwise build the same Gram matrix of ~4,000 terms (1-2 s with three inputs) and
    try the same first Qs within its share of the time; kept, a restart goes on from there, as
    one call with the restarts' time together would. The fits depend on the data alone."""

    alone: list[tuple[float, Fit]] | None = None
    with_q: list[tuple[float, Fit]] = field(default_factory=list)
    next_q: int = 0


_PROGRESS: OrderedDict[tuple, _Progress] = OrderedDict()


def _progress(X: np.ndarray, G: np.ndarray, functions: tuple[str, ...]) -> _Progress:
    """The progress on this data (by content), new for data not among the last PROGRESS_KEPT."""
    key = (hashlib.sha1(np.ascontiguousarray(X).tobytes() + np.ascontiguousarray(G).tobytes()).hexdigest(), functions)
    if key not in _PROGRESS:
        _PROGRESS[key] = _Progress()
        while len(_PROGRESS) > PROGRESS_KEPT:
            _PROGRESS.popitem(last=False)
    _PROGRESS.move_to_end(key)
    return _PROGRESS[key]


def q_factor_library(d: int, functions: tuple[str, ...]) -> list[Factor]:
    """Q's functions for two inputs (1 + b exp(2 z0 / z1), 1 + b cos z0): exp (of +-), cos and sin
    of an input, a ratio or the product, at FACTOR_SCALES, scale 1 first; none for more inputs."""
    if d != 2:
        return []
    arguments = [("var", 0, -1), ("var", 1, -1), ("ratio", 0, 1), ("ratio", 1, 0), ("product", 0, 1)]
    shapes = [("exp", sign) for sign in (1.0, -1.0) if "exp" in functions]
    shapes += [(f, 1.0) for f in ("cos", "sin") if f in functions]
    return [Factor(f, a, 1, sign * s) for s in FACTOR_SCALES for a in arguments for f, sign in shapes]


def _alone_fits(Xs: np.ndarray, Gs: np.ndarray, EP: np.ndarray, functions: tuple[str, ...]) -> list[tuple[float, Fit]]:
    """(rss, fit) of f = P alone over monomials and (with ``functions``) factor terms."""
    d, L = Xs.shape[1], len(EP)
    EF, FF = factor_library(d, functions) if functions else (EP[:0], [])
    E, factors = np.vstack([EP, EF]), [None] * L + FF
    grads = term_gradients(Xs, E, factors)  # (rows, terms, d)
    whole = np.sqrt(np.einsum("rld,rld->l", grads, grads))
    norms = np.linalg.norm(Gs, axis=1, keepdims=True)
    g_unit = np.where(norms > 1e-12, Gs / np.where(norms > 1e-12, norms, 1.0), 0.0)  # as ``project``'s
    if d == 2:  # what is left of a gradient without its part along g is its part along g's normal
        flat = np.einsum("rld,rd->rl", grads, np.column_stack([-g_unit[:, 1], g_unit[:, 0]]))
    else:
        flat = project(grads, [Gs]).transpose(0, 2, 1).reshape(-1, len(E))
    H = flat.T @ flat
    along = np.einsum("rld,rd->rl", grads, g_unit)  # the part the projection removed: H + along^T along
    # is the Gram matrix before it (a sum of two positive parts: nothing cancels), a third of its cost
    peaked = np.max(np.sum(grads**2, axis=2), axis=0) > PEAKED * np.maximum(whole**2, 1e-300)
    return _span_fits(Xs, Gs, E, H, whole, None, factors, (H + along.T @ along, peaked))


def _dense_fits(X: np.ndarray, G: np.ndarray, Xs: np.ndarray, Gs: np.ndarray) -> list[tuple[float, Fit]]:
    """(rss, fit) of f = x_i^s P for a polynomial P (every monomial of no negative power up to
    ``DENSE_DEGREE``; s = -1, 1 and P of the other inputs, or no x_i and P of all inputs; then
    s = -2 and P of all inputs, 5-90 ms more with 3-5 inputs; then x^-M P with M a product of two or
    three distinct inputs, ``rational_start.denominators``), from all of P's terms at once (``_null_fits``). The anchored
    forward selections miss four correlated terms: Breit-Wigner's k / ((E^2 - M^2)^2 + M^2 Gamma^2),
    by gradients the law (E^2 - M^2)^2 / k + ... up to the reciprocal, is exact here in 0.1 s
    (regression's reciprocal targets have the same step, ``rational_start.DENSE_DEGREE``), and
    six: a two-body decay's momentum sqrt((M^2 - (m1 + m2)^2) (M^2 - (m1 - m2)^2)) / (2 M),
    squared M^2 - 2 m1^2 - 2 m2^2 + (m1^2 - m2^2)^2 / M^2, is x_i^-2 P with P of all inputs, and
    seven: a thick lens's 1 / f = (n - 1) (1 / R1 - 1 / R2 + (n - 1) d / (n R1 R2)) is P / (n R1 R2)."""
    d = X.shape[1]
    every = [e for e in itertools.product(range(DENSE_DEGREE + 1), repeat=d) if 0 < sum(e) <= DENSE_DEGREE]
    prefactors: list[tuple[int, int] | np.ndarray | None] = [None, *((i, s) for i in range(d) for s in (-1, 1))]
    # then x^-M P for P of all inputs, M = 2 e_i (x_i^2 P, s = +2, would double the cost; no law here
    # needs it) and products of two or three distinct inputs (a thick lens: n R1 R2 / f is a polynomial)
    prefactors += [M for M in denominators(d) if M.sum() >= 2]
    found = []
    for prefactor in prefactors:
        if prefactor is None:
            E = np.array(every, dtype=int)
        elif isinstance(prefactor, tuple):
            i, s = prefactor
            E = np.array([e for e in every if e[i] == 0] + [tuple(0 for _ in range(d))], dtype=int)
            E[:, i] = s
        else:  # x^-M times every monomial, M's own among them (x^M x^-M, a constant, left out)
            E = np.array([*every, tuple(0 for _ in range(d))], dtype=int) - prefactor
            E = E[np.any(E != 0, axis=1)]
        found += _null_fits(X, G, Xs, Gs, E, whole=True)
        if any(rss <= EXACT for rss, _ in found):
            break
    return found


def _null_fits(X: np.ndarray, G: np.ndarray, Xs: np.ndarray, Gs: np.ndarray, E: np.ndarray,
               factors: list[Factor | None] | None = None, whole: bool = False) -> list[tuple[float, Fit]]:
    """(rss, fit) of P alone from all of E's terms (times ``factors``) at once: where the projected
    Gram matrix of their unit columns has a null vector, its largest entry anchors a backward
    elimination of the others (``rational_start.backward_select``), and each near-null state on
    the way is completed. Columns with no part off g are left out (``whole``: none may be)."""
    grads = _gradients(Xs, E) if factors is None else term_gradients(Xs, E, factors)
    flat = project(grads, [Gs]).transpose(0, 2, 1).reshape(-1, len(E))
    norms = np.linalg.norm(flat, axis=0)
    usable = np.flatnonzero(np.isfinite(norms) & (norms > 0))
    if len(usable) < (len(E) if whole else 2):
        return []
    unit = flat[:, usable] / norms[usable]
    H = unit.T @ unit
    values, vectors = np.linalg.eigh(H)
    if values[0] > CANDIDATE:
        return []  # no sum of these columns is a law
    weights = np.abs(vectors[:, 0])
    found = []
    used = np.flatnonzero(weights > NULL_SHARE * weights.max())
    if len(used) < len(usable):  # the null vector's own support, beside the backward elimination: with
        # ~70 columns, near-nulls at 1e-8 misled the elimination (a thick lens's seven terms, lost in
        # its first steps); where the null space has more laws (f and f^2 among x_i^-2's columns)
        # the support is their mix, longer than the elimination's own law, which then ranks first
        fit = _complete(X, G, E, tuple(sorted(usable[used])), None, factors)
        found += [(fit.rss, fit)] if fit is not None and fit.rss <= EXACT else []
    anchor = int(np.argmax(weights))
    others = [k for k in range(len(usable)) if k != anchor]
    for rss, support in backward_select(H, H[:, anchor], others, ()):
        fit = None if rss > CANDIDATE else _complete(X, G, E, tuple(sorted(usable[[anchor, *support]])), None, factors)
        if fit is not None:
            found.append((fit.rss, fit))
    return found


def _function_fits(X: np.ndarray, G: np.ndarray, Xs: np.ndarray, Gs: np.ndarray,
                   functions: tuple[str, ...]) -> list[tuple[float, Fit]]:
    """[(rss, fit)] of the first exact f = P alone whose terms are monomials m and F m for one
    function F of the factor library (every m with powers -1, 0, 1: 26 and 27 columns with three
    inputs), from all of them at once (``_null_fits``); F by F, simplest first (near-null
    supports that complete to no law are not kept: they would be planted).
    The anchored selection over the whole library misses laws of three such terms whose pairs
    are all poor: its anchors go to near-duplicates (z^-2 and z^-2 cos(z / (2 pi)), correlated
    to 1 - 1e-13 before projection). The logistic law in its groups, 1/K + (1/N0 - 1/K) e^(-rt),
    is exact here (its columns ranked 613th and beyond by their best pairs). ~8 ms per function,
    1.2 s for the 144 functions of three inputs where none is exact, so ``gradient_fits`` tries
    it last, after every Q (tried first, it cost the roots' quadratic root its Q at 38 s of 60)."""
    d = X.shape[1]
    powers = list(itertools.product((-1, 0, 1), repeat=d))
    E = np.array([e for e in powers if any(e)] + powers, dtype=int)
    for F in _factors(d, functions):
        exact = [(rss, fit) for rss, fit in _null_fits(X, G, Xs, Gs, E, [None] * (len(powers) - 1) + [F] * len(powers))
                 if rss <= EXACT]
        if exact:
            return exact[:1]
    return []


def _factors(d: int, functions: tuple[str, ...]) -> list[Factor]:
    """The factor library's functions, each once, in its order (simplest first)."""
    return list(dict.fromkeys(factor_library(d, functions)[1]))


def _span_fits(Xs: np.ndarray, Gs: np.ndarray, EP: np.ndarray, H: np.ndarray, whole: np.ndarray,
               q: np.ndarray | None, factors: list[Factor | None] | None = None,
               before: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[float, Fit]]:
    """The near-null supports of the projected Gram matrix H, completed into fits (``before``:
    ``null_supports``').

    With Q = q, a law's P times any power of q is a null vector too (grad(q^k P) stays in the span
    of g and grad q), and such copies fill the selection's beams; a support that completes to no
    law is tried divided and multiplied by q (``SHIFTS``) where those monomials are in P's library."""
    found, seen = [], set()
    index = {tuple(e): k for k, e in enumerate(EP.tolist())} if q is not None and factors is None else {}
    supports = null_supports(H, whole, before=before)
    if before is not None:  # judged by the pencil, most states pass CANDIDATE: the best ones only
        supports = sorted(supports, key=lambda rs: rs[0])[:PENCIL_COMPLETED]
    for rss, support in supports:
        if rss > CANDIDATE or support in seen:
            continue  # only near-null supports are completed (and planted)
        seen.add(support)
        fit = _complete(Xs, Gs, EP, support, q, factors)
        if fit is not None:
            found.append((fit.rss, fit))
        for k in SHIFTS if index and (fit is None or fit.rss > EXACT) else ():
            shifted = tuple(sorted(index.get(tuple(int(x) for x in EP[j] - k * q), -1) for j in support))
            if shifted[0] >= 0 and shifted not in seen:
                seen.add(shifted)
                moved = _complete(Xs, Gs, EP, shifted, q, factors)
                if moved is not None:
                    found.append((moved.rss, moved))
                    if moved.rss <= EXACT:
                        break
    return found


def _without_q(grads: np.ndarray, along_g: np.ndarray, flat: np.ndarray, H0: np.ndarray, whole: np.ndarray,
               grad_q: np.ndarray, g_unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Gram matrix of the gradient columns without their parts along g and along v (grad q,
    (rows, d), without its part along the unit g), and ``whole`` with the columns of functions of
    q alone set to 0 (null whatever the law: their gradients are along grad q). ``grads``: the
    columns' gradients, (rows, L, d); ``along_g``: the same without g's part; ``flat``: that as
    (rows times coordinates, L), H0 = flat^T flat. A column that g and v explain but grad q alone
    does not is kept: a law's single term (p^2 c^2 of sqrt(p^2 c^2 + m^2 c^4) - m c^2 with q = m c^2).

    The rank-one update H0 - Z^T Z is exact algebra, but where v explains most of a column it
    cancels: the column keeps H0's round-off, ~1e-16 of it, which scaled to unit norm reads as
    correlations of any size (van der Waals in its groups: selection residuals down to -6.8, noise
    completed as candidates). Those few columns' rows of the matrix are recomputed from their
    projected gradients, which are orthogonal to v: their products with the other columns'
    gradients without g's part are their products with those without v's part too."""
    v = grad_q - np.sum(grad_q * g_unit, axis=1, keepdims=True) * g_unit
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-300)
    Z = np.einsum("rld,rd->rl", along_g, v)
    H = H0 - Z.T @ Z
    low = np.flatnonzero(np.diag(H) <= ROUNDED * np.diag(H0))
    if len(low):
        B = along_g[:, low, :] - Z[:, low, None] * v[:, None, :]
        B -= np.einsum("rkd,rd->rk", B, v)[:, :, None] * v[:, None, :]  # once more: orthogonal to rounding
        B = B.transpose(0, 2, 1).reshape(-1, len(low))
        exact = B.T @ flat
        exact[:, low] = B.T @ B
        H[low, :] = exact
        H[:, low] = exact.T
    alone = np.flatnonzero(np.diag(H) <= ALONG_Q * np.diag(H0))
    if len(alone):
        u = grad_q / np.maximum(np.linalg.norm(grad_q, axis=1, keepdims=True), 1e-300)
        raw = grads[:, alone, :]
        across = raw - np.einsum("rkd,rd->rk", raw, u)[:, :, None] * u[:, None, :]
        of_q = np.linalg.norm(across, axis=(0, 2)) <= PARALLEL * np.linalg.norm(raw, axis=(0, 2))
        alone = alone[of_q]
    kept = whole.copy()
    kept[alone] = 0.0
    return H, kept


def _plane_fits(Xs: np.ndarray, Gs: np.ndarray, X: np.ndarray, G: np.ndarray, EP: np.ndarray,
                q: np.ndarray, factors: list[Factor | None] | None = None,
                q_factor: Factor | None = None) -> list[tuple[float, Fit]]:
    """Fits f = (c + P) / (1 + b q) for two inputs (a law of two groups: every reduced problem of
    the group start). There the span of g and grad q is the plane and the projection of
    ``gradient_fits`` leaves nothing, so the condition is kept whole: grad f is parallel to
    (1 + b q) grad P - b (c + P) grad q, so with h the unit normal of g at each row,
    sum_k a_k (h.grad m_k) + sum_k (b a_k) (q h.grad m_k - m_k h.grad q) - (b c) h.grad q = 0,
    linear in (a, b a, b c). A support S of P is a law where the columns of S (two per monomial)
    and the constant's have a null vector whose two halves are proportional (the ratio is b).
    Pairs are tried exhaustively (from a normalised Gram matrix: the smallest eigenvalue of each
    5 x 5 block is the squared relative residual), triples grown from the best pairs.
    I.34.14's omega_0^2 (1 + v/c) / (1 - v/c) is such a law of two groups; with factors, so is
    II.35.21's z0 tanh(z0 / z1) = (z0 exp(2 z0 / z1) - z0) / (1 + exp(2 z0 / z1))."""
    C = _plane_columns(Xs, Gs, EP, q, factors, q_factor)[0]
    if not np.all(np.isfinite(C)):
        return []
    norms = np.linalg.norm(C, axis=0)
    L = len(EP)
    usable = np.flatnonzero((norms[:L] > 1e-12) & (norms[L:2 * L] > 1e-9 * norms[:L]))
    if norms[-1] <= 0 or len(usable) < 1:
        return []
    Cn = C / np.where(norms > 0, norms, 1.0)
    M = Cn.T @ Cn

    def smallest(supports: list[tuple[int, ...]]) -> np.ndarray:  # supports of one size
        idx = np.array([[*s, *(L + k for k in s), 2 * L] for s in supports])
        return np.linalg.eigvalsh(M[idx[:, :, None], idx[:, None, :]])[:, 0]

    singles = [(int(k),) for k in usable]
    pairs = [tuple(p) for p in itertools.combinations(usable.tolist(), 2)]
    supports = singles + pairs
    values = smallest(singles) if not pairs else np.concatenate([smallest(singles), smallest(pairs)])
    best_pairs = [pairs[i] for i in np.argsort(values[len(singles):])[:ANCHORS]]
    triples = sorted({tuple(sorted((*p, int(k)))) for p in best_pairs for k in usable if k not in p})
    if triples:
        supports += triples
        values = np.concatenate([values, smallest(triples)])
    out, seen = [], set()
    for i in np.argsort(values)[:4 * ANCHORS]:  # beyond ANCHORS: nulls of the linear condition that
        # are no law of the form (halves not proportional; with a function in Q, every pair m, m q)
        if values[i] > CANDIDATE or len(out) >= ANCHORS:
            break
        k = len(supports[i])
        idx = [*supports[i], *(L + j for j in supports[i]), 2 * L]
        v = np.linalg.eigh(M[np.ix_(idx, idx)])[1][:, 0] / np.where(norms[idx] > 0, norms[idx], 1.0)
        a, e = v[:k], v[k:2 * k]
        if a @ a <= 0 or np.linalg.norm(e - (a @ e / (a @ a)) * a) > 1e-3 * np.linalg.norm(e):
            continue  # the halves are not proportional here already (the completion asks 1e-6)
        fit = _plane_complete(X, G, EP, supports[i], q, factors, q_factor)
        if fit is not None and (fit.p, fit.p_factors) not in seen:
            seen.add((fit.p, fit.p_factors))
            out.append((fit.rss, fit))
    return out


def _sum_pairs(d: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """``_sum_fits``' two terms of L: monomials of degree one, x_i and 1 / x_i, both of the same
    sign first (sx + sy, 1 / m1 + 1 / m2); none with fewer than three inputs or more than SUM_INPUTS."""
    if not 3 <= d <= SUM_INPUTS:
        return []
    units = [*np.eye(d, dtype=int), *(-np.eye(d, dtype=int))]
    pairs = list(itertools.combinations(units, 2))
    return sorted(pairs, key=lambda ab: int(ab[0].sum() != ab[1].sum()))


def _sum_fits(Xs: np.ndarray, Gs: np.ndarray, EP: np.ndarray, first: np.ndarray, second: np.ndarray) -> list[tuple[float, Fit]]:
    """Laws whose L (Q, or a quadratic's linear coefficient) is a sum of two monomials, L = x^first
    + rho x^second, with three or more inputs: grad P lies in the span of g and grad L, i.e. the
    parts of grad P and grad L across g are parallel, their wedge vanishes. That is linear in P's
    coefficients r for each term: (A + rho B) r = 0, a pencil as in ``_plane_fits``: a support of
    P is a law where [A_S | B_S] has a null vector whose halves are proportional (the ratio is
    rho). P's supports are the singles and pairs of its SUM_P simplest monomials, all of them
    (the smallest eigenvalue of each normalised block), completed by ``_with_q``. The largest
    principal stress is the root of t^2 - (sx + sy) t = tau^2 - sx sy."""
    ER = EP[:SUM_P]
    L = len(ER)
    C, g_r, g_l = _sum_columns(Xs, Gs, ER, np.array([first, second]))
    norms = np.linalg.norm(C, axis=0)
    size_r, size_l = np.linalg.norm(g_r, axis=2), np.linalg.norm(g_l, axis=2)  # |u ^ v| <= |u| |v| per row
    bound = np.concatenate([np.linalg.norm(size_r * size_l[:, [0]], axis=0), np.linalg.norm(size_r * size_l[:, [1]], axis=0)])
    # a monomial of one term alone has a vanishing wedge with it: no law with a ratio
    usable = np.flatnonzero((norms[:L] > 1e-6 * bound[:L]) & (norms[L:] > 1e-6 * bound[L:]))
    if not np.all(np.isfinite(C)) or len(usable) < 1:
        return []
    Cn = C / np.where(norms > 0, norms, 1.0)
    M = Cn.T @ Cn
    found, seen = [], set()
    for k in (1, 2):
        supports = np.array(list(itertools.combinations(usable.tolist(), k))).reshape(-1, k)
        idx = np.hstack([supports, supports + L])
        blocks = M[idx[:, :, None], idx[:, None, :]]
        values = np.linalg.eigvalsh(blocks)[:, 0] if len(idx) else np.zeros(0)
        near = np.flatnonzero(values <= CANDIDATE)
        near = near[np.argsort(values[near])][:4 * ANCHORS]  # most are nulls of no law (halves not proportional)
        if not len(near):
            continue
        v = np.linalg.eigh(blocks[near])[1][:, :, 0] / norms[idx[near]]
        r, t = v[:, :k], v[:, k:]
        rho = np.sum(r * t, axis=1) / np.maximum(np.sum(r * r, axis=1), 1e-300)
        off = np.linalg.norm(t - rho[:, None] * r, axis=1) / np.maximum(np.linalg.norm(t, axis=1), 1e-300)
        for j in np.flatnonzero((off < 1e-3) & (np.abs(rho) > 1e-9) & (np.abs(rho) < 1e9)):
            support = tuple(supports[near[j]].tolist())
            if support not in seen:
                seen.add(support)
                fit = _sum_complete(Xs, Gs, ER[list(support)], np.array([first, second]))
                found += [] if fit is None else [(fit.rss, fit)]
    return found


def _sum_columns(X: np.ndarray, G: np.ndarray, E: np.ndarray, Q: np.ndarray) -> tuple[np.ndarray, ...]:
    """The pencil's columns [A | B]: the wedges of the terms x^E's gradients with each of L's two
    terms x^Q_0, x^Q_1, all without their parts along g; then those projected gradients."""
    g_p, g_l = project(_gradients(X, E), [G]), project(_gradients(X, Q), [G])
    return np.hstack([_wedge(g_p, g_l[:, 0]), _wedge(g_p, g_l[:, 1])]), g_p, g_l


def _wedge(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The wedge products u_k ^ v at each row, components u_i v_j - u_j v_i (i < j), as columns
    (rows times components, k): zero exactly where u_k is parallel to v (u: (rows, k, d), v: (rows, d))."""
    i, j = np.triu_indices(u.shape[2], 1)
    w = u[:, :, i] * v[:, None, j] - u[:, :, j] * v[:, None, i]
    return w.transpose(0, 2, 1).reshape(-1, u.shape[1])


def _sum_complete(X: np.ndarray, G: np.ndarray, E: np.ndarray, Q: np.ndarray) -> Fit | None:
    """``_sum_fits``' null vector on all rows given, read as P's coefficients r and rho, completed
    by ``_with_q`` with L = x^Q_0 + rho x^Q_1; None where its halves are not proportional or P does
    not use a term (that smaller support is tried on its own)."""
    C = _sum_columns(X, G, E, Q)[0]
    scale = np.linalg.norm(C, axis=0)
    if not np.all(np.isfinite(C)) or np.any(scale <= 0):
        return None
    v = np.linalg.svd(C / scale, full_matrices=False)[2][-1] / scale
    k = len(E)
    r, s = v[:k], v[k:]
    rho = float(r @ s / (r @ r))
    if not np.isfinite(rho) or abs(rho) < 1e-9 or np.linalg.norm(s - rho * r) > 1e-6 * np.linalg.norm(s):
        return None
    r = r / r[np.argmax(np.abs(r))]
    if np.any(np.abs(r) < 1e-9):
        return None
    return _with_q(X, G, E, r, _gradients(X, E), Q, np.array([1.0, rho]))


def _plane_roots(Xs: np.ndarray, Gs: np.ndarray, X: np.ndarray, G: np.ndarray, EP: np.ndarray,
                 q: np.ndarray) -> list[tuple[float, Fit]]:
    """Roots t of t^2 + B q t = C + B m for one monomial m, with two inputs (where ``_quadratic``'s
    span is the plane): from the quadratic, grad t is parallel to grad m - t grad q, so with h the
    unit normal of g, t = h.grad m / h.grad q at each row, and (h.grad m)^2 = C (h.grad q)^2 +
    B (m (h.grad q)^2 - q h.grad m h.grad q) is linear in (C, B): every m at once for this q (a
    2 x 2 solve each), m a function of q left out (t = 2q solves (t - 2q)^2 = 0 for m = q^2).
    Those within CANDIDATE are solved again on all rows and kept where the root's gradient
    matches (``_root_fit``). Weak acid, (-K + sqrt(K^2 + 4 K c0)) / 2, is t^2 + K t = K c0."""
    h = np.column_stack([-Gs[:, 1], Gs[:, 0]])
    hm = np.einsum("rld,rd->rl", _gradients(Xs, EP), h)
    hq = np.sum(_gradients(Xs, q[None, :])[:, 0, :] * h, axis=1)[:, None]
    A1, A2, Y = _root_rows(hm, hq, monomials(Xs, EP), monomials(Xs, q[None, :]))
    with np.errstate(all="ignore"):
        s11, s12, s22 = np.sum(A1 * A1, axis=0), np.sum(A1 * A2, axis=0), np.sum(A2 * A2, axis=0)
        b1, b2 = np.sum(A1 * Y, axis=0), np.sum(A2 * Y, axis=0)
        det = s11 * s22 - s12**2
        C, B = (s22 * b1 - s12 * b2) / det, (s11 * b2 - s12 * b1) / det
        left = np.sum((Y - C * A1 - B * A2) ** 2, axis=0) / np.sum(Y**2, axis=0)
    of_q = EP[:, 0] * q[1] - EP[:, 1] * q[0] == 0
    left = np.where(np.isfinite(left) & ~of_q & (np.abs(B) > 1e-9), left, np.inf)
    out = []
    for k in np.argsort(left)[:ANCHORS]:
        if left[k] > CANDIDATE:
            break
        fit = _root_fit(X, G, EP[k], q)
        if fit is not None:
            out.append((fit.rss, fit))
    return out


def _root_rows(hm: np.ndarray, hq: np.ndarray, m: np.ndarray, qv: np.ndarray) -> tuple[np.ndarray, ...]:
    """The columns of C and B and the target of (h.grad m)^2 = C (h.grad q)^2 + B (m (h.grad q)^2 -
    q h.grad m h.grad q), each row weighted (its equation is homogeneous: any weight keeps a law
    exact) so that no row's scale dominates; arrays broadcast (one m or many)."""
    with np.errstate(all="ignore"):
        w = 1.0 / (hm**2 + hq**2 * (1.0 + m**2 + qv**2))
        return hq**2 * w, (m * hq**2 - qv * hm * hq) * w, hm**2 * w


def _root_fit(X: np.ndarray, G: np.ndarray, e: np.ndarray, q: np.ndarray) -> Fit | None:
    """``_plane_roots``' C and B for the monomial x^e on all rows (least squares), then the root of
    the side whose gradient is nearer G (None where the discriminant is not positive everywhere)."""
    h = np.column_stack([-G[:, 1], G[:, 0]])
    E = np.array([e, q])
    grads = _gradients(X, E)
    hm, hq = np.sum(grads[:, 0, :] * h, axis=1), np.sum(grads[:, 1, :] * h, axis=1)
    m, qv = monomials(X, E).T
    A1, A2, Y = _root_rows(hm, hq, m, qv)
    with np.errstate(all="ignore"):
        (C, B), *_ = np.linalg.lstsq(np.column_stack([A1, A2]), Y, rcond=None)
        discriminant = 0.25 * B * B * qv * qv + C + B * m
    if not (np.isfinite(B) and np.isfinite(C)) or abs(B) < 1e-12 or not np.all(discriminant > 0):
        return None
    fits = []
    for sign in (1.0, -1.0):
        t = -0.5 * B * qv + sign * np.sqrt(discriminant)
        fits.append(Fit(p=(tuple(int(x) for x in e),), p_coefs=(float(B),), p_factors=(None,), intercept=float(C),
                        q=(tuple(int(x) for x in q),), q_coefs=(float(B),),
                        rss=misalignment(grads[:, 0, :] - t[:, None] * grads[:, 1, :], G), root_sign=sign))
    return min(fits, key=lambda fit: fit.rss)


def _plane_columns(X: np.ndarray, G: np.ndarray, E: np.ndarray, q: np.ndarray,
                   factors: list[Factor | None] | None = None, q_factor: Factor | None = None) -> tuple[np.ndarray, ...]:
    """The columns [h.grad m_k | q h.grad m_k - m_k h.grad q | -h.grad q] of ``_plane_fits``, then
    the terms' gradients, grad q, the terms, q and G at each row used (terms: monomials [* factor])."""
    factors = [None] * len(E) if factors is None else factors
    if q_factor is not None and q_factor.function == "exp":  # rows where exp has saturated what it
        # divides (tanh u = 1 - 1e-11) hold the law only to rounding: the rows within Q_RANGE of its least
        qv = q_factor.values(X)
        rows = np.isfinite(qv) & (qv <= Q_RANGE * np.min(np.where(np.isfinite(qv), qv, np.inf)))
        X, G = X[rows], G[rows]
    h = np.column_stack([-G[:, 1], G[:, 0]])
    # (no spread limit: one function at a time, no Gram matrix of thousands of terms to crowd;
    # tanh(z0 / z1) of II.35.21 takes exp(2 z0 / z1) over 27 units)
    grads = term_gradients(X, E, factors, np.inf)
    qg = term_gradients(X, q[None, :], [q_factor], np.inf)[:, 0, :]
    m, qv = p_values(X, E, factors), p_values(X, q[None, :], [q_factor])[:, 0]
    with np.errstate(all="ignore"):
        alpha = np.einsum("rld,rd->rl", grads, h)
        side = np.sum(qg * h, axis=1)
        C = np.column_stack([alpha, qv[:, None] * alpha - m * side[:, None], -side])
        C /= 1.0 + np.abs(qv)[:, None]  # each row's condition is homogeneous: rows where q is large
        # (exp(2 u) of a saturated tanh u: 1e11) would otherwise be all the columns hold
    return C, grads, qg, m, qv, G


def _plane_complete(X: np.ndarray, G: np.ndarray, EP: np.ndarray, support: tuple[int, ...],
                    q: np.ndarray, factors: list[Factor | None] | None = None,
                    q_factor: Factor | None = None) -> Fit | None:
    """The null vector of ``_plane_fits``'s columns on ``support`` over all rows, read as a, b, c;
    None where its halves are not proportional (no b) or b is 0 (P alone: found without Q)."""
    E = EP[list(support)]
    F = [None] * len(E) if factors is None else [factors[j] for j in support]
    C, grads, qg, m, qv, G_used = _plane_columns(X, G, E, q, F, q_factor)
    if not np.all(np.isfinite(C)):
        return None
    scale = np.linalg.norm(C, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    _, _, vt = np.linalg.svd(C / scale, full_matrices=False)
    v = vt[-1] / scale
    k = len(support)
    a, e, bc = v[:k], v[k:2 * k], v[-1]
    b = float(a @ e / (a @ a)) if a @ a > 0 else 0.0
    if not np.isfinite(b) or abs(b) < 1e-12 or np.linalg.norm(e - b * a) > 1e-6 * np.linalg.norm(e):
        return None
    top = float(a[np.argmax(np.abs(a))])
    if np.any(np.abs(a) < 1e-9 * abs(top)):  # a monomial the null vector does not use: the support without it
        keep = tuple(j for j, x in zip(support, a) if abs(x) >= 1e-9 * abs(top))
        return _plane_complete(X, G, EP, keep, q, factors, q_factor)
    a, c = a / top, float(bc / b) / top
    grad_f = (1 + b * qv)[:, None] * np.einsum("rkd,k->rd", grads, a) - (b * (c + m @ a))[:, None] * qg
    return Fit(p=tuple(tuple(int(x) for x in row) for row in E), p_coefs=tuple(float(x) for x in a),
               p_factors=tuple(F), intercept=c, q=(tuple(int(x) for x in q),), q_coefs=(b,),
               rss=misalignment(grad_f, G_used), q_factors=(q_factor,))


def _simplest(E: np.ndarray, limit: int) -> np.ndarray:
    """The ``limit`` monomials of lowest degree (then fewest inputs, products first): a small
    library must reach q/(epsilon r) before omega^4/c^2."""
    key = np.lexsort([np.sum(E < 0, axis=1), np.count_nonzero(E, axis=1), np.abs(E).sum(axis=1)])
    return E[key[:limit]]


def _gradients(X: np.ndarray, E: np.ndarray) -> np.ndarray:
    """d x^e / d x_i = e_i x^e / x_i, as (rows, monomials, d); zero where not finite."""
    with np.errstate(all="ignore"):
        out = monomials(X, E)[:, :, None] * E[None, :, :] / X[:, None, :]
    return np.where(np.isfinite(out), out, 0.0)


def start_functions(options: Options) -> tuple[str, ...]:
    """The functions the starts may write: sin, cos and exp, where they are operators."""
    return tuple(f for f in ("sin", "cos", "exp") if options.operator(f) is not None)


def _shapes(functions: tuple[str, ...]) -> list[tuple[str, int, float]]:
    """(function, power, sign of the scale) of a factor term: sin and cos, each squared too, and
    exp of plus and minus its argument."""
    shapes = [(f, k, 1.0) for f in ("sin", "cos") if f in functions for k in (1, 2)]
    return shapes + [("exp", 1, sign) for sign in (1.0, -1.0) if "exp" in functions]


def arguments(d: int) -> list[tuple[str, int, int]]:
    """The functions' arguments: each input, each ratio and each product of two."""
    return ([("var", i, -1) for i in range(d)] + [("ratio", i, j) for i, j in itertools.permutations(range(d), 2)]
            + [("product", i, j) for i, j in itertools.combinations(range(d), 2)])


def factor_library(d: int, functions: tuple[str, ...]) -> tuple[np.ndarray, list[Factor]]:
    """P's terms with a function: monomials (up to two inputs, FACTOR_DEGREE) times sin, cos (each
    also squared where a monomial multiplies it) or exp (of +-) an input, a ratio or a product of
    two, scaled by FACTOR_SCALES; simplest first (functions of an input or at scale 1, smaller
    monomials, scale 1, inputs before ratios), at most FACTOR_LIMIT. Built once per (d, functions):
    the sort of ~20,000 terms took 0.2 s of each dataset's P alone."""
    E, factors = _factor_library(d, functions)
    return E.copy(), list(factors)


@functools.lru_cache(maxsize=16)
def _factor_library(d: int, functions: tuple[str, ...]) -> tuple[np.ndarray, tuple[Factor, ...]]:
    """``factor_library``'s terms (kept: callers get copies)."""
    scales = [np.zeros(d, dtype=int), *exponents(d, 2, FACTOR_DEGREE, 10**6, FACTOR_DEGREE)]
    terms = [(e, Factor(f, a, k, sign * s)) for s in FACTOR_SCALES
             for a in arguments(d) for e in scales for f, k, sign in _shapes(functions)
             if k == 1 or np.any(e)]  # alone, sin^2 a, cos^2 a and cos 2a
    # have proportional gradients (their sums are constants), which would crowd out the pairs
    rank = {s: i for i, s in enumerate(FACTOR_SCALES)}
    kinds = {"var": 0, "ratio": 1, "product": 2}
    terms.sort(key=lambda t: (t[1].argument[0] != "var" and abs(t[1].scale) != 1.0, int(np.abs(t[0]).sum()) > 2,
                              rank[abs(t[1].scale)], kinds[t[1].argument[0]]))
    terms = _without_identities(terms)[:FACTOR_LIMIT]
    return np.array([e for e, _ in terms], dtype=int).reshape(-1, d), tuple(f for _, f in terms)


def _without_identities(terms: list[tuple[np.ndarray, Factor]]) -> list[tuple[np.ndarray, Factor]]:
    """The terms without those equal to an earlier one up to the monomial alone: with m in P's
    library, m cos^2 a = m - m sin^2 a and m cos 2a = m - 2 m sin^2 a, so the three are one column
    and each pair with m an exact null vector of no law (the beams of Klein-Nishina's reduced law
    filled with them). Of each class (a monomial, an argument, the angle whose sin^2 it is) the
    first is kept: cos a before sin^2(a / 2), sin^2 a before cos 2a and cos^2 a."""
    seen, out = set(), []
    for e, f in terms:
        if f.function != "exp" and (f.power == 2 or f.function == "cos"):
            powers = tuple(e.tolist())
            key = (powers, f.argument, round(abs(f.scale) / (1 if f.power == 2 else 2), 12))
            if any(powers) and key in seen:
                continue
            seen.add(key)
        out.append((e, f))
    return out


def turning_law(z: np.ndarray, signs: np.ndarray, functions: tuple[str, ...]) -> tuple[tuple[int], Factor] | None:
    """For a law of one group z whose slope changes sign (signs: of df/dz per row), the simplest
    z^p * F(scale z) (F among sin, cos, their squares and exp of +-) whose slope changes sign where
    the gradients do; None if none does. A law of one variable is known only up to a monotone
    function, but where it turns, the turns fix it: sin(E t / hbar)^2 turns at multiples of
    pi hbar / (2 E t)."""
    X = z[:, None]
    for p in (0, 1, -1, 2, -2, 3, -3):
        for s in FACTOR_SCALES:
            for f, k, sign in _shapes(functions):
                factor = Factor(f, ("var", 0, -1), k, sign * s)
                slope = term_gradients(X, np.array([[p]]), [factor], np.inf)[:, 0, 0]
                clear = np.abs(slope) > 1e-6 * np.max(np.abs(slope))  # away from the turns themselves
                if np.any(slope) and clear.sum() > len(z) // 2 and abs(np.mean(np.sign(slope[clear]) * signs[clear])) == 1.0:
                    return (p,), factor
    return None


def term_gradients(X: np.ndarray, E: np.ndarray, factors: list[Factor | None],
                   spread: float = EXP_SPREAD) -> np.ndarray:
    """Gradients of P's terms x^e [* factor] as (rows, terms, d): the product rule over
    ``_gradients``; a term whose factor is not finite on some row, or is an exp whose argument
    spans more than ``spread``, is zeroed."""
    grads = _gradients(X, E)
    if all(f is None for f in factors):
        return grads
    m = monomials(X, E)
    cache: dict[Factor, tuple[np.ndarray, np.ndarray]] = {}
    for k, f in enumerate(factors):
        if f is None:
            continue
        if f not in cache:
            cache[f] = (f.values(X), f.gradient(X))
            if f.function == "exp" and not np.ptp(np.log(np.abs(cache[f][0]) + 1e-300)) <= spread:
                cache[f] = (cache[f][0], np.full_like(cache[f][1], np.nan))  # left out (and no overflow)
        F, dF = cache[f]
        with np.errstate(all="ignore"):
            column = grads[:, k, :] * F[:, None] + m[:, k, None] * dF
        grads[:, k, :] = column if np.all(np.isfinite(column)) else 0.0
    return grads


def project(grads: np.ndarray, spans: list[np.ndarray]) -> np.ndarray:
    """Each row's gradients with their components along the row's span vectors removed
    (Gram-Schmidt per row); (rows, L, d)."""
    out = grads.copy()
    basis: list[np.ndarray] = []
    for v in spans:
        v = v.copy()
        for u in basis:
            v -= np.sum(v * u, axis=1, keepdims=True) * u
        norm = np.linalg.norm(v, axis=1, keepdims=True)
        v = np.where(norm > 1e-12, v / np.where(norm > 1e-12, norm, 1.0), 0.0)
        basis.append(v)
        out -= np.einsum("rl,rd->rld", np.einsum("rld,rd->rl", out, v), v)
    return out


def alone_columns(H: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """Columns that are laws on their own: parallel to the target, so their projected norm (from
    the Gram matrix H) is ~0 against ``whole``, their norm before projection (0: no law)."""
    return (whole > 0) & (np.sqrt(np.maximum(np.diag(H), 0.0)) <= 1e-9 * whole)


def null_supports(H: np.ndarray, whole: np.ndarray, steps: int = STEPS,
                  before: tuple[np.ndarray, np.ndarray] | None = None) -> list[tuple[float, tuple[int, ...]]]:
    """Supports S with sum over S of a_k projected_k ~ 0, from the Gram matrix H of the projected
    gradient columns (relative residuals, anchor included); ``whole``: each column's norm before
    projection (a monomial whose gradient vanishes is no law). The forward selections start from
    the ``ANCHORS`` columns with the best pairs. With ``before`` (the columns' Gram matrix before
    the projection, and which columns are peaked), pairs and states are judged by the share of
    their combination the projection leaves (``forward_select``'s ``raw``), from PENCIL_ANCHORS:
    near-duplicate functions of the factor library (z^-3 and z^-3 exp(z / 2)), nearly null after
    the projection because their difference nearly vanishes before it, rank last. Columns peaked
    on one row (more than PEAKED of their norm^2 there: beta^-3 where beta comes near 0) correlate
    with each other to rounding, and are not anchors."""
    norms = np.sqrt(np.maximum(np.diag(H), 0.0))
    single = alone_columns(H, whole)
    out = [(0.0, (int(k),)) for k in np.flatnonzero(single)]  # a monomial alone
    usable = np.flatnonzero((whole > 0) & ~single)
    if len(usable) < 2:
        return out
    H = H[np.ix_(usable, usable)]
    H /= norms[usable][:, None]  # in place: with factor terms H has ~10^7 entries
    H /= norms[usable][None, :]
    M = None
    if before is None:
        # pairs: each anchor against its best partner, all at once
        # (the largest |correlation| from the largest and the smallest entry: squaring all of H costs
        # more than the search's Gram matrix, its tiny entries being subnormal)
        np.fill_diagonal(H, 0.0)
        high, low = H.argmax(axis=1), H.argmin(axis=1)
        at = np.arange(len(usable))
        partner = np.where(H[at, high] >= -H[at, low], high, low)
        pair_rss = 1.0 - H[at, partner] ** 2
        np.fill_diagonal(H, 1.0)
    else:
        M = before[0][np.ix_(usable, usable)]
        M /= norms[usable][:, None]
        M /= norms[usable][None, :]
        partner, pair_rss = _pencil_pairs(H, M)
        pair_rss[before[1][usable]] = np.inf
    for a in np.argsort(pair_rss)[:ANCHORS if before is None else PENCIL_ANCHORS]:
        out.append((float(pair_rss[a]), tuple(sorted((int(usable[a]), int(usable[partner[a]]))))))
        others = np.delete(np.arange(len(usable)), a)
        for rss, support in forward_select(H, H[:, a], others, (), steps, BEAM,
                                           raw=None if M is None else (M, M[:, a], float(M[a, a]))):
            out.append((float(rss), tuple(sorted((int(usable[a]), *(int(usable[j]) for j in support))))))
    return out


def _pencil_pairs(H: np.ndarray, M: np.ndarray, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Each column's best partner and that pair's share left by the projection: (1 - rho^2) over
    the norm^2 before it of u_a - rho u_b (H: unit projected Gram matrix, M: the same columns'
    Gram matrix before the projection, same scaling). In blocks of rows: with factor terms H has
    ~10^7 entries."""
    L = len(H)
    diagonal = M.diagonal().copy()
    partner, share = np.zeros(L, dtype=int), np.ones(L)
    for start in range(0, L, block):
        rows = np.arange(start, min(L, start + block))
        rho = H[rows]
        before = diagonal[rows, None] - 2 * rho * M[rows] + rho**2 * diagonal[None, :]
        ratio = np.where(before > 1e-12 * diagonal[rows, None], (1.0 - rho**2) / np.maximum(before, 1e-300), 1.0)
        ratio[np.arange(len(rows)), rows] = 1.0
        partner[rows] = ratio.argmin(axis=1)
        share[rows] = ratio[np.arange(len(rows)), partner[rows]]
    return partner, share


def _complete(X: np.ndarray, G: np.ndarray, EP: np.ndarray, support: tuple[int, ...],
              q: np.ndarray | None, factors: list[Factor | None] | None = None) -> Fit | None:
    """P's coefficients (null vector of the projected gradients on ``support``), then P's constant
    and b from the per-row coefficient of grad q; its ``rss`` is the fit's own misalignment with
    G (the projection is necessary, not sufficient: grad P in the span of g and grad q holds for
    any P of q alone)."""
    E = EP[list(support)]
    F = [None] * len(E) if factors is None else [factors[k] for k in support]
    if len({(tuple(e), f) for e, f in zip(E, F)}) < len(E) or (not np.any(E) and all(f is None for f in F)):
        return None
    grads = term_gradients(X, E, F)  # (rows, k, d)
    spans = [G] if q is None else [G, _gradients(X, q[None, :])[:, 0, :]]
    W = project(grads, spans).transpose(0, 2, 1).reshape(-1, len(support))
    scale = np.linalg.norm(W, axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    _, _, vt = np.linalg.svd(W / scale, full_matrices=False)
    a = vt[-1] / scale
    a = a / a[np.argmax(np.abs(a))]
    if np.any(np.abs(a) < 1e-9):  # a term the null vector does not use: the support without it
        keep = tuple(k for k, c in zip(support, a) if abs(c) >= 1e-9)
        return _complete(X, G, EP, keep, q, factors) if keep else None
    if q is None:
        return Fit(p=tuple(tuple(int(x) for x in e) for e in E), p_coefs=tuple(float(c) for c in a),
                   p_factors=tuple(F), intercept=0.0, q=(), q_coefs=(),
                   rss=misalignment(np.einsum("rkd,k->rd", grads, a), G))
    return _with_q(X, G, E, a, grads, q[None, :], np.ones(1))


def _with_q(X: np.ndarray, G: np.ndarray, E: np.ndarray, a: np.ndarray, grads: np.ndarray,
            Q: np.ndarray, w: np.ndarray) -> Fit | None:
    """P = sum a_k x^E_k (``grads`` its terms' gradients) whose gradient lies in the span of g and
    grad L, L = sum w_j x^Q_j (one monomial, or ``_sum_fits``' two): P's constant and b of
    (c + P) / (1 + b L) from the per-row coefficient of grad L, else the root of a quadratic."""
    grad_P = np.einsum("rkd,k->rd", grads, a)
    P = monomials(X, E) @ a
    qv = monomials(X, Q) @ w
    gq = np.einsum("rkd,k->rd", _gradients(X, Q), w)
    # grad P = mu g + nu grad L at each row: the 2 x 2 normal equations, solved for nu
    gg, gk, kk = np.sum(G * G, axis=1), np.sum(G * gq, axis=1), np.sum(gq * gq, axis=1)
    gp, kp = np.sum(G * grad_P, axis=1), np.sum(gq * grad_P, axis=1)
    det = gg * kk - gk**2
    nu = np.where(np.abs(det) > 1e-300, (gg * kp - gk * gp) / np.where(np.abs(det) > 1e-300, det, 1.0), 0.0)
    # nu = f b with f = (c + P) / (1 + b L): nu = b c + b (P - nu L), linear in (b c, b)
    A = np.column_stack([np.ones(len(X)), P - nu * qv])
    (bc, b), *_ = np.linalg.lstsq(A, nu, rcond=None)
    if not np.isfinite(b) or abs(b) < 1e-12:
        return _quadratic(A, nu, P, qv, grad_P, gq, G, E, a, Q, w)
    if len(Q) == 1 and np.min(np.abs(b * qv)) > 1e8:  # 1 + b q is b q to rounding: the law is P / q, without Q
        return _complete(X, G, E - Q, tuple(range(len(E))), None)
    c = bc / b
    grad_f = (1 + b * qv)[:, None] * grad_P - (b * (c + P))[:, None] * gq  # times (1 + b L)^2
    fit = Fit(p=tuple(tuple(int(x) for x in e) for e in E), p_coefs=tuple(float(c) for c in a),
              p_factors=(None,) * len(a), intercept=float(c), q=tuple(tuple(int(x) for x in e) for e in Q),
              q_coefs=tuple(float(b * x) for x in w), rss=misalignment(grad_f, G))
    if fit.rss <= EXACT:
        return fit
    quadratic = _quadratic(A, nu, P, qv, grad_P, gq, G, E, a, Q, w)  # only where the rational law misses
    return quadratic if quadratic is not None and quadratic.rss < fit.rss else fit


def _quadratic(A: np.ndarray, nu: np.ndarray, P: np.ndarray, qv: np.ndarray, grad_P: np.ndarray, gq: np.ndarray,
               G: np.ndarray, E: np.ndarray, a: np.ndarray, Q: np.ndarray, w: np.ndarray) -> Fit | None:
    """The law as a root of a quadratic, t^2 + B L t = C + B P (quadratic_start.py), from the same
    span: there grad P's coefficient of grad L is t itself up to a constant factor, and
    nu^2 = C + B (P - nu L) is linear in (C, B) as the rational law's nu is in (b c, b). Its
    misalignment is that of grad P - t grad L, t the fitted root on the side nu keeps (None where
    the discriminant or that side is not kept on every row)."""
    (C, B), *_ = np.linalg.lstsq(A, nu * nu, rcond=None)
    if not (np.isfinite(B) and np.isfinite(C)) or abs(B) < 1e-12:
        return None
    discriminant = 0.25 * B * B * qv * qv + C + B * P
    side = nu + 0.5 * B * qv
    if not (np.all(discriminant > 0) and (np.all(side > 0) or np.all(side < 0))):
        return None
    sign = float(np.sign(side[0]))
    t = -0.5 * B * qv + sign * np.sqrt(discriminant)
    return Fit(p=tuple(tuple(int(x) for x in e) for e in E), p_coefs=tuple(float(B * c) for c in a),
               p_factors=(None,) * len(E), intercept=float(C), q=tuple(tuple(int(x) for x in e) for e in Q),
               q_coefs=tuple(float(B * x) for x in w), rss=misalignment(grad_P - t[:, None] * gq, G), root_sign=sign)


def misalignment(grad_f: np.ndarray, G: np.ndarray) -> float:
    """Mean 1 - cos^2 between the rows of grad f and of G (1 where grad f vanishes)."""
    dot = np.sum(grad_f * G, axis=1) ** 2
    norms = np.sum(grad_f**2, axis=1) * np.sum(G**2, axis=1)
    cos2 = np.where(norms > 0, dot / np.where(norms > 0, norms, 1.0), 0.0)
    return float(np.mean(1.0 - cos2))


def node_misalignment(node: Node, data: Dataset) -> float:
    """Mean sin^2 between an expression's gradients and the data's targets (1 where either vanishes),
    from the gradients' parts off the targets. ``misalignment``'s 1 - cos^2 (like the objective's
    2 - 2 |mean cos|) cancels to +-1e-16 near 1, where a stand-in 1e-18 off the law and the law
    (~1e-30) look alike; the fits' EXACT was set on that scale, so they keep it."""
    _, grad = evaluate_with_gradient(node, data.columns)
    H, G = np.zeros((data.n, data.d)), data.gradients
    for k, column in grad.items():
        H[:, k] = column
    g2, h2 = np.sum(G * G, axis=1), np.sum(H * H, axis=1)
    ok = (g2 > 0) & (h2 > 0) & np.isfinite(h2)
    off = H - (np.sum(H * G, axis=1) / np.where(ok, g2, 1.0))[:, None] * G
    return float(np.mean(np.where(ok, np.sum(off * off, axis=1) / np.where(ok, h2, 1.0), 1.0)))


def whole_node(fit: Fit, ctx: SearchContext) -> Node | None:
    """The fit as one term: a sum P alone is written as its common monomial factor times the rest
    (1/(epsilon Ef) * (1/(n alpha) - 1/3)), since a sum would be split into terms whose
    coefficients the objective solves again, and that solve can miss the exact combination (it
    pruned 1/(epsilon Ef) from II.11.27's law). P / (1 + Q) is one term already."""
    if fit.q or len(fit.p) < 2:
        return fit_node(fit, ctx)
    E = np.array(fit.p)
    common = np.where(np.all(E > 0, axis=0), E.min(axis=0), np.where(np.all(E < 0, axis=0), E.max(axis=0), 0))
    factor = monomial_node(tuple(int(c) for c in common), ctx) if np.any(common) else None
    shifted = [(tuple(int(x) for x in e - common), f, a) for e, f, a in zip(E, fit.p_factors, fit.p_coefs)]
    terms = [(e, f, a) for e, f, a in shifted if any(e) or f is not None]
    rest = fit_node(replace(fit, p=tuple(e for e, _, _ in terms), p_coefs=tuple(a for _, _, a in terms),
                            p_factors=tuple(f for _, f, _ in terms),
                            intercept=fit.intercept + sum(a for e, f, a in shifted if not any(e) and f is None)), ctx)
    times = ctx.options.operator("*")
    if factor is None or rest is None or times is None:
        return fit_node(fit, ctx)
    return Node.binary(times, factor, rest)


def _root(fit: Fit, ctx: SearchContext) -> Node | None:
    """R / sqrt(+-(1 + Q)) for a fit P / (1 + Q) whose |P| is R^2 for a sparse polynomial R (the
    regression start's ``root_of_numerator``) and whose 1 + Q keeps one sign: the root of |f|,
    the same law up to an invertible function. Laws with a Lorentz factor come out squared, and
    squared they can be over maxsize: I.15.3t's f^2 / 2 is (x t / u - x^2 / (2 c^2) - c^2 t^2 /
    (2 u^2)) / (1 - c^2 / u^2), 32 nodes; its root (c t / u - x / c) / sqrt(c^2 / u^2 - 1) fits."""
    X = ctx.data.X
    if any(f is not None for f in fit.q_factors):
        return None  # (a function in Q: no such law has come out squared)
    q = 1.0 + monomials(X, np.array(fit.q, dtype=int).reshape(-1, X.shape[1])) @ np.array(fit.q_coefs)
    if ctx.options.operator("sqrt") is None or not (np.all(q > 0) or np.all(q < 0)):
        return None
    root = root_of_numerator(fit, X, None)
    return None if root is None else root_node(fit, root, float(np.sign(q[0])), ctx)


def applies(ctx: SearchContext) -> bool:
    """Whether the gradient starts (this one, product_start's) apply to the search."""
    o, data = ctx.options, ctx.data
    return (o.objective == "gradient" and o.rational_start > 0 and data.gradient_columns is not None
            and o.n_concepts == 1 and data.projector is None and 2 <= data.d <= MAX_INPUTS
            and o.operator("*") is not None and o.operator("/") is not None and o.linear)


def gradient_rational_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """("gradients", members planted from the best fits); empty when the start does not apply."""
    if not applies(ctx):
        return []
    o, data = ctx.options, ctx.data
    from latentlaw.symbolic.separable_start import separable_laws  # it fits with this module's start

    stop = share_of(deadline, o.rational_start)
    functions = start_functions(o)
    seeds: list[PopMember] = []
    started = time.perf_counter()
    fits = gradient_fits(data.X, data.gradients, stop, with_q=False, functions=functions)
    if stop is not None and deadline is not None:  # P alone (once per dataset: kept) does not count
        # against the Qs' share: its pencil made it 0.5 s longer, and a quadratic root's Q (the 16th of
        # three inputs, 0.7 s in) had less than 1 s to spare in it
        stop = min(deadline, stop + time.perf_counter() - started)
    if not any(fit.rss <= EXACT for fit in fits):
        fits = gradient_fits(data.X, data.gradients, stop, functions=functions)
    if not any(fit.rss <= EXACT for fit in fits):  # then one input set apart (its likeliest whatever the time)
        for law in separable_laws(ctx, stop):
            member = seed_member([law], ctx)
            seeds += [] if member is None else [member]
    for fit in fits:
        if fit.root_sign:  # a root of a quadratic, written as one
            found = quadratic_start.root(fit, data.X, quadratic_start.fitted_root(fit, data.X))
            member = None if found is None else quadratic_start.root_member(found, ctx)
        else:
            node = whole_node(fit, ctx)
            member = None if node is None else seed_member([node], ctx)
            if member is None and fit.rss <= EXACT:  # an exact law over maxsize: its root, if shorter
                root = _root(fit, ctx)
                member = None if root is None else seed_member([root], ctx)
            if member is None and fit.rss <= EXACT and node is not None:  # else sympy's shorter form
                shorter = compact(node, o)
                member = None if shorter is None else seed_member([shorter], ctx)
        if member is not None:
            seeds.append(member)
        if len(seeds) >= MAX_SEEDS:
            break
    return [("gradients", seeds)]
