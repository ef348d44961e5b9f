"""Report ``features``: which input features an autoencoder keeps, which it throws away, and why.

For every seed's run of one dataset (its newest finished explain run supplies one selected
equation per latent) three latent x feature tables are built on held-out rows:

* ``in_equation``: the feature is a free symbol of the latent's parsed equation (never a substring
  match: ``x1`` is not ``x10``);
* ``equation_share``: the feature's share of the equation's gradient energy, mean (dT/dx_j)^2;
* ``saliency``: the network's own mean |dz_i/dx_j|, normalised to sum 1 per latent.

Latents are weighted by how much they matter for reconstruction: the rise in reconstruction MSE
when the latent is replaced by its mean. Per feature, ``reconstruction_r2`` says whether the
autoencoder keeps it at all: the share of its held-out variance the reconstruction recovers.

A feature's importance is the weighted mean of its saliency and equation share, times its
reconstruction R^2 (clipped to [0, 1]): what drives the latents counts only as far as the
autoencoder keeps it. An encoder trained at trainer=fast still reads pure-noise columns (measured on
the slow test's table: noise saliency 0.020-0.051, informative 0.016-0.17, overlapping), but gives
back little of them (held-out R^2 0.03-0.21 against 0.88-0.99).

A feature is redundant when the autoencoder throws it away (reconstruction R^2 below
``reconstruction_threshold``; an equation term in such a feature fits the network's noise), or
when no equation uses it and its weighted saliency is below ``saliency_threshold`` of the most
salient feature's (the latents do not need it, e.g. a copy of another column). Seeds vote; the
share of seeds that call a feature redundant says how stable the call is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sympy
from omegaconf import DictConfig

from latentlaw.analysis import AnalysisError, Report
from latentlaw.analysis.runs import TRAIN_EXAMPLE, autoencoder_runs, choose_datasets, newest_explain_runs
from latentlaw.tracking import record

log = logging.getLogger(__name__)

STRUCTURE_ROWS = 200  # rows on which a second derivative is checked for being identically zero
MAX_STRUCTURE_INPUTS = 30  # beyond this many inputs the pairwise check (n^2/2 derivatives) is skipped


@dataclass
class RunInput:
    """One seed's training run with everything the report reads from it, loaded and checked."""

    train_run: str
    explain_run: str
    seed: str
    latent_size: int
    variables: list[str]
    X: np.ndarray
    model: Any
    equations: dict[int, sympy.Expr]
    equation_text: dict[int, str]
    r2: dict[int, float] = field(default_factory=dict)


@dataclass
class RunFeatures:
    """One run's latent x feature matrices and per-latent facts."""

    seed: str
    saliency: np.ndarray  # (k, d), rows sum to 1 (0 for a dead latent)
    in_equation: np.ndarray  # (k, d) bool
    equation_share: np.ndarray  # (k, d), rows sum to 1; NaN rows for latents without an equation
    weight: np.ndarray  # (k,), sums to 1
    latents: pd.DataFrame  # one row per latent
    reconstruction_r2: np.ndarray  # (d,) share of each feature's variance the reconstruction recovers


# --- reading ----------------------------------------------------------------------------------
def read_equations(explain_run: str, variables: list[str]) -> tuple[dict[int, sympy.Expr], dict[int, str],
                                                                     dict[int, float]]:
    """latent -> parsed selected equation (and its text, and held-out R^2 where the table has one)."""
    from latentlaw.symbolic.export_sympy import parse_equation
    from latentlaw.symbolic.parse_sympy import ExpressionError
    from latentlaw.tracking.lookup import load_json_artifact

    raw = load_json_artifact(explain_run, record.EQUATIONS_TABLE)
    table = pd.DataFrame(raw.get("data", []), columns=raw.get("columns", []))
    missing = {"neuron", "equation"} - set(table.columns)
    if missing:
        raise AnalysisError(f"explain run {explain_run}'s {record.EQUATIONS_TABLE} has no column(s) {sorted(missing)}; "
                            "explain the training run again with explain.py.")
    equations, texts, r2 = {}, {}, {}
    for _, row in table.iterrows():
        neuron = int(row["neuron"])
        try:
            equations[neuron] = parse_equation(str(row["equation"]), variables,
                                               what=f"equation of latent {neuron} in explain run {explain_run}")
        except ExpressionError as err:
            raise AnalysisError(f"{err}; explain the training run again with explain.py.") from None
        texts[neuron] = str(row["equation"])
        if "r2" in table.columns and row["r2"] is not None and pd.notna(row["r2"]):
            r2[neuron] = float(row["r2"])
    return equations, texts, r2


