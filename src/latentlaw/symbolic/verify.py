"""Deciding whether a law was recovered, independent of spelling, constants or reshaping.

Two expressions carry the same information when one is an invertible function of the other,
i.e. when their gradients are parallel everywhere. ``gradient_alignment`` measures exactly that
on sample points: |mean cos| between the two normalised gradient fields (one global sign is
free, per-sample signs are not). ``equivalent`` is the verdict latentlaw uses.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import sympy

from latentlaw.symbolic.export_sympy import as_sympy

ZERO = 1e-12  # gradients shorter than this (relative to the median) carry no direction
FORM_TOLERANCE = 1e-8  # 1 - form_alignment below this: the law's exact form (measured: approximations stay above 1e-7)
VANISHED = 1e-4  # a constant refitted to below this share of its found value has dropped out


def gradient_field(expression: object, X: np.ndarray, variable_names: Sequence[str]) -> np.ndarray:
    """grad of ``expression`` (sympy, string or tree) at the rows of X, shape (n, d); NaN where undefined."""
    names = list(variable_names)
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    if X.shape[1] != len(names):
        raise ValueError(f"X has {X.shape[1]} columns but {len(names)} variable names were given.")
    expr = as_sympy(expression, names)
    unknown = sorted(str(s) for s in expr.free_symbols if str(s) not in names)
    if unknown:
        raise ValueError(f"expression {expr} uses {unknown}, which are not among the variables {names}.")
    # real symbols, so that d|x|/dx is sign(x) rather than an unevaluated derivative of re(x)
    symbols = [sympy.Symbol(n, real=True) for n in names]
    expr = expr.xreplace({s: symbols[names.index(str(s))] for s in expr.free_symbols})
    out = np.zeros_like(X)
    with np.errstate(all="ignore"):
        for j, s in enumerate(symbols):
            if s not in expr.free_symbols:
                continue
            fn = sympy.lambdify(symbols, sympy.diff(expr, s), modules="numpy")
            out[:, j] = np.broadcast_to(np.asarray(fn(*X.T), dtype=np.float64), (X.shape[0],))
    return out


def alignment_of_fields(a: np.ndarray, b: np.ndarray) -> float:
    """|mean cos| between gradient fields ``a`` and reference ``b``, over the rows where ``b`` has a
    direction; rows where ``a`` is undefined or zero there count as unaligned (cos 0)."""
    with np.errstate(all="ignore"):
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        usable = np.isfinite(nb) & (nb > 0)
        if not usable.any():
            return 0.0
        usable &= nb > ZERO * np.median(nb[usable])
        cos = np.einsum("ij,ij->i", a[usable], b[usable]) / (na[usable] * nb[usable])
    cos = np.where(np.isfinite(cos), np.clip(cos, -1.0, 1.0), 0.0)
    return float(abs(cos.mean()))


def gradient_alignment(expr: object, reference: object, X: np.ndarray, variable_names: Sequence[str],
                       projector: np.ndarray | None = None) -> float:
    """|mean cos| between the normalised gradient fields of ``expr`` and ``reference`` on X (1 = same law).

    With ``projector`` (the tangent space of X, ``dataset.tangent_projector``) only the parts of the
    gradients along the directions X varies in are compared: on antisymmetric matrices A12*A21 and
    -A12**2 are the same law, though their gradients differ across the subspace."""
    a, b = gradient_field(expr, X, variable_names), gradient_field(reference, X, variable_names)
    if projector is not None:
        a, b = a @ projector, b @ projector
    return alignment_of_fields(a, b)


def equivalent(expr: object, reference: object, X: np.ndarray, variable_names: Sequence[str],
               tol: float = 1e-3, projector: np.ndarray | None = None) -> bool:
    """True when ``expr`` is the same law as ``reference`` up to an invertible reshaping, on X."""
    return gradient_alignment(expr, reference, X, variable_names, projector) >= 1.0 - tol


def form_alignment(expr: object, reference: object, X: np.ndarray, variable_names: Sequence[str],
                   projector: np.ndarray | None = None, max_evaluations: int = 2000) -> float:
    """The alignment of ``expr`` with ``reference`` after refitting every decimal constant of
    ``expr`` to the reference's gradient field. The right law with imprecise constants
    (``v**2 + 2.07*sin(x)`` for ``v**2/2 + sin(x)``) reaches 1 to rounding; an approximation by
    another form (``0.32*v**2 - log(sin(cos(x)))`` for a quartic energy) stays below it, so
    ``1 - form_alignment <= FORM_TOLERANCE`` says the form is the law's. A refit that only works by
    driving a coefficient to zero (``0.05*A12 + exp(1.98*A11 + 2*A22)`` for the trace) is refused:
    the expression has a part the law lacks, and the alignment as found is returned."""
    from scipy.optimize import least_squares

    names = list(variable_names)
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    start = gradient_alignment(expr, reference, X, names, projector)
    symbols = [sympy.Symbol(n, real=True) for n in names]
    parsed = as_sympy(expr, names)
    parsed = parsed.xreplace({s: symbols[names.index(str(s))] for s in parsed.free_symbols})
    constants = sorted(parsed.atoms(sympy.Float), key=float)
    if not constants:
        return start
    params = sympy.symbols(f"c0:{len(constants)}", real=True)
    template = parsed.xreplace(dict(zip(constants, params)))
    partials = [(j, sympy.lambdify([*symbols, *params], sympy.diff(template, s), modules="numpy"))
                for j, s in enumerate(symbols) if s in template.free_symbols]
    P = np.eye(len(names)) if projector is None else projector
    target = gradient_field(reference, X, names) @ P
    norms = np.linalg.norm(target, axis=1)
    rows = np.isfinite(norms) & (norms > ZERO * np.median(norms[np.isfinite(norms)]))
    columns, unit_target = X[rows].T, target[rows] / norms[rows, None]

    def field(c: np.ndarray) -> np.ndarray:
        out = np.zeros((columns.shape[1], len(names)))
        for j, fn in partials:
            out[:, j] = np.broadcast_to(np.asarray(fn(*columns, *c), dtype=np.float64), (columns.shape[1],))
        return out @ P

    def residuals(c: np.ndarray) -> np.ndarray:
        """Unit candidate gradients minus the (globally signed) unit targets: their squared sum is
        2n(1 - alignment), and they change to first order in c, which a least-squares solver needs."""
        with np.errstate(all="ignore"):
            a = field(c)
            a = a / np.linalg.norm(a, axis=1, keepdims=True)
            a = np.where(np.isfinite(a), a, 0.0)
            sign = 1.0 if np.einsum("ij,ij->", a, unit_target) >= 0 else -1.0
            return (a - sign * unit_target).ravel()

    c0 = np.array([float(c) for c in constants])
    try:
        fit = least_squares(residuals, c0, method="trf", x_scale="jac", max_nfev=max_evaluations,
                            ftol=1e-15, xtol=1e-15, gtol=1e-15)
    except (ValueError, FloatingPointError, np.linalg.LinAlgError):
        return start
    # A coefficient refitted to zero removes a term or factor the law does not have; a shift may
    # legitimately refit to zero (sin(x - 0.03) is the law's sin(x)).
    coefficients = {a for m in parsed.atoms(sympy.Mul) for a in m.args if isinstance(a, sympy.Float)}
    if any(abs(x) <= VANISHED * abs(c) and const in coefficients for x, c, const in zip(fit.x, c0, constants)):
        return start
    with np.errstate(all="ignore"):
        refit = alignment_of_fields(field(fit.x), unit_target)
    return max(start, refit)
