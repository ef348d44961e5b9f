"""Lightning callbacks for Optuna trials: which MLflow run a trial is, and pruning."""

from __future__ import annotations

from typing import Any

import mlflow
import pytorch_lightning as pl

from latentlaw.tracking import record
from latentlaw.tracking.study import PRUNED_ATTR, RUN_ID_ATTR


class RecordTrialRun(pl.Callback):
    """Tells the trial which MLflow run it is, so the study run can point at its best trial."""

    def __init__(self, trial: Any) -> None:
        super().__init__()
        self.trial = trial

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        active = mlflow.active_run()
        if active is not None:
            self.trial.set_user_attr(RUN_ID_ATTR, active.info.run_id)


class PruneOnValidation(RecordTrialRun):
    """Reports a validation metric to Optuna every epoch and stops training when the pruner says so.

    Ours because optuna-integration's PyTorchLightningPruningCallback imports the ``lightning``
    package, and latentlaw trains with ``pytorch_lightning``, whose Trainer refuses the other
    namespace's callbacks. It stops training (``should_stop``) instead of raising TrialPruned,
    so the run still logs its test metrics and model and ends FINISHED, tagged
    ``latentlaw.trial.state=pruned``; the sweeper tells Optuna the trial was pruned. The
    metric must improve in the study's direction (e.g. val_triplet_accuracy for maximize).
    """

    def __init__(self, trial: Any, monitor: str) -> None:
        super().__init__(trial)
        self.monitor = monitor

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        if trainer.sanity_checking:
            return
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            raise KeyError(f"hydra.sweeper.prune_on={self.monitor!r} is not a metric this model logs; "
                           f"available: {sorted(trainer.callback_metrics)}. Set prune_on to one of them or null.")
        epoch = int(trainer.current_epoch)
        self.trial.report(float(value), step=epoch)
        if self.trial.should_prune():
            self.trial.set_user_attr(PRUNED_ATTR, epoch)
            mlflow.set_tags({record.TRIAL_STATE: record.TRIAL_PRUNED, record.PRUNED_AT_EPOCH: str(epoch)})
            trainer.should_stop = True
