"""Everything one search run threads through its steps: settings, data, and the one RNG.

A single ``np.random.Generator`` drives every random choice, so a fixed ``random_state`` gives
the same search run to run; the clock is consulted only to stop (timeout) and to print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from latentlaw.symbolic.dataset import Dataset
from latentlaw.symbolic.objectives import Objective
from latentlaw.symbolic.options import Options

LOSS_FLOOR = 1e-15  # below this, losses are equal (float64 round-off of an exact fit)


@dataclass
class SearchContext:
    options: Options
    objective: Objective
    data: Dataset
    batch: Dataset
    rng: np.random.Generator
    variable_p: np.ndarray
    evaluations: int = 0
    births: int = 0
    frequencies: np.ndarray = field(default=None)  # recent members per complexity (adaptive parsimony)
    seen: dict = field(default_factory=dict)  # genome key -> evaluation on the current batch
    unary: tuple = None  # unary operators the population being evolved may use

    def uses_only_allowed(self, terms) -> bool:
        allowed = {op.name for op in self.unary}
        return all(n.op is None or n.op.arity == 2 or n.op.name in allowed for t in terms for n in t.nodes())

    def __post_init__(self) -> None:
        if self.frequencies is None:
            self.frequencies = np.ones(self.options.maxsize + 1)
        if self.unary is None:
            self.unary = self.options.unary
        self._cdf = np.cumsum(self.variable_p)
        self._cdf /= self._cdf[-1]

    def draw_variable(self, exclude: int | None = None) -> int:
        """An input index drawn with probability ``variable_p`` (optionally never ``exclude``)."""
        while True:
            j = min(int(np.searchsorted(self._cdf, self.rng.random(), side="right")), len(self._cdf) - 1)
            if j != exclude or len(self._cdf) == 1:
                return j

    def next_birth(self) -> int:
        self.births += 1
        return self.births

    def record(self, complexity: int) -> None:
        self.frequencies[min(complexity, self.options.maxsize)] += 1.0

    def fitness_function(self):
        """loss, complexity -> fitness (lower is better): log loss plus PySR's parsimony and
        adaptive parsimony, a penalty on complexities the populations are crowded with, which
        keeps every size explored. Built once per use so the normalisation is computed once."""
        o = self.options
        freq = (self.frequencies * (o.adaptive_parsimony_scaling / self.frequencies.sum())).tolist()
        top, parsimony = o.maxsize, o.parsimony

        def fitness(loss: float, complexity: int) -> float:
            return math.log(max(loss, LOSS_FLOOR)) + parsimony * complexity + freq[min(complexity, top)]

        return fitness
