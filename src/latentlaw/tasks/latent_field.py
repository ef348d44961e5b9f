"""explain.py explainer=latent_field: a training run's latent vector field, logged as a nested run.

Everything is checked (settings, model, training data) before the run is created; the summary is
logged first, then the parts that can fail (plots, dictionary, OOD, closed-form laws) add to it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf

from latentlaw.latent_space.explore import FieldResult, FieldSettings, explore, summarise
from latentlaw.tracking import record

log = logging.getLogger(__name__)
OOD_KINDS = ("auto", "classes", "noise")


@dataclass
class Plan:
    """What the explainer config asks for, validated."""

    settings: FieldSettings
    sparsities: list[float]
    ood: str
    noise_std: float
    laws: dict[str, Any]


def plan_from(cfg: DictConfig) -> Plan:
    ex = cfg.explainer
    starts = ex.get("starts", {})
    settings = FieldSettings(
        n_train_starts=_count(starts, "train", 2000), n_test_starts=_count(starts, "test", 1000),
        n_noise_starts=_count(starts, "noise", 2000), noise=str(ex.get("noise", "standard")),
        tol=float(ex.get("tol", 1e-6)), max_steps=_count(ex, "max_steps", 3000),
        cos_threshold=float(ex.get("cos_threshold", 0.99)), keep_paths=_count(ex, "keep_paths", 40),
        path_every=max(1, _count(ex, "path_every", 5)), seed=int(cfg.seed))
    sparsities = [float(s) for s in (ex.get("dictionary", {}) or {}).get("sparsity", [0.05])]
    if not sparsities or any(not 0 < s <= 1 for s in sparsities):
        raise ValueError(f"explainer.dictionary.sparsity must list shares of the atoms in (0, 1], got {sparsities}.")
    ood = ex.get("ood", {}) or {}
    kind, noise_std = str(ood.get("out", "auto")), float(ood.get("noise_std", 0.2))
    if kind not in OOD_KINDS or not noise_std > 0:
        raise ValueError(f"explainer.ood.out must be one of {OOD_KINDS} and ood.noise_std > 0; got {kind!r}, {noise_std}.")
    laws = ex.get("laws") or {}
    laws = OmegaConf.to_container(laws, resolve=True) if isinstance(laws, DictConfig) else dict(laws)
    return Plan(settings, sparsities, kind, noise_std, laws)


def _count(section: Any, key: str, default: int) -> int:
    """A whole-number setting, refused with its name when it is not one."""
    value = section.get(key, default) if section is not None else default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 0:
        raise ValueError(f"latent-field setting {key!r} must be a whole number >= 0, got {value!r}.")
    return int(value)


def out_of_distribution(dataset: Any, plan: Plan) -> tuple[np.ndarray, str]:
    """The out-of-distribution rows and how they were made: held-out classes if the run left some
    out (dataset.classes), else the test rows plus Gaussian noise."""
    outside = getattr(dataset, "outside", None)
    has_classes = outside is not None and len(outside) > 0
    if plan.ood == "classes" and not has_classes:
        raise ValueError("explainer.ood.out=classes needs a run trained on some classes only (e.g. dataset=digits "
                         "dataset.classes=[0,1,2,3,4]); use ood.out=noise or auto.")
    if plan.ood in ("auto", "classes") and has_classes:
        return np.asarray(outside, dtype=np.float32), f"classes left out of training ({len(outside)} rows)"
    rng = np.random.default_rng(plan.settings.seed + 1)
    noisy = dataset.test + rng.normal(0.0, plan.noise_std, dataset.test.shape).astype(np.float32)
    return noisy, f"test rows + N(0, {plan.noise_std:g}) noise"


def latent_field(cfg: DictConfig) -> dict[str, Any]:
    """Whole-latent-space explainer: attractors, memorisation, dictionary, OOD, plots (and laws for d <= 3)."""
    import mlflow

    from latentlaw.latent_space.field import latent_map
    from latentlaw.latent_space.training_data import rebuild_training_data
    from latentlaw.tracking import configure_tracking, load_model, log_config, tracked_run
    from latentlaw.tracking.lookup import get_training_run

    torch.set_num_threads(int(cfg.threads))
    plan = plan_from(cfg)
    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    parent = get_training_run(str(cfg.train_run))
    parent_id = parent.info.run_id
    model = load_model(parent_id)
    latent_map(model)  # no decoder: refused here
    dataset = rebuild_training_data(parent_id)
    out_rows, out_kind = out_of_distribution(dataset, plan)

    mlflow.set_experiment(experiment_id=parent.info.experiment_id)
    tags = {record.TASK: record.TASK_EXPLAIN, record.EXPLAINER: record.EXPLAINER_LATENT_FIELD,
            record.TRAIN_RUN: parent_id, record.EXPERIMENT: parent.data.tags.get(record.EXPERIMENT, ""),
            record.DATASET: dataset.name, record.LATENT_SIZE: parent.data.tags.get(record.LATENT_SIZE, ""),
            record.LATENT_FIELD_OOD: out_kind}
    with tracked_run(f"latent_field-{parent.info.run_name}", tags, parent_run_id=parent_id) as run:
        log_config(cfg)
        result = explore(model, dataset.train, dataset.test, plan.settings)
        summary = summarise(result, plan.settings)
        _log_summary(result, summary)
        _log_plots(model, result, dataset)
        parts = {"dictionary": lambda: _log_dictionary(result, dataset, plan),
                 "ood": lambda: _log_ood(model, result, dataset, out_rows, out_kind, plan)}
        if plan.laws.get("enabled", True) and result.train_latents.shape[1] <= 3:
            parts["laws"] = lambda: _log_laws(model, result, plan)
        for name, part in parts.items():
            summary[name] = part()
            _write(summary)  # each part is kept even if a later one fails
    print(report(summary, run.info.run_id))
    return {"run_id": run.info.run_id, "neurons": [], "ground_truth": [], "tracking_uri": mlflow.get_tracking_uri(),
            "latent_field": summary}


def _write(summary: dict) -> None:
    from latentlaw.tracking.runs import log_json

    log_json(summary, record.LATENT_FIELD_SUMMARY)


def _log_summary(result: FieldResult, summary: dict) -> None:
    import tempfile
    from pathlib import Path

    import mlflow

    mlflow.log_metrics(field_metrics(summary))
    _write(summary)
    att = result.attractors
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(record.LATENT_FIELD_ATTRACTORS).name
        np.savez_compressed(path, z=att.points.numpy(), decoded=result.decoded, eigenvalues=att.eigenvalues,
                            **{f"basin_{k}": att.basin(k) for k in result.runs})
        mlflow.log_artifact(str(path), artifact_path=str(Path(record.LATENT_FIELD_ATTRACTORS).parent))


def field_metrics(summary: dict) -> dict[str, float]:
    """The summary's headline numbers under their metric names (shared with the training callback)."""
    values = {record.LF_ATTRACTORS_METRIC: summary["n_attractors"],
              record.LF_CONVERGED_METRIC: summary["converged_fraction"],
              record.LF_MEMORISATION_METRIC: summary["memorisation"],
              record.LF_MEMORISATION_BASELINE_METRIC: summary["memorisation_baseline"],
              record.LF_MEMORISATION_CALIBRATED_METRIC: summary["memorisation_calibrated"],
              record.LF_GENERALISATION_METRIC: summary["generalisation_components"],
              record.LF_SPECTRAL_RADIUS_METRIC: summary["spectral_radius_max"]}
    return {k: float(v) for k, v in values.items() if v is not None and np.isfinite(float(v))}


