"""How well an equation reproduces the latent it explains, on held-out rows.

Without a ground truth (every autoencoder) the latent itself is the reference. Direct regression
returns z = f(x) in the latent's units, so its R^2 is that of the expression as it stands. A
symbolic-gradient expression T equals the latent only up to an invertible map, so its R^2 is that
of the best affine map z ~ a + b*T: a lower bound when the map is curved. The gradient alignment
(|mean cos| between grad T and grad z, 1 = same level sets) is reported for both and ignores the
map altogether. A row of k concepts (T1, ..., Tk) is scored the same way with the affine map
z ~ a + b1*T1 + ... + bk*Tk and, for the alignment, the mean cosine of the angle between grad z
and the span of the k gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from latentlaw.symbolic.concepts import span_loss_of_fields
from latentlaw.symbolic.export_sympy import concepts_of
from latentlaw.symbolic.verify import alignment_of_fields, gradient_field

AS_FITTED = "as fitted"  # direct regression: the expression in the latent's units
AFFINE_REFIT = "affine refit z ~ a + b*T"  # symbolic gradients: T is the latent up to a monotone map


@dataclass
class LatentFit:
    r2: float  # of the selected expression
    best_r2: float  # the best over the front
    alignment: float  # |mean cos| of its gradient field with the latent's
    method: str  # AS_FITTED or AFFINE_REFIT


def values(expression: sympy.Expr, X: np.ndarray, variables: Sequence[str]) -> np.ndarray:
    """The expression at the rows of X (NaN where undefined); X's columns are ``variables``.
    A row of k concepts gives an (n, k) array, one column per concept."""
    if len(concepts_of(expression)) > 1:
        return np.column_stack([values(e, X, variables) for e in concepts_of(expression)])
    names = list(variables)
    used = sorted(expression.free_symbols, key=str)
    columns = [names.index(str(s)) for s in used]
    fn = sympy.lambdify(used, expression, modules="numpy")
    with np.errstate(all="ignore"):
        out = fn(*(X[:, j] for j in columns))
    return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()


def r_squared(prediction: np.ndarray, target: np.ndarray, refit: bool) -> float:
    """1 - SSE/SST; with ``refit`` after the least-squares affine map of the prediction (of its
    columns, when it has several). A prediction that is undefined on any row scores -inf: it
    does not reproduce the latent there."""
    if not np.all(np.isfinite(prediction)):
        return float("-inf")
    total = float(np.sum((target - target.mean()) ** 2))
    if total <= 0:
        return float("nan")
    if refit:
        design = np.column_stack([np.ones(len(prediction)), prediction])
        coef, *_ = np.linalg.lstsq(design, target, rcond=None)
        prediction = design @ coef
    return 1.0 - float(np.sum((target - prediction) ** 2)) / total


def score(expression: sympy.Expr, front: Sequence[sympy.Expr], X: np.ndarray, variables: Sequence[str],
          latent: np.ndarray, latent_gradients: np.ndarray, objective: str) -> LatentFit:
    """R^2 (selected and best on the front) and gradient alignment against the latent at X."""
    refit = objective == "gradient"
    r2 = r_squared(values(expression, X, variables), latent, refit)
    best = max([r2, *(r_squared(values(e, X, variables), latent, refit) for e in front)])
    fields = [gradient_field(e, X, variables) for e in concepts_of(expression)]
    if len(fields) > 1:  # the cosine of each latent gradient's angle to the concepts' span
        alignment = float(np.mean(np.sqrt(1.0 - span_loss_of_fields(fields, latent_gradients))))
    else:
        alignment = alignment_of_fields(fields[0], latent_gradients)
    return LatentFit(r2=r2, best_r2=best, alignment=alignment, method=AFFINE_REFIT if refit else AS_FITTED)
