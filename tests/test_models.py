"""Both model families: shapes, the latent they expose, and their refusals."""

from __future__ import annotations

import pytest
import torch

from latentlaw.models import Autoencoder, SiameseNetwork


def test_siamese_latent_and_triplet_loss():
    torch.manual_seed(0)
    model = SiameseNetwork(in_features=4, hidden=[8, 8], latent_size=1)
    x = torch.randn(5, 4)
    assert model.encode(x).shape == (5, 1)
    # Identical anchor/positive and a distant negative cost nothing beyond the margin check.
    a, n = torch.zeros(3, 4), torch.full((3, 4), 5.0)
    loss = model._step((a, a, n), "val")
    za, zn = model.encode(a), model.encode(n)
    expected = torch.relu(-(za - zn).pow(2).sum(-1) + 1.0).mean()
    assert torch.isclose(loss, expected)


def test_autoencoder_reconstructs_its_input_shape():
    model = Autoencoder(in_features=54, hidden=[64], latent_size=32)
    x = torch.randn(7, 54)
    assert model.encode(x).shape == (7, 32)
    assert model(x).shape == (7, 54)


@pytest.mark.parametrize("cls", [SiameseNetwork, Autoencoder])
def test_latent_size_must_be_positive(cls):
    with pytest.raises(ValueError, match="latent_size"):
        cls(in_features=4, latent_size=0)


def test_unknown_activation_lists_the_choices():
    with pytest.raises(ValueError, match="elu"):
        SiameseNetwork(in_features=4, activation="swishy")


def test_relu_is_available_and_elu_is_default():
    assert isinstance(SiameseNetwork(in_features=2).encoder[1], torch.nn.ELU)
    assert isinstance(SiameseNetwork(in_features=2, activation="relu").encoder[1], torch.nn.ReLU)
