"""Verdicts: gradient alignment ignores spelling and reshaping; form alignment refits constants
and so separates the law with imprecise constants from an approximation by another form."""

from __future__ import annotations

import numpy as np
import pytest

from latentlaw.symbolic.laws import LAWS
from latentlaw.symbolic.verify import FORM_TOLERANCE, equivalent, form_alignment, gradient_alignment


def _points(law: str) -> tuple[np.ndarray, list[str], str]:
    spec = LAWS[law]
    return spec.sample(np.random.default_rng(99), 1000), list(spec.variables), spec.expression


@pytest.mark.parametrize("law, found", [
    ("sine", "v**2 + 2.0667*sin(x)"),
    ("sine", "v**2 + 2.01*sin(x - 0.0322)"),  # measured (paper-size network): a shift that refits to 0
    ("anharmonic", "v**2 + 0.47*x**4 + 1.03*x**2"),
    ("rational", "x0*x1/(1.1 + 0.98*x2**2)"),
    # a monotone function of the law is the law: only the inner constants have to be right
    ("exp_potential", "3667.3*sin(0.0093761*v**2 + 0.0094176*x**2 + 0.051793*exp(x) + 4.5047) + 3640.4"),
])
def test_the_law_with_imprecise_constants_has_the_exact_form(law, found):
    X, names, truth = _points(law)
    assert gradient_alignment(found, truth, X, names) < 1.0 - 1e-5  # the constants as found are off
    assert form_alignment(found, truth, X, names) >= 1.0 - FORM_TOLERANCE


@pytest.mark.parametrize("law, approximation", [
    ("anharmonic", "0.3236*v**2 - log(sin(cos(x)))"),
    ("rational", "0.490456*x0*x1*cos(x2) + x1*exp(cos(x2*1.86668))*x0 + x0*(0.470797 + exp(cos(x2)))*x1"),
    ("rational", "x0*x1*(2.213 - sqrt(x2**2))"),
    # contains the law, but only once refitting removes a term the law does not have
    ("harmonic", "0.05*v + exp(0.98*x**2 + v**2)"),
])
def test_an_approximation_by_another_form_is_not_the_exact_form(law, approximation):
    X, names, truth = _points(law)
    assert equivalent(approximation, truth, X, names, tol=2e-2)  # close enough to pass the loose verdict
    assert form_alignment(approximation, truth, X, names) < 1.0 - 10 * FORM_TOLERANCE


def test_form_alignment_without_constants_is_the_alignment():
    X, names, truth = _points("harmonic")
    assert form_alignment("v**2 + x**2", truth, X, names) == pytest.approx(1.0, abs=1e-12)
    assert form_alignment("v**2 + x**4", truth, X, names) == gradient_alignment("v**2 + x**4", truth, X, names)
