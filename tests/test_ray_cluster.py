"""A real Ray cluster on this machine (slow): a head and a worker node, one CPU each, started
with `ray start` as a user would; a two-job training sweep through hydra/launcher=ray and an
explain of two latents through parallel.backend=ray, both read back from MLflow.

Loopback only: Ray turns 127.0.0.1 into the machine's network address (a node must be reachable
from others), so the head listens as 127.0.0.2 and the worker as 127.0.0.3, both still loopback.
Ray's API server asks cloud metadata endpoints (169.254.169.254, metadata.google.internal) which
cloud it is on, and sends a "usage stats disabled" note to Ray's server, even with usage stats
off; the nodes get HTTP(S)_PROXY set to a closed loopback port, so those requests fail here
without leaving the machine. The nodes are stopped by their process groups, not `ray stop`
(which ends every Ray process on the machine, other users' too). Needs nothing but `make setup`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mlflow
import pytest

from conftest import ROOT, compose
from latentlaw.tracking import record

pytestmark = pytest.mark.slow

HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, a connection is refused at once
LOOPBACK = "127.0.0.1,127.0.0.2,127.0.0.3,localhost"
NO_EGRESS = {"HTTP_PROXY": CLOSED, "HTTPS_PROXY": CLOSED, "http_proxy": CLOSED, "https_proxy": CLOSED,
             "NO_PROXY": LOOPBACK, "no_proxy": LOOPBACK, "RAY_USAGE_STATS_ENABLED": "0"}
START_TIMEOUT = 90.0
TINY = ["trainer.max_epochs=2", "dataset.n_train=1000", "dataset.n_val=200", "dataset.n_test=300",
        "trainer.enable_progress_bar=false"]
AUTOENCODER = ["dataset=covertype_synthetic", "dataset.n_rows=800", "model=autoencoder", "model.latent_size=2",
               "model.hidden=[16]", "trainer.max_epochs=3", "trainer.enable_progress_bar=false"]
NODES_SCRIPT = """
import json, sys, time, ray
ray.init(address=sys.argv[1], log_to_driver=False)
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    alive = [n["NodeID"] for n in ray.nodes() if n["Alive"]]
    if len(alive) == 2:
        print(json.dumps(sorted(alive)))
        break
    time.sleep(0.5)
