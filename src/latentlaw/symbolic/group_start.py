"""Gradient objective: the products of powers of the inputs that the law depends on, and the
differences it takes pairs of inputs through, found from the gradients; a first search over them.

Physical laws take their inputs through a few groups (h omega / (kb T), v / c, n_rho mom): a
law f(x) = F(z) with z_k = prod_j x_j^B_kj has x_j df/dx_j = sum_k B_kj z_k dF/dz_k, so the
log-gradients (the rows of X * G; a row's scale is free, as the objective's is) lie in the
r-dimensional row space of B whatever F is. Their rank r counts the groups, and when r < d the
law has d - r scaling symmetries (the orthogonal complement). The groups are the sparsest
small-integer vectors of the row space: circuits, minimal sets of inputs whose columns of the
complement are linearly dependent. Translations show the same way in the gradients themselves:
where every gradient is orthogonal to e_i + e_j the law takes x_i, x_j only as x_j - x_i (I.9.18's
six coordinates are three differences), so such pairs are replaced by their differences first.
A gradient search over r groups has fewer inputs and gets the prefactors whole (I.32.17's six
inputs are epsilon c Ef^2 r^2 and omega / omega_0), so it runs first, for ``group_start`` of
the budget, and each law on its front, written back in the inputs, seeds the search, which goes
on in the inputs and trusts only its own loss. One group: the group itself is the law up to a
function of one variable and is planted without a search.

Dimensional analysis and the translation test are AI Feynman's first steps; there they need
units and a fitted network, here only the gradients. It applies where the gradients have a clean
rank gap (exact gradients: the singular values drop from ~1e-2 to ~1e-16; a network's gradients
have no such gap and the search starts as before), 2 <= r <= MAX_GROUPS for a search (or any
number of inputs once differences replaced pairs), and groups with integer powers of at most
MAX_POWER.
"""

from __future__ import annotations

import dataclasses
import itertools
import time

import numpy as np

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.from_sympy import compact
from latentlaw.symbolic.member import PopMember, assemble
from latentlaw.symbolic.mutate import seed_member
from latentlaw.symbolic.objectives import EXACT
from latentlaw.symbolic.rational_gradient_start import start_functions, turning_law
from latentlaw.symbolic.rational_start import MAX_INPUTS, monomial_node, monomials, term_node

RANK_GAP = 1e-7  # singular values of the unit log-gradients below this share of the largest are zero
MAX_GROUPS = 3  # more groups than this and the reduced search is hardly easier than the inputs'
MAX_POWER = 6  # largest |power| of an input in a group
DENOMINATORS = (1, 2, 3, 4, 6)  # a circuit scaled by these must come out integer (to 1e-6)
EXPLAINED = 1e-6  # relative residual of the log-gradients in the groups' span, or the start is off
MAX_SEEDS = 8  # the most accurate laws of the reduced front are planted
MAX_ORIENTATIONS = 4  # searches over the groups, each with some groups inverted (``orientations``)
ATTEMPTS = 3  # searches per orientation, with fresh seeds, in turn: on reduced problems a search
# finds the law within a few seconds or not in 10 (I.29.16's differences: 1 of 3 seeds in 10 s,
# after 3 s; III.14.14's groups: 2 of 3, after 1 s), so with a time budget short restarts beat one long search
INNER_POPULATIONS = 4  # a search over 2-3 groups converges within its seconds with few populations: the
# law z0 (exp(z1) - 1) of III.14.14's groups was found in 6 of 8 seeded 4 s searches with 4, in 3 with 12
INNER_EXACT = 1e-15  # the searches over groups stop at this loss: exact laws reach 4e-16 and below,
# stand-ins 8e-14 (z0 exp(z1) - z0 on III.14.14's groups), which a stop at 1e-13 would keep


def scaling_rank(X: np.ndarray, G: np.ndarray) -> tuple[int, np.ndarray] | None:
    """(rank r of the log-gradients, the (d - r, d) orthonormal complement of their row space), or
    None where no row is usable (an input 0 or not finite, or a zero gradient)."""
    L = X * G
    norms = np.linalg.norm(L, axis=1)
    ok = np.all(np.isfinite(L), axis=1) & np.all(X != 0, axis=1) & (norms > 0)
    if ok.sum() < X.shape[1] + 1:
        return None
    _, s, vt = np.linalg.svd(L[ok] / norms[ok, None], full_matrices=True)
    r = int(np.sum(s > RANK_GAP * s[0]))
    return r, vt[r:]


