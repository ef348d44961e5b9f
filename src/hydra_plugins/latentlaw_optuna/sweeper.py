"""A Hydra sweeper on Optuna's ask-and-tell API, with each study an MLflow parent run.

Written here because no maintained Hydra sweeper supports a current Optuna: hydra-optuna-sweeper
1.3 pins ``optuna<3`` (and its deprecated distributions warn on every trial). This one asks Optuna
for trials, launches them through whichever Hydra launcher is configured (basic, joblib), tells
Optuna their results, and logs the study to MLflow: a parent run (tag ``latentlaw.task=study``)
whose children are the trials' training runs, named ``trial-0007``, with the best value and
parameters, the optimisation history and parameter importances. Trials are pruned through the
Lightning validation metric named by ``prune_on`` (latentlaw.tracking.pruning).

Hydra imports this module on every run to discover plugins, so Optuna and MLflow are imported
only when a sweep starts. No ``from __future__ import annotations``: Hydra's plugin scan executes
this module outside ``sys.modules``, where dataclasses cannot resolve string annotations.
"""

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from hydra.core.config_store import ConfigStore
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)


@dataclass
class LatentlawOptunaSweeperConf:
    _target_: str = "hydra_plugins.latentlaw_optuna.sweeper.LatentlawOptunaSweeper"
    direction: str = "minimize"  # or maximize: what the task function's return value should do
    study_name: Optional[str] = None  # None: Optuna picks one
    storage: Optional[str] = None  # e.g. sqlite:///mlruns/optuna.db; None: in memory (basic launcher only)
    n_trials: int = 20
    n_jobs: int = 1  # trials asked for and launched together (match the launcher's n_jobs)
    max_failure_rate: float = 0.0  # fraction of failed trials in a batch before the sweep stops
    sampler: Any = field(default_factory=lambda: {"_target_": "optuna.samplers.TPESampler"})
    pruner: Any = None  # e.g. {_target_: optuna.pruners.MedianPruner, n_startup_trials: 3}
    prune_on: Optional[str] = None  # the Lightning metric reported each validation epoch
    params: Dict[str, str] = field(default_factory=dict)  # key: Hydra sweep syntax


ConfigStore.instance().store(group="hydra/sweeper", name="latentlaw_optuna", node=LatentlawOptunaSweeperConf,
                             provider="latentlaw")


def search_space(arguments: List[str]) -> Tuple[Dict[str, Any], List[str]]:
    """Hydra overrides -> (Optuna distributions by key, fixed overrides as given).

    ``choice(a, b)`` is categorical, ``interval(lo, hi)`` uniform (``tag(log, interval(...))`` log;
    ``int(interval(...))`` integer),
    ``range(lo, hi, step)`` integer (float bounds: a stepped float); anything else is fixed.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import Glob, Transformer
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    distributions: Dict[str, Any] = {}
    fixed: List[str] = []
    for override in OverridesParser.create().parse_overrides(arguments):
        if not override.is_sweep_override():
            fixed.append(override.input_line)
            continue
        key, value = override.get_key_element(), override.value()
        if isinstance(value, Glob):
            raise ValueError(f"hydra.sweeper.params: {override.input_line!r}: glob() needs the config groups; "
                             "list the options with choice(...) instead.")
        if override.is_choice_sweep() or (override.is_range_sweep() and value.shuffle):
            distributions[key] = CategoricalDistribution(list(override.sweep_iterator(transformer=Transformer.encode)))
        elif override.is_range_sweep():
            if any(isinstance(v, float) for v in (value.start, value.stop, value.step)):
                # range's stop is exclusive, FloatDistribution's high inclusive
                distributions[key] = FloatDistribution(value.start, value.stop - value.step, step=value.step)
            else:
                distributions[key] = IntDistribution(int(value.start), int(value.stop) - 1, step=int(value.step))
        elif override.is_interval_sweep():
            log_scale = "log" in value.tags
            if isinstance(value.start, int) and isinstance(value.end, int):
                distributions[key] = IntDistribution(value.start, value.end, log=log_scale)
            else:
                distributions[key] = FloatDistribution(float(value.start), float(value.end), log=log_scale)
        else:
            raise ValueError(f"hydra.sweeper.params: {override.input_line!r} is not a sweep Optuna can sample; "
                             "use choice(...), range(...), interval(...) or tag(log, interval(...)).")
    return distributions, fixed


def _without_password(url: str) -> str:
    """A storage URL fit for a tag: ``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    import re

    return re.sub(r"(//[^:/@]+:)[^/]*@", r"\1***@", url)  # greedy: a password may hold "@"


