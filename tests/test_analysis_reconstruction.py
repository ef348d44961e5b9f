"""analyze.py analysis=reconstruction: the knee, the law and its refusals, on runs logged directly."""

from __future__ import annotations

import json

import mlflow
import numpy as np
import pytest

from conftest import compose
from latentlaw.analysis import AnalysisError, run_report
from latentlaw.analysis.reconstruction import knee_latent_size
from latentlaw.tracking import record
from test_analysis_features import analysis_runs, log_train_run

# A tiny search bounded by iterations (not time, so any CPU finds the same law); the timeout is a cap.
FAST = ["analysis.search.timeout_in_seconds=60", "analysis.search.niterations=2", "analysis.search.populations=2",
        "analysis.search.population_size=15", "+analysis.search.ncycles_per_iteration=30"]


def test_knee_on_a_three_factor_curve():
    sizes, errors = [1, 2, 3, 4, 5], [0.50, 0.16, 0.020, 0.0004, 0.0003]
    # per-latent cuts 68%, 88%, 98%, 25%: the first below one half is the step 4 -> 5
    assert knee_latent_size(sizes, errors, 0.5) == 4
    assert knee_latent_size(sizes, errors, 0.7) == 1  # 1 -> 2 cuts 68% < 70%
    assert knee_latent_size(sizes, errors, 0.2) is None  # every step still cuts more than 20%
    # gaps between measured sizes are judged per latent: 1 -> 4 halves the error per latent
    assert knee_latent_size([1, 4, 8], [0.8, 0.1, 0.09], 0.4) == 4
    assert knee_latent_size([1, 4, 8], [0.8, 0.1, 0.09], 0.6) == 1
    assert knee_latent_size([2, 1], [0.1, 0.5], 0.5) is None  # order of the input does not matter


def test_reconstruction_law_from_a_sweep(mlflow_store):
    rng = np.random.default_rng(0)
    for size in (1, 2, 3, 4, 6):
        for seed in (0, 1):
            loss = (0.5 * np.exp(-1.5 * size) + 0.004) * (1 + 0.01 * rng.normal())
            log_train_run("toy_recon", seed, [f"c{i}" for i in range(10)], latent_size=size, test_loss=float(loss))
    before = analysis_runs()
    report = run_report(compose("analyze", ["analysis=reconstruction", "analysis.dataset=toy_recon", *FAST]))
    assert analysis_runs() == before + 1
    law = json.loads(mlflow.artifacts.load_text(f"runs:/{report.run_id}/{record.RECONSTRUCTION_LAW}"))
    assert {"equation", "r2_holdout", "knee_latent_size"} <= set(law)
    assert law["latent_sizes"] == [1, 2, 3, 4, 6] and law["n_runs"] == 10 and law["variables"] == ["d"]
    # an exponential decay to a floor, 1% noise: any law the search keeps fits the runs closely
    assert law["r2_train"] > 0.95, law
    assert np.isfinite(law["r2_holdout"])
    # noiseless per-latent cuts 75%, 67%, 45% (3 -> 4), 14%: the knee is 3; 1% noise moves a cut by ~2%
    assert law["knee_latent_size"] == 3
    files = {a.path for a in mlflow.artifacts.list_artifacts(run_id=report.run_id, artifact_path="reconstruction")}
    assert {record.RECONSTRUCTION_LAW, record.RECONSTRUCTION_PLOT, record.RECONSTRUCTION_RUNS} <= files
    assert mlflow.get_run(report.run_id).info.status == "FINISHED"
    assert "leave-one-size-out R^2" in report.text


def test_one_law_across_datasets_uses_the_compression_ratio(mlflow_store):
    for name, width in (("toy_narrow", 8), ("toy_wide", 32)):
        for size in (1, 2, 4):
            log_train_run(name, 0, [f"c{i}" for i in range(width)], latent_size=size,
                          test_loss=float(np.exp(-4.0 * size / width)))
    report = run_report(compose("analyze", ["analysis=reconstruction", "analysis.dataset=[toy_narrow,toy_wide]", *FAST]))
    law = report.data
    assert law["variables"] == ["d", "ratio", "n_features"] and law["n_features"] == {"toy_narrow": 8, "toy_wide": 32}
    runs = report.extra["runs"]
    assert np.allclose(runs["ratio"], runs["latent_size"] / runs["n_features"])
    # per-latent cuts are 1 - exp(-4/width): 39% on 8 columns, 12% on 32, so both knees sit at size 1
    assert law["knee_latent_size"] == {"toy_narrow": 1, "toy_wide": 1}
    assert set(law["grid"]) == {"toy_narrow", "toy_wide"}


def test_bad_sweeps_are_refused_before_an_analysis_run_exists(mlflow_store):
    log_train_run("toy_one_size", 0, ["a", "b"], latent_size=2, test_loss=0.1)
    log_train_run("toy_one_size", 1, ["a", "b"], latent_size=2, test_loss=0.12)
    log_train_run("toy_no_names", 0, [], latent_size=1, test_loss=0.3)
    log_train_run("toy_no_names", 0, [], latent_size=2, test_loss=0.2)
    before = analysis_runs()
    with pytest.raises(AnalysisError, match=r"single latent size \[2\].*model.latent_size=1,2,4"):
        run_report(compose("analyze", ["analysis=reconstruction", "analysis.dataset=toy_one_size", *FAST]))
    with pytest.raises(AnalysisError, match="several datasets.*analysis.dataset=.*or a list"):
        run_report(compose("analyze", ["analysis=reconstruction", *FAST]))
    with pytest.raises(AnalysisError, match="records no feature names"):
        run_report(compose("analyze", ["analysis=reconstruction", "analysis.dataset=toy_no_names", *FAST]))
    with pytest.raises(AnalysisError, match="no finished autoencoder runs of dataset"):
        run_report(compose("analyze", ["analysis=reconstruction", "analysis.dataset=never_trained", *FAST]))
    with pytest.raises(AnalysisError, match="knee_share must be in"):
        run_report(compose("analyze", ["analysis=reconstruction", "analysis.knee_share=1.5", *FAST]))
    assert analysis_runs() == before
