"""Hostile inputs: text and files from a shared store are data, never code.

Every payload here would create a marker file if it ran; each test checks that the marker never
appears and that the refusal names the problem. Two controls show the payloads are real: the same
text given to ``sympy.sympify`` and the same pickle given to ``pickle.loads`` do create a marker.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import sympy
import torch

from latentlaw.data.base import DataError
from latentlaw.data.truth import parse_expression
from latentlaw.data.user_files import load_triplet_file
from latentlaw.models import SiameseNetwork
from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.backends import operon
from latentlaw.symbolic.export_sympy import as_sympy
from latentlaw.symbolic.parse_sympy import MAX_LENGTH, ExpressionError, parse_sympy
from latentlaw.symbolic.verify import gradient_field
from latentlaw.tracking import load_model, log_model, record, tracked_run
from latentlaw.tracking.models import ModelArtifactError

NAMES = ["x", "v"]


def code_payloads(marker: Path) -> list[str]:
    """Python that touches ``marker`` if evaluated, in the spellings an attacker would try."""
    m = repr(str(marker))
    return [
        f"__import__('pathlib').Path({m}).touch()",
        f"x + __import__('os').system('touch ' + {m})",
        f"open({m}, 'w')",
        f"exec(\"open({m}, 'w')\")",
        f"eval(\"open({m}, 'w')\")",
        f"(lambda: open({m}, 'w'))()",
        f"[open({m}, 'w') for _ in (1,)]",
        f"x.__class__.__init__.__globals__['open']({m}, 'w')",
        f"().__class__.__bases__[0].__subclasses__()",
        f"sin(x).func(open({m}, 'w'))",
        f"Symbol({m})",
        f"x if open({m}, 'w') else v",
        f"x; open({m}, 'w')",
        f"f'{{open({m}, chr(119))}}'",
    ]


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    path = tmp_path / "pwned"
    yield path
    assert not path.exists(), "a hostile payload ran"


def test_control_sympify_runs_the_payload(tmp_path):
    """Why the parser exists: sympify evaluates Python, so the payloads below are real."""
    control = tmp_path / "control"
    sympy.sympify(code_payloads(control)[0])
    assert control.exists()


@pytest.mark.parametrize("index", range(len(code_payloads(Path("m")))))
def test_parser_refuses_code_and_names_the_string(marker, index):
    text = code_payloads(marker)[index]
    with pytest.raises(ExpressionError) as info:
        parse_sympy(text, NAMES, what="ground truth")
    message = str(info.value)
    assert "ground truth" in message
    assert repr(text)[1:40] in message  # the string itself (quoted), so the user can find it
    assert ("refusing" in message or "cannot read" in message)


@pytest.mark.parametrize("text, reason", [
    ("9**9**9", "exponent"),
    ("x**(10**6)", "exponent"),
    ("((9**99)**99)**99", "digits"),
    ("(1/9**99)**99", "digits"),
    ("*".join(["9**99"] * 10), "digits"),
    ("exp(1000)*x", "digits"),
    ("1e999*x", "finite"),
    ("9" * 5000, "digits"),  # Python refuses integer literals beyond 4300 digits
])
def test_huge_numbers_are_refused_before_they_are_built(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_sympy(text, NAMES)


@pytest.mark.parametrize("text, reason", [
    ("sin(" * 150 + "x" + ")" * 150, "nested"),
    ("(" * 1000 + "x" + ")" * 1000, "nested"),
    ("-" * 10000 + "x", "nested"),
    ("x**" * 500 + "x", "nested"),
    ("+".join(["x"] * 9000), "too many terms"),
])
def test_deep_nesting_is_refused(text, reason):
    with pytest.raises(ExpressionError, match=reason):
        parse_sympy(text, NAMES)


def test_very_long_strings_are_refused_and_shown_shortened():
    text = "x + " * MAX_LENGTH + "v"
    with pytest.raises(ExpressionError, match=f"characters long \\(limit {MAX_LENGTH}\\)") as info:
        parse_sympy(text, NAMES, what="front row")
    assert len(str(info.value)) < 400  # the message quotes the start, not 80 000 characters


def test_plain_formulas_still_read(marker):
    """The whitelist is not so tight that real laws fail (a sanity check on the refusals above)."""
    x, v = sympy.symbols("x v")
    assert parse_sympy("v**2/2 + x^2/2 - 0.5*cos(x)", NAMES) == v**2 / 2 + x**2 / 2 - sympy.Float(0.5) * sympy.cos(x)
    assert parse_sympy("square(x) + neg(v)", NAMES) == x**2 - v
    assert parse_sympy("x**100", NAMES) == x**100


# --- every reader of expression text ----------------------------------------------------------

def test_ground_truth_readers_refuse_code_with_a_data_error(marker):
    for text in code_payloads(marker):
        with pytest.raises(DataError, match="ground-truth expression"):
            parse_expression(text, NAMES)
    with pytest.raises(DataError, match=r"uses \['q'\], which is not an input variable"):
        parse_expression("x + q", NAMES)


def test_expression_readers_of_verify_and_charts_refuse_code(marker):
    X = np.ones((4, 2))
    for text in code_payloads(marker)[:4]:
        with pytest.raises(ExpressionError):
            as_sympy(text, None)  # charts: labels of a front
        with pytest.raises(ExpressionError):
            gradient_field(text, X, NAMES)  # explain: verification against a truth


def test_operon_output_is_parsed_not_run(marker):
    X = np.random.default_rng(0).normal(size=(20, 2))
    reader = operon._FrontReader(NAMES, {}, X, X[:, 0] ** 2)
    for text in code_payloads(marker):
        assert reader.row(text) is None
    assert reader.row("(X1 ^ 2.0)")["loss"] < 1e-20  # the spelling operon prints still reads


def test_pysr_output_is_parsed_not_run(marker):
    from latentlaw.symbolic.backends import pysr

    rows = [{"complexity": 1, "loss": 0.5, "sympy": "x0"}]
    rows += [{"complexity": 3 + i, "loss": 0.1, "sympy": text} for i, text in enumerate(code_payloads(marker))]
    with pytest.warns(UserWarning, match="refusing PySR front row") as caught:
        front = pysr.read_front_rows(rows, ["x0", "x1"], NAMES)
    assert len(caught) == len(code_payloads(marker))  # one warning, quoting the row, per refused row
    assert front["sympy"].tolist() == [sympy.Symbol("x")]


def _triplet_file(tmp_path: Path, kind: str) -> Path:
    rng = np.random.default_rng(0)
    anchor = rng.normal(size=(40, 2))
    arrays = {"anchor": anchor, "positive": anchor + 0.01, "negative": rng.normal(size=(40, 2))}
    if kind == "npz":
        path = tmp_path / "pairs.npz"
        np.savez(path, **arrays, variables=np.array(NAMES))
    else:
        path = tmp_path / "pairs.csv"
        pd.DataFrame({f"{r}_{n}": arrays[r][:, j] for r in arrays for j, n in enumerate(NAMES)}).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("kind", ["npz", "csv"])
def test_triplet_file_ground_truth_with_code_is_refused(tmp_path, marker, kind):
    from conftest import compose
    from latentlaw.tasks.train import build_dataset

    path = _triplet_file(tmp_path, kind)
    for text in code_payloads(marker):
        with pytest.raises(DataError, match="ground-truth expression") as info:
            load_triplet_file(path, ground_truth=[f"x**2 + v**2", text])
        assert repr(text)[1:30] in str(info.value)
    # the same through the config a user writes (dataset=triplet_file)
    cfg = compose("train", ["dataset=triplet_file", f"dataset.path={path}"])
    cfg.dataset.ground_truth = code_payloads(marker)[0]
    with pytest.raises(DataError, match="ground-truth expression"):
        build_dataset(cfg)


def _front_csv(tmp_path: Path, equation: str) -> Path:
    path = tmp_path / "front.csv"
    pd.DataFrame({"complexity": [3, 5], "loss": [0.5, 0.0], "equation": ["x*v", equation]}).to_csv(path, index=False)
    return path


def test_front_checkpoint_with_code_is_refused_by_from_file_and_resume(tmp_path, marker):
    X = np.random.default_rng(0).normal(size=(50, 2))
    G = np.column_stack([X[:, 0], X[:, 1]])
    for text in code_payloads(marker)[:6] + ["9**9**9", "sin(" * 150 + "x" + ")" * 150]:
        path = _front_csv(tmp_path, text)
        with pytest.raises(ExpressionError, match=r"equation in row 2 of .*front\.csv"):
            SymbolicSearch.from_file(path, NAMES)
        search = SymbolicSearch(resume_from=str(path), niterations=1, verbosity=0)
        with pytest.raises(ExpressionError, match="row 2"):
            search.fit(X, gradients=G, variable_names=NAMES)
        assert not hasattr(search, "pareto_front_")  # refused before any search
    good = SymbolicSearch.from_file(_front_csv(tmp_path, "x**2 + v**2"), NAMES)
    assert good.pareto_front_["equation"].tolist() == ["x*v", "x**2 + v**2"]


# --- runs in a shared store -------------------------------------------------------------------

def _training_run(dataset: dict, model_file: Path | None = None) -> str:
    """A run that looks like train.py's, with the given dataset record (and model file)."""
    torch.manual_seed(0)
    model = SiameseNetwork(in_features=2, hidden=[4])
    with tracked_run("hostile", {record.TASK: record.TASK_TRAIN}) as run:
        mlflow.log_text(json.dumps(dataset), record.DATASET_ARTIFACT)
        if model_file is None:
            log_model(model)
        else:
            mlflow.log_artifact(str(model_file), artifact_path=str(Path(record.MODEL_ARTIFACT).parent))
    return run.info.run_id


