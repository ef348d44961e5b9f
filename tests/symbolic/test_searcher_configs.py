"""conf/searcher/native.yaml and paper.yaml build a valid SymbolicSearch with the intended settings."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from latentlaw.symbolic import SymbolicSearch
from latentlaw.symbolic.options import build_options

CONF = Path(__file__).resolve().parents[2] / "conf" / "searcher"
PARAMETERS = set(inspect.signature(SymbolicSearch.__init__).parameters) - {"self"}


@pytest.mark.parametrize("name", ["native", "paper"])
def test_config_keys_are_parameters_and_instantiate(name):
    cfg = OmegaConf.load(CONF / f"{name}.yaml")
    assert set(cfg) - {"_target_"} <= PARAMETERS
    search = instantiate(cfg, objective="gradient", random_state=3, checkpoint_file=None, _convert_="all")
    assert isinstance(search, SymbolicSearch) and search.backend == "native" and search.random_state == 3
    build_options(search.get_params())  # every setting validates


def test_paper_config_is_appendix_d1():
    s = instantiate(OmegaConf.load(CONF / "paper.yaml"), _convert_="all")
    assert list(s.binary_operators) == ["+", "-", "*", "/", "^"]
    assert list(s.unary_operators) == ["sqrt", "square", "sin", "exp"]
    assert s.complexity_of_constants == 3
    assert s.complexity_of_operators == {"sqrt": 4, "square": 4, "sin": 5, "exp": 5}
    assert (s.maxsize, s.niterations, s.batch_size, s.early_stop_loss) == (25, 200, 25, 1e-10)
