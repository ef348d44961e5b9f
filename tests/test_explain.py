"""train -> explain -> analyze on a private store, plus explain's refusals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import mlflow
import numpy as np
import pytest

from conftest import ROOT, compose
from latentlaw.tasks.analyze import analyze
from latentlaw.tasks.explain import explain
from latentlaw.tasks.train import train
from latentlaw.tracking import tracked_run
from latentlaw.tracking.lookup import RunNotFound

TRAIN = ["experiment=paper/07_harmonic", "trainer=fast", "trainer.enable_progress_bar=false"]
SEARCH = ["searcher.timeout_in_seconds=30", "searcher.verbosity=0"]


@pytest.fixture(scope="module")
def harmonic(mlflow_store) -> dict:
    metrics = train(compose("train", TRAIN), experiment="test/harmonic")
    assert metrics["spearman_abs"] > 0.99, "the network must learn the interval for this test to mean anything"
    return metrics


@pytest.fixture(scope="module")
def explained(harmonic) -> dict:
    return explain(compose("explain", [f"train_run={harmonic['run_id']}", *SEARCH]))


def test_symbolic_gradients_recover_the_energy_and_log_it(harmonic, explained):
    run = mlflow.get_run(explained["run_id"])
    tags, metrics = run.data.tags, run.data.metrics
    assert run.info.status == "FINISHED"
    assert tags["mlflow.parentRunId"] == harmonic["run_id"]
    assert tags["latentlaw.experiment"] == "test/harmonic" and tags["latentlaw.explainer"] == "symbolic_gradient"
    assert tags["recovered"] == "true" and tags["front_contains_truth"] == "true"
    assert metrics["ground_truth_alignment"] > 0.999
    assert tags["exact_form"] == "true" and metrics["form_alignment"] >= metrics["ground_truth_alignment"]
    assert {"x", "v"} <= set(tags["equation"])
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id)}
    assert {"fronts", "plots", "equations", "equations.json", "searcher_settings.json", "config.yaml"} <= artifacts
    mlflow.set_experiment(experiment_id=run.info.experiment_id)
    front = mlflow.load_table("fronts/neuron_0.json", run_ids=[run.info.run_id])
    assert {"complexity", "loss", "equation", "latex", "selected"} <= set(front.columns)
    assert front["selected"].sum() == 1
    assert list(front["complexity"]) == sorted(front["complexity"])
    # explainer.n_concepts=auto (the default): two inputs span the plane with two concepts, so
    # auto tries k = 1 only, and says so
    assert metrics["n_concepts"] == 1 and metrics["n_concepts.neuron_0"] == 1
    assert 0 <= metrics["span_loss_k1.neuron_0"] < 1e-2  # the energy on a well-trained network
    row = explained["neurons"][0]
    assert row["n_concepts"] == 1 and row["concept_losses"].startswith("1:")


def test_direct_regression_and_analyze_build_the_recovery_table(harmonic, explained):
    direct = explain(compose("explain", [f"train_run={harmonic['run_id']}", "explainer=direct_regression", *SEARCH]))
    run = mlflow.get_run(direct["run_id"])
    assert run.data.tags["latentlaw.explainer"] == "direct_regression"
    assert run.data.tags["recovered"] in ("true", "false")
    table = analyze(compose("analyze", ["experiments=[test/harmonic]"]))
    assert list(table["experiment"]) == ["test/harmonic"]
    row = table.iloc[0]
    assert row["sg_recovered"] is True or row["sg_recovered"] == True  # noqa: E712
    assert row["sg_run"] == explained["run_id"] and row["dr_run"] == direct["run_id"]
    analysis = mlflow.search_runs(filter_string="tags.`latentlaw.task` = 'analyze'", search_all_experiments=True,
                                  order_by=["attributes.start_time DESC"], max_results=1, output_format="list")[0]
    files = {a.path for a in mlflow.artifacts.list_artifacts(run_id=analysis.info.run_id)}
    assert {"recovery.md", "recovery.csv", "recovery.png"} <= files
    markdown = mlflow.artifacts.load_text(f"runs:/{analysis.info.run_id}/recovery.md")
    assert "test/harmonic" in markdown and "symbolic gradients 1/1 (1 in the exact form)" in markdown


def test_latest_of_an_experiment_is_found(harmonic):
    from latentlaw.tracking.lookup import get_training_run

    assert get_training_run("test/harmonic").info.run_id == harmonic["run_id"]
    with pytest.raises(RunNotFound, match="no finished training run of experiment"):
        get_training_run("test/never-trained")


def test_unknown_run_id_is_refused(mlflow_store):
    with pytest.raises(RunNotFound, match="no MLflow run with id"):
        explain(compose("explain", ["train_run=0123456789abcdef0123456789abcdef"]))


def test_deleted_run_is_refused(mlflow_store):
    with tracked_run("to-delete", {"latentlaw.task": "train"}) as run:
        pass
    mlflow.delete_run(run.info.run_id)
    with pytest.raises(RunNotFound, match="deleted"):
        explain(compose("explain", [f"train_run={run.info.run_id}"]))


def test_run_without_model_is_refused(mlflow_store, tmp_path):
    np.savez(tmp_path / "heldout.npz", X=np.zeros((20, 1)))
    with tracked_run("no-model", {"latentlaw.task": "train"}) as run:
        mlflow.log_text('{"name": "x", "variables": ["a"], "ground_truth": []}', "data/dataset.json")
        mlflow.log_artifact(str(tmp_path / "heldout.npz"), "data")
    with pytest.raises(LookupError, match="no model artifact"):
        explain(compose("explain", [f"train_run={run.info.run_id}"]))


def test_out_of_range_neuron_is_refused_before_a_run_starts(harmonic):
    before = len(mlflow.search_runs(search_all_experiments=True))
    with pytest.raises(IndexError, match="1 neurons"):
        explain(compose("explain", [f"train_run={harmonic['run_id']}", "neurons=[3]"]))
    assert len(mlflow.search_runs(search_all_experiments=True)) == before


def test_dataset_without_ground_truth_skips_verification(mlflow_store, tmp_path):
    rng = np.random.default_rng(0)
    a = rng.uniform(-1, 1, (600, 2))
    r = np.linalg.norm(a, axis=1, keepdims=True)
    angle = rng.uniform(0, 2 * np.pi, (600, 1))
    p = r * np.hstack([np.cos(angle), np.sin(angle)])
    np.savez(tmp_path / "rot.npz", anchor=a, positive=p, negative=rng.uniform(-1, 1, (600, 2)))
    trained = train(compose("train", ["dataset=triplet_file", f"dataset.path={tmp_path / 'rot.npz'}",
                                      "trainer.max_epochs=2", "trainer.enable_progress_bar=false",
                                      "model.hidden=[16,16]"]))
    summary = explain(compose("explain", [f"train_run={trained['run_id']}", "explainer.n_samples=100",
                                          "searcher.timeout_in_seconds=3", "searcher.verbosity=0"]))
    run = mlflow.get_run(summary["run_id"])
    assert run.data.tags["latentlaw.verification"].startswith("skipped")
    assert "recovered" not in run.data.tags and summary["neurons"][0]["recovered"] is None


@pytest.mark.slow
def test_ctrl_c_marks_the_explain_run_killed_and_keeps_the_front(harmonic, mlflow_store, tmp_path):
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_store, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "explain.py"), f"train_run={harmonic['run_id']}",
                             "searcher.timeout_in_seconds=300", f"hydra.run.dir={tmp_path}"],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    lines = []
    for line in proc.stdout:  # wait until the search has made progress, then press Ctrl-C
        lines.append(line)
        if "iteration" in line or time.time() > deadline:
            break
    time.sleep(8)
    proc.send_signal(signal.SIGINT)
    out = "".join(lines) + proc.communicate(timeout=120)[0]
    assert proc.returncode != 0, out[-2000:]
    runs = mlflow.search_runs(filter_string=f"tags.`mlflow.parentRunId` = '{harmonic['run_id']}'",
                              search_all_experiments=True, order_by=["attributes.start_time DESC"],
                              max_results=1, output_format="list")
    killed = runs[0]
    assert killed.info.status == "KILLED", out[-2000:]
    files = {a.path for a in mlflow.artifacts.list_artifacts(run_id=killed.info.run_id)}
    assert "fronts" in files or "checkpoints" in files


def test_run_without_its_data_artifacts_is_refused(mlflow_store):
    with tracked_run("no-data", {"latentlaw.task": "train"}) as run:
        pass
    with pytest.raises(LookupError, match="no artifact 'data/dataset.json'"):
        explain(compose("explain", [f"train_run={run.info.run_id}"]))


def test_one_concept_searches_once_and_compares_nothing(harmonic):
    """explainer.n_concepts=1: one search, no span loss per k. (Last in the file: the
    recovery-table test reads the newest explain run.)"""
    result = explain(compose("explain", [f"train_run={harmonic['run_id']}", "explainer.n_concepts=1",
                                         "searcher.timeout_in_seconds=5", "searcher.verbosity=0"]))
    metrics = mlflow.get_run(result["run_id"]).data.metrics
    assert metrics["n_concepts.neuron_0"] == 1
    assert not any(name.startswith("span_loss_k") for name in metrics)
    assert result["neurons"][0]["concept_losses"] == ""


def test_a_row_of_two_concepts_is_verified_scored_and_logged(harmonic):
    """explainer.n_concepts=2 on two inputs: every pair of independent expressions spans the
    plane, so the row is found at once, and it must go through verification, the latent fit, the
    exports and the run's tables as a row of two laws (the harmonic network uses one law: the
    two-law row does not span the truth's one-dimensional gradient span exactly)."""
    result = explain(compose("explain", [f"train_run={harmonic['run_id']}", "explainer.n_concepts=2",
                                         "searcher.timeout_in_seconds=5", "searcher.verbosity=0"]))
    run = mlflow.get_run(result["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.metrics["n_concepts.neuron_0"] == 2 and run.data.metrics["n_concepts"] == 2
    row = result["neurons"][0]
    assert row["n_concepts"] == 2 and row["recovered"] is False
    assert len(row["equation"].split(" ; ")) == 2 and len(run.data.tags["equation"].split(" ; ")) == 2
    assert row["latent_alignment"] > 0.99  # the plane's two directions hold every gradient
    mlflow.set_experiment(experiment_id=run.info.experiment_id)
    front = mlflow.load_table("fronts/neuron_0.json", run_ids=[run.info.run_id])
    assert front["selected"].sum() == 1