def _log_plots(model: torch.nn.Module, result: FieldResult, dataset: Any) -> None:
    from latentlaw.latent_space.field import latent_map
    from latentlaw.latent_space.plots import image_grid, pca_trajectories, streamplot
    from latentlaw.tracking.runs import log_figure

    att, d = result.attractors, result.train_latents.shape[1]
    title = f"{dataset.name}, latent {d}: {len(att)} attractors"
    if d == 2:
        train_starts = result.starts["train"]
        basin = att.assignment["train"]
        log_figure(streamplot(latent_map(model), train_starts, att.points, basin, title), record.LATENT_FIELD_STREAMPLOT)
    paths = result.runs["train"].paths
    log_figure(pca_trajectories(result.train_latents, paths, att.points, title), record.LATENT_FIELD_PCA)
    shape = getattr(dataset, "image_shape", None)
    if shape and len(att) and int(np.prod(shape)) == dataset.train.shape[1]:
        from latentlaw.latent_space.memorisation import best_cosine

        nearest = dataset.train[best_cosine(result.decoded, dataset.train.astype(np.float64))[1]]
        log_figure(image_grid(result.decoded, nearest, tuple(shape), title), record.LATENT_FIELD_IMAGES)


def _log_dictionary(result: FieldResult, dataset: Any, plan: Plan) -> dict:
    import mlflow

    from latentlaw.latent_space.dictionary import dictionary_table

    if "noise" not in result.runs:
        return {"skipped": "no Gaussian-noise starts (starts.noise=0)"}
    noise_attractors = result.attractors.reached_from("noise")
    if len(noise_attractors) == 0:
        return {"skipped": "no start from noise converged to an attractor"}
    table = dictionary_table(result.decoded[noise_attractors], dataset.test.astype(np.float64), plan.sparsities,
                             plan.settings.seed)
    mlflow.log_table(table, record.LATENT_FIELD_DICTIONARY)
    for s, a, b in zip(table["sparsity"], table["attractor_mse"], table["orthogonal_mse"]):
        mlflow.log_metrics({record.dictionary_metric("attractors", s): a, record.dictionary_metric("orthogonal", s): b})
    return table