def load_run(train: pd.Series, explain_run: str, n_rows: int) -> RunInput:
    """The train run's feature names, held-out rows and model, and the explain run's equations."""
    from latentlaw.tracking import load_model
    from latentlaw.tracking.lookup import load_json_artifact, load_npz_artifact

    run_id = str(train["run_id"])
    names = load_json_artifact(run_id, record.DATASET_ARTIFACT).get("variables") or []
    X = load_npz_artifact(run_id, record.HELDOUT_ARTIFACT)["X"].astype(np.float64)[:n_rows]
    if not names:
        raise AnalysisError(f"training run {run_id} ({train['dataset']}) records no feature names in "
                            f"{record.DATASET_ARTIFACT}; the report names features by them. Retrain with train.py "
                            "(table files need a header row; their column names become the feature names).")
    if X.ndim != 2 or X.shape[1] != len(names):
        raise AnalysisError(f"training run {run_id}: {len(names)} feature names but held-out rows of shape {X.shape}; "
                            "its artifacts do not belong together. Retrain with train.py.")
    model = load_model(run_id)
    if not (hasattr(model, "encode") and hasattr(model, "decode")):
        raise AnalysisError(f"training run {run_id}'s model {type(model).__name__} has no encode/decode; "
                            "the features report reads autoencoders (model=autoencoder).")
    equations, texts, r2 = read_equations(explain_run, list(names))
    return RunInput(run_id, explain_run, str(train["seed"]), int(train["latent_size"]), list(map(str, names)), X,
                    model, equations, texts, r2)


def select_runs(cfg: DictConfig) -> tuple[str, pd.DataFrame, dict[str, str]]:
    """(dataset, one train run per seed, train run -> explain run), or an AnalysisError saying what to run."""
    settings = cfg.analysis
    runs = autoencoder_runs()
    (dataset,) = choose_datasets(runs, settings.get("dataset"), "features")
    runs = runs[runs["dataset"] == dataset]
    explained = newest_explain_runs(list(runs["run_id"]), settings.get("explainer"))
    newest = str(runs["run_id"].iloc[0])
    runs = runs[runs["run_id"].isin(list(explained))]
    if runs.empty:
        raise AnalysisError(f"none of the autoencoder runs of {dataset!r} has a finished explain run"
                            + (f" by explainer {settings.explainer!r}" if settings.get("explainer") else "")
                            + f"; explain them first, e.g. python explain.py train_run={newest} (one call per run), "
                            "then python analyze.py analysis=features.")
    sizes = sorted(int(s) for s in runs["latent_size"].dropna().unique())
    wanted = settings.get("latent_size")
    if wanted is not None:
        runs = runs[runs["latent_size"] == int(wanted)]
        if runs.empty:
            raise AnalysisError(f"no explained autoencoder run of {dataset!r} has latent size {wanted}; "
                                f"explained runs have latent sizes {sizes}.")
    elif len(sizes) > 1:
        raise AnalysisError(f"the explained autoencoder runs of {dataset!r} have latent sizes {sizes}; seeds are "
                            f"compared at one size: choose it with analysis.latent_size={sizes[-1]}.")
    runs = runs.drop_duplicates(subset=["seed"], keep="first").sort_values("seed").reset_index(drop=True)
    return dataset, runs, explained


# --- computing ----------------------------------------------------------------------------------
def network_saliency(model: Any, X: np.ndarray, k: int) -> np.ndarray:
    """(k, d): mean |dz_i/dx_j| over the rows, each latent's row normalised to sum 1."""
    from latentlaw.explain.gradients import neuron_values_and_gradients

    rows = []
    for i in range(k):
        _, grads = neuron_values_and_gradients(model, X, i)
        rows.append(np.abs(grads).mean(axis=0))
    return normalize_shares(np.array(rows))


