"""Scoring the Pareto front and choosing one expression from it.

``score`` is PySR's: the drop in log-loss per unit of complexity from the next simpler row.
The ``"best"`` rule picks the law at the knee of the front:

1. Losses below a numerical floor are equal (1e-10 for gradients, 1e-10 x var(y) for
   regression); of equal-loss rows only the simplest counts.
2. The first row's score is measured from a null model of complexity 0: loss 2 for gradients
   (no alignment) and var(y) for regression (a constant).
3. Candidates are rows accurate enough. When an exact fit exists (best loss <= 1e-8, relative to
   var(y) for regression) that is PySR's 1.5 x best: every approximation loses to the exact law.
   Otherwise the floor is noise (gradients of a trained network: 1e-3..1e-2) and longer
   expressions fit the network's own artefacts, pushing the best loss below the law's, so
   candidates have loss <= max(2 x best, min(good_enough, 10 x best)), ``good_enough`` being 0.03
   for gradients (|mean cos| >= 0.985) and 0.01 x var(y) for regression. The 10x cap is a
   compromise: approximations 30x above a noisy law exist (x^2 - 1.5 cos v for the anharmonic
   oscillator), so a law 27x above artefact fits (the paper's 2x2 determinant) is not reachable.
4. Among candidates prefer *plateau starts*: rows after which no more complex row improves the
   loss at even half the row's own rate (``g_k <= s_k / 2``, ``g_k`` the steepest later rate).
   Of those take the highest score; if there are none, the highest score among candidates.
5. With noise, a good-enough row above the 10x cap is a plateau start too when every later row
   improves on it by less than ``SLOW`` (0.3) in log-loss per unit of complexity: artefact fits
   creep down slowly (measured: 12x over 24 units after A11 + A22 for a network's trace), while
   the law after an approximation drops steeply (29x over 3 units for the anharmonic oscillator).

On exact data this returns the first row at the floor (the law, never a longer spelling); with
noise the law's drop dwarfs what extra terms buy, so longer variants have low scores; a
too-simple approximation is either not accurate enough or is followed by a steep drop, so it is
not a plateau start.

Regression with noise of its own (measurements: iid noise on y) is another case: no expression
goes far below the noise, and a stand-in 8x above the law (kT/(hbar w) for Bose-Einstein's
1/(exp(hbar w/kT) - 1) on 1% noise) is no more equivalent to it than any other wrong law. When
what the least-loss row leaves is white noise (``noise_rows``: its residual is uncorrelated
between nearest neighbours in x while y itself is not), Schwarz's criterion
n log(loss) + complexity log n picks the row instead: what a row more complex than that buys is
what fitting noise buys.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

PYSR_TOLERANCE = 1.5
NOISY_TOLERANCE = (2.0, 10.0)  # (always within, within when also good enough) x best
EXACT_FACTOR = 100.0  # best loss within this factor of the floor: an exact fit exists
PLATEAU = 0.5
SLOW = 0.3  # log-loss per unit of complexity: what artefact fits buy after a noisy law (measured ~0.1)
WHITE = 3.0  # standard errors (1/sqrt(n)) of the neighbour correlation that iid noise stays under
RESOLVED = 0.5  # y's own neighbour correlation above which the test can see structure at all
SAMPLE = 2000  # rows the neighbour test reads at most (evenly spaced: no randomness)


def floor_and_levels(objective: str, y_variance: float | None = None,
                     n_concepts: int = 1) -> tuple[float, float, float]:
    """(floor, null loss, good-enough loss) for an objective (its own ``levels``); exact fits are
    below 100 x floor."""
    from latentlaw.symbolic.objectives import OBJECTIVES

    return OBJECTIVES[objective].levels(y_variance, n_concepts)


def scores(complexity: Sequence[float], loss: Sequence[float], floor: float = 0.0,
           null_loss: float | None = None) -> np.ndarray:
    """-d log(loss) / d complexity against the previous row (the first against the null model, or 0)."""
    c = np.asarray(complexity, dtype=float)
    l = np.maximum(np.asarray(loss, dtype=float), max(floor, 1e-300))
    out = np.zeros(len(c))
    for k in range(len(c)):
        if k == 0:
            if null_loss is not None and c[0] > 0 and null_loss > l[0]:
                out[0] = math.log(null_loss / l[0]) / c[0]
            continue
        dc = c[k] - c[k - 1]
        out[k] = max(math.log(l[k - 1] / l[k]), 0.0) / dc if dc > 0 else 0.0
    return out


def neighbour_correlation(Z: np.ndarray, values: np.ndarray) -> float:
    """Correlation of ``values`` between each row of ``Z`` and its nearest neighbour: ~0 (within
    a few 1/sqrt(n)) for iid noise, near 1 for a function that is smooth at the rows' spacing."""
    from scipy.spatial import cKDTree

    neighbour = cKDTree(Z).query(Z, k=2)[1][:, 1]
    centred = values - values.mean()
    total = float(centred @ centred)
    return float(centred @ centred[neighbour]) / total if total > 0 else 0.0


