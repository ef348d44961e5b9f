"""Constants that are small rational multiples of a power of pi (pi^2, 1/(2 pi), sqrt(2 pi), 1/3, ...).

Physics laws carry them (Planck's h/(2 pi), Coulomb's 1/(4 pi eps), the Gaussian's sqrt(2 pi)),
and a search fits them as floats: 9.8696044 instead of pi^2. Where pi sits inside a nonlinear
function or next to other terms, no overall scale absorbs it, so the float hides the law from a
reader and from a symbolic check. ``pi_multiple`` finds the nearest r * pi^k or sqrt(r * pi^k)
(r = p/q with a small q, k in ``PI_POWERS``); the polish pass snaps a constant to it only when
the loss does not rise, and the sympy export prints a snapped value in that form. k = 0 (plain
rationals and their roots) counts only where no short decimal writes the number (1/3, 2/3,
sqrt(2), not 1/2 or 2.5): 1 + n/(1 - n/3) printed with 0.333333 is not the law to a reader nor
to SRBench's check, which rounds floats to 3 decimals; terminating decimals are left to the
polish's decimal rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy

PI_POWERS: tuple[int, ...] = (0, 1, -1, 2, -2)
MAX_DENOMINATOR = 12  # 4/3 pi, 3/(4 pi), 1/(8 pi): the rationals physics puts next to pi
MAX_NUMERATOR = 16
MAX_ROOT_RATIONAL = 4  # under a square root only sqrt(2 pi), sqrt(pi/2), 1/sqrt(3 pi)-like forms
SNAP_TOLERANCE = 1e-5  # relative distance at which the polish pass tries a snap (the loss decides)
EXACT_TOLERANCE = 1e-12  # relative distance at which the export reads a float as a pi form


@dataclass(frozen=True)
class PiForm:
    """sign * (r * pi^k)^(1/root): pi^2 is (1, 1, 2, 1), 1/sqrt(2 pi) is (1, 1/2, -1, 2)."""

    sign: int
    r: Fraction
    k: int
    root: int

    @property
    def value(self) -> float:
        return self.sign * (float(self.r) * math.pi ** self.k) ** (1 / self.root)

    def sympy(self) -> sympy.Expr:
        inner = sympy.Rational(self.r.numerator, self.r.denominator) * sympy.pi ** self.k
        return self.sign * (inner if self.root == 1 else sympy.sqrt(inner))


def pi_multiple(value: float, tolerance: float, largest: int | None = None) -> PiForm | None:
    """The form r * pi^k or sqrt(r * pi^k) (r a small positive rational) nearest to ``value``
    within ``tolerance`` (relative), or None. The smallest denominator wins, then no root, then
    the smallest relative error. ``largest`` bounds r's numerator and denominator further (a
    loose tolerance finds some 24/pi near any number)."""
    if not math.isfinite(value) or value == 0.0:
        return None
    sign, size = (1 if value > 0 else -1), abs(value)
    best: tuple | None = None
    for root in (1, 2):
        for k in PI_POWERS if root == 1 else (0, 1, -1):
            bound = MAX_DENOMINATOR if largest is None else min(largest, MAX_DENOMINATOR)
            r = Fraction(size ** root / math.pi ** k).limit_denominator(bound)
            limit = MAX_NUMERATOR if root == 1 else MAX_ROOT_RATIONAL
            limit = limit if largest is None else min(limit, largest)
            if r == 0 or r.numerator > limit or root == 2 and r.denominator > MAX_ROOT_RATIONAL:
                continue
            if k == 0 and (_terminates(r) if root == 1 else _is_square(r)):
                continue  # a short decimal (0.5, 2.5) or a rational (sqrt(1/4)): decimal rounding writes it
            form = PiForm(sign, r, k, root)
            error = abs(form.value - value) / size
            key = (r.denominator, root, error)
            if error <= tolerance and (best is None or key < best[0]):
                best = (key, form)
    return None if best is None else best[1]


def _terminates(r: Fraction) -> bool:
    """r has a finite decimal expansion (its denominator divides a power of 10)."""
    q = r.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    return q == 1


def _is_square(r: Fraction) -> bool:
    return all(math.isqrt(n) ** 2 == n for n in (r.numerator, r.denominator))
