"""The training task end to end on a private MLflow store."""

from __future__ import annotations

import logging

import mlflow
import numpy as np
import pytest

from conftest import compose
from latentlaw.data.base import DataError
from latentlaw.tasks.train import train

SMALL = ["dataset.n_train=2000", "dataset.n_val=200", "dataset.n_test=500", "trainer.max_epochs=3",
         "trainer.enable_progress_bar=false", "model.hidden=[32,32]"]


def _n_runs() -> int:
    return len(mlflow.search_runs(search_all_experiments=True))


def _run(overrides: list[str]) -> dict:
    return train(compose("train", overrides), experiment="test")


@pytest.fixture(scope="module")
def harmonic_run(mlflow_store):
    return _run(["experiment=paper/07_harmonic", *SMALL])


def test_training_run_records_everything(harmonic_run):
    run = mlflow.get_run(harmonic_run["run_id"])
    assert run.info.status == "FINISHED"
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    assert tags["latentlaw.task"] == "train" and tags["latentlaw.dataset"] == "harmonic"
    assert "x" in tags["latentlaw.ground_truth"] and "v" in tags["latentlaw.ground_truth"]
    assert params["model.hidden"] == "[32, 32]" and params["seed"] == "0"
    assert {"spearman_abs", "test_loss", "test_triplet_accuracy", "fit_seconds"} <= set(metrics)
    history = mlflow.tracking.MlflowClient().get_metric_history(run.info.run_id, "val_loss")
    assert [m.step for m in history] == [0, 1, 2]
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)}
    assert {"config.yaml", "data", "model", "plots"} <= artifacts
    plots = [a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path="plots")]
    assert plots == ["plots/latent_vs_ground_truth.png"]


def test_model_from_run_id_reproduces_the_logged_metric(harmonic_run):
    from latentlaw.data.truth import evaluate_expression
    from latentlaw.latent_space.siamese import latents
    from latentlaw.tracking import load_model
    from latentlaw.tracking.lookup import load_json_artifact, load_npz_artifact
    from scipy.stats import spearmanr

    run_id = harmonic_run["run_id"]
    record = load_json_artifact(run_id, "data/dataset.json")
    X = load_npz_artifact(run_id, "data/heldout.npz")["X"]
    assert X.shape == (500, 2)
    z = latents(load_model(run_id), X)[:, 0]
    truth = evaluate_expression(record["ground_truth"][0], record["variables"], X)
    # Same weights and rows, but float32 latents from another BLAS kernel may swap two near-tied
    # values; one adjacent swap moves Spearman's rho by 12 / (n (n^2 - 1)) = 1e-7 at n = 500. 1e-6
    # allows a few such swaps; another model would be off by far more.
    assert abs(spearmanr(z, truth).statistic) == pytest.approx(harmonic_run["spearman_abs"], abs=1e-6)


def test_same_seed_same_metrics_other_seed_differs(harmonic_run):
    again = _run(["experiment=paper/07_harmonic", *SMALL])
    assert again["test_loss"] == harmonic_run["test_loss"]
    assert again["spearman_abs"] == harmonic_run["spearman_abs"]
    other = _run(["experiment=paper/07_harmonic", *SMALL, "seed=1"])
    assert other["test_loss"] != harmonic_run["test_loss"]


def test_lightning_noise_is_silenced(mlflow_store, caplog, recwarn):
    caplog.set_level(logging.INFO)
    _run(["experiment=paper/07_harmonic", *SMALL, "trainer.max_epochs=1"])
    assert "GPU available" in caplog.text  # Lightning's useful lines still come through
    assert "litlogger" not in caplog.text
    assert not [w for w in recwarn if "LeafSpec" in str(w.message)]


@pytest.mark.parametrize("overrides, error, match", [
    (["model.latent_size=0"], ValueError, "latent_size"),
    (["model.in_features=3"], ValueError, "in_features"),
    (["model=autoencoder"], ValueError, "model=siamese"),
    (["dataset=table_file", "dataset.path=/nonexistent/table.csv"], DataError, "/nonexistent/table.csv"),
])
def test_bad_input_fails_before_any_run_starts(mlflow_store, overrides, error, match):
    before = _n_runs()
    with pytest.raises(error, match=match):
        _run(["experiment=paper/07_harmonic", *SMALL, *overrides])
    assert _n_runs() == before


def test_non_finite_triplets_are_refused(mlflow_store, tmp_path):
    rng = np.random.default_rng(0)
    arrays = {k: rng.normal(size=(300, 2)) for k in ("anchor", "positive", "negative")}
    arrays["negative"][7, 1] = np.nan
    np.savez(tmp_path / "t.npz", **arrays)
    with pytest.raises(DataError, match="non-finite"):
        _run(["dataset=triplet_file", f"dataset.path={tmp_path / 't.npz'}", *SMALL,
              "dataset.n_train=200", "dataset.n_val=50", "dataset.n_test=50"])


def test_a_crash_during_training_marks_the_run_failed(mlflow_store, monkeypatch):
    from latentlaw.models import SiameseNetwork

    def explode(self, batch, batch_idx):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(SiameseNetwork, "training_step", explode)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _run(["experiment=paper/07_harmonic", *SMALL, "tracking.run_name=crash"])
    runs = mlflow.search_runs(filter_string="attributes.run_name = 'crash'", search_all_experiments=True)
    assert list(runs["status"]) == ["FAILED"]


def test_autoencoder_trains_on_the_synthetic_table(mlflow_store):
    metrics = _run(["dataset=covertype_synthetic", "model=autoencoder", "model.latent_size=8",
                    "dataset.n_train=2000", "dataset.n_val=300", "dataset.n_test=300", "trainer.max_epochs=3",
                    "trainer.enable_progress_bar=false"])
    run = mlflow.get_run(metrics["run_id"])
    assert run.data.tags["latentlaw.synthetic"] == "true"
    assert run.data.tags["latentlaw.model"] == "Autoencoder"
    assert np.isfinite(metrics["test_loss"]) and metrics["test_loss"] < 1.5
    assert "spearman_abs" not in metrics


def test_autoencoder_trains_on_the_shipped_review_embeddings(mlflow_store):
    metrics = _run(["dataset=reviews", "model=autoencoder", "model.latent_size=8", "trainer.max_epochs=3",
                    "trainer.enable_progress_bar=false"])
    run = mlflow.get_run(metrics["run_id"])
    assert run.data.tags["latentlaw.dataset"] == "reviews"
    assert run.data.params["model.latent_size"] == "8"
    assert np.isfinite(metrics["test_loss"])
