"""Neurons that use several laws: n_concepts=k finds k expressions whose gradients span the
neuron's gradient, whatever the function F(T1, ..., Tk) mixing them is."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.dataset import prepare
from latentlaw.symbolic.export_sympy import to_sympy
from latentlaw.symbolic.laws import LAWS, MIXTURES, law_gradients, mix, mixture_gradients
from latentlaw.symbolic.member import evaluate_terms
from latentlaw.symbolic.objectives import OBJECTIVES
from latentlaw.symbolic.options import BINARY_OPERATORS, UNARY_OPERATORS, build_options
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.verify import span_alignment, span_verdict

# The default-suite mixture: two laws of three inputs (two concepts of two inputs would span
# the whole plane: every target fits).
NAMES = ["a", "b", "c"]
LAW_PAIR = ("a*b", "b + c**2")
TOLERANCE = 1e-3  # the issue's: alignment >= 0.999 both ways


def _small_mixture(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from latentlaw.symbolic.verify import gradient_field

    X = np.random.default_rng(seed).uniform(-2, 2, (n, 3))
    values = np.column_stack([X[:, 0] * X[:, 1], X[:, 1] + X[:, 2] ** 2])
    _, partial = mix(values)
    G = sum(partial[:, [j]] * gradient_field(law, X, NAMES) for j, law in enumerate(LAW_PAIR))
    return X, G


def _span_loss(concepts: list[str], X: np.ndarray, G: np.ndarray, names: list[str] = NAMES) -> float:
    """The engine's loss of k concepts as written (their inner coefficients re-solved)."""
    options = build_options({"n_concepts": len(concepts), "binary_operators": BINARY_OPERATORS,
                             "unary_operators": UNARY_OPERATORS})
    data, _ = prepare(X, gradients=G, objective="gradient", variable_names=names)
    trees = tuple(parse_expression(c, names) for c in concepts)
    result = evaluate_terms(trees, data, OBJECTIVES["gradient"], options, memo=False)
    return min(v.loss for v in result[1])


def test_the_span_loss_is_zero_for_the_laws_and_blind_to_mixing_and_reshaping():
    X, G = _small_mixture()
    # float64 round-off of a k x k solve, ridged at 1e-12: far below the 1e-10 numerical floor
    assert _span_loss(["a*b", "b + square(c)"], X, G) < 1e-10
    # mixing the laws or reshaping one leaves the span, hence the loss, unchanged
    assert _span_loss(["exp(a*b)", "a*b + b + square(c)"], X, G) < 1e-10
    # the coefficients inside a concept are solved: 3*b + c^2 is not the law, b + c^2 is, and the
    # genome's constants do not matter
    assert _span_loss(["a*b", "3*b + square(c)"], X, G) < 1e-10
    # a missing law is not: a*b with c alone leaves a large part outside the span
    assert _span_loss(["a*b", "c"], X, G) > 1e-2
    # one law alone explains only part of the mixture
    assert _span_loss(["a*b", "a"], X, G) > 1e-2


def test_two_concepts_find_both_laws_of_a_small_mixture():
    X, G = _small_mixture()
    search = SymbolicSearch(n_concepts=2, random_state=0, timeout_in_seconds=20, verbosity=0).fit(
        X, gradients=G, variable_names=NAMES)
    found = search.concepts()
    assert len(found) == 2 and isinstance(search.sympy(), tuple)
    X_test, _ = _small_mixture(400, seed=1)
    assert span_alignment(found, LAW_PAIR, X_test, NAMES) >= 1 - TOLERANCE
    assert span_alignment(LAW_PAIR, found, X_test, NAMES) >= 1 - TOLERANCE
    assert search.pareto_front_["equation"].str.contains(" ; ").all()
    assert search.n_concepts_ == 2
    assert search.gradient(X_test).shape == (400, 2, 3) and search.predict(X_test).shape == (400, 2)


def test_the_library_start_takes_the_field_mixture_apart_before_any_evolution():
    """On the paper's U[0, 1] fields evolution alone stalled at span loss ~0.02; the sparse span of
    the library of inputs, squares and products holds both invariants, so a search that stops
    after one iteration already has them."""
    laws = [LAWS[name] for name in MIXTURES["field"]]
    X = laws[1].sample(np.random.default_rng(0), 300)
    names = list(laws[0].variables)
    search = SymbolicSearch(n_concepts=2, maxsize=40, niterations=1, random_state=0, verbosity=0).fit(
        X, gradients=mixture_gradients(laws, X), variable_names=names)
    X_test = laws[1].sample(np.random.default_rng(100), 500)
    truths = [law.expression for law in laws]
    assert span_alignment(search.concepts(), truths, X_test, names) >= 1 - TOLERANCE
    assert span_alignment(truths, search.concepts(), X_test, names) >= 1 - TOLERANCE


