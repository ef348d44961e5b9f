"""All search settings in one validated, immutable object (SymbolicRegression.jl's ``Options``).

``build_options`` turns SymbolicSearch's parameters into an ``Options`` and is the single place
that checks them, so every bad setting fails before any search with a message naming the
parameter, the accepted values and the fix.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Mapping

from latentlaw.symbolic import operators as ops
from latentlaw.symbolic.complexity import ComplexityWeights
from latentlaw.symbolic.objectives import OBJECTIVES as LOSSES

OBJECTIVES = tuple(LOSSES)  # each objective owns its rules (objectives.py)
BINARY_OPERATORS = ("+", "-", "*", "/")
UNARY_OPERATORS = ("square", "sqrt", "sin", "cos", "exp", "log")
MODEL_SELECTIONS = ("best", "accuracy", "score")

# How often each mutation is picked (relative weights). Term-level moves exist because every
# candidate is a sum of terms whose outer coefficients are solved in closed form.
MUTATION_WEIGHTS: dict[str, float] = {
    "mutate_constant": 0.6,
    "mutate_operator": 0.6,
    "mutate_feature": 0.6,
    "swap_operands": 0.1,
    "insert_node": 1.0,
    "shift_subtree": 0.0,  # opt-in: see mutation_functions.shift_subtree
    "delete_node": 0.8,
    "append_node": 1.2,
    "prepend_node": 0.5,
    "replace_subtree": 0.3,
    "add_term": 0.8,
    "delete_term": 0.4,
    "replace_term": 0.3,
    "fold_terms": 0.3,
}


@dataclass(frozen=True)
class Options:
    objective: str = "gradient"
    binary: tuple[ops.Operator, ...] = ()
    unary: tuple[ops.Operator, ...] = ()
    weights: ComplexityWeights = field(default_factory=ComplexityWeights)
    maxsize: int = 30
    constraints: dict[str, tuple[int, ...]] = field(default_factory=dict)
    nested_constraints: dict[str, dict[str, int]] = field(default_factory=dict)
    niterations: int = 100
    populations: int = 12
    population_size: int = 30
    ncycles_per_iteration: int = 100
    timeout_in_seconds: float | None = None
    early_stop_loss: float | None = 1e-10
    patience: int | None = None  # iterations the selected expression may stay unchanged before stopping
    batch_size: int | None = None
    tournament_selection_n: int = 8
    tournament_selection_p: float = 0.86
    parsimony: float = 0.0
    adaptive_parsimony_scaling: float = 20.0
    crossover_probability: float = 0.05
    optimizer_probability: float = 0.1
    optimizer_iterations: int = 10
    fraction_replaced: float = 0.02
    fraction_replaced_hof: float = 0.04
    topn: int = 10
    mutation_weights: dict[str, float] = field(default_factory=lambda: dict(MUTATION_WEIGHTS))
    max_terms: int = 8  # at most 64 (coefficient solver tables)
    n_concepts: int = 1  # expressions per member; > 1: gradient objective, span loss (concepts.py)
    log_start: float = 0.5  # regression: share of the budget for searches of log|y|, y^2 that seed it (log_start.py)
    rational_start: float = 0.1  # share of the budget for sparse fits P/(1 + Q) that seed it (rational_start.py, rational_gradient_start.py)
    group_start: float = 0.5  # gradients: share of the budget for a search over the inputs' groups that seeds it (group_start.py)
    linear: bool = field(init=False, default=False)  # derived: can sums of terms be written down?
    _table: dict = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        table = {op.name: op for op in (*self.binary, *self.unary)}
        object.__setattr__(self, "_table", table)
        # Sums of terms with solved coefficients need + and * to be written down.
        object.__setattr__(self, "linear", "+" in table and "*" in table)

    def operator(self, name: str) -> ops.Operator | None:
        return self._table.get(name)


def _positive_int(name: str, value: Any, minimum: int = 1) -> int:
    integral = isinstance(value, numbers.Integral) or isinstance(value, float) and value.is_integer()
    if isinstance(value, bool) or not integral or int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def _probability(name: str, value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}.")
    return number


def check_n_concepts(value: Any, objective: str, n_inputs: int | None = None) -> int | str:
    """``n_concepts``: an integer 1..n_inputs or "auto"; more than one only for the gradient objective."""
    if value is None:
        value = 1
    if value != "auto":
        try:
            value = _positive_int("n_concepts", value)
        except ValueError:
            raise ValueError(f"n_concepts must be an integer >= 1 or 'auto', got {value!r}.") from None
    if value != 1 and not (objective in LOSSES and LOSSES[objective].concepts):
        able = [name for name, loss in LOSSES.items() if loss.concepts]
        raise ValueError(f"n_concepts={value!r} needs objective={able[0]!r} (a neuron's gradient lies in the span of "
                         f"its laws' gradients; values have no such rule); use n_concepts=1 with {objective!r}.")
    if n_inputs is not None and value != "auto" and value > n_inputs:
        raise ValueError(f"n_concepts={value} is larger than the number of inputs ({n_inputs}): at most {n_inputs} "
                         "gradients can be independent. Lower n_concepts or use 'auto'.")
    return value


def build_options(params: Mapping[str, Any]) -> Options:
    """Validate SymbolicSearch parameters (unknown keys are ignored) into Options."""
    p = dict(params)
    objective = p.get("objective", "gradient")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}.")
    n_concepts = check_n_concepts(p.get("n_concepts", 1), objective)
    if n_concepts == "auto":
        n_concepts = 1  # SymbolicSearch runs one search per count; each gets its own Options
    binary = ops.lookup(p.get("binary_operators"), "binary")
    unary = ops.lookup(p.get("unary_operators"), "unary")
    used = {op.name for op in (*binary, *unary)}

    op_costs = dict(p.get("complexity_of_operators") or {})
    for name, cost in op_costs.items():
        if name not in ops.ALL:
            raise ValueError(f"complexity_of_operators names unknown operator {name!r}; accepted: {sorted(ops.ALL)}.")
        _positive_int(f"complexity_of_operators[{name!r}]", cost)
    weights = ComplexityWeights(
        operators={k: int(v) for k, v in op_costs.items()},
        constant=_positive_int("complexity_of_constants", p.get("complexity_of_constants", 1)),
        variable=_positive_int("complexity_of_variables", p.get("complexity_of_variables", 1)),
    )
    maxsize = _positive_int("maxsize", p.get("maxsize", 30))
    if maxsize < weights.variable:
        raise ValueError(
            f"maxsize={maxsize} is smaller than complexity_of_variables={weights.variable}: not even a single "
            f"variable fits. Raise maxsize (20-30 is typical) or lower complexity_of_variables."
        )

    constraints: dict[str, tuple[int, ...]] = {}
    for name, limit in dict(p.get("constraints") or {}).items():
        if name not in used:
            raise ValueError(f"constraints names operator {name!r}, which is not in use; operators in use: {sorted(used)}.")
        arity = ops.ALL[name].arity
        limits = tuple(int(v) for v in (limit if isinstance(limit, (list, tuple)) else [limit]))
        if len(limits) != arity:
            raise ValueError(f"constraints[{name!r}] needs {arity} limit(s) (-1 = none), got {limit!r}.")
        constraints[name] = limits
    nested: dict[str, dict[str, int]] = {}
    for outer, inner in dict(p.get("nested_constraints") or {}).items():
        for name in (outer, *dict(inner)):
            if name not in used:
                raise ValueError(f"nested_constraints names operator {name!r}, which is not in use; "
                                 f"operators in use: {sorted(used)}.")
        nested[outer] = {k: int(v) for k, v in dict(inner).items()}

    defaults = Options()
    timeout = p.get("timeout_in_seconds")
    if timeout is not None and not (float(timeout) > 0 and math.isfinite(float(timeout))):
        raise ValueError(f"timeout_in_seconds must be a positive number of seconds or None, got {timeout!r}.")
    early = p.get("early_stop_loss", defaults.early_stop_loss)
    if early is not None and not float(early) >= 0:
        raise ValueError(f"early_stop_loss must be >= 0 or None, got {early!r}.")
    batch = p.get("batch_size")
    population_size = _positive_int("population_size", p.get("population_size", defaults.population_size), 4)
    mutation_weights = dict(MUTATION_WEIGHTS)
    for name, weight in dict(p.get("mutation_weights") or {}).items():
        if name not in MUTATION_WEIGHTS:
            raise ValueError(f"mutation_weights names unknown mutation {name!r}; accepted: {sorted(MUTATION_WEIGHTS)}.")
        mutation_weights[name] = float(weight)
        if not (math.isfinite(mutation_weights[name]) and mutation_weights[name] >= 0):
            raise ValueError(f"mutation_weights[{name!r}] must be a finite number >= 0 (0 turns it off), got {weight!r}.")
    if sum(mutation_weights.values()) <= 0:
        raise ValueError("mutation_weights are all 0: at least one mutation needs a positive weight.")

    def get(name: str) -> Any:
        value = p.get(name)
        return getattr(defaults, name) if value is None else value

    return Options(
        objective=objective,
        binary=binary,
        unary=unary,
        weights=weights,
        maxsize=maxsize,
        constraints=constraints,
        nested_constraints=nested,
        niterations=_positive_int("niterations", get("niterations")),
        populations=_positive_int("populations", get("populations")),
        population_size=population_size,
        ncycles_per_iteration=_positive_int("ncycles_per_iteration", get("ncycles_per_iteration")),
        timeout_in_seconds=None if timeout is None else float(timeout),
        early_stop_loss=None if early is None else float(early),
        patience=None if p.get("patience") is None else _positive_int("patience", p.get("patience")),
        batch_size=None if batch is None else _positive_int("batch_size", batch, 2),
        tournament_selection_n=min(population_size, _positive_int("tournament_selection_n",
                                                                  get("tournament_selection_n"), 2)),
        tournament_selection_p=_probability("tournament_selection_p", get("tournament_selection_p")),
        parsimony=float(get("parsimony")),
        adaptive_parsimony_scaling=float(get("adaptive_parsimony_scaling")),
        crossover_probability=_probability("crossover_probability", get("crossover_probability")),
        optimizer_probability=_probability("optimizer_probability", get("optimizer_probability")),
        optimizer_iterations=_positive_int("optimizer_iterations", get("optimizer_iterations"), 0),
        fraction_replaced=_probability("fraction_replaced", get("fraction_replaced")),
        fraction_replaced_hof=_probability("fraction_replaced_hof", get("fraction_replaced_hof")),
        topn=_positive_int("topn", get("topn")),
        mutation_weights=mutation_weights,
        max_terms=_positive_int("max_terms", get("max_terms")),
        n_concepts=n_concepts,
        log_start=_probability("log_start", get("log_start")),
        rational_start=_probability("rational_start", get("rational_start")),
        group_start=_probability("group_start", get("group_start")),
    )
