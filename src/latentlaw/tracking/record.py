"""The names latentlaw's runs share: tags, metrics and artifact paths, written once here.

A training run is written by train.py and read by explain.py; explain runs are read by
analyze.py. Writer and reader import the same constant, so renaming a tag cannot silently
break a reader. Per-neuron names are built by the small functions at the end.
"""

from __future__ import annotations

# --- tags every latentlaw run carries ---------------------------------------------------------
TASK = "latentlaw.task"  # "train", "explain", "analyze"
EXPERIMENT = "latentlaw.experiment"  # the Hydra experiment choice, e.g. paper/07_harmonic ("" if none)
DATASET = "latentlaw.dataset"
GROUND_TRUTH = "latentlaw.ground_truth"  # laws joined by TRUTH_SEPARATOR ("" if unknown)
SEED = "latentlaw.seed"
ERROR = "latentlaw.error"  # why a run ended FAILED or KILLED

TASK_TRAIN = "train"
TASK_EXPLAIN = "explain"
TASK_ANALYZE = "analyze"

TRUTH_SEPARATOR = " ; "

# --- training runs ----------------------------------------------------------------------------
DATA_KIND = "latentlaw.data_kind"  # "triplets" or "table"
MODEL = "latentlaw.model"  # the model's class name
MODEL_CLASS = "latentlaw.model_class"  # the registered model kind the artifact was saved as
LATENT_SIZE = "latentlaw.latent_size"
SYNTHETIC = "latentlaw.synthetic"  # "true" / "false"

DATASET_ARTIFACT = "data/dataset.json"  # variables, ground truth, description, sizes
HELDOUT_ARTIFACT = "data/heldout.npz"  # held-out inputs the explainers probe (X, variables)
MODEL_ARTIFACT = "model/model.pt"  # weights + validated config (see tracking.models)
CONFIG_ARTIFACT = "config.yaml"
LATENT_PLOT = "plots/latent_vs_ground_truth.png"

# --- explain runs -----------------------------------------------------------------------------
EXPLAINER = "latentlaw.explainer"
TRAIN_RUN = "latentlaw.train_run"  # the training run explained
NEURONS = "latentlaw.neurons"  # comma-separated neuron indices
VERIFICATION = "latentlaw.verification"  # why verification was skipped, when it was
TANGENT_RANK = "latentlaw.tangent_rank"

EQUATION = "equation"  # the first neuron's selected equation (tag)
EQUATION_LATEX = "equation_latex"
RECOVERED = "recovered"  # "true" / "false" (tag)
FRONT_CONTAINS_TRUTH = "front_contains_truth"
EXACT_FORM = "exact_form"
RECOVERED_NEURON = "recovered_neuron"

ALIGNMENT_METRIC = "ground_truth_alignment"
FORM_ALIGNMENT_METRIC = "form_alignment"
SEARCH_SECONDS_METRIC = "search_seconds"

EQUATIONS_TABLE = "equations.json"  # one row per neuron
SEARCHER_SETTINGS = "searcher_settings.json"
CHECKPOINTS_DIR = "checkpoints"


def neuron_equation_tag(neuron: int) -> str:
    return f"equation.neuron_{neuron}"


def front_table(neuron: int) -> str:
    return f"fronts/neuron_{neuron}.json"


def pareto_plot(neuron: int) -> str:
    return f"plots/pareto_neuron_{neuron}.png"


def equation_file(neuron: int, suffix: str) -> str:
    """``equations/neuron_<j>.<suffix>`` with suffix txt (infix), tex or srepr."""
    return f"equations/neuron_{neuron}.{suffix}"


def neuron_metric(name: str, neuron: int) -> str:
    return f"{name}.neuron_{neuron}"


def truth_list(tag_value: str | None) -> list[str]:
    """The ground-truth tag split back into its laws."""
    return [t.strip() for t in (tag_value or "").split(TRUTH_SEPARATOR.strip()) if t.strip()]


def search_filter(tags: dict[str, str]) -> str:
    """An MLflow filter string matching every tag name -> value given (values quoted safely)."""
    clauses = []
    for name, value in tags.items():
        quoted = "'" + str(value).replace("'", "\\'") + "'"
        clauses.append(f"tags.`{name}` = {quoted}")
    return " and ".join(clauses)


# --- latent vector fields (explainer=latent_field; the training callback; latent_space.study) --------
EXPLAINER_LATENT_FIELD = "latent_field"  # value of the EXPLAINER tag on latent-field runs
LATENT_FIELD_OOD = "latentlaw.latent_field.ood"  # what the out-of-distribution set was (tag)
LATENT_FIELD_SUMMARY = "latent_field/summary.json"  # n_attractors, converged_fraction, memorisation, ...
LATENT_FIELD_ATTRACTORS = "latent_field/attractors.npz"  # z*, D(z*), spectra, basins
LATENT_FIELD_DICTIONARY = "latent_field/dictionary.json"  # MLflow table: OMP MSE, attractors vs orthogonal
LATENT_FIELD_LAWS = "latent_field/laws.json"  # closed-form V(z) and its roots (latent size <= 3)
LATENT_FIELD_STREAMPLOT = "plots/latent_field_stream.png"
LATENT_FIELD_PCA = "plots/latent_field_pca.png"
LATENT_FIELD_IMAGES = "plots/latent_field_attractors.png"
LATENT_FIELD_STUDY_TABLE = "latent_field_study.md"
LATENT_FIELD_STUDY_ROWS = "latent_field_study.json"  # MLflow table, one row per model
LATENT_FIELD_STUDY_PLOT = "latent_field_study.png"

# metrics (explain run: final values; training run: one point per N epochs from the callback)
LF_ATTRACTORS_METRIC = "latent_field_attractors"
LF_CONVERGED_METRIC = "latent_field_converged_fraction"
LF_MEMORISATION_METRIC = "latent_field_memorisation"
LF_MEMORISATION_BASELINE_METRIC = "latent_field_memorisation_baseline"
LF_MEMORISATION_CALIBRATED_METRIC = "latent_field_memorisation_calibrated"
LF_GENERALISATION_METRIC = "latent_field_generalisation_components"
LF_SPECTRAL_RADIUS_METRIC = "latent_field_spectral_radius_max"
LF_OOD_AUROC_METRIC = "latent_field_ood_auroc"
LF_OOD_FPR95_METRIC = "latent_field_ood_fpr95"
LF_KNN_AUROC_METRIC = "latent_field_knn_auroc"
LF_KNN_FPR95_METRIC = "latent_field_knn_fpr95"
LF_LAW_DISTANCE_METRIC = "latent_field_law_root_distance_max"


def dictionary_metric(which: str, sparsity: float) -> str:
    """``latent_field_omp_mse.<attractors|orthogonal>.s<sparsity>``."""
    return f"latent_field_omp_mse.{which}.s{sparsity:g}"