def test_dataset_record_with_code_is_refused_before_explain_starts(mlflow_store, tmp_path, marker):
    from conftest import compose
    from latentlaw.tasks.explain import explain

    dataset = {"name": "evil", "kind": "triplets", "variables": NAMES, "description": "",
               "ground_truth": [code_payloads(marker)[0]], "synthetic": False, "sizes": {}}
    run_id = _training_run(dataset)
    client = mlflow.tracking.MlflowClient()
    experiment = mlflow.get_run(run_id).info.experiment_id
    before = len(client.search_runs([experiment]))
    with pytest.raises(DataError, match="ground-truth expression") as info:
        explain(compose("explain", [f"train_run={run_id}", "searcher.verbosity=0"]))
    assert "__import__" in str(info.value)
    assert len(client.search_runs([experiment])) == before  # no explain run was created


class _Touch:
    """A pickled object whose unpickling creates a file: what a hostile model.pt would carry."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _payload(**changes) -> dict:
    torch.manual_seed(0)
    model = SiameseNetwork(in_features=2, hidden=[4])
    payload = {"format": 2, "kind": "siamese", "hparams": dict(model.hparams),
               "state_dict": {k: v.detach() for k, v in model.state_dict().items()}}
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not None}


def _load_crafted(tmp_path: Path, payload: object) -> torch.nn.Module:
    path = tmp_path / "model.pt"
    torch.save(payload, path)
    return load_model(_training_run({}, model_file=path))


def test_pickled_payload_in_model_file_is_not_unpickled(mlflow_store, tmp_path, marker):
    control = tmp_path / "control"
    pickle.loads(pickle.dumps(_Touch(control)))
    assert control.exists()  # the payload is real
    with pytest.raises(ModelArtifactError, match="not unpickled") as info:
        _load_crafted(tmp_path, _payload(extra=_Touch(marker)))
    assert record.MODEL_ARTIFACT in str(info.value) and "it names io.open" in str(info.value)


@pytest.mark.parametrize("changes, message", [
    (dict(kind=None, **{"class": "os.system"}), "names the class 'os.system', which is not a latentlaw model"),
    (dict(kind=None, **{"class": "latentlaw.models.SiameseNetwork"}), "not a latentlaw model"),
    (dict(kind="subprocess.Popen"), "names the model kind 'subprocess.Popen'"),
    (dict(kind=None), "has no model kind"),
    (dict(hparams={**_payload()["hparams"], "callback": "os.system"}), r"unknown hyper-parameter\(s\) \['callback'\]"),
    (dict(hparams={"hidden": [4]}), r"missing hyper-parameter\(s\) \['in_features'\]"),
    (dict(hparams={**_payload()["hparams"], "latent_size": "1"}), "latent_size='1' is not of type int"),
    (dict(hparams={**_payload()["hparams"], "in_features": True}), "in_features=True is not of type int"),
    (dict(hparams={**_payload()["hparams"], "hidden": "44"}), "hidden='44' is not of type"),
    (dict(hparams={**_payload()["hparams"], "activation": "swishy"}), "cannot be built"),
    (dict(hparams={**_payload()["hparams"], "hidden": [10**6, 10**6]}), "the weights do not fit"),
    (dict(hparams={**_payload()["hparams"], "in_features": 10**12, "hidden": [10**12]}), "cannot be built"),
    (dict(state_dict={"encoder.0.weight": "not a tensor"}), "state_dict must map parameter names to tensors"),
    (dict(hparams="in_features=2"), "hparams must be a dict"),
])
def test_model_payload_outside_the_registry_is_refused(mlflow_store, tmp_path, changes, message):
    with pytest.raises(ModelArtifactError, match=message):
        _load_crafted(tmp_path, _payload(**changes))


def test_model_file_that_is_not_a_dict_or_not_torch_is_refused(mlflow_store, tmp_path):
    with pytest.raises(ModelArtifactError, match="not latentlaw's model record"):
        _load_crafted(tmp_path, [1, 2, 3])
    path = tmp_path / "model.pt"
    path.write_bytes(b"\x80\x04not a torch file")
    with pytest.raises(ModelArtifactError, match=r"model\.pt"):
        load_model(_training_run({}, model_file=path))


def test_old_artifacts_naming_a_registered_class_path_still_load(mlflow_store, tmp_path):
    payload = _payload(kind=None, format=None, **{"class": "latentlaw.models.siamese.SiameseNetwork"})
    loaded = _load_crafted(tmp_path, payload)
    assert isinstance(loaded, SiameseNetwork)
    x = torch.randn(5, 2)
    reference = SiameseNetwork(in_features=2, hidden=[4])
    reference.load_state_dict(payload["state_dict"])
    assert all(torch.equal(v, loaded.state_dict()[k]) for k, v in payload["state_dict"].items())
    torch.testing.assert_close(loaded.encode(x), reference.eval().encode(x))  # float32 defaults: see test_tracking


def test_saved_runs_record_the_registered_kind(mlflow_store):
    run_id = _training_run({})
    assert mlflow.get_run(run_id).data.tags[record.MODEL_CLASS] == "siamese"
