"""Ray as the engine, without a cluster: the launcher and explain settings compose, Ray is
imported only when asked for, and what cannot work is refused before any run or model exists.
tests/test_ray_cluster.py (slow) runs the real thing on a local two-node cluster."""

from __future__ import annotations

import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from conftest import ROOT, compose
from latentlaw import cluster
from latentlaw.cluster import ClusterError, ParallelSettings


def _hydra_compose(config_name: str, overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return hydra_compose(config_name=config_name, overrides=overrides, return_hydra_config=True)


def test_the_ray_launcher_composes_with_an_address_and_one_cpu_per_job():
    cfg = _hydra_compose("train", ["hydra/launcher=ray", "hydra.launcher.ray.init.address=10.0.0.5:6379"])
    launcher = cfg.hydra.launcher
    assert launcher._target_ == "hydra_plugins.latentlaw_ray.launcher.RayLauncher"
    assert launcher.ray.init.address == "10.0.0.5:6379"
    assert launcher.ray.remote.num_cpus == 1 and cfg.threads == 1  # a job's reservation matches its torch threads
    default = _hydra_compose("explain", ["hydra/launcher=ray"]).hydra.launcher
    assert default.ray.init.address is None


def test_hydra_discovers_the_launcher_without_importing_ray():
    """Hydra imports every plugin on every run: importing Ray there would slow every command."""
    code = ("import sys; sys.path.insert(0, 'tests'); from test_ray_config import _hydra_compose; "
            "_hydra_compose('train', ['hydra/launcher=ray']); print('ray' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_explain_parallel_settings_compose_and_default_to_loky():
    cfg = compose("explain", [])
    assert ParallelSettings.from_config(cfg.parallel) == ParallelSettings("loky", None)
    cfg = compose("explain", ["parallel.backend=ray", "parallel.ray_address=10.0.0.5:6379"])
    assert ParallelSettings.from_config(cfg.parallel) == ParallelSettings("ray", "10.0.0.5:6379")
    assert ParallelSettings.from_config(None) == ParallelSettings()


@pytest.mark.parametrize("address, expected", [("10.0.0.5:6379", ("10.0.0.5", 6379)), ("auto", None),
                                               ("ray://head.lab:10001", ("head.lab", 10001)),
                                               ("[::1]:6379", ("::1", 6379))])
def test_addresses_are_read_as_host_and_port(address, expected):
    assert cluster.split_address(address) == expected


@pytest.mark.parametrize("address", ["head", "head:port", ":6379"])
def test_an_address_without_host_and_port_is_refused(address):
    with pytest.raises(ClusterError, match="parallel.ray_address=.* is not host:port.*ray start --head"):
        ParallelSettings.from_config(OmegaConf.create({"backend": "ray", "ray_address": address}))


def _explain_with_guards(monkeypatch, overrides: list[str]) -> None:
    """explain() with the store, the training-run lookup and model loading made to fail loudly:
    a Ray error must come first."""
    import latentlaw.tracking as tracking
    import latentlaw.tracking.lookup as lookup
    from latentlaw.tasks.explain import explain

    def reached(*args: object, **kwargs: object) -> None:
        raise AssertionError("explain went on to the training run before refusing the Ray setting")

    monkeypatch.setattr(tracking, "configure_tracking", reached)
    monkeypatch.setattr(lookup, "get_training_run", reached)
    monkeypatch.setattr(tracking, "load_model", reached)
    explain(compose("explain", overrides))


def test_explain_refuses_a_missing_ray_before_touching_the_store(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ClusterError, match=r'Ray is not installed.*pip install -e "\.\[cluster\]"'):
        _explain_with_guards(monkeypatch, ["parallel.backend=ray"])


def test_explain_refuses_an_unreachable_cluster_in_seconds(monkeypatch):
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(ClusterError, match=rf"cannot reach the Ray cluster at 127\.0\.0\.1:{port}"):
        _explain_with_guards(monkeypatch, ["parallel.backend=ray", f"parallel.ray_address=127.0.0.1:{port}"])
    assert time.perf_counter() - started < 10  # Ray itself would retry for a minute


def test_the_launcher_refuses_a_missing_ray_before_any_job(monkeypatch):
    from hydra_plugins.latentlaw_ray.launcher import RayLauncher

    cfg = _hydra_compose("train", ["hydra/launcher=ray"])
    launcher = RayLauncher(ray=cfg.hydra.launcher.ray)

    def no_job(*args: object, **kwargs: object) -> None:
        raise AssertionError("a job started")

    launcher.setup(hydra_context=object(), task_function=no_job, config=cfg)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ClusterError, match=r'Ray is not installed.*pip install -e "\.\[cluster\]"'):
        launcher.launch([["seed=0"], ["seed=1"]], initial_job_idx=0)


def test_a_store_on_this_machine_only_is_refused_for_a_cluster_of_several_machines(monkeypatch):
    monkeypatch.setattr(cluster, "other_hosts", lambda: ["node-b"])
    with pytest.raises(ClusterError, match=r"local file.*node-b.*MLFLOW_TRACKING_URI=http://"):
        cluster.check_store_for_cluster("sqlite:////data/mlruns/mlflow.db")
    with pytest.raises(ClusterError, match=r"loopback.*node-b"):  # each node's 127.0.0.1 is itself
        cluster.check_store_for_cluster("http://127.0.0.1:5055")
    cluster.check_store_for_cluster("http://10.0.0.5:5055")  # a server on the network: every node reaches it
    monkeypatch.setattr(cluster, "other_hosts", lambda: [])
    cluster.check_store_for_cluster("sqlite:////data/mlruns/mlflow.db")  # one machine: the file is shared


def test_jobs_get_the_project_store_and_thread_settings_only():
    env = {"LATENTLAW_ROOT": "/p", "MLFLOW_TRACKING_URI": "http://h:1", "OMP_NUM_THREADS": "1",
           "HF_HUB_OFFLINE": "1", "HOME": "/root", "PATH": "/bin", "AWS_SECRET_ACCESS_KEY": "x"}
    assert cluster.forwarded_env(env) == {"LATENTLAW_ROOT": "/p", "MLFLOW_TRACKING_URI": "http://h:1",
                                          "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def test_searches_at_a_time_follow_the_cluster_cores():
    from latentlaw.tasks.explain import _n_jobs

    assert _n_jobs("auto", n_neurons=32, cpus=12) == 12
    assert _n_jobs("auto", n_neurons=3, cpus=12) == 3
    assert _n_jobs(4, n_neurons=32, cpus=12) == 4


def test_no_ray_node_is_claimed_outside_ray():
    assert cluster.ray_node_id() is None
