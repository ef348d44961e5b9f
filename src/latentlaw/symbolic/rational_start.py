"""Starting members for a regression: sparse rational laws t = P / (1 + Q) over monomials, t = y,
y^2, and y / x^M over the inputs outside a monomial factor x^M of y (``separated_monomial``;
or y^2 / x^M where x^M is y^2's, with odd powers), x^M times sines or cosines of single inputs
where y has such factors too (``periodic_factors``).

Sums inside quotients are what evolution assembles worst: (u + v) / (1 + u v / c^2),
pr V / (gamma - 1), n alpha / (1 - n alpha / 3), or m / sqrt(1 - v^2 / c^2) (a quotient of sums in
y^2) are each one term of a dozen nodes whose every piece must be right at once, and a linear
solve over terms cannot split them. Multiplied out they are linear: t (1 + Q) = P, i.e.
t = P - t Q, a linear model over the columns p_k(x) and t q_j(x) (SINDy-PI's implicit form,
Kaheman et al. 2020). Here P is an intercept plus monomials of the inputs (up to ``P_VARIABLES``
of them; powers -2..2, up to 4 in monomials of one or two inputs) and, with no Q, also logs of
positive inputs and of their ratios times simple monomials (n kb T log(V2 / V1)); Q is at most one
monomial (``Q_VARIABLES``). Q monomials are tried in turn, the simplest and the most promising
alternately; for each, a beam of forward selection picks P's few terms in the Gram matrix of the
unit-scaled columns on ``START_ROWS`` rows (a few small solves per step), and where the beam
finds no exact fit, a forward pass to ``WIDE`` columns and a backward elimination from there
(a law's terms need not be the best few at each forward step). Proposed supports are refitted on
all rows, pruned while they stay exact (where none is, on noisy y, pruned by Schwarz's criterion
of y's own residual, its best first), and planted as P / (1 + Q) (for y^2, where y keeps one
sign, its root, or R / sqrt(+-(1 + Q)) when P = R^2 for a sparse polynomial R); evolution and the
polish go on from there, judged by y's own loss. Nothing here is random. The whole start has
``Options.rational_start`` of the time budget, stops between Q monomials when that is spent, and
stops at the first exact fit.

Written here because no library fits this form: scikit-learn's OMP and LARS select greedily
without a beam and cannot hold a column in; pysindy's SINDy-PI solves one convex problem per
library term (with cvxpy) to fit dynamics, not a law's values.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.from_sympy import compact, with_roots
from latentlaw.symbolic.member import PopMember, assemble
from latentlaw.symbolic.mutate import seed_member
from latentlaw.symbolic.options import Options

MAX_INPUTS = 12  # more inputs than this and the monomial library is mostly noise: no start
P_VARIABLES, P_DEGREE, P_HIGH, P_LIMIT = 4, 6, 4, 2000  # P's monomials: variables, sum of |powers|,
# highest power of one variable (in monomials of one or two), count
Q_VARIABLES, Q_DEGREE, Q_HIGH, Q_LIMIT = 3, 4, 2, 300
FACTOR_VARIABLES, FACTOR_LIMIT = 3, 600  # log and trigonometric terms of P (p_library): monomials of
# up to three inputs (powers -1, 1) scale them; at most this many of each kind
SUM_LOG_LIMIT = 200  # logs of 1 + x_i / x_j and (x_i + x_j) / (x_i - x_j) in P's library (_sum_logs)
TRIG_VARIABLES, TRIG_DEGREE, TRIG_LIMIT = 2, 4, 1500  # sin, cos, cos^2 of one input also times monomials
# of up to two inputs with powers -2..2 and sum of |powers| up to four (cos theta / (m c^2)); at most this many
POWERS = (-2, -1, 1, 2)  # of monomials of three or more variables
CUBED = (-3, -2, -1, 1, 2, 3)  # the same with one power +-3, after the rest (exponents' ``cubes``)
START_ROWS = 300  # rows of the Gram matrix the selection runs on
STEPS, BEAM = 5, 3  # P columns chosen by forward selection; states kept per step
EXACT = 1e-22  # relative residual of a fit that is exact up to rounding (exact fits reach ~1e-30)
REFIT = 40  # best selections refitted on all rows
LIKELY_EXACT = 1e-12  # a selection's residual in the Gram matrix (squared conditioning) that is likely exact
WIDE = 15  # when the beam finds none: columns taken forward before the backward elimination
NEAR = 1e-7  # a selection's residual with one Q this near (not exact): its reciprocal Q next, widest net
WIDEST = 30  # the same where every target missed, for the nearest with Q (Ef cos(theta) (-r + d^3 (alpha - 1) /
# (r^2 (alpha + 2))): its four P terms over 1 + alpha / 2 are not all among 15; ~1.4x the time per Q
# since the forward path's updates (_forward_path; ~2x before), measured on a four-input miss)
DENOMINATOR_INPUTS = 5  # the dense steps over products of inputs (denominators) up to this many inputs
DENSE_DEGREE = 4  # P alone, where neither selection is exact: every monomial of no negative power up
# to this degree (35 of three inputs, 126 of five) at once, then backward elimination
WIDER, FIRST = 3, 60  # for P alone (no Q): beam and WIDE times WIDER, FIRST states after the
# first step (n kb T log V2 - n kb T log V1: neither term is among the best few alone)
ROOT_DUE, ROOT_SHARE = 0.6, 0.5  # regression's fits over an input's square root (root_seeds): after this
# share of the budget (the starts' time included) where nothing is exact, within this share of the time left
MAX_SEEDS = 4  # planted per target
BIWEIGHT_STEPS = 10  # reweighted least-squares steps of _separable_power
NEAR_INTEGER = 0.3  # powers by logs alone this close to an integer are refitted (they are off by up to 0.2)
SEPARATE = 0.75  # an input whose products with the rest shrink log|y|'s robust residuals below this
# share is inside the rest of the law, whatever its power (_separable_power)
SEPARABLE = 0.05  # a factor's power in log|y| (_separable_power) this close to an integer (1,000 rows
# of a separable law: within 0.04 over 20 samples of a resonance)
GROW_ROUNDS = 3  # rounds of grown monomials where every target missed (m omega^2 alpha x^3 / y: three)
GROW_FROM = 10  # best fits whose plain monomials are grown each round
GROW_STEPS = (-2, -1, 1, 2)  # changes of one input's power in a grown monomial
GROW_HIGH = 6  # the largest |power| of an input in a grown monomial
SPARSER = 10  # where no fit is exact: best supports pruned by Schwarz's criterion (_sparser)
FACTOR_TERMS = 10  # P's terms grouped by shared monomials (_factored) up to this many (2^10 subsets)
DECIMAL_DENOMINATOR = 1024  # a terminating decimal's denominator at most this (_decimal: 1/256 of the pendulum's 1 + theta^2 / 16 squared)


# the operators each kind of Factor argument is written with
ARGUMENT_OPERATORS = {"var": (), "ratio": ("/",), "difference": ("-",), "product": ("*",),
                      "one plus ratio": ("+", "/"), "odds": ("+", "-", "/")}


@dataclass(frozen=True)
class Factor:
    """function(scale * argument)^power multiplying a monomial of P: log x_i, log(x_i / x_j),
    cos(x_i - x_j), sin(x_i x_j), cos(x_i)^2, exp(-x_i / (2 pi)). ``argument``: (kind, i, j) with
    kind var (x_i), ratio, difference or product (of x_i and x_j), or, for logs, one plus ratio
    ((x_i + x_j) / x_j) or odds ((x_i + x_j) / (x_i - x_j)): ``_sum_logs``."""

    function: str  # log, sin, cos or exp
    argument: tuple[str, int, int]
    power: int = 1
    scale: float = 1.0

    def argument_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The argument's values and its gradient (n, d)."""
        kind, i, j = self.argument
        grad = np.zeros(X.shape)
        with np.errstate(all="ignore"):
            if kind == "var":
                a = X[:, i]
                grad[:, i] = 1.0
            elif kind == "ratio":
                a = X[:, i] / X[:, j]
                grad[:, i], grad[:, j] = 1.0 / X[:, j], -a / X[:, j]
            elif kind == "difference":
                a = X[:, i] - X[:, j]
                grad[:, i], grad[:, j] = 1.0, -1.0
            elif kind == "one plus ratio":  # (x_i + x_j) / x_j
                a = 1.0 + X[:, i] / X[:, j]
                grad[:, i], grad[:, j] = 1.0 / X[:, j], -X[:, i] / X[:, j] ** 2
            elif kind == "odds":  # (x_i + x_j) / (x_i - x_j)
                a = (X[:, i] + X[:, j]) / (X[:, i] - X[:, j])
                scale = 2.0 / (X[:, i] - X[:, j]) ** 2
                grad[:, i], grad[:, j] = -X[:, j] * scale, X[:, i] * scale
            else:
                a = X[:, i] * X[:, j]
                grad[:, i], grad[:, j] = X[:, j], X[:, i]
        return a, grad

    def values(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return getattr(np, self.function)(self.scale * self.argument_values(X)[0]) ** self.power

    def gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of the factor (the gradient start's columns)."""
        a, grad = self.argument_values(X)
        with np.errstate(all="ignore"):
            u = self.scale * a
            f = getattr(np, self.function)(u)
            slope = {"sin": np.cos, "cos": lambda v: -np.sin(v), "exp": np.exp, "log": lambda v: 1.0 / v}[self.function](u)
            return (self.power * f ** (self.power - 1) * slope * self.scale)[:, None] * grad

    def node(self, ctx: SearchContext) -> Node | None:
        o = ctx.options
        kind, i, j = self.argument
        if o.operator(self.function) is None or any(o.operator(x) is None for x in ARGUMENT_OPERATORS[kind]):
            return None

        def of(name: str, left: Node, right: Node) -> Node:
            return Node.binary(o.operator(name), left, right)

        def pair(name: str) -> Node:  # fresh nodes: a tree must not share them
            return of(name, Node.var(i), Node.var(j))

        if kind == "var":
            inside = Node.var(i)
        elif kind == "one plus ratio":
            inside = of("/", pair("+"), Node.var(j))
        elif kind == "odds":
            inside = of("/", pair("+"), pair("-"))
        else:
            inside = pair({"ratio": "/", "difference": "-", "product": "*"}[kind])
        if self.scale != 1.0:
            inside = Node.binary(o.operator("*"), Node.const(self.scale), inside)
        out = Node.unary(o.operator(self.function), inside)
        if self.power == 2:
            square = o.operator("square")
            out = Node.unary(square, out) if square is not None else Node.binary(o.operator("*"), out, out.copy())
        return out


@dataclass(frozen=True)
class Fit:
    """t = (intercept + sum p_coefs * x^p [* factor]) / (1 + sum q_coefs * x^q), residual ``rss``
    (relative)."""

    p: tuple[tuple[int, ...], ...]
    p_coefs: tuple[float, ...]
    p_factors: tuple[Factor | None, ...]  # per P term: the function multiplying its monomial, if any
    intercept: float
    q: tuple[tuple[int, ...], ...]
    q_coefs: tuple[float, ...]
    rss: float
    q_factors: tuple[Factor | None, ...] = ()  # per Q term, as p_factors (the gradient start's exp(2 u) of tanh u)
    root_sign: float = 0.0  # +-1: t is instead the root -Q/2 +- sqrt(Q^2/4 + P) of t^2 + Q t = P (the
    # gradient start's quadratic laws; quadratic_start.py)


class Split(NamedTuple):
    """A monomial factor x^powers taken out of a target, the inputs left (``rest``), whether
    it was taken out of y^2 (``root``: y is sqrt(x^powers) times the rest's law), and the sines
    or cosines of single inputs taken out beside it (``periodic``: (input, "sin" or "cos"))."""

    powers: tuple[int, ...]
    rest: np.ndarray
    root: bool = False
    periodic: tuple[tuple[int, str], ...] = ()

    def values(self, X: np.ndarray) -> np.ndarray:
        """The factor taken out, on the rows of X."""
        out = monomials(X, np.array([self.powers]))[:, 0]
        for i, name in self.periodic:
            out = out * PERIODIC[name](X[:, i])
        return out


def exponents(d: int, variables: int, degree: int, limit: int, high: int = 2, cubes: bool = False) -> np.ndarray:
    """Monomial powers (rows of length d), fewest variables first, then lowest degree, at most
    ``limit`` of them (generated lazily: the count grows as d^variables), products before ratios
    of the same degree. Monomials of one or two variables take powers up to ``high`` (m c^4,
    omega^3), more variables -2..2; with ``cubes``, where the limit leaves room after them (up to
    four inputs), also those of three or more variables with one power +-3 (d^3 alpha / r^2, a
    dipole's field), last so that every library without room stays as it was."""
    out: list[np.ndarray] = []
    levels = [(k, [p for p in range(-high, high + 1) if p != 0] if k <= 2 else POWERS)
              for k in range(1, min(d, variables) + 1 if limit > 0 else 1)]
    levels += [(k, CUBED) for k in range(3, min(d, variables) + 1 if limit > 0 and cubes else 1)]
    for k, allowed in levels:
        level = sorted((p for p in itertools.product(allowed, repeat=k) if sum(map(abs, p)) <= degree
                        and (allowed is not CUBED or sum(abs(x) == 3 for x in p) == 1)),
                       key=lambda p: (sum(map(abs, p)), sum(x < 0 for x in p)))  # products before ratios
        for powers in level:
            for chosen in itertools.combinations(range(d), k):
                e = np.zeros(d, dtype=int)
                e[list(chosen)] = powers
                out.append(e)
                if len(out) >= limit:
                    return np.array(out)
    return np.array(out, dtype=int).reshape(-1, d)


def share_of(deadline: float | None, share: float) -> float | None:
    """The time by which ``share`` of what is left before ``deadline`` is spent (None: no deadline)."""
    return None if deadline is None else time.perf_counter() + share * (deadline - time.perf_counter())


def monomials(X: np.ndarray, E: np.ndarray) -> np.ndarray:
    """(n, len(E)) values of the monomials; columns with a zero, inf or nan are zeroed out."""
    with np.errstate(all="ignore"):
        V = np.prod(X[:, None, :] ** E[None, :, :], axis=2)
    V[:, ~np.all(np.isfinite(V), axis=0)] = 0.0
    return V


def p_library(X: np.ndarray, functions: tuple[str, ...] = (), wide: bool = False,
              cubes: bool = False) -> tuple[np.ndarray, list[Factor | None]]:
    """P's terms: monomial powers (rows) and the factor multiplying each (None: a plain monomial;
    with ``cubes``, also monomials of three or four inputs with one power +-3, ``exponents``).

    With "log" in ``functions``: logs of inputs that stay positive and of their ratios, times
    monomials of up to three inputs, products first; a law n kb T log(V2 / V1) is one such term,
    while its two halves n kb T log V2 and n kb T log V1 are each nearly uncorrelated with y, so
    no forward selection would pick them. With "sin" and "cos": sin and cos of each input, of each
    difference and each product of two (cos also squared), times products of up to two inputs
    (x1 x2 cos(theta1 - theta2), x1 alpha cos(omega t)^2), and with ``wide`` those of one input
    also times ratios and squares (``TRIG_DEGREE``): Compton's 1 / E' = 1 / E + (1 - cos theta) /
    (m c^2) is three terms of P, one of them cos theta / (m c^2). With "exp": exp(+-u) of each input,
    product and ratio of two, times monomials of up to two inputs (powers +-1): a decay or growth
    in a sum, as the reciprocal of the logistic law K / (1 + (K / N0 - 1) exp(-r t)) is."""
    d = X.shape[1]
    E = exponents(d, P_VARIABLES, P_DEGREE, P_LIMIT, P_HIGH, cubes=cubes)
    terms: list[tuple[np.ndarray, Factor | None]] = [(e, None) for e in E]
    if "log" in functions:
        positive = [int(i) for i in np.flatnonzero(np.all(X > 0, axis=0))]
        logs = [Factor("log", ("var", i, -1)) for i in positive]
        logs += [Factor("log", ("ratio", i, j)) for i, j in itertools.combinations(positive, 2)]
        scales = sorted(exponents(d, FACTOR_VARIABLES, FACTOR_VARIABLES, FACTOR_LIMIT, 1),
                        key=lambda e: (int(np.sum(e < 0)), int(np.abs(e).sum())))
        terms += [(e, f) for e in [np.zeros(d, dtype=int), *scales] for f in logs][:FACTOR_LIMIT if logs else 0]
        terms += _sum_logs(X)
    if "sin" in functions or "cos" in functions:
        arguments = [("var", i, -1) for i in range(d)]
        arguments += [(kind, i, j) for kind in ("difference", "product") for i, j in itertools.combinations(range(d), 2)]
        trig = [Factor(f, a, k) for a in arguments for f, k in (("sin", 1), ("cos", 1), ("cos", 2)) if f in functions]
        scales = [e for e in exponents(d, 2, 2, FACTOR_LIMIT, 1) if np.all(e >= 0)]  # products only
        terms += [(e, f) for e in [np.zeros(d, dtype=int), *scales] for f in trig][:FACTOR_LIMIT if trig else 0]
        if wide:
            one = [f for f in trig if f.argument[0] == "var"]
            ratios = [e for e in exponents(d, TRIG_VARIABLES, TRIG_DEGREE, TRIG_LIMIT, 2) if np.any(e < 0) or np.any(e > 1)]
            terms += [(e, f) for e in ratios for f in one][:TRIG_LIMIT]
    if "exp" in functions:
        arguments = [("var", i, -1) for i in range(d)] + [("product", i, j) for i, j in itertools.combinations(range(d), 2)]
        arguments += [("ratio", i, j) for i, j in itertools.permutations(range(d), 2)]
        exps = [Factor("exp", a, 1, s) for a in arguments for s in (-1.0, 1.0)]
        scales = list(exponents(d, 2, 2, FACTOR_LIMIT, 1))
        terms += [(e, f) for e in [np.zeros(d, dtype=int), *scales] for f in exps][:FACTOR_LIMIT]
    return np.array([e for e, _ in terms], dtype=int).reshape(-1, d), [f for _, f in terms]


def _sum_logs(X: np.ndarray) -> list[tuple[np.ndarray, Factor]]:
    """Logs of 1 + x_i / x_j and of (x_i + x_j) / (x_i - x_j) where they are finite and positive,
    alone and times one input (+-1), after the rest of P's library, at most SUM_LOG_LIMIT: Shannon's
    B log(1 + S / N) is one such term, rapidity's log((E + p) / (E - p)) / 2 another. Split into
    logs of the sum and of the rest, neither half alone is near the law, so no forward selection
    would pair them (as with log ratios above)."""
    d = X.shape[1]
    factors = [Factor("log", (kind, i, j)) for i, j in itertools.permutations(range(d), 2)
               for kind in ("one plus ratio", "odds")]
    with np.errstate(all="ignore"):
        factors = [f for f in factors if np.all(np.isfinite(a := f.argument_values(X)[0])) and np.all(a > 0)]
    scales = [np.zeros(d, dtype=int), *np.eye(d, dtype=int), *(-np.eye(d, dtype=int))]
    return [(e, f) for e in scales for f in factors][:SUM_LOG_LIMIT]


def p_values(X: np.ndarray, E: np.ndarray, factors: list[Factor | None]) -> np.ndarray:
    """(n, len(E)) values of P's terms (a column whose factor is not finite on a row is zeroed)."""
    V = monomials(X, E)
    cache: dict[Factor, np.ndarray] = {}
    for k, f in enumerate(factors):
        if f is not None:
            if f not in cache:
                cache[f] = f.values(X)
            V[:, k] = V[:, k] * cache[f] if np.all(np.isfinite(cache[f])) else 0.0
    return V


def rational_fits(X: np.ndarray, t: np.ndarray, weights: np.ndarray | None = None,
                  deadline: float | None = None, with_q: bool = True, functions: tuple[str, ...] = (),
                  wide: bool = False, extra: np.ndarray | None = None,
                  multiplier: np.ndarray | None = None, q_sum: bool = False,
                  scale: np.ndarray | None = None, net: int = WIDE, cubes: bool = False) -> list[Fit]:
    """The best sparse fits of t = P / (1 + Q) (t = P without ``with_q``; P's terms with logs,
    sines and cosines among ``functions``, p_library, ``wide`` or not, and the plain monomials
    ``extra`` beside them), exact ones first (fewest terms first), then the rest. The selection
    sees ``START_ROWS`` rows; only the supports it proposes are evaluated on all rows. With a
    ``multiplier`` s, Q's columns are s q_j, a constant among them: t = P - s Q (``quadratic_fits``);
    with ``q_sum``, Q's other columns are candidates beside P's (Q a sum). Where none is exact
    (noisy t), the best are pruned by Schwarz's criterion of y's residual, t's times ``scale``
    per row (y / x^M's times x^M: its noise is y's over x^M; ``rss`` is then relative to t
    times ``scale``); the criterion's best comes first, the rest in the order of their implicit
    residual (the quadratic fits, with a ``multiplier``, by the criterion of that residual).
    ``net``: columns taken forward before the backward elimination where the beam misses;
    ``cubes``: P's library with cubed monomials (``p_library``)."""
    n, d = X.shape
    EP, FP = p_library(X, functions, wide=wide, cubes=cubes)
    if extra is not None and len(extra):
        have = {tuple(e) for e, f in zip(EP.tolist(), FP) if f is None}
        new = [e for e in np.asarray(extra, dtype=int).tolist() if tuple(e) not in have]
        EP, FP = (np.vstack([EP, np.array(new, dtype=int)]), FP + [None] * len(new)) if new else (EP, FP)
    plain = np.array([f is None for f in FP])
    # P's polynomial terms: plain monomials with no negative power, of degree up to DENSE_DEGREE
    polynomial = plain & np.all(EP >= 0, axis=1) & (EP.sum(axis=1) <= DENSE_DEGREE)
    EQ = exponents(d, Q_VARIABLES, Q_DEGREE, Q_LIMIT if with_q else 0, Q_HIGH)
    if multiplier is not None and with_q:
        EQ = np.vstack([np.zeros((1, d), dtype=int), EQ])
    s = t if multiplier is None else multiplier
    w = np.ones(n) if weights is None else np.sqrt(weights)
    p_count = 1 + len(EP)

    def columns(which: list[int] | np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Weighted values of library columns (0: the intercept, then P's terms, then s (t or the
        multiplier) times Q's monomials) on ``rows`` (all when None)."""
        Xr, sr, wr = (X, s, w) if rows is None else (X[rows], s[rows], w[rows])
        which = np.asarray(which, dtype=int)
        out = np.ones((len(Xr), len(which)))
        ps, qs = (which > 0) & (which < p_count), which >= p_count
        out[:, ps] = p_values(Xr, EP[which[ps] - 1], [FP[j - 1] for j in which[ps]])
        out[:, qs] = sr[:, None] * monomials(Xr, EQ[which[qs] - p_count])
        return out * wr[:, None]

    rows = np.linspace(0, n - 1, min(n, START_ROWS)).astype(int)
    As = columns(np.arange(p_count + len(EQ)), rows)
    norms = np.linalg.norm(As, axis=0)
    usable = np.isfinite(norms) & (norms > 0)
    As = np.where(usable, As / np.where(usable, norms, 1.0), 0.0)
    ts = (t * w)[rows]
    ts = ts / max(np.linalg.norm(ts), 1e-300)
    G, b = As.T @ As, As.T @ ts
    tw = t * w

    def refit(support: list[int]) -> tuple[np.ndarray, float]:
        return _refit(columns(support), tw, support)

    p_columns = np.flatnonzero(usable[:p_count])
    found: dict[tuple[int, ...], float] = {}
    q_columns = np.flatnonzero(usable[p_count:]) + p_count
    # log and trigonometric terms only in P alone (over 1 + Q they were near-collinear stand-ins
    # that led the selection astray, and laws with both are rare)
    monomial_columns = p_columns[(p_columns == 0) | plain[np.maximum(p_columns - 1, 0)]]
    queue = [(None, net), *((q, net) for q in (_promising(G, b, monomial_columns, q_columns) if len(q_columns) else []))]
    q_column = {tuple(EQ[j - p_count]): j for j in q_columns}
    reciprocated: set[int] = set()
    while queue:
        q, q_net = queue.pop(0)
        if deadline is not None and time.perf_counter() > deadline:
            break
        forced, candidates = ((), p_columns) if q is None else ((q,), monomial_columns)
        if q is not None and q_sum:
            candidates = np.concatenate([candidates, q_columns[q_columns != q]])
        widen = WIDER if q is None else 1  # P alone is one selection: it can afford a wider one
        states = forward_select(G, b, candidates, forced, STEPS, BEAM * widen, FIRST if q is None else None)
        if min((rss for rss, _ in states), default=math.inf) > LIKELY_EXACT:  # the beam missed: a wider net
            states += _forward_backward(G, b, candidates, forced, q_net * widen)
        nearest = min((rss for rss, _ in states), default=math.inf)
        flipped = q_column.get(tuple(-EQ[q - p_count])) if q is not None and multiplier is None and not q_sum else None
        if LIKELY_EXACT < nearest <= NEAR and flipped not in (None, q) and flipped not in reciprocated:
            # near but not exact: the same denominator normalised by its other term next, with
            # the widest net ((t - v x / c^2)^2 / (1 - v^2 / c^2) has v^2 x^2 / c^4 in P, outside
            # the library; over 1 - c^2 / v^2 every term of P is in it, but not among 15 forward)
            reciprocated.update((q, flipped))
            queue = [(flipped, max(net, WIDEST)), *(entry for entry in queue if entry[0] != flipped)]
        if q is None and nearest > LIKELY_EXACT:
            # nor that: every polynomial term at once, then backward (a polynomial of four
            # correlated terms, (E^2 - M^2)^2 + M^2 Gamma^2, that no forward path assembles)
            dense = [0, *(k + 1 for k in np.flatnonzero(polynomial) if usable[k + 1])]
            if len(dense) <= len(rows) // 2:
                states += backward_select(G, b, dense, forced)
            for M in denominators(d) if min((rss for rss, _ in states), default=math.inf) > LIKELY_EXACT else ():
                # then x^-M times every such monomial of all inputs, x^M first x_i^2 (a decay's
                # squared momentum over M^2, six terms), then products of distinct inputs (a thick
                # lens's 1 / f over n R1 R2, seven terms): where all of them at once fit t exactly
                # on every row, that support is refitted and pruned to the law (``_prune``; the Gram
                # matrix's backward elimination, at squared conditioning, stopped at 8e-8 stand-ins there)
                lifted = EP + M
                over = plain & np.all(lifted >= 0, axis=1) & (lifted.sum(axis=1) <= DENSE_DEGREE)
                dense = [0, *(k + 1 for k in np.flatnonzero(over) if usable[k + 1])]
                if len(dense) <= len(rows) // 2 and refit(dense)[1] <= EXACT:
                    states.append((0.0, tuple(dense)))
                    break
        for rss, support in states:
            found[support] = min(rss, found.get(support, math.inf))
        if any(rss <= LIKELY_EXACT and refit(list(support))[1] <= EXACT for rss, support in states):
            break  # an exact law: the rest of the time goes to the search
    fits = {}
    for support in sorted(found, key=found.get)[:REFIT]:
        support = _prune(refit, list(support))
        if support is not None and tuple(support) not in fits:
            fits[tuple(support)] = refit(support)
    implicit: dict[tuple[int, ...], float] = {}
    if fits and min(rss for _, rss in fits.values()) > EXACT and multiplier is None:
        # noisy t (or no law here): y's own residual (t - P / (1 + Q) times ``scale``) ranks the
        # fits and prunes them (in the implicit form t q_j carries t's noise, so Q's columns fit
        # some of it, and supersets of the law fit the most)
        implicit = {support: rss for support, (_, rss) in fits.items()}
        values: dict[int, np.ndarray] = {}
        to_y = np.ones(n) if scale is None else scale

        def explicit(support: list[int]) -> tuple[np.ndarray, float]:
            for j in support:
                if j not in values:
                    values[j] = monomials(X, EQ[[j - p_count]])[:, 0] if j >= p_count else columns([j])[:, 0]
            A = np.column_stack([values[j] * (s * w if j >= p_count else 1.0) for j in support])
            raw, _ = _refit(A, tw, support)
            in_q = np.asarray(support) >= p_count
            P = A[:, ~in_q] @ raw[~in_q]
            Q = -(np.column_stack([values[j] for j in support if j >= p_count]) @ raw[in_q]) if in_q.any() else 0.0
            with np.errstate(all="ignore"):
                r = (tw - P / (1.0 + Q)) * to_y
                rss = float(r @ r) / float((tw * to_y) @ (tw * to_y))
            return raw, rss if math.isfinite(rss) else math.inf

        fits = {support: explicit(list(support)) for support in fits}
        for support in sorted(fits, key=lambda k: fits[k][1])[:SPARSER]:
            smaller = _sparser(explicit, list(support), n)
            if smaller is not None and tuple(smaller) not in fits:
                fits[tuple(smaller)] = explicit(smaller)
                implicit[tuple(smaller)] = refit(smaller)[1]
    out: list[tuple[tuple[int, ...], Fit]] = []
    for support, (raw, rss) in fits.items():
        if not math.isfinite(rss):
            continue
        p = [(j, c) for j, c in zip(support, raw) if 0 < j < p_count]
        q = [(j, -c) for j, c in zip(support, raw) if j >= p_count]  # t = P - t Q
        intercept = sum(c for j, c in zip(support, raw) if j == 0)
        out.append((support, Fit(p=tuple(tuple(EP[j - 1]) for j, _ in p), p_coefs=tuple(c for _, c in p),
                                 p_factors=tuple(FP[j - 1] for j, _ in p),
                                 intercept=float(intercept), q=tuple(tuple(EQ[j - p_count]) for j, _ in q),
                                 q_coefs=tuple(c for _, c in q), rss=rss)))
    out.sort(key=lambda sf: (sf[1].rss > EXACT, len(sf[1].p) + len(sf[1].q) if sf[1].rss <= EXACT
                             else _bic(sf[1].rss, len(sf[0]), n)))
    if implicit:
        # the criterion's best, then the rest by the implicit residual: on noisy data the first
        # is the law, and on exact data from a law outside the library the implicit form's best
        # fits, poles and all, carry its structure (II.11.17's n_0 (...) / (1 - 0.39 theta)
        # evolved into n_0 (1 + p_d Ef cos(theta) / (kb T)), while the explicit best were 24% off)
        out = out[:1] + sorted(out[1:], key=lambda sf: implicit[sf[0]])
    return [fit for _, fit in out]


def _wide_fits(X: np.ndarray, t: np.ndarray, weights: np.ndarray | None, deadline: float | None,
               functions: tuple[str, ...]) -> list[Fit]:
    """The exact fits of t = P alone with the wide library (none without sin or cos)."""
    if not {"sin", "cos"} & set(functions) or (deadline is not None and time.perf_counter() > deadline):
        return []
    trig = tuple(f for f in functions if f in ("sin", "cos"))  # (the first pass had the logs and exps)
    return [f for f in rational_fits(X, t, weights, deadline, with_q=False, functions=trig, wide=True) if f.rss <= EXACT]


def _wider_net(X: np.ndarray, t: np.ndarray, weights: np.ndarray | None, deadline: float | None,
               functions: tuple[str, ...], with_q: bool) -> list[Fit]:
    """The exact fits of t = P / (1 + Q) with ``WIDEST`` columns forward before the backward
    elimination and P's monomials with a power +-3 in three or four inputs (d^3 alpha / r^2), none
    for a target without Q (P alone had a net WIDER times as wide). Only here, where every target
    missed: in every pass the cubes made the start's libraries of three and four inputs 30-45%
    larger, and a law found by the grown monomials (bonus test_17) 12 -> 46 s."""
    if not with_q or (deadline is not None and time.perf_counter() > deadline):
        return []
    return [f for f in rational_fits(X, t, weights, deadline, functions=functions, net=WIDEST, cubes=True)
            if f.rss <= EXACT]


def grown_fits(X: np.ndarray, t: np.ndarray, fits: list[Fit], weights: np.ndarray | None = None,
               deadline: float | None = None) -> list[Fit]:
    """Fits of t = P alone whose library also holds monomials grown from the best inexact ``fits``:
    each plain term with one input's power changed by ``GROW_STEPS``, round after round (the
    grown terms of one round are grown in the next) until a fit is exact, ``GROW_ROUNDS`` pass or
    the deadline. A law's terms beyond the library's bounds (c^4 k_f / (G r^2): a power of four
    in a monomial of three inputs; m omega^2 alpha x^3 / y: five inputs) are approximated by their
    neighbours in the library (k_f c^2 / r^2 times a polynomial in c), and a neighbour times one
    input's power reaches them. Each round is P alone over plain monomials, the library's and the
    grown ones (one selection, ~0.3 s with six inputs; with the functions' terms three times that,
    with Q's loop ten times). Empty when no round is exact (the near fits are planted already)."""
    d = X.shape[1]
    grown = np.zeros((0, d), dtype=int)
    for _ in range(GROW_ROUNDS):
        if deadline is not None and time.perf_counter() > deadline:
            break
        base = {tuple(int(v) for v in p) for f in fits[:GROW_FROM] for p, factor in zip(f.p, f.p_factors) if factor is None}
        new = set()
        for powers in base:
            for i, step in itertools.product(range(d), GROW_STEPS):
                e = list(powers)
                e[i] += step
                if any(e) and abs(e[i]) <= GROW_HIGH:
                    new.add(tuple(e))
        new -= {tuple(int(v) for v in e) for e in grown}
        if not new:
            break  # nothing left to grow (the best fits' terms are all functions' or grown already)
        grown = np.unique(np.vstack([grown, np.array(sorted(new), dtype=int).reshape(-1, d)]), axis=0)
        fits = rational_fits(X, t, weights, deadline, with_q=False, extra=grown)
        if not fits:
            break
        if fits[0].rss <= EXACT:
            return fits
    return []


def _promising(G: np.ndarray, b: np.ndarray, p_columns: np.ndarray, q_columns: np.ndarray) -> np.ndarray:
    """The Q columns in the order a deadline should cut them: alternately the simplest left (the
    library's order) and the best left by the residual of Q with the single best P column. The
    second puts Q first for laws with one P monomial (II.11.3's q Ef/(m omega_0^2) over
    1 - omega^2/omega_0^2), but ranks it low when P is a sum (I.16.6's u + v): hence both.
    Every Q still gets its full selection when time allows."""
    gq = np.diag(G)[q_columns]
    cross = G[np.ix_(p_columns, q_columns)]  # (P, Q)
    with np.errstate(all="ignore"):
        num = b[p_columns, None] - cross * (b[q_columns] / gq)[None, :]
        den = np.diag(G)[p_columns, None] - cross**2 / gq[None, :]
        gain = np.where(den > 1e-9, num**2 / np.where(den > 1e-9, den, 1.0), 0.0)
        rss = 1.0 - b[q_columns] ** 2 / gq - gain.max(axis=0)
    order, seen = [], set()
    for pair in zip(q_columns, q_columns[np.argsort(rss, kind="stable")]):
        for q in pair:
            if q not in seen:
                seen.add(q)
                order.append(q)
    return np.array(order, dtype=int)


class GramRows:
    """The Gram matrix A'A, each row computed when first read (its diagonal at once): regression's
    product start has 6,699 columns with five inputs (a 360 MB matrix, ~0.9 s to form), of which
    its beam reads a few dozen rows. Indexing with a list of columns gives those rows."""

    def __init__(self, A: np.ndarray) -> None:
        self.A = A
        self._rows: dict[int, np.ndarray] = {}
        self._diagonal = np.einsum("rc,rc->c", A, A)

    def __getitem__(self, S: list[int]) -> np.ndarray:
        for k in S:
            if k not in self._rows:
                self._rows[k] = self.A[:, k] @ self.A
        return np.array([self._rows[k] for k in S])

    def diagonal(self) -> np.ndarray:
        return self._diagonal


def forward_select(G: np.ndarray, b: np.ndarray, candidates: np.ndarray, forced: tuple[int, ...],
                   steps: int, beam: int, first: int | None = None,
                   raw: tuple[np.ndarray, np.ndarray, float] | None = None) -> list[tuple[float, tuple[int, ...]]]:
    """Forward selection with a beam (``first`` states after the first step, then ``beam``), in
    Gram space (unit columns, unit target): each state's residual after adding column c is
    rss - (b_c - G_cS G_SS^-1 b_S)^2 / (G_cc - G_cS G_SS^-1 G_Sc). ``G`` is read through its
    rows ``G[S]`` and its diagonal only: an array or a ``GramRows``. With ``raw`` (M, m_b, m_bb:
    the Gram matrix of the same columns before a projection, the target's column and entry in
    it), states are ranked and scored by their residual's share of the same combination before
    the projection (``_share_left``)."""
    states, seen, out = [tuple(forced)], set(), []
    diagonal = G.diagonal()[candidates]
    for step in range(steps):
        beam_now = first if step == 0 and first else beam
        grown = []
        for S in states:
            S = list(S)
            if S:
                R = G[S]
                try:
                    W = np.linalg.solve(R[:, S], R[:, candidates])
                    wb = np.linalg.solve(R[:, S], b[S])
                except np.linalg.LinAlgError:
                    continue
                num = b[candidates] - W.T @ b[S]
                den = diagonal - np.einsum("kc,kc->c", R[:, candidates], W)
                rss = 1.0 - float(b[S] @ wb)
            else:
                num, den, rss = b[candidates], diagonal, 1.0
                W, wb = np.zeros((0, len(candidates))), np.zeros(0)
            gain = np.where(den > 1e-9, num**2 / np.maximum(den, 1e-300), 0.0)
            gain[np.isin(candidates, S)] = 0.0
            score = rss - gain if raw is None else _share_left(rss - gain, raw, S, candidates, num, den, wb, W)
            for i in (np.argsort(-gain) if raw is None else np.argsort(score))[:beam_now]:
                grown_support = tuple(sorted((*S, int(candidates[i]))))
                if gain[i] > 0 and grown_support not in seen:
                    seen.add(grown_support)
                    grown.append((float(score[i]), grown_support))
        grown.sort()
        states = [s for _, s in grown[:beam_now]]
        out += grown[:beam_now]
        if not states:
            break
    return out


def _share_left(left: np.ndarray, raw: tuple[np.ndarray, np.ndarray, float], S: list[int], candidates: np.ndarray,
                num: np.ndarray, den: np.ndarray, wb: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Each candidate state's projected residual ``left`` over the norm^2 of its combination
    v = u_b - sum w_k u_k before the projection (from the raw Gram matrix M; 1 where that
    vanishes): the pencil's Rayleigh quotient at the least-squares weights. Where two columns
    are nearly the same function (z^-3 and z^-3 cos(z / (2 pi)): 1 - 1e-6 correlated), their
    difference is small before the projection too, so its share stays large; an identity
    (m sin^2 a + m cos^2 a - m) is no function at all. A law's combination keeps its whole
    gradient before the projection."""
    M, m_b, m_bb = raw
    w_c = np.where(den > 1e-9, num / np.maximum(den, 1e-300), 0.0)
    whole = m_bb - 2 * w_c * m_b[candidates] + w_c**2 * M.diagonal()[candidates]
    if S:
        w_S = wb[:, None] - W * w_c[None, :]  # the weights of S once c is in
        MS = M[S]
        whole += (-2 * (m_b[S] @ w_S) + np.einsum("kc,kl,lc->c", w_S, MS[:, S], w_S)
                  + 2 * w_c * np.einsum("kc,kc->c", w_S, MS[:, candidates]))
    return np.where(whole > 1e-12 * m_bb, left / np.maximum(whole, 1e-300), 1.0)


def _forward_backward(G: np.ndarray, b: np.ndarray, candidates: np.ndarray,
                      forced: tuple[int, ...], wide: int) -> list[tuple[float, tuple[int, ...]]]:
    """Forward selection (one path) to ``wide`` columns, then backward elimination to one: the
    states on the way back. A law's columns need not be the best few at each forward step (a
    beam can lose them), but once all are in, dropping any of them costs the most."""
    return backward_select(G, b, [*forced, *_forward_path(G, b, candidates, forced, min(wide, len(candidates)))], forced)


def _forward_path(G: np.ndarray, b: np.ndarray, candidates: np.ndarray, forced: tuple[int, ...],
                  steps: int) -> list[int]:
    """Up to ``steps`` columns, each the one that lowers the residual of those before (and
    ``forced``) most: gain_c = num_c^2 / den_c with num_c = b_c - G_cS G_SS^-1 b_S and
    den_c = G_cc - G_cS G_SS^-1 G_Sc. Both are kept up to date by Gram-Schmidt in Gram space (each
    chosen column's projection off those before, u, takes u_c^2 off den and u_c beta off num):
    O(|S| C) a step rather than a solve of |S| x C (with 30 columns forward on six inputs, those
    solves were 60% of a rational start without a deadline)."""
    extra = [k for k in forced if not np.any(candidates == k)]
    columns = np.concatenate([candidates, np.array(extra, dtype=int)])
    num, den = b[columns].astype(float), G[columns, columns].astype(float)
    basis = np.zeros((len(forced) + steps, len(columns)))  # the chosen columns' unit projections
    taken = np.zeros(len(columns), dtype=bool)
    taken[len(candidates):] = True
    path: list[int] = []
    n = len(candidates)

    def take(i: int, m: int) -> bool:
        """columns[i] as the m-th chosen (False where nothing of it is left off those before)."""
        k = int(columns[i])
        if not den[i] > 0:
            return False
        scale = math.sqrt(den[i])
        basis[m] = (G[columns, k] - basis[:m, i] @ basis[:m]) / scale
        num[:] -= basis[m] * (num[i] / scale)
        den[:] -= basis[m] ** 2
        taken[i] = True
        return True

    for m, k in enumerate(forced):
        if not take(int(np.flatnonzero(columns == k)[0]), m):
            return path
    for m in range(len(forced), len(forced) + steps):
        gain = np.where(den[:n] > 1e-9, num[:n] ** 2 / np.maximum(den[:n], 1e-300), 0.0)
        gain[taken[:n]] = 0.0
        best = int(np.argmax(gain))
        if not gain[best] > 0 or not take(best, m):
            break
        path.append(int(candidates[best]))
    return path


def backward_select(G: np.ndarray, b: np.ndarray, S: list[int], forced: tuple[int, ...]) -> list[tuple[float, tuple[int, ...]]]:
    """Backward elimination from the columns S (keeping ``forced``), each time dropping the
    column whose loss costs least: the states on the way with at most ``STEPS`` free columns."""
    S = list(S)
    out = []
    while len(S) > len(forced) + 1:
        free = [j for j in S if j not in forced]
        try:
            inverse = np.linalg.inv(G[np.ix_(S, S)])
        except np.linalg.LinAlgError:
            break
        w = inverse @ b[S]
        cost = {j: w[i] ** 2 / inverse[i, i] for i, j in enumerate(S) if j in free}
        S.remove(min(cost, key=cost.get))
        try:
            rss = 1.0 - float(b[S] @ np.linalg.solve(G[np.ix_(S, S)], b[S]))
        except np.linalg.LinAlgError:
            break
        if len(S) <= len(forced) + STEPS:  # larger ones make no seed
            out.append((rss, tuple(sorted(S))))
    return out


def _refit(A: np.ndarray, t: np.ndarray, support: list[int]) -> tuple[np.ndarray, float]:
    """Least squares of t on the columns A (all rows): their coefficients and the residual
    relative to |t|^2 (inf where a column is not finite on some row)."""
    norms = np.linalg.norm(A, axis=0)
    if not (np.all(np.isfinite(norms)) and np.all(norms > 0)):
        return np.zeros(len(support)), math.inf
    coefs, *_ = np.linalg.lstsq(A / norms, t, rcond=None)
    r = t - (A / norms) @ coefs
    return coefs / norms, float(r @ r) / float(t @ t)


def denominators(d: int) -> list[np.ndarray]:
    """x^M of ``rational_fits``' dense steps t = polynomial / x^M: each input squared, then products
    of two and of three distinct inputs, then each input alone (those up to DENOMINATOR_INPUTS
    inputs; the gradient start's ``_dense_fits`` takes the squares and the products)."""
    out = [2 * e for e in np.eye(d, dtype=int)]
    if d <= DENOMINATOR_INPUTS:
        for k in (2, 3, 1):
            out += [np.eye(d, dtype=int)[list(c)].sum(axis=0) for c in itertools.combinations(range(d), k)]
    return out


def _prune(refit, support: list[int]) -> list[int] | None:
    """An exact support without the columns it does not need (a beam adds near-zero extras); an
    inexact one as it is. None when the support cannot be solved."""
    try:
        _, rss = refit(support)
        while rss <= EXACT and len(support) > 1:
            for j in support:
                smaller = [k for k in support if k != j]
                _, smaller_rss = refit(smaller)
                if smaller_rss <= EXACT:
                    support, rss = smaller, smaller_rss
                    break
            else:
                break
    except np.linalg.LinAlgError:
        return None
    return support


def _bic(rss: float, terms: int, n: int) -> float:
    """Schwarz's criterion of a fit with ``terms`` coefficients and relative residual ``rss`` on n
    rows (Gaussian noise of unknown variance): on noisy t every extra column fits some noise, so
    the closest fits are supersets of the law; this ranks the law's own support above them."""
    return n * math.log(max(rss, 1e-300)) + terms * math.log(n)


def _sparser(refit, support: list[int], n: int) -> list[int] | None:
    """An inexact support without the columns whose removal lowers ``_bic`` (backward, the
    cheapest removal first); None when nothing goes or the support cannot be solved."""
    try:
        _, rss = refit(support)
        best, pruned = _bic(rss, len(support), n), False
        while len(support) > 1:
            trials = [(refit(s)[1], s) for s in ([k for k in support if k != j] for j in support)]
            rss, smaller = min(trials, key=lambda t: t[0])
            if _bic(rss, len(smaller), n) >= best:
                break
            support, best, pruned = smaller, _bic(rss, len(smaller), n), True
    except np.linalg.LinAlgError:
        return None
    return support if pruned else None


def separated_monomial(X: np.ndarray, y: np.ndarray) -> tuple[tuple[int, ...], np.ndarray] | None:
    """(M, rest) where y looks like x^M t(x_rest): the inputs whose power in log|y| is an integer
    and which do not interact with the rest (``_separable_power``), the rest those that do. A
    prefactor times a sum, mom / (kb T) (H + alpha M / (epsilon c^2)), is then a sparse fit of the
    quotient over the few inputs of the sum, where the whole law's terms (monomials of seven
    inputs) are beyond P's library. Halves (2 pi sqrt(L / g) (1 + theta^2 / 16)) were tried and
    dropped: inputs of a sum came as close to a half. None where no input, or every input, is
    such a factor, or y is a monomial."""
    if not (np.all(np.isfinite(y)) and np.all(y != 0) and np.all(X != 0)):
        return None
    L, t = np.column_stack([np.ones(len(X)), np.log(np.abs(X))]), np.log(np.abs(y))
    w = np.linalg.lstsq(L, t, rcond=None)[0]
    residual, centred = t - L @ w, t - t.mean()
    if np.dot(residual, residual) <= EXACT * np.dot(centred, centred):
        return None  # y is a monomial: nothing is left to fit
    rough = w[1:]  # by logs alone: only inputs near a nonzero integer are looked at closer
    near = (np.abs(rough - np.round(rough)) < NEAR_INTEGER) & (np.round(rough) != 0)
    powers = [_separable_power(L[:, 1:], t, i) if near[i] else None for i in range(X.shape[1])]
    taken = np.array([p is not None for p in powers])
    if not taken.any() or taken.all():
        return None
    return tuple(0 if p is None else int(round(p)) for p in powers), np.flatnonzero(~taken)


PERIODIC = {"cos": np.cos, "sin": np.sin}  # single-input factors periodic_factors looks for


def periodic_factors(X: np.ndarray, y: np.ndarray, inputs: np.ndarray,
                     functions: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(input, "cos" or "sin") for each of ``inputs`` whose cosine or sine is a factor of y that
    does not interact with the rest, by ``_separable_power`` with log|f(x_i)| in x_i's column.

    Ef cos(theta) (-r + d^3 (alpha - 1) / (r^2 (alpha + 2))) is cos(theta) times a rational law
    of the rest, whose terms times cos(theta) (monomials of four inputs) are beyond P's library
    of periodic terms. As for monomials, a quick fit of log|y| over all inputs' logs screens the
    candidates (the factor's power within ``NEAR_INTEGER`` of 1: 0.99 there, the other inputs'
    sines and cosines -0.5..0.3) before the robust test, ~0.1-0.5 s each, and y over the factor
    must not depend on x_i otherwise (``_free_of``). Empty where y or an input is 0 (no logs)."""
    names = [f for f in PERIODIC if f in functions]
    if not names or not len(inputs) or not (np.all(np.isfinite(y)) and np.all(y != 0) and np.all(X != 0)):
        return ()
    logs, t = np.log(np.abs(X)), np.log(np.abs(y))
    out: list[tuple[int, str]] = []
    for i in map(int, inputs):
        for name in names:
            with np.errstate(all="ignore"):
                column = np.log(np.abs(PERIODIC[name](X[:, i])))
            if not np.all(np.isfinite(column)):
                continue
            L = logs.copy()
            L[:, i] = column
            rough = np.linalg.lstsq(np.column_stack([np.ones(len(X)), L]), t, rcond=None)[0][1 + i]
            if abs(rough - 1) >= NEAR_INTEGER:
                continue
            power = _separable_power(L, t, i)
            if power is not None and round(power) == 1 and _free_of(L, t - column, i, X[:, i]):
                out.append((i, name))
                break
    return tuple(out)


def _separable_power(logs: np.ndarray, t: np.ndarray, i: int) -> float | None:
    """x_i's power p in t = log|y| = p log|x_i| + g(rest), or None where x_i is not such a factor.

    p is fitted beside a cubic in the other inputs' logs and sizes (a quadratic where rows are
    too few), robustly (``_robust_fit``): g is a nuisance independent of x_i in the sample that
    only adds noise to p, less the closer it fits, and its misfit is heavy-tailed where log|y|
    swings (near a resonance). k in k / ((E^2 - M^2)^2 + M^2 Gamma^2) over 20 samples of 1,000
    rows: |p - 1| 0.063 on average by logs alone (9 of 20 beyond SEPARABLE), 0.041 beside a
    quadratic (6), 0.015 so (none). A power near an integer is not enough (M's came out -1.00
    there in 4 of 20 samples): x_i must also not interact with the rest, i.e. terms x_i g_k(rest)
    must not shrink the residuals' spread below ``SEPARATE`` of the plain fit's (Feynman, bonus
    and textbook tables: factors 0.6-1.4, mostly > 0.88; inputs inside sums 0.01-0.64 but for two
    of test_17's, 0.83 and 0.88)."""
    n = len(t)
    size = np.exp(logs[:, i])
    others = _others(logs, i)
    columns = [logs[:, i], *_nuisance(others, n, 1)]
    power, spread = _robust_fit(np.column_stack(columns), t)
    if not abs(power - round(power)) < SEPARABLE or round(power) == 0:
        return None
    crossed = [f * g for f in (logs[:, i], size, size**2) for g in (np.ones(n), *others)]
    if n < 4 * (len(columns) + len(crossed)):
        return power
    _, joint = _robust_fit(np.column_stack(columns + crossed), t)
    return power if joint >= SEPARATE * spread else None


def _others(logs: np.ndarray, i: int) -> list[np.ndarray]:
    """The logs and sizes of the inputs but x_i."""
    keep = [j for j in range(logs.shape[1]) if j != i]
    return [logs[:, j] for j in keep] + [np.exp(logs[:, j]) for j in keep]


def _nuisance(others: list[np.ndarray], n: int, beside: int) -> list[np.ndarray]:
    """An intercept, ``others`` and their products of degree 2 and 3, as far as the n rows allow
    with ``beside`` more columns (four rows per column): a smooth g(rest) in log|y|."""
    columns = [np.ones(n), *others]
    for degree in (2, 3):
        more = [np.prod(c, axis=0) for c in itertools.combinations_with_replacement(others, degree)]
        if n < 4 * (beside + len(columns) + len(more)):  # too few rows for this degree
            break
        columns += more
    return columns


def _free_of(logs: np.ndarray, t: np.ndarray, i: int, x: np.ndarray) -> bool:
    """Whether t, a smooth function of the inputs but x_i, stays one beside x, x^2 and x^3 (their
    terms shrink its robust spread by less than ``SEPARATE``): cos(theta) (r + theta) passes the
    factor test of cos(theta) (``_separable_power``), whose terms are log|cos theta| and |cos
    theta|, and fails this one."""
    columns = _nuisance(_others(logs, i), len(t), 3)
    _, spread = _robust_fit(np.column_stack(columns), t)
    _, joint = _robust_fit(np.column_stack(columns + [x, x * x, x**3]), t)
    return joint >= SEPARATE * spread


def _robust_fit(A: np.ndarray, t: np.ndarray) -> tuple[float, float]:
    """The first column's coefficient in t ~ A and the residuals' robust spread, by Tukey's
    biweight (``BIWEIGHT_STEPS`` of reweighted least squares by the normal equations: 7x faster
    than lstsq at 1,000 x 167, and columns scaled to unit norm keep them well posed)."""
    scale = np.linalg.norm(A, axis=0)
    if scale[0] == 0:
        return 0.0, 0.0
    A = A / np.where(scale > 0, scale, 1.0)
    w, ridge = np.ones(len(t)), 1e-12 * np.eye(A.shape[1])  # the ridge only guards a singular solve
    coefs, spread = np.zeros(A.shape[1]), 0.0
    for _ in range(BIWEIGHT_STEPS):
        Aw = A * (w**2)[:, None]
        coefs = np.linalg.solve(Aw.T @ A + ridge, Aw.T @ t)
        r = t - A @ coefs
        spread = 1.4826 * float(np.median(np.abs(r)))  # the residuals' scale, robustly
        if spread <= 0:
            break
        u = r / (4.685 * spread)  # Tukey's constant: 95% efficiency for Gaussian residuals
        w = np.where(np.abs(u) < 1, 1 - u**2, 0.0)  # the square root of the biweight (w^2 weighs)
    return float(coefs[0] / scale[0]), spread


def _embedded(fit: Fit, rest: np.ndarray, d: int) -> Fit:
    """A fit over the inputs ``rest`` written over all d inputs (powers 0 elsewhere, the
    functions' arguments renumbered)."""
    def spread(e: tuple[int, ...]) -> tuple[int, ...]:
        out = [0] * d
        for i, k in zip(rest, e):
            out[int(i)] = int(k)
        return tuple(out)

    def moved(f: Factor | None) -> Factor | None:
        if f is None:
            return None
        kind, i, j = f.argument
        return replace(f, argument=(kind, int(rest[i]), int(rest[j]) if j >= 0 else j))

    return replace(fit, p=tuple(map(spread, fit.p)), q=tuple(map(spread, fit.q)),
                   p_factors=tuple(map(moved, fit.p_factors)), q_factors=tuple(map(moved, fit.q_factors)))


def monomial_node(powers: tuple[int, ...], ctx: SearchContext, compact: bool = False) -> Node | None:
    """x^p as a tree: squares (of squares) and products over divisions (None when an operator is
    missing); ``compact``, a monomial of several inputs with even powers as the square of its root
    (square(alpha h / (m c)), 8 nodes rather than 11)."""
    o = ctx.options
    times, divide, square = o.operator("*"), o.operator("/"), o.operator("square")
    if compact and square is not None and sum(k != 0 for k in powers) > 1 and all(k % 2 == 0 for k in powers):
        root = monomial_node(tuple(k // 2 for k in powers), ctx, compact=True)
        return None if root is None else Node.unary(square, root)

    def power(i: int, k: int) -> list[Node]:  # fresh nodes: a tree must not share them
        if square is None:
            return [Node.var(i) for _ in range(k)]
        if k == 1:
            return [Node.var(i)]
        if k % 2 == 0:  # by squaring: x^12 = square(square(x square(x))), 6 nodes rather than 17
            return [Node.unary(square, Node.chain(times, power(i, k // 2)))]
        return [Node.var(i), *power(i, k - 1)]

    if times is None and sum(abs(k) for k in powers) > 1:
        return None
    up = Node.chain(times, [f for i, k in enumerate(powers) if k > 0 for f in power(i, k)])
    down = Node.chain(times, [f for i, k in enumerate(powers) if k < 0 for f in power(i, -k)])
    if down is None:
        return up
    if divide is None:
        return None
    return Node.binary(divide, up if up is not None else Node.const(1.0), down)


def _planted(fits: list[Fit], outer: str, split: Split | None, ctx: SearchContext,
             rooted: tuple[int, ...] = ()) -> tuple[list[PopMember], bool]:
    """Members planted from the best ``fits`` of a target (at most ``MAX_SEEDS``), as ``_outer``
    says (for y^2 with a square numerator R / sqrt(+-(1 + Q)) first), times the monomial factor
    taken out (``split``; its root where it was taken out of y^2), from fits over the square roots
    of the inputs ``rooted`` written in the inputs themselves; and whether an exact fit was
    planted (it fits maxsize)."""
    o, X = ctx.options, ctx.data.X if split is None else ctx.data.X[:, split.rest]
    seeds: list[PopMember] = []
    exact, kept = False, outer in EXP_ROOTS

    def member(tree: Node | None) -> PopMember | None:
        tree = with_roots(tree, rooted, o) if rooted and tree is not None else tree
        return None if tree is None else seed_member([tree], ctx)

    def times_split(node: Node | None, compact: bool = False) -> Node | None:
        """node times the monomial taken out, or its root where it was taken out of y^2 (as it
        is without ``split``)."""
        if node is None or split is None:
            return node
        factors = []
        if any(split.powers):
            monomial = monomial_node(split.powers, ctx, compact=compact)
            if monomial is not None and split.root:
                monomial = None if o.operator("sqrt") is None else Node.unary(o.operator("sqrt"), monomial)
            factors.append(monomial)
        factors += [None if o.operator(name) is None else Node.unary(o.operator(name), Node.var(i))
                    for i, name in split.periodic]
        if any(f is None for f in factors) or o.operator("*") is None:
            return None
        return Node.chain(o.operator("*"), [*factors, node])

    def plant_shorter(inner: Node | None) -> None:
        """A shorter form of an exact fit, under the outer function and times the split's factor."""
        planted = member(times_split(None if inner is None else _outer(outer, inner, ctx), compact=True))
        if planted is not None:
            seeds.append(planted)

    for fit in fits:
        planted = len(seeds)
        root = None if "sqrt" not in outer or fit.rss > EXACT else root_of_numerator(fit, X, ctx.data.weights)
        sign = 0.0 if root is None else float(np.sign(numerator(fit, X[:1])[0]))  # of +-(1 + Q)
        if split is not None:
            fit, root = _embedded(fit, split.rest, ctx.data.d), None if root is None else _embedded(root, split.rest, ctx.data.d)
        node = fit_node(fit, ctx, kept=kept)
        candidates = [] if node is None else [_outer(outer, node, ctx)]
        if kept:
            candidates.insert(0, _exp_root(fit, outer, ctx))
        if root is not None:  # y = R / sqrt(+-(1 + Q)) (or 1 / R): offered first
            top = root_node(fit, root, sign, ctx)
            candidates.insert(0, top if outer == "sqrt" or top is None else _outer("inverse", top, ctx))
        for candidate in map(times_split, candidates):
            found = member(candidate)
            if found is not None:
                seeds.append(found)
        if fit.rss <= EXACT and len(seeds) == planted and len(fit.p) > 1:
            # an exact law over maxsize as written: its terms' shared factors written once
            plant_shorter(fit_node(fit, ctx, factored=True, kept=kept))
        if fit.rss <= EXACT and len(seeds) == planted and node is not None:
            plant_shorter(compact(node, o))  # nor that: as sympy writes it (one denominator, or factored)
        exact = exact or (fit.rss <= EXACT and len(seeds) > planted)
        if len(seeds) >= MAX_SEEDS:
            break
    return seeds, exact


def _exp_root(fit: Fit, kind: str, ctx: SearchContext) -> Node | None:
    """exp(+-x^h sqrt(P / x^(2h))) for a fit P of log|y|^2 (``_outer``'s "exp root" kinds) whose
    terms share the monomial x^(2h) times more (no intercept, no Q): a sqrt(8 (m V - m E)) / hbar
    as physicists write it, 17 nodes rather than sqrt(8 (a^2 m V / hbar^2 - ...))'s 25, whose
    polish took the 8 out of the root as 2.8284271 (which the bench's symbolic rule did not take
    for 2 sqrt(2)). None where no even power is shared."""
    if fit.q or fit.intercept != 0.0 or not fit.p:
        return None
    half = tuple(int(k / 2) for k in _common(list(fit.p)))  # (toward 0: 3 -> 1, -2 -> -1)
    if not any(half):
        return None
    inner = fit_node(replace(fit, p=tuple(tuple(k - 2 * h for k, h in zip(p, half)) for p in fit.p)), ctx, kept=True)
    factor, sqrt = monomial_node(half, ctx), ctx.options.operator("sqrt")
    if inner is None or factor is None or sqrt is None:
        return None
    return signed_exp(kind, Node.binary(ctx.options.operator("*"), factor, Node.unary(sqrt, inner)), ctx)


def signed_exp(kind: str, argument: Node, ctx: SearchContext) -> Node | None:
    """exp(argument) ("exp root") or exp(-argument) ("exp -root"); None without exp."""
    exp = ctx.options.operator("exp")
    if exp is None:
        return None
    return Node.unary(exp, argument if kind == "exp root" else Node.binary(ctx.options.operator("*"), Node.const(-1.0), argument))


def fit_node(fit: Fit, ctx: SearchContext, factored: bool = False, kept: bool = False) -> Node | None:
    """(intercept + sum a_k x^p_k) / (1 + sum b_j x^q_j) as a tree; with ``factored``, P's terms
    that share a monomial written as it times their sum (``_factored``); with ``kept``, the size
    P's coefficients share stays a factor of P (no outer coefficient takes it under exp(sqrt(.)))."""
    o = ctx.options
    p_terms = [term_node(p, f, ctx) for p, f in zip(fit.p, fit.p_factors)]
    q_terms = [term_node(q, f, ctx) for q, f in zip(fit.q, fit.q_factors or (None,) * len(fit.q))]
    if any(t is None for t in p_terms + q_terms) or not o.linear:
        return None
    if not p_terms:
        return None  # a constant over 1 + Q: the outer coefficient cannot carry it alone
    # the outer coefficient takes P's scale: the size most of P's coefficients share, so that the
    # most become 1 and drop out (its size only: under sqrt, P / (1 + Q) keeps the sign of y^2)
    scale = _shared_size([fit.intercept, *fit.p_coefs])
    coefs, intercept = _integers(np.array(fit.p_coefs) / scale), _integers(np.array([fit.intercept / scale]))[0]
    top = _factored(fit, coefs, intercept, ctx) if factored else assemble(p_terms, coefs, intercept, o)
    if kept and top is not None and scale != 1.0:
        top = Node.binary(o.operator("*"), Node.const(scale), top)
    if not q_terms or top is None:
        return top
    divide = o.operator("/")
    # 1 + Q over the size most of Q's coefficients share (the outer coefficient takes it): those
    # become +-1 and drop out, and 1 / size is one constant where the size was one and a product
    # (3 - n alpha for 1 - n alpha / 3; Ef cos(theta) (-r + d^3 (alpha - 1) / (r^2 (alpha + 2))) fits
    # maxsize as cos(theta) Ef P / (alpha + 2) and not as cos(theta) Ef P / (1 + 0.5 alpha))
    size = _shared_size(fit.q_coefs)
    q_coefs, one = _integers(np.array(fit.q_coefs) / size), float(_integers(np.array([1.0 / size]))[0])
    minus = o.operator("-")
    if minus is not None and np.all(q_coefs < 0):  # 3 - y rather than (-1) y + 3
        bottom = Node.binary(minus, Node.const(one), assemble(q_terms, -q_coefs, 0.0, o))
    else:
        bottom = assemble(q_terms, q_coefs, one, o)
    return None if divide is None else Node.binary(divide, top, bottom)


def _shared_size(coefs: list[float] | np.ndarray) -> float:
    """The size most of the nonzero ``coefs`` share; among equally shared ones the size over
    which most coefficients are terminating decimals, then the largest (1 where all are 0). Davies'
    0.3, -1.3 and 1 share no size: over 1.3 they are 3/13 and 10/13, a law to no reader and to
    no symbolic check that rounds to decimals; over 1 they stay as they are."""
    sizes = np.abs([c for c in coefs if c != 0.0])
    if not len(sizes):
        return 1.0

    def rank(size: float) -> tuple[int, int, float]:
        ratios = sizes / size
        return int(np.sum(np.abs(ratios - 1.0) <= 1e-8)), sum(map(_decimal, ratios)), size

    return float(max(sizes, key=rank))


def _decimal(value: float) -> bool:
    """``value`` is, to rounding, a fraction whose denominator (at most DECIMAL_DENOMINATOR) has
    no prime factor but 2 and 5: a terminating decimal (1.3, 1/256; not 3/13)."""
    r = Fraction(value).limit_denominator(DECIMAL_DENOMINATOR)
    if abs(float(r) - value) > 1e-9 * max(abs(value), 1.0):
        return False
    q = r.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def _common(powers: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The largest monomial dividing all ``powers``: per input the power nearest 0 where all
    share its sign, else 0."""
    out = []
    for column in zip(*powers):
        same = all(k > 0 for k in column) or all(k < 0 for k in column)
        out.append(min(column, key=abs) if same else 0)
    return tuple(out)


def _factored(fit: Fit, coefs: np.ndarray, intercept: float, ctx: SearchContext) -> Node | None:
    """P = intercept + sum c_k t_k with groups of terms that share a monomial m written m (t_a / m
    + c t_b / m ...), the groups chosen greedily by the nodes they save (powers of m times the
    group's size less one). The linear terms split every sum at the top and give each term a
    coefficient: p^2 / m + m omega^2 x^2 + m omega^2 alpha x^3 / y is a member of 32 nodes
    (maxsize 30), p^2 / m + m omega^2 x^2 (1 + alpha x / y) one of 24. Groups are searched among
    all subsets of up to ``FACTOR_TERMS`` terms."""
    o = ctx.options
    times = o.operator("*")
    items = [k for k in range(len(fit.p)) if coefs[k] != 0.0]  # (a coefficient rounded to 0 by _integers: no term)
    if times is None or len(items) > FACTOR_TERMS:
        return None
    nodes: list[Node] = []
    outer: list[float] = []
    while items:
        best, saving = None, 0
        for size in range(2, len(items) + 1):
            for group in itertools.combinations(items, size):
                common = _common([tuple(fit.p[k]) for k in group])
                gain = sum(map(abs, common)) * (size - 1)
                if gain > saving:
                    best, saving = (group, common), gain
        if best is None:
            break
        group, common = best
        lead = _shared_size(coefs[list(group)])
        rest = [tuple(int(k) for k in np.subtract(fit.p[j], common)) for j in group]
        inner = [Node.const(1.0) if not any(r) and fit.p_factors[j] is None else term_node(r, fit.p_factors[j], ctx)
                 for r, j in zip(rest, group)]
        monomial = monomial_node(common, ctx, compact=True)
        if monomial is None or any(t is None for t in inner):
            return None
        nodes.append(Node.binary(times, monomial, assemble(inner, _integers(coefs[list(group)] / lead), 0.0, o)))
        outer.append(lead)
        items = [k for k in items if k not in group]
    for k in items:
        term = term_node(tuple(fit.p[k]), fit.p_factors[k], ctx)
        if term is None:
            return None
        nodes.append(term)
        outer.append(float(coefs[k]))
    return assemble(nodes, np.array(outer), intercept, o)


def term_node(powers: tuple[int, ...], factor: Factor | None, ctx: SearchContext) -> Node | None:
    """One term x^powers [* factor] as a tree (None when an operator is missing)."""
    monomial = monomial_node(powers, ctx)
    if factor is None:
        return monomial
    function = factor.node(ctx)
    if function is None or monomial is None:
        return function
    return Node.binary(ctx.options.operator("*"), monomial, function)


def _integers(coefs: np.ndarray) -> np.ndarray:
    """Coefficients within rounding of an integer written as it (an exact fit's 0.9999999999 as 1,
    which assemble then leaves out: a seed must fit in maxsize)."""
    nearest = np.round(coefs)
    return np.where(np.abs(coefs - nearest) <= 1e-8 * np.maximum(np.abs(coefs), 1.0), nearest, coefs)


def numerator(fit: Fit, X: np.ndarray) -> np.ndarray:
    """P's values on the rows X."""
    E = np.array(fit.p, dtype=int).reshape(-1, X.shape[1])
    return fit.intercept + p_values(X, E, list(fit.p_factors)) @ np.array(fit.p_coefs)


def root_of_numerator(fit: Fit, X: np.ndarray, weights: np.ndarray | None) -> Fit | None:
    """A sparse polynomial R with R^2 = |P| on the rows, when there is one: a law fitted in y^2
    as P / (1 + Q) is then R / sqrt(+-(1 + Q)) in y ((x - u t)^2 / (1 - u^2 / c^2) is
    (x - u t) / sqrt(1 - u^2 / c^2), which sympy cannot see without the sign of x - u t)."""
    p = numerator(fit, X)
    if not (np.all(p > 0) or np.all(p < 0)):
        return None
    fits = rational_fits(X, np.sqrt(np.abs(p)), weights, with_q=False)
    return fits[0] if fits and fits[0].rss <= EXACT and fits[0].p else None


def root_node(fit: Fit, root: Fit, sign: float, ctx: SearchContext) -> Node | None:
    """R / sqrt(sign (1 + Q)) as a tree (R alone without Q)."""
    o = ctx.options
    top = fit_node(root, ctx)
    if top is None or not fit.q:
        return top
    q_terms = [monomial_node(q, ctx) for q in fit.q]
    sqrt, divide = o.operator("sqrt"), o.operator("/")
    if any(t is None for t in q_terms) or sqrt is None or divide is None:
        return None
    bottom = assemble(q_terms, _integers(sign * np.array(fit.q_coefs)), sign, o)
    return Node.binary(divide, top, Node.unary(sqrt, bottom))


def _outer(kind: str, node: Node, ctx: SearchContext) -> Node | None:
    """node as a fit of the target t is planted: as it is (kind "", t = y), under sqrt ("sqrt",
    t = y^2), as 1 / node ("inverse", t = 1 / y) or 1 / sqrt(node) ("inverse sqrt", t = 1 / y^2),
    as exp(+-sqrt(node)) ("exp root", "exp -root": t = log|y|^2 with log|y| > 0 or < 0); None where
    an operator is missing."""
    o = ctx.options
    if kind in EXP_ROOTS:
        return None if o.operator("sqrt") is None else signed_exp(kind, Node.unary(o.operator("sqrt"), node), ctx)
    if kind in ("sqrt", "inverse sqrt"):
        if o.operator("sqrt") is None:
            return None
        node = Node.unary(o.operator("sqrt"), node)
    if kind.startswith("inverse"):
        node = None if o.operator("/") is None else Node.binary(o.operator("/"), Node.const(1.0), node)
    return node


POWER = {"": 1, "sqrt": 2, "inverse": -1, "inverse sqrt": -2}  # t = (y / x^M)^k of each way to plant
EXP_ROOTS = ("exp root", "exp -root")  # t = log|y|^2, planted exp(+-sqrt(.)) (log|y| > 0 or < 0)


def _applies(ctx: SearchContext) -> bool:
    """Whether regression's rational starts apply to the search."""
    o, data = ctx.options, ctx.data
    return (o.objective == "regression" and o.rational_start > 0 and data.y is not None and 0 < data.d <= MAX_INPUTS
            and o.operator("*") is not None and o.operator("/") is not None and o.linear)


def _functions(o: Options) -> tuple[str, ...]:
    """The functions of P's library that the search has."""
    return tuple(f for f in ("log", "sin", "cos", "exp") if o.operator(f) is not None)


def root_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """(target name, members) from the first exact fit of y over one input's square root in its
    place, written in the inputs themselves, within ``ROOT_SHARE`` of the time left: a law of
    sqrt(x_i) among other terms (R T / (V - b) - a / (sqrt(T) V (V + b)), -A z^2 sqrt(I) / (1 + B a
    sqrt(I))) is a rational function there, in no library of integer powers. For each positive
    input that varies, P alone first (a fraction of the time of a fit with Q), then with Q, the
    inputs whose P alone came nearest first. Due late (``ROOT_DUE`` of the budget, where nothing is
    exact by then): a pass over d inputs costs seconds each (one selection of P per Q candidate,
    ~3 s with five inputs), which the laws that evolution finds later than the other starts would
    pay. Empty when the start does not apply or finds nothing exact."""
    o, data = ctx.options, ctx.data
    if not _applies(ctx) or o.operator("sqrt") is None:
        return []
    stop, functions = share_of(deadline, ROOT_SHARE), _functions(o)
    positive = [int(i) for i in np.flatnonzero(np.all(data.X > 0, axis=0) & (np.ptp(data.X, axis=0) > 0))]
    nearest: list[tuple[float, int]] = []  # (P alone's residual, input)
    for with_q in (False, True):
        for i in [i for _, i in sorted(nearest)] if with_q else positive:
            if stop is not None and time.perf_counter() > stop:
                return []
            X = data.X.copy()
            X[:, i] = np.sqrt(X[:, i])
            fits = rational_fits(X, data.y, data.weights, stop, with_q=with_q, functions=functions)
            seeds, exact = _planted([f for f in fits if f.rss <= EXACT], "", None, ctx, rooted=(i,))
            if exact:
                return [(f"y over sqrt({data.variable_names[i]})", seeds)]
            if not with_q:
                nearest.append((fits[0].rss if fits else math.inf, i))
    return []


def rational_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """(target name, members planted from its best rational fits) for y, when y keeps one sign
    and sqrt is allowed y^2, and where y has a monomial factor x^M (``separated_monomial``)
    y / x^M over the other inputs, planted times x^M (where only y^2 has such a factor, with odd
    powers, y^2 / x^M, planted times sqrt(x^M)). Where none of these gives an exact law that
    fits maxsize and y keeps one sign, the reciprocals (x^M / y, x^M / y^2, 1 / y, 1 / y^2) as a
    sum P alone, planted as 1 / P or 1 / sqrt(P): a law over a sum with no constant term
    (k / ((E^2 - M^2)^2 + M^2 Gamma^2), F / (m sqrt((omega_0^2 - omega^2)^2 + gamma^2 omega^2)))
    is no P / (1 + Q), but its reciprocal is a polynomial (one quick selection each, ~0.1-0.5 s).
    With sqrt, y / x^M squared is a direct target too. Where every target misses, the direct ones
    are fitted again as P alone, nearest first, with the wide library (``_wide_fits``) and with
    grown monomials (``grown_fits``), within another ``rational_start`` share of the time left,
    and where those miss too, with Q and a wider net (``_wider_net``) in a third share; an exact
    law over maxsize as a sum is planted with its terms' shared monomials written once. Empty
    when the start does not apply."""
    o, data = ctx.options, ctx.data
    if not _applies(ctx):
        return []
    y = data.y
    one_signed = bool(np.all(y > 0) or np.all(y < 0))
    # (name, target, how it is planted (_outer), the monomial factor taken out and the inputs
    # left, whether Q is fitted): the direct targets first, the reciprocals only while nothing is exact
    bases: list[tuple[str, np.ndarray, Split | None]] = [("y", y, None)]
    functions = _functions(o)
    # sines and cosines first: their zeros put outliers into log|y| that can hide a monomial factor
    periodic = periodic_factors(data.X, y, np.arange(data.d), functions)
    found = separated_monomial(data.X, y / Split((0,) * data.d, np.arange(data.d), periodic=periodic).values(data.X))
    powers, rest = found if found is not None else ((0,) * data.d, np.arange(data.d))
    taken = {j for j, _ in periodic}
    rest = np.array([i for i in rest if i not in taken], dtype=int)
    separated = Split(powers, rest, periodic=periodic) if (found is not None or periodic) and len(rest) else None
    if separated is not None:
        factor = "factor" if periodic else "monomial factor"
        bases.append((f"y over its {factor}", y / separated.values(data.X), separated))
    targets: list[tuple[str, np.ndarray, str, Split | None, bool]] = [("y", y, "", None, True)]
    if o.operator("sqrt") is not None and one_signed:
        targets.append(("y^2", y * y, "sqrt", None, True))
    if separated is not None:
        targets.append((bases[1][0], bases[1][1], "", separated, True))
        quotient = bases[1][1]
        if o.operator("sqrt") is not None and bool(np.all(quotient > 0) or np.all(quotient < 0)):
            # t0 sqrt(1 - 2 G M / (c^2 r)): 1 - 2 G M / (c^2 r) is within P's library, y^2's
            # t0^2 G M / (c^2 r) (five inputs) is not
            targets.append((f"({bases[1][0]})^2", quotient * quotient, "sqrt", separated, True))
    elif o.operator("sqrt") is not None and one_signed:
        halves = separated_monomial(data.X, y * y)
        if halves is not None and any(k % 2 for k in halves[0]):
            # y's factor has half powers, y^2's integers: sqrt(L / g) (1 + theta^2 / 16) is
            # sqrt(L / g) times a polynomial in theta, planted so
            targets.append(("y^2 over its monomial factor", y * y / monomials(data.X, np.array([halves[0]]))[:, 0],
                            "sqrt", Split(*halves, root=True), True))
    direct = len(targets)
    with np.errstate(all="ignore"):  # (a y that crosses 0 has poles in 1 / y: no polynomial)
        for name, base, split in reversed(bases) if one_signed else ():  # over fewer inputs first: smaller trees
            targets.append((f"1 / ({name})", 1.0 / base, "inverse", split, False))
            if o.operator("sqrt") is not None:
                targets.append((f"1 / ({name})^2", 1.0 / (base * base), "inverse sqrt", split, False))
        logs = np.log(np.abs(y)) if one_signed else None
        if logs is not None and (np.all(logs > 0) or np.all(logs < 0)) and o.operator("exp") is not None:
            # exp(-2 a sqrt(2 m (V - E)) / hbar) (WKB tunnelling, a Gamow factor): log|y| is a
            # monomial times a root of a sum, which neither the log start's sum of terms nor a
            # product writes; its square is a polynomial
            targets.append(("log|y|^2", logs * logs, "exp root" if logs[0] > 0 else "exp -root", None, False))
    ends = share_of(deadline, o.rational_start)
    out, exact, missed = [], False, []
    for i, (name, t, outer, split, with_q) in enumerate(targets):
        if i >= direct and exact:
            break
        if not np.all(np.isfinite(t)) or np.ptp(t) <= 0:
            continue
        # P alone (the reciprocals) is one selection, ~0.1-0.5 s: no share of the deadline
        stop = None if ends is None or i >= direct else time.perf_counter() + (ends - time.perf_counter()) / (direct - i)
        X = data.X if split is None else data.X[:, split.rest]
        with np.errstate(all="ignore"):  # t is (y / x^M)^k: y's residual is t's times |y / (k t)|
            # (t = log|y|^2: |y / (2 log|y|)|)
            scale = np.abs(y / (2 * np.sqrt(t)) if outer in EXP_ROOTS else y / (POWER[outer] * t))
        scale = scale if np.all(np.isfinite(scale)) else None
        fits = rational_fits(X, t, data.weights, stop, with_q=with_q, functions=functions, scale=scale)
        if not with_q and not any(f.rss <= EXACT for f in fits) and {"sin", "cos"} & set(functions):
            # a reciprocal with cos theta / (m c^2) (Compton): a second pass with the wide library,
            # only where the plain one fails (in every pass they slowed regression's rational start,
            # and their near-exact stand-ins kept Breit-Wigner's reciprocal from its dense polynomial)
            fits = rational_fits(X, t, data.weights, stop, with_q=False, functions=functions, wide=True) + fits
        seeds, planted_exact = _planted(fits, outer, split, ctx)
        exact = exact or planted_exact
        if i < direct and fits and fits[0].rss > EXACT:  # (an exact fit over maxsize is no library's fault)
            # (rss relative to t |y / (k t)| = y / k: k^2 times y's relative residual)
            missed.append((fits[0].rss / POWER[outer] ** 2, i, fits))
        out.append((name, seeds))
    stop = share_of(deadline, o.rational_start)
    nearest = sorted(missed, key=lambda m: m[0]) if not exact else []
    for _, i, fits in nearest:
        # every target missed: the direct ones, nearest first, as P alone with the wide library's
        # functions (sin^2 beta (omega_0 / omega)^2 in a sum) and with monomials beyond the library
        # (the nearest is not always the law's: y / (m omega^2) is nearer than y for p^2 / (2 m) + ...)
        name, t, outer, split, _ = targets[i]
        X = data.X if split is None else data.X[:, split.rest]
        for how, again in (("wide", lambda: _wide_fits(X, t, data.weights, stop, functions)),
                           ("grown monomials", lambda: grown_fits(X, t, fits, data.weights, stop))):
            seeds, exact = _planted(again(), outer, split, ctx)
            if seeds:
                out.append((f"{name}, {how}", seeds))
            if exact:
                break
        if exact:
            break
    # and where those missed too, a wider net for each with Q, nearest first, in a share of its own
    # (before the grown monomials of the law's target, it cost bonus test_17 its law: 12 s -> missed)
    stop = share_of(deadline, o.rational_start)
    for _, i, _ in nearest if not exact else ():
        name, t, outer, split, with_q = targets[i]
        X = data.X if split is None else data.X[:, split.rest]
        seeds, exact = _planted(_wider_net(X, t, data.weights, stop, functions, with_q), outer, split, ctx)
        if seeds:
            out.append((f"{name}, a wider net", seeds))
        if exact:
            break
    return out
