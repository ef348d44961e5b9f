"""The team setup of scripts/team_store.sh: PostgreSQL behind an MLflow server with served
artifacts, Optuna's storage in the same PostgreSQL, and a parallel study into both (slow).

Installs Debian's postgresql where missing (scripts/install_services.sh); psycopg2 comes with make setup
(the `team` extra). Loopback only.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import mlflow
import pytest

from conftest import ROOT, install_service
from latentlaw.tracking import record

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def team_store():
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        install_service("postgresql")
    pytest.importorskip("psycopg2", reason="pip install -e '.[team]'")
    folder = tempfile.mkdtemp(prefix="latentlaw-team-")  # under /tmp: the postgres user must reach it
    env = {**os.environ, "LATENTLAW_TEAM_DIR": folder, "MLFLOW": str(Path(sys.executable).parent / "mlflow")}
    script = [str(ROOT / "scripts" / "team_store.sh")]
    pg_port, mlflow_port = _free_port(), _free_port()
    proc = subprocess.run(["sh", *script, "start", str(pg_port), str(mlflow_port)], env=env,
                          capture_output=True, text=True, timeout=400)
    try:
        assert proc.returncode == 0, proc.stderr[-2000:]
        exports = dict(line.removeprefix("export ").split("=", 1) for line in proc.stdout.splitlines()
                       if line.startswith("export "))
        yield exports
    finally:
        subprocess.run(["sh", *script, "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_parallel_study_into_postgres_and_a_served_mlflow(team_store, tmp_path):
    import optuna

    storage = team_store["LATENTLAW_OPTUNA_STORAGE"]
    env = {**os.environ, **team_store}
    args = ["-m", "hparams_search=siamese_optuna", "experiment=paper/07_harmonic", "trainer.max_epochs=4",
            "dataset.n_train=1000", "dataset.n_val=200", "dataset.n_test=300", "trainer.enable_progress_bar=false",
            "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2", "hydra.sweeper.n_trials=4",
            "hydra.sweeper.study_name=team", f"hydra.sweeper.storage={storage}",
            f"hydra.run.dir={tmp_path}/run", f"hydra.sweep.dir={tmp_path}/multirun"]
    proc = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]

    study = optuna.load_study(study_name="team", storage=storage)
    assert len(study.trials) == 4 and all(t.state.is_finished() for t in study.trials)
    mlflow.set_tracking_uri(team_store["MLFLOW_TRACKING_URI"])
    try:
        study_run = mlflow.search_runs(filter_string=record.search_filter({record.TASK: record.TASK_STUDY}),
                                       search_all_experiments=True, output_format="list")[0]
        assert study_run.data.tags[record.STUDY_STORAGE] == storage
        children = mlflow.search_runs(filter_string=f"tags.mlflow.parentRunId = '{study_run.info.run_id}'",
                                      search_all_experiments=True, output_format="list")
        assert sorted(c.info.run_name for c in children) == [f"trial-{i:04d}" for i in range(4)]
        # artifacts go through the server (mlflow-artifacts:), not to a local path
        assert study_run.info.artifact_uri.startswith("mlflow-artifacts:")
        local = mlflow.artifacts.download_artifacts(run_id=study_run.info.run_id,
                                                    artifact_path=record.STUDY_HISTORY_PLOT, dst_path=str(tmp_path))
        assert Path(local).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        mlflow.set_tracking_uri(None)
