"""Train a Siamese network or autoencoder: python train.py [overrides], see README."""

import os
from pathlib import Path

os.environ.setdefault("LATENTLAW_ROOT", str(Path(__file__).resolve().parent))
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import hydra  # noqa: E402
from omegaconf import DictConfig  # noqa: E402


@hydra.main(version_base="1.3", config_path="conf", config_name="train")
def main(cfg: DictConfig) -> float:
    from hydra.core.hydra_config import HydraConfig

    from latentlaw.tasks.train import describe, optimized_metric, train

    experiment = HydraConfig.get().runtime.choices.get("experiment")
    metrics = train(cfg, experiment=experiment)
    print(f"trained {metrics['run_id']}: {describe(metrics)}")
    return optimized_metric(cfg, metrics)


if __name__ == "__main__":
    main()
