"""What the MLflow UI shows a reader: experiment kind, run descriptions, dataset inputs, the
equation as a loadable model, markdown that renders laws literally, and commands to browse.

MLflow renders a run's description (tag ``mlflow.note.content``) as markdown at the top of the
run page, so the equation, the verdict and the dataset are read there instead of in tag chips.
"""

from __future__ import annotations

import re
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd

from latentlaw.tracking import record

# --- markdown ---------------------------------------------------------------------------------

def code_span(text: object, in_table: bool = True) -> str:
    """``text`` as a markdown code span, so ``v**2/2`` is not rendered as bold or italics.

    The fence is one backtick longer than the longest run inside; newlines become spaces; in a
    table cell ``|`` is escaped (GFM splits cells on it even inside code spans).
    """
    body = " ".join(str(text).split("\n"))
    if not body:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    if body.startswith("`") or body.endswith("`"):
        body = f" {body} "
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"


def set_note(markdown: str) -> None:
    """The active run's description (rendered as markdown on its page)."""
    mlflow.set_tag(record.NOTE_TAG, markdown[:50000])


# --- experiments ------------------------------------------------------------------------------

def mark_model_training(experiment_id: str) -> None:
    """Tag the experiment as model training (not GenAI), unless someone chose a kind already."""
    experiment = mlflow.get_experiment(experiment_id)
    if record.EXPERIMENT_KIND_TAG not in (experiment.tags or {}):
        mlflow.MlflowClient().set_experiment_tag(experiment_id, record.EXPERIMENT_KIND_TAG,
                                                 record.EXPERIMENT_KIND_TRAINING)


def browse_hint(tracking_uri: str, experiment_id: str | None = None, run_id: str | None = None,
                port: int = 5000) -> str:
    """Commands that work as printed: start the UI on this store and open the run's page.

    The URL asks for MLflow's machine-learning view (``workflowType``): MLflow 3.17 opens its
    GenAI view unless the page or the browser's saved choice says otherwise.
    """
    if run_id and not experiment_id:
        try:
            experiment_id = mlflow.get_run(run_id).info.experiment_id
        except mlflow.exceptions.MlflowException:
            experiment_id = None
    if tracking_uri.startswith(("http://", "https://")):
        base, start = tracking_uri.rstrip("/"), None
    else:
        base = f"http://127.0.0.1:{port}"
        beside = Path(sys.executable).parent / "mlflow"  # this interpreter's venv, active or not
        exe = str(beside) if beside.exists() else "mlflow"
        start = (f"MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false {exe} ui --backend-store-uri {tracking_uri} "
                 f"--host 127.0.0.1 --port {port} --workers 1")
        repo_store = Path(__file__).resolve().parents[3] / "mlruns" / "mlflow.db"
        if tracking_uri == f"sqlite:///{repo_store}" and (repo_store.parents[1] / "Makefile").exists():
            start += f"   (or: make ui PORT={port})"
    page = f"{base}/#/experiments/{experiment_id}/runs/{run_id}" if experiment_id and run_id else \
        f"{base}/#/experiments/{experiment_id}" if experiment_id else f"{base}/"
    lines = [f"browse it: {start}"] if start else []
    lines.append(f"then open {page}?workflowType=machine_learning")
    return "\n".join(lines)


# --- training runs ----------------------------------------------------------------------------

def log_dataset_input(name: str, X: np.ndarray, variables: Sequence[str], context: str = "heldout") -> None:
    """The inputs as an MLflow dataset (name, digest, schema of named columns) on the active run."""
    frame = pd.DataFrame(np.asarray(X), columns=list(variables))
    mlflow.log_input(mlflow.data.from_pandas(frame, name=name), context=context)


def describe_training(dataset: Any, model: Any, metrics: Mapping[str, Any], max_rows: int) -> None:
    """Dataset input and the run's description: dataset, model, headline metric."""
    log_dataset_input(dataset.name, dataset.heldout_inputs()[:max_rows], dataset.variables)
    sizes = ", ".join(f"{split} {len(getattr(dataset, split)):,}" for split in ("train", "val", "test"))
    truth = record.TRUTH_SEPARATOR.join(code_span(t, in_table=False) for t in dataset.ground_truth) or "unknown"
    headline = [f"**{k}** {metrics[k]:.4g}" for k in ("spearman_abs", "test_loss", "test_triplet_accuracy")
                if isinstance(metrics.get(k), (int, float))]
    hidden = getattr(model.hparams, "hidden", None)
    lines = [
        f"**Dataset** {code_span(dataset.name, in_table=False)}"
        f"{' (synthetic)' if dataset.synthetic else ''}: {dataset.description or dataset.kind} ({sizes})",
        f"**Inputs** {', '.join(code_span(v, in_table=False) for v in dataset.variables[:20])}"
        f"{' ...' if len(dataset.variables) > 20 else ''}",
        f"**Ground truth** {truth}",
        f"**Model** {type(model).__name__}, latent size {model.hparams.latent_size}"
        + (f", hidden {list(hidden)}" if hidden is not None else ""),
        f"**Result** {', '.join(headline) or 'see metrics'}",
    ]
    set_note("\n\n".join(lines))