def test_a_checkpoint_of_concepts_reads_back_and_resumes(tmp_path):
    X, G = _small_mixture()
    path = tmp_path / "front.csv"
    first = SymbolicSearch(n_concepts=2, random_state=1, niterations=2, populations=3, verbosity=0,
                           checkpoint_file=str(path)).fit(X, gradients=G, variable_names=NAMES)
    loaded = SymbolicSearch.from_file(path, NAMES)
    assert list(loaded.pareto_front_["equation"]) == list(first.pareto_front_["equation"])
    assert all(len(loaded.concepts(i)) == 2 for i in range(len(loaded.pareto_front_)))
    # the reloaded trees give the same gradients as the fitted ones (parsed, not re-searched)
    np.testing.assert_allclose(loaded.gradient(X, -1), first.gradient(X, -1), rtol=1e-9, atol=1e-9)
    resumed = SymbolicSearch(n_concepts=2, random_state=2, niterations=1, populations=3, verbosity=0,
                             resume_from=str(path)).fit(X, gradients=G, variable_names=NAMES)
    # seeds from the checkpoint enter the hall of fame: never worse than the front resumed from
    assert resumed.pareto_front_["loss"].min() <= first.pareto_front_["loss"].min() * (1 + 1e-6) + 1e-12


def test_the_same_random_state_gives_the_same_front():
    X, G = _small_mixture()

    def front():
        s = SymbolicSearch(n_concepts=2, random_state=5, niterations=2, populations=2, verbosity=0)
        return s.fit(X, gradients=G, variable_names=NAMES).pareto_front_[["complexity", "loss", "equation"]]

    assert front().equals(front())


@pytest.mark.parametrize("params, message", [
    (dict(n_concepts=0), "n_concepts must be an integer >= 1 or 'auto'"),
    (dict(n_concepts="two"), "n_concepts must be an integer >= 1 or 'auto'"),
    (dict(n_concepts=True), "n_concepts must be an integer >= 1 or 'auto'"),
    (dict(n_concepts=4), "larger than the number of inputs"),
    (dict(n_concepts=2, objective="regression"), "needs objective='gradient'"),
    (dict(n_concepts="auto", objective="regression"), "needs objective='gradient'"),
    (dict(n_concepts=2, backend="pysr"), "supported by the native backend only"),
    (dict(n_concepts="auto", max_concepts=0), "max_concepts must be an integer >= 1"),
])
def test_bad_n_concepts_fails_before_any_search(params, message):
    X, G = _small_mixture(20)
    kwargs = dict(gradients=G) if params.get("objective") != "regression" else dict(y=X[:, 0])
    search = SymbolicSearch(verbosity=0, **params)
    with pytest.raises(ValueError, match=message):
        search.fit(X, variable_names=NAMES, **kwargs)
    assert not hasattr(search, "pareto_front_")


def test_auto_stops_at_one_concept_for_a_single_law():
    law = LAWS["harmonic"]
    X = law.sample(np.random.default_rng(0), 300)
    search = SymbolicSearch(n_concepts="auto", random_state=0, timeout_in_seconds=20, verbosity=0).fit(
        X, gradients=law_gradients(law, X), variable_names=list(law.variables))
    assert search.n_concepts_ == 1
    assert list(search.concept_losses_) == [1]  # exact at k = 1: no second search
    assert not isinstance(search.sympy(), tuple)


def test_span_verdict_is_blind_to_mixing_and_reports_each_concepts_form():
    X = np.random.default_rng(3).uniform(-2, 2, (500, 3))
    # same span (mixed, reshaped): alignment 1 to round-off
    assert span_alignment(["exp(a*b) + b + c**2", "3*a*b"], LAW_PAIR, X, NAMES) >= 1 - 1e-9
    # one law wrong: the largest principal angle is far from 0 on most points
    assert span_alignment(["a*b", "b + c"], LAW_PAIR, X, NAMES) < 0.9
    # another number of concepts is another span
    assert span_alignment(["a*b"], LAW_PAIR, X, NAMES) == 0.0
    verdict = span_verdict(["a*b", "1.5*b + c**2"], LAW_PAIR, X, NAMES)
    assert verdict["span_equivalent"] is False  # the constant as found is off ...
    assert [c["law"] for c in verdict["concepts"]] == [0, 1]
    assert all(c["exact_form"] for c in verdict["concepts"])  # ... but both forms are the laws'


