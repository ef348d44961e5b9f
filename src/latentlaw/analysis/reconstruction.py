"""Report ``reconstruction``: test reconstruction error as a closed-form law of the latent size.

Reads the finished autoencoder runs of one dataset (or several, named in ``analysis.dataset=[...]``) across
latent sizes and seeds, fits the error with latentlaw's own regression search, and judges the law
by leave-one-size-out R^2: each size's runs are predicted by a law searched without them, so a law
that only interpolates the sizes it saw scores low. Inputs: the latent size ``d``; with several
datasets also the compression ratio ``ratio`` = d / n_features and ``n_features``.

The knee is read from the measured per-size mean errors, not from the law: the smallest size k
from which one more latent removes less than ``knee_share`` of err(k). Between measured sizes k and
k' > k the per-latent share is 1 - (err(k')/err(k))^(1/(k'-k)), the constant per-latent cut that
compounds to the measured drop (for k' = k + 1 simply (err(k) - err(k+1)) / err(k)).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from latentlaw.analysis import AnalysisError, Report
from latentlaw.analysis.runs import autoencoder_runs, choose_datasets
from latentlaw.tracking import record

log = logging.getLogger(__name__)

SWEEP_EXAMPLE = ("python train.py -m model=autoencoder dataset={dataset} trainer=fast "
                 "model.latent_size=1,2,4,8,16,32 seed=0,1,2")


def knee_latent_size(sizes: list[int] | np.ndarray, errors: list[float] | np.ndarray, share: float) -> int | None:
    """The smallest measured size k whose step to the next measured size cuts, per added latent, less
    than ``share`` of err(k); None when every step still cuts more (train larger latents)."""
    order = np.argsort(sizes)
    sizes, errors = np.asarray(sizes, dtype=float)[order], np.asarray(errors, dtype=float)[order]
    for (k, err), (k_next, err_next) in zip(zip(sizes, errors), zip(sizes[1:], errors[1:])):
        if err <= 0:
            return int(k)
        per_latent = 1.0 - (max(err_next, 0.0) / err) ** (1.0 / (k_next - k))
        if per_latent < share:
            return int(k)
    return None


def per_size_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean, std and count of the test error per (dataset, latent size)."""
    grouped = runs.groupby(["dataset", "latent_size"])["test_loss"]
    curve = pd.DataFrame({"mean_error": grouped.mean(), "std_error": grouped.std(ddof=0), "n_runs": grouped.size()})
    return curve.reset_index().sort_values(["dataset", "latent_size"]).reset_index(drop=True)


def select_runs(cfg: DictConfig) -> tuple[list[str], pd.DataFrame]:
    """The runs to fit, one row each with latent_size, n_features, test_loss; or an AnalysisError."""
    from latentlaw.tracking.lookup import load_json_artifact

    metric = str(cfg.analysis.metric)
    runs = autoencoder_runs()
    datasets = choose_datasets(runs, cfg.analysis.get("dataset"), "reconstruction", several=True)
    runs = runs[runs["dataset"].isin(datasets) & runs["latent_size"].notna()].copy()
    if metric != record.TEST_LOSS_METRIC:
        import mlflow

        runs["test_loss"] = [mlflow.get_run(r).data.metrics.get(metric, np.nan) for r in runs["run_id"]]
    runs = runs[np.isfinite(runs["test_loss"].astype(float))]
    if runs.empty:
        raise AnalysisError(f"the autoencoder runs of {datasets} have no metric {metric!r}; it is logged when "
                            f"training finishes: train again, e.g. {SWEEP_EXAMPLE.format(dataset=datasets[0])}.")
    runs["latent_size"] = runs["latent_size"].astype(int)
    for dataset in datasets:
        sizes = sorted(int(s) for s in runs.loc[runs["dataset"] == dataset, "latent_size"].unique())
        if len(sizes) < 2:
            raise AnalysisError(f"the runs of {dataset!r} have a single latent size {sizes}; a law of the latent size "
                                f"needs a sweep over sizes, e.g. {SWEEP_EXAMPLE.format(dataset=dataset)}.")
        if len(sizes) < 3:
            log.warning("%s has only latent sizes %s: leave-one-size-out R^2 fits each law on a single size; "
                        "sweep more sizes for a meaningful score.", dataset, sizes)
    widths = {}
    for dataset in datasets:
        first = runs.loc[runs["dataset"] == dataset, "run_id"].iloc[0]
        names = load_json_artifact(first, record.DATASET_ARTIFACT).get("variables") or []
        if not names:
            raise AnalysisError(f"training run {first} ({dataset}) records no feature names in "
                                f"{record.DATASET_ARTIFACT}, so the compression ratio is unknown; retrain with train.py.")
        widths[dataset] = len(names)
    runs["n_features"] = runs["dataset"].map(widths).astype(int)
    runs["ratio"] = runs["latent_size"] / runs["n_features"]
    return datasets, runs.sort_values(["dataset", "latent_size", "seed"]).reset_index(drop=True)


