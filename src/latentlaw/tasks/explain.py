"""The explain task: a training run's neuron(s) -> verified equations, logged as a nested run."""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from omegaconf import DictConfig

from latentlaw.config import build
from latentlaw.explain.base import Explainer, NeuronExplanation
from latentlaw.tracking import record

log = logging.getLogger(__name__)

VERIFY_ROWS = 2000


@dataclass
class Verdict:
    """How a selected expression compares with the known law(s)."""

    alignment: float | None
    recovered: bool | None
    front_contains_truth: bool | None
    form_alignment: float | None = None  # after refitting the expression's constants to the truth
    exact_form: bool | None = None  # the law's exact form, not a close approximation of another


def resolve_neurons(neurons: Any, width: int) -> list[int]:
    """'all' or a list/int of indices, each checked against the layer's width."""
    if neurons in (None, "all"):
        return list(range(width))
    chosen = [int(neurons)] if isinstance(neurons, (int, str)) else [int(n) for n in neurons]
    bad = [n for n in chosen if not 0 <= n < width]
    if bad:
        raise IndexError(f"neurons {bad} out of range: the model's latent layer has {width} neurons (0..{width - 1}).")
    return chosen


def verify(expression: sympy.Expr, front: Any, truths: list[str], X: np.ndarray, variables: list[str],
           tolerance: float, projector: np.ndarray | None) -> Verdict:
    """Compare by gradient alignment on held-out points (within the inputs' tangent space), never
    by string form."""
    from latentlaw.symbolic.verify import FORM_TOLERANCE, alignment_of_fields, form_alignment, gradient_field

    if not truths:
        return Verdict(None, None, None)
    if isinstance(expression, (tuple, sympy.Tuple)):  # explainer.n_concepts > 1: a row of several laws
        return _verify_concepts(expression, front, truths, X, variables, tolerance, projector)
    P = np.eye(X.shape[1]) if projector is None else projector
    truth_fields = [gradient_field(t, X, variables) @ P for t in truths]  # once, not per front row

    def best_alignment(expr: Any) -> float:
        field = gradient_field(expr, X, variables) @ P
        return max(alignment_of_fields(field, t) for t in truth_fields)

    alignment = best_alignment(expression)
    recovered = alignment >= 1.0 - tolerance
    contains = recovered or any(best_alignment(e) >= 1.0 - tolerance for e in front["sympy"])
    form = max(form_alignment(expression, t, X, variables, projector) for t in truths)
    return Verdict(float(alignment), bool(recovered), bool(contains), float(form), bool(form >= 1.0 - FORM_TOLERANCE))


def _verify_concepts(expression: Any, front: Any, truths: list[str], X: np.ndarray, variables: list[str],
                     tolerance: float, projector: np.ndarray | None) -> Verdict:
    """A row of k concepts is the neuron's laws when its gradient span equals the truths' span
    (principal angles); its form is exact when every concept has the exact form of a truth."""
    from latentlaw.symbolic.verify import span_alignment, span_verdict

    verdict = span_verdict(tuple(expression), truths, X, variables, projector, tolerance)
    contains = verdict["span_equivalent"] or any(
        isinstance(e, (tuple, sympy.Tuple)) and span_alignment(tuple(e), truths, X, variables, projector) >= 1 - tolerance
        for e in front["sympy"])
    forms = [c["form_alignment"] for c in verdict["concepts"]]
    return Verdict(verdict["span_alignment"], verdict["span_equivalent"], bool(contains), float(min(forms)),
                   all(c["exact_form"] for c in verdict["concepts"]))


def _explain_one(explainer: Explainer, searcher_cfg: DictConfig, model: Any, X: np.ndarray, variables: list[str],
                 neuron: int, seed: int, checkpoint: str, threads: int) -> NeuronExplanation:
    """One neuron's search; top level so joblib workers can run it."""
    import torch

    torch.set_num_threads(threads)
    searcher = build(searcher_cfg, objective=explainer.objective, random_state=seed + neuron, checkpoint_file=checkpoint)
    return explainer.explain(model, X, variables, neuron, searcher)


def _n_jobs(setting: Any, n_neurons: int) -> int:
    if setting in (None, "auto"):
        return max(1, min(n_neurons, os.cpu_count() or 1))
    return max(1, int(setting))