def noise_rows(X: np.ndarray, y: np.ndarray, residual: np.ndarray, used: Sequence[int],
               weights: np.ndarray | None = None) -> int | None:
    """The number of rows (effective, with weights) when ``residual`` (y minus the least-loss row)
    is white noise, else None. White: its nearest-neighbour correlation is below ``WHITE``/sqrt(n)
    both in all inputs (no variable left out) and in the row's ``used`` inputs (where the test
    has most power); and y's own is above ``RESOLVED`` (the rows are dense enough to show
    structure: in many dimensions neighbours are far apart and the test could not see any)."""
    n = len(y)
    rows = np.unique(np.linspace(0, n - 1, min(n, SAMPLE)).astype(int))
    scale = X[rows].std(axis=0)
    if not (scale > 0).any() or len(rows) < 30:
        return None
    Z = (X[rows] - X[rows].mean(axis=0)) / np.where(scale > 0, scale, 1.0)  # constant columns: 0
    root = np.ones(len(rows)) if weights is None else np.sqrt(weights[rows])
    r, target = residual[rows] * root, y[rows] * root
    if not (np.isfinite(r).all() and np.isfinite(target).all()):
        return None
    limit = WHITE / math.sqrt(len(rows))
    own = sorted(j for j in set(used) if scale[j] > 0)
    spaces = [Z] + ([Z[:, own]] if own and len(own) < int((scale > 0).sum()) else [])
    if neighbour_correlation(Z, target) <= RESOLVED or any(neighbour_correlation(S, r) >= limit for S in spaces):
        return None
    return n if weights is None else int(round(weights.sum() ** 2 / float(weights @ weights)))


def select(complexity: Sequence[float], loss: Sequence[float], rule: str = "best", *, floor: float = 0.0,
           null_loss: float | None = None, good_enough: float = 0.0, noisy_rows: int | None = None) -> int:
    """Index of the chosen row of a front sorted by complexity ("best", "accuracy" or "score");
    ``noisy_rows``: the rows' number when y carries noise of its own (``noise_rows``): rule
    "best" then takes Schwarz's criterion's choice unless a fit is exact."""
    c = np.asarray(complexity, dtype=float)
    l = np.asarray(loss, dtype=float)
    if len(c) == 0:
        raise ValueError("the Pareto front is empty: the search found no valid expression.")
    finite = np.isfinite(l)
    if not finite.any():
        return 0
    clipped = np.where(finite, np.maximum(l, floor), np.inf)
    # of rows with equal (clipped) loss only the simplest counts
    alive = np.array([finite[k] and not any(clipped[j] <= clipped[k] for j in range(k)) for k in range(len(c))])
    if rule == "accuracy":
        return int(np.flatnonzero(clipped == clipped[alive].min())[0])
    idx = np.flatnonzero(alive)
    s = scores(c[idx], clipped[idx], floor, null_loss)
    if rule == "score":
        return int(idx[int(np.argmax(s))])
    if rule != "best":
        raise ValueError(f"model_selection must be 'best', 'accuracy' or 'score', got {rule!r}.")
    best = clipped[idx].min()
    if noisy_rows and best > EXACT_FACTOR * floor:
        criterion = [noisy_rows * math.log(clipped[i]) + c[i] * math.log(noisy_rows) for i in idx]
        return int(idx[int(np.argmin(criterion))])
    if best <= EXACT_FACTOR * floor:
        limit = PYSR_TOLERANCE * best
    else:
        limit = max(NOISY_TOLERANCE[0] * best, min(good_enough, NOISY_TOLERANCE[1] * best))
    candidates = [i for i in range(len(idx)) if clipped[idx[i]] <= limit]
    later = np.zeros(len(idx))
    for i in range(len(idx)):
        rates = [math.log(clipped[idx[i]] / clipped[idx[j]]) / (c[idx[j]] - c[idx[i]]) for j in range(i + 1, len(idx))]
        later[i] = max(rates, default=0.0)
    plateau = [i for i in candidates if later[i] <= PLATEAU * s[i]]
    if best > EXACT_FACTOR * floor:  # noisy: a law the artefact fits went far below still counts if
        # nothing after it buys loss faster than SLOW per unit of complexity (rule 5)
        plateau += [i for i in range(len(idx)) if limit < clipped[idx[i]] <= good_enough
                    and later[i] <= min(PLATEAU * s[i], SLOW)]
    pool = plateau or candidates
    return int(idx[max(pool, key=lambda i: (s[i], -i))])
