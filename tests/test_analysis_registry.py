"""Every report has its config and its module, and the default stays the recovery table."""

from __future__ import annotations

import pytest

from conftest import ROOT, compose
from latentlaw.analysis import REPORTS, AnalysisError, report_module, run_report


def test_each_config_names_a_registered_report_with_a_run_function():
    configs = sorted(p.stem for p in (ROOT / "conf/analysis").glob("*.yaml"))
    assert configs == sorted(REPORTS)
    for name in configs:
        assert compose("analyze", [f"analysis={name}"]).analysis.name == name
        assert callable(report_module(name).run)


def test_the_default_report_is_the_recovery_table():
    cfg = compose("analyze", ["experiments=[paper/07_harmonic]"])
    assert cfg.analysis.name == "recovery" and list(cfg.experiments) == ["paper/07_harmonic"]


def test_an_unknown_report_is_refused_with_the_choices():
    cfg = compose("analyze", ["analysis.name=attractors"])
    with pytest.raises(AnalysisError, match=r"unknown analysis 'attractors'; choose one of \['features'"):
        run_report(cfg)


def test_published_claims_are_shown_for_the_data_they_were_made_on():
    from latentlaw.analysis.published import claims_for, paper_verdicts

    assert any("17 of 54" in c.value for c in claims_for("covertype"))
    assert claims_for("covertype_synthetic") == []  # a stand-in, not the published data
    assert all(c.dataset == "text" for c in claims_for("imdb")) and claims_for("imdb")
    assert paper_verdicts("paper/07_harmonic") == (True, True)
    assert paper_verdicts("paper/08_anharmonic") == (True, False)
    assert paper_verdicts("test/harmonic") == (None, None)
