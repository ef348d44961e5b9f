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

# --- analysis reports (analyze.py analysis=<report>) -------------------------------------------
ANALYSIS = "latentlaw.analysis"  # which report an analysis run holds: recovery, features, ...
ANALYSED_RUNS = "latentlaw.analysed_runs"  # comma-separated training run ids a report read
TEST_LOSS_METRIC = "test_loss"  # a training run's held-out loss (the autoencoder's reconstruction MSE)

RECOVERY_MARKDOWN = "recovery.md"
RECOVERY_CSV = "recovery.csv"
RECOVERY_TABLE = "recovery.json"
RECOVERY_PLOT = "recovery.png"

FEATURE_IMPORTANCE = "features/importance.csv"  # feature, importance, saliency, equations_using, redundant
FEATURE_IMPORTANCE_TABLE = "features/importance.json"
LATENT_FEATURE_TABLE = "features/latent_feature.json"  # one row per (dataset, seed, latent, feature)
LATENT_TABLE = "features/latents.json"  # one row per (dataset, seed, latent): weight, dead, structure
FEATURE_IMPORTANCE_PLOT = "features/importance.png"
FEATURES_SUMMARY = "features/summary.md"

RECONSTRUCTION_LAW = "reconstruction/law.json"  # equation, r2_holdout, knee_latent_size, ...
RECONSTRUCTION_RUNS = "reconstruction/runs.json"  # the runs the law was fitted to
RECONSTRUCTION_PLOT = "reconstruction/law.png"

# --- crash, resume and liveness (tracking.heartbeat, tracking.stale, tracking.checkpoints) -----
PID = "latentlaw.pid"  # process id of the process that holds the run open
HOST = "latentlaw.host"  # its host name: a pid means something only on its own host
HEARTBEAT = "latentlaw.heartbeat"  # unix time (s) last written by the holder's heartbeat thread
RESUMED = "latentlaw.resumed"  # how many times the run was reopened by resume=
RAY_NODE = "latentlaw.ray_node"  # the Ray node id of the worker that held the run (hydra/launcher=ray jobs)
STALE_ERROR = "stale: "  # prefix of ERROR when tracking.stale marked a dead run FAILED
TRAIN_CHECKPOINT = "latentlaw.train_checkpoint"  # artifact path of the last complete training checkpoint
TRAIN_CHECKPOINT_EPOCH = "latentlaw.train_checkpoint_epoch"  # epochs completed in that checkpoint
TRAIN_CHECKPOINT_SLOTS = ("checkpoints/train/slot_a.ckpt", "checkpoints/train/slot_b.ckpt")  # written in turn


def front_checkpoint(neuron: int) -> str:
    """The explain search's front checkpoint of one neuron, under CHECKPOINTS_DIR."""
    return f"{CHECKPOINTS_DIR}/front_neuron_{neuron}.csv"


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

# --- several laws per neuron (explainer.n_concepts; symbolic/concepts.py) ---------------------
N_CONCEPTS_METRIC = "n_concepts"  # per neuron: how many concepts its selected row has (chosen by auto or set)
COLUMN_N_CONCEPTS = N_CONCEPTS_METRIC
COLUMN_CONCEPT_LOSSES = "concept_losses"  # "1:0.031 2:0.0004": the selected row's span loss at each k tried


def span_loss_metric(k: int) -> str:
    """Per-neuron metric name (with neuron_metric) of the span loss reached with k concepts."""
    return f"span_loss_k{k}"


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


def neuron_ray_node_tag(neuron: int) -> str:
    """The Ray node id that ran neuron <j>'s search (explain.py parallel.backend=ray)."""
    return f"{RAY_NODE}.neuron_{neuron}"


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


def feature_heatmap(seed: str) -> str:
    """The latent x feature heatmap of one seed's run in a features analysis."""
    return f"features/heatmap_seed_{seed}.png"

# --- Optuna studies (hydra/sweeper=latentlaw_optuna, tracking.study) --------------------------
TASK_STUDY = "study"  # the parent run of an Optuna search; its trials are nested training runs
STUDY_NAME = "latentlaw.study.name"
STUDY_STORAGE = "latentlaw.study.storage"  # "" for an in-memory study
STUDY_DIRECTION = "latentlaw.study.direction"  # "minimize" / "maximize"
STUDY_METRIC = "latentlaw.study.metric"  # the optimised metric's name ("" = the task's default)
BEST_TRIAL_RUN = "latentlaw.study.best_run"  # run id of the best finished trial so far
TRIAL_NUMBER = "latentlaw.trial.number"
TRIAL_STATE = "latentlaw.trial.state"  # TRIAL_COMPLETE, TRIAL_PRUNED or TRIAL_FAILED
PRUNED_AT_EPOCH = "latentlaw.trial.pruned_at_epoch"
TRIAL_COMPLETE = "complete"
TRIAL_PRUNED = "pruned"
TRIAL_FAILED = "failed"

BEST_VALUE_METRIC = "best_value"  # on the study run, step = trial number
TRIAL_VALUE_METRIC = "trial_value"
N_PRUNED_METRIC = "n_pruned"
BEST_PARAMS_ARTIFACT = "best_params.json"
STUDY_TRIALS_TABLE = "trials.json"
STUDY_HISTORY_PLOT = "plots/optimization_history.png"
STUDY_IMPORTANCE_PLOT = "plots/param_importances.png"
BEST_PARAM_PREFIX = "best."  # study-run params: best.model.lr, ...

# --- what the MLflow UI shows (tracking.ui) ---------------------------------------------------
NOTE_TAG = "mlflow.note.content"  # a run's description, rendered as markdown on its page
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"  # read by MLflow's UI to choose GenAI or model views
EXPERIMENT_KIND_TRAINING = "custom_model_development"


def equation_model(neuron: int) -> str:
    """Name of the pyfunc model of neuron <j>'s selected equation (runs:/<run id>/<name>)."""
    return f"equation_neuron_{neuron}"

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
