"""Tree mutations that write what laws are made of: here, an offset inside a term (gamma - 1)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.dataset import prepare
from latentlaw.symbolic.mutation_functions import SMALL_CONSTANTS, shift_subtree
from latentlaw.symbolic.objectives import OBJECTIVES
from latentlaw.symbolic.options import build_options
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.strings import to_string

NAMES = ["a", "b", "c"]


def _context(X: np.ndarray, y: np.ndarray) -> SearchContext:
    data, _ = prepare(X, y, objective="regression", variable_names=NAMES)
    options = build_options(SymbolicSearch(objective="regression").get_params())
    return SearchContext(options=options, objective=OBJECTIVES["regression"], data=data, batch=data,
                         rng=np.random.default_rng(0), variable_p=np.ones(3))


def test_shift_subtree_offsets_a_denominator_or_an_argument_by_a_small_signed_constant():
    """c + t or c - t (1 - v^2/c^2 needs the second) for every small constant and sign, where no
    coefficient writes the offset: in a denominator, under sqrt; never in a product or under exp."""
    X = np.random.default_rng(0).uniform(1.0, 3.0, size=(20, 3))
    ctx = _context(X, X[:, 0])
    tree = parse_expression("a*b/sqrt(c)", NAMES)
    before = to_string(tree, NAMES)
    shifts, targets = set(), set()
    for _ in range(300):
        out = shift_subtree(tree, ctx)
        assert to_string(tree, NAMES) == before  # the input is shared between members: never edited
        added = [n for n in out.nodes() if n.op is not None and n.op.name in "+-"]
        assert len(added) == 1 and added[0].left.is_constant, to_string(out, NAMES)
        shifts.add((added[0].op.name, added[0].left.value))
        targets.add(to_string(added[0].right, NAMES))
    assert shifts == {(op, s * sign) for op in "+-" for s in SMALL_CONSTANTS for sign in (1.0, -1.0)}
    assert targets == {"c", "sqrt(c)"}  # under the root, and the denominator
    for nowhere in ("a*b", "exp(a)*b", "a"):
        assert shift_subtree(parse_expression(nowhere, NAMES), ctx) is None, nowhere


def test_an_offset_in_a_denominator_is_found_exactly_with_the_shift_turned_on():
    """I.39.11 of the Feynman table, pr V / (gamma - 1) with gamma in [2, 5]: without the shift
    mutation the search stops on a 20-node approximation of 1/(gamma - 1) that fits to 1e-11;
    with it (weight 0.3), seeds 0-2 stop early on the law within 4 s (without it: none of them
    in 30 iterations)."""
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(2.0, 5.0, 500), rng.uniform(1.0, 5.0, 500), rng.uniform(1.0, 5.0, 500)])
    y = X[:, 1] * X[:, 2] / (X[:, 0] - 1.0)
    names = ["gamma", "pr", "V"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search = SymbolicSearch(objective="regression", niterations=30, populations=4, population_size=30,
                                ncycles_per_iteration=100, random_state=0, verbosity=0,
                                early_stop_loss=1e-20, mutation_weights={"shift_subtree": 0.3},
                                rational_start=0,  # which would fit this law itself
                                ).fit(X, y, variable_names=names)
    gamma, pr, V = sympy.symbols(names)
    assert sympy.simplify(search.sympy() - pr * V / (gamma - 1)) == 0, search.sympy()


@pytest.mark.parametrize("weights, problem", [({"insert_node": -1.0}, "must be a finite number >= 0"),
                                               ({"insert_node": float("nan")}, "must be a finite number >= 0"),
                                               ({"nonsense": 1.0}, "unknown mutation")])
def test_mutation_weights_are_checked_before_the_search(weights, problem):
    with pytest.raises(ValueError, match=problem):
        build_options({"objective": "regression", "mutation_weights": weights})
