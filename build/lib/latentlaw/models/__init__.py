"""LightningModules whose latent layer an explainer can differentiate."""

from latentlaw.models.autoencoder import Autoencoder
from latentlaw.models.siamese import SiameseNetwork

__all__ = ["Autoencoder", "SiameseNetwork"]
