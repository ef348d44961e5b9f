"""Ray as the engine behind sweeps (``hydra/launcher=ray``) and per-neuron searches
(``parallel.backend=ray`` in explain.py).

Ray is an optional extra (``pip install -e ".[cluster]"``, part of ``make setup``): it is
imported only when one of those settings asks for it, and every problem a user can fix (Ray not
installed, a cluster address nobody answers on, a local sqlite store behind a cluster of several
machines) is reported here, before any MLflow run is created or any model loaded.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

BACKENDS = ("loky", "ray")
# Addresses Ray resolves itself rather than a host:port we can check first.
SYMBOLIC_ADDRESSES = ("auto", "local")
REACH_TIMEOUT_SECONDS = 5.0
# Environment a job needs on whichever node runs it: the project root, the store, thread caps.
FORWARDED_ENV_PREFIXES = ("LATENTLAW_", "MLFLOW_", "HF_HUB_OFFLINE")
FORWARDED_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "PYTHONHASHSEED")
INSTALL_HINT = 'pip install -e ".[cluster]" (make setup installs it)'


class ClusterError(RuntimeError):
    """A Ray setting that cannot work, with the fix in the message."""


def import_ray() -> Any:
    """The ``ray`` module, or a ClusterError that says how to install it."""
    try:
        import ray
    except ImportError as err:
        raise ClusterError(f"Ray is not installed in this environment ({err}); {INSTALL_HINT}, "
                           "or choose parallel.backend=loky / a launcher other than hydra/launcher=ray.") from None
    return ray


def split_address(address: str, setting: str = "the Ray address") -> tuple[str, int] | None:
    """``host:port`` (``ray://host:port`` too) -> (host, port); None for ``auto``/``local``."""
    text = str(address).strip()
    if text in SYMBOLIC_ADDRESSES:
        return None
    text = text.split("://", 1)[-1]
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ClusterError(f"{setting}={address!r} is not host:port; give the head's address as printed by "
                           "`ray start --head` (e.g. 10.0.0.5:6379), 'auto' for the cluster started on this "
                           "machine, or null for a private Ray instance here.")
    return host.strip("[]"), int(port)


def check_reachable(address: str | None, setting: str = "the Ray address",
                    timeout: float = REACH_TIMEOUT_SECONDS) -> None:
    """Fail in seconds, naming the address and the fix, where Ray itself would retry for a minute."""
    if address is None:
        return
    target = split_address(address, setting)
    if target is None:
        return
    try:
        with socket.create_connection(target, timeout=timeout):
            pass
    except OSError as err:
        raise ClusterError(
            f"cannot reach the Ray cluster at {address} ({err.strerror or err}). Start its head there "
            f"(ray start --head --port={target[1]} --disable-usage-stats), or set {setting} to the address that "
            "`ray start --head` printed (null: a private Ray instance on this machine).") from None


def connect(address: str | None, setting: str = "the Ray address", **init_kwargs: Any) -> bool:
    """Connect this process to Ray (``address`` None: Ray's own rule, RAY_ADDRESS, else a cluster
    started on this machine, else a private instance). Returns True when this call connected, so
    the caller disconnects (``ray.shutdown``) when done; False when already connected (a job that
    itself runs on Ray). Usage statistics stay off unless the user turned them on."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    check_reachable(address, setting)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address is None and not os.environ.get("RAY_ADDRESS"):
        init_kwargs.setdefault("include_dashboard", False)
    try:
        ray.init(address=address, **init_kwargs)
    except ConnectionError as err:
        raise ClusterError(f"no Ray cluster at {setting}={address!r}: {err}. Start one (ray start --head) or set "
                           f"{setting} to its address.") from None
    return True


def cluster_cpus() -> int:
    """CPUs of the connected cluster, all nodes together (at least 1)."""
    ray = import_ray()
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def ray_node_id() -> str | None:
    """The Ray node this code runs on, when it runs as a Ray task or actor; else None. Recorded
    on runs and searches, so one can see (and a test can check) that the work went through Ray."""
    ray = sys.modules.get("ray")  # never import Ray just to find out it is not in use
    if ray is None or not ray.is_initialized():
        return None
    context = ray.get_runtime_context()
    if context.worker.mode != ray.WORKER_MODE:  # the driver (asking it for a task id logs a warning)
        return None
    return context.get_node_id()


def forwarded_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The variables of this process a job on another node must see: LATENTLAW_* (the project
    root, caches), MLFLOW_* (the store, telemetry off) and the thread caps. Ray workers start
    from the raylet's environment, not the driver's."""
    environ = dict(os.environ if environ is None else environ)
    return {k: v for k, v in environ.items() if k.startswith(FORWARDED_ENV_PREFIXES) or k in FORWARDED_ENV}


def other_hosts() -> list[str]:
    """Host names of the live cluster nodes other than this one."""
    ray = import_ray()
    here = socket.gethostname()
    return sorted({n.get("NodeManagerHostname", "") for n in ray.nodes() if n.get("Alive")} - {here})


def check_store_for_cluster(tracking_uri: str) -> None:
    """A local sqlite store is a file on this machine, and a server on 127.0.0.1 is a different
    one on each machine: with nodes on other machines their runs would not reach this store."""
    from urllib.parse import urlparse

    from latentlaw.tracking.store import sqlite_file

    host = urlparse(tracking_uri).hostname or ""
    local_server = host == "localhost" or host == "::1" or host.startswith("127.")
    if sqlite_file(tracking_uri) is None and not local_server:
        return
    hosts = other_hosts()
    if hosts:
        what = "a local file" if sqlite_file(tracking_uri) is not None else "a server on this machine's loopback"
        raise ClusterError(
            f"the MLflow store {tracking_uri} is {what}, but the Ray cluster has nodes on other machines "
            f"({', '.join(hosts[:3])}); their runs would not reach it. Point every job at an MLflow server "
            "that all nodes reach: MLFLOW_TRACKING_URI=http://<host>:<port> before the sweep (scripts/team_store.sh "
            "starts one, bound to 127.0.0.1 until you serve it on the cluster's network).")


@dataclass(frozen=True)
class ParallelSettings:
    """explain.py's ``parallel`` block: where the per-neuron searches run."""

    backend: str = "loky"
    ray_address: str | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> ParallelSettings:
        """Checked before any run exists: the backend name and, for ray, the address's form."""
        if cfg is None:
            return cls()
        backend = str(cfg.get("backend", "loky"))
        if backend not in BACKENDS:
            raise ValueError(f"parallel.backend={backend!r} is not one of {list(BACKENDS)}; e.g. parallel.backend=ray "
                             "to run the searches on a Ray cluster.")
        address = cfg.get("ray_address")
        address = None if address in (None, "") else str(address)
        if backend == "ray" and address is not None:
            split_address(address, "parallel.ray_address")
        return cls(backend, address)
