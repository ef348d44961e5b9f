"""The explain task: a training run's neuron(s) -> verified equations, logged as a nested run."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from omegaconf import DictConfig

from latentlaw import cluster
from latentlaw.cluster import ParallelSettings
from latentlaw.config import build
from latentlaw.explain.base import Explainer, NeuronExplanation
from latentlaw.explain.preselect import Preselection, PreselectSettings
from latentlaw.symbolic.export_sympy import equation_latex, equation_text
from latentlaw.tracking import record

log = logging.getLogger(__name__)

VERIFY_ROWS = 2000
MIN_VERIFY_ROWS = 100


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
                 neuron: int, seed: int, checkpoint: str, threads: int,
                 selection: Preselection | None = None, seed_linear: bool = False) -> NeuronExplanation:
    """One neuron's search (on the preselected inputs only, if given, and started from their linear
    sums with ``seed_linear``); top level so joblib workers can run it."""
    import torch

    from latentlaw.explain.preselect import linear_seeds

    torch.set_num_threads(threads)
    from latentlaw.cluster import ray_node_id
    from latentlaw.tracking.front_checkpoints import resume_from

    # On another machine of a Ray cluster the driver's temporary folder does not exist: the search
    # writes its front there all the same (mid-search uploads cover this machine's searches only).
    Path(checkpoint).parent.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = resume_from(checkpoint)  # a resumed run: its uploaded front
    if not extra and selection is not None and seed_linear and searcher_cfg.get("resume_from") is None:
        extra["resume_from"] = linear_seeds(selection.variables, Path(checkpoint).with_suffix(".seeds.csv"))
    searcher = build(searcher_cfg, objective=explainer.objective, random_state=seed + neuron, checkpoint_file=checkpoint,
                     **extra)
    if not X.flags.writeable:  # rows from Ray's object store are read-only; torch warns on those
        X = X.copy()
    inputs = selection.inputs if selection is not None else None
    result = explainer.explain(model, X, variables, neuron, searcher, inputs=inputs)
    result.ray_node = ray_node_id()
    return result


def usable_truths(dataset_record: dict[str, Any], variables: list[str]) -> list[str]:
    """The training run's ground truths, each checked to be a law over the inputs before any run
    starts. Runs made before generators had their own key listed a synthetic table's
    ``column = formula`` lines as ground truth; those describe the data, not a latent, and are
    set aside with a note instead of failing verification after the search."""
    from latentlaw.data.truth import parse_expression

    listed = [str(t) for t in dataset_record.get("ground_truth", [])]
    generators = [t for t in listed if "=" in t]
    if generators:
        print(f"note: {len(generators)} ground-truth entries of this run ({generators[0]!r}, ...) describe how "
              "columns were generated, not a law over the inputs; they are not used to verify the equations")
    truths = [t for t in listed if "=" not in t]
    for truth in truths:
        parse_expression(truth, variables)  # a DataError naming the string, before any run exists
    return truths


def searcher_config(cfg: DictConfig, data_kind: str | None) -> DictConfig:
    """``cfg.searcher`` with ``cfg.latent_search`` merged over it for autoencoder runs (tables and
    text), so explaining 32 latents takes minutes; a ``searcher.<key>=`` given on the command
    line still wins."""
    from omegaconf import OmegaConf

    overrides = cfg.get("latent_search")
    if data_kind != "table" or not overrides:
        return cfg.searcher
    given = {o.split("=", 1)[0].lstrip("+~").removeprefix("searcher.") for o in _command_line_overrides()
             if o.lstrip("+~").startswith("searcher.")}
    base = OmegaConf.create(OmegaConf.to_container(cfg.searcher, resolve=True))  # open: may gain keys
    return OmegaConf.merge(base, {k: v for k, v in overrides.items() if k not in given})


def _command_line_overrides() -> list[str]:
    """The overrides of a Hydra CLI run; none when composed in code (tests, notebooks)."""
    from hydra.core.hydra_config import HydraConfig

    if not HydraConfig.initialized():
        return []
    return list(HydraConfig.get().overrides.task)


def _n_jobs(setting: Any, n_neurons: int, cpus: int | None = None) -> int:
    """Searches at a time: ``auto`` = one per core (``cpus``: the cluster's, else this machine's)."""
    if setting in (None, "auto"):
        return max(1, min(n_neurons, cpus or os.cpu_count() or 1))
    return max(1, int(setting))


def explain(cfg: DictConfig) -> dict[str, Any]:
    """Explain the configured neurons of a training run; returns a summary per neuron.

    With ``parallel.backend=ray`` the searches run as Ray tasks; the cluster is reached (or the
    missing Ray or unreachable address reported) before any run is created or model loaded."""
    if cfg.explainer.get("whole_latent_space"):  # e.g. explainer=latent_field: not one neuron but the whole space
        from latentlaw.tasks.latent_field import latent_field

        return latent_field(cfg)
    parallel = ParallelSettings.from_config(cfg.get("parallel"))
    connected = parallel.backend == "ray" and cluster.connect(parallel.ray_address, "parallel.ray_address")
    try:
        return _explain(cfg, parallel)
    finally:
        if connected:
            cluster.import_ray().shutdown()  # this process's connection; a cluster keeps running


def _explain(cfg: DictConfig, parallel: ParallelSettings) -> dict[str, Any]:
    """explain() once the search engine is settled."""
    import mlflow
    import torch

    from latentlaw.explain.gradients import layer_width
    from latentlaw.symbolic.dataset import tangent_projector
    from latentlaw.tracking import configure_tracking, load_model, log_config, tracked_run
    from latentlaw.tracking.lookup import describe_training_run, get_training_run, load_json_artifact, load_npz_artifact
    from latentlaw.tracking.ui import describe_explain

    from latentlaw.tracking import front_checkpoints

    torch.set_num_threads(int(cfg.threads))
    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # one mathtext line per glyph per chart
    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    cfg, resumed = front_checkpoints.prepare_resume(cfg)  # resume=<explain run id>: its own config
    parent = get_training_run(str(cfg.train_run))
    print(f"explaining {describe_training_run(parent)}")  # latest/best: say which run was picked
    parent_id = parent.info.run_id
    dataset_record = load_json_artifact(parent_id, record.DATASET_ARTIFACT)
    variables: list[str] = list(dataset_record["variables"])
    truths = usable_truths(dataset_record, variables)  # shared-store text: restricted parser, before any work
    X = load_npz_artifact(parent_id, record.HELDOUT_ARTIFACT)["X"].astype(np.float64)
    model = load_model(parent_id)

    explainer: Explainer = build(cfg.explainer)
    neurons = resolve_neurons(cfg.neurons, layer_width(model, len(variables), explainer.layer))
    searcher_cfg = searcher_config(cfg, dataset_record.get("kind"))
    if "n_concepts" in searcher_cfg and hasattr(explainer, "n_concepts") and not any(
            o.lstrip("+~").startswith("explainer.n_concepts=") for o in _command_line_overrides()):
        from latentlaw.symbolic.options import check_n_concepts

        # latent_search.n_concepts (autoencoder latents: one law each) unless explainer.n_concepts was given
        explainer.n_concepts = check_n_concepts(searcher_cfg.n_concepts, explainer.objective)
    # Build one searcher and its options now so a bad searcher config fails before any run is created.
    from latentlaw.symbolic.options import build_options

    build_options(build(searcher_cfg, objective=explainer.objective, random_state=int(cfg.seed)).get_params())
    preselect_settings = PreselectSettings.from_config(cfg.get("preselect"))
    if preselect_settings is not None and len(variables) <= int(preselect_settings.min_width):
        preselect_settings = None  # few inputs (the paper's invariants): every search sees them all
    n_search = explainer.n_samples
    if len(X) - n_search < MIN_VERIFY_ROWS:
        # Few held-out rows (the shipped reviews keep 36): half for the search, the other half to
        # verify and score on, so no score is measured on the rows the search fitted.
        n_search = max(len(X) // 2, 1)
    X_search, X_verify = X[:n_search], X[n_search:n_search + VERIFY_ROWS]

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
    with tracked_run(run_name, tags, parent_run_id=parent_id, run_id=resumed) as run, tempfile.TemporaryDirectory() as tmp:
        if resumed is None:
            log_config(cfg)
        if not truths:
            mlflow.set_tag(record.VERIFICATION, "skipped: the dataset has no ground truth")
            print("verification skipped: the dataset has no ground-truth expression")
        mlflow.set_tag(record.PRESELECTION, str(preselect_settings) if preselect_settings else "off")
        selections = _preselect_all(model, X, variables, neurons, preselect_settings, explainer.layer)
        wide = dataset_record.get("kind") == "table"  # autoencoders: many latents, long sums, plain-text charts
        checkpoints = front_checkpoints.checkpoint_paths(tmp, neurons)
        front_checkpoints.fetch_fronts(resumed, checkpoints)
        # Fronts reach the run every few seconds (a kill -9 loses at most one interval), and each
        # finished search is logged at once (front, chart, equation files), before any
        # verification: a failure there never loses a finished search.
        with front_checkpoints.FrontUploader(run.info.run_id, checkpoints, front_checkpoints.upload_interval(cfg)):
            results = _run_searches(cfg, searcher_cfg, explainer, model, X_search, variables, neurons, checkpoints,
                                    selections, on_result=lambda res: _log_search(res, truths, latex=not wide),
                                    parallel=parallel)
        projector = tangent_projector(X)
        if projector is not None:
            mlflow.set_tag(record.TANGENT_RANK, str(int(round(np.trace(projector)))))
        summary = _log_results(results, truths, X_verify, variables, float(cfg.recovery_tolerance), projector,
                               run.info.run_id, model, explainer, selections)
        describe_explain(summary, variables, X_verify)  # UI: the run's description; each equation as a pyfunc model
        if any(r.interrupted for r in results) or len(results) < len(neurons):
            print(report(summary))
            raise KeyboardInterrupt("search interrupted: the fronts found so far are logged, the run is marked KILLED")
    return summary


def _preselect_all(model: Any, X: np.ndarray, variables: list[str], neurons: list[int],
                   settings: PreselectSettings | None, layer: str | None) -> dict[int, Preselection]:
    """Each latent's input preselection on the held-out rows, logged before any search starts."""
    import mlflow

    from latentlaw.explain.preselect import preselect
    from latentlaw.tracking.runs import log_json

    if settings is None:
        return {}
    selections = {}
    for j in neurons:
        chosen = preselect(model, X, variables, j, settings, layer)
        selections[j] = chosen
        log_json(chosen.as_record(), record.preselection_file(j))
        mlflow.log_metrics({record.neuron_metric(record.PRESELECTED_INPUTS_METRIC, j): float(len(chosen.inputs)),
                            record.neuron_metric(record.PRESELECTED_SHARE_METRIC, j): chosen.kept_share})
        log.info("latent %d: %d of %d inputs, %.2f of its gradient energy: %s", j, len(chosen.inputs),
                 len(variables), chosen.kept_share,
                 ", ".join(f"{v} {s:.2f}" for v, s in zip(chosen.variables, chosen.shares)))
    counts = [len(c.inputs) for c in selections.values()]
    shares = [c.kept_share for c in selections.values()]
    print(f"preselection ({settings.weight} weighted gradient energy): {min(counts)}-{max(counts)} of "
          f"{len(variables)} inputs per latent, holding {min(shares):.2f}-{max(shares):.2f} of its energy "
          f"(see {record.PRESELECTION_DIR}/ in the run)")
    return selections