def explain(cfg: DictConfig) -> dict[str, Any]:
    """Explain the configured neurons of a training run; returns a summary per neuron."""
    import mlflow
    import torch

    from latentlaw.explain.gradients import layer_width
    from latentlaw.symbolic.dataset import tangent_projector
    from latentlaw.tracking import configure_tracking, load_model, log_config, tracked_run
    from latentlaw.tracking.lookup import get_training_run, load_json_artifact, load_npz_artifact

    torch.set_num_threads(int(cfg.threads))
    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    parent = get_training_run(str(cfg.train_run))
    parent_id = parent.info.run_id
    dataset_record = load_json_artifact(parent_id, record.DATASET_ARTIFACT)
    X = load_npz_artifact(parent_id, record.HELDOUT_ARTIFACT)["X"].astype(np.float64)
    model = load_model(parent_id)
    variables: list[str] = list(dataset_record["variables"])
    truths: list[str] = list(dataset_record["ground_truth"])

    explainer: Explainer = build(cfg.explainer)
    neurons = resolve_neurons(cfg.neurons, layer_width(model, len(variables), explainer.layer))
    # Build one searcher now so a bad searcher config fails before any run is created.
    build(cfg.searcher, objective=explainer.objective, random_state=int(cfg.seed))
    X_verify = X[explainer.n_samples:explainer.n_samples + VERIFY_ROWS]
    if len(X_verify) < 100:
        X_verify = X[:VERIFY_ROWS]

    mlflow.set_experiment(experiment_id=parent.info.experiment_id)
    tags = {
        record.TASK: record.TASK_EXPLAIN,
        record.EXPLAINER: explainer.name,
        record.TRAIN_RUN: parent_id,
        record.EXPERIMENT: parent.data.tags.get(record.EXPERIMENT, ""),
        record.DATASET: dataset_record["name"],
        record.GROUND_TRUTH: record.TRUTH_SEPARATOR.join(truths),
        record.NEURONS: ",".join(map(str, neurons)),
    }
    run_name = f"{explainer.name}-{parent.info.run_name}"
    with tracked_run(run_name, tags, parent_run_id=parent_id) as run, tempfile.TemporaryDirectory() as tmp:
        log_config(cfg)
        if not truths:
            mlflow.set_tag(record.VERIFICATION, "skipped: the dataset has no ground truth")
            print("verification skipped: the dataset has no ground-truth expression")
        checkpoints = {j: str(Path(tmp) / f"front_neuron_{j}.csv") for j in neurons}
        try:
            results = _run_searches(cfg, explainer, model, X, variables, neurons, checkpoints)
        except BaseException:
            for j, path in checkpoints.items():
                if Path(path).exists():
                    mlflow.log_artifact(path, artifact_path=record.CHECKPOINTS_DIR)
            raise
        projector = tangent_projector(X)
        if projector is not None:
            mlflow.set_tag(record.TANGENT_RANK, str(int(round(np.trace(projector)))))
        summary = _log_results(results, truths, X_verify, variables, float(cfg.recovery_tolerance), projector,
                               run.info.run_id)
        if any(r.interrupted for r in results) or len(results) < len(neurons):
            print(report(summary))
            raise KeyboardInterrupt("search interrupted: the fronts found so far are logged, the run is marked KILLED")
    return summary


def _run_searches(cfg: DictConfig, explainer: Explainer, model: Any, X: np.ndarray, variables: list[str],
                  neurons: list[int], checkpoints: dict[int, str]) -> list[NeuronExplanation]:
    n_jobs = _n_jobs(cfg.get("n_jobs"), len(neurons))
    args = [(explainer, cfg.searcher, model, X, variables, j, int(cfg.seed), checkpoints[j], int(cfg.threads)) for j in neurons]
    if n_jobs == 1:
        results = []
        for a in args:
            results.append(_explain_one(*a))
            if results[-1].interrupted:
                break  # Ctrl-C: keep what was found, search no further neurons
        return results
    from joblib import Parallel, delayed

    log.info("searching %d neurons with %d parallel workers", len(neurons), n_jobs)
    return Parallel(n_jobs=n_jobs, backend="loky")(delayed(_explain_one)(*a) for a in args)


def _front_table(result: NeuronExplanation) -> dict[str, list]:
    front = result.front
    return {
        "complexity": [int(c) for c in front["complexity"]],
        "loss": [float(v) for v in front["loss"]],
        "score": [float(v) for v in front["score"]] if "score" in front else [float("nan")] * len(front),
        "equation": [str(e) for e in front["sympy"]],
        "latex": [sympy.latex(e) for e in front["sympy"]],
        "selected": [i == result.selected_index for i in range(len(front))],
    }


