"""Direct symbolic regression z = f(x): the baseline the paper compares against."""

from __future__ import annotations

import numpy as np
import sympy
import torch

from latentlaw.explain.base import Explainer
from latentlaw.explain.gradients import neuron_values_and_gradients


class DirectRegressionExplainer(Explainer):
    """Regresses the standardised neuron value, then maps the expression back to raw units.

    Standardising makes the searcher's loss scale-free, so the same search settings serve
    neurons whose values span 1e-3 or 1e3.
    """

    name = "direct_regression"
    objective = "regression"

    def targets(self, model: torch.nn.Module, X: np.ndarray, neuron: int) -> dict[str, np.ndarray]:
        values, _ = neuron_values_and_gradients(model, X, neuron, self.layer)
        self._mean, self._std = float(values.mean()), float(values.std())
        if self._std < 1e-12:
            raise ValueError(f"neuron {neuron} is constant over the samples (a dead neuron); pick another neuron.")
        return {"y": (values - self._mean) / self._std}

    def to_neuron_units(self, expression: sympy.Expr) -> sympy.Expr:
        return sympy.Float(self._mean, 6) + sympy.Float(self._std, 6) * expression
