"""Runs always end in a final state; models come back from the run id alone."""

from __future__ import annotations

import sys
from contextlib import nullcontext

import mlflow
import pytest
import torch

from latentlaw.models import SiameseNetwork
from latentlaw.tracking import load_model, log_model, tracked_run
from latentlaw.tracking.store import artifact_root_for, resolve_tracking_uri


def test_uri_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    assert resolve_tracking_uri("sqlite:///x.db", tmp_path) == "sqlite:///x.db"
    assert resolve_tracking_uri(None, tmp_path) == "http://127.0.0.1:5000"
    monkeypatch.delenv("MLFLOW_TRACKING_URI")
    assert resolve_tracking_uri(None, tmp_path) == f"sqlite:///{tmp_path.resolve()}/mlruns/mlflow.db"


def test_artifacts_of_a_sqlite_store_live_beside_it(tmp_path):
    assert artifact_root_for(f"sqlite:///{tmp_path}/mlflow.db") == (tmp_path / "artifacts").as_uri()
    assert artifact_root_for("http://server:5000") is None


@pytest.mark.parametrize("error, status", [(None, "FINISHED"), (RuntimeError("boom"), "FAILED"),
                                           (KeyboardInterrupt(), "KILLED")])
def test_run_status_is_final(mlflow_store, error, status):
    with pytest.raises(type(error)) if error else nullcontext():
        with tracked_run("status-test") as run:
            mlflow.log_metric("x", 1.0)
            if error:
                raise error
    assert mlflow.get_run(run.info.run_id).info.status == status


def test_a_ctrl_c_that_lightning_turns_into_an_exit_still_ends_killed(mlflow_store):
    """Lightning's fit catches KeyboardInterrupt, shuts down and calls sys.exit(1) in its handler."""
    def fit() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            sys.exit(1)

    with pytest.raises(SystemExit):
        with tracked_run("lightning-ctrl-c") as run:
            fit()
    assert mlflow.get_run(run.info.run_id).info.status == "KILLED"
    with pytest.raises(SystemExit):
        with tracked_run("plain-exit") as other:
            sys.exit(2)  # an exit of its own is a failure
    assert mlflow.get_run(other.info.run_id).info.status == "FAILED"


def test_model_round_trip_reproduces_latents_exactly(mlflow_store):
    torch.manual_seed(1)
    model = SiameseNetwork(in_features=3, hidden=[16, 16]).eval()
    with tracked_run("model-test") as run:
        log_model(model)
    loaded = load_model(run.info.run_id)
    state, again = model.state_dict(), loaded.state_dict()
    assert state.keys() == again.keys() and all(torch.equal(state[k], again[k]) for k in state)  # copied bits
    # Same weights and inputs; the products are re-summed by BLAS, which may pick another kernel for
    # another tensor's memory (MKL without CNR mode): float32's default tolerance, not bit equality.
    x = torch.randn(50, 3)
    torch.testing.assert_close(loaded.encode(x), model.encode(x))
    assert dict(loaded.hparams) == dict(model.hparams)


def test_missing_model_is_a_clear_error(mlflow_store):
    with tracked_run("no-model") as run:
        pass
    with pytest.raises(LookupError, match="no model artifact"):
        load_model(run.info.run_id)
