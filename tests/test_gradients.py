"""Neuron input gradients: vectorised, exact, and safe at zero."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentlaw.explain.gradients import layer_width, neuron_values_and_gradients, normalize_rows
from latentlaw.models import Autoencoder, SiameseNetwork


# Float32 tolerance for the same network evaluated in batches of different shapes: BLAS picks other
# kernels (AVX2 vs AVX-512, blocking by batch size), so sums of the 5 + 16 products per neuron are
# rounded in another order. Each sum is then off by up to ~n * 2**-24 of its absolute terms (n = 16):
# ~1e-6 relative, measured 1.05e-6 on a Xeon with AVX-512. 1e-5 of the largest entry covers that
# tenfold and still fails on any wrong gradient (a wrong row or weight is off by O(1)).
FLOAT32_BATCH_RTOL = 1e-5


def close_in_float32(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(actual, expected, rtol=FLOAT32_BATCH_RTOL, atol=FLOAT32_BATCH_RTOL * scale)


def test_batched_gradients_equal_per_sample_autograd():
    torch.manual_seed(0)
    model = Autoencoder(in_features=5, hidden=[16], latent_size=3)
    X = np.random.default_rng(0).normal(size=(40, 5))
    values, grads = neuron_values_and_gradients(model, X, neuron=2, batch_size=7)
    for i in (0, 13, 39):
        x = torch.tensor(X[i:i + 1], dtype=torch.float32, requires_grad=True)
        model.encode(x)[0, 2].backward()
        close_in_float32(grads[i], x.grad[0].double().numpy())
    close_in_float32(values, model.encode(torch.tensor(X, dtype=torch.float32))[:, 2].detach().double().numpy())


def test_gradient_of_a_known_function():
    model = SiameseNetwork(in_features=2, hidden=[4])
    with torch.no_grad():  # f(x) = 3 x0 - 2 x1 through an identity-like path: a linear net
        model.encoder = torch.nn.Sequential(torch.nn.Linear(2, 1))
        model.encoder[0].weight.copy_(torch.tensor([[3.0, -2.0]]))
    _, grads = neuron_values_and_gradients(model, np.ones((4, 2)), neuron=0)
    # d(w.x + b)/dx is the weight row itself, copied with no rounding: exact on any CPU
    np.testing.assert_array_equal(grads, np.tile([3.0, -2.0], (4, 1)))


def test_named_layer_and_its_width():
    model = SiameseNetwork(in_features=3, hidden=[6, 5])
    assert layer_width(model, 3) == 1
    assert layer_width(model, 3, layer="encoder.2") == 5
    _, grads = neuron_values_and_gradients(model, np.ones((2, 3)), neuron=4, layer="encoder.2")
    assert grads.shape == (2, 3)
    with pytest.raises(ValueError, match="encoder.0"):
        layer_width(model, 3, layer="nope")


def test_out_of_range_neuron_is_refused():
    with pytest.raises(IndexError, match="0..0"):
        neuron_values_and_gradients(SiameseNetwork(in_features=2), np.ones((3, 2)), neuron=1)


def test_normalize_keeps_zero_rows_zero():
    G = np.array([[3.0, 4.0], [0.0, 0.0], [1e-30, 0.0]])
    out = normalize_rows(G)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out[0], [0.6, 0.8], rtol=1e-12)  # float64 3/5, 4/5: off by an ulp at most
    np.testing.assert_array_equal(out[1], [0.0, 0.0])
