"""Known laws with exact gradients: the yardstick for the search (tests and bench/symbolic_recovery.py).

The 12 invariants of the symbolic-gradients paper (14 laws: the field tensor and the Kepler
problem carry two each) and two laws that are not sums of simple terms. Inputs follow the
paper's ranges (U[0,1] matrix entries, positions and velocities in about [-1.5, 1.5]); the
targets are exact gradients, optionally of a monotone transform of the law (which must not
change the answer) and with relative noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy

from latentlaw.data.truth import evaluate_expression, parse_expression
from latentlaw.symbolic.verify import gradient_field


@dataclass(frozen=True)
class Law:
    name: str
    expression: str
    variables: tuple[str, ...]
    sample: Callable[[np.random.Generator, int], np.ndarray]


def _uniform(low: float, high: float, d: int):
    return lambda rng, n: rng.uniform(low, high, (n, d))


def _antisymmetric(rng: np.random.Generator, n: int) -> np.ndarray:
    upper = rng.normal(size=(n, 3))
    A = np.zeros((n, 3, 3))
    A[:, 0, 1], A[:, 0, 2], A[:, 1, 2] = upper.T
    return (A - A.transpose(0, 2, 1)).reshape(n, 9)


def _kepler(rng: np.random.Generator, n: int) -> np.ndarray:
    r = rng.uniform(0.5, 1.5, n)
    phi = rng.uniform(0, 2 * np.pi, n)
    return np.column_stack([r * np.cos(phi), r * np.sin(phi), rng.uniform(-1.5, 1.5, (n, 2))])


def _det(rng: np.random.Generator, n: int) -> np.ndarray:
    """The paper's 02: U[-10, 10] entries with the diagonal shifted to trace 5."""
    A = rng.uniform(-10, 10, (n, 4))
    shift = (5.0 - A[:, 0] - A[:, 3]) / 2
    A[:, 0] += shift
    A[:, 3] += shift
    return A


def _matrix(k: int) -> tuple[str, ...]:
    return tuple(f"A{i}{j}" for i in range(1, k + 1) for j in range(1, k + 1))


_FIELD = ("E1", "E2", "E3", "B1", "B2", "B3")
_PHASE = _uniform(-1.5, 1.5, 2)

LAWS: dict[str, Law] = {law.name: law for law in (
    Law("trace_2x2", "A11 + A22", _matrix(2), _uniform(0, 1, 4)),
    Law("det_2x2", "A11*A22 - A12*A21", _matrix(2), _det),
    Law("trace_3x3", "A11 + A22 + A33", _matrix(3), _uniform(0, 1, 9)),
    Law("antisym_3x3", "A12**2 + A13**2 + A23**2", _matrix(3), _antisymmetric),
    Law("trace_4x4", "A11 + A22 + A33 + A44", _matrix(4), _uniform(0, 1, 16)),
    Law("field_EB", "E1*B1 + E2*B2 + E3*B3", _FIELD, _uniform(0, 1, 6)),
    Law("field_B2E2", "B1**2 + B2**2 + B3**2 - E1**2 - E2**2 - E3**2", _FIELD, _uniform(0, 1, 6)),
    Law("harmonic", "v**2/2 + x**2/2", ("x", "v"), _PHASE),
    Law("anharmonic", "v**2/2 + x**2/2 + x**4/4", ("x", "v"), _PHASE),
    Law("sine", "v**2/2 + sin(x)", ("x", "v"), _PHASE),
    Law("exp_potential", "v**2/2 + x**2/2 + exp(x + 1)", ("x", "v"), _PHASE),
    Law("angular_momentum", "x1*v2 - x2*v1", ("x1", "x2", "v1", "v2"), _uniform(-1.5, 1.5, 4)),
    Law("kepler_energy", "(v1**2 + v2**2)/2 - 1/sqrt(x1**2 + x2**2)", ("x1", "x2", "v1", "v2"), _kepler),
    Law("spacetime", "t**2 - x1**2 - x2**2 - x3**2", ("t", "x1", "x2", "x3"), _uniform(0, 1, 4)),
    Law("rational", "x0*x1/(1 + x2**2)", ("x0", "x1", "x2"), _uniform(-1.5, 1.5, 3)),
    Law("inverse_energy", "0.173/(v**2 + x**2)", ("x", "v"), _PHASE),
)}

PAPER_LAWS = tuple(list(LAWS)[:14])
TRANSFORMS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "exp": sympy.exp, "cube": lambda e: e**3, "atan": sympy.atan, "negation": lambda e: -e,
}


def law_gradients(law: Law | str, X: np.ndarray, transform: str | None = None, noise: float = 0.0,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """Exact gradients of the law (or of ``TRANSFORMS[transform]`` of it) at X, each entry
    perturbed by ``noise`` x the row's norm x N(0, 1)."""
    law = LAWS[law] if isinstance(law, str) else law
    expr = parse_expression(law.expression, list(law.variables))
    if transform is not None:
        expr = TRANSFORMS[transform](expr)
    G = gradient_field(expr, X, law.variables)
    if noise:
        rng = rng or np.random.default_rng(0)
        G = G + noise * np.linalg.norm(G, axis=1, keepdims=True) * rng.normal(size=G.shape)
    return G


def law_values(law: Law | str, X: np.ndarray) -> np.ndarray:
    law = LAWS[law] if isinstance(law, str) else law
    return evaluate_expression(law.expression, list(law.variables), X)


# -- neurons that use several laws: n = F(I1, ..., Ik) ------------------------------------------
# Pairs of laws on the same inputs; a mixture is sampled with the second law's sampler.
MIXTURES: dict[str, tuple[str, str]] = {
    "field": ("field_EB", "field_B2E2"),
    "kepler": ("angular_momentum", "kepler_energy"),
}


def mix(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A smooth F(I1, ..., Ik) with no simpler structure, and its partials (n, k):
    tanh(I1 + 0.7 I2 + ...) + 0.4 sin(1.3 I1 I2 ...), the issue's example for two laws."""
    weights = 0.7 ** np.arange(values.shape[1])
    inner = values @ weights
    product = np.prod(values, axis=1)
    sech2 = 1.0 - np.tanh(inner) ** 2
    cos = 0.4 * 1.3 * np.cos(1.3 * product)
    partial = np.empty_like(values)
    for j in range(values.shape[1]):
        others = np.prod(np.delete(values, j, axis=1), axis=1)
        partial[:, j] = sech2 * weights[j] + cos * others
    return np.tanh(inner) + 0.4 * np.sin(1.3 * product), partial


def mixture_gradients(laws: tuple[Law | str, ...], X: np.ndarray, noise: float = 0.0,
                      rng: np.random.Generator | None = None) -> np.ndarray:
    """Exact gradients of ``mix(I1(X), ..., Ik(X))`` for laws on the same variables (plus
    relative noise as in ``law_gradients``): they lie in the span of the laws' gradients."""
    laws = tuple(LAWS[law] if isinstance(law, str) else law for law in laws)
    values = np.column_stack([law_values(law, X) for law in laws])
    _, partial = mix(values)
    G = sum(partial[:, [j]] * law_gradients(law, X) for j, law in enumerate(laws))
    if noise:
        rng = rng or np.random.default_rng(0)
        G = G + noise * np.linalg.norm(G, axis=1, keepdims=True) * rng.normal(size=G.shape)
    return G
