"""Optuna trials inside latentlaw runs: which trial a training job is, pruning on Lightning's
validation metric, and what the study's parent run shows.

The sweeper (``hydra_plugins.latentlaw_optuna``) asks Optuna for a trial and launches a job;
the job finds its trial through :func:`current_trial`. The trial's identity travels as
environment variables that Hydra sets for the job's duration (``hydra.job.env_set``), so it
reaches jobs in this process (basic launcher) and in worker processes (joblib) alike. In this
process the live ``Trial`` is used (in-memory studies work); elsewhere it is reloaded from the
study's storage.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import mlflow

from latentlaw.tracking import record

ENV_TRIAL_ID = "LATENTLAW_OPTUNA_TRIAL_ID"
ENV_STUDY_RUN = "LATENTLAW_OPTUNA_STUDY_RUN"
ENV_PRUNE_ON = "LATENTLAW_OPTUNA_PRUNE_ON"

RUN_ID_ATTR = "mlflow_run_id"  # trial user attribute: the trial's MLflow run
PRUNED_ATTR = "pruned_at_epoch"  # trial user attribute set when the pruner stopped training

_LIVE: dict[int, Any] = {}  # trial id -> live optuna Trial, for jobs run in this process


@dataclass
class TrialContext:
    """The Optuna trial a training job runs as, and the study run it nests under."""

    trial: Any  # optuna.trial.Trial
    study_run_id: str
    prune_on: str | None

    @property
    def run_name(self) -> str:
        return trial_run_name(self.trial.number)

    @property
    def tags(self) -> dict[str, str]:
        return {record.TRIAL_NUMBER: str(self.trial.number), record.STUDY_NAME: self.trial.study.study_name}

    def callbacks(self) -> list[Any]:
        from latentlaw.tracking.pruning import PruneOnValidation, RecordTrialRun

        return [PruneOnValidation(self.trial, self.prune_on)] if self.prune_on else [RecordTrialRun(self.trial)]


def trial_run_name(number: int) -> str:
    return f"trial-{number:04d}"


def trial_env(trial: Any, study_run_id: str, prune_on: str | None) -> dict[str, str]:
    """What a job needs to find its trial; registers the live trial for in-process jobs."""
    _LIVE[trial._trial_id] = trial
    return {ENV_TRIAL_ID: str(trial._trial_id), ENV_STUDY_RUN: study_run_id, ENV_PRUNE_ON: prune_on or ""}


def forget(trial: Any) -> None:
    _LIVE.pop(trial._trial_id, None)


def current_trial() -> TrialContext | None:
    """The trial this job runs as, or None outside an Optuna sweep by latentlaw's sweeper."""
    trial_id = os.environ.get(ENV_TRIAL_ID)
    if not trial_id:
        return None
    trial = _LIVE.get(int(trial_id))
    if trial is None:
        trial = _reload_trial(int(trial_id))
    return TrialContext(trial, os.environ[ENV_STUDY_RUN], os.environ.get(ENV_PRUNE_ON) or None)


def _reload_trial(trial_id: int) -> Any:
    """A trial in another process: the study from its storage, with the sweep's own pruner."""
    import optuna
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import instantiate

    sweeper = HydraConfig.get().sweeper
    if not sweeper.get("storage"):
        raise RuntimeError("this trial runs in a worker process but the study has no storage; set "
                           "hydra.sweeper.storage (e.g. sqlite:///mlruns/optuna.db) or use hydra/launcher=basic.")
    pruner = instantiate(sweeper.pruner) if sweeper.get("pruner") else None
    study = optuna.load_study(study_name=sweeper.study_name, storage=sweeper.storage, pruner=pruner)
    return optuna.trial.Trial(study, trial_id)


def trial_callbacks() -> list[Any]:
    """Lightning callbacks for the current trial (pruning), none outside a sweep."""
    context = current_trial()
    return context.callbacks() if context else []


# --- the study's parent run -------------------------------------------------------------------

def history_figure(study: Any) -> Any:
    """Each complete trial's value by number, the best so far, and pruned trials as crosses at
    the bottom (their last reported value is the pruning metric, not the objective)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    from optuna.trial import TrialState

    fig, ax = plt.subplots(figsize=(7, 4))
    done = [t for t in study.trials if t.state == TrialState.COMPLETE]
    pruned = [t.number for t in study.trials if t.state == TrialState.PRUNED]
    ax.plot([t.number for t in done], [t.value for t in done], "o", color="tab:blue", label="complete")
    if pruned:
        ax.plot(pruned, [0.03] * len(pruned), "x", color="tab:gray", transform=ax.get_xaxis_transform(),
                label="pruned")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if done:
        better = min if study.direction.name == "MINIMIZE" else max
        best, running = [], None
        for t in done:
            running = t.value if running is None else better(running, t.value)
            best.append(running)
        ax.step([t.number for t in done], best, where="post", color="tab:red", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel("objective")
    ax.set_title(f"study {study.study_name} ({study.direction.name.lower()})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def importance_figure(importances: dict[str, float]) -> Any:
    """fANOVA importances as horizontal bars, most important on top."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(importances)[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
    ax.barh(names, [importances[n] for n in names], color="tab:blue")
    ax.set_xlabel("importance (fANOVA)")
    fig.tight_layout()
    return fig


def log_study_summary(study: Any) -> None:
    """Trials table, best parameters and the two figures into the active (study) run."""
    import optuna
    from optuna.trial import TrialState

    from latentlaw.tracking.runs import log_figure, log_json

    trials = study.trials
    mlflow.log_table({
        "number": [t.number for t in trials],
        "state": [t.state.name.lower() for t in trials],
        "value": [t.value for t in trials],
        "params": [str(t.params) for t in trials],
        "run_id": [t.user_attrs.get(RUN_ID_ATTR, "") for t in trials],
    }, record.STUDY_TRIALS_TABLE)
    mlflow.log_metric(record.N_PRUNED_METRIC, sum(t.state == TrialState.PRUNED for t in trials))
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    log_figure(history_figure(study), record.STUDY_HISTORY_PLOT)
    if not complete:
        return
    best = study.best_trial
    log_json({"number": best.number, "value": best.value, "params": best.params,
              "run_id": best.user_attrs.get(RUN_ID_ATTR)}, record.BEST_PARAMS_ARTIFACT)
    mlflow.log_params({f"{record.BEST_PARAM_PREFIX}{k}": v for k, v in best.params.items()})
    if len(complete) >= 2 and study.best_trial.distributions:
        try:
            importances = optuna.importance.get_param_importances(study)
        except (RuntimeError, ValueError):  # e.g. every complete trial has the same parameters
            return
        log_figure(importance_figure(importances), record.STUDY_IMPORTANCE_PLOT)


def trial_run_options(run_name: str, tags: dict[str, str]) -> tuple[str, dict[str, str], str | None]:
    """(run name, tags, parent run id) for a training run: in a sweep, ``trial-0007`` under the study."""
    context = current_trial()
    if context is None:
        return run_name, tags, None
    return context.run_name, {**tags, **context.tags}, context.study_run_id
