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


# --- autoencoder latents: preselection, fit to the latent, progress (explain runs) ---------------
# Written by tasks/explain.py for every explained latent; read by the analysis reports
# (feature usage per latent). Per-latent metrics are neuron_metric(<name>, j).
LATENT_R2_METRIC = "latent_r2"  # R^2 of the selected expression against the latent (held-out rows)
LATENT_BEST_R2_METRIC = "latent_best_r2"  # the best R^2 of any expression on the front
LATENT_ALIGNMENT_METRIC = "latent_alignment"  # |mean cos| of its gradient field with the latent's
PRESELECTED_INPUTS_METRIC = "preselected_inputs"  # how many inputs the latent's search saw
PRESELECTED_SHARE_METRIC = "preselected_share"  # their share of the latent's gradient energy
LATENT_R2_MIN_METRIC = "latent_r2_min"  # run-level summaries over the explained latents
LATENT_R2_MEDIAN_METRIC = "latent_r2_median"
LATENT_R2_MAX_METRIC = "latent_r2_max"
LATENT_R2_SHARE_90_METRIC = "latent_r2_share_0.9"  # share of latents with R^2 >= 0.9
LATENTS_DONE_METRIC = "latents_done"  # logged with step = count as each search finishes
R2_METHOD = "latentlaw.r2_method"  # tag: "as fitted" or "affine refit z ~ a + b*T" (explain.latent_fit)
PRESELECTION = "latentlaw.preselection"  # tag: the settings, or "off"
# Columns the explain task adds to EQUATIONS_TABLE, one row per latent.
COLUMN_R2 = LATENT_R2_METRIC
COLUMN_BEST_R2 = LATENT_BEST_R2_METRIC
COLUMN_ALIGNMENT = LATENT_ALIGNMENT_METRIC
COLUMN_INPUTS = "inputs"  # the preselected variable names the search saw, comma-separated ("" = all)
COLUMN_INPUT_SHARE = PRESELECTED_SHARE_METRIC
PRESELECTION_DIR = "preselection"  # preselection/neuron_<j>.json: inputs, variables, shares, kept_share


def preselection_file(neuron: int) -> str:
    """``preselection/neuron_<j>.json``: which inputs latent j's search saw and their energy shares."""
    return f"{PRESELECTION_DIR}/neuron_{neuron}.json"


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
