"""analyze.py analysis=features: the latent x feature tables, importance and redundancy, on inputs
whose answer is known by construction (a hand-masked autoencoder and hand-written equations)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import torch

from conftest import compose
from latentlaw.analysis import AnalysisError, run_report
from latentlaw.analysis.features import (RunFeatures, combine_seeds, dead_and_copies, equation_matrices,
                                         equation_structure, feature_table)
from latentlaw.analysis.runs import choose_datasets
from latentlaw.symbolic.parse_sympy import parse_sympy
from latentlaw.tracking import log_json, log_model, record, tracked_run

NAMES = [f"x{i}" for i in range(12)]
# x1 is noise while x10..x11 exist: a substring count would call x1 used whenever x10 is.
INFORMATIVE = ["x0", "x2", "x3", "x4", "x5", "x10"]
NOISE = ["x1", "x6", "x7", "x8", "x9", "x11"]
EQUATIONS = ["x0 + 0.5*sin(x10)", "x2*x3", "x4 + x5**2", "2*x0 + sin(x10)", "1.0"]


def known_table(n: int, seed: int, names: list[str] = NAMES, informative: list[str] = INFORMATIVE) -> np.ndarray:
    """Standardised table: informative columns are smooth functions of 3 hidden factors, the rest
    independent Gaussian noise."""
    rng = np.random.default_rng(seed)
    f = rng.uniform(-1, 1, (n, 3))
    smooth = [f[:, 0], f[:, 1], f[:, 2], np.sin(2 * f[:, 0]), f[:, 1] ** 2 + f[:, 2], f[:, 0] * f[:, 2],
              np.tanh(f[:, 1] + f[:, 2]), np.cos(2 * f[:, 2])]
    X = rng.normal(size=(n, len(names)))
    for j, name in enumerate(informative):
        X[:, names.index(name)] = smooth[j % len(smooth)]
    return ((X - X.mean(0)) / X.std(0)).astype(np.float32)


def masked_autoencoder(X: np.ndarray, seed: int):
    """An autoencoder whose encoder cannot see the noise columns; latent 3 copies latent 0 and latent 4
    is dead, so every per-latent verdict has a known answer."""
    from latentlaw.models.autoencoder import Autoencoder

    torch.manual_seed(seed)
    model = Autoencoder(in_features=len(NAMES), hidden=[16], latent_size=5)
    noise = [NAMES.index(n) for n in NOISE]
    first, last = model.encoder[0], model.encoder[-1]
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    x = torch.as_tensor(X)

    def constrain() -> None:
        with torch.no_grad():
            first.weight[:, noise] = 0.0
            last.weight[3], last.bias[3] = 2 * last.weight[0], last.bias[0] + 1
            last.weight[4], last.bias[4] = 0.0, 0.5

    for _ in range(250):
        constrain()
        optimizer.zero_grad()
        torch.mean((model(x) - x) ** 2).backward()
        optimizer.step()
    constrain()
    return model.eval()


def log_train_run(dataset: str, seed: int, names: list[str], X: np.ndarray | None = None, model=None,
                  latent_size: int = 5, test_loss: float | None = None) -> str:
    tags = {record.TASK: record.TASK_TRAIN, record.DATA_KIND: "table", record.DATASET: dataset,
            record.SEED: str(seed), record.LATENT_SIZE: str(latent_size)}
    with tracked_run(f"{dataset}-seed{seed}-d{latent_size}", tags) as run, tempfile.TemporaryDirectory() as tmp:
        log_json({"name": dataset, "kind": "table", "variables": names, "ground_truth": []}, record.DATASET_ARTIFACT)
        if X is not None:
            path = Path(tmp) / Path(record.HELDOUT_ARTIFACT).name
            np.savez_compressed(path, X=X)
            mlflow.log_artifact(str(path), artifact_path=str(Path(record.HELDOUT_ARTIFACT).parent))
        if model is not None:
            log_model(model)
        if test_loss is not None:
            mlflow.log_metric(record.TEST_LOSS_METRIC, test_loss)
    return run.info.run_id


def log_explain_run(train_run: str, equations: list[str]) -> str:
    tags = {record.TASK: record.TASK_EXPLAIN, record.TRAIN_RUN: train_run, record.EXPLAINER: "symbolic_gradient"}
    with tracked_run("explain-toy", tags) as run:
        mlflow.log_table({"neuron": list(range(len(equations))), "equation": equations}, record.EQUATIONS_TABLE)
    return run.info.run_id


def analysis_runs() -> int:
    return len(mlflow.search_runs(filter_string=record.search_filter({record.TASK: record.TASK_ANALYZE}),
                                  search_all_experiments=True))


# --- pure logic ---------------------------------------------------------------------------------
def test_usage_is_read_from_free_symbols_not_substrings():
    X = known_table(200, 0)
    used, share = equation_matrices({0: parse_sympy("x10 + 3*x11", NAMES)}, X.astype(np.float64), NAMES, 2)
    assert [n for n, u in zip(NAMES, used[0]) if u] == ["x10", "x11"]  # not x1
    assert np.isclose(share[0].sum(), 1.0) and share[0, NAMES.index("x1")] == 0.0
    # d/dx11 = 3, d/dx10 = 1 everywhere: energy shares 9/10 and 1/10 (exact up to float rounding)
    assert share[0, NAMES.index("x11")] == pytest.approx(0.9, abs=1e-12)
    assert np.isnan(share[1]).all() and not used[1].any()  # latent 1 has no equation


@pytest.mark.parametrize("text, kind, pairs", [
    ("2*x0 - x10 + 1", "linear", []),
    ("sin(x0) + x10**2", "additive", []),
    ("x0*x10 + x2", "interacting", [("x0", "x10")]),
    ("exp(x2 + x3) + x0", "interacting", [("x2", "x3")]),
    ("log(exp(x0)*exp(x2))", "linear", []),  # zero mixed derivative found numerically, not by form
    ("0.5", "constant", []),
])
def test_equation_structure(text, kind, pairs):
    X = known_table(300, 1).astype(np.float64)
    assert equation_structure(parse_sympy(text, NAMES), NAMES, X) == (kind, pairs)


def test_dead_and_copied_latents():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(size=500)
    Z = np.column_stack([a, b, -3 * a + 1, np.full(500, 2.0), b + 0.5 * a])
    dead, copies = dead_and_copies(Z, 1e-3, 0.99)
    assert dead.tolist() == [False, False, False, True, False]
    assert copies == [None, None, 0, None, None]


def test_feature_table_weights_latents_and_combines_seeds():
    # two latents over features a, b, c, e; latent 1 carries 3x the reconstruction of latent 0
    saliency = np.array([[0.7, 0.2, 0.0, 0.1], [0.0, 0.8, 0.1, 0.1]])
    share = np.array([[0.9, 0.0, 0.0, 0.1], [np.nan] * 4])  # latent 1 unexplained: judged by saliency alone
    used = np.array([[True, False, False, True], [False] * 4])
    r2 = np.array([1.0, 0.8, 0.9, 0.05])  # e is not reconstructed
    run = RunFeatures("0", saliency, used, share, np.array([0.25, 0.75]), pd.DataFrame({"dead": [False, False]}), r2)
    table = feature_table(run, ["a", "b", "c", "e"], saliency_threshold=0.2, reconstruction_threshold=0.1)
    expected_saliency = 0.25 * saliency[0] + 0.75 * saliency[1]
    assert np.allclose(table["saliency"], expected_saliency)
    assert np.allclose(table["importance"], np.clip(r2, 0, 1) * (0.25 * 0.5 * (saliency[0] + share[0])
                                                                + 0.75 * saliency[1]))
    assert table["equations_using"].tolist() == [1, 0, 0, 1]
    # c: in no equation and saliency 0.075 < 0.2 x 0.65 (b's); e: thrown away though an equation uses it
    assert table["redundant"].tolist() == [False, False, True, True]
    other = table.assign(redundant=[False, False, False, True], importance=table["importance"] + [0, 0.3, 0, 0])
    combined = combine_seeds([table, other])
    assert list(combined.columns[:5]) == ["feature", "importance", "saliency", "equations_using", "redundant"]
    assert combined["feature"].tolist() == ["b", "a", "c", "e"]  # most important first
    assert combined.set_index("feature")["redundant_seeds"].to_dict() == {"a": 0.0, "b": 0.0, "c": 0.5, "e": 1.0}
    assert combined.set_index("feature")["equations_using"]["a"] == 2


def test_choosing_a_dataset():
    empty = pd.DataFrame(columns=["run_id", "dataset"])
    with pytest.raises(AnalysisError, match="no finished autoencoder.*python train.py"):
        choose_datasets(empty, None, "features")
    two = pd.DataFrame({"run_id": ["1", "2"], "dataset": ["a", "b"]})
    with pytest.raises(AnalysisError, match=r"several datasets \['a', 'b'\].*analysis.dataset=a"):
        choose_datasets(two, None, "features")
    with pytest.raises(AnalysisError, match="no finished autoencoder runs of dataset"):
        choose_datasets(two, "c", "features")
    assert choose_datasets(two, ["a", "b"], "reconstruction", several=True) == ["a", "b"]


# --- through the store --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def toy_store(mlflow_store) -> dict[str, list[str]]:
    torch.set_num_threads(1)
    runs = []
    for seed in (0, 1):
        model = masked_autoencoder(known_table(400, seed), seed)
        train_run = log_train_run("toy_features", seed, NAMES, known_table(300, 10 + seed), model)
        log_explain_run(train_run, EQUATIONS)
        runs.append(train_run)
    return {"train": runs}


def test_features_report_finds_the_noise_columns(toy_store):
    report = run_report(compose("analyze", ["analysis=features", "analysis.dataset=toy_features", "analysis.n_rows=300"]))
    table = report.data
    csv = pd.read_csv(mlflow.artifacts.download_artifacts(run_id=report.run_id, artifact_path=record.FEATURE_IMPORTANCE))
    assert list(csv.columns[:5]) == ["feature", "importance", "saliency", "equations_using", "redundant"]
    assert list(csv["importance"]) == sorted(csv["importance"], reverse=True)
    assert set(csv.loc[csv["redundant"], "feature"]) == set(NOISE)
    assert set(csv["feature"].head(len(INFORMATIVE))) == set(INFORMATIVE)
    # the encoder never sees a noise column and no equation uses one: both shares are exactly 0
    assert (table.set_index("feature").loc[NOISE, ["saliency", "importance"]] == 0).all().all()
    # reconstructed from latents blind to them, noise columns keep none of their held-out variance
    # (R^2 <= 0 up to sampling: 300 rows, so a few hundredths either way)
    assert (table.set_index("feature").loc[NOISE, "reconstruction_r2"] < 0.05).all()
    assert (table.set_index("feature").loc[INFORMATIVE, "reconstruction_r2"] > 0.2).all(), table
    # equations of latents 0 and 3 (a copy, not dead) use x10, in both seeds
    assert table.set_index("feature").loc["x10", "equations_using"] == 2 * 2
    latents = report.extra["latents"]
    first = latents[latents["seed"] == "0"].set_index("latent")
    assert first.loc[1, "structure"] == "interacting" and first.loc[1, "interactions"] == "x2*x3"
    assert first.loc[0, "structure"] == "additive" and first.loc[2, "structure"] == "additive"
    assert first.loc[3, "copy_of"] == "0" and bool(first.loc[4, "dead"])
    files = {a.path for a in mlflow.artifacts.list_artifacts(run_id=report.run_id, artifact_path="features")}
    assert {record.FEATURE_IMPORTANCE, record.FEATURE_IMPORTANCE_PLOT, record.LATENT_TABLE,
            record.LATENT_FEATURE_TABLE, record.feature_heatmap("0"), record.feature_heatmap("1")} <= files
    run = mlflow.get_run(report.run_id)
    assert run.info.status == "FINISHED" and run.data.metrics["n_redundant"] == len(NOISE)
    assert "x1" in report.text and "interacting (x2*x3)" in report.text


def test_bad_inputs_are_refused_before_an_analysis_run_exists(toy_store):
    before = analysis_runs()
    # a second dataset in the store: the user has to choose
    log_train_run("toy_nameless", 0, [], known_table(50, 0), None)
    with pytest.raises(AnalysisError, match="several datasets.*analysis.dataset="):
        run_report(compose("analyze", ["analysis=features"]))
    with pytest.raises(AnalysisError, match="has a finished explain run"):
        run_report(compose("analyze", ["analysis=features", "analysis.dataset=toy_nameless"]))
    log_explain_run(mlflow.search_runs(filter_string=record.search_filter({record.DATASET: "toy_nameless"}),
                                       search_all_experiments=True)["run_id"].iloc[0], ["1.0"])
    with pytest.raises(AnalysisError, match="records no feature names"):
        run_report(compose("analyze", ["analysis=features", "analysis.dataset=toy_nameless"]))
    with pytest.raises(AnalysisError, match="latent size 7"):
        run_report(compose("analyze", ["analysis=features", "analysis.dataset=toy_features", "analysis.latent_size=7"]))
    bad = log_train_run("toy_badformula", 0, NAMES, known_table(50, 0), masked_autoencoder(known_table(50, 0), 0))
    log_explain_run(bad, ["__import__('os').getcwd()"])
    with pytest.raises(AnalysisError, match="refusing equation of latent 0"):
        run_report(compose("analyze", ["analysis=features", "analysis.dataset=toy_badformula"]))
    assert analysis_runs() == before
