"""When is a found expression the Feynman law? SRBench's symbolic rule, its gradient analogue, numeric rules.

Regression, symbolic (SRBench 2021): the model minus the truth, or the model over the truth,
simplifies to a constant (a nonzero one for the ratio). Where the ratio does not, its square may
(``_constant_square``): sympy cannot merge sqrt(1 + b)/sqrt(1 - b) into sqrt((1 + b)/(1 - b)) without
knowing 1 - b > 0, which the ranges imply but symbol signs cannot say. As in SRBench, float constants are first
tried as found and then rounded to ``DIGITS`` decimals (0.4999997 -> 1/2); scales and offsets
need no rounding, the rule admits any. Gradient, symbolic: f and the found g are functionally
dependent (g = h(f) for some function h, locally), i.e. every 2x2 minor f_i g_j - f_j g_i of
their stacked gradients simplifies to 0, and g is not constant. With one variable every
non-constant g qualifies, so such equations are reported apart. sympy gets the variables'
signs from their ranges (all Feynman ranges are >= 0), and every decision has a time limit
(``time_limit``): undecided counts as not exact.

Numeric rules on fresh points: normalised squared error (1 - R^2 against the noise-free truth)
below ``NUMERIC_REGRESSION``; for gradients, misalignment 1 - |mean cos| of the two gradient
fields (latentlaw.symbolic.verify) below latentlaw's ``FORM_TOLERANCE``. The numeric rules also
admit approximations closer than their thresholds, so both rules are reported.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import numpy as np
import sympy

from latentlaw.symbolic.verify import FORM_TOLERANCE, gradient_alignment

DIGITS = 3  # SRBench rounds model constants to 3 decimals before its symbolic check
NUMERIC_REGRESSION = 1e-6  # 1 - R^2 on fresh points against the noise-free truth
NUMERIC_GRADIENT = FORM_TOLERANCE  # 1e-8: 1 - |mean cos| of the gradient fields on fresh points
GOOD_FIT = 0.999  # R^2 (regression) or |mean cos| (gradient): a close fit, exact or not


RETRY = 0.05  # seconds between expiries after the first, until the limited block has ended


class CheckTimeout(BaseException):
    """A sympy decision ran past its time limit. A BaseException, as KeyboardInterrupt is, and
    raised again every RETRY s: sympy catches Exception in places, where an expiry raised as one
    is swallowed (the likely cause of a CI run whose 0.2 s check of a bloated expression ran on
    for minutes)."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in this (main) thread after ``seconds``: sympy.simplify can run for
    hours on a bloated expression. Pure-Python work is interruptible this way; elsewhere (not the
    main thread, or no limit) the block runs unlimited and the child process's hard timeout guards."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise CheckTimeout(f"sympy check took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, RETRY)  # and again every RETRY s until the block ends
    try:
        yield
    finally:
        while True:  # an expiry may land here too: disarm until one call has run through
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
                break
            except CheckTimeout:
                continue
        signal.signal(signal.SIGALRM, previous)


def with_signs(expr: sympy.Expr, ranges: Mapping[str, tuple[float, float]]) -> sympy.Expr:
    """``expr`` over symbols that know their sign from their sampling range (positive when the
    range is above 0, nonnegative from 0), so sympy may simplify sqrt(x**2) to x."""
    def symbol(name: str) -> sympy.Symbol:
        low, high = ranges.get(name, (-math.inf, math.inf))
        if low > 0:
            return sympy.Symbol(name, positive=True)
        if low >= 0:
            return sympy.Symbol(name, nonnegative=True)
        if high < 0:
            return sympy.Symbol(name, negative=True)
        return sympy.Symbol(name, real=True)

    return expr.xreplace({s: symbol(str(s)) for s in expr.free_symbols})


def hyperbolic_as_exp(expr: sympy.Expr) -> sympy.Expr:
    """tanh, sinh and cosh written with exp (the same expression): simplify does not reduce the
    gradient minors of n mom tanh(mom B/(kb T)) against the law found as a quotient of exps
    (decided False in a second), and does with both in exps."""
    return expr.replace(sympy.tanh, lambda a: (sympy.exp(2 * a) - 1) / (sympy.exp(2 * a) + 1)).replace(
        sympy.sinh, lambda a: (sympy.exp(a) - sympy.exp(-a)) / 2).replace(
        sympy.cosh, lambda a: (sympy.exp(a) + sympy.exp(-a)) / 2)


def round_floats(expr: sympy.Expr, digits: int = DIGITS) -> sympy.Expr:
    """Float constants rounded to ``digits`` decimals, as exact rationals (so simplify can cancel)."""
    return expr.xreplace({f: sympy.Rational(round(float(f), digits)).limit_denominator(10**digits)
                          for f in expr.atoms(sympy.Float)})


# What sympy itself raises on candidates it cannot handle (simplify's logcombine raised
# KeyError: zoo on two gplearn programs): the candidate is not shown to be the law.
SYMPY_FAILURES = (TypeError, ValueError, ZeroDivisionError, RecursionError, AttributeError, KeyError)


