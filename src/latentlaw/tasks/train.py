"""The training task: dataset + model from config, Lightning fit, everything into MLflow."""

from __future__ import annotations

import logging
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig

from latentlaw.config import build
from latentlaw.data.base import DataError, TableDataset, TripletDataset

log = logging.getLogger(__name__)

from latentlaw.tracking import record
from latentlaw.tracking.record import DATASET_ARTIFACT, HELDOUT_ARTIFACT  # noqa: F401  (re-exported)


class _DropAdvert(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "litlogger" not in record.getMessage()


def quiet_lightning() -> None:
    """Silence two lines Lightning prints on every run that no user of ours can act on: an
    advert for a cloud logger, and a deprecation inside Lightning's own use of torch's pytree."""
    lightning_log = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    if not any(isinstance(f, _DropAdvert) for f in lightning_log.filters):
        lightning_log.addFilter(_DropAdvert())
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*", category=FutureWarning)


def _integer(value: Any, key: str, minimum: int, allowed: tuple[int, ...] = ()) -> int:
    """``value`` as an int >= ``minimum`` (or one of ``allowed``), else a ValueError naming ``key`` and the fix."""
    ok = isinstance(value, int) and not isinstance(value, bool) and (value >= minimum or value in allowed)
    if not ok:
        also = "".join(f" (or {a})" for a in allowed)
        raise ValueError(f"{key} must be an integer >= {minimum}{also}, got {value!r}; e.g. {key}={max(minimum, 1)}.")
    return int(value)


def check_settings(cfg: DictConfig) -> None:
    """The run-level numbers, checked before any data is made or run created (a text seed or a
    zero batch size would otherwise fail deep inside Lightning, after the run exists)."""
    from omegaconf import OmegaConf

    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ValueError(f"missing mandatory value(s) {missing}; set them on the command line, e.g. "
                         f"{missing[0]}=<value> (dataset.path=/path/to/file for dataset=triplet_file/table_file).")
    _integer(cfg.get("seed"), "seed", 0)
    _integer(cfg.get("threads"), "threads", 1)
    _integer(cfg.loader.get("batch_size"), "loader.batch_size", 1)
    _integer(cfg.trainer.get("max_epochs"), "trainer.max_epochs", 1, allowed=(-1,))
    _integer(cfg.tracking.get("checkpoint_every_n_epochs", 1), "tracking.checkpoint_every_n_epochs", 1)


def build_dataset(cfg: DictConfig) -> TripletDataset | TableDataset:
    """Instantiate ``cfg.dataset`` with the run's seed; loaders raise DataError on bad input."""
    if "_target_" not in cfg.dataset:
        raise DataError("the dataset config has no _target_; pick one with dataset=<name> (see conf/dataset/).")
    dataset = build(cfg.dataset, seed=cfg.seed)
    if not isinstance(dataset, (TripletDataset, TableDataset)):
        raise DataError(f"{cfg.dataset._target_} returned {type(dataset).__name__}, not a TripletDataset or TableDataset.")
    return dataset


def build_model(model_cfg: DictConfig, dataset: TripletDataset | TableDataset) -> Any:
    """Instantiate the model, inferring ``in_features`` and refusing a model/data mismatch."""
    from hydra.utils import get_class

    cls = get_class(model_cfg._target_)
    wanted = getattr(cls, "data_kind", None)
    if wanted is not None and wanted != dataset.kind:
        hint = "model=siamese" if dataset.kind == "triplets" else "model=autoencoder"
        raise ValueError(
            f"{cls.__name__} trains on {wanted} data but dataset {dataset.name!r} is {dataset.kind}; use {hint}."
        )
    declared = model_cfg.get("in_features")
    if declared is not None and int(declared) != dataset.n_features:
        raise ValueError(
            f"model.in_features={declared} but dataset {dataset.name!r} has {dataset.n_features} inputs "
            f"{dataset.variables[:8]}{'...' if dataset.n_features > 8 else ''}; set model.in_features=null to infer it."
        )
    return build(model_cfg, in_features=dataset.n_features)


def dataset_record(dataset: TripletDataset | TableDataset) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "kind": dataset.kind,
        "variables": list(dataset.variables),
        "ground_truth": list(dataset.ground_truth),
        "generators": list(getattr(dataset, "generators", [])),  # how synthetic columns were made; not a law
        "description": dataset.description,
        "synthetic": bool(dataset.synthetic),
        "sizes": {split: int(len(getattr(dataset, split))) for split in ("train", "val", "test")},
    }


