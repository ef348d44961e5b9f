"""The analyze task: kept as a door to the reports in ``latentlaw.analysis`` (the recovery table's
names stay importable from here for existing callers)."""

from latentlaw.analysis import REPORTS, AnalysisError, Report, run_report
from latentlaw.analysis.recovery import (analyze, latest_explain_runs, paper_verdicts, recovery_figure,
                                         recovery_table, to_markdown, verdict_counts)

__all__ = ["REPORTS", "AnalysisError", "Report", "analyze", "latest_explain_runs", "paper_verdicts",
           "recovery_figure", "recovery_table", "run_report", "to_markdown", "verdict_counts"]