def _instance(spec: Any) -> Any:
    """Hydra instantiates the sweeper's config recursively, so a sampler may come as an object."""
    from hydra.utils import instantiate

    if spec is None or not isinstance(spec, (dict, DictConfig)):
        return spec
    return instantiate(spec)


class LatentlawOptunaSweeper(Sweeper):
    """Ask-and-tell Optuna sweeps; see the module docstring."""

    def __init__(self, direction: str, study_name: Optional[str], storage: Optional[str], n_trials: int, n_jobs: int,
                 max_failure_rate: float, sampler: Any, pruner: Any, prune_on: Optional[str],
                 params: Optional[DictConfig]) -> None:
        if direction not in ("minimize", "maximize"):
            raise ValueError(f"hydra.sweeper.direction={direction!r}: use minimize or maximize.")
        if int(n_trials) < 1 or int(n_jobs) < 1:
            raise ValueError("hydra.sweeper.n_trials and hydra.sweeper.n_jobs must be at least 1.")
        self.direction = direction
        self.study_name = study_name
        self.storage = storage
        self.n_trials = int(n_trials)
        self.n_jobs = int(n_jobs)
        self.max_failure_rate = float(max_failure_rate)
        self.sampler_cfg = sampler
        self.pruner_cfg = pruner
        self.prune_on = prune_on
        self.params = {str(k): str(v) for k, v in (params or {}).items()}
        self.config: Optional[DictConfig] = None
        self.launcher: Any = None
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        self.config = config
        self.hydra_context = hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(config=config, hydra_context=hydra_context,
                                                                task_function=task_function)
        launcher = str(config.hydra.launcher.get("_target_", ""))
        if self.storage is None and "BasicLauncher" not in launcher:
            raise ValueError(f"hydra.sweeper.storage is null, but the launcher ({launcher}) runs trials in other "
                             "processes, which cannot reach an in-memory study; set hydra.sweeper.storage="
                             "sqlite:///mlruns/optuna.db or use hydra/launcher=basic.")

    def sweep(self, arguments: List[str]) -> None:
        import optuna

        from latentlaw.tracking import configure_tracking, record, tracked_run

        assert self.config is not None and self.launcher is not None
        distributions, fixed = search_space([f"{k}={v}" for k, v in self.params.items()] + list(arguments))
        if not distributions:
            raise ValueError("nothing to search: give hydra.sweeper.params (see conf/hparams_search/) "
                             "or sweep overrides such as model.lr='tag(log, interval(1e-4, 1e-2))'.")
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # we log each trial ourselves
        study = optuna.create_study(
            study_name=self.study_name, storage=self.storage, direction=self.direction, load_if_exists=True,
            sampler=_instance(self.sampler_cfg), pruner=_instance(self.pruner_cfg) or optuna.pruners.NopPruner())

        cfg = self.config
        configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
        experiment = cfg.hydra.runtime.choices.get("experiment") or ""
        tags = {record.TASK: record.TASK_STUDY, record.EXPERIMENT: experiment,
                record.STUDY_NAME: study.study_name, record.STUDY_STORAGE: _without_password(self.storage or ""),
                record.STUDY_DIRECTION: self.direction, record.STUDY_METRIC: str(cfg.get("optimized_metric") or "")}
        if "dataset" in cfg and "name" in cfg.dataset:
            tags[record.DATASET] = str(cfg.dataset.name)
        log.info("Optuna study %s (%s, %d trials) in %s", study.study_name, self.direction, self.n_trials,
                 self.storage or "memory")
        with tracked_run(f"study-{study.study_name}", tags) as run:
            import mlflow

            mlflow.log_params({"n_trials": self.n_trials, "n_jobs": self.n_jobs, "prune_on": self.prune_on,
                               "sampler": type(study.sampler).__name__, "pruner": type(study.pruner).__name__,
                               **{f"space.{k}": str(d) for k, d in distributions.items()}})
            try:
                self._run_trials(study, distributions, fixed, run.info.run_id)
            finally:
                from latentlaw.tracking.study import log_study_summary

                log_study_summary(study)
        self._write_results(study)

    def _run_trials(self, study: Any, distributions: Dict[str, Any], fixed: List[str], study_run_id: str) -> None:
        import optuna

        from latentlaw.tracking.study import forget, trial_env

        remaining = self.n_trials
        while remaining > 0:
            batch = [study.ask(distributions) for _ in range(min(self.n_jobs, remaining))]
            overrides = []
            for trial in batch:
                env = trial_env(trial, study_run_id, self.prune_on)
                overrides.append(tuple(fixed) + tuple(f"{k}={v}" for k, v in trial.params.items())
                                 + tuple(f"+hydra.job.env_set.{k}='{v}'" for k, v in env.items()))
            try:
                returns = self.launcher.launch(overrides, initial_job_idx=self.job_idx)
            except BaseException:  # Ctrl-C or a launcher error: no trial stays RUNNING in the study
                for trial in batch:
                    study.tell(trial, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)
                raise
            finally:
                for trial in batch:
                    forget(trial)
            self.job_idx += len(returns)
            # user attributes read back from storage: the jobs may have run in other processes
            frozen = {t.number: t for t in study.get_trials(deepcopy=False)}
            failures = [self._tell(study, trial, frozen[trial.number].user_attrs, ret)
                        for trial, ret in zip(batch, returns)]
            failed = [f for f in failures if f is not None]
            if failed and len(failed) / len(batch) > self.max_failure_rate:
                raise RuntimeError(f"{len(failed)} of {len(batch)} trials failed (max_failure_rate="
                                   f"{self.max_failure_rate}); first: {failed[0]}") from failed[0]
            remaining -= len(batch)

    def _tell(self, study: Any, trial: Any, attrs: Dict[str, Any], ret: Any) -> Optional[BaseException]:
        """Tell Optuna (and the trial's run) how the trial ended; returns its error if it failed."""
        import mlflow
        from optuna.trial import TrialState

        from latentlaw.tracking import record
        from latentlaw.tracking.study import PRUNED_ATTR, RUN_ID_ATTR

        run_id = attrs.get(RUN_ID_ATTR)
        error: Optional[BaseException] = None
        try:
            value = float(ret.return_value)
        except Exception as err:  # the job's own exception, re-raised by JobReturn
            error = err
        if error is not None:
            study.tell(trial, state=TrialState.FAIL)
            state = record.TRIAL_FAILED
            log.warning("trial %d failed: %s", trial.number, error)
        elif PRUNED_ATTR in attrs:
            study.tell(trial, state=TrialState.PRUNED)
            state = record.TRIAL_PRUNED
            log.info("trial %d pruned at epoch %s", trial.number, attrs[PRUNED_ATTR])
        else:
            study.tell(trial, value)
            state = record.TRIAL_COMPLETE
            log.info("trial %d: %s = %.6g %s", trial.number, self.direction[:3], value, trial.params)
            mlflow.log_metric(record.TRIAL_VALUE_METRIC, value, step=trial.number)
        if run_id:
            mlflow.MlflowClient().set_tag(run_id, record.TRIAL_STATE, state)
        if any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
            best = study.best_trial
            mlflow.log_metric(record.BEST_VALUE_METRIC, best.value, step=trial.number)
            if best.user_attrs.get(RUN_ID_ATTR):
                mlflow.set_tag(record.BEST_TRIAL_RUN, best.user_attrs[RUN_ID_ATTR])
        return error

    def _write_results(self, study: Any) -> None:
        """optimization_results.yaml in the sweep folder, as Hydra's Optuna sweeper wrote it."""
        from optuna.trial import TrialState

        assert self.config is not None
        if not any(t.state == TrialState.COMPLETE for t in study.trials):
            return
        out = Path(self.config.hydra.sweep.dir)
        out.mkdir(parents=True, exist_ok=True)
        best = study.best_trial
        OmegaConf.save(OmegaConf.create({"name": "optuna", "study_name": study.study_name,
                                         "best_params": best.params, "best_value": best.value}),
                       out / "optimization_results.yaml")
