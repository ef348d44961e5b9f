"""The hall of fame: the best expression found at each complexity, scored on all rows.

Candidates come from the populations (scored on a batch); the hall re-scores each distinct
genome once on the full data, offers every variant of it, and its Pareto front is what the
search returns and checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.member import PopMember, Variant, evaluate_terms

CACHE_LIMIT = 200_000


@dataclass
class Entry:
    terms: tuple[Node, ...]
    variant: Variant

    @property
    def loss(self) -> float:
        return self.variant.loss

    @property
    def complexity(self) -> int:
        return self.variant.complexity


class HallOfFame:
    def __init__(self) -> None:
        self.entries: dict[int, Entry] = {}
        self._scored: dict[str, tuple[tuple[Node, ...], list[Variant]] | None] = {}
        self.version = 0  # bumps whenever the front may have changed

    def full_variants(self, member: PopMember, ctx: SearchContext) -> tuple[tuple[Node, ...], list[Variant]] | None:
        if ctx.batch is ctx.data:
            return member.terms, member.variants
        key = member.key
        if key not in self._scored:
            if len(self._scored) > CACHE_LIMIT:
                self._scored.clear()
            self._scored[key] = evaluate_terms(member.terms, ctx.data, ctx.objective, ctx.options, memo=False)
            ctx.evaluations += 1
        return self._scored[key]

    def consider(self, member: PopMember, ctx: SearchContext, scored: bool = False) -> None:
        """Offer a member; ``scored`` says its variants are already on all rows."""
        scored = (member.terms, member.variants) if scored else self.full_variants(member, ctx)
        if scored is None:
            return
        terms, variants = scored
        for variant in variants:
            self.offer(Entry(terms, variant))

    def offer(self, entry: Entry) -> None:
        """Keep ``entry`` if it is the best at its complexity."""
        current = self.entries.get(entry.complexity)
        if current is None or entry.loss < current.loss:
            self.entries[entry.complexity] = entry
            self.version += 1

    def replace(self, entry: Entry) -> None:
        """Put ``entry`` at its complexity whatever is there (the polish's preferred spelling of a tie)."""
        self.entries[entry.complexity] = entry
        self.version += 1

    def front(self) -> list[Entry]:
        """Entries no simpler entry beats or ties, by increasing complexity."""
        out: list[Entry] = []
        for c in sorted(self.entries):
            entry = self.entries[c]
            if not out or entry.loss < out[-1].loss * (1 - 1e-9):
                out.append(entry)
        return out

    def members(self, ctx: SearchContext) -> list[PopMember]:
        """Front entries as population members (for migration)."""
        out = []
        for entry in self.front():
            out.append(PopMember(entry.terms, [entry.variant], ctx.next_birth()))
        return out

    def best_loss(self) -> float:
        return min((e.loss for e in self.entries.values()), default=float("inf"))
