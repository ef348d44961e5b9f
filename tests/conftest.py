"""One MLflow store per test session (creating a sqlite store costs ~8 s of migrations)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("LATENTLAW_ROOT", str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
os.environ.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
# MLflow's telemetry looks up config.mlflow-telemetry.io on first use: tests stay on this machine.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
# Embedding caches go to a per-session folder, never into the checkout.
os.environ.setdefault("LATENTLAW_CACHE", tempfile.mkdtemp(prefix="latentlaw-cache-"))


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A private sqlite store (artifacts beside it) shared by every test that tracks."""
    import mlflow

    from latentlaw.tracking import configure_tracking

    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    configure_tracking(uri, ROOT)
    yield uri
    mlflow.set_tracking_uri(None)
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


def install_service(name: str) -> None:
    """Install a Debian package a slow test needs (scripts/install_services.sh), so the test runs on
    a fresh machine with no manual step; skips, with the script's reason, only where it cannot."""
    import subprocess

    done = subprocess.run(["sh", str(ROOT / "scripts" / "install_services.sh"), name], capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        pytest.skip(f"{name} is missing and scripts/install_services.sh could not install it: "
                    f"{(done.stderr or done.stdout)[-500:]}")


def compose(config_name: str, overrides: list[str]):
    """The config a CLI call with these overrides would get (Hydra's compose API)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=overrides)
