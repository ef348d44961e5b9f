"""The Hydra config tree composes the way the README promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra.utils import get_method
from omegaconf import OmegaConf

from conftest import ROOT, compose

PAPER = sorted(p.stem for p in (ROOT / "conf/experiment/paper").glob("*.yaml"))
DATASETS = sorted(p.stem for p in (ROOT / "conf/dataset").glob("*.yaml"))


def test_all_twelve_paper_experiments_exist():
    assert PAPER == ["01_trace_2x2", "02_det_2x2", "03_trace_3x3", "04_antisym_3x3", "05_trace_4x4",
                     "06_field_tensor", "07_harmonic", "08_anharmonic", "09_sine", "10_exp_potential",
                     "11_angular_momentum", "12_spacetime"]


@pytest.mark.parametrize("name", PAPER)
def test_paper_experiment_uses_paper_settings(name):
    cfg = compose("train", [f"experiment=paper/{name}"])
    number = int(name[:2])
    assert cfg.dataset.name == name[3:]
    assert (cfg.dataset.n_train, cfg.dataset.n_val, cfg.dataset.n_test) == (50000, 5000, 10000)
    assert cfg.trainer.max_epochs == (100 if number in (1, 3, 4) else 300)
    assert cfg.model.lr_factor == (0.2 if number <= 5 else 0.5)
    assert (cfg.model.lr, cfg.model.weight_decay, cfg.model.margin, cfg.loader.batch_size) == (1e-3, 1e-4, 1.0, 256)
    assert cfg.model.lr_patience == 10


def test_fast_preset_shrinks_data_and_epochs_even_under_an_experiment():
    paper = compose("train", ["experiment=paper/07_harmonic"])
    fast = compose("train", ["experiment=paper/07_harmonic", "trainer=fast"])
    assert fast.trainer.max_epochs < paper.trainer.max_epochs
    assert fast.dataset.n_train < paper.dataset.n_train
    assert fast.model.lr_factor == paper.model.lr_factor


@pytest.mark.parametrize("name", DATASETS)
def test_every_dataset_config_points_at_a_factory_taking_sizes_and_seed(name):
    import inspect

    cfg = compose("train", [f"dataset={name}"])
    factory = get_method(cfg.dataset._target_)
    params = inspect.signature(factory).parameters
    for key in ("n_train", "n_val", "n_test", "seed"):
        assert key in params, f"{cfg.dataset._target_} lacks {key}"
    for key in cfg.dataset:
        if key != "_target_":
            assert key in params, f"{name}.yaml sets {key}, which {cfg.dataset._target_} does not take"


def test_paths_root_and_tracking_default_resolve_to_the_repo(monkeypatch):
    from latentlaw.tracking.store import resolve_tracking_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = compose("train", [])
    root = Path(OmegaConf.to_container(cfg, resolve=True)["paths"]["root_dir"]).resolve()
    assert root == ROOT
    assert resolve_tracking_uri(cfg.tracking.uri, root) == f"sqlite:///{ROOT}/mlruns/mlflow.db"


@pytest.mark.parametrize("config", ["explain", "analyze"])
def test_explain_and_analyze_configs_compose(config):
    cfg = compose(config, [])
    assert cfg.task_name == config
