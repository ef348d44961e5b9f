"""Liveness of an open run: who holds it (pid, host) and a heartbeat tag a daemon thread renews.

A process killed with ``kill -9`` (out of memory, a pre-empted cluster job) cannot end its run,
so MLflow shows it RUNNING forever. These tags let ``tracking.stale`` tell such a run from a live
one: its pid is gone on this host, or its heartbeat stopped.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from latentlaw.tracking import record

# Seconds between heartbeats; tracking.stale's default staleness is several of these.
HEARTBEAT_SECONDS = 30.0

log = logging.getLogger(__name__)


def holder_tags() -> dict[str, str]:
    """The tags that say which live process holds a run, stamped when it is opened; in a Ray
    task (hydra/launcher=ray) also its Ray node, the node's id in ``ray status``."""
    from latentlaw.cluster import ray_node_id

    tags = {record.PID: str(os.getpid()), record.HOST: socket.gethostname(), record.HEARTBEAT: str(int(time.time()))}
    node = ray_node_id()
    if node:
        tags[record.RAY_NODE] = node
    return tags


class Periodic:
    """Calls ``action`` every ``interval`` seconds from a daemon thread until the block ends.

    A failing call is logged and the next one still happens: a missed heartbeat or upload must
    never end the work it watches.
    """

    def __init__(self, interval: float, action: Callable[[], object], name: str) -> None:
        self.interval = float(interval)
        self.action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def __enter__(self) -> Periodic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60.0)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.action()
            except Exception as err:
                log.warning("%s: %s", self._thread.name, err)


class Heartbeat(Periodic):
    """Renews the run's HEARTBEAT tag every ``interval`` seconds until stopped."""

    def __init__(self, run_id: str, interval: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(interval, self.beat, name=f"latentlaw-heartbeat-{run_id[:8]}")
        self.run_id = run_id

    def beat(self) -> None:
        from mlflow import MlflowClient

        MlflowClient().set_tag(self.run_id, record.HEARTBEAT, str(int(time.time())))
