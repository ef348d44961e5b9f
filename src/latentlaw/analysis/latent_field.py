"""analyze.py analysis=latent_field: the latent-vector-field study across latent sizes.

The computation lives with the other whole-latent-space diagnostics in
``latentlaw.latent_space.study``; this module only connects it to analyze.py's config.
"""

from __future__ import annotations

from omegaconf import DictConfig

from latentlaw.analysis import AnalysisError, Report


def run(cfg: DictConfig) -> Report:
    """One row per latent size (memorisation, attractors, dictionary probe); Hydra gets the Spearman."""
    from latentlaw.latent_space.study import latent_field_report
    from latentlaw.tracking import configure_tracking

    configure_tracking(cfg.tracking.uri, cfg.paths.root_dir, cfg.tracking.experiment_name)
    options = cfg.analysis
    try:
        result = latent_field_report(experiment_name=options.get("experiment"), log=True,
                                     sparsity=float(options.get("sparsity", 0.05)))
    except LookupError as err:
        raise AnalysisError(str(err)) from err
    return Report(text=result["markdown"], value=float(result["spearman"]), data=result["table"])
