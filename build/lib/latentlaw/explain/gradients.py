"""Input gradients of one neuron, for all samples in one backward pass."""

from __future__ import annotations

import numpy as np
import torch


def _neuron_fn(model: torch.nn.Module, layer: str | None):
    """x -> activations of the chosen layer: the latent (``encode``) unless a module is named."""
    if layer is None:
        return model.encode
    modules = dict(model.named_modules())
    if layer not in modules:
        names = [n for n in modules if n]
        raise ValueError(f"model has no layer {layer!r}; named layers are {names}.")
    module = modules[layer]

    def through_layer(x: torch.Tensor) -> torch.Tensor:
        captured: list[torch.Tensor] = []
        handle = module.register_forward_hook(lambda _m, _i, out: captured.append(out))
        try:
            model(x)
        finally:
            handle.remove()
        return captured[0].reshape(len(x), -1)

    return through_layer


def layer_width(model: torch.nn.Module, n_features: int, layer: str | None = None) -> int:
    """Number of neurons the chosen layer has (probed with one zero input)."""
    with torch.no_grad():
        return int(_neuron_fn(model, layer)(torch.zeros(1, n_features)).shape[1])


def neuron_values_and_gradients(model: torch.nn.Module, X: np.ndarray, neuron: int, layer: str | None = None,
                                batch_size: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Values (n,) and input gradients (n, d) of ``neuron``.

    Samples do not interact in an MLP in eval mode, so the gradient of the batch sum of one
    neuron is every sample's own gradient: one backward pass per batch, no per-sample loop.
    """
    model.eval()
    fn = _neuron_fn(model, layer)
    values, grads = [], []
    for start in range(0, len(X), batch_size):
        x = torch.as_tensor(X[start:start + batch_size], dtype=torch.float32).requires_grad_(True)
        out = fn(x)
        if not 0 <= neuron < out.shape[1]:
            raise IndexError(f"neuron {neuron} is out of range: the layer has {out.shape[1]} neurons (0..{out.shape[1] - 1}).")
        (grad,) = torch.autograd.grad(out[:, neuron].sum(), x)
        values.append(out[:, neuron].detach().double().numpy())
        grads.append(grad.double().numpy())
    return np.concatenate(values), np.concatenate(grads)


def normalize_rows(G: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Unit-length rows; a zero gradient stays zero instead of becoming NaN."""
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    return np.where(norms > eps, G / np.maximum(norms, eps), 0.0)
