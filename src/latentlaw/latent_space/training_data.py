"""The training rows of a logged run, rebuilt from its config and seed (memorisation needs them)."""

from __future__ import annotations

import numpy as np

from latentlaw.data.base import TableDataset
from latentlaw.tracking import record

SAFE_TARGETS = "latentlaw.data."  # a logged config may only name latentlaw's own data loaders


class TrainingDataError(ValueError):
    """The run's training data cannot be rebuilt; the message says why and what to do."""


def rebuild_training_data(run_id: str) -> TableDataset:
    """Re-run the run's dataset factory with its logged config and seed, and check the result against
    the held-out rows the run logged, so a changed data source cannot pass silently."""
    import mlflow
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from latentlaw.tasks.train import build_dataset
    from latentlaw.tracking.lookup import load_npz_artifact

    fix = "retrain it with train.py so the run records its config, or pick another run"
    try:
        text = mlflow.artifacts.load_text(f"runs:/{run_id}/{record.CONFIG_ARTIFACT}")
    except Exception as err:  # MLflow raises several types for a missing artifact
        raise TrainingDataError(f"run {run_id} has no {record.CONFIG_ARTIFACT}, so its training data cannot be "
                                f"rebuilt; {fix}.") from err
    try:
        cfg = OmegaConf.create(text)  # YAML parsed as data; nothing in it is run
    except (OmegaConfBaseException, ValueError) as err:
        raise TrainingDataError(f"run {run_id}: {record.CONFIG_ARTIFACT} is not a readable config ({err}); {fix}.") from err
    target = str(OmegaConf.select(cfg, "dataset._target_", default="") or "")
    if not target.startswith(SAFE_TARGETS) or OmegaConf.select(cfg, "seed") is None:
        raise TrainingDataError(f"run {run_id}: its config names no latentlaw dataset loader and seed "
                                f"(dataset._target_={target!r}), so its training data cannot be rebuilt; {fix}.")
    try:
        dataset = build_dataset(cfg)
    except Exception as err:  # a loader's own error (missing file, ...) says what is missing
        raise TrainingDataError(f"run {run_id}: rebuilding its training data with {target} failed: {err}") from err
    if not isinstance(dataset, TableDataset):
        raise TrainingDataError(f"run {run_id} trained on {dataset.kind}, not a table: the latent field needs an "
                                "autoencoder trained on rows (model=autoencoder).")
    heldout = load_npz_artifact(run_id, record.HELDOUT_ARTIFACT)["X"]
    test = dataset.test[:len(heldout)]
    if test.shape != heldout.shape or not np.allclose(test, heldout, atol=1e-5):
        raise TrainingDataError(f"run {run_id}: the data rebuilt from its config differ from the held-out rows it "
                                f"logged (the source behind {target} changed since training); restore that data or "
                                "retrain.")
    return dataset
