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

from latentlaw.tracking import record

# Seconds between heartbeats; tracking.stale's default staleness is several of these.
HEARTBEAT_SECONDS = 30.0

log = logging.getLogger(__name__)


def holder_tags() -> dict[str, str]:
    """The tags that say which live process holds a run, stamped when it is opened."""
    return {record.PID: str(os.getpid()), record.HOST: socket.gethostname(), record.HEARTBEAT: f"{time.time():.0f}"}


class Heartbeat:
    """Renews the run's HEARTBEAT tag every ``interval`` seconds from a daemon thread until stopped."""

    def __init__(self, run_id: str, interval: float = HEARTBEAT_SECONDS) -> None:
        self.run_id = run_id
        self.interval = float(interval)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"latentlaw-heartbeat-{run_id[:8]}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _beat(self) -> None:
        from mlflow import MlflowClient

        client = MlflowClient()
        while not self._stop.wait(self.interval):
            try:
                client.set_tag(self.run_id, record.HEARTBEAT, f"{time.time():.0f}")
            except Exception as err:  # a missed beat must never kill the run it watches
                log.warning("heartbeat of run %s not written: %s", self.run_id, err)
