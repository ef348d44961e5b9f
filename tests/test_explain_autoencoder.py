"""Explaining every latent of an autoencoder: preselection, fit to the latent, logging order."""

from __future__ import annotations

import contextlib
import io
import json

import mlflow
import numpy as np
import pytest
import torch

from conftest import compose
from latentlaw.explain import latent_fit
from latentlaw.explain.gradients import neuron_values_and_gradients
from latentlaw.explain.preselect import PreselectSettings, choose_inputs, gradient_energy
from latentlaw.data.base import DataError
from latentlaw.symbolic.parse_sympy import parse_sympy
from latentlaw.tasks.explain import explain, report, searcher_config, usable_truths
from latentlaw.tasks.train import build_dataset, train
from latentlaw.tracking import load_model, record

# A tiny autoencoder on a small Covertype stand-in: 54 inputs, so preselection applies; 3 latents.
TRAIN = ["dataset=covertype_synthetic", "dataset.n_rows=800", "model=autoencoder", "model.latent_size=3",
         "model.hidden=[16]", "trainer.max_epochs=3", "trainer.enable_progress_bar=false"]
# Autoencoder runs take their search settings from latent_search (searcher.* from the command line
# would win, but compose() has no command line). One search at a time: starting worker processes
# costs more than these 2 s searches.
SEARCH = ["latent_search.timeout_in_seconds=2", "preselect.max_inputs=4", "n_jobs=1"]


@pytest.fixture(scope="module")
def autoencoder(mlflow_store) -> dict:
    return train(compose("train", TRAIN))


@pytest.fixture(scope="module")
def explained(autoencoder) -> dict:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        summary = explain(compose("explain", [f"train_run={autoencoder['run_id']}", "explainer=direct_regression",
                                              *SEARCH]))
    return {**summary, "printed": printed.getvalue()}


def _artifact_json(run_id: str, path: str) -> dict:
    return json.loads(mlflow.artifacts.load_text(f"runs:/{run_id}/{path}"))