class _Progress:
    """A line per finished search: which latent, how many left, elapsed and estimated time left."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.perf_counter()

    def step(self, res: NeuronExplanation) -> str:
        import mlflow

        self.done += 1
        elapsed = time.perf_counter() - self.started
        left = self.total - self.done
        eta = elapsed / self.done * left
        mlflow.log_metric(record.LATENTS_DONE_METRIC, float(self.done), step=self.done)
        equation = equation_text(res.expression)
        equation = equation if len(equation) <= 80 else equation[:77] + "..."
        return (f"[{self.done}/{self.total}] latent {res.neuron} done in {res.seconds:.1f} s: {equation}; "
                f"{left} left, elapsed {_clock(elapsed)}, ETA {_clock(eta)}")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _run_searches(cfg: DictConfig, searcher_cfg: DictConfig, explainer: Explainer, model: Any, X: np.ndarray,
                  variables: list[str], neurons: list[int], checkpoints: dict[int, str],
                  selections: dict[int, Preselection],
                  on_result: Callable[[NeuronExplanation], None],
                  parallel: ParallelSettings = ParallelSettings()) -> list[NeuronExplanation]:
    """Searches in parallel over latents (one per core by default, on a Ray cluster one per
    cluster core); ``on_result`` runs in this process as each one finishes, in the order they finish."""
    on_ray = parallel.backend == "ray"
    if on_ray:
        n_jobs = _n_jobs(cfg.get("n_jobs"), len(neurons), max(1, cluster.cluster_cpus() // max(1, int(cfg.threads))))
    else:
        n_jobs = _n_jobs(cfg.get("n_jobs"), len(neurons))
    seed_linear = bool(cfg.get("preselect") and cfg.preselect.get("seed_linear"))
    args = [(explainer, searcher_cfg, model, X, variables, j, int(cfg.seed), checkpoints[j], int(cfg.threads),
             selections.get(j), seed_linear) for j in neurons]
    progress = _Progress(len(neurons))
    results: list[NeuronExplanation] = []

    def finished(res: NeuronExplanation) -> None:
        results.append(res)
        on_result(res)
        if len(neurons) > 1:
            print(progress.step(res), flush=True)

    if on_ray:  # even one search at a time goes to the cluster: that is where the user wants the work
        print(f"searching {len(neurons)} latents on Ray, {n_jobs} at a time", flush=True)
        _search_on_ray(args, n_jobs, int(cfg.threads), finished)
    elif n_jobs == 1:
        for a in args:
            finished(_explain_one(*a))
            if results[-1].interrupted:
                break  # Ctrl-C: keep what was found, search no further neurons
    else:
        from joblib import Parallel, delayed

        print(f"searching {len(neurons)} latents, {n_jobs} at a time", flush=True)
        for res in Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")(
                delayed(_explain_one)(*a) for a in args):
            finished(res)
    order = {j: i for i, j in enumerate(neurons)}
    return sorted(results, key=lambda r: order[r.neuron])


def _search_on_ray(args: list[tuple], n_jobs: int, threads: int, finished: Callable[[NeuronExplanation], None]) -> None:
    """Each search a Ray task reserving ``threads`` CPUs, at most ``n_jobs`` in flight; the model
    and inputs are put in Ray's object store once. Any error or Ctrl-C cancels the rest."""
    ray = cluster.import_ray()
    search = ray.remote(num_cpus=threads)(_explain_one)
    model_ref, X_ref = ray.put(args[0][2]), ray.put(args[0][3])  # the same model and rows for every neuron
    queue, pending = list(args), []
    try:
        while queue or pending:
            while queue and len(pending) < n_jobs:
                a = queue.pop(0)
                pending.append(search.remote(a[0], a[1], model_ref, X_ref, *a[4:]))
            done, pending = ray.wait(pending, num_returns=1)
            finished(ray.get(done[0]))
    except BaseException:
        for ref in pending:
            ray.cancel(ref)
        raise