def _log_results(results: list[NeuronExplanation], truths: list[str], X_verify: np.ndarray, variables: list[str],
                 tolerance: float, projector: np.ndarray | None, run_id: str) -> dict[str, Any]:
    import mlflow

    from latentlaw.explain.charts import pareto_chart
    from latentlaw.tracking.runs import log_figure, log_json

    rows: list[dict[str, Any]] = []
    for res in results:
        j = res.neuron
        verdict = verify(res.expression, res.front, truths, X_verify, variables, tolerance, projector)
        selected = res.front.iloc[res.selected_index]
        mlflow.log_table(_front_table(res), record.front_table(j))
        fig = pareto_chart(res.front, res.selected_index, f"{res.explainer}, neuron {j}", " ; ".join(truths) or None)
        log_figure(fig, record.pareto_plot(j))
        mlflow.log_text(str(res.expression), record.equation_file(j, "txt"))
        mlflow.log_text(sympy.srepr(res.expression), record.equation_file(j, "srepr"))
        mlflow.log_text(sympy.latex(res.expression), record.equation_file(j, "tex"))
        mlflow.set_tag(record.neuron_equation_tag(j), str(res.expression)[:5000])
        mlflow.log_metrics({record.neuron_metric(record.SEARCH_SECONDS_METRIC, j): res.seconds,
                            record.neuron_metric("loss", j): float(selected["loss"]),
                            record.neuron_metric("complexity", j): float(selected["complexity"])})
        rows.append({
            "neuron": j,
            "equation": str(res.expression),
            "latex": sympy.latex(res.expression),
            "complexity": int(selected["complexity"]),
            "loss": float(selected["loss"]),
            "seconds": res.seconds,
            "ground_truth_alignment": verdict.alignment,
            "recovered": verdict.recovered,
            "front_contains_truth": verdict.front_contains_truth,
            "form_alignment": verdict.form_alignment,
            "exact_form": verdict.exact_form,
            "interrupted": res.interrupted,
        })
    first = rows[0]
    mlflow.log_table({k: [r[k] for r in rows] for k in rows[0]}, record.EQUATIONS_TABLE)
    log_json(results[0].settings, record.SEARCHER_SETTINGS)
    mlflow.set_tags({record.EQUATION: first["equation"][:5000], record.EQUATION_LATEX: first["latex"][:5000]})
    mlflow.log_metric(record.SEARCH_SECONDS_METRIC, float(sum(r["seconds"] for r in rows)))
    if truths:
        best = max(rows, key=lambda r: r["ground_truth_alignment"])
        mlflow.set_tags({record.RECOVERED: str(any(r["recovered"] for r in rows)).lower(),
                         record.FRONT_CONTAINS_TRUTH: str(any(r["front_contains_truth"] for r in rows)).lower(),
                         record.EXACT_FORM: str(any(r["exact_form"] for r in rows)).lower(),
                         record.RECOVERED_NEURON: str(best["neuron"])})
        mlflow.log_metrics({record.ALIGNMENT_METRIC: float(best["ground_truth_alignment"]),
                            record.FORM_ALIGNMENT_METRIC: float(max(r["form_alignment"] for r in rows))})
    return {"run_id": run_id, "neurons": rows, "ground_truth": truths, "tracking_uri": mlflow.get_tracking_uri()}


def report(summary: dict[str, Any]) -> str:
    """What the user reads at the end of explain.py: the law, the truth, the verdict, the UI."""
    lines = []
    for r in summary["neurons"]:
        verdict = "" if r["recovered"] is None else (
            f"  -> {'RECOVERED' if r['recovered'] else 'not recovered'} (alignment {r['ground_truth_alignment']:.6f}; "
            f"{'the exact form' if r['exact_form'] else 'not the exact form'} with refitted constants)")
        lines.append(f"neuron {r['neuron']}: {r['equation']}   [complexity {r['complexity']}, loss {r['loss']:.3g}, "
                     f"{r['seconds']:.1f} s]{verdict}")
    if summary["ground_truth"]:
        lines.append(f"ground truth: {' ; '.join(summary['ground_truth'])}")
    else:
        lines.append("ground truth: unknown for this dataset, verification skipped")
    uri = summary["tracking_uri"]
    lines.append(f"explain run {summary['run_id']} logged to {uri}")
    if uri.startswith("sqlite:///"):
        lines.append(f"browse it: mlflow ui --backend-store-uri {uri}")
    return "\n".join(lines)