def _is_constant(expr: sympy.Expr, nonzero: bool = False) -> bool:
    if expr.free_symbols or expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
        return False
    return not (nonzero and expr == 0)


def _candidates(model: sympy.Expr) -> list[sympy.Expr]:
    model = hyperbolic_as_exp(model)
    rounded = round_floats(model)
    return [model] if rounded == model else [model, rounded]


def srbench_exact(model: sympy.Expr, truth: sympy.Expr, ranges: Mapping[str, tuple[float, float]],
                  limit: float | None = 20.0) -> bool | None:
    """SRBench's symbolic solution: model - truth or model / truth simplifies to a constant.
    None when sympy could not decide within ``limit`` seconds."""
    truth = hyperbolic_as_exp(with_signs(truth, ranges))
    try:
        with time_limit(limit):
            for candidate in _candidates(with_signs(model, ranges)):
                if _is_constant(sympy.simplify(candidate - truth)):
                    return True
                if _is_constant(sympy.simplify(candidate / truth), nonzero=True):
                    return True
                if _constant_square(candidate / truth, ranges):
                    return True
    except CheckTimeout:
        return None
    except SYMPY_FAILURES:
        return False  # sympy cannot handle this candidate; it is not shown to be the law
    return False


SIGN_POINTS = 256  # points of the ranges on which a ratio whose square is constant must keep one sign


def _constant_square(ratio: sympy.Expr, ranges: Mapping[str, tuple[float, float]]) -> bool:
    """The ratio's square simplifies to a nonzero constant and the ratio has one sign on the ranges.

    Squaring removes the branch question sympy cannot settle from symbol signs alone; what it
    loses is the sign, and a ratio squaring to a constant is that constant's root up to a sign
    that may flip where the truth crosses zero (|x - 3| over x - 3). The flip is what the points
    look for: ``SIGN_POINTS`` seeded points of the sampling box, all finite and of one sign.
    """
    if not _is_constant(sympy.simplify(ratio ** 2), nonzero=True):
        return False
    names = sorted(str(s) for s in ratio.free_symbols)
    bounds = np.array([ranges.get(n, (-math.inf, math.inf)) for n in names], dtype=float).reshape(-1, 2)
    if not np.isfinite(bounds).all():
        return False
    points = np.random.default_rng(0).uniform(bounds[:, 0], bounds[:, 1], (SIGN_POINTS, len(names)))
    symbols = sorted(ratio.free_symbols, key=str)
    with np.errstate(all="ignore"):
        values = np.asarray(sympy.lambdify(symbols, ratio, "numpy")(*points.T), dtype=complex)
    values = np.broadcast_to(values, (SIGN_POINTS,))
    if not np.isfinite(values).all() or np.abs(values.imag).max() > 1e-9 * np.abs(values.real).max():
        return False
    return bool((values.real > 0).all() or (values.real < 0).all())


def functionally_dependent(model: sympy.Expr, truth: sympy.Expr, ranges: Mapping[str, tuple[float, float]],
                           limit: float | None = 20.0) -> bool | None:
    """The gradient rule: every 2x2 minor of [grad truth; grad model] simplifies to 0 and the model
    is not constant. None when sympy could not decide within ``limit`` seconds."""
    truth = hyperbolic_as_exp(with_signs(truth, ranges))
    names = sorted(ranges)
    try:
        with time_limit(limit):
            for candidate in _candidates(with_signs(model, ranges)):
                symbols = {str(s): s for s in (*truth.free_symbols, *candidate.free_symbols)}
                xs = [symbols.get(n, sympy.Symbol(n)) for n in names]
                gf = [sympy.diff(truth, x) for x in xs]
                gm = [sympy.diff(candidate, x) for x in xs]
                if all(sympy.simplify(g) == 0 for g in gm):
                    continue  # a constant carries no law
                if all(sympy.simplify(gf[i] * gm[j] - gf[j] * gm[i]) == 0
                       for i in range(len(xs)) for j in range(i + 1, len(xs))):
                    return True
    except CheckTimeout:
        return None
    except SYMPY_FAILURES:
        return False
    return False


def regression_error(pred: np.ndarray, truth: np.ndarray) -> float:
    """1 - R^2 of ``pred`` against the noise-free ``truth``: mean squared error / variance (inf if undefined)."""
    with np.errstate(all="ignore"):
        error = float(np.mean((pred - truth) ** 2) / np.var(truth))
    return error if math.isfinite(error) else math.inf


def misalignment(model: sympy.Expr, truth: sympy.Expr, variables: list[str], X: np.ndarray) -> float:
    """1 - |mean cos| between the gradient fields of model and truth on X (1 if undefined)."""
    try:
        return 1.0 - float(gradient_alignment(model, truth, X, variables))
    except Exception:  # an expression that cannot be differentiated or evaluated aligns with nothing
        return 1.0
