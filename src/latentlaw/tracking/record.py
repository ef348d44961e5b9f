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

# --- crash, resume and liveness (tracking.heartbeat, tracking.stale, tracking.checkpoints) -----
PID = "latentlaw.pid"  # process id of the process that holds the run open
HOST = "latentlaw.host"  # its host name: a pid means something only on its own host
HEARTBEAT = "latentlaw.heartbeat"  # unix time (s) last written by the holder's heartbeat thread
RESUMED = "latentlaw.resumed"  # how many times the run was reopened by resume=
STALE_ERROR = "stale: "  # prefix of ERROR when tracking.stale marked a dead run FAILED
TRAIN_CHECKPOINT = "latentlaw.train_checkpoint"  # artifact path of the last complete training checkpoint
TRAIN_CHECKPOINT_EPOCH = "latentlaw.train_checkpoint_epoch"  # epochs completed in that checkpoint
TRAIN_CHECKPOINT_SLOTS = ("checkpoints/train/slot_a.ckpt", "checkpoints/train/slot_b.ckpt")  # written in turn


def front_checkpoint(neuron: int) -> str:
    """The explain search's front checkpoint of one neuron, under CHECKPOINTS_DIR."""
    return f"{CHECKPOINTS_DIR}/front_neuron_{neuron}.csv"


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