def log_heldout(dataset: TripletDataset | TableDataset, max_rows: int) -> None:
    """Held-out inputs go into the run so explainers need nothing but the run id."""
    import mlflow

    X = dataset.heldout_inputs()[:max_rows]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(HELDOUT_ARTIFACT).name
        np.savez_compressed(path, X=X, variables=np.array(dataset.variables))
        mlflow.log_artifact(str(path), artifact_path=str(Path(HELDOUT_ARTIFACT).parent))


def run_tags(cfg: DictConfig, dataset: TripletDataset | TableDataset, model: Any, experiment: str | None) -> dict[str, str]:
    from latentlaw.tracking.runs import git_commit

    tags = {
        record.TASK: record.TASK_TRAIN,
        record.EXPERIMENT: experiment or "",
        record.DATASET: dataset.name,
        record.DATA_KIND: dataset.kind,
        record.MODEL: type(model).__name__,
        record.LATENT_SIZE: str(model.hparams.latent_size),
        record.SEED: str(cfg.seed),
        record.SYNTHETIC: str(bool(dataset.synthetic)).lower(),
        record.GROUND_TRUTH: record.TRUTH_SEPARATOR.join(dataset.ground_truth),
    }
    commit = git_commit(cfg.paths.root_dir)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    return tags


def training_callbacks(cfg: DictConfig) -> list[Any]:
    """The Lightning callbacks of a training run; append new ones here."""
    from latentlaw.tracking.callbacks import MlflowEpochMetrics
    from latentlaw.tracking.checkpoints import RunCheckpoint

    return [
        MlflowEpochMetrics(),
        RunCheckpoint(int(cfg.tracking.get("checkpoint_every_n_epochs", 5))),
    ]


def prepare_resume(cfg: DictConfig) -> tuple[DictConfig, Any]:
    """``resume=<run id>``: that run's logged config, and the run (checked to be resumable)."""
    from latentlaw.tracking.resume import logged_config, resumable_run

    run = resumable_run(str(cfg.resume), record.TASK_TRAIN)
    return logged_config(run.info.run_id, cfg), run