def _log_ood(model: torch.nn.Module, result: FieldResult, dataset: Any, out_rows: np.ndarray, out_kind: str,
             plan: Plan) -> dict:
    """Trajectory score (mean distance to the nearest training attractor) against the nearest training latent."""
    import mlflow

    from latentlaw.latent_space.field import encode, iterate, latent_map
    from latentlaw.latent_space.ood import detection, nearest_distance

    training = result.attractors.reached_from("train")
    if len(training) == 0:
        return {"skipped": "no training start converged to an attractor"}
    refs = result.attractors.points[torch.as_tensor(training)]
    f = latent_map(model)
    z_in, z_out = encode(model, dataset.test), encode(model, out_rows)
    scores = {}
    for name, z in (("in", z_in), ("out", z_out)):
        scores[name] = iterate(f, z, plan.settings.tol, plan.settings.max_steps, references=refs).mean_distance
    traj = detection(scores["in"], scores["out"])
    knn = detection(nearest_distance(z_in, result.train_latents), nearest_distance(z_out, result.train_latents))
    mlflow.log_metrics({record.LF_OOD_AUROC_METRIC: traj["auroc"], record.LF_OOD_FPR95_METRIC: traj["fpr95"],
                        record.LF_KNN_AUROC_METRIC: knn["auroc"], record.LF_KNN_FPR95_METRIC: knn["fpr95"]})
    return {"out": out_kind, "n_in": int(len(z_in)), "n_out": int(len(z_out)), "trajectory": traj, "knn": knn}


def _log_laws(model: torch.nn.Module, result: FieldResult, plan: Plan) -> dict:
    import mlflow

    from latentlaw.latent_space.field import latent_map
    from latentlaw.latent_space.laws import fit_field_law
    from latentlaw.tracking.runs import log_json

    law = fit_field_law(latent_map(model), result.train_latents, result.attractors.points,
                        n_samples=int(plan.laws.get("n_samples", 500)),
                        timeout_in_seconds=float(plan.laws.get("timeout_in_seconds", 20)),
                        niterations=int(plan.laws.get("niterations", 40)), seed=plan.settings.seed)
    out = {"equations": {f"V{j}": e for j, e in enumerate(law.equations)}, "loss": law.losses,
           "component_variance": law.variance, "roots": law.roots.tolist(), "root_distance": law.distances.tolist(),
           "seconds": law.seconds}
    log_json(out, record.LATENT_FIELD_LAWS)
    finite = law.distances[np.isfinite(law.distances)]
    if len(finite):
        mlflow.log_metric(record.LF_LAW_DISTANCE_METRIC, float(finite.max()))
    return out


def report(summary: dict, run_id: str) -> str:
    """What the user reads at the end: attractors, memorisation, dictionary and OOD verdicts."""
    lines = [f"latent field: {summary['n_attractors']} fixed points ({summary['n_stable_attractors']} attractors, "
             f"spectral radius < 1), {summary['converged_fraction']:.1%} of starts converged",
             f"memorisation {summary['memorisation']:.3f} +- {summary['memorisation_std']:.3f} (held-out baseline "
             f"{summary['memorisation_baseline']:.3f}; calibrated {summary['memorisation_calibrated']:.3f})",
             f"decoded attractors: {summary['generalisation_components']} singular vectors hold 90% of the variance"]
    table = summary.get("dictionary", {})
    for s, a, b in zip(table.get("sparsity", []), table.get("attractor_mse", []), table.get("orthogonal_mse", [])):
        lines.append(f"dictionary at {s:.0%} of the atoms: OMP MSE attractors {a:.4f} vs random orthogonal {b:.4f}")
    ood = summary.get("ood", {})
    if "trajectory" in ood:
        lines.append(f"OOD ({ood['out']}): trajectory AUROC {ood['trajectory']['auroc']:.3f}, "
                     f"nearest-latent AUROC {ood['knn']['auroc']:.3f}")
    if "laws" in summary:
        lines.append("V(z) = " + " ; ".join(summary["laws"]["equations"].values()))
    lines.append(f"latent field run {run_id}")
    return "\n".join(lines)
