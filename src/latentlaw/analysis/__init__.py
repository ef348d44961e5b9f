"""analyze.py's reports: each one module with ``run(cfg) -> Report``, chosen by ``analysis=<name>``.

Adding a report is one module here, one ``conf/analysis/<name>.yaml`` (with ``name: <name>``) and
one line in ``REPORTS``. Modules are imported only when chosen, so a report's heavy imports cost
the others nothing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig

# report name -> module that implements it
REPORTS: dict[str, str] = {
    "recovery": "latentlaw.analysis.recovery",
    "features": "latentlaw.analysis.features",
    "reconstruction": "latentlaw.analysis.reconstruction",
    "latent_field": "latentlaw.analysis.latent_field",
}


class AnalysisError(LookupError):
    """The store cannot answer the question asked; the message says what to run to fix it."""


@dataclass
class Report:
    """What analyze.py prints (``text``), returns to Hydra (``value``) and what tests inspect."""

    text: str
    value: float
    data: Any = None
    run_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def report_module(name: str) -> Any:
    if name not in REPORTS:
        raise AnalysisError(f"unknown analysis {name!r}; choose one of {sorted(REPORTS)}, "
                            f"e.g. python analyze.py analysis={next(iter(REPORTS))}.")
    return importlib.import_module(REPORTS[name])


def run_report(cfg: DictConfig) -> Report:
    """Run the report ``cfg.analysis.name`` names."""
    name = str(cfg.analysis.name) if cfg.get("analysis") is not None else "recovery"
    return report_module(name).run(cfg)