def normalize_shares(M: np.ndarray) -> np.ndarray:
    """Rows scaled to sum 1; an all-zero (or non-finite) row stays zero."""
    M = np.where(np.isfinite(M), M, 0.0)
    totals = M.sum(axis=1, keepdims=True)
    return np.where(totals > 0, M / np.where(totals > 0, totals, 1.0), 0.0)


def reconstruction_weights(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Latent codes Z, each latent's rise in reconstruction MSE when set to its mean, the MSE itself,
    and each feature's reconstruction R^2 (0 for a column constant on these rows: it carries nothing)."""
    import torch

    with torch.no_grad():
        x = torch.as_tensor(X, dtype=torch.float32)
        z = model.encode(x)
        reconstruction = model.decode(z)
        base = float(torch.mean((reconstruction - x) ** 2))
        rises = []
        for i in range(z.shape[1]):
            flat = z.clone()
            flat[:, i] = z[:, i].mean()
            rises.append(float(torch.mean((model.decode(flat) - x) ** 2)) - base)
    residual = ((reconstruction.double().numpy() - X) ** 2).mean(axis=0)
    variance = X.var(axis=0)
    r2 = np.where(variance > 0, 1.0 - residual / np.where(variance > 0, variance, 1.0), 0.0)
    return z.double().numpy(), np.array(rises), base, r2


def dead_and_copies(Z: np.ndarray, dead_tolerance: float, copy_correlation: float) -> tuple[np.ndarray, list[int | None]]:
    """Dead latents (std below ``dead_tolerance`` x the largest latent std) and, per latent, the
    earlier live latent it copies (|corr| above ``copy_correlation``), else None."""
    std = Z.std(axis=0)
    dead = std <= dead_tolerance * max(float(std.max()), 1e-300)
    copies: list[int | None] = [None] * Z.shape[1]
    live = [i for i in range(Z.shape[1]) if not dead[i]]
    if len(live) > 1:
        corr = np.corrcoef(Z[:, live].T)
        for b in range(len(live)):
            for a in range(b):
                if abs(corr[a, b]) > copy_correlation and copies[live[a]] is None:
                    copies[live[b]] = live[a]
                    break
    return dead, copies


def _vanishes(expr: sympy.Expr, symbols: list[sympy.Symbol], columns: list[np.ndarray], scale: float) -> bool:
    """True when ``expr`` is zero: symbolically, or numerically at every row (relative to ``scale``)."""
    if expr == 0:
        return True
    with np.errstate(all="ignore"):
        values = np.asarray(sympy.lambdify(symbols, expr, modules="numpy")(*columns), dtype=np.float64)
    values = values[np.isfinite(values)] if values.ndim else np.array([float(values)])
    return bool(values.size == 0 or np.max(np.abs(values)) <= 1e-9 * scale)


def equation_structure(expr: sympy.Expr, variables: list[str], X: np.ndarray) -> tuple[str, list[tuple[str, str]]]:
    """constant, linear, additive (a sum of one-input terms) or interacting, with the interacting pairs.

    Read from the second derivatives: all zero -> linear; mixed ones zero -> additive; a non-zero
    d2T/dx_a dx_b makes (a, b) an interacting pair. Checked on sample rows, so a derivative that is
    zero only after simplification sympy does not find still reads as zero. A row of several
    concepts takes the most involved kind of its concepts and all their interacting pairs.
    """
    from latentlaw.symbolic.export_sympy import concepts_of

    if len(concepts_of(expr)) > 1:
        parts = [equation_structure(e, variables, X) for e in concepts_of(expr)]
        order = ["constant", "linear", "additive", "interacting"]
        kind = max((k for k, _ in parts), key=lambda k: order.index(k) if k in order else len(order))
        return kind, sorted({pair for _, pairs in parts for pair in pairs})
    used = [v for v in variables if sympy.Symbol(v) in expr.free_symbols]
    if not used:
        return "constant", []
    if len(used) > MAX_STRUCTURE_INPUTS:
        return f"not analysed (> {MAX_STRUCTURE_INPUTS} inputs)", []
    symbols = [sympy.Symbol(v) for v in used]
    rows = X[:STRUCTURE_ROWS]
    columns = [rows[:, variables.index(v)] for v in used]
    with np.errstate(all="ignore"):
        first = [np.asarray(sympy.lambdify(symbols, sympy.diff(expr, s), modules="numpy")(*columns), dtype=np.float64)
                 for s in symbols]
    magnitudes = [np.abs(f[np.isfinite(f)]) for f in first]
    scale = 1.0 + max((float(m.max()) for m in magnitudes if m.size), default=0.0)
    pairs = [(used[a], used[b]) for a in range(len(used)) for b in range(a + 1, len(used))
             if not _vanishes(sympy.diff(expr, symbols[a], symbols[b]), symbols, columns, scale)]
    if pairs:
        return "interacting", pairs
    if all(_vanishes(sympy.diff(expr, s, 2), symbols, columns, scale) for s in symbols):
        return "linear", []
    return "additive", []


def equation_matrices(equations: dict[int, sympy.Expr], X: np.ndarray, variables: list[str],
                      k: int) -> tuple[np.ndarray, np.ndarray]:
    """(in_equation (k, d) bool, equation_share (k, d)): free symbols and gradient-energy shares;
    latents without an equation get a NaN share row. A row of several concepts (each on its own
    arbitrary scale) shares out the mean of its concepts' shares."""
    from latentlaw.symbolic.export_sympy import concepts_of
    from latentlaw.symbolic.verify import gradient_field

    d = len(variables)
    used = np.zeros((k, d), dtype=bool)
    share = np.full((k, d), np.nan)
    for i in range(k):
        if i not in equations:
            continue
        names = {str(s) for s in equations[i].free_symbols}
        used[i] = [v in names for v in variables]
        shares = []
        for part in concepts_of(equations[i]):
            grads = gradient_field(part, X, variables)
            with np.errstate(all="ignore"):
                energy = np.nanmean(np.where(np.isfinite(grads), grads**2, np.nan), axis=0)
            shares.append(normalize_shares(np.nan_to_num(energy, nan=0.0)[None, :])[0])
        share[i] = np.mean(shares, axis=0)
    return used, share


def run_features(run: RunInput, dead_tolerance: float, copy_correlation: float) -> RunFeatures:
    """Every latent x feature table and per-latent fact of one run."""
    X = run.X
    Z, rises, base, r2 = reconstruction_weights(run.model, X)
    k = Z.shape[1]
    saliency = network_saliency(run.model, X, k)
    in_equation, share = equation_matrices(run.equations, X, run.variables, k)
    positive = np.clip(rises, 0.0, None)
    weight = positive / positive.sum() if positive.sum() > 0 else np.full(k, 1.0 / k)
    dead, copies = dead_and_copies(Z, dead_tolerance, copy_correlation)
    rows = []
    for i in range(k):
        kind, pairs = equation_structure(run.equations[i], run.variables, X) if i in run.equations else ("no equation", [])
        rows.append({
            "seed": run.seed, "latent": i, "weight": float(weight[i]), "error_increase": float(rises[i]),
            "std": float(Z[:, i].std()), "dead": bool(dead[i]),
            "copy_of": "" if copies[i] is None else str(copies[i]),
            "structure": kind, "interactions": " ".join(f"{a}*{b}" for a, b in pairs),
            "n_inputs": int(in_equation[i].sum()), "equation": run.equation_text.get(i, ""),
            "r2": run.r2.get(i, float("nan")), "reconstruction_mse": base,
        })
    return RunFeatures(run.seed, saliency, in_equation, share, weight, pd.DataFrame(rows), r2)


def feature_table(features: RunFeatures, variables: list[str], saliency_threshold: float,
                  reconstruction_threshold: float) -> pd.DataFrame:
    """Per feature of one run: importance, saliency, equation share, equations using it, reconstruction
    R^2, redundant."""
    w = features.weight
    explained = ~np.isnan(features.equation_share).any(axis=1)
    live = (features.latents["dead"] == False).to_numpy()  # noqa: E712
    # A latent without an equation is judged by the network alone.
    share = np.where(explained[:, None], features.equation_share, features.saliency)
    saliency = w @ features.saliency
    kept = np.clip(features.reconstruction_r2, 0.0, 1.0)
    importance = kept * (w @ (0.5 * (features.saliency + share)))
    using = features.in_equation[explained & live].sum(axis=0)
    relative = saliency / saliency.max() if saliency.max() > 0 else np.zeros_like(saliency)
    thrown_away = features.reconstruction_r2 < reconstruction_threshold
    return pd.DataFrame({
        "feature": variables,
        "importance": importance,
        "saliency": saliency,
        "equation_share": w @ np.where(explained[:, None], features.equation_share, 0.0),
        "equations_using": using.astype(int),
        "reconstruction_r2": features.reconstruction_r2,
        "redundant": thrown_away | ((using == 0) & (relative < saliency_threshold)),
    })


def combine_seeds(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """One row per feature over the seeds: means, equations summed, redundant by majority vote.

    ``redundant_seeds`` is the share of seeds calling the feature redundant (1 or 0: a stable call).
    Sorted by importance, most important first.
    """
    stacked = pd.concat(tables, ignore_index=True)
    grouped = stacked.groupby("feature", sort=False)
    table = pd.DataFrame({
        "importance": grouped["importance"].mean(),
        "saliency": grouped["saliency"].mean(),
        "equations_using": grouped["equations_using"].sum().astype(int),
        "redundant_seeds": grouped["redundant"].mean(),
        "reconstruction_r2": grouped["reconstruction_r2"].mean(),
        "equation_share": grouped["equation_share"].mean(),
    }).reset_index()
    table.insert(4, "redundant", table["redundant_seeds"] >= 0.5)
    return table.sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def long_table(dataset: str, features: RunFeatures, variables: list[str]) -> pd.DataFrame:
    """The latent x feature tables of one run in long form (one row per latent and feature)."""
    k, d = features.saliency.shape
    return pd.DataFrame({
        "dataset": dataset, "seed": features.seed,
        "latent": np.repeat(np.arange(k), d), "feature": np.tile(variables, k),
        "in_equation": features.in_equation.ravel(), "equation_share": features.equation_share.ravel(),
        "saliency": features.saliency.ravel(), "latent_weight": np.repeat(features.weight, d),
    })


# --- reporting ----------------------------------------------------------------------------------
def summary_text(dataset: str, table: pd.DataFrame, latents: pd.DataFrame, seeds: list[str], threshold: float,
                 r2_threshold: float, top: int = 10) -> str:
    from latentlaw.analysis.published import claims_for

    lines = [f"features of {dataset}: {len(table)} features, {len(seeds)} seed(s) {seeds}"
             + ("; one seed: how stable the redundant calls are is unknown (train more seeds)" if len(seeds) == 1
                else ""),
             "", "| feature | importance | saliency | equations | reconstructed R^2 | redundant |",
             "|---|---|---|---|---|---|"]
    for _, r in table.head(top).iterrows():
        lines.append(f"| {r['feature']} | {r['importance']:.4f} | {r['saliency']:.4f} | {r['equations_using']} | "
                     f"{r['reconstruction_r2']:.3f} | {'yes' if r['redundant'] else 'no'} |")
    if len(table) > top:
        lines.append(f"| ... {len(table) - top} more in {record.FEATURE_IMPORTANCE} | | | | | |")
    redundant = table[table["redundant"]]
    unused = int((table["equations_using"] == 0).sum())
    lines += ["", f"in no equation: {unused}/{len(table)}; not reconstructed (R^2 < {r2_threshold:g}): "
              f"{int((table['reconstruction_r2'] < r2_threshold).sum())}/{len(table)}; redundant (not reconstructed, "
              f"or in no equation with saliency < {threshold:g} x the top feature's): {len(redundant)}/{len(table)}"]
    if len(redundant):
        stable = int((redundant["redundant_seeds"] == 1.0).sum())
        lines.append(f"redundant: {', '.join(redundant['feature'].head(30))}"
                     f"{' ...' if len(redundant) > 30 else ''} ({stable} called so by every seed)")
    lines.append("")
    for _, r in latents.iterrows():
        state = "dead" if r["dead"] else f"copy of z{r['copy_of']}" if r["copy_of"] else f"weight {r['weight']:.2f}"
        detail = f"{r['structure']}" + (f" ({r['interactions']})" if r["interactions"] else "")
        r2 = "" if pd.isna(r["r2"]) else f", R^2 {r['r2']:.3f}"
        lines.append(f"seed {r['seed']} z{r['latent']}: {state}; {detail}{r2}: {r['equation'][:80]}")
    claims = claims_for(dataset)
    if claims:
        lines += ["", "published (autoencoder write-up): "
                  + "; ".join(f"{c.quantity}: {c.value} ({c.method})" for c in claims)]
    return "\n".join(lines)


def run(cfg: DictConfig) -> Report:
    """analyze.py analysis=features: everything is loaded and computed before the analysis run opens."""
    import mlflow

    from latentlaw.analysis.charts import feature_heatmap, importance_chart
    from latentlaw.tracking import configure_tracking, log_config, tracked_run
    from latentlaw.tracking.runs import log_figure

    settings = cfg.analysis
    threshold, r2_threshold = float(settings.saliency_threshold), float(settings.reconstruction_threshold)
    if not 0 < threshold < 1:
        raise AnalysisError(f"analysis.saliency_threshold must be in (0, 1), got {threshold}.")
    if not r2_threshold < 1:
        raise AnalysisError(f"analysis.reconstruction_threshold must be below 1 (an R^2), got {r2_threshold}.")
    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    dataset, runs, explained = select_runs(cfg)
    inputs = [load_run(row, explained[row["run_id"]], int(settings.n_rows)) for _, row in runs.iterrows()]
    names = {tuple(r.variables) for r in inputs}
    if len(names) > 1:
        raise AnalysisError(f"the runs of {dataset!r} disagree on the feature names; analyse runs of one table.")
    variables = inputs[0].variables
    seeds = [r.seed for r in inputs]
    if len(seeds) == 1:
        log.warning("only one seed (%s) of %s is explained: redundancy cannot be checked for stability; train and "
                    "explain more, e.g. %s", seeds[0], dataset, TRAIN_EXAMPLE)
    per_run = [run_features(r, float(settings.dead_tolerance), float(settings.copy_correlation)) for r in inputs]
    per_seed = [feature_table(f, variables, threshold, r2_threshold) for f in per_run]
    table = combine_seeds(per_seed)
    latents = pd.concat([f.latents for f in per_run], ignore_index=True)
    pairs = pd.concat([long_table(dataset, f, variables) for f in per_run], ignore_index=True)
    text = summary_text(dataset, table, latents, seeds, threshold, r2_threshold)

    tags = {record.TASK: record.TASK_ANALYZE, record.ANALYSIS: "features", record.DATASET: dataset}
    with tracked_run(f"analysis-features-{dataset}", tags) as active:
        log_config(cfg)
        mlflow.log_text(table.to_csv(index=False), record.FEATURE_IMPORTANCE)
        mlflow.log_table(table, record.FEATURE_IMPORTANCE_TABLE)
        mlflow.log_table(latents, record.LATENT_TABLE)
        mlflow.log_table(pairs, record.LATENT_FEATURE_TABLE)
        mlflow.log_text(text, record.FEATURES_SUMMARY)
        mlflow.log_metrics({
            "n_features": float(len(table)), "n_seeds": float(len(seeds)),
            "n_redundant": float(table["redundant"].sum()),
            "n_unused_by_equations": float((table["equations_using"] == 0).sum()),
            "n_not_reconstructed": float((table["reconstruction_r2"] < r2_threshold).sum()),
            "n_dead_latents": float(latents["dead"].sum()),
            "n_copied_latents": float((latents["copy_of"] != "").sum()),
        })
        mlflow.set_tag(record.ANALYSED_RUNS, ",".join(r.train_run for r in inputs))
        for features in per_run:
            log_figure(feature_heatmap(features, variables, list(table["feature"]), f"{dataset}, seed {features.seed}"),
                       record.feature_heatmap(features.seed))
        log_figure(importance_chart(table, dataset, int(settings.top_k)), record.FEATURE_IMPORTANCE_PLOT)
    return Report(text=text, value=float(table["redundant"].sum()), data=table, run_id=active.info.run_id,
                  extra={"latents": latents, "latent_feature": pairs, "runs": runs})