# --- explain runs -----------------------------------------------------------------------------

def _verdict(row: Mapping[str, Any]) -> str:
    if row.get("recovered") is None:
        return "no ground truth: not verified"
    word = "**recovered**" if row["recovered"] else "**not recovered**"
    form = "the exact form" if row.get("exact_form") else "not the exact form"
    return f"{word}, alignment {row['ground_truth_alignment']:.6f}; {form} with refitted constants"


def describe_explain(summary: Mapping[str, Any], variables: Sequence[str], X_example: np.ndarray) -> None:
    """Description of an explain run and each selected equation as a pyfunc model (X_example: a
    few held-out rows, the model's input example)."""
    rows = summary["neurons"]
    truths = summary.get("ground_truth") or []
    lines = []
    for r in rows:
        lines.append(f"**Neuron {r['neuron']}:** {code_span(r['equation'], in_table=False)}  \n"
                     f"LaTeX {code_span(r['latex'], in_table=False)}  \n"
                     f"{_verdict(r)} (complexity {r['complexity']}, loss {r['loss']:.3g}, {r['seconds']:.1f} s)")
    truth = record.TRUTH_SEPARATOR.join(code_span(t, in_table=False) for t in truths) or "unknown"
    lines.append(f"**Ground truth** {truth}")
    lines.append(f"Model of each equation: `mlflow.pyfunc.load_model('runs:/{summary['run_id']}/"
                 f"{record.equation_model(rows[0]['neuron'])}')`")
    set_note("\n\n".join(lines))
    for r in rows:
        log_equation_model(r["equation"], variables, record.equation_model(r["neuron"]), X_example)


class EquationModel(mlflow.pyfunc.PythonModel):
    """x -> the equation's value (k columns for a row of k concepts). The expression is stored
    as text with its variables and read at load time by latentlaw's restricted parser (never
    eval), then compiled by lambdify."""

    def load_context(self, context):  # no type hints: MLflow would read them as a signature
        import json

        import sympy

        from latentlaw.symbolic.export_sympy import concepts_of, parse_equation

        with open(context.artifacts["equation"], encoding="utf-8") as handle:
            spec = json.load(handle)
        self.variables = list(spec["variables"])
        expressions = concepts_of(parse_equation(spec["equation"], self.variables, what="logged equation"))
        self.n_outputs = len(expressions)
        expression = expressions if self.n_outputs > 1 else expressions[0]
        self._fn = sympy.lambdify([sympy.Symbol(v) for v in self.variables], expression, modules="numpy")

    def predict(self, context, model_input: pd.DataFrame, params=None) -> np.ndarray:
        if isinstance(model_input, pd.DataFrame):
            missing = [v for v in self.variables if v not in model_input.columns]
            if missing:
                raise ValueError(f"input lacks columns {missing}; the equation takes {self.variables}.")
            columns = [model_input[v].to_numpy(dtype=float) for v in self.variables]
        else:
            X = np.atleast_2d(np.asarray(model_input, dtype=float))
            if X.shape[1] != len(self.variables):
                raise ValueError(f"input has {X.shape[1]} columns; the equation takes {self.variables}.")
            columns = list(X.T)
        value = self._fn(*columns)
        if self.n_outputs > 1:  # a row of k concepts: one column per concept
            return np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), columns[0].shape) for v in value])
        return np.broadcast_to(np.asarray(value, dtype=float), columns[0].shape).copy()


def log_equation_model(equation: str, variables: Sequence[str], name: str, X_example: np.ndarray) -> None:
    """Log ``equation`` as a pyfunc model of the active run (loadable with mlflow.pyfunc.load_model)."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "equation.json"
        spec.write_text(json.dumps({"equation": equation, "variables": list(variables)}), encoding="utf-8")
        example = pd.DataFrame(np.asarray(X_example, dtype=float)[:5], columns=list(variables))
        code = Path(__file__).with_name("equation_pyfunc.py")  # models from code: nothing pickled
        mlflow.pyfunc.log_model(name=name, python_model=str(code), artifacts={"equation": str(spec)},
                                input_example=example,
                                pip_requirements=["latentlaw", "sympy", "numpy", "pandas"])
