"""Migration: members drift between populations and back from the hall of fame."""

from __future__ import annotations

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.member import PopMember
from latentlaw.symbolic.population import Population


def migrate(population: Population, pool: list[PopMember], fraction: float, ctx: SearchContext) -> None:
    """Replace each member with probability ``fraction`` by a copy of a random ``pool`` member
    (one the population's operator set can express)."""
    ctx.unary = population.unary
    if not pool or fraction <= 0:
        return
    for i in range(len(population.members)):
        if ctx.rng.random() < fraction:
            migrant = pool[int(ctx.rng.integers(len(pool)))]
            if population.unary == ctx.options.unary or ctx.uses_only_allowed(migrant.terms):
                population.members[i] = migrant.with_birth(ctx.next_birth())
