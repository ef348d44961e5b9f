"""Inputs confined to a subspace: gradients are compared only within it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from latentlaw.data.invariants import make_invariant_dataset
from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.dataset import tangent_projector
from latentlaw.symbolic.verify import gradient_alignment, gradient_field

NAMES = [f"A{i}{j}" for i in range(1, 4) for j in range(1, 4)]


@pytest.fixture(scope="module")
def antisym() -> np.ndarray:
    return make_invariant_dataset("antisym_3x3", 10, 10, 800, seed=0).test.anchor.astype(np.float64)


def test_projector_rank_matches_the_constraints(antisym):
    assert np.trace(tangent_projector(antisym)) == pytest.approx(3.0)  # 3 free entries of 9
    det = make_invariant_dataset("det_2x2", 10, 10, 500, seed=0).test.anchor.astype(np.float64)
    assert np.trace(tangent_projector(det)) == pytest.approx(3.0)  # trace fixed: 4 - 1
    free = np.random.default_rng(0).normal(size=(200, 4))
    assert tangent_projector(free) is None


def test_same_law_on_the_subspace_is_recognised_only_with_the_projector(antisym):
    law, other_form = "A12**2 + A13**2 + A23**2", "A12*A21 + A13*A31 + A23*A32"  # equal when A = -A^T
    P = tangent_projector(antisym)
    assert gradient_alignment(other_form, law, antisym, NAMES) < 0.8
    assert gradient_alignment(other_form, law, antisym, NAMES, P) == pytest.approx(1.0, abs=1e-9)
    assert gradient_alignment("A12**2 + A13**2", law, antisym, NAMES, P) < 0.99


def test_search_recovers_a_law_from_gradients_known_only_on_the_subspace(antisym):
    P = tangent_projector(antisym)
    G = gradient_field("A12**2 + A13**2 + A23**2", antisym, NAMES) @ P  # all a network trained on A can know
    search = SymbolicSearch(objective="gradient", timeout_in_seconds=60, verbosity=0, random_state=0)
    search.fit(antisym, gradients=G, variable_names=NAMES, projector=P)
    assert gradient_alignment(search.sympy(), "A12**2 + A13**2 + A23**2", antisym, NAMES, P) > 0.999


def test_projector_is_refused_for_other_backends_and_bad_shapes(antisym):
    G = gradient_field("A12**2", antisym, NAMES)
    with pytest.raises(ValueError, match="symmetric"):
        SymbolicSearch(objective="gradient", verbosity=0).fit(antisym, gradients=G, variable_names=NAMES,
                                                              projector=np.ones((3, 3)))
    with pytest.raises(ValueError, match="native backend only"):
        SymbolicSearch(objective="gradient", backend="pysr", verbosity=0).fit(
            antisym, gradients=G, variable_names=NAMES, projector=tangent_projector(antisym))


class _RecordingSearcher:
    """Stands in for an engine without projection (PySR needs Julia): keeps what it was given."""

    backend = "pysr"

    def fit(self, X, variable_names=None, gradients=None, **kwargs):
        self.given = dict(kwargs, gradients=gradients)
        self.pareto_front_ = pd.DataFrame({"complexity": [1], "loss": [0.0], "equation": ["A12"],
                                           "sympy": ["A12"], "score": [0.0]})
        self.best_index_ = 0
        return self


def test_other_backends_get_the_targets_projected_onto_the_subspace(antisym, caplog):
    import torch

    from latentlaw.explain.symbolic_gradient import SymbolicGradientExplainer
    from latentlaw.models.siamese import SiameseNetwork

    torch.manual_seed(0)
    model = SiameseNetwork(in_features=9, hidden=(16,))  # untrained: its gradient leaves the subspace
    searcher = _RecordingSearcher()
    SymbolicGradientExplainer(n_samples=200).explain(model, antisym, NAMES, 0, searcher)
    G = searcher.given["gradients"]
    P = tangent_projector(antisym)
    assert "projector" not in searcher.given
    np.testing.assert_allclose(np.linalg.norm(G, axis=1), 1.0)
    np.testing.assert_allclose(G @ P, G, atol=1e-9)  # nothing left off the subspace
    assert "pysr backend compares whole gradients" in caplog.text
