"""Conserved quantities of motion in a potential (experiments 07-11 of the symbolic-gradients paper).

Unit mass and spring constant, Hamilton's equations dq/dt = p, dp/dt = -grad V(q). A trajectory
starts at a state drawn U[0,1]^(2d); anchor and positive are the states at two independent random
times of one trajectory, taken from the paper's grid of 10,001 points on [0, 5]; the negative is the
anchor of an independent trajectory, so negatives and anchors share one distribution.

Propagation is vectorised over all trajectories and stores only the two states a triplet needs.
Anharmonic, sine and exp potentials use ``integrate``, a Dormand-Prince 5(4) scheme in which every
trajectory keeps its own adaptive step and end time (energy drift ~1e-10). The harmonic oscillator
and Kepler use closed forms: Kepler through the universal-variable Kepler equation, because a
fixed or adaptive Cartesian integrator loses accuracy at the close approaches that ~30% of
U[0,1]^4 starts make (pericentre < 0.005) and then needs thousands of steps per trajectory.

Every pair is checked before it is kept: each conserved quantity (energy; for Kepler also angular
momentum) at both times must match the start state within ``CONSERVATION_TOL`` = 1e-8 relative to
max(1, |I|), far below float32 rounding; a pair that fails, or whose integration fails, is dropped
and redrawn. Kepler pairs are also dropped when either point lies within ``KEPLER_R_MIN`` = 0.02 of
the centre (about 0.5% of pairs): at a close approach the speed sqrt(2/r) runs to 100 and more,
and the cut bounds every speed by ~10 while anchors and negatives keep one distribution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from latentlaw.data.base import DataError, Triplets

T_MAX = 5.0
GRID_POINTS = 10_001
"""The paper samples times as indices of a 10,001-point grid on [0, T_MAX]; we draw the same times."""

RTOL = ATOL = 1e-10
"""Per-step error tolerance of the integrator (energy drift stays below ~5e-10)."""
CONSERVATION_TOL = 1e-8
"""Largest accepted drift of a conserved quantity I, relative to max(1, |I|)."""
KEPLER_R_MIN = 0.02
"""Kepler points closer than this to the centre are dropped (speed there would exceed ~10)."""
MAX_STEPS = 4000
"""Attempted steps after which an unfinished trajectory counts as failed."""
H0 = 0.01

Array = np.ndarray
Flow = Callable[[Array, Array], tuple[Array, Array]]


@dataclass(frozen=True)
class System:
    """A potential in d dimensions: accel(q) = -grad V(q) and the quantities the flow conserves.

    States are component-major arrays of shape (2d, m): rows q_1..q_d then p_1..p_d. ``exact``
    (closed-form flow) replaces numerical integration; ``admissible`` rejects states (bool per
    column) that the dataset should not contain.
    """

    dim: int
    accel: Callable[[Array], Array]
    conserved: Callable[[Array], list[Array]]
    exact: Flow | None = None
    admissible: Callable[[Array], Array] | None = None

    def field(self, y: Array) -> Array:
        return np.concatenate([y[self.dim:], self.accel(y[: self.dim])])

    def flow(self, y0: Array, t: Array) -> tuple[Array, Array]:
        """States after time t (one per column) and whether each was computed reliably."""
        if self.exact is not None:
            return self.exact(y0, t)
        return integrate(self.field, y0, t)


# Dormand-Prince 5(4): row i of _A gives stage i+1 from the earlier stages; the last row holds the
# 5th-order weights (first-same-as-last) and _E their difference to the embedded 4th-order ones.
_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_B4 = (5179 / 57600, 0.0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40)
_E = tuple(b5 - b4 for b5, b4 in zip(_A[6] + (0.0,), _B4))


def _combine(y: Array | None, h: Array, weights: tuple[float, ...], ks: list[Array]) -> Array:
    acc = np.zeros_like(ks[0]) if y is None else y.copy()
    for w, k in zip(weights, ks):
        if w:
            acc += (h * w) * k
    return acc


def integrate(field: Callable[[Array], Array], y0: Array, duration: Array,
              rtol: float = RTOL, atol: float = ATOL, max_steps: int = MAX_STEPS) -> tuple[Array, Array]:
    """Advance every column of y0 (shape (k, m)) by its own duration; returns (y, ok).

    ok is False where the step size collapsed, the state went non-finite, or max_steps attempts
    were not enough; those columns hold the last state reached. Finished columns leave the
    working arrays, so the cost follows the total number of steps, not the slowest trajectory.
    """
    y = np.array(y0, dtype=float)
    ok = np.ones(y.shape[1], dtype=bool)
    duration = np.asarray(duration, dtype=float)
    idx = np.flatnonzero(duration > 0)
    ya, left = y[:, idx], duration[idx]
    h = np.minimum(H0, left)
    k1 = field(ya)
    for _ in range(max_steps):
        if idx.size == 0:
            break
        last = h * (1.0 + 1e-6) >= left  # stretch a step slightly rather than leave a sliver
        step = np.where(last, left, h)
        ks = [k1]
        for row in _A[1:6]:
            ks.append(field(_combine(ya, step, row, ks)))
        y5 = _combine(ya, step, _A[6], ks)
        ks.append(field(y5))
        err = _combine(None, step, _E, ks)
        scale = atol + rtol * np.maximum(np.abs(ya), np.abs(y5))
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            norm = np.sqrt(np.mean((err / scale) ** 2, axis=0))
            accept = norm <= 1.0  # False for NaN too
            grow = np.clip(0.9 * norm ** -0.2, 0.2, np.where(accept, 5.0, 1.0))
        ya = np.where(accept, y5, ya)
        k1 = np.where(accept, ks[-1], k1)
        left = np.where(accept, np.where(last, 0.0, left - step), left)
        h = step * np.nan_to_num(grow, nan=0.2)
        finished = left <= 0.0
        failed = ~finished & ((h < 1e-12) | ~np.isfinite(ya).all(axis=0))
        done = finished | failed
        if done.any():
            y[:, idx[done]] = ya[:, done]
            ok[idx[failed]] = False
            keep = ~done
            idx, ya, left, h, k1 = idx[keep], ya[:, keep], left[keep], h[keep], k1[:, keep]
    y[:, idx] = ya
    ok[idx] = False
    return y, ok


def _stumpff(z: Array) -> tuple[Array, Array]:
    """Stumpff functions C(z) = (1 - cos sqrt z)/z and S(z) = (sqrt z - sin sqrt z)/sqrt(z)^3.

    Series for |z| < 1, where the closed forms cancel; hyperbolic forms for z < 0.
    """
    c, s = np.empty_like(z), np.empty_like(z)
    small, pos, neg = np.abs(z) < 1.0, z >= 1.0, z <= -1.0
    zs = z[small]
    c_sum, s_sum = np.zeros_like(zs), np.zeros_like(zs)
    c_term, s_term = np.full_like(zs, 1 / 2), np.full_like(zs, 1 / 6)
    for k in range(12):
        c_sum += c_term
        s_sum += s_term
        c_term = c_term * -zs / ((2 * k + 3) * (2 * k + 4))
        s_term = s_term * -zs / ((2 * k + 4) * (2 * k + 5))
    c[small], s[small] = c_sum, s_sum
    w = np.sqrt(z[pos])
    c[pos], s[pos] = 2.0 * np.sin(w / 2) ** 2 / z[pos], (w - np.sin(w)) / w**3
    w = np.sqrt(-z[neg])
    c[neg], s[neg] = 2.0 * np.sinh(w / 2) ** 2 / -z[neg], (np.sinh(w) - w) / w**3
    return c, s


def _kepler_flow(y0: Array, t: Array, max_iter: int = 100) -> tuple[Array, Array]:
    """Exact Kepler flow (mu = 1) for any conic: solve the universal Kepler equation for chi.

    t(chi) is strictly increasing (its derivative is r), so a bracketed Newton iteration always
    converges. The Lagrange coefficients are then evaluated at the solved chi, with t(chi) in g,
    so the new state lies exactly on the start's conic whatever the residual; ok flags the rare
    columns whose time residual stays above 1e-9.
    """
    x1, x2, v1, v2 = y0
    r0 = np.hypot(x1, x2)
    sigma = x1 * v1 + x2 * v2
    alpha = 2.0 / r0 - (v1**2 + v2**2)  # 1/a: > 0 ellipse, < 0 hyperbola

    def time_of(chi: Array, sel: Array | slice = slice(None)) -> tuple[Array, Array, Array, Array]:
        z = alpha[sel] * chi**2
        c, s = _stumpff(z)
        lin = 1.0 - alpha[sel] * r0[sel]
        t_chi = sigma[sel] * chi**2 * c + lin * chi**3 * s + r0[sel] * chi
        radius = sigma[sel] * chi * (1.0 - z * s) + lin * chi**2 * c + r0[sel]
        return t_chi, radius, c, s

    lo, hi = np.zeros_like(t), t / r0
    short = time_of(hi)[0] < t
    while short.any():
        lo, hi = np.where(short, hi, lo), np.where(short, 2.0 * hi, hi)
        short = time_of(hi)[0] < t
    chi = 0.5 * (lo + hi)
    active = np.arange(t.size)
    for _ in range(max_iter):
        t_chi, radius, _, _ = time_of(chi[active], active)
        res = t_chi - t[active]
        lo[active] = np.where(res < 0, chi[active], lo[active])
        hi[active] = np.where(res > 0, chi[active], hi[active])
        new = chi[active] - res / radius
        inside = (new > lo[active]) & (new < hi[active])
        new = np.where(inside, new, 0.5 * (lo[active] + hi[active]))
        moving = np.abs(new - chi[active]) > 4e-16 * np.abs(new)
        chi[active] = new
        active = active[moving]
        if active.size == 0:
            break
    t_chi, _, c, s = time_of(chi)
    f, g = 1.0 - chi**2 / r0 * c, t_chi - chi**3 * s
    q1, q2 = f * x1 + g * v1, f * x2 + g * v2
    r = np.hypot(q1, q2)
    f_dot, g_dot = chi / (r * r0) * (alpha * chi**2 * s - 1.0), 1.0 - chi**2 / r * c
    y = np.stack([q1, q2, f_dot * x1 + g_dot * v1, f_dot * x2 + g_dot * v2])
    return y, np.abs(t_chi - t) <= 1e-9 * np.maximum(1.0, t)


def _pair_states(system: System, y0: Array, ta: Array, tp: Array) -> tuple[Array, Array, Array]:
    """States at times ta and tp of the trajectories from y0, each trajectory propagated once."""
    first, second = np.minimum(ta, tp), np.maximum(ta, tp)
    y1, ok1 = system.flow(y0, first)
    y2, ok2 = system.flow(y1, second - first)
    anchor_first = ta <= tp
    return np.where(anchor_first, y1, y2), np.where(anchor_first, y2, y1), ok1 & ok2


def max_drift(system: System, y0: Array, *states: Array) -> Array:
    """Per trajectory, the largest drift of any conserved quantity from y0, relative to max(1, |I|)."""
    drift = np.zeros(y0.shape[1])
    for ref, *others in zip(system.conserved(y0), *(system.conserved(s) for s in states)):
        for other in others:
            drift = np.maximum(drift, np.abs(other - ref) / np.maximum(1.0, np.abs(ref)))
    return drift


def sample_pairs(system: System, m: int, rng: np.random.Generator,
                 max_rounds: int = 20) -> tuple[Array, Array, int]:
    """m (anchor, positive) state pairs as rows (m, 2d), and how many drawn pairs were dropped."""
    anchors, positives, dropped, got = [], [], 0, 0
    for _ in range(max_rounds):
        k = m - got
        if k == 0:
            break
        y0 = rng.uniform(0.0, 1.0, (2 * system.dim, k))
        ta, tp = rng.integers(0, GRID_POINTS, (2, k)) * (T_MAX / (GRID_POINTS - 1))
        ya, yp, ok = _pair_states(system, y0, ta, tp)
        with np.errstate(invalid="ignore", over="ignore"):
            ok &= max_drift(system, y0, ya, yp) <= CONSERVATION_TOL
            if system.admissible is not None:
                ok &= system.admissible(ya) & system.admissible(yp)
        anchors.append(ya[:, ok].T)
        positives.append(yp[:, ok].T)
        got += int(ok.sum())
        dropped += k - int(ok.sum())
    if got < m:
        raise DataError(f"only {got} of {m} trajectory pairs passed the conservation check after "
                        f"{max_rounds} rounds; loosen CONSERVATION_TOL or raise MAX_STEPS.")
    return np.concatenate(anchors), np.concatenate(positives), dropped


def _triplets(system: System) -> Callable[[int, np.random.Generator], Triplets]:
    def sample(n: int, rng: np.random.Generator) -> Triplets:
        anchor, positive, _ = sample_pairs(system, 2 * n, rng)
        return Triplets(anchor[:n], positive[:n], anchor[n:])

    sample.__doc__ = "Anchor and positive: two times of one trajectory; negative: another trajectory."
    return sample


def _energy(potential: Callable[[Array], Array]) -> Callable[[Array], list[Array]]:
    def conserved(y: Array) -> list[Array]:
        d = y.shape[0] // 2
        return [0.5 * np.sum(y[d:] ** 2, axis=0) + potential(y[:d])]

    return conserved


def _harmonic_flow(y0: Array, t: Array) -> tuple[Array, Array]:
    c, s = np.cos(t), np.sin(t)
    return np.stack([y0[0] * c + y0[1] * s, y0[1] * c - y0[0] * s]), np.ones(t.shape, dtype=bool)


def _kepler_conserved(y: Array) -> list[Array]:
    q1, q2, p1, p2 = y
    return [q1 * p2 - q2 * p1, 0.5 * (p1**2 + p2**2) - 1.0 / np.hypot(q1, q2)]


HARMONIC = System(1, lambda q: -q, _energy(lambda q: 0.5 * q[0] ** 2), exact=_harmonic_flow)
ANHARMONIC = System(1, lambda q: -q * (1.0 + q * q), _energy(lambda q: 0.5 * q[0] ** 2 + 0.25 * q[0] ** 4))
SINE = System(1, lambda q: -np.cos(q), _energy(lambda q: np.sin(q[0])))
EXP_POTENTIAL = System(1, lambda q: -q - np.exp(q + 1.0),
                       _energy(lambda q: 0.5 * q[0] ** 2 + np.exp(q[0] + 1.0)))
KEPLER = System(2, lambda q: -q / np.hypot(q[0], q[1]) ** 3, _kepler_conserved, exact=_kepler_flow,
                admissible=lambda y: np.hypot(y[0], y[1]) >= KEPLER_R_MIN)

sample_harmonic = _triplets(HARMONIC)
sample_anharmonic = _triplets(ANHARMONIC)
sample_sine = _triplets(SINE)
sample_exp_potential = _triplets(EXP_POTENTIAL)
sample_angular_momentum = _triplets(KEPLER)
