"""Progress lines during a search (a line every few seconds; verbosity=0 is silent).

The clock here only decides when to print, never anything about the search itself.
"""

from __future__ import annotations

import time

PRINT_EVERY_S = 5.0


class Progress:
    def __init__(self, verbosity: int, niterations: int) -> None:
        self.verbosity = verbosity
        self.niterations = niterations
        self.started = time.perf_counter()
        self.last = self.started

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def say(self, text: str) -> None:
        if self.verbosity > 0:
            print(f"[latentlaw.symbolic {self.elapsed():6.1f}s] {text}", flush=True)

    def update(self, iteration: int, evaluations: int, best: str, force: bool = False) -> None:
        now = time.perf_counter()
        if self.verbosity <= 0 or (not force and now - self.last < PRINT_EVERY_S):
            return
        self.last = now
        rate = evaluations / max(now - self.started, 1e-9)
        self.say(f"iteration {iteration}/{self.niterations}, {evaluations:,} evaluations ({rate:,.0f}/s), {best}")
