"""Explain fronts reach the run while the search runs, and a killed explain resumes from them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, compose


def test_front_uploader_copies_changed_checkpoints_into_the_run(mlflow_store, tmp_path):
    import mlflow

    from latentlaw.tracking import configure_tracking, record
    from latentlaw.tracking.front_checkpoints import FrontUploader, checkpoint_paths, fetch_fronts

    configure_tracking(mlflow_store, ROOT, experiment_name="fronts-test")
    paths = checkpoint_paths(tmp_path, [0, 2])
    with mlflow.start_run() as run:
        with FrontUploader(run.info.run_id, paths, interval=0.2) as uploader:
            Path(paths[0]).write_text("complexity,loss,equation\n1,0.5,x\n")
            deadline = time.time() + 20
            while time.time() < deadline and not mlflow.artifacts.list_artifacts(
                    run_id=run.info.run_id, artifact_path=record.CHECKPOINTS_DIR):
                time.sleep(0.1)
            assert uploader.upload() == 0  # unchanged since the thread's upload
            time.sleep(0.01)
            Path(paths[0]).write_text("complexity,loss,equation\n1,0.5,x\n3,0.1,x*v\n")
        # the exit uploads the last version; neuron 2 never wrote a front
        names = {a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id,
                                                                  artifact_path=record.CHECKPOINTS_DIR)}
        assert names == {record.front_checkpoint(0)}
    back = checkpoint_paths(tmp_path / "back", [0, 2])
    (tmp_path / "back").mkdir()
    assert fetch_fronts(run.info.run_id, back) == [0]
    assert "x*v" in Path(back[0]).read_text() and not Path(back[2]).exists()


@pytest.mark.slow
def test_explain_killed_with_sigkill_resumes_from_its_uploaded_fronts(mlflow_store, capfd):
    import mlflow

    from latentlaw.tasks.explain import explain
    from latentlaw.tasks.train import train
    from latentlaw.tracking import record

    trained = train(compose("train", ["experiment=paper/07_harmonic", "trainer=fast", "trainer.max_epochs=15",
                                      "trainer.enable_progress_bar=false"]))
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MLFLOW_TRACKING_URI": mlflow_store}
    victim = subprocess.Popen([sys.executable, str(ROOT / "explain.py"), f"train_run={trained['run_id']}",
                               "searcher.timeout_in_seconds=30",
                               "tracking.upload_fronts_every_seconds=1"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_id, deadline = None, time.time() + 300
    while run_id is None and time.time() < deadline:
        time.sleep(1)
        for run in mlflow.search_runs(filter_string=f"tags.`{record.PID}` = '{victim.pid}'", output_format="list",
                                      search_all_experiments=True):
            if mlflow.artifacts.list_artifacts(run_id=run.info.run_id, artifact_path=record.CHECKPOINTS_DIR):
                run_id = run.info.run_id
    assert run_id is not None, "the explain run never uploaded a front checkpoint"
    time.sleep(5)  # a few more uploads: the search has a front worth resuming from
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    saved = mlflow.artifacts.load_text(f"runs:/{run_id}/{record.front_checkpoint(0)}")
    assert mlflow.get_run(run_id).info.status == "RUNNING"

    capfd.readouterr()
    summary = explain(compose("explain", [f"resume={run_id}", "searcher.timeout_in_seconds=1"]))
    out = capfd.readouterr().out
    assert summary["run_id"] == run_id
    n_saved = len(saved.strip().splitlines()) - 1
    assert f"{n_saved} seed expressions" in out  # the new search started from the uploaded front
    print(f"killed explain: {n_saved} front rows uploaded before kill -9; resumed -> {summary['neurons'][0]['equation']} "
          f"(alignment {summary['neurons'][0]['ground_truth_alignment']})")
    run = mlflow.get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags[record.RESUMED] == "1"
    assert run.data.tags[record.TRAIN_RUN] == trained["run_id"]
    # the logged config (30 s search, not the 1 s given on this command line) drove the resumed search
    assert float(run.data.metrics[record.SEARCH_SECONDS_METRIC]) > 20