def test_explain_verifies_a_row_of_concepts_by_its_span():
    from latentlaw.tasks.explain import verify

    X = np.random.default_rng(4).uniform(-2, 2, (300, 3))
    expression = sympy.Tuple(*[sympy.sympify(e) for e in ("a*b", "b + c**2")])
    front = {"sympy": [sympy.Tuple(sympy.Symbol("a"), sympy.Symbol("c")), expression]}
    verdict = verify(expression, front, list(LAW_PAIR), X, NAMES, TOLERANCE, None)
    assert verdict.recovered and verdict.front_contains_truth and verdict.exact_form
    wrong = sympy.Tuple(sympy.Symbol("a"), sympy.Symbol("c"))
    assert not verify(wrong, front, list(LAW_PAIR), X, NAMES, TOLERANCE, None).recovered


def test_the_explainer_passes_n_concepts_to_the_engine():
    from latentlaw.explain.symbolic_gradient import SymbolicGradientExplainer

    assert SymbolicGradientExplainer(n_concepts="auto").n_concepts == "auto"
    with pytest.raises(ValueError, match="n_concepts"):
        SymbolicGradientExplainer(n_concepts=0)


# -- the issue's pairs (slow: up to two minutes each) -------------------------------------------
def _find_pair(laws: list, X: np.ndarray, X_test: np.ndarray, timeout: float, seed: int = 0) -> None:
    names = list(laws[0].variables)
    search = SymbolicSearch(n_concepts=2, maxsize=40, random_state=seed, timeout_in_seconds=timeout,
                            verbosity=0).fit(X, gradients=mixture_gradients(laws, X), variable_names=names)
    truths = [law.expression for law in laws]
    assert span_alignment(search.concepts(), truths, X_test, names) >= 1 - TOLERANCE
    assert span_alignment(truths, search.concepts(), X_test, names) >= 1 - TOLERANCE


