"""Everything latentlaw writes to or reads from MLflow goes through this package."""

from latentlaw.tracking.models import load_model, log_model
from latentlaw.tracking.runs import log_config, log_json, tracked_run
from latentlaw.tracking.store import configure_tracking, resolve_tracking_uri

__all__ = [
    "configure_tracking",
    "load_model",
    "log_config",
    "log_json",
    "log_model",
    "resolve_tracking_uri",
    "tracked_run",
]