"""


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_for_port(host: str, port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.time() + START_TIMEOUT
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ray start exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the Ray head did not listen on {host}:{port} within {START_TIMEOUT} s: {log.read_text()[-3000:]}")


def _stop(procs: list[subprocess.Popen]) -> None:
    """Each `ray start --block` leads its own process group (raylet, GCS, workers): TERM, then KILL."""
    for proc in procs:
        with _suppress():
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + 20
    for proc in procs:
        with _suppress():
            proc.wait(timeout=max(0.1, deadline - time.time()))
    for proc in procs:
        leftovers = _group_members(proc.pid)
        for pid in leftovers:
            with _suppress():
                os.kill(pid, signal.SIGKILL)


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp
            members.append(int(stat.parent.name))
    return members


class _suppress:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, err: object, tb: object) -> bool:
        return isinstance(err, (ProcessLookupError, PermissionError, subprocess.TimeoutExpired))


@pytest.fixture(scope="module")
def ray_cluster():
    """A head (127.0.0.2) and a worker (127.0.0.3), one CPU each; yields the address and node ids."""
    ray_cli = str(Path(sys.executable).parent / "ray")
    folder = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    env = {**os.environ, **NO_EGRESS}
    port = _free_port(HEAD_IP)
    address = f"{HEAD_IP}:{port}"
    common = ["--block", "--num-cpus=1", "--disable-usage-stats", f"--temp-dir={folder}"]
    procs: list[subprocess.Popen] = []
    started = time.perf_counter()
    try:
        head_log = folder / "head.log"
        with open(head_log, "w") as out:
            procs.append(subprocess.Popen(
                [ray_cli, "start", "--head", f"--node-ip-address={HEAD_IP}", f"--port={port}",
                 "--include-dashboard=false", *common], env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True))
        _wait_for_port(HEAD_IP, port, procs[0], head_log)
        with open(folder / "worker.log", "w") as out:
            procs.append(subprocess.Popen(
                [ray_cli, "start", f"--address={address}", f"--node-ip-address={WORKER_IP}", *common],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        done = subprocess.run([sys.executable, "-c", NODES_SCRIPT, address, str(START_TIMEOUT)], env=env,
                              capture_output=True, text=True, timeout=START_TIMEOUT + 30)
        assert done.stdout.strip(), f"the worker did not join: {done.stderr[-2000:]}"
        nodes = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"\nRay cluster of 2 nodes up in {time.perf_counter() - started:.1f} s")
        yield {"address": address, "nodes": set(nodes)}
    finally:
        _stop(procs)
        shutil.rmtree(folder, ignore_errors=True)


def _artifacts(run_id: str, folder: str | None = None) -> set[str]:
    return {a.path for a in mlflow.artifacts.list_artifacts(run_id=run_id, artifact_path=folder)}


def test_a_training_sweep_runs_on_both_nodes(ray_cluster, mlflow_store, tmp_path):
    args = ["-m", "experiment=paper/07_harmonic", "trainer=fast", "seed=0,1", *TINY, "tracking.experiment_name=ray_sweep",
            "hydra/launcher=ray", f"hydra.launcher.ray.init.address={ray_cluster['address']}",
            f"hydra.sweep.dir={tmp_path}/multirun"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_store, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "train.py"), *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    print(f"2-job sweep through the Ray launcher: {time.perf_counter() - started:.1f} s")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("trained ") == 2, proc.stdout[-3000:]

    mlflow.set_tracking_uri(mlflow_store)
    runs = mlflow.search_runs(experiment_names=["ray_sweep"], output_format="list")
    assert sorted(r.data.tags[record.SEED] for r in runs) == ["0", "1"]
    for run in runs:
        assert run.info.status == "FINISHED"
        assert {"test_loss", "spearman_abs", "fit_seconds"} <= set(run.data.metrics)
        assert run.data.params["trainer.max_epochs"] == "2"
        assert {record.CONFIG_ARTIFACT, "data", "model"} <= _artifacts(run.info.run_id)
        assert record.MODEL_ARTIFACT in _artifacts(run.info.run_id, "model")
        assert record.HELDOUT_ARTIFACT in _artifacts(run.info.run_id, "data")
    # Each job ran in a Ray worker: one on each node (one CPU each, both jobs at once), not in the driver.
    assert {r.data.tags.get(record.RAY_NODE) for r in runs} == ray_cluster["nodes"]
    # Hydra's job folders are where the driver put them.
    assert sorted(p.name for p in (tmp_path / "multirun").iterdir() if p.is_dir()) == ["0", "1"]


def test_an_autoencoders_latents_are_searched_on_both_nodes(ray_cluster, mlflow_store):
    from latentlaw.tasks.explain import explain
    from latentlaw.tasks.train import train

    trained = train(compose("train", [*AUTOENCODER, "tracking.experiment_name=ray_explain"]))
    started = time.perf_counter()
    summary = explain(compose("explain", [
        f"train_run={trained['run_id']}", "explainer=direct_regression", "latent_search.timeout_in_seconds=3",
        "preselect.max_inputs=4", "parallel.backend=ray", f"parallel.ray_address={ray_cluster['address']}"]))
    print(f"explain of 2 latents through Ray: {time.perf_counter() - started:.1f} s")

    import ray

    assert not ray.is_initialized()  # explain disconnected; the cluster is still the fixture's
    run = mlflow.get_run(summary["run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.parentRunId"] == trained["run_id"]
    assert [r["neuron"] for r in summary["neurons"]] == [0, 1]
    logged = _artifacts(run.info.run_id)
    assert record.EQUATIONS_TABLE in logged
    for j in (0, 1):
        assert record.equation_file(j, "txt") in _artifacts(run.info.run_id, "equations")
        assert record.front_table(j) in _artifacts(run.info.run_id, "fronts")
        assert record.pareto_plot(j) in _artifacts(run.info.run_id, "plots")
        assert record.neuron_metric(record.LATENT_R2_METRIC, j) in run.data.metrics
        assert run.data.tags[record.neuron_equation_tag(j)]
    # Both searches ran at once, so on both nodes; a search run in this process would carry no node.
    assert {run.data.tags.get(record.neuron_ray_node_tag(j)) for j in (0, 1)} == ray_cluster["nodes"]
