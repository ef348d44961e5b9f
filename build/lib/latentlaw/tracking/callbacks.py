"""Lightning -> MLflow: per-epoch metrics into the active run."""

from __future__ import annotations

import mlflow
import pytorch_lightning as pl


class MlflowEpochMetrics(pl.Callback):
    """Logs every epoch-level metric Lightning collected, with the epoch as step.

    Used instead of Lightning's MLFlowLogger because that logger ends the run itself when
    training stops; latentlaw keeps logging (plots, model, test metrics) afterwards and owns
    the run's final status.
    """

    def _log(self, trainer: pl.Trainer) -> None:
        if trainer.sanity_checking:
            return
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
        if trainer.optimizers:
            metrics["lr"] = float(trainer.optimizers[0].param_groups[0]["lr"])
        if metrics:
            mlflow.log_metrics(metrics, step=trainer.current_epoch)

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._log(trainer)
