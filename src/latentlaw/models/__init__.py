"""LightningModules whose latent layer an explainer can differentiate.

``MODEL_KINDS`` is the closed list of models a saved run may name: a model artifact says which
kind it holds, and loading builds only one of these classes (never a class path read from the
artifact, which would let a shared store import code on the reader's machine).
"""

from latentlaw.models.autoencoder import Autoencoder
from latentlaw.models.base import LatentModel
from latentlaw.models.siamese import SiameseNetwork

MODEL_KINDS: dict[str, type[LatentModel]] = {"siamese": SiameseNetwork, "autoencoder": Autoencoder}


def model_kind(model: object) -> str:
    """The registered kind of ``model``; an unregistered class is an error naming the fix."""
    for kind, cls in MODEL_KINDS.items():
        if type(model) is cls:
            return kind
    raise ValueError(f"{type(model).__module__}.{type(model).__qualname__} is not a registered model kind "
                     f"{sorted(MODEL_KINDS)}; add it to latentlaw.models.MODEL_KINDS so runs can save and load it.")


def class_path(cls: type) -> str:
    """``module.QualName``, as older artifacts named their class."""
    return f"{cls.__module__}.{cls.__qualname__}"


__all__ = ["Autoencoder", "LatentModel", "MODEL_KINDS", "SiameseNetwork", "class_path", "model_kind"]