def law_inputs(runs: pd.DataFrame, several: bool) -> tuple[np.ndarray, list[str]]:
    names = ["d", "ratio", "n_features"] if several else ["d"]
    columns = {"d": "latent_size", "ratio": "ratio", "n_features": "n_features"}
    return runs[[columns[n] for n in names]].to_numpy(dtype=np.float64), names


def search_law(X: np.ndarray, y: np.ndarray, names: list[str], search: dict[str, Any], seed: int) -> Any:
    from latentlaw.symbolic import SymbolicSearch

    model = SymbolicSearch(objective="regression", random_state=seed, verbosity=0, **search)
    return model.fit(X, y, variable_names=names)


def r2_score(y: np.ndarray, prediction: np.ndarray) -> float:
    """1 - SS_res / SS_tot; a non-finite prediction counts as the worst case (R^2 -inf)."""
    from sklearn.metrics import r2_score as sklearn_r2

    if not np.all(np.isfinite(prediction)):
        return float("-inf")
    return float(sklearn_r2(y, prediction))


def defined_prediction(law: Any, X: np.ndarray) -> tuple[np.ndarray, bool]:
    """The selected law's prediction at X; where it is undefined there (e.g. log of a negative
    number at an unseen size), the most accurate front row that is defined, and True."""
    prediction = law.predict(X)
    if np.all(np.isfinite(prediction)):
        return prediction, False
    for index in np.argsort(law.pareto_front_["loss"].to_numpy()):
        candidate = law.predict(X, index=int(index))
        if np.all(np.isfinite(candidate)):
            return candidate, True
    return prediction, True


def leave_one_size_out(runs: pd.DataFrame, names: list[str], search: dict[str, Any],
                       seed: int) -> tuple[float, np.ndarray, int]:
    """R^2 of every run's error predicted by a law searched without its latent size (and how many
    sizes needed a front row other than the selected one to be defined)."""
    X, _ = law_inputs(runs, len(names) > 1)
    y = runs["test_loss"].to_numpy(dtype=np.float64)
    held = np.full(len(y), np.nan)
    fallbacks = 0
    for size in sorted(runs["latent_size"].unique()):
        out = (runs["latent_size"] == size).to_numpy()
        law = search_law(X[~out], y[~out], names, search, seed)
        held[out], fell_back = defined_prediction(law, X[out])
        fallbacks += int(fell_back)
    return r2_score(y, held), held, fallbacks


