"""One iteration of one population: many evolution steps, then constant fitting."""

from __future__ import annotations

from latentlaw.symbolic.constant_optimization import optimize_constants
from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.population import Population
from latentlaw.symbolic.regularized_evolution import evolve_step


def run_iteration(population: Population, ctx: SearchContext) -> None:
    for _ in range(ctx.options.ncycles_per_iteration):
        evolve_step(population, ctx)
    p = ctx.options.optimizer_probability
    if p > 0 and ctx.options.optimizer_iterations > 0:
        for i, member in enumerate(population.members):
            if ctx.rng.random() < p:
                better = optimize_constants(member, ctx)
                if better is not None:
                    population.members[i] = better