def circuits(complement: np.ndarray, max_size: int | None = None) -> list[np.ndarray]:
    """Integer vectors b with complement @ b = 0 on minimal supports of at most ``max_size``
    inputs, powers within MAX_POWER, simplest first (fewest inputs, then smallest powers, then
    fewest negative powers)."""
    d = complement.shape[1]
    found: list[np.ndarray] = []
    for size in range(1, min(d, max_size or d) + 1):
        for support in itertools.combinations(range(d), size):
            sub = complement[:, support]
            if sub.shape[0]:
                _, s, vt = np.linalg.svd(sub)
                rank = int(np.sum(s > 1e-9))
                null = vt[rank:]
            else:
                null = np.eye(size)
            if null.shape[0] != 1 or np.any(np.abs(null[0]) < 1e-9):
                continue  # no dependency on this support, or not a minimal one
            b = _integer(null[0] / np.min(np.abs(null[0])))
            if b is not None:
                full = np.zeros(d, dtype=int)
                full[list(support)] = b
                up, down = int(np.sum(full > 0)), int(np.sum(full < 0))
                positive = up > down or (up == down and full[support[0]] > 0)  # ties: input order
                found.append(full if positive else -full)
    found.sort(key=lambda b: (np.count_nonzero(b), int(np.abs(b).sum()), int(np.sum(b < 0))))
    return found


def _integer(v: np.ndarray) -> np.ndarray | None:
    for m in DENOMINATORS:
        r = np.round(v * m)
        if np.max(np.abs(v * m - r)) < 1e-6 and np.max(np.abs(r)) <= MAX_POWER:
            return r.astype(int)
    return None


def group_basis(complement: np.ndarray, r: int) -> np.ndarray | None:
    """The r simplest independent circuits, as an (r, d) integer matrix; None if fewer exist."""
    basis: list[np.ndarray] = []
    for b in circuits(complement):
        if np.linalg.matrix_rank(np.array([*basis, b], dtype=float)) == len(basis) + 1:
            basis.append(b)
            if len(basis) == r:
                return np.array(basis)
    return None


