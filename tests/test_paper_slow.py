"""The paper's experiments at the fast preset (slow: minutes each; run with `make test-all`)."""

from __future__ import annotations

import pytest

from conftest import ROOT, compose
from latentlaw.tasks.analyze import analyze
from latentlaw.tasks.explain import explain
from latentlaw.tasks.train import train

PAPER = sorted(p.stem for p in (ROOT / "conf/experiment/paper").glob("*.yaml"))
# Two Lorentz invariants (E.B and B^2 - E^2): the network is free to learn a mix of both, and at
# the fast preset it does (|rho| 0.78-0.93 with either one, depending on seed and settings).
MIXTURE = {"06_field_tensor"}


@pytest.mark.slow
@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason="learns a mixture of two invariants",
                                                                          strict=False)) if n in MIXTURE else n
                                  for n in PAPER])
def test_fast_preset_learns_the_invariant(mlflow_store, name):
    metrics = train(compose("train", [f"experiment=paper/{name}", "trainer=fast", "trainer.enable_progress_bar=false"]),
                    experiment=f"slow/{name}")
    assert metrics["spearman_abs"] >= 0.9


@pytest.mark.slow
def test_three_experiments_end_to_end_are_recovered_by_symbolic_gradients(mlflow_store):
    names = ["02_det_2x2", "07_harmonic", "12_spacetime"]
    for name in names:
        train(compose("train", [f"experiment=paper/{name}", "trainer=fast", "trainer.enable_progress_bar=false"]),
              experiment=f"e2e/{name}")
        explain(compose("explain", [f"train_run=e2e/{name}", "searcher.verbosity=0"]))
    table = analyze(compose("analyze", [f"experiments=[{','.join('e2e/' + n for n in names)}]"]))
    assert sorted(table["experiment"]) == [f"e2e/{n}" for n in names]
    assert table["sg_recovered"].tolist() == [True, True, True], table[["experiment", "symbolic_gradient"]]
