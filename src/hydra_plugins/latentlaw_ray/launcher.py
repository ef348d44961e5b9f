"""A Hydra launcher that runs each job of a sweep as a Ray task (``hydra/launcher=ray``).

Written here because hydra-ray-launcher 1.2.2 (the last release) requires ``cloudpickle<3``
while joblib 1.6 (scikit-learn's) requires ``cloudpickle>=3``: both cannot be installed with a
clean ``pip check``. Its config has the same shape, so the same overrides work:
``hydra.launcher.ray.init.address=<head host:port>`` joins an existing cluster (null: Ray's own
rule, RAY_ADDRESS, else a cluster started on this machine, else a private instance) and
``hydra.launcher.ray.remote.num_cpus`` is what each job reserves (1, matching ``threads=1``).

What it adds for latentlaw: Ray is imported only when a sweep starts, and an address nobody
answers on, a missing Ray or a local sqlite store behind a cluster of several machines fail
before any job (and so any MLflow run) starts; each job runs in the sweep's own working
directory with the driver's LATENTLAW_*/MLFLOW_* environment (Ray workers start from the
raylet's); Ctrl-C cancels the jobs, whose runs then end KILLED rather than stay RUNNING.

No ``from __future__ import annotations``: Hydra's plugin scan executes this module outside
``sys.modules``, where dataclasses cannot resolve string annotations.
"""

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf

log = logging.getLogger(__name__)
# Seconds a cancelled sweep waits for its jobs to mark their runs KILLED.
CANCEL_GRACE_SECONDS = 60.0


@dataclass
class RayConf:
    init: Dict[str, Any] = field(default_factory=lambda: {"address": None})  # ray.init keyword arguments
    remote: Dict[str, Any] = field(default_factory=lambda: {"num_cpus": 1})  # ray.remote options of each job


@dataclass
class RayLauncherConf:
    _target_: str = "hydra_plugins.latentlaw_ray.launcher.RayLauncher"
    ray: RayConf = field(default_factory=RayConf)


ConfigStore.instance().store(group="hydra/launcher", name="ray", node=RayLauncherConf, provider="latentlaw")


def _run_job(hydra_context: HydraContext, sweep_config: DictConfig, task_function: TaskFunction,
             singleton_state: Dict[Any, Any], env: Dict[str, str], cwd: str) -> JobReturn:
    """One job on whichever node Ray chose: the driver's environment and working directory
    first (relative sweep and store paths then mean what they mean on the driver)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.core.singleton import Singleton
    from hydra.core.utils import run_job, setup_globals

    if not Path(cwd).is_dir():
        import socket

        raise RuntimeError(f"node {socket.gethostname()} has no folder {cwd} (the sweep's working directory): every "
                           "node of the cluster needs the project at the same path (a shared file system, or the "
                           "same checkout and `make setup` on each).")
    os.environ.update(env)
    os.chdir(cwd)
    setup_globals()
    Singleton.set_state(singleton_state)
    HydraConfig.instance().set_config(sweep_config)
    return run_job(hydra_context=hydra_context, task_function=task_function, config=sweep_config,
                   job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")


class RayLauncher(Launcher):
    """Each job a Ray task with ``ray.remote`` options; results in the order of the jobs."""

    def __init__(self, ray: DictConfig) -> None:
        self.ray_cfg = ray
        self.hydra_context: Optional[HydraContext] = None
        self.task_function: Optional[TaskFunction] = None
        self.config: Optional[DictConfig] = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        self.config = config
        self.hydra_context = hydra_context
        self.task_function = task_function

    def _tracking_uri(self) -> Optional[str]:
        """The store the jobs will write to, as the primary config resolves it."""
        from latentlaw.tracking.store import resolve_tracking_uri

        assert self.config is not None
        tracking, paths = self.config.get("tracking"), self.config.get("paths")
        if tracking is None or paths is None:
            return None
        return resolve_tracking_uri(tracking.get("uri"), paths.root_dir)

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        from hydra.core.singleton import Singleton
        from hydra.core.utils import configure_log, filter_overrides, setup_globals
        from omegaconf import open_dict

        from latentlaw import cluster

        setup_globals()
        assert self.config is not None and self.hydra_context is not None and self.task_function is not None
        configure_log(self.config.hydra.hydra_logging, self.config.hydra.verbose)
        init: Dict[str, Any] = OmegaConf.to_container(self.ray_cfg.init, resolve=True)  # type: ignore[assignment]
        remote: Dict[str, Any] = OmegaConf.to_container(self.ray_cfg.remote, resolve=True)  # type: ignore[assignment]
        address = init.pop("address", None)
        cluster.connect(None if address in (None, "") else str(address), "hydra.launcher.ray.init.address", **init)  # clear errors, before any job
        ray = cluster.import_ray()
        uri = self._tracking_uri()
        if uri is not None:
            cluster.check_store_for_cluster(uri)

        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        log.info("Ray launcher: %d jobs on a cluster of %d CPUs, each with %s; sweep output dir: %s",
                 len(job_overrides), cluster.cluster_cpus(), remote or "Ray's defaults", sweep_dir)
        run_remote = ray.remote(**remote)(_run_job) if remote else ray.remote(_run_job)
        env, cwd, state = cluster.forwarded_env(), os.getcwd(), Singleton.get_state()
        refs: List[Any] = []
        for idx, overrides in enumerate(job_overrides):
            idx += initial_job_idx
            log.info("\t#%d : %s", idx, " ".join(filter_overrides(overrides)))
            sweep_config = self.hydra_context.config_loader.load_sweep_config(self.config, list(overrides))
            with open_dict(sweep_config):
                sweep_config.hydra.job.id = f"{sweep_config.hydra.job.name}_{idx}"
                sweep_config.hydra.job.num = idx
            refs.append(run_remote.remote(self.hydra_context, sweep_config, self.task_function, state, env, cwd))
        try:
            return [ray.get(ref) for ref in refs]
        except KeyboardInterrupt:
            # Each job's KeyboardInterrupt ends its MLflow run KILLED (tracked_run); wait for that.
            for ref in refs:
                ray.cancel(ref)
            ray.wait(refs, num_returns=len(refs), timeout=CANCEL_GRACE_SECONDS)
            raise
