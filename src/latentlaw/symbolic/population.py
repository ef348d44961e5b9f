"""A population: tournament selection and age-regularised replacement (oldest member dies)."""

from __future__ import annotations

from latentlaw.symbolic.context import SearchContext
from latentlaw.symbolic.member import PopMember, new_member
from latentlaw.symbolic import mutation_functions as mf
from latentlaw.symbolic.mutate import valid_terms


class Population:
    def __init__(self, members: list[PopMember], unary: tuple) -> None:
        self.members = members
        self.unary = unary  # the unary operators this population searches with

    @staticmethod
    def random(ctx: SearchContext, size: int) -> Population:
        """Members of one or two small random terms (retrying unusable draws), using ``ctx.unary``."""
        members: list[PopMember] = []
        tries = 0
        while len(members) < size and tries < 50 * size:
            tries += 1
            n_terms = ctx.options.n_concepts
            if n_terms == 1:
                n_terms += int(ctx.options.linear and ctx.rng.random() < 0.5)
            terms = valid_terms([mf.random_tree(ctx, int(ctx.rng.integers(0, 3))) for _ in range(n_terms)], ctx)
            if terms is None:
                continue
            member = new_member(terms, ctx)
            if member is not None:
                ctx.record(member.complexity)
                members.append(member)
        if not members:
            raise RuntimeError("could not build a single valid random expression: every candidate evaluated to "
                               "NaN/inf or broke a constraint; check the operators and constraints.")
        while len(members) < size:
            members.append(members[len(members) % len(members)].with_birth(ctx.next_birth()))
        return Population(members, ctx.unary)

    def tournament(self, ctx: SearchContext) -> PopMember:
        """Best of a random sample with probability p, second best with p(1-p), ..."""
        o = ctx.options
        fitness = ctx.fitness_function()
        idx = ctx.rng.integers(len(self.members), size=o.tournament_selection_n).tolist()
        ranked = sorted(set(idx), key=lambda i: fitness(self.members[i].loss, self.members[i].complexity))
        p = o.tournament_selection_p
        for i in ranked[:-1]:
            if ctx.rng.random() < p:
                return self.members[i]
        return self.members[ranked[-1]]

    def replace_oldest(self, child: PopMember) -> None:
        oldest = min(range(len(self.members)), key=lambda i: self.members[i].birth)
        self.members[oldest] = child

    def rescore(self, ctx: SearchContext) -> None:
        """Re-evaluate every member on the current batch (after the batch changed)."""
        for i, m in enumerate(self.members):
            rescored = new_member(m.terms, ctx, birth=m.birth)
            if rescored is not None:
                self.members[i] = rescored

    def best_per_complexity(self) -> list[PopMember]:
        best: dict[int, PopMember] = {}
        for m in self.members:
            if m.complexity not in best or m.loss < best[m.complexity].loss:
                best[m.complexity] = m
        return [best[c] for c in sorted(best)]

    def top(self, ctx: SearchContext, n: int) -> list[PopMember]:
        fitness = ctx.fitness_function()
        return sorted(self.members, key=lambda m: fitness(m.loss, m.complexity))[:n]