def _front_table(result: NeuronExplanation) -> dict[str, list]:
    front = result.front
    return {
        "complexity": [int(c) for c in front["complexity"]],
        "loss": [float(v) for v in front["loss"]],
        "score": [float(v) for v in front["score"]] if "score" in front else [float("nan")] * len(front),
        "equation": [equation_text(e) for e in front["sympy"]],
        "latex": [equation_latex(e) for e in front["sympy"]],
        "selected": [i == result.selected_index for i in range(len(front))],
    }


def _log_search(res: NeuronExplanation, truths: list[str], latex: bool = True) -> None:
    """One finished search: front table, Pareto chart, equation files, its tag and metrics."""
    import mlflow

    from latentlaw.explain.charts import pareto_chart
    from latentlaw.tracking.runs import log_figure

    j = res.neuron
    selected = res.front.iloc[res.selected_index]
    mlflow.log_table(_front_table(res), record.front_table(j))
    mlflow.log_text(equation_text(res.expression), record.equation_file(j, "txt"))
    mlflow.log_text(sympy.srepr(res.expression), record.equation_file(j, "srepr"))
    mlflow.log_text(equation_latex(res.expression), record.equation_file(j, "tex"))
    mlflow.set_tag(record.neuron_equation_tag(j), equation_text(res.expression)[:5000])
    if res.ray_node:
        mlflow.set_tag(record.neuron_ray_node_tag(j), res.ray_node)
    mlflow.log_metrics({record.neuron_metric(record.SEARCH_SECONDS_METRIC, j): res.seconds,
                        record.neuron_metric("loss", j): float(selected["loss"]),
                        record.neuron_metric("complexity", j): float(selected["complexity"]),
                        record.neuron_metric(record.N_CONCEPTS_METRIC, j): float(res.n_concepts),
                        **{record.neuron_metric(record.span_loss_metric(k), j): _finite(v)
                           for k, v in res.concept_losses.items()}})
    fig = pareto_chart(res.front, res.selected_index, f"{res.explainer}, neuron {j}", " ; ".join(truths) or None,
                       latex=latex)
    log_figure(fig, record.pareto_plot(j))


