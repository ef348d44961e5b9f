"""Starting members for the gradient objective: laws that are products, linear in their logs.

f = prod_i x_i^p_i * prod_k F_k(s_k a_k)^c_k * prod_l S_l^h_l * exp(sum_j e_j b_j), with F sin or cos
of an input, a ratio or the product of two (s from the scales of ``factor_library``), S a sum
(``Sum``: x_i^k +- x_j^k, 1 +- x_j^k, x_i +- x_j cos(x_a); ``Leg``: sqrt(x_i^2 +- x_j^2) +- x_i;
``Cosines``: x_i^2 + x_j^2 +- 2 x_i x_j cos(x_a); ``Projected``: x_i cos(x_a) +- x_j cos(x_b), sines too; ``OfPhase``: sin or cos of a phase,
x_a x_b +- x_c or +- x_c x_e, A exp(-gamma t) cos(omega t + phi)) and b_j such arguments
themselves, has log|f| = sum_i p_i log|x_i| + sum_k c_k log|F_k| + sum_l h_l log|S_l| +
sum_j e_j b_j: a sparse sum, so its gradient (parallel to f's) is a sparse
null vector of these columns' gradients projected off g, as in P alone of
``rational_gradient_start``. Two selections look for it in one Gram matrix (~100-2,000 columns):
``null_supports`` from the best pairs (no sums), and a beam with every input's power held in
(``_with_every_power``) on the least share of a combined gradient left off g (a generalised
eigenvalue of the projected and the plain Gram blocks, so that a column repeating a power over
the samples is no near-law). The powers p, c and h are then scaled to small
integers (the exp's e stay real: exp(-m g x / (kb T)) needs no scale from a list), and doubled
where the smallest make a product that turns sign where f does not (Fresnel's (A - B)^2 / (A + B)^2
with A - B crossing 0).
Laws this writes and a sum of terms does not: I.30.3's Int_0 sin(n theta / 2)^2 / sin(theta / 2)^2,
G^4 (m1 m2)^2 (m1 + m2) / (c^5 r^5), relativistic aberration (c cos theta - v) / (c - v cos theta)
and Doppler omega^2 (c^2 - v^2) / (c + v cos theta)^2, q^2 / (eps^2 (r^2 + d^2 - 2 r d cos alpha)).
Rows are scaled to one norm first (of the columns other than sums): log|sin| has poles where sin
crosses 0, and a column that is a few rows' correlates with every other such column to 1 - 1e-16.
The fits take well under a second with up to five inputs, so there they are planted first,
before the group start's searches (with more, where they cost more, with the rational start).

Angles may be differences of two inputs (cos(theta1 - theta2) in a sum or the law of cosines), and
with exp a difference times or over a third input decays (Morse's 1 - exp(-a (r - r0))); exp(+-m)
+- 1 of a monomial m of four or five inputs is a column too (``GRADIENT_GROUP``: Planck's law per
wavelength, hc / (lambda kb T); ``group_columns``), and exp(m) +- 1 of two or three (Einstein's
heat capacity in th / T); a
column parallel to the gradients on its own (the distance of two points in polar coordinates)
is a law of one column, which neither selection sees (projected, it is ~0).

In a regression the same sum is log|y| itself, fitted by least squares (``value_fits``), where
the powers are the law's own (integers, or halves of a root) and more columns join: exp(s m) +- 1
of a monomial m (Planck's and Fermi's factors, tanh), m being any monomial of up to five inputs
as regression knows no groups; sin and cos of a monomial of three inputs or of a difference
times an input (a detuning over time); exps of a difference times or over an input beyond five
inputs (``decay_columns``, with fewer in ``log_columns``), of a difference over a product of two
(a Boltzmann factor with k and T apart) and of a difference of reciprocals times a monomial
(Clausius-Clapeyron's (L / Rg)(1 / T0 - 1 / T)); squared distances of two points in two or three
dimensions, every pairing of the inputs being a column (6,699 columns with five inputs: the
selection reads its Gram matrix a row at a time, ``GramRows``). Where y has no exact product, a function
of y may (``INSIDES``: y^2 - 1 under a root, sin y of an arcsin, ...), planted inside its outer.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import NOISE_FLOOR
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.member import PopMember
from latentlaw.symbolic.mutate import seed_member
from latentlaw.symbolic.options import Options
from latentlaw.symbolic.rational_gradient_start import (CANDIDATE, EXACT, FACTOR_SCALES, alone_columns, applies, arguments,
                                                       misalignment, null_supports, project, start_functions)
from latentlaw.symbolic.rational_start import (LIKELY_EXACT, MAX_INPUTS, MAX_SEEDS, Factor, GramRows, forward_select,
                                               monomial_node, signed_exp)

MAX_POWER = 6  # the largest |power| of an input or a function in a product; twice that for an
# input's power in an exact one (Lennard-Jones' r^-12 beside (sigma^6 - r^6))
DENOMINATORS = (1, 2, 3, 4)  # powers read as integers after scaling by one of these
START_INPUTS = 5  # gradient products at the start of the search up to this many inputs, later beyond
EXTRAS = 3  # columns besides every input's power (I.30.3: two sines; the N-slit grating: three)
THIRD_WIDTH = 25  # states of two extras that try a third, only where no support of fewer columns is
# exact (the grating with every function: 7 of 10 samples found at 6 states, 10 at 25)
SUM_POWERS = (1, 2, 3, 6)  # k of the sums x_i^k +- x_j^k and 1 +- x_j^k: m1 + m2, omega^2 - omega_0^2,
# R^3 - r^3 (a shell), sigma^6 - r^6 (Lennard-Jones). Not 4: x^4 - y^4 is (x^2 - y^2)(x^2 + y^2),
# and with it the gradients' beam lost I.15.3x's (z0 - z1)^2 / (z1^2 - z2^2) to such near-identities
GRADIENT_GROUP = 4  # the gradients take exp(+-m) +- 1 and tanh of monomials m of at least this many inputs (fewer: exp(m) +- 1)
MONOMIAL_INPUTS = 5  # regression's functions of monomials (monomial_columns) up to this many inputs
HALF_INPUTS = 4  # inputs of a monomial with a root in it (half_monomials): t sqrt(g kd / m)
SQUARED_DEGREE = 5  # plain exps of monomials with a squared input up to this degree (Maxwell's m v^2 / (kb T))
EXP_SCALES = (1.0, 2.0, 1 / (2 * math.pi), 1 / math.pi)  # their s (and -s): h / (2 pi), tanh's 2u
NOISY_POWER, NOISY_FIT = 0.1, 1e-3  # noisy y: powers rounded from this close; C times the product
# this close to y (1% noise of y's RMS leaves 1e-4)
NOISY_REFITS = 100  # noisy y: supports refitted (stand-ins crowd the best few)
VALUE_EXACT, REFITS, VALUE_EXTRAS = 1e-20, 20, 3  # regression: relative residual of an exact fit of
# log|y|, supports refitted, columns besides the powers (N-slit diffraction: three sines)
RIDGE = 1e-9  # added to the unprojected Gram blocks (unit diagonal) of ``_with_every_power``: a column
# that repeats the powers' span to 3e-5 counts as a new direction of that size, not less
VALUE_WIDTH = 12  # value_fits' beam at least this wide: its states cost a row of the Gram matrix each
# (``GramRows``), and at 7 with four inputs (the decay columns in) the grating's three sines were lost
WIDTH, BLOCKS = 6, 20_000  # states kept per step of that selection: WIDTH, or as many as BLOCKS Gram
# blocks per step allow (a law of two sums, neither of which helps alone, needs ~100 of 200)
FUNCTION_SUM_INPUTS = 5  # sums with sin or cos (x_i +- x_j cos(x_a)) only up to this many inputs (~d^3 columns)
BESIDE_INPUTS = 6  # y beside an input (beside_seeds) up to this many inputs: two value fits per input,
# ~0.5 s each with nine (9 s in all)
DETUNING_INPUTS = 6  # regression's functions of (x_a - x_b) x_c (detuning_columns) up to this many inputs
DISTANCE_INPUTS = 9  # squared distances in three dimensions (distance_columns) up to this many inputs
STEPS = 5  # columns added to an anchor (p_d sin(theta) cos(theta) / (epsilon r^3) has six); the
# library is small, so the forward selection stays cheap


def _angle(X: np.ndarray, a: int, b: int) -> np.ndarray:
    """x_a, or the difference x_a - x_b where b >= 0: a sum's angle."""
    return X[:, a] if b < 0 else X[:, a] - X[:, b]


def _angle_node(a: int, b: int, ctx: SearchContext) -> Node | None:
    """x_a or x_a - x_b as a tree; None without "-"."""
    if b < 0:
        return Node.var(a)
    minus = ctx.options.operator("-")
    return None if minus is None else Node.binary(minus, Node.var(a), Node.var(b))