@pytest.mark.slow
def test_the_field_invariants_are_found_on_normal_fields():
    laws = [LAWS[name] for name in MIXTURES["field"]]
    rng = np.random.default_rng(0)
    _find_pair(laws, rng.normal(size=(500, 6)), rng.normal(size=(1000, 6)), timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("pair", list(MIXTURES))
def test_the_issues_pairs_on_the_paper_ranges(pair):
    laws = [LAWS[name] for name in MIXTURES[pair]]
    X = laws[1].sample(np.random.default_rng(0), 500)
    _find_pair(laws, X, laws[1].sample(np.random.default_rng(100), 1000), timeout=120)


@pytest.mark.slow
def test_auto_picks_two_on_a_mixture_and_one_on_noisy_single_laws():
    X, G = _small_mixture()
    search = SymbolicSearch(n_concepts="auto", random_state=0, timeout_in_seconds=20, verbosity=0).fit(
        X, gradients=G, variable_names=NAMES)
    assert search.n_concepts_ == 2, search.concept_losses_
    # laws a 20 s single-concept search finds: auto's choice is only as good as each k's search,
    # and a k = 1 search that ends on an approximation (rational needs ~45 s) is beaten tenfold
    # by two approximations (measured: 5.2e-3 -> 4.2e-4 with 2% noise)
    for name in ("sine", "angular_momentum", "field_EB"):
        law = LAWS[name]
        X = law.sample(np.random.default_rng(0), 500)
        G = law_gradients(law, X, noise=0.02, rng=np.random.default_rng(1))
        search = SymbolicSearch(n_concepts="auto", random_state=0, timeout_in_seconds=20, verbosity=0).fit(
            X, gradients=G, variable_names=list(law.variables))
        assert search.n_concepts_ == 1, (name, search.concept_losses_)


@pytest.mark.parametrize("n,k", [(1, 1), (4, 2), (5, 3), (7, 2), (6, 4)])
def test_the_library_start_regroups_terms_in_every_way_once(n, k):
    """Regrouping scores each split of a state's terms among k concepts once: the enumeration
    gives the Stirling number S(n, k) of distinct splits into non-empty groups, and the budget
    is counted with the same number."""
    from latentlaw.symbolic.concepts import count_groupings, groupings

    splits = list(groupings(list(range(n)), k))
    assert len(splits) == count_groupings(n, k)
    assert len({frozenset(frozenset(g) for g in s) for s in splits}) == len(splits)
    for s in splits:
        assert len(s) == k and all(s) and sorted(j for g in s for j in g) == list(range(n))
    assert count_groupings(10, 2) == 511 and count_groupings(3, 4) == 0


def test_the_polish_refiles_a_term_filed_with_the_wrong_law():
    """The row a search of experiment 06's network ended with, B^2 - E^2 + B2 E2 ; B1 E1 + B3 E3:
    right terms, one in the wrong concept. No term can be dropped to fix it; regrouping can."""
    from latentlaw.symbolic.context import SearchContext
    from latentlaw.symbolic.hall_of_fame import HallOfFame
    from latentlaw.symbolic.member import new_member
    from latentlaw.symbolic.polish import polish_front

    laws = [LAWS[name] for name in MIXTURES["field"]]
    X = laws[1].sample(np.random.default_rng(0), 300)
    names = list(laws[0].variables)
    data, _ = prepare(X, gradients=mixture_gradients(laws, X), objective="gradient", variable_names=names)
    options = build_options({"n_concepts": 2, "maxsize": 40, "binary_operators": BINARY_OPERATORS,
                             "unary_operators": UNARY_OPERATORS})
    ctx = SearchContext(options=options, objective=OBJECTIVES["gradient"], data=data, batch=data,
                        rng=np.random.default_rng(0), variable_p=np.ones(len(names)))
    wrong = ("square(B1) + square(B2) + square(B3) - square(E1) - square(E2) - square(E3) + B2*E2", "E1*B1 + E3*B3")
    hof = HallOfFame()
    hof.consider(new_member(tuple(parse_expression(c, names) for c in wrong), ctx), ctx)
    assert min(e.loss for e in hof.front()) > 1e-3
    polish_front(hof, ctx)
    best = min(hof.front(), key=lambda e: e.loss)
    assert best.loss < 1e-10  # round-off of the span solve, far below the 1e-3 of the wrong row
    X_test = laws[1].sample(np.random.default_rng(100), 500)
    found = [to_sympy(e, names) for e in best.variant.expression]
    truths = [law.expression for law in laws]
    assert span_alignment(found, truths, X_test, names) >= 1 - TOLERANCE


def test_a_law_written_with_unit_coefficients_fits_maxsize_when_fitted_ones_would_not():
    """A trained network weighs a law's terms unevenly (experiment 06 at the fast preset: the
    E1^2, E2^2 of B^2 - E^2 at 0.83 against E3^2). Fitted, the laws need four constants more
    than maxsize allows; the member must still offer them with every coefficient +-1, priced
    honestly on the data, or the search can never hold the laws."""
    from latentlaw.symbolic.concepts import fixed_span_loss
    from latentlaw.symbolic.verify import gradient_field

    names = ["E1", "E2", "E3", "B1", "B2", "B3"]
    X = np.random.default_rng(0).uniform(0, 1, (300, 6))
    skewed = ("B1**2 + B2**2 + B3**2 - 0.83*E1**2 - 0.83*E2**2 - E3**2", "E1*B1 + E2*B2 + E3*B3")
    E, B = X[:, :3], X[:, 3:]
    values = np.column_stack([(B ** 2).sum(1) - (E ** 2) @ [0.83, 0.83, 1.0], (E * B).sum(1)])
    _, partial = mix(values)
    G = sum(partial[:, [j]] * gradient_field(law, X, names) for j, law in enumerate(skewed))
    laws = ("square(B1) + square(B2) + square(B3) - square(E1) - square(E2) - square(E3)", "E1*B1 + E2*B2 + E3*B3")
    data, _ = prepare(X, gradients=G, objective="gradient", variable_names=names)
    trees = tuple(parse_expression(c, names) for c in laws)
    for maxsize, sizes in ((40, {28, 32}), (30, {28})):
        options = build_options({"n_concepts": 2, "maxsize": maxsize, "binary_operators": BINARY_OPERATORS,
                                 "unary_operators": UNARY_OPERATORS})
        _, variants = evaluate_terms(trees, data, OBJECTIVES["gradient"], options, memo=False)
        assert {v.complexity for v in variants} == sizes
    unit = next(v for v in variants if v.complexity == 28)
    assert all(set(np.abs(c)) == {1.0} for c in unit.coefs)
    # the honest price: the span loss of the laws exactly as written (float64 round-off only)
    assert unit.loss == pytest.approx(fixed_span_loss(trees, data, OBJECTIVES["gradient"]), rel=1e-9, abs=1e-15)
    assert unit.loss > 1e-6  # the neuron's own law weighs E1^2 and E2^2 less: +-1 is not free
