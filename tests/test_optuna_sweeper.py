"""latentlaw's Optuna sweeper: search spaces, pruning through Lightning, the study run, best:."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import mlflow
import numpy as np
import optuna
import pytest
import torch

from conftest import ROOT
from latentlaw.tracking import record, tracked_run
from latentlaw.tracking.lookup import RunNotFound, best_trial_run, get_training_run

TINY = ["trainer.max_epochs=6", "dataset.n_train=1000", "dataset.n_val=200", "dataset.n_test=300",
        "trainer.enable_progress_bar=false"]


def test_hydra_sweeps_become_optuna_distributions_without_deprecated_classes():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    from hydra_plugins.latentlaw_optuna.sweeper import search_space

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Optuna's deprecated distributions warn; ours must not
        space, fixed = search_space(["model.lr=tag(log, interval(1e-4, 1e-2))", "model.hidden=choice([64],[128,128])",
                                     "model.depth=range(1, 4)", "seed=int(interval(0, 9))", "trainer=fast"])
    assert space["model.lr"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert space["model.hidden"] == CategoricalDistribution(["[64]", "[128,128]"])
    assert space["model.depth"] == IntDistribution(1, 3)  # range's stop is exclusive
    assert space["seed"] == IntDistribution(0, 9)
    assert fixed == ["trainer=fast"]


def test_an_unsampleable_sweep_is_refused_by_name():
    from hydra_plugins.latentlaw_optuna.sweeper import search_space

    with pytest.raises(ValueError, match="glob"):
        search_space(["model=glob(*)"])


def _tiny_fit(trial, metric_value: float, epochs: int = 5):
    """A real Lightning fit whose validation metric is a constant we choose."""
    import pytorch_lightning as pl

    from latentlaw.tracking.pruning import PruneOnValidation

    class Tiny(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def training_step(self, batch, _):
            return (self.w * batch[0]).sum() ** 2

        def validation_step(self, batch, _):
            self.log("val_score", torch.tensor(metric_value))

        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=0.1)

    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 1)), batch_size=4)
    trainer = pl.Trainer(max_epochs=epochs, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[PruneOnValidation(trial, "val_score")])
    trainer.fit(Tiny(), loader, loader)
    return trainer


def test_a_poor_trial_is_pruned_and_its_run_says_so(mlflow_store):
    study = optuna.create_study(direction="maximize",
                                pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1))
    good = study.ask()
    with tracked_run("good"):
        trainer = _tiny_fit(good, 0.9)
    study.tell(good, 0.9)
    assert trainer.current_epoch == 5  # a good trial trains to the end

    poor = study.ask()
    with tracked_run("poor") as run:
        trainer = _tiny_fit(poor, 0.1)
    # warm-up epoch 0 is never pruned, so the trial stops after epoch 1
    assert trainer.current_epoch == 2
    assert poor.user_attrs["pruned_at_epoch"] == 1
    assert poor.user_attrs["mlflow_run_id"] == run.info.run_id
    tags = mlflow.get_run(run.info.run_id).data.tags
    assert tags[record.TRIAL_STATE] == record.TRIAL_PRUNED and tags[record.PRUNED_AT_EPOCH] == "1"


def test_an_unknown_pruning_metric_names_the_available_ones():
    study = optuna.create_study()
    with pytest.raises(KeyError, match="val_score"):
        from latentlaw.tracking.pruning import PruneOnValidation

        class Trainer:  # only what the callback reads
            sanity_checking = False
            callback_metrics = {"val_score": torch.tensor(1.0)}
            current_epoch = 0

        PruneOnValidation(study.ask(), "val_missing").on_validation_end(Trainer(), None)


def _study_with_trials(experiment: str, values: dict[str, float], best: str | None) -> dict[str, str]:
    ids = {}
    with tracked_run("study-x", {record.TASK: record.TASK_STUDY, record.EXPERIMENT: experiment,
                                 record.STUDY_METRIC: "spearman_abs", record.STUDY_DIRECTION: "maximize"}) as study:
        for name, value in values.items():
            state = record.TRIAL_PRUNED if name.endswith("pruned") else record.TRIAL_COMPLETE
            with tracked_run(name, {record.TASK: record.TASK_TRAIN, record.EXPERIMENT: experiment,
                                    record.TRIAL_STATE: state}, parent_run_id=study.info.run_id) as run:
                mlflow.log_metric("spearman_abs", value)
                ids[name] = run.info.run_id
        if best:
            mlflow.set_tag(record.BEST_TRIAL_RUN, ids[best])
    return ids


def test_best_picks_the_study_named_best_trial_else_the_best_unpruned_metric(mlflow_store):
    ids = _study_with_trials("test/best_a", {"trial-0000": 0.5, "trial-0001": 0.8, "trial-0002": 0.7}, "trial-0001")
    assert get_training_run("best:test/best_a").info.run_id == ids["trial-0001"]
    # a study that died before naming its best: the optimised metric decides, pruned trials never win
    ids = _study_with_trials("test/best_b", {"trial-0000": 0.6, "trial-0001-pruned": 0.99, "trial-0002": 0.4}, None)
    assert best_trial_run("test/best_b").info.run_id == ids["trial-0000"]
    with pytest.raises(RunNotFound, match="hparams_search=siamese_optuna"):
        get_training_run("best:test/no_such_experiment")


def _run_train(args: list[str], store: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": store, "PYTHONUNBUFFERED": "1",
           "PYTHONWARNINGS": "always::FutureWarning,always::DeprecationWarning"}
    dirs = [f"hydra.run.dir={tmp_path}/run", f"hydra.sweep.dir={tmp_path}/multirun"]
    return subprocess.run([sys.executable, str(ROOT / "train.py"), *args, *dirs], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=1200)


@pytest.mark.slow
def test_an_eight_trial_search_is_one_study_run_with_numbered_pruned_and_best_trials(mlflow_store, tmp_path):
    """The issue's check: the default siamese search space with its default pruner."""
    storage = f"sqlite:///{tmp_path}/optuna.db"
    proc = _run_train(["-m", "hparams_search=siamese_optuna", "experiment=paper/07_harmonic", *TINY,
                       "hydra.sweeper.n_trials=8", f"hydra.sweeper.storage={storage}"], mlflow_store, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert "FutureWarning" not in out and "ExperimentalWarning" not in out

    mlflow.set_tracking_uri(mlflow_store)
    studies = mlflow.search_runs(filter_string=record.search_filter({record.TASK: record.TASK_STUDY,
                                                                      record.EXPERIMENT: "paper/07_harmonic"}),
                                 order_by=["attributes.start_time DESC"], output_format="list",
                                 search_all_experiments=True)
    study_run = studies[0]
    assert study_run.info.status == "FINISHED"
    trials = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{study_run.info.run_id}'",
                                output_format="list", search_all_experiments=True)
    assert sorted(t.info.run_name for t in trials) == [f"trial-{i:04d}" for i in range(8)]
    assert {t.info.status for t in trials} == {"FINISHED"}
    states = [t.data.tags[record.TRIAL_STATE] for t in trials]
    assert states.count(record.TRIAL_PRUNED) >= 1, states

    study = optuna.load_study(study_name="siamese-harmonic", storage=storage)
    assert sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials) == states.count(record.TRIAL_PRUNED)
    assert study_run.data.metrics[record.BEST_VALUE_METRIC] == pytest.approx(study.best_value)
    assert study_run.data.params[f"{record.BEST_PARAM_PREFIX}model.activation"] == study.best_params["model.activation"]
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=study_run.info.run_id, artifact_path="plots")}
    assert artifacts == {record.STUDY_HISTORY_PLOT, record.STUDY_IMPORTANCE_PLOT}
    best = get_training_run("best:paper/07_harmonic")
    assert best.data.tags[record.TRIAL_STATE] == record.TRIAL_COMPLETE
    assert best.data.metrics["spearman_abs"] == pytest.approx(study.best_value)


