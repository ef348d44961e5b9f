"""Where runs go: the embedded sqlite store under mlruns/, or whatever the user points at."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_EXPERIMENT = "latentlaw"


def resolve_tracking_uri(uri: str | None, root: str | Path) -> str:
    """Config value first, then $MLFLOW_TRACKING_URI, then sqlite:///<root>/mlruns/mlflow.db.

    MLflow 3.17 refuses a plain ./mlruns file store, so the embedded default is sqlite.
    """
    if uri:
        return str(uri)
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    db = Path(root).resolve() / "mlruns" / "mlflow.db"
    return f"sqlite:///{db}"


def artifact_root_for(uri: str) -> str | None:
    """Artifacts of a local sqlite store live beside the database; a server decides its own."""
    if not uri.startswith("sqlite:///"):
        return None
    db_path = Path(uri[len("sqlite:///"):])  # sqlite:///rel.db or sqlite:////abs.db
    return (db_path.resolve().parent / "artifacts").as_uri()


def configure_tracking(uri: str | None, root: str | Path, experiment_name: str = DEFAULT_EXPERIMENT,
                       artifact_root: str | None = None) -> str:
    """Point MLflow at the store and make ``experiment_name`` active; returns its id."""
    import mlflow

    from latentlaw.tracking.ui import mark_model_training

    resolved = resolve_tracking_uri(uri, root)
    if resolved.startswith("sqlite:///"):
        db_file = Path(resolved[len("sqlite:///"):])
        db_file.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(resolved)
    experiment = mlflow.get_experiment_by_name(experiment_name)
    if experiment is None:
        location = artifact_root or artifact_root_for(resolved)
        if location is not None:
            location = location.rstrip("/") + "/" + experiment_name.replace("/", "_")
        experiment_id = mlflow.create_experiment(experiment_name, artifact_location=location)
    else:
        if experiment.lifecycle_stage == "deleted":
            raise RuntimeError(
                f"MLflow experiment {experiment_name!r} is deleted; restore it "
                f"(mlflow experiments restore --experiment-id {experiment.experiment_id}) "
                "or choose another tracking.experiment_name."
            )
        experiment_id = experiment.experiment_id
    mlflow.set_experiment(experiment_id=experiment_id)
    mark_model_training(experiment_id)  # MLflow's UI: a model-training experiment, not GenAI
    return experiment_id