def fit_law(runs: pd.DataFrame, datasets: list[str], search: dict[str, Any], seed: int,
            knee_share: float) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The law, its scores and the knee (law.json's content), the per-size curve and the runs with predictions."""
    import sympy

    several = len(datasets) > 1
    X, names = law_inputs(runs, several)
    y = runs["test_loss"].to_numpy(dtype=np.float64)
    law = search_law(X, y, names, search, seed)
    fitted = law.predict(X)
    r2_holdout, held, fallbacks = leave_one_size_out(runs, names, search, seed)
    curve = per_size_means(runs)
    knees = {d: knee_latent_size(part["latent_size"], part["mean_error"], knee_share)
             for d, part in curve.groupby("dataset")}
    grids = {}
    for dataset in datasets:
        part = runs[runs["dataset"] == dataset]
        grid = np.unique(np.geomspace(part["latent_size"].min(), part["latent_size"].max(), 60))
        width = float(part["n_features"].iloc[0])
        inputs = np.column_stack([grid, grid / width, np.full_like(grid, width)])[:, :len(names)]
        grids[dataset] = {"latent_size": grid.tolist(), "prediction": law.predict(inputs).tolist()}
    expression = law.sympy()
    result = {
        "equation": str(expression),
        "latex": sympy.latex(expression),
        "variables": names,
        "r2_holdout": r2_holdout,
        "r2_train": r2_score(y, fitted),
        "holdout_fallbacks": fallbacks,
        "knee_latent_size": knees[datasets[0]] if len(datasets) == 1 else knees,
        "knee_share": knee_share,
        "datasets": datasets,
        "n_features": {d: int(runs.loc[runs["dataset"] == d, "n_features"].iloc[0]) for d in datasets},
        "latent_sizes": sorted(int(s) for s in runs["latent_size"].unique()),
        "n_runs": int(len(runs)),
        "mean_error_per_size": curve.to_dict(orient="records"),
        "search": {**search, "seed": seed},
        "grid": grids,
    }
    runs = runs.assign(law_prediction=fitted, holdout_prediction=held)
    return result, curve, runs


def summary_text(law: dict[str, Any]) -> str:
    from latentlaw.analysis.published import claims_for

    knee = law["knee_latent_size"]
    lines = [f"reconstruction law for {', '.join(law['datasets'])} ({law['n_runs']} runs, latent sizes "
             f"{law['latent_sizes']}):",
             f"  test error = {law['equation']}   (over {', '.join(law['variables'])})",
             f"  R^2 on the runs {law['r2_train']:.4f}; leave-one-size-out R^2 {law['r2_holdout']:.4f}",
             "", "| dataset | latent size | mean error | std | runs |", "|---|---|---|---|---|"]
    for row in law["mean_error_per_size"]:
        lines.append(f"| {row['dataset']} | {row['latent_size']} | {row['mean_error']:.4g} | "
                     f"{row['std_error']:.2g} | {row['n_runs']} |")
    lines.append("")
    share = f"one more latent removes < {law['knee_share']:.0%} of the error"
    if isinstance(knee, dict):
        lines += [f"knee ({share}): {d}: {k if k is not None else 'not reached'}" for d, k in knee.items()]
    elif knee is None:
        lines.append(f"knee ({share}): not reached; every added latent still pays, train larger latent sizes")
    else:
        lines.append(f"knee: latent size {knee} ({share} past it)")
    for dataset in law["datasets"]:
        for claim in claims_for(dataset):
            if "reconstruction" in claim.quantity:
                lines.append(f"published for {claim.dataset}: {claim.value} ({claim.method})")
    return "\n".join(lines)


def run(cfg: DictConfig) -> Report:
    """analyze.py analysis=reconstruction: runs read and law searched before the analysis run opens."""
    import mlflow

    from latentlaw.analysis.charts import reconstruction_chart
    from latentlaw.tracking import configure_tracking, log_config, log_json, tracked_run
    from latentlaw.tracking.runs import log_figure

    settings = cfg.analysis
    share = float(settings.knee_share)
    if not 0 < share < 1:
        raise AnalysisError(f"analysis.knee_share must be in (0, 1), got {share}.")
    search = OmegaConf.to_container(settings.search, resolve=True)
    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    datasets, runs = select_runs(cfg)
    law, curve, runs = fit_law(runs, datasets, search, int(settings.seed), share)
    text = summary_text(law)

    tags = {record.TASK: record.TASK_ANALYZE, record.ANALYSIS: "reconstruction", record.DATASET: ",".join(datasets)}
    with tracked_run(f"analysis-reconstruction-{'+'.join(datasets)}", tags) as active:
        log_config(cfg)
        log_json(law, record.RECONSTRUCTION_LAW)
        mlflow.log_table(runs.drop(columns=["start_time"]), record.RECONSTRUCTION_RUNS)
        mlflow.set_tag(record.ANALYSED_RUNS, ",".join(runs["run_id"])[:5000])
        metrics = {"r2_holdout": law["r2_holdout"], "r2_train": law["r2_train"], "n_runs": float(law["n_runs"])}
        if isinstance(law["knee_latent_size"], int):
            metrics["knee_latent_size"] = float(law["knee_latent_size"])
        mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        knee = law["knee_latent_size"] if isinstance(law["knee_latent_size"], int) else None
        log_figure(reconstruction_chart(runs, curve, law, knee, f"{', '.join(datasets)}: reconstruction error vs "
                                        "latent size"), record.RECONSTRUCTION_PLOT)
    return Report(text=text, value=float(law["r2_holdout"]), data=law, run_id=active.info.run_id,
                  extra={"curve": curve, "runs": runs})
