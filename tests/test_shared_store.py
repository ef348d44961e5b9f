"""Several processes on one fresh sqlite store, and runs left RUNNING by dead processes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# One worker: open the store (the first opens race on its creation), log a small run with
# params, metrics, tags and an artifact, and print the run id.
WORKER = textwrap.dedent("""
    import sys
    import mlflow
    from latentlaw.tracking import configure_tracking, tracked_run
    from latentlaw.tracking.runs import log_json
    uri, index = sys.argv[1], int(sys.argv[2])
    configure_tracking(uri, ".", experiment_name="shared")
    with tracked_run(f"worker-{index}", {"worker": str(index)}) as run:
        mlflow.log_params({f"p{k}": k for k in range(20)})
        for step in range(30):
            mlflow.log_metrics({"a": step * index, "b": float(step)}, step=step)
        log_json({"worker": index}, "result.json")
    print(run.info.run_id)
""")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def test_four_processes_share_a_fresh_store(tmp_path: Path) -> None:
    from mlflow import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, uri, str(i)], cwd=tmp_path, env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    run_ids = [out.strip().splitlines()[-1] for out, _ in outputs]
    client = MlflowClient(uri)
    for index, run_id in enumerate(run_ids):
        run = client.get_run(run_id)
        assert run.info.status == "FINISHED"
        assert len(run.data.params) == 20
        assert [m.value for m in client.get_metric_history(run_id, "b")] == [float(s) for s in range(30)]
        assert [f.path for f in client.list_artifacts(run_id)] == ["result.json"]
    assert len(client.search_experiments(filter_string="name = 'shared'")) == 1


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_runs_left_running_by_dead_processes_are_marked_failed(mlflow_store: str, capsys) -> None:
    import socket

    from mlflow import MlflowClient

    from latentlaw.tracking import configure_tracking, record
    from latentlaw.tracking.stale import main as stale_main
    from latentlaw.tracking.stale import mark_stale_runs

    experiment_id = configure_tracking(mlflow_store, ROOT, experiment_name="stale-test")
    client = MlflowClient()
    host, now = socket.gethostname(), time.time()
    dead = client.create_run(experiment_id, tags={record.PID: str(_dead_pid()), record.HOST: host,
                                                   record.HEARTBEAT: f"{now:.0f}"})
    silent = client.create_run(experiment_id, tags={record.PID: "1", record.HOST: "elsewhere",
                                                     record.HEARTBEAT: f"{now - 3600:.0f}"})
    alive = client.create_run(experiment_id, tags={record.PID: str(os.getpid()), record.HOST: host,
                                                    record.HEARTBEAT: f"{now:.0f}"})
    remote_alive = client.create_run(experiment_id, tags={record.PID: "1", record.HOST: "elsewhere",
                                                           record.HEARTBEAT: f"{now:.0f}"})
    foreign = client.create_run(experiment_id)  # no liveness tags: not ours to judge

    assert {r for r, _ in mark_stale_runs(600, dry_run=True)} >= {dead.info.run_id, silent.info.run_id}
    assert stale_main(["--dry-run", "--uri", mlflow_store, "--stale-after", "600"]) == 0
    listed = capsys.readouterr().out
    assert f"stale: {dead.info.run_id}" in listed and f"stale: {silent.info.run_id}" in listed
    assert alive.info.run_id not in listed and foreign.info.run_id not in listed
    assert client.get_run(dead.info.run_id).info.status == "RUNNING"  # a dry run changes nothing
    configure_tracking(mlflow_store, ROOT, experiment_name="stale-test", stale_after_seconds=600)

    for run, status, why in ((dead, "FAILED", "is gone"), (silent, "FAILED", "no heartbeat")):
        now_run = client.get_run(run.info.run_id)
        assert now_run.info.status == status
        assert now_run.data.tags[record.ERROR].startswith(record.STALE_ERROR)
        assert why in now_run.data.tags[record.ERROR]
    for run in (alive, remote_alive, foreign):
        assert client.get_run(run.info.run_id).info.status == "RUNNING"
        assert record.ERROR not in client.get_run(run.info.run_id).data.tags
        client.set_terminated(run.info.run_id, "FINISHED")


def test_tracked_run_records_its_holder_and_reopens(mlflow_store: str) -> None:
    import mlflow

    from latentlaw.tracking import configure_tracking, record, tracked_run

    configure_tracking(mlflow_store, ROOT, experiment_name="stale-test")
    with pytest.raises(RuntimeError), tracked_run("crashes") as run:
        raise RuntimeError("boom")
    first = mlflow.get_run(run.info.run_id)
    assert first.data.tags[record.PID] == str(os.getpid())
    assert float(first.data.tags[record.HEARTBEAT]) <= time.time()
    assert first.info.status == "FAILED" and "boom" in first.data.tags[record.ERROR]

    with tracked_run(run_id=run.info.run_id) as reopened:
        assert mlflow.get_run(reopened.info.run_id).info.status == "RUNNING"
    again = mlflow.get_run(run.info.run_id)
    assert again.info.status == "FINISHED"
    assert again.data.tags[record.RESUMED] == "1"
    assert record.ERROR not in again.data.tags


def test_heartbeat_renews_its_tag(mlflow_store: str) -> None:
    import mlflow

    from latentlaw.tracking import configure_tracking, record
    from latentlaw.tracking.heartbeat import Heartbeat

    configure_tracking(mlflow_store, ROOT, experiment_name="stale-test")
    with mlflow.start_run() as run:
        mlflow.set_tag(record.HEARTBEAT, "0")
        with Heartbeat(run.info.run_id, interval=0.2):
            deadline = time.time() + 20
            while mlflow.get_run(run.info.run_id).data.tags[record.HEARTBEAT] == "0" and time.time() < deadline:
                time.sleep(0.1)
        assert float(mlflow.get_run(run.info.run_id).data.tags[record.HEARTBEAT]) > time.time() - 60


def test_store_writes_retry_while_the_database_is_locked(mlflow_store: str) -> None:
    from mlflow.exceptions import MlflowException

    from latentlaw.tracking import configure_tracking
    from latentlaw.tracking.store import _tracking_store, retry_locked

    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise MlflowException("(sqlite3.OperationalError) database is locked")
        return "written"

    assert retry_locked(flaky)() == "written" and len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise MlflowException("UNIQUE constraint failed")

    calls.clear()
    with pytest.raises(MlflowException, match="UNIQUE"):
        retry_locked(broken)()
    assert len(calls) == 1  # only lock errors are retried

    configure_tracking(mlflow_store, ROOT)
    store = _tracking_store()
    assert all(getattr(getattr(store, name), "_latentlaw_retry", False) for name in ("log_batch", "set_tag",
                                                                                      "create_run", "update_run_info"))
