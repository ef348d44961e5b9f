"""Models saved to and loaded from a run: the run id alone is enough to get one back.

A run's ``model/model.pt`` may come from a shared store, so it is data: it holds a registered
model kind (``latentlaw.models.MODEL_KINDS``), constructor arguments and tensors, and is read with
``torch.load(weights_only=True)``, whose unpickler builds only tensors and plain containers (a
pickled object whose ``__reduce__`` would run code is refused). The arguments are checked against
the constructor's signature before the class is called; no class path from the file is imported.
"""

from __future__ import annotations

import inspect
import pickle
import re
import tempfile
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import mlflow
import torch
from mlflow.exceptions import MlflowException

from latentlaw.models import MODEL_KINDS, class_path, model_kind
from latentlaw.tracking.record import MODEL_ARTIFACT, MODEL_CLASS

PAYLOAD_FORMAT = 2  # 1: {"class": "module.Class", ...} (read only for the registered classes' paths)


class ModelArtifactError(ValueError):
    """A model artifact that is not weights plus a valid config of a registered model kind."""


def log_model(model: torch.nn.Module) -> None:
    """Kind + hyper-parameters + weights, so loading needs neither config nor code state.

    The hyper-parameters are checked here as load will check them, so a run never stores a model
    it cannot load."""
    kind = model_kind(model)
    hparams = check_hparams(MODEL_KINDS[kind], _plain(dict(getattr(model, "hparams", {}))), f"model {kind!r}")
    payload = {
        "format": PAYLOAD_FORMAT,
        "kind": kind,
        "hparams": hparams,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / Path(MODEL_ARTIFACT).name
        torch.save(payload, path)
        mlflow.log_artifact(str(path), artifact_path=str(Path(MODEL_ARTIFACT).parent))
    mlflow.set_tag(MODEL_CLASS, kind)


def load_model(run_id: str) -> torch.nn.Module:
    """The trained model of ``run_id`` in eval mode on the CPU; ModelArtifactError if the artifact
    holds anything but tensors and a valid config of a registered model kind."""
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=MODEL_ARTIFACT)
    except (MlflowException, OSError) as err:
        raise LookupError(
            f"run {run_id} has no model artifact {MODEL_ARTIFACT!r}; explain a training run "
            "(task=train) that finished, e.g. train_run=latest."
        ) from err
    where = f"run {run_id}'s {MODEL_ARTIFACT}"
    return model_from_payload(read_payload(path, where), where)


