"""A training run that crashed mid-way resumes from its checkpoint to the uninterrupted result."""

from __future__ import annotations

import pytest
import pytorch_lightning as pl

from conftest import compose

SMALL = ["dataset.n_train=1000", "dataset.n_val=200", "dataset.n_test=300", "trainer.max_epochs=4",
         "tracking.checkpoint_every_n_epochs=2", "trainer.enable_progress_bar=false", "loader.batch_size=128"]


class CrashAtEpoch(pl.Callback):
    """Stands in for a crash: fails when the given epoch starts."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.current_epoch == self.epoch:
            raise RuntimeError(f"simulated crash at epoch {self.epoch}")


def test_crashed_training_resumes_to_the_uninterrupted_metrics(mlflow_store, monkeypatch):
    import mlflow

    from latentlaw.tasks import train as train_task
    from latentlaw.tracking import record

    overrides = SMALL + [f"tracking.uri={mlflow_store}"]
    uninterrupted = train_task.train(compose("train", overrides))

    plain = train_task.training_callbacks
    monkeypatch.setattr(train_task, "training_callbacks", lambda cfg: plain(cfg) + [CrashAtEpoch(3)])
    with pytest.raises(RuntimeError, match="simulated crash"):
        train_task.train(compose("train", overrides))
    monkeypatch.setattr(train_task, "training_callbacks", plain)
    crashed = mlflow.search_runs(order_by=["attributes.start_time DESC"], max_results=1, output_format="list")[0]
    assert crashed.info.status == "FAILED"
    assert crashed.data.tags[record.TRAIN_CHECKPOINT_EPOCH] == "2"

    # The resumed run takes everything but the store from its own logged config: a wrong
    # dataset size here would change the result if it were used.
    resumed = train_task.train(compose("train", [f"tracking.uri={mlflow_store}", "dataset.n_train=50",
                                                 f"resume={crashed.info.run_id}"]))
    assert resumed["run_id"] == crashed.info.run_id
    final = mlflow.get_run(crashed.info.run_id)
    assert final.info.status == "FINISHED"
    assert final.data.tags[record.RESUMED] == "1" and record.ERROR not in final.data.tags
    assert final.data.params["dataset.n_train"] == "1000"
    # Same seed, same batches, same float32 arithmetic on the same CPU: the results agree to
    # float32 rounding (a few ulps of accumulated difference at most, hence rtol 1e-5).
    for key in ("test_loss", "test_triplet_accuracy", "spearman_abs"):
        assert resumed[key] == pytest.approx(uninterrupted[key], rel=1e-5, abs=1e-7), key
    assert resumed["epochs"] == uninterrupted["epochs"] == 4


def _cli(args: list[str], uri: str, **kwargs):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MLFLOW_TRACKING_URI": uri}
    return subprocess.Popen([sys.executable, str(ROOT / "train.py"), *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


@pytest.mark.slow
def test_training_killed_with_sigkill_resumes_to_the_uninterrupted_metrics(tmp_path):
    """kill -9 mid-training (no handler runs), then resume=: the same final metrics."""
    import os
    import signal
    import time

    from mlflow import MlflowClient

    from latentlaw.tracking import record

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["dataset.n_train=3000", "dataset.n_val=300", "dataset.n_test=500", "trainer.max_epochs=24",
            "tracking.checkpoint_every_n_epochs=3", "trainer.enable_progress_bar=false", "seed=5"]
    full = _cli(args, uri)
    out = full.communicate(timeout=600)[0]
    assert full.returncode == 0, out[-3000:]
    client = MlflowClient(uri)
    (reference,) = client.search_runs(["1"], "attributes.status = 'FINISHED'")

    victim = _cli(args, uri)
    run = None
    deadline = time.time() + 600
    while time.time() < deadline:
        runs = client.search_runs(["1"], f"tags.`{record.PID}` = '{victim.pid}'")
        if runs and int(runs[0].data.tags.get(record.TRAIN_CHECKPOINT_EPOCH, "0")) >= 9:
            run = runs[0]
            break
        time.sleep(0.5)
    assert run is not None, "the victim never wrote its third checkpoint"
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert client.get_run(run.info.run_id).info.status == "RUNNING"  # nothing ended it

    resume = _cli([f"resume={run.info.run_id}"], uri)
    out = resume.communicate(timeout=600)[0]
    assert resume.returncode == 0, out[-3000:]
    final = client.get_run(run.info.run_id)
    assert final.info.status == "FINISHED" and final.data.tags[record.RESUMED] == "1"
    history = client.get_metric_history(run.info.run_id, "val_loss")
    assert max(m.step for m in history) == 23
    for key in ("test_loss", "test_triplet_accuracy", "spearman_abs"):
        # float32 training on the same CPU: only rounding-level differences are allowed.
        assert final.data.metrics[key] == pytest.approx(reference.data.metrics[key], rel=1e-5, abs=1e-7), key
        print(f"{key}: uninterrupted {reference.data.metrics[key]!r} resumed {final.data.metrics[key]!r} "
              f"difference {final.data.metrics[key] - reference.data.metrics[key]:.3g}")