def train(cfg: DictConfig, experiment: str | None = None) -> dict[str, float]:
    """Train one model as ``cfg`` says and return its metrics (incl. the optimised one).

    With ``cfg.resume`` set to a killed or failed training run's id, that run is reopened with
    its own logged config and continues from its last checkpoint (tracking.checkpoints).
    """
    import mlflow
    import pytorch_lightning as pl
    import torch
    from latentlaw.data.datamodule import LatentDataModule
    from latentlaw.latent_space.siamese import invariant_agreement, latent_vs_truth_figure
    from latentlaw.tracking import configure_tracking, log_config, log_json, log_model, tracked_run
    from latentlaw.tracking.checkpoints import download_train_checkpoint
    from latentlaw.tracking.runs import log_figure

    resumed = None
    if cfg.get("resume"):
        configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name,
                           stale_after_seconds=cfg.tracking.get("stale_after_seconds"))
        cfg, resumed = prepare_resume(cfg)
        experiment = resumed.data.tags.get(record.EXPERIMENT) or None
    check_settings(cfg)
    torch.set_num_threads(int(cfg.threads))
    quiet_lightning()
    pl.seed_everything(int(cfg.seed), workers=True, verbose=False)
    started = time.perf_counter()
    dataset = build_dataset(cfg)
    data_seconds = time.perf_counter() - started
    model = build_model(cfg.model, dataset)
    from latentlaw.latent_space.callback import latent_field_callbacks
    from latentlaw.tracking.study import trial_callbacks, trial_run_options  # Optuna trials nest under their study
    from latentlaw.tracking.ui import describe_training

    # trial_callbacks: Optuna pruning; latent_field_callbacks: [] unless latent_field_every > 0
    callbacks = [*training_callbacks(cfg), *trial_callbacks(), *latent_field_callbacks(cfg, dataset, model)]
    trainer: pl.Trainer = build(cfg.trainer, callbacks=callbacks, logger=False, enable_checkpointing=False)
    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name,
                       stale_after_seconds=cfg.tracking.get("stale_after_seconds"))

    run_name = cfg.tracking.get("run_name") or f"{experiment or dataset.name}-{type(model).__name__}-seed{cfg.seed}"
    run_name, tags, study_run = trial_run_options(run_name, run_tags(cfg, dataset, model, experiment))
    with tracked_run(run_name, tags, parent_run_id=study_run, run_id=resumed.info.run_id if resumed else None) as run, \
            tempfile.TemporaryDirectory() as tmp:
        log.info("MLflow run %s (%s)%s", run.info.run_id, run_name, " resumed" if resumed else "")
        if resumed is None:
            log_config(cfg)  # a resumed run has it already (params cannot be logged twice)
        log_json(dataset_record(dataset), DATASET_ARTIFACT)
        log_heldout(dataset, int(cfg.tracking.max_heldout_rows))
        ckpt_path = download_train_checkpoint(resumed, tmp) if resumed else None
        if resumed:
            print(f"resuming run {run.info.run_id} from "
                  f"{'epoch ' + resumed.data.tags[record.TRAIN_CHECKPOINT_EPOCH] if ckpt_path else 'the start (no checkpoint)'}")
        datamodule = LatentDataModule(dataset, batch_size=int(cfg.loader.batch_size), seed=int(cfg.seed))
        fit_started = time.perf_counter()
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)
        fit_seconds = time.perf_counter() - fit_started
        if trainer.interrupted:
            raise KeyboardInterrupt("training interrupted")
        tested = trainer.test(model, datamodule=datamodule, verbose=False)[0]
        n_seen = len(dataset.train) * max(int(trainer.current_epoch), 1)
        metrics: dict[str, float] = {
            **{k: float(v) for k, v in tested.items()},
            "data_seconds": data_seconds,
            "fit_seconds": fit_seconds,
            "train_samples_per_second": n_seen / max(fit_seconds, 1e-9),
            "epochs": float(trainer.current_epoch),
        }
        if isinstance(dataset, TripletDataset) and dataset.ground_truth:
            agreement, detail = invariant_agreement(model, dataset)
            metrics.update(agreement)
            log_figure(latent_vs_truth_figure(dataset, detail), record.LATENT_PLOT)
        mlflow.log_metrics(metrics)
        describe_training(dataset, model, metrics, int(cfg.tracking.max_heldout_rows))  # UI: description, dataset
        log_model(model)
        metrics["run_id"] = run.info.run_id  # type: ignore[assignment]
    return metrics


def optimized_metric(cfg: DictConfig, metrics: dict[str, float]) -> float:
    """The number a sweep optimises: cfg.optimized_metric, else spearman_abs, else test_loss."""
    name = cfg.get("optimized_metric") or ("spearman_abs" if "spearman_abs" in metrics else "test_loss")
    if name not in metrics:
        raise KeyError(f"optimized_metric {name!r} was not computed; available: {sorted(k for k in metrics if k != 'run_id')}.")
    return float(metrics[name])


def describe(metrics: dict[str, float]) -> str:
    keys = [k for k in ("spearman_abs", "test_loss", "test_triplet_accuracy", "fit_seconds") if k in metrics]
    return ", ".join(f"{k}={metrics[k]:.4g}" for k in keys)
