"""The features report's acceptance check, end to end (slow: trains and explains three seeds).

A table with known structure (columns that are smooth functions of 3 hidden factors, and columns of
pure independent noise) goes through train.py's task (table_file, autoencoder with latent size 3,
trainer=fast, seeds 0, 1, 2) and explain.py's task; the features report must rank the informative
columns above the noise (ROC AUC >= 0.95) and call the noise columns redundant (precision and
recall >= 0.8).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import compose
from latentlaw.analysis import run_report
from latentlaw.tasks.explain import explain
from latentlaw.tasks.train import train

N_ROWS = 25_000  # trainer=fast asks for 20,000 + 2,000 + 3,000 rows


def structured_table(n: int, seed: int = 0) -> pd.DataFrame:
    """8 informative columns (smooth functions of 3 factors) and 8 independent noise columns, shuffled."""
    rng = np.random.default_rng(seed)
    f = rng.uniform(-1, 1, (n, 3))
    informative = {
        "height": f[:, 0], "slope": f[:, 1], "aspect": f[:, 2], "shade": np.sin(2 * f[:, 0]),
        "wet": f[:, 1] ** 2 + f[:, 2], "mix": f[:, 0] * f[:, 2], "soft": np.tanh(f[:, 1] + f[:, 2]),
        "wave": np.cos(2 * f[:, 2]),
    }
    noise = {f"noise{i}": rng.normal(size=n) for i in range(8)}
    frame = pd.DataFrame({**informative, **noise})
    order = rng.permutation(frame.columns)
    return frame[order]


@pytest.mark.slow
def test_features_report_separates_informative_from_noise_columns(mlflow_store, tmp_path):
    from sklearn.metrics import roc_auc_score

    table = structured_table(N_ROWS)
    path = tmp_path / "structured.csv"
    table.to_csv(path, index=False)
    for seed in (0, 1, 2):
        metrics = train(compose("train", ["dataset=table_file", f"dataset.path={path}", "dataset.name=structured",
                                          "model=autoencoder", "model.latent_size=3", "trainer=fast",
                                          "trainer.enable_progress_bar=false", f"seed={seed}"]))
        explain(compose("explain", [f"train_run={metrics['run_id']}", "searcher.timeout_in_seconds=20",
                                    "searcher.verbosity=0", "n_jobs=1"]))
    report = run_report(compose("analyze", ["analysis=features", "analysis.dataset=structured"]))
    result = report.data.set_index("feature")
    noisy = np.array([c.startswith("noise") for c in result.index])
    auc = roc_auc_score(~noisy, result["importance"])
    called = result["redundant"].to_numpy()
    precision = (called & noisy).sum() / max(called.sum(), 1)
    recall = (called & noisy).sum() / noisy.sum()
    print(report.text)
    print(f"AUC {auc:.3f}, redundant precision {precision:.2f}, recall {recall:.2f}")
    assert auc >= 0.95
    assert precision >= 0.8 and recall >= 0.8