def reduce(X: np.ndarray, G: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(groups Z, unit dF/dZ) on the rows where both are finite, from x_j df/dx_j = (B^T w)_j
    with w_k = z_k dF/dz_k; None if B does not explain the log-gradients."""
    L = X * G
    W = np.linalg.lstsq(B.T.astype(float), L.T, rcond=None)[0].T
    if np.linalg.norm(W @ B - L) > EXPLAINED * np.linalg.norm(L):
        return None
    with np.errstate(all="ignore"):
        Z = monomials(X, B)
        GZ = W / Z
        norms = np.linalg.norm(GZ, axis=1)
    ok = np.all(np.isfinite(Z), axis=1) & np.all(np.isfinite(GZ), axis=1) & (norms > 0)
    if ok.sum() < 2 * B.shape[0] + 2:
        return None
    return Z[ok], GZ[ok] / norms[ok, None]


def substitute(node: Node, groups: list[Node]) -> Node:
    """``node`` with variable k replaced by a fresh copy of groups[k]."""
    if node.is_variable:
        return groups[node.feature].copy()
    if node.op is None:
        return Node.const(node.value)
    if node.right is None:
        return Node.unary(node.op, substitute(node.left, groups))
    return Node.binary(node.op, substitute(node.left, groups), substitute(node.right, groups))


def group_text(powers: np.ndarray, names: list[str]) -> str:
    """How progress names a group: q*V/T, a*b^2."""
    up = [n if k == 1 else f"{n}^{k}" for n, k in zip(names, powers) if k > 0]
    down = [n if k == -1 else f"{n}^{-k}" for n, k in zip(names, powers) if k < 0]
    text = "*".join(up) or "1"
    return text if not down else f"{text}/" + (down[0] if len(down) == 1 else f"({'*'.join(down)})")


def shifted_inputs(X: np.ndarray, G: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, ...]], list[str]]:
    """The inputs with each pair that the law takes only through its difference replaced by it:
    (X', unit dF/dX', each new input's (i,) or (i, j) for x_j - x_i, its name). A gradient
    orthogonal to e_i + e_j at every row means f is unchanged when x_i and x_j move together, so
    it depends on x_j - x_i (G's null space, from the same rank gap as the groups; pairs only,
    disjoint, simplest first). Sums (e_i - e_j) are left alone: a sum of terms is what the search
    writes best, and a trace needs no start."""
    d = X.shape[1]
    _, s, vt = np.linalg.svd(G, full_matrices=False)
    rank = int(np.sum(s > RANK_GAP * s[0]))
    pairs: dict[int, int] = {}
    if rank < d:
        for e in circuits(vt[:rank], max_size=2):  # orthogonal to every gradient
            i, j = np.flatnonzero(e)[:2] if np.count_nonzero(e) == 2 else (-1, -1)
            if i >= 0 and e[i] == e[j] and not {i, j} & (set(pairs) | set(pairs.values())):
                pairs[int(i)] = int(j)
    columns, grads, sources, labels = [], [], [], []
    for i in range(d):
        if i in pairs:
            j = pairs[i]
            columns.append(X[:, j] - X[:, i])
            grads.append(G[:, j])
            sources.append((i, j))
            labels.append(f"({names[j]} - {names[i]})")
        elif i not in pairs.values():
            columns.append(X[:, i])
            grads.append(G[:, i])
            sources.append((i,))
            labels.append(names[i])
    Gs = np.column_stack(grads)
    return np.column_stack(columns), Gs / np.maximum(np.linalg.norm(Gs, axis=1, keepdims=True), 1e-300), sources, labels


def _input_node(source: tuple[int, ...], ctx: SearchContext) -> Node | None:
    if len(source) == 1:
        return Node.var(source[0])
    minus = ctx.options.operator("-")
    return None if minus is None else Node.binary(minus, Node.var(source[1]), Node.var(source[0]))


def group_seeds(ctx: SearchContext, deadline: float | None) -> list[tuple[str, list[PopMember]]]:
    """(what was found, members planted from it): the single group, or the laws of searches over
    2..MAX_GROUPS groups (or over the inputs with differences for pairs) within ``group_start``
    of the budget; empty when the start does not apply."""
    from latentlaw.symbolic.equation_search import start_search  # the start is a search itself

    o, data = ctx.options, ctx.data
    if (o.objective != "gradient" or o.group_start <= 0 or data.gradient_columns is None or o.n_concepts != 1
            or data.projector is not None or not 2 <= data.d <= MAX_INPUTS):
        return []
    if o.operator("*") is None or o.operator("/") is None:
        return []  # with both, every group can be written (monomial_node)
    X, G, sources, labels = shifted_inputs(data.X, data.gradients, data.variable_names)
    inputs = [_input_node(source, ctx) for source in sources]
    if any(node is None for node in inputs):
        return []
    d = X.shape[1]
    found = scaling_rank(X, G)
    B, reduced = None, None
    if found is not None and 1 <= found[0] <= min(MAX_GROUPS, d - 1):
        B = group_basis(found[1], found[0])
        reduced = None if B is None else reduce(X, G, B)
        B = None if reduced is None else B
    if d == data.d and (B is None or np.all(np.count_nonzero(B, axis=1) == 1)):
        return []  # neither differences nor groups of two or more inputs (A11 + A22: the unused inputs
        # alone drop out, which the search copes with; the start cost 0.8 s there)
    if B is None:
        B = np.eye(d, dtype=int)  # differences only: a search over them
    if len(B) == 1:
        group, what = _written(B[0], inputs, ctx), f"the one group {group_text(B[0], labels)}"
        Z, GZ = reduced
        if not (np.all(GZ > 0) or np.all(GZ < 0)):  # the law turns: a function of the group turning where it does
            turning = turning_law(Z[:, 0], np.sign(GZ[:, 0]), start_functions(o))
            if turning is not None:
                node = term_node(*turning, ctx)
                if node is not None:
                    group, what = substitute(node, [group]), f"a function of the one group {group_text(B[0], labels)}"
        member = _planted(group, ctx)
        return [(what, [] if member is None else [member])]
    problems = []  # (basis, its reduced data, the groups written in the inputs)
    for basis in orientations(B):
        reduced = reduce(X, G, basis)
        if reduced is not None:
            Z, GZ = reduced
            target = ctx.objective.prepare(Z, None, GZ, None, [f"z{k}" for k in range(len(basis))], None)[0]
            problems.append((basis, target, [_written(b, inputs, ctx) for b in basis]))
    ends = None if deadline is None else time.perf_counter() + o.group_start * (deadline - time.perf_counter())
    # round robin, each orientation once, then again; restarts split time only (a few iterations
    # each, as a small iteration budget would leave them, find nothing)
    runs = [p for _ in range(ATTEMPTS if ends is not None else 1) for p in problems]
    early = None if o.early_stop_loss is None else min(o.early_stop_loss, INNER_EXACT)
    out = []
    for i, (basis, target, nodes) in enumerate(runs):
        timeout = None if ends is None else (ends - time.perf_counter()) / (len(runs) - i)
        if timeout is not None and timeout <= 0:
            break
        inner = dataclasses.replace(o, group_start=0.0, populations=min(o.populations, INNER_POPULATIONS),
                                    timeout_in_seconds=timeout, early_stop_loss=early,
                                    niterations=max(1, round(o.group_start * o.niterations / len(runs))))
        front = start_search(target, inner, ctx, MAX_SEEDS)
        seeds: list[PopMember] = []
        exact = False  # an exact law of the groups, planted
        for entry in front:
            v = entry.variant
            member = _planted(substitute(assemble(v.terms, v.coefs, 0.0, o), nodes), ctx)
            if member is not None and not _stand_in(member.loss, o.early_stop_loss):
                seeds.append(member)
                exact = exact or (early is not None and entry.loss <= early)
        names = ", ".join(group_text(b, labels) for b in basis)
        out.append((f"a search of the groups {names}", seeds))
        if exact:
            break  # exact in these groups: the rest of the time goes to the search (where the law
            # written in the inputs is over maxsize, the next orientation may write it shorter:
            # Klein-Nishina with omega / omega_0 in it is 33 nodes, with omega_0 / omega 27)
    return out


def _written(powers: np.ndarray, inputs: list[Node], ctx: SearchContext) -> Node:
    """The group prod_k input_k^powers_k as a tree of the original inputs."""
    return substitute(monomial_node(tuple(int(k) for k in powers), ctx), inputs)


def _planted(tree: Node, ctx: SearchContext) -> PopMember | None:
    """The member of a law written back in the inputs; one over maxsize is first brought to a
    common denominator (I.9.18: 31 nodes over dx, dy, dz, 15 over (dx^2 + dy^2 + dz^2))."""
    member = seed_member([tree], ctx)
    if member is None and complexity(tree, ctx.options.weights) > ctx.options.maxsize:
        smaller = compact(tree, ctx.options)
        member = None if smaller is None else seed_member([smaller], ctx)
    return member


def _stand_in(loss: float, early_stop_loss: float | None) -> bool:
    """A member that would end the search without being exact to rounding: planted, it stopped
    I.48.2's search at a 2.6e-11 stand-in (exp(exp(v^2/c^2)) terms) that had found the law
    without the start; left out, the search goes on from the groups' other laws."""
    return early_stop_loss is not None and EXACT < loss <= early_stop_loss


def orientations(B: np.ndarray) -> list[np.ndarray]:
    """B, then B with groups of as many negative as positive powers inverted (v/c or c/v: the
    data cannot tell which writes the law more simply, and a search finds z0 (exp(z1) - 1) in a
    second where it misses z0 (exp(1/z1) - 1) in 20): all of them inverted second (I.9.18's
    z2 / (1 + z0^2 + z1^2) for dy/dx and dz/dx), at most MAX_ORIENTATIONS in all."""
    tied = [k for k, b in enumerate(B) if np.sum(b > 0) == np.sum(b < 0)]
    flips = sorted(itertools.product((1, -1), repeat=len(tied)), key=lambda f: 0 < f.count(-1) < len(f))
    out = []
    for flip in flips[:MAX_ORIENTATIONS]:  # as found, all inverted, then the mixed ones
        signs = np.ones(len(B), dtype=int)
        signs[tied] = flip
        out.append(B * signs[:, None])
    return out