def _log_results(results: list[NeuronExplanation], truths: list[str], X_verify: np.ndarray, variables: list[str],
                 tolerance: float, projector: np.ndarray | None, run_id: str, model: Any, explainer: Explainer,
                 selections: dict[int, Preselection]) -> dict[str, Any]:
    """Verification against the ground truth (if any) and the fit to each latent itself, then the
    equations table and the run's summary tags and metrics."""
    import mlflow

    from latentlaw.explain import latent_fit
    from latentlaw.explain.gradients import neuron_values_and_gradients
    from latentlaw.tracking.runs import log_json

    rows: list[dict[str, Any]] = []
    method = latent_fit.AFFINE_REFIT if explainer.objective == "gradient" else latent_fit.AS_FITTED
    mlflow.set_tag(record.R2_METHOD, method)
    for res in results:
        j = res.neuron
        verdict = verify(res.expression, res.front, truths, X_verify, variables, tolerance, projector)
        latent, latent_gradients = neuron_values_and_gradients(model, X_verify, j, explainer.layer)
        fit = latent_fit.score(res.expression, list(res.front["sympy"]), X_verify, variables, latent,
                               latent_gradients, explainer.objective)
        mlflow.log_metrics({record.neuron_metric(record.LATENT_R2_METRIC, j): _finite(fit.r2),
                            record.neuron_metric(record.LATENT_BEST_R2_METRIC, j): _finite(fit.best_r2),
                            record.neuron_metric(record.LATENT_ALIGNMENT_METRIC, j): fit.alignment})
        selected = res.front.iloc[res.selected_index]
        chosen = selections.get(j)
        rows.append({
            "neuron": j,
            "equation": equation_text(res.expression),
            "latex": equation_latex(res.expression),
            "complexity": int(selected["complexity"]),
            "loss": float(selected["loss"]),
            "seconds": res.seconds,
            "ground_truth_alignment": verdict.alignment,
            "recovered": verdict.recovered,
            "front_contains_truth": verdict.front_contains_truth,
            "form_alignment": verdict.form_alignment,
            "exact_form": verdict.exact_form,
            "interrupted": res.interrupted,
            record.COLUMN_N_CONCEPTS: res.n_concepts,
            record.COLUMN_CONCEPT_LOSSES: " ".join(f"{k}:{v:.3g}" for k, v in sorted(res.concept_losses.items())),
            record.COLUMN_R2: _finite(fit.r2),
            record.COLUMN_BEST_R2: _finite(fit.best_r2),
            record.COLUMN_ALIGNMENT: fit.alignment,
            record.COLUMN_INPUTS: ",".join(chosen.variables) if chosen else "",
            record.COLUMN_INPUT_SHARE: chosen.kept_share if chosen else 1.0,
        })
    first = rows[0]
    mlflow.log_table({k: [r[k] for r in rows] for k in rows[0]}, record.EQUATIONS_TABLE)
    log_json(results[0].settings, record.SEARCHER_SETTINGS)
    mlflow.set_tags({record.EQUATION: first["equation"][:5000], record.EQUATION_LATEX: first["latex"][:5000]})
    mlflow.log_metrics({record.SEARCH_SECONDS_METRIC: float(sum(r["seconds"] for r in rows)),
                        record.N_CONCEPTS_METRIC: float(first[record.COLUMN_N_CONCEPTS])})  # of the EQUATION tag's row
    r2 = np.array([r[record.COLUMN_R2] for r in rows])
    mlflow.log_metrics({record.LATENT_R2_MIN_METRIC: float(r2.min()),
                        record.LATENT_R2_MEDIAN_METRIC: float(np.median(r2)),
                        record.LATENT_R2_MAX_METRIC: float(r2.max()),
                        record.LATENT_R2_SHARE_90_METRIC: float(np.mean(r2 >= 0.9))})
    if truths:
        best = max(rows, key=lambda r: r["ground_truth_alignment"])
        mlflow.set_tags({record.RECOVERED: str(any(r["recovered"] for r in rows)).lower(),
                         record.FRONT_CONTAINS_TRUTH: str(any(r["front_contains_truth"] for r in rows)).lower(),
                         record.EXACT_FORM: str(any(r["exact_form"] for r in rows)).lower(),
                         record.RECOVERED_NEURON: str(best["neuron"])})
        mlflow.log_metrics({record.ALIGNMENT_METRIC: float(best["ground_truth_alignment"]),
                            record.FORM_ALIGNMENT_METRIC: float(max(r["form_alignment"] for r in rows))})
    return {"run_id": run_id, "neurons": rows, "ground_truth": truths, "tracking_uri": mlflow.get_tracking_uri(),
            "r2_method": method}


