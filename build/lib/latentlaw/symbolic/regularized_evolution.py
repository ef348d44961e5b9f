"""One step of regularised ("aging") evolution: select, vary, evaluate, replace the oldest."""

from __future__ import annotations

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.member import new_member
from latentlaw.symbolic.mutate import crossover, mutate
from latentlaw.symbolic.population import Population


def evolve_step(population: Population, ctx: SearchContext) -> None:
    o = ctx.options
    if ctx.rng.random() < o.crossover_probability and len(population.members) > 1:
        parent = population.tournament(ctx)
        terms = crossover(parent, population.tournament(ctx), ctx)
    else:
        parent = population.tournament(ctx)
        terms = mutate(parent, ctx)
    child = None if terms is None else new_member(terms, ctx)
    if child is None:  # failed variation: the parent lives on in the newborn's slot
        child = parent.with_birth(ctx.next_birth())
    ctx.record(child.complexity)
    population.replace_oldest(child)
