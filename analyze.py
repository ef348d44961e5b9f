"""Reports across runs, from MLflow alone: python analyze.py [analysis=recovery|features|reconstruction]."""

import os
from pathlib import Path

os.environ.setdefault("LATENTLAW_ROOT", str(Path(__file__).resolve().parent))
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402


@hydra.main(version_base="1.3", config_path="conf", config_name="analyze")
def main(cfg: DictConfig) -> float:
    from latentlaw.analysis import run_report

    report = run_report(cfg)
    print(report.text)
    if report.run_id:
        print(f"analysis run {report.run_id} (browse it with `make ui`)")
    return report.value


if __name__ == "__main__":
    main()
