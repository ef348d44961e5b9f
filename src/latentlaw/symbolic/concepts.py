"""Several laws at once: a member made of k concepts, scored by the span of their gradients.

A neuron n = F(T1, ..., Tk) has, whatever F is, its input gradient in span(grad T1, ..., grad Tk)
at every point. So the loss of k candidate concepts is, per sample with unit target g and
G = [grad T1 .. grad Tk] (d x k), the part of g outside span(G): ``1 - g^T G (G^T G)^-1 G^T g``,
averaged over samples (within the tangent space when a projector is given: term gradients are
projected by ``GradientObjective.term_stats``). It is 0 when g lies in the span, 1 when g is
orthogonal to it, and ~ mean sin^2 of the angle to the span, the single-concept loss's scale for
small angles.

What the loss cannot see, the search does not spend effort on:

* an invertible reshaping of one concept, or mixing concepts, leaves the span unchanged: each
  concept is kept in canonical form (a sum of terms stripped of outer scales and offsets,
  sorted), concepts are sorted and duplicates are refused, and nothing fits outer scales;
* the coefficients *inside* a concept (sum of terms c_j t_j) do change the span: they are solved
  in closed form by block coordinate descent, each concept's coefficients being the top
  generalised eigenvector of the target and term gradients projected off the other concepts'
  gradients (the single-concept solver of ``objectives.py``, on projected quantities).

Everything is batched over samples with einsum and small k x k solves, ridged against rank
deficiency; a member whose concepts are (numerically) dependent on most samples is refused,
being a row with fewer concepts in disguise.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from latentlaw.symbolic.complexity import complexity
from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.objectives import REFINE_BELOW, SNAP, TINY, Objective, _best_aligned, _canonical_scale, gram
from latentlaw.symbolic.options import Options
from latentlaw.symbolic.simplify import split_sum, strip_linear
from latentlaw.symbolic.strings import to_string

SEPARATOR = " ; "  # between the concepts of a row in an equation string (checkpoints, fronts)
ROUNDS = 2  # block coordinate descent sweeps over the concepts' inner coefficients
RIDGE = 1e-12  # relative ridge on k x k Gram matrices
DEPENDENT = 1e-10  # normalised Gram determinant below this: the concepts' gradients are dependent there
PRUNE = 1e-4  # a term below this share of its concept is dropped
UNIT_RATIO = 2.0  # coefficients within this factor of +-1 are also tried as exactly +-1, all at once
WARM_LIMIT = 50_000  # concepts whose last solved coefficients are remembered (per row set)
_WARM: dict[tuple[int, str], np.ndarray] = {}  # (rows token, concept) -> coefficients: warm starts



def concept_terms(concept: Node, options: Options) -> list[Node]:
    return split_sum(concept) if options.linear else [concept]


def join_terms(terms: Sequence[Node], options: Options) -> Node:
    """t1 + t2 + ... as one tree (the genome of a concept; its coefficients are re-solved)."""
    return Node.chain(options.operator("+"), terms)


def strip_outer(concept: Node) -> Node:
    """The concept without outer functions of it: grad f(T) = f'(T) grad T spans what grad T
    spans, so f(T), c*T, T + c, c/T, T^c all count as T (as any invertible reshaping would)."""
    node = concept
    while node.op is not None:
        if node.op.arity == 1:
            node = node.left
        elif node.right.is_constant and node.left.has_variables():
            node = node.left
        elif node.left.is_constant and node.right.has_variables():
            node = node.right
        else:
            break
    return node


def canonical_concept(concept: Node, options: Options) -> Node | None:
    """Strip outer functions, split the sum, strip outer affine wrappers of each term, drop
    duplicates, sort, re-join."""
    from latentlaw.symbolic.member import term_key

    concept = strip_outer(concept)
    out: dict[str, Node] = {}
    for part in concept_terms(concept, options):
        node = strip_linear(part) if options.linear else (part if part.has_variables() else None)
        if node is not None:
            out.setdefault(term_key(node), node)
    if not out:
        return None
    terms = [out[k] for k in sorted(out)[: options.max_terms]]
    for t in terms:
        if t.cost is None:
            t.cost = complexity(t, options.weights)
    joined = join_terms(terms, options) if len(terms) > 1 else terms[0]
    joined.key = joined.key or to_string(joined)
    return joined


def canonical_concepts(concepts: Sequence[Node], options: Options) -> tuple[Node, ...] | None:
    """Exactly ``options.n_concepts`` distinct canonical concepts, sorted (None otherwise)."""
    out: dict[str, Node] = {}
    for concept in concepts:
        canon = canonical_concept(concept, options)
        if canon is None:
            return None
        out.setdefault(canon.key, canon)
    if len(out) != options.n_concepts:
        return None
    return tuple(out[k] for k in sorted(out))


def lower_complexity(concepts: Sequence[Node], options: Options) -> int:
    """Complexity of the concepts with every coefficient +1 (no written row can be simpler)."""
    join = options.weights.of_operator("+")
    total = 0
    for c in concepts:
        terms = concept_terms(c, options)
        total += sum(complexity(t, options.weights) for t in terms) + join * (len(terms) - 1)
    return total


class SpanProblem:
    """Gram quantities of every term of every concept on one set of rows, and the span loss.

    Layout (m, m, n) and (m, n): a concept's block is contiguous along the samples, which is
    what the coefficient solver (``objectives._best_aligned``) reads."""

    def __init__(self, groups: list[list], data: Dataset) -> None:
        flat = [s for g in groups for s in g]
        self._setup(*gram(flat, data.n), [len(g) for g in groups], data.weights)

    @classmethod
    def from_gram(cls, M: np.ndarray, a: np.ndarray, supports: Sequence[Sequence[int]],
                  weights: np.ndarray | None) -> "SpanProblem":
        """The problem whose concept i is the sum of library terms ``supports[i]``, from the
        library's own Gram quantities (no gradient is evaluated again)."""
        idx = np.array([j for s in supports for j in s])
        problem = cls.__new__(cls)
        problem._setup(M[np.ix_(idx, idx)], a[idx], [len(s) for s in supports], weights)
        return problem

    def _setup(self, M: np.ndarray, a: np.ndarray, sizes: list[int], weights: np.ndarray | None) -> None:
        self.sizes = sizes
        self.M, self.a = M, a
        self.m, self.n = a.shape
        self.k = len(sizes)
        self.weights = weights
        self.offsets = np.cumsum([0] + self.sizes)
        self.slices = [slice(self.offsets[i], self.offsets[i + 1]) for i in range(self.k)]

    def gram(self, coefs: Sequence[np.ndarray], which: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """(V (n, k', k'), b (n, k')): Gram matrix of the ``which`` concepts' gradients and their
        dot products with the target, per sample."""
        k = len(which)
        V = np.empty((self.n, k, k))
        b = np.empty((self.n, k))
        for x, i in enumerate(which):
            si, ci = self.slices[i], coefs[i]
            b[:, x] = ci @ self.a[si]
            for y in range(x + 1):
                j = which[y]
                V[:, x, y] = V[:, y, x] = np.einsum("p,pqn,q->n", ci, self.M[si, self.slices[j]], coefs[j])
        return V, b

    def per_sample(self, coefs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
        """Per-sample loss and normalised Gram determinant of the concepts' gradients."""
        V, b = self.gram(coefs, range(self.k))
        explained, det = _explained(V, b)
        if explained is None:
            return None
        return np.clip(1.0 - explained, 0.0, 1.0), det

    def loss(self, coefs: Sequence[np.ndarray]) -> float:
        result = self.per_sample(coefs)
        if result is None:
            return math.inf
        loss, det = result
        if not np.isfinite(loss).all() or 2 * np.count_nonzero(det < DEPENDENT) > len(det):
            return math.inf
        total = float(loss.sum() if self.weights is None else loss @ self.weights) / self.n
        return total if math.isfinite(total) else math.inf

    def solve_concept(self, coefs: list[np.ndarray], i: int, refine: bool) -> np.ndarray | None:
        """Concept i's coefficients with the others fixed: target and term gradients are projected
        off the other concepts' gradients, then the single-concept eigenproblem is solved."""
        si = self.slices[i]
        K = self.sizes[i]
        M_ii = self.M[si, si]
        a_i = self.a[si]
        others = [j for j in range(self.k) if j != i]
        V, b = self.gram(coefs, others)
        # term gradients of concept i . other concepts' gradients: (K, k - 1, n)
        X = np.stack([np.einsum("pqn,q->pn", self.M[si, self.slices[j]], coefs[j]) for j in others], axis=1)
        if len(others) == 1:  # one other concept: scalar divisions, no batched solve
            inv = 1.0 / np.maximum(V[:, 0, 0] * (1 + RIDGE), TINY)
            x = X[:, 0, :]
            M_ii = M_ii - x[:, None, :] * (x * inv)[None, :, :]
            bz = b[:, 0] * inv
            a_i = a_i - x * bz
            r2 = np.clip(1.0 - b[:, 0] * bz, 0.0, 1.0)
        else:
            diag = np.maximum(np.einsum("nkk->nk", V), TINY)
            ridge = RIDGE * diag[:, :, None] * np.eye(len(others))
            rhs = np.concatenate([np.transpose(X, (2, 1, 0)), b[:, :, None]], axis=2)  # (n, k - 1, K + 1)
            try:
                Z = np.linalg.solve(V + ridge, rhs)
            except np.linalg.LinAlgError:
                return None
            M_ii = M_ii - np.einsum("pkn,nkq->pqn", X, Z[:, :, :K])
            a_i = a_i - np.einsum("pkn,nk->pn", X, Z[:, :, K])
            r2 = np.clip(1.0 - np.einsum("nk,nk->n", b, Z[:, :, K]), 0.0, 1.0)
        # the residual target r = g - (its part in the others' span), made unit: then the exact
        # coefficients align with it on every sample (ratio 1, the top eigenvalue), and each
        # sample is weighted by |r|^2, its share of the loss
        a_i = a_i / np.sqrt(np.maximum(r2, TINY))
        flat = np.ascontiguousarray(M_ii).reshape(K * K, self.n)
        w = r2 if self.weights is None else r2 * self.weights
        weights = 1.0 / np.maximum(flat[:: K + 1].sum(axis=0), TINY)
        c = _best_aligned(flat, a_i, weights * w, K)
        if c is None or not refine:
            return c
        norm2 = c @ (c @ flat.reshape(K, K * self.n)).reshape(K, self.n)  # re-weight: each sample one angle
        weights = 1.0 / np.maximum(norm2, 1e-6 * float(norm2.sum()) / self.n + TINY)
        again = _best_aligned(flat, a_i, weights * w, K)
        return c if again is None else again

    def solve(self, starts: Sequence[np.ndarray | None] = ()) -> tuple[list[np.ndarray], float] | None:
        """Inner coefficients by block coordinate descent. ``starts``: coefficients a concept had in
        an earlier member (evolution changes one concept at a time), solved last and, for poor
        candidates, not at all. With one multi-term concept a block solve is exact given the others
        (one sweep, plus the re-weighted refinement once the candidate is good); a cold concept
        other than the first solved starts aligned with the target on its own."""
        starts = list(starts) or [None] * self.k
        coefs = [np.ones(s) if c is None or len(c) != s else c for s, c in zip(self.sizes, starts)]
        multi = [i for i, s in enumerate(self.sizes) if s > 1]
        warm = {i for i in multi if starts[i] is not None and len(starts[i]) == self.sizes[i]}
        order = [i for i in multi if i not in warm] + [i for i in multi if i in warm]
        cold = len(order) - len(warm)
        for i in order[1:cold]:
            si, K = self.slices[i], self.sizes[i]
            flat = np.ascontiguousarray(self.M[si, si]).reshape(K * K, self.n)
            weights = 1.0 / np.maximum(flat[:: K + 1].sum(axis=0), TINY)
            c = _best_aligned(flat, self.a[si], weights if self.weights is None else weights * self.weights, K)
            if c is not None:
                coefs[i] = c
        loss = self.loss(coefs) if not cold else math.inf  # a cold concept is solved before any loss counts
        refined = False
        for sweep in range(ROUNDS if multi else 0):
            if sweep > 0 and (not loss < REFINE_BELOW or len(multi) == 1 and refined):
                break  # poor candidates get one sweep; good ones are refined
            improved = False
            refine = loss < REFINE_BELOW
            refined |= refine
            for i in order:
                if sweep == 0 and i in warm and cold and not loss < REFINE_BELOW:
                    continue  # a poor candidate keeps its warm concepts as they were
                c = self.solve_concept(coefs, i, refine)
                if c is None:
                    continue
                trial = coefs[:i] + [c] + coefs[i + 1:]
                trial_loss = self.loss(trial)
                if trial_loss < loss * (1 - 1e-9) or not math.isfinite(loss):
                    coefs, loss, improved = trial, trial_loss, True
            if (not improved and len(multi) > 1) or loss < 1e-14:
                break
        if not math.isfinite(loss):
            return None
        return coefs, loss

    def contributions(self, coefs: Sequence[np.ndarray]) -> list[np.ndarray]:
        size = np.sqrt(np.einsum("ppn->p", self.M) / self.n)
        return [np.abs(c) * size[self.offsets[i]:self.offsets[i + 1]] for i, c in enumerate(coefs)]


def _explained(V: np.ndarray, b: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """|proj of the unit target onto the span|^2 per sample, from the concepts' Gram matrices V
    (n, k, k) and target projections b (n, k); also det of the diagonally normalised V (0 where the
    concepts' gradients are dependent). Ridged; k = 1, 2 in closed form (the hot path)."""
    k = V.shape[1]
    diag = np.maximum(np.einsum("nkk->nk", V), TINY)
    scale = 1.0 / np.sqrt(diag)
    bn = b * scale
    if k == 1:
        return bn[:, 0] ** 2, np.ones(len(bn))
    one = 1.0 + RIDGE
    if k == 2:
        rho = V[:, 0, 1] * scale[:, 0] * scale[:, 1]
        det = one * one - rho * rho
        b1, b2 = bn[:, 0], bn[:, 1]
        return (one * (b1 * b1 + b2 * b2) - 2.0 * rho * b1 * b2) / np.maximum(det, TINY), det
    Vn = V * scale[:, :, None] * scale[:, None, :] + RIDGE * np.eye(k)
    try:
        x = np.linalg.solve(Vn, bn[:, :, None])[:, :, 0]
    except np.linalg.LinAlgError:
        return None, np.zeros(len(bn))
    return np.einsum("nk,nk->n", bn, x), np.linalg.det(Vn)


def evaluate_concepts(concepts: tuple[Node, ...], data: Dataset, objective: Objective, options: Options,
                      memo: bool = True):
    """(concepts, variants) of a k-concept genome on ``data``, or None if unusable."""
    from latentlaw.symbolic.member import ConceptVariant

    groups_terms = [concept_terms(c, options) for c in concepts]
    groups = [objective.stats_of(terms, data, memo) for terms in groups_terms]
    if any(g is None for g in groups):
        return None
    problem = SpanProblem(groups, data)
    keys = [(data.token, c.key or to_string(c)) for c in concepts]
    # evolution changes one concept at a time: the others start from their last coefficients.
    # Those can hold a concept in a poor optimum left by another pairing (on a paper-size network
    # of experiment 06 the polish's regrouping missed the laws' grouping, span loss 0.00067 when
    # solved cold), so one-off scoring (memo=False: the polish, the hall of fame's all-rows
    # scores) solves both ways and keeps the better.
    starts = [_WARM.get(key) for key in keys]
    solved = problem.solve(starts)
    if not memo and any(s is not None for s in starts):
        cold = problem.solve()
        if cold is not None and (solved is None or cold[1] < solved[1]):
            solved = cold
    if solved is None:
        return None
    coefs, loss = solved
    if len(_WARM) > WARM_LIMIT:
        _WARM.clear()
    _WARM.update(zip(keys, coefs))
    shares = problem.contributions(coefs)
    if any(len(s) > 1 and (s < PRUNE * s.max()).any() for s in shares):
        keep = [s >= PRUNE * s.max() for s in shares]
        groups_terms = [[t for t, k in zip(ts, kp) if k] for ts, kp in zip(groups_terms, keep)]
        groups = [[s for s, k in zip(ss, kp) if k] for ss, kp in zip(groups, keep)]
        concepts = tuple(join_terms(ts, options) if len(ts) > 1 else ts[0] for ts in groups_terms)
        problem = SpanProblem(groups, data)
        solved = problem.solve()
        if solved is None:
            return None
        coefs, loss = solved
        shares = problem.contributions(coefs)
    coefs = [_canonical_scale(c, s) if len(c) > 1 else np.ones(1) for c, s in zip(coefs, shares)]
    options_of = [(coefs, loss)]
    previous = coefs  # then those within SNAP of +-1 snapped, then all within UNIT_RATIO of +-1
    for near in (lambda a: abs(a - 1.0) <= SNAP, lambda a: 1 / UNIT_RATIO <= a <= UNIT_RATIO):
        spelled = [np.array([np.sign(v) if near(abs(v)) else v for v in c]) for c in previous]
        if any(not np.array_equal(a, b) for a, b in zip(spelled, previous)):
            options_of.append((spelled, problem.loss(spelled)))
        previous = spelled
    from latentlaw.symbolic.member import assembled_complexity

    variants = []
    for cs, l in options_of:
        if not math.isfinite(l):
            continue
        size = sum(assembled_complexity(ts, c, 0.0, options) for ts, c in zip(groups_terms, cs))
        if size <= options.maxsize:
            variants.append(ConceptVariant(concepts, tuple(cs), 0.0, max(l, 0.0), size, options,
                                           groups=tuple(tuple(ts) for ts in groups_terms)))
    return (concepts, variants) if variants else None


def concepts_text(expression, variable_names: Sequence[str] | None = None) -> str:
    """A row's equation: one expression, or k concepts separated by ``SEPARATOR``."""
    if isinstance(expression, tuple):
        return SEPARATOR.join(to_string(e, variable_names) for e in expression)
    return to_string(expression, variable_names)


def split_text(text: str) -> list[str]:
    """The concepts of an equation string (one part for a single expression)."""
    return [part.strip() for part in str(text).split(";")]


def span_loss_of_fields(fields: Sequence[np.ndarray], targets: np.ndarray) -> np.ndarray:
    """Per row, the part of the unit ``targets`` (n, d) outside span of the (n, d) ``fields``."""
    G = np.stack(fields, axis=2)  # (n, d, k)
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    G = G / np.maximum(norms, TINY)
    q, _ = np.linalg.qr(G)
    t = targets / np.maximum(np.linalg.norm(targets, axis=1, keepdims=True), TINY)
    inside = np.einsum("ndk,nd->nk", q, t)
    return np.clip(1.0 - np.einsum("nk,nk->n", inside, inside), 0.0, 1.0)


def fixed_span_loss(expressions: Sequence[Node], data: Dataset, objective: Objective) -> float:
    """Span loss of k expressions exactly as written (no inner coefficient re-solved)."""
    stats = objective.stats_of(expressions, data, memo=False)
    if stats is None:
        return math.inf
    groups = [[s] for s in stats]
    return SpanProblem(groups, data).loss([np.ones(1)] * len(groups))


def dropped_term_genomes(concepts: tuple[Node, ...], options: Options) -> list[tuple[Node, ...]]:
    """Every genome with one term of one concept left out (what the polish tries)."""
    out = []
    for i, c in enumerate(concepts):
        terms = concept_terms(c, options)
        for k in range(len(terms) if len(terms) > 1 else 0):
            rest = terms[:k] + terms[k + 1:]
            out.append(concepts[:i] + (join_terms(rest, options) if len(rest) > 1 else rest[0],) + concepts[i + 1:])
    return out


def regrouped_genomes(concepts: tuple[Node, ...], options: Options) -> list[tuple[Node, ...]]:
    """Every split of a row's terms among its k concepts (what the polish tries): a search can
    end with the right terms filed with the wrong law (B^2 - E^2 + 2.4 B2 E2 ; B1 E1 + B3 E3 on
    a network of experiment 06, span loss 0.00096, where the laws' grouping leaves 0.00091), and
    moving one term between concepts is a move no mutation makes."""
    terms = [t for c in concepts for t in concept_terms(c, options)]
    k = len(concepts)
    return [tuple(join_terms([terms[i] for i in group], options) if len(group) > 1 else terms[group[0]]
                  for group in grouping)
            for grouping in groupings(list(range(len(terms))), k)]


def count_groupings(n: int, k: int) -> int:
    """Ways to split n items into k non-empty unordered groups (Stirling number of the 2nd kind)."""
    return sum((-1) ** j * math.comb(k, j) * (k - j) ** n for j in range(k + 1)) // math.factorial(k)


def groupings(items: list[int], k: int):
    """Every split of ``items`` into k non-empty groups, each split once (groups unordered)."""
    def place(i: int, groups: list[list[int]]):
        if i == len(items):
            if len(groups) == k:
                yield [list(g) for g in groups]
            return
        if len(items) - i < k - len(groups):
            return
        for g in groups:
            g.append(items[i])
            yield from place(i + 1, groups)
            g.pop()
        if len(groups) < k:
            groups.append([items[i]])
            yield from place(i + 1, groups)
            groups.pop()
    yield from place(0, [])
