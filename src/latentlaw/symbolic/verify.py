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


# -- neurons that use several laws (n_concepts > 1) -------------------------------------------
SPAN_TOLERANCE = 1e-3  # 1 - span_alignment below this: the same span of laws


def _orthonormal_span(fields: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per row, an orthonormal basis (n, d, k) of the fields' span, and which rows have all k
    fields defined and independent there."""
    G = np.stack(fields, axis=2)
    ok = np.isfinite(G).all(axis=(1, 2))
    G = np.where(np.isfinite(G), G, 0.0)
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    scale = np.median(norms[ok], axis=0, keepdims=True) if ok.any() else np.ones_like(norms[:1])
    ok &= (norms > ZERO * scale).all(axis=(1, 2))
    q, r = np.linalg.qr(G / np.maximum(norms, 1e-300))
    diag = np.abs(np.einsum("nkk->nk", r))
    ok &= (diag > 1e-9).all(axis=1)
    return q, ok


def span_alignment(found: Sequence[object], laws: Sequence[object], X: np.ndarray, variable_names: Sequence[str],
                   projector: np.ndarray | None = None) -> float:
    """How well the gradient span of the ``found`` concepts matches that of the ``laws``, on X.

    Per row, the principal angles between span(grad found) and span(grad laws): the cosine of
    the largest angle (1 = the same span; 0 when the dimensions differ, since some direction of
    the larger span is orthogonal to the smaller one). Averaged over the rows where the laws'
    gradients are defined and independent; rows where the found ones are not count as 0. It is
    symmetric, and blind to mixing or reshaping the concepts, as the neuron F(T1, ..., Tk) is."""
    names = list(variable_names)
    P = None if projector is None else np.asarray(projector, dtype=np.float64)

    def fields(exprs: Sequence[object]) -> list[np.ndarray]:
        out = [gradient_field(e, X, names) for e in exprs]
        return out if P is None else [f @ P for f in out]

    qa, ok_a = _orthonormal_span(fields(found))
    qb, ok_b = _orthonormal_span(fields(laws))
    if not ok_b.any():
        return 0.0
    if qa.shape[2] != qb.shape[2]:
        return 0.0
    sv = np.linalg.svd(np.einsum("ndk,ndl->nkl", qa[ok_b], qb[ok_b]), compute_uv=False)
    cos = np.clip(sv.min(axis=1), 0.0, 1.0)
    cos = np.where(ok_a[ok_b], cos, 0.0)
    return float(cos.mean())


def span_verdict(found: Sequence[object], laws: Sequence[object], X: np.ndarray, variable_names: Sequence[str],
                 projector: np.ndarray | None = None, tol: float = SPAN_TOLERANCE) -> dict:
    """The verdict for a multi-concept row: does the found span equal the laws' span (within
    ``tol``), and for each found concept, which law it matches best and whether it has that law's
    exact form (``form_alignment``; a concept that is a mixture of laws matches none exactly,
    and that is no failure of the span).

    Returns {"span_alignment", "span_equivalent", "concepts": [{"law", "alignment",
    "form_alignment", "exact_form"}, ...]} with ``law`` the index into ``laws``."""
    alignment = span_alignment(found, laws, X, variable_names, projector)
    concepts = []
    for expr in found:
        scores = [gradient_alignment(expr, law, X, variable_names, projector) for law in laws]
        best = int(np.argmax(scores))
        form = form_alignment(expr, laws[best], X, variable_names, projector) if scores[best] > 0.9 else scores[best]
        concepts.append({"law": best, "alignment": float(scores[best]), "form_alignment": float(form),
                         "exact_form": bool(1.0 - form <= FORM_TOLERANCE)})
    return {"span_alignment": alignment, "span_equivalent": bool(alignment >= 1.0 - tol), "concepts": concepts}
