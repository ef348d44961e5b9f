"""Constants that are small rational multiples of a power of pi (pi^2, 1/(2 pi), sqrt(2 pi), ...).

Physics laws carry them (Planck's h/(2 pi), Coulomb's 1/(4 pi eps), the Gaussian's sqrt(2 pi)),
and a search fits them as floats: 9.8696044 instead of pi^2. Where pi sits inside a nonlinear
function or next to other terms, no overall scale absorbs it, so the float hides the law from a
reader and from a symbolic check. ``pi_multiple`` finds the nearest r * pi^k or sqrt(r * pi^k)
(r = p/q with a small q, k in ``PI_POWERS``); the polish pass snaps a constant to it only when
the loss does not rise, and the sympy export prints a snapped value in that form. Plain
rationals are left to the decimal rounding that already exists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import sympy

PI_POWERS: tuple[int, ...] = (1, -1, 2, -2)
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


def pi_multiple(value: float, tolerance: float) -> PiForm | None:
    """The form r * pi^k or sqrt(r * pi^k) (r a small positive rational) nearest to ``value``
    within ``tolerance`` (relative), or None. The smallest denominator wins, then no root, then
    the smallest relative error."""
    if not math.isfinite(value) or value == 0.0:
        return None
    sign, size = (1 if value > 0 else -1), abs(value)
    best: tuple | None = None
    for root in (1, 2):
        for k in PI_POWERS if root == 1 else (1, -1):
            r = Fraction(size ** root / math.pi ** k).limit_denominator(MAX_DENOMINATOR)
            limit = MAX_NUMERATOR if root == 1 else MAX_ROOT_RATIONAL
            if r == 0 or r.numerator > limit or root == 2 and r.denominator > MAX_ROOT_RATIONAL:
                continue
            form = PiForm(sign, r, k, root)
            error = abs(form.value - value) / size
            key = (r.denominator, root, error)
            if error <= tolerance and (best is None or key < best[0]):
                best = (key, form)
    return None if best is None else best[1]
