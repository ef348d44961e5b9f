"""Symbolic gradients: find T whose normalised input gradient matches the neuron's.

Matching gradient directions rather than values makes T equal to the neuron up to an
invertible reparametrisation, which is all a latent neuron can be identified up to.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from latentlaw.explain.base import Explainer, NeuronExplanation
from latentlaw.explain.gradients import neuron_values_and_gradients, normalize_rows
from latentlaw.symbolic import backends
from latentlaw.symbolic.dataset import tangent_projector
from latentlaw.symbolic.options import check_n_concepts

log = logging.getLogger(__name__)


class SymbolicGradientExplainer(Explainer):
    name = "symbolic_gradient"
    objective = "gradient"

    def __init__(self, n_samples: int = 1000, layer: str | None = None, n_concepts: int | str = "auto") -> None:
        super().__init__(n_samples, layer)
        # laws per neuron: 1, k, or "auto"; checked now, before any model is loaded or searched
        self.n_concepts = check_n_concepts(n_concepts, self.objective)

    def explain(self, model: torch.nn.Module, X: np.ndarray, variables: list[str], neuron: int,
                searcher: Any, inputs: list[int] | None = None) -> NeuronExplanation:
        """The base class's search, with ``n_concepts`` handed to the engine (a neuron mixing k
        laws is matched by the span of k expressions' gradients)."""
        n_concepts = self.n_concepts
        backend = getattr(searcher, "backend", "native")
        if n_concepts == "auto" and not backends.supports(backend, "concepts"):
            n_concepts = 1  # "as many laws as pay" with an engine that searches one law at a time
            log.info("explainer.n_concepts=auto: the %s backend searches one law per neuron", backend)
        if n_concepts != 1:  # an explicit k > 1 with such a backend fails in fit, naming the ones that can
            searcher.set_params(n_concepts=n_concepts)
        return super().explain(model, X, variables, neuron, searcher, inputs=inputs)

    def targets(self, model: torch.nn.Module, X: np.ndarray, neuron: int) -> dict[str, np.ndarray]:
        _, grads = neuron_values_and_gradients(model, X, neuron, self.layer)
        if not np.any(np.linalg.norm(grads, axis=1) > 1e-12):
            raise ValueError(
                f"neuron {neuron} has zero input gradient at every sample: it is constant (a dead "
                "neuron); pick another neuron or retrain."
            )
        targets = {"gradients": normalize_rows(grads)}
        projector = tangent_projector(X)
        if projector is not None:  # inputs confined to a subspace: match gradients within it only
            targets["projector"] = projector
        return targets