def read_payload(path: str | Path, where: str) -> dict[str, Any]:
    """The saved dict, unpickled with torch's weights-only unpickler (tensors and plain values only)."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
        what = f"it names {found.group(1)}" if found else str(err).strip().splitlines()[-1][:200]
        raise ModelArtifactError(
            f"{where} holds Python objects besides tensors and plain values, so it is not unpickled (that "
            f"could run code from the store on this machine; {what}). Load only models latentlaw saved; "
            "re-train to get one.") from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise ModelArtifactError(f"{where} is not a readable model file ({type(err).__name__}: "
                                 f"{str(err)[:200]}); re-train to get one.") from None
    if not isinstance(payload, dict):
        raise ModelArtifactError(f"{where} holds a {type(payload).__name__}, not latentlaw's model record "
                                 "(kind, hparams, state_dict).")
    return payload


def model_from_payload(payload: Mapping[str, Any], where: str) -> torch.nn.Module:
    """Build the registered class the payload names, with checked arguments, and load its weights."""
    cls = _model_class(payload, where)
    hparams = check_hparams(cls, payload.get("hparams"), where)
    state = payload.get("state_dict")
    if not isinstance(state, Mapping) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                                 for k, v in state.items()):
        raise ModelArtifactError(f"{where}: state_dict must map parameter names to tensors.")
    try:
        with torch.device("meta"):  # shapes only, no memory: hparams cannot make the reader allocate more
            skeleton = cls(**hparams)  # than the weights in the file already take
    except (ValueError, TypeError, RuntimeError, OverflowError) as err:  # RuntimeError: sizes overflow int64
        raise ModelArtifactError(f"{where}: {cls.__name__}({_short(hparams)}) cannot be built: {str(err)[:300]}") from None
    expected = {k: tuple(v.shape) for k, v in skeleton.state_dict().items()}
    given = {k: tuple(v.shape) for k, v in state.items()}
    if expected != given:
        wrong = sorted(k for k in expected.keys() | given.keys() if expected.get(k) != given.get(k))
        shown = ", ".join(f"{k[:60]}: expected {expected.get(k)}, file has {given.get(k)}" for k in wrong[:5])
        raise ModelArtifactError(f"{where}: the weights do not fit {cls.__name__}({_short(hparams)}) ({shown}).")
    model = cls(**hparams)
    try:
        model.load_state_dict(dict(state))
    except RuntimeError as err:  # e.g. meta or sparse tensors in the file
        raise ModelArtifactError(f"{where}: the weights cannot be loaded: {str(err)[:300]}") from None
    return model.eval()


def _model_class(payload: Mapping[str, Any], where: str) -> type:
    kind = payload.get("kind")
    if kind is None and "class" in payload:  # format 1: accepted only as a registered class's exact path
        by_path = {class_path(cls): name for name, cls in MODEL_KINDS.items()}
        path = payload["class"]
        if not isinstance(path, str) or path not in by_path:
            raise ModelArtifactError(
                f"{where} names the class {str(path)[:200]!r}, which is not a latentlaw model; models load "
                f"only as a registered class {sorted(by_path)}, nothing else is imported.")
        kind = by_path[path]
    if kind is None:
        raise ModelArtifactError(f"{where} has no model kind; it is not a model latentlaw saved (known kinds: "
                                 f"{sorted(MODEL_KINDS)}).")
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise ModelArtifactError(f"{where} names the model kind {str(kind)[:200]!r}; the known kinds are "
                                 f"{sorted(MODEL_KINDS)}.")
    return MODEL_KINDS[kind]


def check_hparams(cls: type, hparams: object, where: str) -> dict[str, Any]:
    """``hparams`` checked against ``cls.__init__``'s signature: only its parameter names, every
    required one present, each value of the annotated type (int, float, str, bool, sequences of
    them, optionals). Generic, so a new constructor argument needs no change here."""
    if not isinstance(hparams, Mapping) or not all(isinstance(k, str) for k in hparams):
        raise ModelArtifactError(f"{where}: hparams must be a dict of argument names, got {type(hparams).__name__}.")
    signature = inspect.signature(cls.__init__)
    hints = typing.get_type_hints(cls.__init__)
    params = {name: p for name, p in signature.parameters.items()
              if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    unknown = sorted(set(hparams) - set(params))
    if unknown:
        raise ModelArtifactError(f"{where}: unknown hyper-parameter(s) {unknown} for {cls.__name__}; "
                                 f"it takes {list(params)}.")
    missing = [name for name, p in params.items() if p.default is p.empty and name not in hparams]
    if missing:
        raise ModelArtifactError(f"{where}: missing hyper-parameter(s) {missing} for {cls.__name__}.")
    for name, value in hparams.items():
        hint = hints.get(name, Any)
        if not _matches(value, hint):
            raise ModelArtifactError(f"{where}: {cls.__name__} argument {name}={_short(value)} is not of "
                                     f"type {_type_name(hint)}.")
    return dict(hparams)


_PLAIN = (type(None), bool, int, float, str)


def _matches(value: object, hint: Any) -> bool:
    """Whether ``value`` is a plain value of type ``hint`` (bool is not an int; an int is a float)."""
    if hint is Any:
        return isinstance(value, _PLAIN) or (isinstance(value, (list, tuple)) and all(_matches(v, Any) for v in value))
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if origin in (list, tuple, Sequence) or hint in (list, tuple, Sequence):
        item = args[0] if args else Any  # Sequence[int], list[int], tuple[int, ...]
        return isinstance(value, (list, tuple)) and all(_matches(v, item) for v in value)
    return False  # an annotation this check does not know: refuse rather than pass anything through


def _plain(value: Any) -> Any:
    """Config containers (omegaconf's ListConfig/DictConfig) as lists and dicts; tuples stay tuples."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, tuple)):
        return [_plain(v) for v in value]
    return value


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) if not typing.get_args(hint) else str(hint).replace("typing.", "")


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
