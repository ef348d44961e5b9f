"""The command lines of the README, run as a user runs them (subprocesses)."""

from __future__ import annotations

import os
import subprocess
import sys

import mlflow

from conftest import ROOT

TINY = ["trainer.max_epochs=2", "dataset.n_train=1000", "dataset.n_val=200", "dataset.n_test=300",
        "trainer.enable_progress_bar=false"]


def run_cli(script: str, args: list[str], store: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": store, "PYTHONUNBUFFERED": "1"}
    hydra_dirs = [f"hydra.run.dir={tmp_path}/run", f"hydra.sweep.dir={tmp_path}/multirun"]
    return subprocess.run([sys.executable, str(ROOT / script), *args, *hydra_dirs], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)


def test_multirun_makes_one_run_per_experiment(mlflow_store, tmp_path):
    proc = run_cli("train.py", ["-m", "experiment=paper/07_harmonic,paper/12_spacetime", "trainer=fast", *TINY],
                   mlflow_store, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("trained ") == 2
    mlflow.set_tracking_uri(mlflow_store)
    for experiment in ("paper/07_harmonic", "paper/12_spacetime"):
        runs = mlflow.search_runs(filter_string=f"tags.`latentlaw.experiment` = '{experiment}'",
                                  search_all_experiments=True)
        assert len(runs) >= 1 and set(runs["status"]) == {"FINISHED"}
        assert runs.iloc[0]["params.trainer.max_epochs"] == "2"


def test_unknown_dataset_is_named_with_the_choices(mlflow_store, tmp_path):
    proc = run_cli("train.py", ["dataset=no_such_data"], mlflow_store, tmp_path)
    assert proc.returncode != 0
    assert "no_such_data" in proc.stderr and "harmonic" in proc.stderr


def test_optuna_search_runs_trials_and_reports_the_best(mlflow_store, tmp_path):
    proc = run_cli("train.py", ["-m", "hparams_search=siamese_optuna", "experiment=paper/07_harmonic", *TINY,
                                "hydra.sweeper.n_trials=2", f"hydra.sweeper.storage=sqlite:///{tmp_path}/optuna.db"],
                   mlflow_store, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("trained ") == 2
    assert "trial 1:" in proc.stdout + proc.stderr
    import optuna

    study = optuna.load_study(study_name="siamese-harmonic", storage=f"sqlite:///{tmp_path}/optuna.db")
    assert len(study.trials) == 2 and study.best_value == max(t.value for t in study.trials)
    mlflow.set_tracking_uri(mlflow_store)
    best = mlflow.get_run(study.best_trial.user_attrs["mlflow_run_id"])
    assert best.info.run_name == f"trial-{study.best_trial.number:04d}"
    parent = mlflow.get_run(best.data.tags["mlflow.parentRunId"])
    assert parent.data.metrics["best_value"] == study.best_value