def test_every_latent_gets_a_preselected_search_and_its_r2(autoencoder, explained):
    run = mlflow.get_run(explained["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.tags[record.VERIFICATION].startswith("skipped")  # the stand-in has no law over its columns
    variables = _artifact_json(autoencoder["run_id"], record.DATASET_ARTIFACT)["variables"]
    assert [r["neuron"] for r in explained["neurons"]] == [0, 1, 2]
    model = load_model(autoencoder["run_id"])
    X = np.load(mlflow.artifacts.download_artifacts(f"runs:/{autoencoder['run_id']}/{record.HELDOUT_ARTIFACT}"))["X"]
    # 80 held-out rows, fewer than n_samples + 100: the search saw the first half, scores use the second
    X = X.astype(np.float64)[len(X) // 2:]
    for row in explained["neurons"]:
        j = row["neuron"]
        chosen = _artifact_json(run.info.run_id, record.preselection_file(j))
        assert 1 <= len(chosen["inputs"]) <= 4 and chosen["n_inputs"] == 54
        assert chosen["variables"] == [variables[i] for i in chosen["inputs"]]
        assert chosen["shares"] == sorted(chosen["shares"], reverse=True)
        assert chosen["kept_share"] == pytest.approx(sum(chosen["shares"]))
        assert row[record.COLUMN_INPUTS] == ",".join(chosen["variables"])
        # The equation reads only preselected inputs, under their own names.
        equation = parse_sympy(mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/{record.equation_file(j, 'txt')}"),
                               variables, what="logged equation")
        assert {str(s) for s in equation.free_symbols} <= set(chosen["variables"])
        # The logged R^2 is the equation's R^2 against the latent itself on rows the search did not see.
        z, _ = neuron_values_and_gradients(model, X, j)
        expected = latent_fit.r_squared(latent_fit.values(equation, X, variables), z, refit=False)
        # float32 network outputs and 6-digit constants in the logged text: agree to 1e-3. A 2 s
        # search can pick a term undefined on some held-out rows (1/Slope at Slope = 0): R^2 is
        # then -inf, which the run logs as -1e9 (MLflow stores finite numbers only)
        assert row[record.COLUMN_R2] == pytest.approx(expected if np.isfinite(expected) else -1e9, abs=1e-3)
        assert row[record.COLUMN_BEST_R2] >= row[record.COLUMN_R2] - 1e-9
        assert run.data.metrics[record.neuron_metric(record.LATENT_R2_METRIC, j)] == pytest.approx(row[record.COLUMN_R2])
    r2 = [r[record.COLUMN_R2] for r in explained["neurons"]]
    assert run.data.metrics[record.LATENT_R2_MEDIAN_METRIC] == pytest.approx(float(np.median(r2)))
    assert run.data.tags[record.R2_METHOD] == latent_fit.AS_FITTED
    history = mlflow.tracking.MlflowClient().get_metric_history(run.info.run_id, record.LATENTS_DONE_METRIC)
    assert sorted(m.value for m in history) == [1.0, 2.0, 3.0]


@pytest.mark.slow
def test_parallel_searches_report_as_each_latent_finishes(autoencoder, capsys):
    summary = explain(compose("explain", [f"train_run={autoencoder['run_id']}", "explainer=direct_regression",
                                          *SEARCH, "n_jobs=2"]))
    out = capsys.readouterr().out
    assert "3 latents, 2 at a time" in out and "[3/3] latent" in out
    assert [r["neuron"] for r in summary["neurons"]] == [0, 1, 2]  # back in latent order


def test_progress_names_each_finished_latent(explained):
    out = explained["printed"]
    assert "[1/3] latent 0 done" in out and "2 left" in out and "ETA" in out
    assert "[3/3] latent 2 done" in out and "0 left" in out
    assert "R^2 against each latent on held-out rows (as fitted)" in report(explained)


def test_symbolic_gradients_score_after_an_affine_map(autoencoder):
    summary = explain(compose("explain", [f"train_run={autoencoder['run_id']}", "neurons=[1]", *SEARCH]))
    run = mlflow.get_run(summary["run_id"])
    assert run.data.tags[record.R2_METHOD] == latent_fit.AFFINE_REFIT
    row = summary["neurons"][0]
    assert -1.0 <= row[record.COLUMN_R2] <= 1.0 and 0.0 <= row[record.COLUMN_ALIGNMENT] <= 1.0


def test_fronts_are_logged_before_scoring_can_fail(autoencoder, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("scoring broke")

    monkeypatch.setattr(latent_fit, "score", broken)
    with pytest.raises(ValueError, match="scoring broke"):
        explain(compose("explain", [f"train_run={autoencoder['run_id']}", "explainer=direct_regression",
                                    "neurons=[0,2]", *SEARCH]))
    failed = mlflow.search_runs(filter_string=f"tags.`mlflow.parentRunId` = '{autoencoder['run_id']}'",
                                search_all_experiments=True, order_by=["attributes.start_time DESC"],
                                max_results=1, output_format="list")[0]
    assert failed.info.status == "FAILED"
    files = {a.path for a in mlflow.artifacts.list_artifacts(run_id=failed.info.run_id, artifact_path="fronts")}
    assert files == {record.front_table(j) for j in (0, 2)}
    equations = {a.path for a in mlflow.artifacts.list_artifacts(run_id=failed.info.run_id, artifact_path="equations")}
    assert record.equation_file(2, "txt") in equations


class _Linear(torch.nn.Module):
    """z = x @ W: every input gradient is a column of W, known exactly."""

    def __init__(self, weights: np.ndarray) -> None:
        super().__init__()
        self.weights = torch.nn.Parameter(torch.as_tensor(weights, dtype=torch.float32))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.weights


def test_gradient_energy_of_a_linear_latent():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3)) * np.array([1.0, 2.0, 0.1])
    model = _Linear(np.array([[3.0], [1.0], [10.0]]))
    # float32 weights: 1e-5 relative
    np.testing.assert_allclose(gradient_energy(model, X, 0, weight="none"), [9.0, 1.0, 100.0], rtol=1e-5)
    np.testing.assert_allclose(gradient_energy(model, X, 0, weight="variance"), [9.0, 1.0, 100.0] * X.var(0), rtol=1e-5)


def test_choose_inputs_by_share_and_count():
    energy = np.array([1.0, 5.0, 1.0, 3.0])
    assert choose_inputs(energy, 0.8, None) == [1, 3]  # 5 + 3 of 10
    assert choose_inputs(energy, 0.81, None) == [1, 3, 0]  # ties go to the earlier column
    assert choose_inputs(energy, 0.95, 1) == [1]
    assert choose_inputs(energy, None, None) == [1, 3, 0, 2]
    assert choose_inputs(np.zeros(3), 0.9, 2) == [0, 1]


def test_preselect_settings_are_checked():
    assert PreselectSettings.from_config(None) is None
    assert PreselectSettings.from_config({"energy": None, "max_inputs": None}) is None
    with pytest.raises(ValueError, match="preselect.energy"):
        PreselectSettings.from_config({"energy": 1.5})
    with pytest.raises(ValueError, match="preselect.weight"):
        PreselectSettings.from_config({"weight": "abs"})
    with pytest.raises(ValueError, match="no setting"):
        PreselectSettings.from_config({"share": 0.9})


def test_column_generators_are_not_verified_as_laws(capsys):
    record_ = {"ground_truth": ["Elevation = 1900 + 1800*height", "x**2 + v**2"]}
    assert usable_truths(record_, ["x", "v"]) == ["x**2 + v**2"]
    assert "generated" in capsys.readouterr().out
    with pytest.raises(DataError, match=r"ground-truth expression 'x \+ w' uses \['w'\]"):
        usable_truths({"ground_truth": ["x + w"]}, ["x", "v"])


def test_latent_search_settings_apply_to_autoencoder_runs_only():
    cfg = compose("explain", ["latent_search.timeout_in_seconds=7"])
    assert searcher_config(cfg, "table").timeout_in_seconds == 7
    assert searcher_config(cfg, "table").max_terms == cfg.latent_search.max_terms
    assert searcher_config(cfg, "triplets").timeout_in_seconds == cfg.searcher.timeout_in_seconds
    assert searcher_config(compose("explain", ["latent_search=null"]), "table") == cfg.searcher


@pytest.mark.parametrize("name", ["covertype", "covertype_synthetic", "imdb", "reviews"])
def test_table_dataset_configs_name_themselves(name):
    # hparams_search=autoencoder_optuna names its study autoencoder-${dataset.name}
    assert compose("train", [f"dataset={name}", "model=autoencoder"]).dataset.name == name


def test_fast_preset_fits_the_covertype_stand_in():
    data = build_dataset(compose("train", ["dataset=covertype_synthetic", "model=autoencoder", "trainer=fast"]))
    assert (len(data.train), len(data.val), len(data.test)) == (20_000, 2_000, 3_000)
    assert data.ground_truth == [] and len(data.generators) == 10
