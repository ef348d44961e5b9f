"""The MLflow UI in a real (headless) browser: what a reader sees on the run pages.

Slow: trains a tiny model, explains it, starts `mlflow ui` on a free loopback port and reads the
DOM Chromium renders. Installs Debian's `chromium` where missing (scripts/install_services.sh).
Screenshots are left in the test's tmp folder (printed) as artefacts; LATENTLAW_SCREENSHOTS=<dir>
copies them there (how README's docs/ui_*.png were made).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import mlflow
import pytest

from conftest import ROOT, install_service
from latentlaw.tracking import record

pytestmark = pytest.mark.slow

TINY = ["trainer.max_epochs=3", "dataset.n_train=1000", "dataset.n_val=200", "dataset.n_test=300",
        "trainer.enable_progress_bar=false"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _render(url: str, screenshot: Path) -> str:
    """The DOM after the page's scripts ran (15 s of virtual time), and a screenshot."""
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000",
            "--window-size=1400,1000"]
    subprocess.run([*base, f"--screenshot={screenshot}", url], capture_output=True, timeout=120)
    return subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    if shutil.which("chromium") is None:
        install_service("chromium")
    folder = tmp_path_factory.mktemp("ui")
    store = f"sqlite:///{folder / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": store}
    for script, args in (("train.py", ["experiment=paper/07_harmonic", *TINY]),
                         ("explain.py", ["searcher.timeout_in_seconds=2", "searcher.verbosity=0"])):
        proc = subprocess.run([sys.executable, str(ROOT / script), *args, f"hydra.run.dir={folder}/{script}"],
                              env=env, cwd=folder, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    port = _free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "mlflow"), "ui", "--backend-store-uri", store,
                               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                              env={**env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}, cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail("mlflow ui did not start within 120 s")
        mlflow.set_tracking_uri(store)
        explain_run = mlflow.search_runs(filter_string=record.search_filter({record.TASK: record.TASK_EXPLAIN}),
                                         search_all_experiments=True, output_format="list")[0]
        print(f"screenshots in {folder}")
        yield f"http://127.0.0.1:{port}", explain_run, folder
    finally:
        server.terminate()
        server.wait(timeout=30)
        keep = os.environ.get("LATENTLAW_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for shot in folder.glob("*.png"):
                shutil.copy(shot, Path(keep) / f"ui_{shot.name}")


def test_explain_run_page_shows_equation_verdict_and_parent(ui):
    base, run, folder = ui
    url = f"{base}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}?workflowType=machine_learning"
    dom = _render(url, folder / "explain_run.png")
    equation = run.data.tags[record.EQUATION]
    assert equation in dom  # in the description (and the tag)
    assert ("recovered" in dom) and ("alignment" in dom)
    parent = mlflow.get_run(run.data.tags["mlflow.parentRunId"])
    assert "Parent run" in dom and parent.info.run_name in dom
    assert "Model training" in dom  # the machine-learning view, not GenAI's


def test_training_run_page_shows_description_dataset_and_child(ui):
    base, run, folder = ui
    parent_id = run.data.tags["mlflow.parentRunId"]
    url = f"{base}/#/experiments/{run.info.experiment_id}/runs/{parent_id}?workflowType=machine_learning"
    dom = _render(url, folder / "training_run.png")
    assert "Child runs" in dom and run.info.run_name in dom
    assert "Harmonic oscillator" in dom  # the dataset's description, in the run's description
    dataset = mlflow.get_run(parent_id).inputs.dataset_inputs[0].dataset
    assert f"{dataset.name} ({dataset.digest})" in dom  # the dataset input, named, with its digest
    assert "heldout" in dom.lower()  # its context (shown capitalised)


def test_pareto_chart_and_front_table_render(ui):
    base, run, folder = ui
    page = f"{base}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}/artifacts"
    chart = _render(f"{page}/{record.pareto_plot(0)}?workflowType=machine_learning", folder / "pareto.png")
    assert f'alt="{record.pareto_plot(0)}"' in chart and "blob:" in chart  # the image was fetched and shown
    table = _render(f"{page}/{record.front_table(0)}?workflowType=machine_learning", folder / "front.png")
    assert ">complexity<" in table and ">equation<" in table
    assert run.data.tags[record.EQUATION] in table  # the selected row is in the table
