"""Explain a trained neuron as an equation: python explain.py [overrides], see README."""

import os
from pathlib import Path

os.environ.setdefault("LATENTLAW_ROOT", str(Path(__file__).resolve().parent))
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402


@hydra.main(version_base="1.3", config_path="conf", config_name="explain")
def main(cfg: DictConfig) -> float:
    from latentlaw.tasks.explain import explain, report

    summary = explain(cfg)
    print(report(summary))
    alignments = [r["ground_truth_alignment"] for r in summary["neurons"] if r["ground_truth_alignment"] is not None]
    return max(alignments) if alignments else float("nan")


if __name__ == "__main__":
    main()
