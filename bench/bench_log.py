"""Shared by the bench scripts: figures into MLflow (experiment 'benchmarks') beside the markdown."""

from __future__ import annotations

import os
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def log_benchmark(name: str, metrics: dict[str, float], report: Path) -> None:
    """One MLflow run per benchmark execution, so figures can be compared across commits."""
    from latentlaw.tracking import configure_tracking, tracked_run
    from latentlaw.tracking.runs import git_commit

    import mlflow

    configure_tracking(None, ROOT, experiment_name="benchmarks")
    tags = {"latentlaw.task": "bench", "latentlaw.bench": name, "cpu_count": str(os.cpu_count()),
            "machine": platform.processor() or platform.machine()}
    commit = git_commit(ROOT)
    if commit:
        tags["mlflow.source.git.commit"] = commit
    with tracked_run(f"bench-{name}", tags):
        mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
        mlflow.log_artifact(str(report))


def publish(name: str, text: str, metrics: dict[str, float], log: bool = True, out: Path | None = None) -> Path:
    """Print a benchmark's markdown, write it to ``out`` (default bench/results/<name>.md) and
    (optionally) log it."""
    print(text)
    out = ROOT / "bench" / "results" / f"{name}.md" if out is None else out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n")
    if log:
        log_benchmark(name, metrics, out)
    return out
