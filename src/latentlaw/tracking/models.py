"""Models saved to and loaded from a run: the run id alone is enough to get one back."""

from __future__ import annotations

import importlib
import tempfile
from pathlib import Path

import mlflow
import torch
from mlflow.exceptions import MlflowException

from latentlaw.tracking.record import MODEL_ARTIFACT, MODEL_CLASS


def log_model(model: torch.nn.Module) -> None:
    """Class path + hyper-parameters + weights, so loading needs neither config nor code state."""
    payload = {
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "hparams": dict(getattr(model, "hparams", {})),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(MODEL_ARTIFACT).name
        torch.save(payload, path)
        mlflow.log_artifact(str(path), artifact_path=str(Path(MODEL_ARTIFACT).parent))
    mlflow.set_tag(MODEL_CLASS, payload["class"])


def load_model(run_id: str) -> torch.nn.Module:
    """The trained model of ``run_id`` in eval mode on the CPU."""
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=MODEL_ARTIFACT)
    except (MlflowException, OSError) as err:
        raise LookupError(
            f"run {run_id} has no model artifact {MODEL_ARTIFACT!r}; explain a training run "
            "(task=train) that finished, e.g. train_run=latest."
        ) from err
    payload = torch.load(path, map_location="cpu", weights_only=False)
    module_name, _, class_name = payload["class"].rpartition(".")
    cls = getattr(importlib.import_module(module_name), class_name)
    model = cls(**payload["hparams"])
    model.load_state_dict(payload["state_dict"])
    return model.eval()