@pytest.mark.slow
def test_a_parallel_study_prunes_and_finishes_in_worker_processes(mlflow_store, tmp_path):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    proc = _run_train(["-m", "hparams_search=siamese_optuna", "experiment=paper/07_harmonic", *TINY,
                       "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2",
                       "hydra.sweeper.n_trials=4", "hydra.sweeper.study_name=parallel",
                       "hydra.sweeper.pruner.n_startup_trials=1", "hydra.sweeper.pruner.n_warmup_steps=0",
                       f"hydra.sweeper.storage={storage}"], mlflow_store, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    study = optuna.load_study(study_name="parallel", storage=storage)
    assert len(study.trials) == 4
    assert all(t.state.is_finished() and t.state != optuna.trial.TrialState.FAIL for t in study.trials)
    mlflow.set_tracking_uri(mlflow_store)
    runs = {t.user_attrs["mlflow_run_id"] for t in study.trials}
    children = [mlflow.get_run(r) for r in runs]
    assert len({c.data.tags["mlflow.parentRunId"] for c in children}) == 1
    assert np.all([c.info.status == "FINISHED" for c in children])


@pytest.mark.slow
def test_a_two_job_joblib_sweep_trains_both(mlflow_store, tmp_path):
    proc = _run_train(["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "threads=1",
                       "experiment=paper/07_harmonic,paper/12_spacetime", "tracking.experiment_name=joblib-test",
                       *TINY], mlflow_store, tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Joblib" in proc.stdout + proc.stderr  # the joblib launcher, not the basic one, ran them
    mlflow.set_tracking_uri(mlflow_store)
    runs = mlflow.search_runs(experiment_names=["joblib-test"], output_format="list")
    assert sorted(r.data.tags[record.EXPERIMENT] for r in runs) == ["paper/07_harmonic", "paper/12_spacetime"]
    assert {r.info.status for r in runs} == {"FINISHED"}


class _Launcher:
    """Stands in for Hydra's launcher: each job 'returns' x**2 of its override x, or raises."""

    def __init__(self, interrupt: bool = False):
        self.interrupt = interrupt
        self.launched: list[tuple[str, ...]] = []

    def launch(self, job_overrides, initial_job_idx):
        from hydra.core.utils import JobReturn, JobStatus

        if self.interrupt:
            raise KeyboardInterrupt
        self.launched.extend(job_overrides)
        returns = []
        for overrides in job_overrides:
            x = float(next(o for o in overrides if o.startswith("x=")).split("=", 1)[1])
            ret = JobReturn()
            ret.status, ret.return_value = JobStatus.COMPLETED, x * x
            returns.append(ret)
        return returns


def _sweeper(**kw):
    from hydra_plugins.latentlaw_optuna.sweeper import LatentlawOptunaSweeper

    args = dict(direction="minimize", study_name=None, storage=None, n_trials=5, n_jobs=2, max_failure_rate=0.0,
                sampler=optuna.samplers.RandomSampler(seed=0), pruner=None, prune_on=None, params=None)
    return LatentlawOptunaSweeper(**{**args, **kw})


def test_trials_are_asked_launched_with_their_identity_and_told(mlflow_store):
    from hydra_plugins.latentlaw_optuna.sweeper import search_space

    from latentlaw.tracking.study import ENV_STUDY_RUN, ENV_TRIAL_ID

    sweeper = _sweeper()
    sweeper.launcher = _Launcher()
    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.RandomSampler(seed=0))
    space, fixed = search_space(["x=interval(-2, 2)", "trainer=fast"])
    with tracked_run("study-fake") as run:
        sweeper._run_trials(study, space, fixed, run.info.run_id)
    assert len(study.trials) == 5 and all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert study.best_value == pytest.approx(min(t.params["x"] ** 2 for t in study.trials))
    first = sweeper.launcher.launched[0]
    assert "trainer=fast" in first and f"+hydra.job.env_set.{ENV_STUDY_RUN}='{run.info.run_id}'" in first
    assert any(o.startswith(f"+hydra.job.env_set.{ENV_TRIAL_ID}=") for o in first)
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, record.BEST_VALUE_METRIC)
    assert history[-1].value == pytest.approx(study.best_value)


def test_ctrl_c_leaves_no_trial_running(mlflow_store):
    from hydra_plugins.latentlaw_optuna.sweeper import search_space

    sweeper = _sweeper()
    sweeper.launcher = _Launcher(interrupt=True)
    study = optuna.create_study()
    with pytest.raises(KeyboardInterrupt), tracked_run("study-interrupted") as run:
        sweeper._run_trials(study, search_space(["x=interval(-2, 2)"])[0], [], run.info.run_id)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 2
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"


def test_the_study_run_never_shows_a_storage_password():
    from hydra_plugins.latentlaw_optuna.sweeper import _without_password

    assert _without_password("postgresql://bob:s3c@r@127.0.0.1:5432/optuna") == "postgresql://bob:***@127.0.0.1:5432/optuna"
    assert _without_password("postgresql://bob@127.0.0.1/optuna") == "postgresql://bob@127.0.0.1/optuna"
    assert _without_password("sqlite:////tmp/optuna.db") == "sqlite:////tmp/optuna.db"
