"""What the MLflow UI shows: markdown code spans, descriptions, experiment kind, equation models."""

from __future__ import annotations

import sys

import mlflow
import numpy as np
import pandas as pd
import pytest

from latentlaw.tracking import configure_tracking, record, tracked_run
from latentlaw.tracking.ui import browse_hint, code_span, describe_explain, log_dataset_input, log_equation_model


@pytest.mark.parametrize("text, span", [
    ("v**2/2 + x**2/2", "`v**2/2 + x**2/2`"),      # ** would render as bold outside a code span
    ("a`b", "``a`b``"),                              # a backtick inside needs a longer fence
    ("`x`", "`` `x` ``"),                            # ... and padding where it touches the fence
    ("Abs(x)|y", "`Abs(x)\\|y`"),                    # GFM splits table cells on | even in code
    ("", ""),
])
def test_code_span_keeps_laws_literal_in_markdown_tables(text, span):
    assert code_span(text) == span


def test_code_span_outside_tables_keeps_pipes_and_folds_newlines():
    assert code_span("a|b\nc", in_table=False) == "`a|b c`"


def test_experiments_are_created_as_model_training_experiments(mlflow_store):
    from conftest import ROOT

    experiment_id = configure_tracking(mlflow_store, ROOT, "ui-kind-test")
    tags = mlflow.get_experiment(experiment_id).tags
    assert tags[record.EXPERIMENT_KIND_TAG] == record.EXPERIMENT_KIND_TRAINING
    # a kind chosen by someone else is left alone
    mlflow.MlflowClient().set_experiment_tag(experiment_id, record.EXPERIMENT_KIND_TAG, "genai_development")
    configure_tracking(mlflow_store, ROOT, "ui-kind-test")
    assert mlflow.get_experiment(experiment_id).tags[record.EXPERIMENT_KIND_TAG] == "genai_development"


def test_explain_description_and_the_equation_as_a_pyfunc_model(mlflow_store):
    from conftest import ROOT

    configure_tracking(mlflow_store, ROOT, "ui-explain-test")
    summary_row = {"neuron": 0, "equation": "v**2 + 2.07*sin(x)", "latex": "v^{2} + 2.07 \\sin{\\left(x \\right)}",
                   "complexity": 8, "loss": 1e-4, "seconds": 3.0, "ground_truth_alignment": 0.99992,
                   "recovered": True, "exact_form": True}
    with tracked_run("explain-ui") as run:
        summary = {"run_id": run.info.run_id, "neurons": [summary_row], "ground_truth": ["v**2/2 + sin(x)"]}
        describe_explain(summary, ["x", "v"], np.array([[0.1, 0.2], [0.3, 0.4]]))
    note = mlflow.get_run(run.info.run_id).data.tags[record.NOTE_TAG]
    assert "`v**2 + 2.07*sin(x)`" in note and "`v**2/2 + sin(x)`" in note
    assert "**recovered**" in note and "0.999920" in note and "the exact form" in note

    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/{record.equation_model(0)}")
    X = np.array([[0.3, -1.2], [1.0, 0.5], [-2.0, 0.0]])
    expected = X[:, 1] ** 2 + 2.07 * np.sin(X[:, 0])
    # float64 throughout; 1e-12 only allows for the order of operations
    np.testing.assert_allclose(model.predict(pd.DataFrame(X, columns=["x", "v"])), expected, rtol=1e-12)
    with pytest.raises(Exception, match="missing inputs"):
        model.predict(pd.DataFrame(X, columns=["x", "w"]))


def test_a_row_of_two_laws_is_a_pyfunc_model_with_a_column_per_law(mlflow_store):
    """explainer.n_concepts > 1: the equation text is "T1 ; T2" and its model returns (n, 2)."""
    from conftest import ROOT

    configure_tracking(mlflow_store, ROOT, "ui-explain-test")
    with tracked_run("explain-ui-two-laws") as run:
        log_equation_model("x*v ; v**2 - x**2", ["x", "v"], record.equation_model(0), np.array([[0.1, 0.2]]))
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/{record.equation_model(0)}")
    X = np.array([[0.3, -1.2], [1.0, 0.5], [-2.0, 0.0]])
    expected = np.column_stack([X[:, 0] * X[:, 1], X[:, 1] ** 2 - X[:, 0] ** 2])
    # float64 throughout; 1e-12 only allows for the order of operations
    np.testing.assert_allclose(model.predict(pd.DataFrame(X, columns=["x", "v"])), expected, rtol=1e-12)


def test_a_logged_equation_is_parsed_never_run(tmp_path):
    import json
    from types import SimpleNamespace

    from latentlaw.symbolic.parse_sympy import ExpressionError
    from latentlaw.tracking.ui import EquationModel

    spec = tmp_path / "equation.json"
    spec.write_text(json.dumps({"equation": f"__import__('os').system('touch {tmp_path / 'ran'}')",
                                "variables": ["x"]}))
    with pytest.raises(ExpressionError):
        EquationModel().load_context(SimpleNamespace(artifacts={"equation": str(spec)}))
    assert not (tmp_path / "ran").exists()


def test_dataset_input_carries_name_digest_and_columns(mlflow_store):
    X = np.arange(12.0).reshape(4, 3)
    with tracked_run("dataset-input") as run:
        log_dataset_input("harmonic", X, ["x", "v", "t"])
    inputs = mlflow.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    dataset = inputs[0].dataset
    assert dataset.name == "harmonic" and len(dataset.digest) >= 8
    assert [c["name"] for c in __import__("json").loads(dataset.schema)["mlflow_colspec"]] == ["x", "v", "t"]


def test_browse_hint_is_a_command_and_a_page_in_the_model_view(mlflow_store):
    with tracked_run("hint") as run:
        pass
    hint = browse_hint("sqlite:////tmp/some/mlflow.db", run_id=run.info.run_id, port=5001)
    assert "mlflow ui --backend-store-uri sqlite:////tmp/some/mlflow.db --host 127.0.0.1 --port 5001" in hint
    assert f"{sys.executable.rsplit('/', 1)[0]}/mlflow ui" in hint  # works without an activated venv
    assert f"http://127.0.0.1:5001/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}" in hint
    assert "workflowType=machine_learning" in hint
    assert browse_hint("http://mlflow.example:5000/", "7").splitlines() == [
        "then open http://mlflow.example:5000/#/experiments/7?workflowType=machine_learning"]


def test_pareto_labels_stay_readable_with_hundreds_of_inputs():
    import matplotlib.pyplot as plt
    import sympy

    from latentlaw.explain.charts import MAX_LABEL, pareto_chart

    names = [f"e{i}" for i in range(384)]  # an embedding's 384 inputs
    exprs = [sympy.Add(*[sympy.Float(0.1 * (k + 1)) * sympy.Symbol(n) for n in names[: 3 + 60 * k]])
             for k in range(5)]
    front = pd.DataFrame({"complexity": [3 + 60 * k for k in range(5)], "loss": [1.0 / (k + 1) for k in range(5)],
                          "equation": [str(e) for e in exprs], "sympy": exprs})
    fig = pareto_chart(front, 2, "autoencoder, neuron 0")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert len(labels) == 5
    assert all(len(label) <= MAX_LABEL + len("183: ") for label in labels)
    assert any(label.endswith("\u2026") for label in labels)  # long ones are visibly cut
