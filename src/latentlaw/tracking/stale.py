"""Runs left RUNNING by a dead process -> FAILED, with ``latentlaw.error`` saying why.

Called cheaply by ``configure_tracking`` (one query for RUNNING runs) and by hand:

    python -m latentlaw.tracking.stale [--stale-after SECONDS] [--dry-run] [--uri URI]

A run is stale when it was opened on this host by a process id that no longer exists, or when
its heartbeat (``tracking.heartbeat``) is older than the staleness. Runs without latentlaw's
liveness tags (made by other tools, or before them) are never touched; nothing else in the
store changes.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import time
from collections.abc import Mapping

from latentlaw.tracking import record
from latentlaw.tracking.heartbeat import HEARTBEAT_SECONDS

# Default staleness: ten missed heartbeats. A live process on another host is never this late.
STALE_AFTER_SECONDS = 10 * HEARTBEAT_SECONDS

log = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def why_stale(tags: Mapping[str, str], now: float, stale_after: float, host: str | None = None) -> str | None:
    """Why a RUNNING run with these tags has no live holder, or None if it may be alive."""
    host = host or socket.gethostname()
    pid, run_host, beat = tags.get(record.PID), tags.get(record.HOST), tags.get(record.HEARTBEAT)
    if pid is None and beat is None:
        return None  # not opened by a latentlaw that records liveness: leave it alone
    if pid is not None and run_host == host and pid.isdigit() and not pid_alive(int(pid)):
        return f"process {pid} on {host} that held the run is gone (killed, e.g. kill -9 or out of memory)"
    if beat is not None:
        try:
            age = now - float(beat)
        except ValueError:
            return None
        if age > stale_after:
            return (f"no heartbeat for {age:.0f} s (more than {stale_after:.0f} s) from process {pid} on "
                    f"{run_host}: it died or lost the store")
    return None


def mark_stale_runs(stale_after: float | None = None, dry_run: bool = False) -> list[tuple[str, str]]:
    """Mark every stale RUNNING run of the current store FAILED; returns (run id, reason) pairs."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    stale_after = STALE_AFTER_SECONDS if stale_after is None else float(stale_after)
    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    if not experiments:
        return []
    runs = client.search_runs(experiments, "attributes.status = 'RUNNING'", run_view_type=ViewType.ALL,
                              max_results=5000)
    now, host, marked = time.time(), socket.gethostname(), []
    for run in runs:
        reason = why_stale(run.data.tags, now, stale_after, host)
        if reason is None:
            continue
        marked.append((run.info.run_id, reason))
        if not dry_run:
            client.set_tag(run.info.run_id, record.ERROR, record.STALE_ERROR + reason)
            client.set_terminated(run.info.run_id, status="FAILED")
            log.warning("run %s was left RUNNING by a dead process; marked FAILED (%s)", run.info.run_id, reason)
    return marked


def main(argv: list[str] | None = None) -> int:
    import mlflow

    from latentlaw.tracking.store import resolve_tracking_uri, sqlite_file

    parser = argparse.ArgumentParser(prog="python -m latentlaw.tracking.stale", description=__doc__.split("\n")[0])
    parser.add_argument("--uri", default=None, help="tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns)")
    parser.add_argument("--stale-after", type=float, default=STALE_AFTER_SECONDS,
                        help=f"heartbeat age in seconds that counts as dead (default {STALE_AFTER_SECONDS:.0f})")
    parser.add_argument("--dry-run", action="store_true", help="only list the stale runs")
    args = parser.parse_args(argv)
    uri = resolve_tracking_uri(args.uri, os.environ.get("LATENTLAW_ROOT", "."))
    db = sqlite_file(uri)
    if db is not None and not db.is_file():
        print(f"no tracking store at {db}; pass --uri or set MLFLOW_TRACKING_URI.")
        return 1
    mlflow.set_tracking_uri(uri)  # no experiment is created or selected: only stale runs change
    for run_id, reason in mark_stale_runs(args.stale_after, dry_run=args.dry_run):
        print(f"{'stale' if args.dry_run else 'marked FAILED'}: {run_id}: {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