@dataclass(frozen=True)
class Sum:
    """(x_i^k + sign x_j^k [* F(x_a [- x_b])])^power, with x_i = 1 where i < 0: a factor no monomial
    times a function can write (m1 + m2, omega_0^2 - omega^2, 1 - alpha^2, c - v cos(theta),
    1 + alpha cos(theta1 - theta2))."""

    i: int
    j: int
    sign: int  # +1 or -1
    k: int = 1  # one of SUM_POWERS
    power: int = 1
    function: str | None = None  # sin or cos of x_a (or x_a - x_b) multiplying the second term
    a: int = -1
    b: int = -1  # the function's argument is x_a - x_b where b >= 0 (a phase difference)

    def _terms(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The first term, the second term's monomial and its function's values."""
        first = np.ones(len(X)) if self.i < 0 else X[:, self.i] ** self.k
        f = np.ones(len(X)) if self.function is None else getattr(np, self.function)(_angle(X, self.a, self.b))
        return first, X[:, self.j] ** self.k, f

    def values(self, X: np.ndarray) -> np.ndarray:
        first, second, f = self._terms(X)
        return first + self.sign * second * f

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|S|."""
        out = np.zeros(X.shape)
        with np.errstate(all="ignore"):
            first, second, f = self._terms(X)
            s = first + self.sign * second * f
            if self.i >= 0:
                out[:, self.i] = self.k * X[:, self.i] ** (self.k - 1) / s
            out[:, self.j] = self.sign * self.k * X[:, self.j] ** (self.k - 1) * f / s
            if self.function is not None:
                t = _angle(X, self.a, self.b)
                slope = self.sign * second * (np.cos(t) if self.function == "sin" else -np.sin(t)) / s
                out[:, self.a] += slope
                if self.b >= 0:
                    out[:, self.b] -= slope
        return out

    def node(self, ctx: SearchContext) -> Node | None:
        """The sum as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        join, times = o.operator("+" if self.sign > 0 else "-"), o.operator("*")
        if join is None or times is None or (self.function is not None and o.operator(self.function) is None):
            return None

        def term(v: int) -> Node | None:
            return monomial_node((0,) * v + (self.k,), ctx)  # x_v^k

        second = term(self.j)
        if second is None or (self.i >= 0 and term(self.i) is None):
            return None
        if self.function is not None:
            angle = _angle_node(self.a, self.b, ctx)
            if angle is None:
                return None
            second = Node.binary(times, second, Node.unary(o.operator(self.function), angle))
        return Node.binary(join, Node.const(1.0) if self.i < 0 else term(self.i), second)


@dataclass(frozen=True)
class Cosines:
    """(x_i^2 + x_j^2 + sign 2 x_i x_j cos(x_a [- x_b]))^power: the law of cosines (a side of a
    triangle; with the angle x_a - x_b, the squared distance of two points in polar coordinates),
    three terms no Sum writes. ``roots``: the sides are sqrt(x_i) and sqrt(x_j), the interference
    of two intensities I1 + I2 + 2 sqrt(I1 I2) cos(delta)."""

    i: int
    j: int
    a: int
    sign: int  # -1: the side opposite the angle x_a
    power: int = 1
    b: int = -1  # the angle is x_a - x_b where b >= 0
    roots: bool = False

    def _sides(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u, v, t = X[:, self.i], X[:, self.j], _angle(X, self.a, self.b)
        if self.roots:
            with np.errstate(all="ignore"):
                return np.sqrt(u), np.sqrt(v), t
        return u, v, t

    def values(self, X: np.ndarray) -> np.ndarray:
        u, v, t = self._sides(X)
        return u * u + v * v + self.sign * 2.0 * u * v * np.cos(t)

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|S|."""
        u, v, t = self._sides(X)
        out = np.zeros(X.shape)
        with np.errstate(all="ignore"):
            s = self.values(X)
            du, dv = (0.5 / u, 0.5 / v) if self.roots else (1.0, 1.0)  # d side / d input
            out[:, self.i] = (2.0 * u + self.sign * 2.0 * v * np.cos(t)) * du / s
            out[:, self.j] = (2.0 * v + self.sign * 2.0 * u * np.cos(t)) * dv / s
            out[:, self.a] = -self.sign * 2.0 * u * v * np.sin(t) / s
            if self.b >= 0:
                out[:, self.b] = -out[:, self.a]
        return out

    def node(self, ctx: SearchContext) -> Node | None:
        """The sum as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        plus, join, times, cos = o.operator("+"), o.operator("+" if self.sign > 0 else "-"), o.operator("*"), o.operator("cos")
        if plus is None or join is None or times is None or cos is None:
            return None
        sqrt, angle = o.operator("sqrt"), _angle_node(self.a, self.b, ctx)
        if angle is None or (self.roots and sqrt is None):
            return None

        def sq(v: int) -> Node:
            return Node.var(v) if self.roots else monomial_node((0,) * v + (2,), ctx)  # x_v^2

        sides = ([Node.unary(sqrt, Node.binary(times, Node.var(self.i), Node.var(self.j)))] if self.roots
                 else [Node.var(self.i), Node.var(self.j)])
        cross = Node.chain(times, [Node.const(2.0), *sides, Node.unary(cos, angle)])
        return Node.binary(join, Node.binary(plus, sq(self.i), sq(self.j)), cross)


@dataclass(frozen=True)
class Projected:
    """(x_i F(x_a) + sign x_j G(x_b))^power, F and G sin or cos: a sum of two inputs each times a
    function of its own angle (Fresnel's n1 cos(theta_i) - n2 cos(theta_t), momentum along an axis
    p1 cos(theta1) + p2 cos(theta2)), which no Sum writes (its first term has no function)."""

    i: int
    a: int
    first: str
    j: int
    b: int
    second: str
    sign: int  # +1 or -1
    power: int = 1

    def _parts(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """F(x_a), G(x_b) and their slopes."""
        slope = {"sin": np.cos, "cos": lambda v: -np.sin(v)}
        ta, tb = X[:, self.a], X[:, self.b]
        return (getattr(np, self.first)(ta), getattr(np, self.second)(tb),
                slope[self.first](ta), slope[self.second](tb))

    def values(self, X: np.ndarray) -> np.ndarray:
        f, g, _, _ = self._parts(X)
        return X[:, self.i] * f + self.sign * X[:, self.j] * g

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|S|."""
        out = np.zeros(X.shape)
        with np.errstate(all="ignore"):
            f, g, df, dg = self._parts(X)
            s = X[:, self.i] * f + self.sign * X[:, self.j] * g
            out[:, self.i], out[:, self.a] = f / s, X[:, self.i] * df / s
            out[:, self.j], out[:, self.b] = self.sign * g / s, self.sign * X[:, self.j] * dg / s
        return out

    def node(self, ctx: SearchContext) -> Node | None:
        """The sum as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        join, times, first, second = (o.operator("+" if self.sign > 0 else "-"), o.operator("*"),
                                      o.operator(self.first), o.operator(self.second))
        if join is None or times is None or first is None or second is None:
            return None
        return Node.binary(join, Node.binary(times, Node.var(self.i), Node.unary(first, Node.var(self.a))),
                           Node.binary(times, Node.var(self.j), Node.unary(second, Node.var(self.b))))


@dataclass(frozen=True)
class Distance:
    """(sum over pairs (x_a - x_b)^2)^power: the squared distance of two points given by their
    coordinates in two or three dimensions (G m1 m2 / ((x2 - x1)^2 + (y2 - y1)^2 + (z2 - z1)^2));
    regression only (``distance_columns``)."""

    pairs: tuple[tuple[int, int], ...]
    power: int = 1

    def values(self, X: np.ndarray) -> np.ndarray:
        return sum((X[:, a] - X[:, b]) ** 2 for a, b in self.pairs)

    def node(self, ctx: SearchContext) -> Node | None:
        """The sum as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        plus, minus, square = o.operator("+"), o.operator("-"), o.operator("square")
        if plus is None or minus is None or square is None:
            return None
        return Node.chain(plus, [Node.unary(square, Node.binary(minus, Node.var(b), Node.var(a))) for a, b in self.pairs])


@dataclass(frozen=True)
class Leg:
    """(sqrt(x_i^2 + inner x_j^2) + sign x_i)^power: a hypotenuse plus or less one of its legs
    (inner +1), or a leg plus or less the hypotenuse (inner -1, where x_i^2 > x_j^2). A charged
    disk's potential on its axis, sqrt(z^2 + R^2) - z, and its field, that over the root
    (1 - z / sqrt(z^2 + R^2), with ``Sum``'s z^2 + R^2 at power -1/2), a solid angle 1 - cos(theta)
    with cos(theta) = z / r; the Lorentz factor less one, 1 / sqrt(1 - v^2 / c^2) - 1, is
    (c - sqrt(c^2 - v^2)) over sqrt(c^2 - v^2) (a relativistic kinetic energy from the speed, a
    length's contraction L0 (1 - sqrt(1 - v^2 / c^2))): no sum of monomials, nor a product of them."""

    i: int
    j: int
    sign: int  # +1 or -1
    power: int = 1
    inner: int = 1  # +1: sqrt(x_i^2 + x_j^2); -1: sqrt(x_i^2 - x_j^2)

    def _root(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # NaN where x_i^2 < x_j^2 (inner -1): the column is dropped
            return np.sqrt(X[:, self.i] ** 2 + self.inner * X[:, self.j] ** 2)

    def values(self, X: np.ndarray) -> np.ndarray:
        return self._root(X) + self.sign * X[:, self.i]

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|L|."""
        out = np.zeros(X.shape)
        with np.errstate(all="ignore"):
            r = self._root(X)
            s = r + self.sign * X[:, self.i]
            out[:, self.i] = (X[:, self.i] / r + self.sign) / s
            out[:, self.j] = self.inner * X[:, self.j] / (r * s)
        return out

    def keys(self) -> set[tuple]:
        """The beam's key: (r + x_i)(r - x_i) = +-x_j^2, one sign of a pair's leg per support."""
        return {("leg", self.i, self.j, self.inner)}

    def node(self, ctx: SearchContext) -> Node | None:
        """The leg's sum as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        inner, join = o.operator("+" if self.inner > 0 else "-"), o.operator("+" if self.sign > 0 else "-")
        sqrt, square = o.operator("sqrt"), o.operator("square")
        if inner is None or join is None or sqrt is None or square is None:
            return None
        root = Node.unary(sqrt, Node.binary(inner, Node.unary(square, Node.var(self.i)), Node.unary(square, Node.var(self.j))))
        return Node.binary(join, root, Node.var(self.i))


@dataclass(frozen=True)
class Decays:
    """(exp(-r_a x_c) - exp(-r_b x_c))^power, over r_b - r_a where ``quotient``, with r_i = x_i,
    or 1 / x_i where ``divide`` (time constants): one time x_c decaying at two rates. The decay
    chain's daughters N0 l1 (exp(-l1 t) - exp(-l2 t)) / (l2 - l1) (Bateman; a drug's level in the
    blood, absorbed and cleared at two rates), an overdamped oscillator, a dual-exponential pulse.
    The quotient is exp(-r_a t) (1 - exp(-(r_b - r_a) t)) / (r_b - r_a): an exp, a
    ``decay_columns`` OfDifference and a Sum, three columns beside the powers, none near the law
    alone, which the gradients' beam lost; here one column."""

    a: int
    b: int
    c: int
    divide: bool = False
    quotient: bool = False
    power: int = 1

    def _rates(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The two rates and their slopes along x_a, x_b (1, or -1 / x^2 for time constants)."""
        ra, rb = X[:, self.a], X[:, self.b]
        if not self.divide:
            return ra, rb, np.ones(len(X)), np.ones(len(X))
        with np.errstate(all="ignore"):
            return 1.0 / ra, 1.0 / rb, -1.0 / ra**2, -1.0 / rb**2

    def values(self, X: np.ndarray) -> np.ndarray:
        ra, rb, _, _ = self._rates(X)
        with np.errstate(all="ignore"):
            D = np.exp(-ra * X[:, self.c]) - np.exp(-rb * X[:, self.c])
            return D / (rb - ra) if self.quotient else D

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|D| (less log|r_b - r_a| for the quotient)."""
        ra, rb, sa, sb = self._rates(X)
        t, out = X[:, self.c], np.zeros(X.shape)
        with np.errstate(all="ignore"):
            A, B = np.exp(-ra * t), np.exp(-rb * t)
            D, gap = A - B, (rb - ra if self.quotient else np.inf)
            out[:, self.a] = (-t * A / D + 1.0 / gap) * sa
            out[:, self.b] = (t * B / D - 1.0 / gap) * sb
            out[:, self.c] = (rb * B - ra * A) / D
        return out

    def keys(self) -> set[tuple]:
        """The beam's keys of the columns it makes an exact identity with, in logs: the exps of
        x_a x_c and x_b x_c (or of x_c / x_a, x_c / x_b; with one, the decay from an offset
        exp(-(x_b - x_a) x_c) - 1 closes it), and its other form (with and without the quotient:
        the Sum x_b - x_a between them)."""
        own = ("decays", self.a, self.b, self.c, self.divide)
        if self.divide:  # exp(-x_c / x_a) (1 - exp(-x_c (1 / x_b - 1 / x_a))): no column of the latter here
            return {own, ("ratio", self.c, self.a), ("ratio", self.c, self.b)}
        return {own, *(("product", *sorted((i, self.c))) for i in (self.a, self.b))}

    def node(self, ctx: SearchContext) -> Node | None:
        """The decays' difference (over the rates') as a tree (power 1); None where an operator
        is missing."""
        o = ctx.options
        times, minus, over = o.operator("*"), o.operator("-"), o.operator("/")
        if times is None or minus is None or over is None:
            return None
        rates = [Node.binary(over, Node.const(1.0), Node.var(i)) if self.divide else Node.var(i) for i in (self.a, self.b)]
        decay = [signed_exp("exp -root", Node.binary(times, r.copy(), Node.var(self.c)), ctx) for r in rates]
        if any(e is None for e in decay):
            return None
        out = Node.binary(minus, *decay)
        return Node.binary(over, out, Node.binary(minus, rates[1], rates[0])) if self.quotient else out


@dataclass(frozen=True)
class OfDifference:
    """(F(scale (x_a - x_b) x_c) + sign)^power, or of (x_a - x_b) / x_c where ``divide``, with F
    sin, cos or exp: a beat or a detuning over time, sin((omega - omega_0) t / 2)^2 (III.9.52),
    a decay from an offset, (1 - exp(-a (r - r0)))^2 (Morse), or a Boltzmann factor of an energy
    difference. sin and cos are regression's (``detuning_columns``), exp both objectives'
    (``decay_columns``); sign is +-1 for exp only, and an exp with sign 0 is a plain exp (an
    "exp" column: its coefficient is fitted). ``squared``: of u^2, a Gaussian's
    exp(-(x - mu)^2 / (2 s^2)) (regression's ``gaussian_columns``). ``extra``: powers of the
    inputs (one per input; none when empty) that u is also multiplied by: a Boltzmann factor
    with kT two inputs, (E - mu) / (k T) (``boltzmann_columns``), or L (T - T0) / (Rg T0 T) =
    (L / Rg)(1 / T0 - 1 / T) (``reciprocal_difference_columns``)."""

    a: int
    b: int
    c: int
    scale: float
    function: str
    power: int = 1
    sign: int = 0
    divide: bool = False
    squared: bool = False
    extra: tuple[int, ...] = ()

    def argument_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """u = (x_a - x_b) x_c (or / x_c) times x^extra, or its square, and its gradient (n, d)."""
        grad = np.zeros(X.shape)
        with np.errstate(all="ignore"):
            difference = X[:, self.a] - X[:, self.b]
            if self.extra:
                powers = np.array(self.extra, dtype=float)
                powers[self.c] += -1.0 if self.divide else 1.0
                factor = np.prod(X ** powers, axis=1)
                for j in np.flatnonzero(powers):  # through the factor (not u / x_j: x_j may be 0)
                    lowered = powers.copy()
                    lowered[j] -= 1.0
                    grad[:, j] = powers[j] * difference * np.prod(X ** lowered, axis=1)
                u = difference * factor
            else:  # (the columns without extra, hundreds of them in both objectives: a few vector operations)
                xc = X[:, self.c]
                u, factor = (difference / xc, 1.0 / xc) if self.divide else (difference * xc, xc)
                grad[:, self.c] = -u / xc if self.divide else difference
            grad[:, self.a] += factor
            grad[:, self.b] -= factor
            if self.squared:
                u, grad = u * u, 2 * u[:, None] * grad
        return u, grad

    def argument(self, X: np.ndarray) -> np.ndarray:
        return self.argument_values(X)[0]

    def values(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # without the power, as Sum's
            return getattr(np, self.function)(self.scale * self.argument(X)) + self.sign

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|F(scale u) + sign|."""
        u, grad = self.argument_values(X)
        with np.errstate(all="ignore"):
            z = self.scale * u
            F = getattr(np, self.function)(z)
            slope = {"exp": F, "sin": np.cos(z), "cos": -np.sin(z)}[self.function]
            return (self.scale * slope / (F + self.sign))[:, None] * grad

    def node(self, ctx: SearchContext) -> Node | None:
        """F(scale (x_a - x_b) x_c) + sign as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        flip = self.scale == -1.0  # exp((x_b - x_a) x_c), not exp(-1 * (x_a - x_b) x_c)
        op, angle = o.operator(self.function), _angle_node(*((self.b, self.a) if flip else (self.a, self.b)), ctx)
        times, join = o.operator("*"), o.operator("/" if self.divide else "*")
        if op is None or times is None or join is None or angle is None:
            return None
        inside = Node.binary(join, angle, Node.var(self.c))
        for sign, name in ((1, "*"), (-1, "/")):  # times extra's positive powers, over its negative ones
            part = tuple(max(sign * k, 0) for k in self.extra)
            if any(part):
                node, join_part = monomial_node(part, ctx), o.operator(name)
                if node is None or join_part is None:
                    return None
                inside = Node.binary(join_part, inside, node)
        if self.squared:
            square = o.operator("square")
            inside = Node.unary(square, inside) if square is not None else Node.binary(times, inside, inside.copy())
        out = Node.unary(op, inside if abs(self.scale) == 1.0 else Node.binary(times, Node.const(self.scale), inside))
        if self.sign == 0:
            return out
        plus = o.operator("+" if self.sign > 0 else "-")
        return None if plus is None else Node.binary(plus, out, Node.const(1.0))


@dataclass(frozen=True)
class OfMonomial:
    """(F(scale * m) + sign)^power with F exp, sin, cos or tanh and m a monomial of the inputs
    (``powers``, and ``half`` under a root; regression knows no groups, so m is any monomial of a
    few inputs). exp with sign +-1: Planck's 1 / (exp(h nu / (kb T)) - 1), Fermi's 1 / (exp(u) + 1),
    tanh u as (exp(2u) - 1) / (exp(2u) + 1) (written tanh where it is an operator, ``_tanh_pairs``);
    exp with sign 0: the plain exp, whose log is linear in the scale (exp(-u) / (1 + exp(-2u)));
    sin or cos (sign 0) of three inputs: sin(E t / hbar)^2, or of a root, A cos(t sqrt(k / m));
    tanh (sign 0) of a root, the gradients' one column for the drag fall's tanh(t sqrt(g kd / m))."""

    powers: tuple[int, ...]
    scale: float
    sign: int  # +1, -1 (exp only), or 0
    power: int = 1
    function: str = "exp"
    half: tuple[int, ...] = ()  # powers (+-1) under a root: m = x^powers sqrt(x^half), t sqrt(k / m)

    def exponents(self) -> np.ndarray:
        """m's powers of the inputs, halves included."""
        powers = np.array(self.powers, dtype=float)
        return powers + 0.5 * np.array(self.half, dtype=float) if self.half else powers

    def argument(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # a root of a negative input is NaN: the column is dropped
            return np.prod(X ** self.exponents(), axis=1)

    def values(self, X: np.ndarray) -> np.ndarray:
        return self.of(self.argument(X))

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|F(scale m) + sign|."""
        m = self.argument(X)
        with np.errstate(all="ignore"):
            z = self.scale * m
            F = getattr(np, self.function)(z)
            slope = {"exp": F, "tanh": 1.0 - F * F, "sin": np.cos(z), "cos": -np.sin(z)}[self.function]
            grad_m = m[:, None] * self.exponents()[None, :] / X
            return (self.scale * slope / (F + self.sign))[:, None] * grad_m

    def of(self, m: np.ndarray) -> np.ndarray:
        """F(scale m) + sign from m's values (columns of one monomial share them)."""
        with np.errstate(all="ignore"):  # without the power, as Sum's
            return getattr(np, self.function)(self.scale * m) + self.sign

    def node(self, ctx: SearchContext) -> Node | None:
        """F(scale m) + sign as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        op, times = o.operator(self.function), o.operator("*")
        inside = monomial_node(self.powers, ctx) if any(self.powers) else None
        if self.half:
            sqrt, under = o.operator("sqrt"), monomial_node(self.half, ctx)
            if sqrt is None or under is None:
                return None
            root = Node.unary(sqrt, under)
            inside = root if inside is None or times is None else Node.binary(times, inside, root)
        if op is None or times is None or inside is None:
            return None
        out = Node.unary(op, inside if self.scale == 1.0 else Node.binary(times, Node.const(self.scale), inside))
        if self.sign == 0:
            return out
        join = o.operator("+" if self.sign > 0 else "-")
        return None if join is None else Node.binary(join, out, Node.const(1.0))


@dataclass(frozen=True)
class OfPhase:
    """F(x_a x_b + sign x_c x_e)^power (x_c alone where e is -1), F sin or cos: a travelling wave
    cos(k x - omega t), an oscillation with a phase sin(omega t + phi) (``phase_columns``)."""

    a: int
    b: int
    c: int
    e: int
    sign: int
    function: str
    power: int = 1

    def argument_values(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """u = x_a x_b + sign x_c x_e and its gradient (n, d)."""
        grad = np.zeros(X.shape)
        grad[:, self.a] += X[:, self.b]
        grad[:, self.b] += X[:, self.a]
        if self.e < 0:
            grad[:, self.c] += self.sign
            second = X[:, self.c]
        else:
            grad[:, self.c] += self.sign * X[:, self.e]
            grad[:, self.e] += self.sign * X[:, self.c]
            second = X[:, self.c] * X[:, self.e]
        return X[:, self.a] * X[:, self.b] + self.sign * second, grad

    def values(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # without the power, as Sum's
            return getattr(np, self.function)(self.argument_values(X)[0])

    def log_gradient(self, X: np.ndarray) -> np.ndarray:
        """(n, d) gradient of log|F(u)|: F'(u) / F(u) grad u."""
        u, grad = self.argument_values(X)
        with np.errstate(all="ignore"):
            slope = np.cos(u) / np.sin(u) if self.function == "sin" else -np.tan(u)
            return slope[:, None] * grad

    def node(self, ctx: SearchContext) -> Node | None:
        """F(x_a x_b +- x_c x_e) as a tree (power 1); None where an operator is missing."""
        o = ctx.options
        op, times, join = o.operator(self.function), o.operator("*"), o.operator("+" if self.sign > 0 else "-")
        if op is None or times is None or join is None:
            return None
        second = Node.var(self.c) if self.e < 0 else Node.binary(times, Node.var(self.c), Node.var(self.e))
        return Node.unary(op, Node.binary(join, Node.binary(times, Node.var(self.a), Node.var(self.b)), second))


@dataclass(frozen=True)
class ProductFit:
    """prod x^powers * prod factor^power * prod sum^power (each carries its power) * exp(sum e_j b_j);
    ``exps``: Factor("exp", b_j, 1, e_j), OfMonomial("exp" of m_j, e_j) or OfDifference; ``rss``: misalignment
    with the gradients, or in a regression the relative spread of y / product."""

    powers: tuple[int, ...]
    factors: tuple[Factor, ...]
    exps: tuple[Factor, ...]
    rss: float
    sums: tuple[Sum | Cosines | Projected | Distance | Leg | Decays | OfDifference | OfMonomial | OfPhase, ...] = ()
    root: bool = False  # the law is the square root of this product (regression, half powers)


def _values(fit: ProductFit, X: np.ndarray) -> np.ndarray:
    """The product's values (without the root)."""
    v = np.prod(X ** np.array(fit.powers, dtype=float), axis=1)
    for f in (*fit.factors, *fit.exps):
        v = v * f.values(X)  # a Factor's values carry its power
    for s in fit.sums:
        v = v * s.values(X) ** s.power
    return v


def log_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """The columns: ("log", i) for log|x_i|, ("sum", Sum) for log|S| (a ``Leg`` too), ("factor",
    Factor) for log|F| and ("exp", argument) for an argument itself (exp's only where exp is an
    operator)."""
    columns: list[tuple[str, object]] = [("log", i) for i in range(d)]
    columns += [("sum", Sum(i, j, sign, k)) for k in SUM_POWERS for sign in (1, -1)
                for i, j in [*itertools.combinations(range(d), 2), *((-1, j) for j in range(d))]]
    columns += [("sum", Leg(i, j, sign, 1, inner)) for inner in (1, -1) for i, j in itertools.permutations(range(d), 2)
                for sign in (1, -1)]
    if d <= FUNCTION_SUM_INPUTS:
        columns += [("sum", Sum(i, j, sign, 1, 1, f, a)) for f in ("sin", "cos") if f in functions
                    for sign in (1, -1) for i in range(-1, d) for j in range(d) for a in range(d)
                    if len({i, j, a}) == 3]
        if "cos" in functions:
            columns += [("sum", Cosines(i, j, a, sign, roots=roots)) for roots in (False, True) for sign in (1, -1)
                        for i, j in itertools.combinations(range(d), 2) for a in range(d) if a not in (i, j)]
        columns += projected_columns(d, functions)
        columns += _difference_columns(d, functions)
        columns += decay_columns(d) if "exp" in functions else []
    columns += [("factor", Factor(f, a, 1, s)) for s in FACTOR_SCALES for a in arguments(d)
                for f in ("sin", "cos") if f in functions]
    if "exp" in functions:
        columns += [("exp", a) for a in arguments(d) if a[0] != "var"] + [("exp", ("var", i, -1)) for i in range(d)]
    return columns


def projected_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """x_i F(x_a) +- x_j G(x_b) (``Projected``) for every two disjoint (input, angle) pairs and
    every F, G among sin and cos (96 columns with four inputs, 480 with five)."""
    trig = [f for f in ("sin", "cos") if f in functions]
    pairs = list(itertools.permutations(range(d), 2))
    return [("sum", Projected(i, a, f, j, b, g, sign)) for (i, a), (j, b) in itertools.combinations(pairs, 2)
            if len({i, a, j, b}) == 4 for f in trig for g in trig for sign in (1, -1)]


def _difference_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Columns whose angle is a difference x_a - x_b of two inputs (a < b; the other order is
    the same column up to sign): sin and cos of it, 1 or x_i +- x_j cos(x_a - x_b) (an orbit
    r = d (1 - alpha^2) / (1 + alpha cos(theta1 - theta2))) and the law of cosines of two points
    in polar coordinates, r1^2 + r2^2 - 2 r1 r2 cos(theta1 - theta2)."""
    trig = [f for f in ("sin", "cos") if f in functions]
    out: list[tuple[str, object]] = []
    for a, b in itertools.combinations(range(d), 2):
        out += [("factor", Factor(f, ("difference", a, b), 1, s)) for s in FACTOR_SCALES for f in trig]
        rest = [v for v in range(d) if v not in (a, b)]
        out += [("sum", Sum(i, j, sign, 1, 1, f, a, b)) for f in trig for sign in (1, -1)
                for i in (-1, *rest) for j in rest if j != i]
        if "cos" in functions:
            out += [("sum", Cosines(i, j, a, sign, 1, b)) for sign in (1, -1) for i, j in itertools.combinations(rest, 2)]
    return out


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
            elif kind == "sum":
                out[:, k, :] = what.log_gradient(X)
            else:
                out[:, k, :] = (what if isinstance(what, OfDifference) else Factor("exp", what)).argument_values(X)[1]
    out[:, ~np.all(np.isfinite(out), axis=(0, 2)), :] = 0.0
    return out


def product_fits(X: np.ndarray, G: np.ndarray, functions: tuple[str, ...], rows: int = 300) -> list[ProductFit]:
    """Exact products (misalignment <= EXACT) whose gradients are parallel to the rows of G,
    fewest columns first."""
    n, d = X.shape
    at = np.linspace(0, n - 1, min(n, rows)).astype(int)
    Xs, Gs = X[at], G[at]
    columns = log_columns(d, functions) + group_columns(d, functions) + phase_columns(d, functions)
    grads = _gradients(Xs, columns)
    rest = np.array([k for k, (kind, _) in enumerate(columns) if kind != "sum"])
    size = np.sqrt(np.einsum("rld,rld->r", grads[:, rest], grads[:, rest]))  # the sums' poles scale no row
    grads = grads / np.where(size > 0, size, 1.0)[:, None, None]
    whole = np.sqrt(np.einsum("rld,rld->l", grads, grads))
    raw = grads.transpose(0, 2, 1).reshape(-1, len(columns))
    flat = project(grads, [Gs]).transpose(0, 2, 1).reshape(-1, len(columns))
    H = flat.T @ flat
    out, seen = [], set()
    # the selection from the best pairs sees no sums: sums of the same two inputs pair up closely
    # and would take its anchors (I.30.3's sines were lost to them)
    paired = [(rss, tuple(int(rest[k]) for k in support))
              for rss, support in null_supports(H[np.ix_(rest, rest)], whole[rest], steps=STEPS)]
    # a column parallel to G is a law alone (the distance of two points in polar coordinates);
    # the pairs' selection sees no sums, and the beam's norms would divide by its ~0
    single = [(0.0, (int(k),)) for k in np.flatnonzero(alone_columns(H, whole))]
    for rss, support in single + _with_every_power(H, GramRows(raw), columns, d) + paired:
        if rss > CANDIDATE or support in seen:
            continue
        seen.add(support)
        fit = _complete(X, G, [columns[k] for k in support])
        if fit is not None and fit.rss <= EXACT and fit not in out:
            out.append(fit)
    out.sort(key=_simplicity)
    return out


def _simplicity(fit: ProductFit) -> int:
    """A product's size for ordering: its powers, three per power of a function or sum, three per
    exp, and the powers of the monomials inside functions (exp(q v B / p) + 1 is no simpler than
    q v B / p, which the gradients fit as well)."""
    inner = sum(sum(map(abs, g.powers)) + sum(map(abs, g.half)) for g in (*fit.sums, *fit.exps) if isinstance(g, OfMonomial))
    return (sum(map(abs, fit.powers)) + 3 * sum(abs(g.power) for g in (*fit.factors, *fit.sums))
            + 3 * len(fit.exps) + inner)


def _with_every_power(H: np.ndarray, H0: GramRows, columns: list[tuple[str, object]],
                      d: int) -> list[tuple[float, tuple[int, ...]]]:
    """Supports of every input's power (columns 0..d-1, the unused ones get power 0) and up to
    ``EXTRAS`` other columns, functions of distinct arguments, chosen by a beam on the least
    eigenvalue of their projected Gram block ``H`` relative to the same block unprojected (``H0``):
    the least share of a combined gradient that lies off G, so a column that repeats an input's
    power over the samples (1 + c^6 for c in [5, 20], sin(theta / c) with theta / c small) scores
    as badly as any other rather than ~0, which had filled the beam (no column is the target:
    (c cos theta - v) / (c - v cos theta) has no power at all). A sparse selection from the best
    pairs misses products of many powers and a sum (G^4 (m1 m2)^2 (m1 + m2) / (c^5 r^5): six columns), as functions of one input, all
    parallel to it, imitate any ratio of columns and fill its beam; with every power held in, only
    the few other columns are chosen. Functions of one argument are exact identities together
    (log sin 2u = log 2 + log sin u + log cos u): one per argument here, so they cannot fill it."""
    norms = np.sqrt(np.maximum(np.diag(H), 0.0))
    if np.any(norms[:d] <= 0):
        return []
    plain = np.maximum(H0.diagonal(), 0.0)
    scale = np.sqrt(np.where(plain > 0, plain, 1.0))  # both blocks on the plain columns' unit scale
    diagonals = np.diag(H) / scale**2, plain / scale**2

    def rows(M: np.ndarray | GramRows, S: tuple[int, ...]) -> np.ndarray:
        return M[list(S)] / scale[list(S), None] / scale[None, :]

    # a column parallel to G on its own is a law alone (``alone_columns``): beside the powers it
    # would make every support that holds it look exact (217 of 303 over two groups of L = x2 v1 - x1 v2)
    extras = np.flatnonzero((norms[d:] > 0) & (diagonals[0][d:] > CANDIDATE)) + d

    def keys(k: int) -> set:
        """What a column shares with others it is an exact identity with (one per support)."""
        kind, what = columns[k]
        if isinstance(what, (Leg, Decays)):  # columns with exact identities of their own (their docstrings)
            return what.keys()
        key = what.argument if kind == "factor" else what if kind == "exp" else None
        return set() if key is None else {key}

    shared = [keys(k) for k in range(len(columns))]
    width = max(WIDTH, BLOCKS // max(len(extras), 1))
    states, out = [tuple(range(d))], []
    for step in range(EXTRAS):
        if step >= 2 and min((rss for rss, _ in out), default=math.inf) <= CANDIDATE:
            break  # a law of fewer columns is in hand (its supersets would only cost completions)
        grown: dict[tuple[int, ...], float] = {}
        for S in states if step < 2 else states[:THIRD_WIDTH]:  # a third column on the best few only
            taken = set().union(*(shared[k] for k in S))
            allowed = np.array([k for k in extras if k not in S and not shared[k] & taken], dtype=int)
            if not len(allowed):
                continue
            least = _least_ratio(rows(H, S), rows(H0, S), diagonals, list(S), allowed)
            for i in np.argsort(least)[:width]:
                grown[tuple(sorted((*S, int(allowed[i]))))] = float(least[i])
        best = sorted(grown, key=grown.get)[:width]
        out += [(grown[S], S) for S in best]
        states = best
    return out


def _least_ratio(A: np.ndarray, B: np.ndarray, diagonals: tuple[np.ndarray, np.ndarray], S: list[int],
                 allowed: np.ndarray) -> np.ndarray:
    """For each c in ``allowed``, the least generalised eigenvalue of the blocks on S + [c] of
    (A, B + RIDGE I), min over w of w'Aw / w'Bw, from the rows S of A and B and their diagonals:
    the eigenvalues of L^-1 A L^-T with L the Cholesky factor of B's block. L's first |S| rows are
    the same for every c (L_S), so its last row (l_c, lambda_c) and the last row of L^-1
    ((-l_c' L_S^-1, 1) / lambda_c) come out for all c at once; scipy's eigh takes one pair only."""
    k, m = len(S), len(allowed)
    A_SS, a, alpha = A[:, S], A[:, allowed], diagonals[0][allowed]
    B_SS, b, beta = B[:, S], B[:, allowed], diagonals[1][allowed]
    P = np.linalg.inv(np.linalg.cholesky(B_SS + RIDGE * np.eye(k)))  # L_S^-1
    l = P @ b
    lam = np.sqrt(np.maximum(beta + RIDGE - np.sum(l * l, axis=0), RIDGE))
    y = -P.T @ l  # L^-1's last row is (y_c, 1) / lambda_c
    Ay = A_SS @ y
    M = np.empty((m, k + 1, k + 1))
    M[:, :k, :k] = P @ A_SS @ P.T
    M[:, :k, k] = M[:, k, :k] = (P @ (Ay + a) / lam).T
    M[:, k, k] = (np.sum(y * Ay, axis=0) + 2 * np.sum(y * a, axis=0) + alpha) / lam**2
    return np.linalg.eigvalsh(M)[:, 0]


def _complete(X: np.ndarray, G: np.ndarray, support: list[tuple[str, object]]) -> ProductFit | None:
    """The null vector on ``support`` over all rows, its powers scaled to small integers; unused
    columns (a power held in at 0) dropped; None where the powers are not integers (to 1e-6)."""
    grads = _gradients(X, support)
    W = project(grads, [G]).transpose(0, 2, 1).reshape(-1, len(support))
    scale = np.linalg.norm(W, axis=0)
    if np.any(scale == 0):
        return None
    v = np.linalg.svd(W / scale, full_matrices=False)[2][-1] / scale
    powered = np.array([kind != "exp" for kind, _ in support])
    unused = np.abs(v) < 1e-9 * np.max(np.abs(v))
    if unused.any():  # a power held in at 0 (``_with_every_power``): the law is on the rest
        kept = [c for c, u in zip(support, unused) if not u]
        return _complete(X, G, kept) if kept else None
    if not powered.any():
        return None
    v = v / np.min(np.abs(v[powered]))
    for m in DENOMINATORS:
        w = v * m
        if np.all(np.abs(w[powered] - np.round(w[powered])) < 1e-6) and np.all(np.abs(np.round(w[powered])) <= 2 * MAX_POWER):
            break
    else:
        return None
    w = np.where(powered, np.round(w), w)
    for times in (1, 2):  # doubled: even powers of factors that cross 0 ((A - B)^2 / (A + B)^2, not (A - B) / (A + B))
        fit = _assemble(support, times * w, X.shape[1])
        grad_log = np.einsum("rkd,k->rd", grads, times * w)
        with np.errstate(all="ignore"):  # grad f = f grad log|f|: its sign turns with f's
            sign = np.prod(np.sign(X) ** np.array(fit.powers), axis=1)
            for f in [*fit.factors, *fit.sums]:
                sign = sign * np.sign(f.values(X)) ** abs(f.power)
        dots = sign * np.sum(grad_log * G, axis=1)
        clear = np.abs(dots) > 1e-9 * np.max(np.abs(dots))
        if np.all(dots[clear] > 0) or np.all(dots[clear] < 0):
            return replace(fit, rss=misalignment(grad_log, G))
    return None  # parallel row by row, but f turns where the gradients do not (sin(mu Nn) for mu Nn)


def _assemble(support: list[tuple[str, object]], w: np.ndarray, d: int, root: bool = False) -> ProductFit:
    """The product with coefficients ``w`` on ``support`` (powers already integers; an exp's
    coefficient within rounding of an integer written as it: -1, not -1.0000000000000004)."""
    powers = [0] * d
    factors, exps, sums = [], [], []
    for (kind, what), c in zip(support, w):
        if kind == "log":
            powers[what] = int(c)
        elif kind in ("factor", "sum") and int(c) != 0:  # a column whose power rounds to 0 is no factor
            (factors if kind == "factor" else sums).append(replace(what, power=int(c)))
        elif kind == "exp":
            c = float(np.round(c)) if abs(c - np.round(c)) <= 1e-9 * max(abs(c), 1.0) else float(c)
            if c == 0.0:  # a column the fit does not use (its coefficient rounds to 0)
                continue
            exps.append(replace(what, scale=c) if isinstance(what, (OfMonomial, OfDifference)) else Factor("exp", what, 1, c))
    return ProductFit(tuple(powers), tuple(factors), tuple(exps), 0.0, tuple(sums), root)


def monomial_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's extra columns, with at most ``MONOMIAL_INPUTS`` inputs: where exp is an
    operator, log|exp(s m) +- 1| and the plain exp's s m for monomials m of up to five inputs
    with powers +-1 (kT / (h nu) and h nu / (kT) both; h c / (lambda kb T) of Planck's law per
    wavelength), s from ``EXP_SCALES``; where sin and
    cos are, log|sin| and log|cos| of monomials of three inputs at the scales of
    ``factor_library`` (two are in ``log_columns``)."""
    if d > MONOMIAL_INPUTS:
        return []
    powers = [e for e in itertools.product((-1, 0, 1), repeat=d) if 1 <= sum(map(abs, e)) <= MONOMIAL_INPUTS]
    columns: list[tuple[str, object]] = []
    if "exp" in functions:
        columns += [("exp", OfMonomial(e, 1.0, 0)) for e in powers]
        columns += [("sum", OfMonomial(e, sign_s * s, sign)) for e in powers for s in EXP_SCALES
                    for sign_s in (1, -1) for sign in (1, -1)]
        columns += [("exp", OfMonomial(e, 1.0, 0)) for e in itertools.product(range(-2, 3), repeat=d)
                    if 2 in map(abs, e) and sum(map(abs, e)) <= SQUARED_DEGREE]
    columns += [("sum", OfMonomial(e, s, 0, 1, f)) for f in ("sin", "cos") if f in functions
                for e in powers if sum(map(abs, e)) == 3 for s in FACTOR_SCALES]
    return columns + half_monomial_columns(d, functions)


def half_monomials(d: int) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(powers, half) of monomials x_c^+-1 sqrt(x^half) or sqrt(x^half) alone, two or three inputs
    under the root with powers +-1, ``HALF_INPUTS`` inputs at most: the frequencies and rates of
    physics, t sqrt(k / m), t / sqrt(L C), x sqrt(rho / T), t sqrt(g kd / m) (216 with four
    inputs, 680 with five)."""
    out = []
    for k in (2, 3):
        for under in itertools.combinations(range(d), k):
            for signs in itertools.product((1, -1), repeat=k):
                half = tuple(signs[under.index(i)] if i in under else 0 for i in range(d))
                out.append((tuple([0] * d), half))
                out += [(tuple(p if i == c else 0 for i in range(d)), half) for c in range(d)
                        if c not in under and k < HALF_INPUTS for p in (1, -1)]
    return out


def half_monomial_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's sin and cos of ``half_monomials`` (A cos(t sqrt(k / m))) and, where exp is an
    operator, the plain exp and exp(2 m) +- 1 of them (tanh(m) is their ratio: the drag fall's
    sqrt(m g / kd) tanh(t sqrt(g kd / m))), up to ``MONOMIAL_INPUTS`` inputs (3,400 columns with
    five). Only scale 1 (2 in tanh): a frequency under a root is seldom also in cycles."""
    if d > MONOMIAL_INPUTS:
        return []
    trig = [f for f in ("sin", "cos") if f in functions]
    columns: list[tuple[str, object]] = []
    for powers, half in half_monomials(d):
        columns += [("sum", OfMonomial(powers, 1.0, 0, 1, f, half)) for f in trig]
        if "exp" in functions:
            columns += [("exp", OfMonomial(powers, 1.0, 0, half=half))]
            columns += [("sum", OfMonomial(powers, 2.0, sign, half=half)) for sign in (1, -1)]
    return columns


def group_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """The gradients' exp(+-m) +- 1 of monomials m (powers +-1) of at least ``GRADIENT_GROUP`` of
    up to ``MONOMIAL_INPUTS`` inputs, where exp is an operator: Planck's law per wavelength
    (448 columns with five inputs); exp(m) +- 1 of smaller groups, two or three inputs, with m's
    plain exp where it is no argument of ``log_columns`` (three inputs, 1 / (x_i x_j)): with it
    exp(-m) +- 1 is exp(m) +- 1 over exp(m), and with both a ratio's columns were dependent
    (Einstein's heat capacity, (th / T)^2 exp(th / T) / (exp(th / T) - 1)^2, which the group
    start's searches missed at 60 s; 330 columns with five inputs); and tanh of the large groups
    and of ``half_monomials`` of as many inputs (II.35.21's tanh(mom B / (kb T)), the drag fall's
    tanh(t sqrt(g kd / m)); 432 more with five), one column each: as exp(2 m) - 1 over
    exp(2 m) + 1, neither of which is near the law alone, the beam did not pair them."""
    if "exp" not in functions or d > MONOMIAL_INPUTS:
        return []
    groups = [e for e in itertools.product((-1, 0, 1), repeat=d) if sum(map(abs, e)) >= GRADIENT_GROUP]
    out = [("sum", OfMonomial(e, s, sign)) for e in groups for s in (1.0, -1.0) for sign in (1, -1)]
    for e in itertools.product((-1, 0, 1), repeat=d):
        if 2 <= sum(map(abs, e)) < GRADIENT_GROUP:
            out += [("sum", OfMonomial(e, 1.0, sign)) for sign in (1, -1)]
            out += [("sum", OfMonomial(e, 1.0, 0))] if sum(map(abs, e)) == 3 or sum(e) == -2 else []
    out += [("sum", OfMonomial(e, 1.0, 0, function="tanh")) for e in groups]
    return out + [("sum", OfMonomial(e, 1.0, 0, function="tanh", half=h)) for e, h in half_monomials(d)
                  if sum(map(abs, e)) + sum(map(abs, h)) >= GRADIENT_GROUP]


def distance_columns(d: int) -> list[tuple[str, object]]:
    """Regression's squared distances of two points in two dimensions (up to ``MAX_INPUTS``
    inputs) or three (up to ``DISTANCE_INPUTS``): every set of two or three disjoint pairs of
    inputs (1,638 with nine, 3,150 in three dimensions alone with ten). Which inputs are
    coordinates of which point is unknown, so every pairing is a column."""
    out: list[tuple[str, object]] = []
    for k in (2, 3) if d <= DISTANCE_INPUTS else (2,):
        for chosen in itertools.combinations(range(d), 2 * k):
            out += [("sum", Distance(pairs)) for pairs in _pairings(chosen)]
    return out


def detuning_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's sin and cos of (x_a - x_b) x_c at the scales of ``factor_library``, and where
    exp is an operator exp(u) and exp(+-u) +- 1 of u = (x_a - x_b) x_c or (x_a - x_b) / x_c, with
    up to ``DETUNING_INPUTS`` inputs (600 + 600 columns with six)."""
    if d > DETUNING_INPUTS:
        return []
    triples = [(a, b, c) for a, b in itertools.combinations(range(d), 2) for c in range(d) if c not in (a, b)]
    out: list[tuple[str, object]] = [("sum", OfDifference(a, b, c, s, f)) for f in ("sin", "cos") if f in functions
                                     for a, b, c in triples for s in FACTOR_SCALES]
    return out + (decay_columns(d) if "exp" in functions and d > FUNCTION_SUM_INPUTS else [])  # log_columns' below


def phase_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """sin and cos of a product of two inputs plus or minus a third input or the product of two
    others (``OfPhase``), up to ``DETUNING_INPUTS`` inputs (180 columns with five, 420 with six), in
    both objectives (by gradients: A exp(-gamma t) cos(omega t + phi)). One sign per pair of
    parts: the other order changes F's sign at most, not log|F|."""
    if d > DETUNING_INPUTS:
        return []
    pairs = list(itertools.combinations(range(d), 2))
    parts = [(a, b, c, -1) for a, b in pairs for c in range(d) if c not in (a, b)]
    parts += [(a, b, c, e) for (a, b), (c, e) in itertools.combinations(pairs, 2) if not {a, b} & {c, e}]
    return [("sum", OfPhase(*part, sign, f)) for f in ("sin", "cos") if f in functions
            for part in parts for sign in (1, -1)]


def decay_columns(d: int) -> list[tuple[str, object]]:
    """exp(u) and exp(+-u) +- 1 of u = (x_a - x_b) x_c or (x_a - x_b) / x_c (a < b, c neither):
    Morse's 1 - exp(-a (r - r0)), a Boltzmann factor exp(-(E - mu) / kT) with kT one input; and
    two decays of x_c at rates x_a, x_b (or time constants), over the rates' difference or not
    (``Decays``); 7 d (d - 1) (d - 2) columns (420 with five inputs), in both objectives."""
    out: list[tuple[str, object]] = []
    for a, b in itertools.combinations(range(d), 2):
        for c in (c for c in range(d) if c not in (a, b)):
            for divide in (False, True):
                out.append(("exp", OfDifference(a, b, c, 1.0, "exp", divide=divide)))
                out += [("sum", OfDifference(a, b, c, s, "exp", sign=sign, divide=divide)) for s in (1.0, -1.0) for sign in (1, -1)]
                out += [("sum", Decays(a, b, c, divide, quotient)) for quotient in (False, True)]
    return out


def gaussian_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's exp(u^2) of u = (x_a - x_b) / x_c or (x_a - x_b) x_c, up to ``DETUNING_INPUTS``
    inputs (120 columns with six): a Gaussian with a mean, exp(-(x - mu)^2 / (2 s^2)), whose three
    terms x^2 / s^2, x mu / s^2 and mu^2 / s^2 in log|y| the beam does not assemble (I.6.2b).
    The gradients need no such column: a sum of those terms is theirs to find."""
    if "exp" not in functions or d > DETUNING_INPUTS:
        return []
    return [("exp", OfDifference(a, b, c, 1.0, "exp", divide=divide, squared=True))
            for a, b in itertools.combinations(range(d), 2) for c in range(d) if c not in (a, b) for divide in (True, False)]


def boltzmann_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's exp(u) and exp(+-u) +- 1 of u = (x_a - x_b) / (x_c x_e), up to
    ``DETUNING_INPUTS`` inputs (150 columns with five, 450 with six): a Boltzmann factor whose kT
    is two inputs, 1 / (exp((E - mu) / (k T)) + 1) (Fermi-Dirac); ``decay_columns`` divide by one
    input. The gradients need none: (E - mu) / (k T) is one of their groups."""
    if "exp" not in functions or d > DETUNING_INPUTS:
        return []
    out: list[tuple[str, object]] = []
    for a, b in itertools.combinations(range(d), 2):
        for c, e in itertools.combinations([i for i in range(d) if i not in (a, b)], 2):
            over = tuple(-1 if i == e else 0 for i in range(d))
            out.append(("exp", OfDifference(a, b, c, 1.0, "exp", divide=True, extra=over)))
            out += [("sum", OfDifference(a, b, c, s, "exp", sign=sign, divide=True, extra=over))
                    for s in (1.0, -1.0) for sign in (1, -1)]
    return out


def reciprocal_difference_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's exp(u) of u = m (1 / x_b - 1 / x_a) = m (x_a - x_b) / (x_a x_b), m a monomial
    of one or two other inputs with powers +-1, up to ``DETUNING_INPUTS`` inputs (180 columns with
    five, 480 with six): Clausius-Clapeyron's P0 exp((L / Rg)(1 / T0 - 1 / T)), Arrhenius' rates
    at two temperatures. Its two terms in log|y|, L / (Rg T0) and L / (Rg T), are each far from the
    law alone (ranked 193rd and 355th of 8,644 columns), so no beam pairs them."""
    if "exp" not in functions or d > DETUNING_INPUTS:
        return []
    out: list[tuple[str, object]] = []
    for a, b in itertools.combinations(range(d), 2):
        rest = [i for i in range(d) if i not in (a, b)]
        for c in rest:
            for e in [None, *(i for i in rest if i > c)]:
                for pc, pe in itertools.product((1, -1), (1, -1) if e is not None else (0,)):
                    extra = tuple(-1 if i in (a, b) else pe if i == e else 0 for i in range(d))
                    out.append(("exp", OfDifference(a, b, c, 1.0, "exp", divide=pc < 0, extra=extra)))
    return out


def log_ratio_columns(d: int, functions: tuple[str, ...]) -> list[tuple[str, object]]:
    """Regression's log|log(x_i / x_j)| (i < j: the other order is the same column up to sign),
    where log is an operator: a log of a ratio as a factor of a product, as inside the relativistic
    rocket's c tanh((ve / c) log(m0 / m1)) (``beside_seeds``; alone, ve log(m0 / m1) or
    n Rg T log(V2 / V1), it is a term of the rational start's P)."""
    if "log" not in functions:
        return []
    return [("factor", Factor("log", ("ratio", i, j))) for i, j in itertools.combinations(range(d), 2)]


def _pairings(items: tuple[int, ...]) -> list[tuple[tuple[int, int], ...]]:
    """Every way to split ``items`` (an even count) into pairs (a < b, in order of a); itertools
    has no perfect matchings."""
    if not items:
        return [()]
    first, rest = items[0], items[1:]
    return [((first, b), *more) for b in rest for more in _pairings(tuple(v for v in rest if v != b))]


def _log_values(X: np.ndarray, columns: list[tuple[str, object]]) -> np.ndarray:
    """(rows, columns): log|x_i|, log|S|, log|F| and the exps' arguments; a column that is not
    finite on every row is zeroed (no law uses it here). A monomial's values are computed once
    for all its columns (16 columns each; half of value_fits' time with five inputs before)."""
    out = np.zeros((len(X), len(columns)))
    monomials: dict[tuple[tuple[int, ...], tuple[int, ...]], np.ndarray] = {}
    with np.errstate(all="ignore"):
        for k, (kind, what) in enumerate(columns):
            if kind == "exp" and isinstance(what, OfDifference):
                out[:, k] = what.argument(X)
            elif isinstance(what, OfMonomial):
                key = (what.powers, what.half)
                if key not in monomials:
                    monomials[key] = what.argument(X)
                m = monomials[key]
                out[:, k] = np.log(np.abs(what.of(m))) if kind == "sum" else m
            elif kind == "log":
                out[:, k] = np.log(np.abs(X[:, what]))
            elif kind in ("sum", "factor"):
                out[:, k] = np.log(np.abs(what.values(X)))
            else:
                out[:, k] = Factor("exp", what).argument_values(X)[0]
    out[:, ~np.all(np.isfinite(out), axis=0)] = 0.0
    return out


def value_fits(X: np.ndarray, y: np.ndarray, functions: tuple[str, ...], rows: int = 300,
               noisy: bool = False) -> list[ProductFit]:
    """Exact products C * prod(...) equal to y (regression), from log|y| = log|C| + a sparse sum of
    the same columns, ``monomial_columns``, ``distance_columns``, ``detuning_columns``,
    ``phase_columns``, ``gaussian_columns``, ``boltzmann_columns`` and ``reciprocal_difference_columns``:
    every input's power held in and up to ``EXTRAS`` more chosen by a beam of
    least squares (``forward_select`` in Gram space, unit columns and target, centred: the
    intercept is log|C|). Powers must be integers, or halves where the law is the root of a
    product (``ProductFit.root``: the product of twice the powers, y = C sqrt(P)).
    ``noisy``: products whose powers are within ``NOISY_POWER`` of such numbers, rounded, and
    then within ``NOISY_FIT`` of y (``_value_near``); rows weighted by |y|, as the noise of
    log|y| is that of y over |y|."""
    n, d = X.shape
    if not (np.all(np.isfinite(y)) and np.all(y != 0)):
        return []
    columns = (log_columns(d, functions) + monomial_columns(d, functions) + distance_columns(d)
               + detuning_columns(d, functions) + phase_columns(d, functions) + gaussian_columns(d, functions)
               + boltzmann_columns(d, functions) + reciprocal_difference_columns(d, functions)
               + log_ratio_columns(d, functions))
    at = np.linspace(0, n - 1, min(n, rows)).astype(int)
    A = _log_values(X[at], columns)
    t = np.log(np.abs(y[at]))
    weights = _noisy_weights(y[at]) if noisy else np.ones(len(at))
    mean = weights**2 / np.sum(weights**2)  # least squares with an intercept, rows weighted
    A = weights[:, None] * (A - mean @ A)
    t = weights * (t - mean @ t)
    norms, size = np.linalg.norm(A, axis=0), np.linalg.norm(t)
    if size == 0 or np.any(norms[:d] == 0):
        return []
    A, t = A / np.where(norms > 0, norms, 1.0), t / size
    Gm, b = GramRows(A), A.T @ t
    extras = np.flatnonzero(norms[d:] > 0) + d
    width = max(VALUE_WIDTH, BLOCKS // max(len(extras), 1))
    states, found = [tuple(range(d))], {tuple(range(d)): 0.0}
    for _ in range(VALUE_EXTRAS):
        grown: dict[tuple[int, ...], float] = {}
        for S in states:
            allowed = extras[~np.isin(extras, S)]
            for rss, support in forward_select(Gm, b, allowed, S, 1, width):
                grown[support] = rss
        states = sorted(grown, key=grown.get)[:width]
        found.update((S, grown[S]) for S in states)
    out: list[ProductFit] = []
    complete = _value_near if noisy else _value_complete
    if noisy:  # the best of each size alike: on noise, larger supports always fit closer (and
        # near-identities, x^4 - y^4 beside x^2 + y^2 for x^2 - y^2, would crowd the law out)
        sizes = sorted({len(S) for S in found})
        share = -(-NOISY_REFITS // len(sizes))
        chosen = [S for k in sizes for S in sorted((S for S in found if len(S) == k), key=found.get)[:share]]
    else:  # likely exact supports fewest columns first: their supersets fit as closely (a few
        # more columns always lower the residual in the last digits) and would crowd them out
        chosen = sorted(found, key=lambda S: (found[S] > LIKELY_EXACT, len(S) if found[S] <= LIKELY_EXACT else 0, found[S]))[:REFITS]
    for support in chosen:
        fit = complete(X, y, [columns[k] for k in support])
        if fit is not None and fit not in out:
            out.append(fit)
    # on noisy y every candidate is approximate (stand-ins within a few percent of the law's
    # error): the closest first, and the search judges those planted
    out.sort(key=(lambda f: f.rss) if noisy else _simplicity)
    return out


def _positive_sums(fit: ProductFit, X: np.ndarray) -> ProductFit:
    """The fit with each difference x_i^k - x_j^k that is negative on every row written
    x_j^k - x_i^k (the same |S|): under a root the product must be positive (m_0 / sqrt(c^2 - v^2),
    not of v^2 - c^2)."""
    def flipped(t: object) -> object:
        if isinstance(t, Sum) and t.sign < 0 and t.i >= 0 and t.function is None:
            with np.errstate(all="ignore"):
                if np.all(t.values(X) < 0):
                    return replace(t, i=t.j, j=t.i)
        return t

    return replace(fit, sums=tuple(flipped(t) for t in fit.sums))


def _noisy_weights(y: np.ndarray) -> np.ndarray:
    """Row weights of a least-squares fit of log|y| on noisy y: |y| (log|y|'s noise is y's over
    |y|), 0 below ``NOISE_FLOOR`` of y's RMS, where the noise is y (n_0 exp(-m g x / (kb T))
    is ~1e-50 on some rows, and their log|noise| is 100 off the law's, outweighing the rest)."""
    size = np.abs(y) / np.sqrt(np.mean(y**2))
    return np.where(size >= NOISE_FLOOR, size, 0.0)


def _value_near(X: np.ndarray, y: np.ndarray, support: list[tuple[str, object]]) -> ProductFit | None:
    """On noisy y: log|y| fitted on ``support`` (rows weighted by |y|); its powers, each within
    ``NOISY_POWER`` of an integer (or all of them of a half: a root), rounded; the exps'
    coefficients and log|C| refitted with the powers held; the product when C times it is within
    ``NOISY_FIT`` of y (squared error over y's squares), ``rss`` that figure."""
    A = _log_values(X, support)
    t = np.log(np.abs(y))
    weights = _noisy_weights(y)
    M = np.column_stack([np.ones(len(X)), A])
    w = np.linalg.lstsq(M * weights[:, None], t * weights, rcond=None)[0][1:]
    powered = np.array([kind != "exp" for kind, _ in support])
    if not powered.any():
        return None
    if np.all(np.abs(w[powered] - np.round(w[powered])) < NOISY_POWER):
        root, rounded = False, np.round(w)
    elif np.all(np.abs(2 * w[powered] - np.round(2 * w[powered])) < NOISY_POWER):
        root, rounded = True, np.round(2 * w)
    else:
        return None
    if np.any(np.abs(rounded[powered]) > (2 if root else 1) * MAX_POWER) or not np.any(rounded[powered]):
        return None
    held = A[:, powered] @ (rounded[powered] / (2 if root else 1))
    free = np.column_stack([np.ones(len(X)), A[:, ~powered]])
    refit = np.linalg.lstsq(free * weights[:, None], (t - held) * weights, rcond=None)[0][1:]
    coefs = rounded.astype(float)
    coefs[~powered] = refit * (2 if root else 1)
    fit = _positive_sums(_assemble(support, coefs, X.shape[1], root), X)
    with np.errstate(all="ignore"):
        product = _values(fit, X)
        if root:
            product = np.sqrt(product)
    if not np.all(np.isfinite(product)) or not np.any(product):
        return None
    C = float(np.dot(product, y) / np.dot(product, product))
    error = float(np.sum((y - C * product) ** 2) / np.sum(y**2))
    return replace(fit, rss=error) if error <= NOISY_FIT else None


def _value_complete(X: np.ndarray, y: np.ndarray, support: list[tuple[str, object]]) -> ProductFit | None:
    """log|y| fitted on ``support`` over all rows, unused columns dropped; the fit when it is exact
    (relative residual <= VALUE_EXACT), its powers integers or halves, and y's sign that of the
    product times one constant sign."""
    A = _log_values(X, support)
    t = np.log(np.abs(y))
    M = np.column_stack([np.ones(len(X)), A])
    w, *_ = np.linalg.lstsq(M, t, rcond=None)
    residual = t - M @ w
    centred = t - t.mean()
    if not np.dot(centred, centred) > 0 or np.dot(residual, residual) > VALUE_EXACT * np.dot(centred, centred):
        return None
    w = w[1:]
    unused = np.abs(w) < 1e-9 * max(np.max(np.abs(w)), 1e-300)
    if unused.any():
        kept = [c for c, u in zip(support, unused) if not u]
        return _value_complete(X, y, kept) if kept else None
    powered = np.array([kind != "exp" for kind, _ in support])
    doubled = 2 * w
    if not np.all(np.abs(doubled[powered] - np.round(doubled[powered])) < 1e-6):
        return None
    root = bool(np.any(np.abs(w[powered] - np.round(w[powered])) >= 1e-6))
    w = np.where(powered, np.round(doubled) if root else np.round(w), doubled if root else w)
    if np.any(np.abs(w[powered]) > 2 * MAX_POWER):
        return None
    fit = _positive_sums(_assemble(support, w, X.shape[1], root), X)
    with np.errstate(all="ignore"):
        product = _values(fit, X)
    if root and not np.all(product > 0):
        return None
    ratio = y / (np.sqrt(product) if root else product)
    if not (np.all(ratio > 0) or np.all(ratio < 0)):
        return None  # the product's sign is not y's
    spread = np.ptp(ratio) / np.max(np.abs(ratio))
    return replace(fit, rss=float(spread)) if spread <= 1e-6 else None


def product_seeds(ctx: SearchContext, later: bool = False) -> list[tuple[str, list[PopMember]]]:
    """("gradients", members planted from the exact products) where the gradient starts apply:
    at the start of the search with up to ``START_INPUTS`` inputs (~0.1 s for three), else
    (``later``) with the rational start, once evolution has had its share without an exact law
    (with nine inputs the fits take ~0.5 s, more than evolution needs for a trace). Up to
    ``MAX_SEEDS`` of them (regression plants one, ``value_seeds``: here one alone was measured on
    the recovery bench, 48/48 either way, median over laws 2.0 s against 1.8 s)."""
    if not applies(ctx) or (ctx.data.d <= START_INPUTS) == later:
        return []
    fits = product_fits(ctx.data.X, ctx.data.gradients, start_functions(ctx.options))
    seeds = [m for m in (seed_member([n], ctx) for n in (product_node(f, ctx) for f in fits) if n is not None)
             if m is not None]
    return [("gradients", seeds[:MAX_SEEDS])]


def value_functions(options: Options) -> tuple[str, ...]:
    """The functions regression's products may write: the starts' (sin, cos, exp) and log (of a
    ratio, ``log_ratio_columns``), where they are operators."""
    return start_functions(options) + (("log",) if options.operator("log") is not None else ())


def value_seeds(ctx: SearchContext) -> list[tuple[str, list[PopMember]]]:
    """("y", members planted from the exact products equal to y) in a regression (their constant
    C is the member's own linear coefficient); empty when the start does not apply."""
    o, data = ctx.options, ctx.data
    if (o.objective != "regression" or o.rational_start <= 0 or data.y is None or not 1 <= data.d <= MAX_INPUTS
            or o.operator("*") is None or o.operator("/") is None or not o.linear):
        return []
    fits = value_fits(data.X, data.y, value_functions(o))
    seeds = _product_members(fits, ctx) if fits else _products_inside(ctx)
    if seeds:  # exact: the simplest alone: another form of the same law only costs evaluations
        # (II.15.4's sin(2 theta)/sin(theta) for 2 cos(theta) doubled its search's time)
        return [("y", seeds[:1])]
    # nothing exact: y may be noisy, and the closest few are planted for the search to judge
    return [("y", _product_members(value_fits(data.X, data.y, value_functions(o), noisy=True), ctx)[:MAX_SEEDS])]


def _product_members(fits: list[ProductFit], ctx: SearchContext) -> list[PopMember]:
    """Members of the products of y, in order (a ratio of exps too large as one product as
    two terms)."""
    seeds = []
    for fit in fits:
        node = product_node(fit, ctx)
        member = None if node is None else seed_member([node], ctx)
        split = _ratio_of_exps(fit) if member is None else None
        if split is not None:  # too large as one product: R and R / (E + 1), each with its coefficient
            terms = [product_node(f, ctx) for f in split]
            member = None if any(t is None for t in terms) else seed_member(terms, ctx)
        if member is not None:
            seeds.append(member)
    return seeds


@dataclass(frozen=True)
class Inside:
    """y = outer(shift + C P) for P an exact product of t = inverse(y) - shift: the law inside an
    outer function, which no coefficient of the member can stand for (C and the shift are written)."""

    operator: str
    shift: float
    inverse: Callable[[np.ndarray], np.ndarray]
    domain: Callable[[np.ndarray], bool]  # y lies in the outer's range (so inverse(y) is its argument)


INSIDES = (
    # dimensionless laws: an eccentricity sqrt(1 + 2 E L^2 / (m k^2)), a Lorentz factor sqrt(1 + (p / (m c))^2)
    Inside("sqrt", 1.0, lambda y: y * y, lambda y: bool(np.all(y > 0) or np.all(y < 0))),
    # angles: Snell's arcsin(n sin(theta)), a grating's arcsin(lambda / (n d))
    Inside("asin", 0.0, np.sin, lambda y: bool(np.all(np.abs(y) <= math.pi / 2))),
    Inside("acos", 0.0, np.cos, lambda y: bool(np.all((y >= 0) & (y <= math.pi)))),
    Inside("atan", 0.0, np.tan, lambda y: bool(np.all(np.abs(y) < math.pi / 2))),
    Inside("tanh", 0.0, np.arctanh, lambda y: bool(np.all(np.abs(y) < 1))),
)


def _products_inside(ctx: SearchContext) -> list[PopMember]:
    """Members outer(shift + C P) of the first ``INSIDES`` entry whose operator the search has,
    whose range holds y, and whose target has exact products P (``value_fits``); none else."""
    o, data = ctx.options, ctx.data
    plus, times = o.operator("+"), o.operator("*")
    if times is None:
        return []
    for inside in INSIDES:
        outer = o.operator(inside.operator)
        if outer is None or (inside.shift and plus is None) or not inside.domain(data.y):
            continue
        with np.errstate(all="ignore"):
            t = inside.inverse(data.y) - inside.shift
        seeds = []
        for fit in value_fits(data.X, t, value_functions(o)) if np.all(np.isfinite(t)) else []:
            inner = _times_constant(fit, t, ctx)
            if inner is None:
                continue
            if inside.shift:
                inner = Node.binary(plus, Node.const(inside.shift), inner)
            member = seed_member([Node.unary(outer, inner)], ctx)
            if member is not None:
                seeds.append(member)
        if seeds:
            return seeds
    return []


def _times_constant(fit: ProductFit, t: np.ndarray, ctx: SearchContext) -> Node | None:
    """C P as a tree for an exact product P of t (C its mean ratio: P is exact up to C); None where
    P cannot be written or C is not finite."""
    node, times = product_node(fit, ctx), ctx.options.operator("*")
    with np.errstate(all="ignore"):
        product = _values(fit, ctx.data.X)
        C = float(np.mean(t / (np.sqrt(product) if fit.root else product)))
    if node is None or times is None or not math.isfinite(C):
        return None
    return Node.binary(times, Node.const(C), node)


def beside_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """Regression: ("y beside an input", members x_i + C P, x_i (1 + C P) or x_i tanh(C P)) for the
    first input x_i with an exact product P of y - x_i, of y / x_i - 1 or (where tanh is an operator
    and |y| < |x_i| on every row) of atanh(y / x_i): a law that shifts or scales one of its inputs
    (Compton's lam + h (1 - cos theta) / (m c), II.11.17's n_0 (1 + p_d E cos(theta) / (kb T))),
    whose terms P's library of functions times monomials of two inputs does not hold, or a speed
    bounded by one (the relativistic rocket's c tanh((ve / c) log(m0 / m1))). Two or three value
    fits per input (~0.1-0.4 s each with up to six inputs, ``BESIDE_INPUTS``), so after the
    rational start, only while nothing is exact; empty when the start does not apply."""
    o, data = ctx.options, ctx.data
    plus, times, tanh, functions = o.operator("+"), o.operator("*"), o.operator("tanh"), value_functions(o)
    if (o.objective != "regression" or o.rational_start <= 0 or data.y is None or not 1 <= data.d <= BESIDE_INPUTS
            or plus is None or times is None or o.operator("/") is None or not o.linear):
        return []
    for i in range(data.d):
        if deadline is not None and time.perf_counter() > deadline:
            break
        with np.errstate(all="ignore"):
            ratio = data.y / data.X[:, i]
            targets = [(data.y - data.X[:, i], "shift"), (ratio - 1.0, "scale")]
            if tanh is not None and np.all(np.abs(ratio) < 1.0):
                targets.append((np.arctanh(ratio), "tanh"))
        seeds = []
        for t, how in targets:
            if not np.all(np.isfinite(t)):
                continue
            for fit in value_fits(data.X, t, functions):
                inner = _times_constant(fit, t, ctx)
                if inner is None:
                    continue
                if how == "shift":
                    tree = Node.binary(plus, Node.var(i), inner)
                else:
                    outer = Node.unary(tanh, inner) if how == "tanh" else Node.binary(plus, Node.const(1.0), inner)
                    tree = Node.binary(times, Node.var(i), outer)
                member = seed_member([tree], ctx)
                if member is not None:
                    seeds.append(member)
        if seeds:
            return [(f"y beside {data.variable_names[i]}", seeds[:MAX_SEEDS])]
    return []


def _ratio_of_exps(fit: ProductFit) -> tuple[ProductFit, ProductFit] | None:
    """R (E - 1) / (E + 1) with E = exp(s m) (tanh(s m / 2) times R) as the two products R and
    R / (E + 1): (E - 1) / (E + 1) = 1 - 2 / (E + 1), written with the member's own coefficients,
    is about half the size (II.35.21's n_rho mom tanh(mom B / (kb T)) fits maxsize only so)."""
    up = [t for t in fit.sums if isinstance(t, OfMonomial) and t.sign == -1 and t.power == 1]
    for t in up:
        down = replace(t, sign=1, power=-1)
        if down in fit.sums:
            rest = replace(fit, sums=tuple(u for u in fit.sums if u not in (t, down)))
            return rest, replace(rest, sums=(*rest.sums, down))
    return None


def _scaled(fit: ProductFit, powers: Callable[[int], int], exps: float) -> ProductFit:
    """The product with every power p replaced by powers(p), the exps' coefficients times ``exps``
    and the factors, sums and exps left at power 0 dropped (no root)."""
    factors = tuple(replace(f, power=powers(f.power)) for f in fit.factors if powers(f.power))
    sums = tuple(replace(t, power=powers(t.power)) for t in fit.sums if powers(t.power))
    scaled = tuple(replace(e, scale=e.scale * exps) for e in fit.exps) if exps else ()
    return ProductFit(tuple(powers(p) for p in fit.powers), factors, scaled, fit.rss, sums)


def product_node(fit: ProductFit, ctx: SearchContext) -> Node | None:
    """The product as a tree (``_plain_node``), written small: sqrt(P) as Q sqrt(R) with Q the
    halves of P's even powers (p_d z sqrt(x^2 + y^2) / r^5, not sqrt(p_d^2 z^2 (x^2 + y^2) / r^10)),
    and a product of even powers as the square of its halves; None where an operator is missing."""
    o = ctx.options
    sqrt, square, times = o.operator("sqrt"), o.operator("square"), o.operator("*")
    if fit.root:
        # halves toward 0, so an odd power keeps +-1 under a root: Q sqrt(U) / sqrt(S), not
        # Q sqrt(U) sqrt(S) / S (too large) nor sqrt(U / S) (sympy cannot take it apart unsigned)
        half = _scaled(fit, lambda p: int(p / 2), 0.5)
        up = _scaled(fit, lambda p: max(p - 2 * int(p / 2), 0), 0.0)
        down = _scaled(fit, lambda p: max(2 * int(p / 2) - p, 0), 0.0)
        divide = o.operator("/")
        if sqrt is None or divide is None:
            return None

        def written(part: ProductFit) -> Node | None:
            return _plain_node(part, ctx) if any(part.powers) or part.factors or part.sums or part.exps else None

        top = Node.chain(times, [n for n in (written(half), None if written(up) is None else Node.unary(sqrt, written(up)))
                                 if n is not None])
        bottom = written(down)
        if bottom is None:
            return top
        return Node.binary(divide, top if top is not None else Node.const(1.0), Node.unary(sqrt, bottom))
    every = [*fit.powers, *(f.power for f in (*fit.factors, *fit.sums))]
    if square is not None and all(p % 2 == 0 for p in every) and any(every):
        inner = _plain_node(_scaled(fit, lambda p: p // 2, 0.5), ctx)
        return None if inner is None else Node.unary(square, inner)
    return _plain_node(fit, ctx)


def _tanh_pairs(sums: tuple, ctx: SearchContext) -> list:
    """The sums with each (E - 1)^p / (E + 1)^p, E = exp(s u), as tanh(s u / 2)^p where tanh is an
    operator: the drag fall's sqrt(m g / kd) tanh(t sqrt(g kd / m)) in 16 nodes, not 35 (over maxsize)."""
    out = list(sums)
    if ctx.options.operator("tanh") is None:
        return out
    for t in sums:
        if isinstance(t, (OfMonomial, OfDifference)) and t.function == "exp" and t.sign == -1:
            partner = replace(t, sign=1, power=-t.power)
            if t in out and partner in out:
                out.remove(partner)
                out[out.index(t)] = replace(t, function="tanh", sign=0, scale=t.scale / 2)
    return out


def _plain_node(fit: ProductFit, ctx: SearchContext) -> Node | None:
    """The product as a tree: the monomial, the functions (squares, products) over the ones with
    negative powers, times the exps; None where an operator is missing."""
    o = ctx.options
    times, divide, square = o.operator("*"), o.operator("/"), o.operator("square")
    if times is None or divide is None:
        return None
    up_f, down_f = [], []
    for f in [*fit.factors, *_tanh_pairs(fit.sums, ctx)]:
        base = replace(f, power=1).node(ctx)
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