def _finite(value: float) -> float:
    """MLflow and JSON tables take no infinities: an expression undefined on some held-out rows
    (R^2 = -inf) is logged as -1e9, far below any real fit."""
    return float(value) if np.isfinite(value) else -1e9 if value < 0 else float("nan")


def report(summary: dict[str, Any]) -> str:
    """What the user reads at the end of explain.py: the law, the truth, the verdict, the UI."""
    from latentlaw.tracking.ui import browse_hint

    lines = []
    for r in summary["neurons"]:
        verdict = "" if r["recovered"] is None else (
            f"  -> {'RECOVERED' if r['recovered'] else 'not recovered'} (alignment {r['ground_truth_alignment']:.6f}; "
            f"{'the exact form' if r['exact_form'] else 'not the exact form'} with refitted constants)")
        concepts = ""
        if r.get(record.COLUMN_CONCEPT_LOSSES) or r.get(record.COLUMN_N_CONCEPTS, 1) > 1:
            concepts = f", {r[record.COLUMN_N_CONCEPTS]} concept(s)"
            if r.get(record.COLUMN_CONCEPT_LOSSES):
                concepts += f" (span loss per k tried: {r[record.COLUMN_CONCEPT_LOSSES]})"
        lines.append(f"neuron {r['neuron']}: {r['equation']}   [complexity {r['complexity']}, loss {r['loss']:.3g}, "
                     f"R^2 {r[record.COLUMN_R2]:.3f}, {r['seconds']:.1f} s{concepts}]{verdict}")
    r2 = np.array([r[record.COLUMN_R2] for r in summary["neurons"]])
    if len(r2) > 1:
        lines.append(f"R^2 against each latent on held-out rows ({summary['r2_method']}): min {r2.min():.3f}, "
                     f"median {np.median(r2):.3f}, max {r2.max():.3f}; {np.mean(r2 >= 0.9):.0%} of "
                     f"{len(r2)} latents >= 0.9")
    if summary["ground_truth"]:
        lines.append(f"ground truth: {' ; '.join(summary['ground_truth'])}")
    else:
        lines.append("ground truth: unknown for this dataset, verification skipped")
    uri = summary["tracking_uri"]
    lines.append(f"explain run {summary['run_id']} logged to {uri}")
    lines.append(browse_hint(uri, run_id=summary["run_id"]))
    return "\n".join(lines)
