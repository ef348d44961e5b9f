"""``SymbolicSearch``: the estimator users call (PySR's API, scikit-learn's conventions).

The constructor only stores parameters; ``fit`` validates everything, runs a backend and keeps
the Pareto front in ``pareto_front_`` (learned state ends in ``_``). ``index=None`` everywhere
means the automatically selected row ``best_index_`` (see ``selection.py`` and README.md).
"""

from __future__ import annotations

import inspect
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import sympy

from latentlaw.symbolic import backends
from latentlaw.symbolic.checkpoint import read_front
from latentlaw.symbolic.dataset import check_variable_names, prepare
from latentlaw.symbolic.export_latex import to_latex
from latentlaw.symbolic.export_numpy import gradients as tree_gradients
from latentlaw.symbolic.export_numpy import values as tree_values
from latentlaw.symbolic.export_sympy import simplified
from latentlaw.symbolic.export_torch import to_torch
from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.concepts import span_loss_of_fields, split_text
from latentlaw.symbolic.options import (BINARY_OPERATORS, UNARY_OPERATORS, Options, _positive_int, build_options,
                                        check_n_concepts)
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.parse_sympy import parse_sympy
from latentlaw.symbolic.selection import EXACT_FACTOR, floor_and_levels, noise_rows, scores, select
from latentlaw.symbolic.verify import gradient_field

# n_concepts="auto" (calibrated on trained networks, see _choose_concepts): one more concept must
# cut the span loss at least threefold *and* by more than the noise floor of network gradients
AUTO_GAIN = 1 / 3
AUTO_FLOOR = 5e-3  # mean sin^2 of the angle to the span (~4 degrees): below it, nothing is left to explain

# What every backend receives in ``settings`` (the backend contract, see backends/__init__.py).
SETTINGS_KEYS = ("binary_operators", "unary_operators", "maxsize", "niterations", "populations", "population_size",
                 "complexity_of_operators", "complexity_of_constants", "complexity_of_variables",
                 "early_stop_loss", "batch_size")


class SymbolicSearch:
    """Find the simplest closed-form expression for a neuron (objective="gradient") or a target.

    objective="gradient": ``fit(X, gradients=G)`` finds T(x) whose normalised gradient matches
    the rows of G up to one global sign, so T equals the neuron up to an invertible
    reparametrisation. objective="regression": ``fit(X, y)`` finds y = f(X) (least squares).

    Operators, complexities, ``maxsize``, ``constraints`` and ``nested_constraints`` mean what
    they mean in PySR. Budget: ``niterations`` x ``populations`` x ``ncycles_per_iteration``
    children, stopped early by ``early_stop_loss``, ``timeout_in_seconds`` or ``patience`` (native
    only: iterations the automatically selected expression may stay the same; on a network's
    noisy gradients no loss is ever low enough to stop, and the choice settles long before the
    timeout). ``batch_size``:
    rows per evaluation batch (None: all rows up to 1024, else batches of 512); the front is
    always scored on all rows. ``log_start`` (regression, native): the share of the budget first
    spent on searches of log|y| and y^2 when y keeps one sign, whose laws seed the search as
    exp(h) and sqrt(h) terms (products, exponentials and roots of sums are sums there; see
    log_start.py; 0 turns it off). ``rational_start`` (native): the share of the budget for
    sparse fits P/(1 + Q) over monomials of the inputs, planted as members: of y and y^2 before
    the search (regression; rational_start.py), of the gradient directions once the search has
    had that share without an exact law (rational_gradient_start.py); 0 turns both off, and the
    products linear in their logs planted before them (product_start.py, a second at most).
    ``group_start`` (gradient, native): the share of the budget for a first search over the
    products of powers of the inputs that the law depends on, found from the gradients' rank
    (exact gradients only; group_start.py; 0 turns it off).
    ``checkpoint_file``: CSV rewritten with the front during the
    search; ``resume_from``: such a CSV whose equations seed the populations. Advanced
    parameters (PySR names) default to the engine's tuned values when None.

    Fitted attributes: ``pareto_front_`` (DataFrame: complexity, loss, score, equation, sympy,
    latex; sorted by complexity; ``equations_`` is the same table), ``best_index_`` (the row
    ``model_selection`` picks: "best" is the knee of the front, see selection.py and README.md;
    "accuracy" the lowest loss; "score" PySR's highest score), ``fit_seconds_``,
    ``n_evaluations_``, ``n_iterations_``, ``stop_reason_`` ("niterations", "early_stop",
    "patience", "timeout" or "interrupted"), ``n_dropped_rows_`` (zero target gradients), ``backend_``,
    ``variable_names_``, ``n_features_in_``.
    """

    def __init__(self, objective: str = "gradient", backend: str = "native",
                 binary_operators: Sequence[str] = BINARY_OPERATORS, unary_operators: Sequence[str] = UNARY_OPERATORS,
                 complexity_of_operators: dict[str, int] | None = None, complexity_of_constants: int = 1,
                 complexity_of_variables: int = 1, maxsize: int = Options.maxsize,
                 constraints: dict[str, Any] | None = None, nested_constraints: dict[str, dict[str, int]] | None = None,
                 niterations: int = Options.niterations, populations: int = Options.populations,
                 population_size: int = Options.population_size,
                 ncycles_per_iteration: int = Options.ncycles_per_iteration, timeout_in_seconds: float | None = None,
                 early_stop_loss: float | None = Options.early_stop_loss, patience: int | None = None,
                 batch_size: int | None = None, n_concepts: int | str = 1, max_concepts: int = 3,
                 model_selection: str = "best",
                 checkpoint_file: str | None = None, resume_from: str | None = None, verbosity: int = 1,
                 random_state: int | None = None, *, parsimony: float | None = None,
                 adaptive_parsimony_scaling: float | None = None, tournament_selection_n: int | None = None,
                 tournament_selection_p: float | None = None, crossover_probability: float | None = None,
                 optimizer_probability: float | None = None, optimizer_iterations: int | None = None,
                 fraction_replaced: float | None = None, fraction_replaced_hof: float | None = None,
                 topn: int | None = None, max_terms: int | None = None,
                 mutation_weights: dict[str, float] | None = None, log_start: float | None = None,
                 rational_start: float | None = None, group_start: float | None = None) -> None:
        self.objective = objective
        self.backend = backend
        self.binary_operators = binary_operators
        self.unary_operators = unary_operators
        self.complexity_of_operators = complexity_of_operators
        self.complexity_of_constants = complexity_of_constants
        self.complexity_of_variables = complexity_of_variables
        self.maxsize = maxsize
        self.constraints = constraints
        self.nested_constraints = nested_constraints
        self.niterations = niterations
        self.populations = populations
        self.population_size = population_size
        self.ncycles_per_iteration = ncycles_per_iteration
        self.timeout_in_seconds = timeout_in_seconds
        self.early_stop_loss = early_stop_loss
        self.patience = patience
        self.batch_size = batch_size
        self.n_concepts = n_concepts
        self.max_concepts = max_concepts
        self.model_selection = model_selection
        self.checkpoint_file = checkpoint_file
        self.resume_from = resume_from
        self.verbosity = verbosity
        self.random_state = random_state
        self.parsimony = parsimony
        self.adaptive_parsimony_scaling = adaptive_parsimony_scaling
        self.tournament_selection_n = tournament_selection_n
        self.tournament_selection_p = tournament_selection_p
        self.crossover_probability = crossover_probability
        self.optimizer_probability = optimizer_probability
        self.optimizer_iterations = optimizer_iterations
        self.fraction_replaced = fraction_replaced
        self.fraction_replaced_hof = fraction_replaced_hof
        self.topn = topn
        self.max_terms = max_terms
        self.mutation_weights = mutation_weights
        self.log_start = log_start
        self.rational_start = rational_start
        self.group_start = group_start

    # -- scikit-learn plumbing ----------------------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        return [p for p in inspect.signature(cls.__init__).parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> SymbolicSearch:
        for name, value in params.items():
            if name not in self._param_names():
                raise ValueError(f"unknown parameter {name!r} for SymbolicSearch; valid: {self._param_names()}.")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}

        def same(a: Any, b: Any) -> bool:
            sequence = (list, tuple)
            return list(a) == list(b) if isinstance(a, sequence) and isinstance(b, sequence) else a == b

        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not same(v, defaults.get(k))]
        return f"SymbolicSearch({', '.join(changed)})"

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None, *, gradients: Any = None, variable_names: Sequence[str] | None = None,
            weights: Any = None, projector: Any = None) -> SymbolicSearch:
        """Search; returns self. ``gradients`` (n, d) for objective="gradient", ``y`` (n,) for "regression";
        ``variable_names`` default to a DataFrame's columns, else x0, x1, ...; ``weights`` per row;
        ``projector`` (d, d): compare gradients only in the inputs' tangent space
        (``latentlaw.symbolic.dataset.tangent_projector``; native backend only)."""
        params = self.get_params()
        options = build_options(params)  # every parameter is checked before any work
        if self.model_selection not in ("best", "accuracy", "score"):
            raise ValueError(f"model_selection must be 'best', 'accuracy' or 'score', got {self.model_selection!r}.")
        if projector is not None:
            backends.require(self.backend, "projector", "projector", "drop it or use backend='native'.")
        if self.patience is not None:
            backends.require(self.backend, "patience", "patience",
                             "set patience=None and bound the search with timeout_in_seconds.")
        n_concepts = check_n_concepts(self.n_concepts, self.objective, np.shape(X)[1] if np.ndim(X) == 2 else None)
        if n_concepts != 1:
            backends.require(self.backend, "concepts", f"n_concepts={n_concepts!r}", "use n_concepts=1 or backend='native'.")
        if n_concepts == "auto":
            _positive_int("max_concepts", self.max_concepts)
        module = backends.load(self.backend, self.objective)
        if variable_names is None and hasattr(X, "columns"):  # a pandas DataFrame names its columns
            variable_names = [str(c) for c in X.columns]
        data, dropped = prepare(X, y, gradients, weights, objective=self.objective, variable_names=variable_names,
                                projector=projector)
        if self.resume_from is not None:  # fail now on a missing or malformed checkpoint, or one with code in it
            read_equations(self.resume_from, [*data.variable_names, *(f"x{j}" for j in range(data.d))])
        started = time.perf_counter()

        def search(k: int) -> pd.DataFrame:
            settings = {k: params[k] for k in SETTINGS_KEYS}
            if module.NAME == "native":
                settings = {**params, "options": options if k == 1 else replace(options, n_concepts=k), "dataset": data}
            return module.run(data.X, data.y, data.gradients, data.variable_names, objective=self.objective,
                              settings=settings, random_state=self.random_state,
                              timeout_in_seconds=self.timeout_in_seconds, verbosity=self.verbosity)

        self.concept_losses_ = {}
        if n_concepts == "auto":
            front, n_concepts = self._choose_concepts(search, data)
        else:
            front = search(n_concepts)
        self.n_concepts_ = n_concepts
        self.fit_seconds_ = time.perf_counter() - started
        self.n_evaluations_ = int(front.attrs.get("n_evaluations", 0))
        self.n_iterations_ = int(front.attrs.get("n_iterations", 0))
        self.stop_reason_ = str(front.attrs.get("stop_reason", "finished"))
        self.n_dropped_rows_ = dropped
        self.backend_ = module.NAME
        self.variable_names_ = list(data.variable_names)
        self.n_features_in_ = data.d
        y_var = None if data.y is None else float(np.var(data.y))
        self._finish(front, y_var, data)
        return self

    def _choose_concepts(self, search, data) -> tuple[pd.DataFrame, int]:
        """n_concepts="auto": search with k = 1, 2, ... concepts; keep k + 1 only while it cuts the
        span loss of the selected row at least threefold (``AUTO_GAIN``) and by more than
        ``AUTO_FLOOR``; once k's loss is below that floor, k + 1 is not searched at all.

        One more concept always absorbs some of the noise (a free direction in d - k dimensions
        takes ~1/(d - k) of an isotropic residual, more of a structured one), and a network's
        gradients are noisy: on the paper's networks at the fast preset the true law alone leaves
        1e-4 to 2.6e-2, and a second concept searched on single-law networks gained 1.1-3.9x
        (03, 02, 11's three seeds, 12), at most 1.4e-3 where the first loss was below 5e-3. A
        missing law leaves much more: on 06's networks E.B with B^2 - E^2 leaves 0.006, against
        0.03-0.05 for the best single expression (5-9x, a drop of 0.02-0.05). Hence both
        conditions; k + 1 = the dimension of the inputs' space always explains everything and is
        never tried."""
        rank = data.d if data.projector is None else int(round(float(np.trace(data.projector))))
        top = max(1, min(int(self.max_concepts), rank - 1))
        chosen = None
        for k in range(1, top + 1):
            if chosen is not None and chosen[2] <= AUTO_FLOOR:
                break  # what is left is within the noise floor: one more law cannot pay
            front = search(k)
            loss = self._selected_span_loss(front, data, k)
            self.concept_losses_[k] = loss
            if chosen is not None and not (loss < AUTO_GAIN * chosen[2] and chosen[2] - loss > AUTO_FLOOR):
                break
            chosen = (front, k, loss)
        return chosen[0], chosen[1]

    def _selected_span_loss(self, front: pd.DataFrame, data, k: int) -> float:
        """Span loss of the row the selection rule picks from ``front`` (k concepts) on all rows."""
        front = front.sort_values("complexity", kind="stable").reset_index(drop=True)
        floor, null, good = floor_and_levels(self.objective, None, k)
        row = select(front["complexity"], front["loss"], self.model_selection, floor=floor, null_loss=null,
                     good_enough=good)
        if k > 1:
            return float(front["loss"].iloc[row])
        tree = front["tree"].iloc[row] if "tree" in front.columns else None
        field = (tree_gradients(tree, data.X) if tree is not None
                 else gradient_field(front["sympy"].iloc[row], data.X, data.variable_names))
        if data.projector is not None:
            field = field @ data.projector
        losses = span_loss_of_fields([np.nan_to_num(field)], data.gradients)
        return float(losses.mean() if data.weights is None else (losses @ data.weights) / len(losses))

    def _finish(self, front: pd.DataFrame, y_variance: float | None, data: Any = None) -> None:
        """Score, select and decorate a backend's front (sorted by complexity); ``data``: the
        searched rows, for regression's test of noise on y (``selection.noise_rows``)."""
        if front is None or len(front) == 0:
            raise RuntimeError("the search returned an empty front: no valid expression was found. Widen the "
                               "operators, raise maxsize or the budget.")
        front = front.sort_values("complexity", kind="stable").reset_index(drop=True)
        k = getattr(self, "n_concepts_", 1)
        floor, null, good = floor_and_levels(self.objective, y_variance, k)
        trees = list(front["tree"]) if "tree" in front.columns else [None] * len(front)
        table = pd.DataFrame({
            "complexity": front["complexity"].astype(int),
            "loss": front["loss"].astype(float),
            "score": scores(front["complexity"], front["loss"], floor, null),
            "equation": front["equation"].astype(str),
            "sympy": [tuple(map(simplified, e)) if isinstance(e, tuple) else simplified(e) for e in front["sympy"]],
        })
        table["latex"] = ["; ".join(map(to_latex, e)) if isinstance(e, tuple) else to_latex(e) for e in table["sympy"]]
        self._trees: list[Node | None] = trees
        self._callables: dict[int, Any] = {}
        self.pareto_front_ = table
        self.equations_ = table  # PySR's name for the same table
        noisy = self._noisy_rows(data, floor) if data is not None and self.objective == "regression" else None
        self.best_index_ = select(table["complexity"], table["loss"], self.model_selection, floor=floor,
                                  null_loss=null, good_enough=good, noisy_rows=noisy)

    def _noisy_rows(self, data: Any, floor: float) -> int | None:
        """The rows' number if the least-loss row of a regression leaves white noise (no fit exact)."""
        losses = self.pareto_front_["loss"].to_numpy(dtype=float)
        if not np.isfinite(losses).any() or np.nanmin(losses) <= EXACT_FACTOR * floor:
            return None
        row = int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))
        found = self.sympy(row)
        if isinstance(found, tuple):
            return None
        names = [str(s) for s in found.free_symbols]
        used = [j for j, name in enumerate(self.variable_names_) if name in names]
        residual = data.y - self.predict(data.X, row)
        return noise_rows(data.X, data.y, residual, used, data.weights)

    # -- reading results ----------------------------------------------------------------------
    def _row(self, index: int | None) -> int:
        if not hasattr(self, "pareto_front_"):
            raise ValueError("this SymbolicSearch is not fitted yet: call fit(X, ...) first.")
        if index is None:
            return int(self.best_index_)
        n = len(self.pareto_front_)
        if not -n <= int(index) < n:
            raise IndexError(f"index {index} is out of range for a front of {n} rows.")
        return int(index) % n

    def sympy(self, index: int | None = None) -> sympy.Expr | tuple[sympy.Expr, ...]:
        """The expression as sympy (simplified); index=None: the selected one. A row of k > 1
        concepts gives the tuple of its k expressions."""
        row = self._row(index)
        return self.pareto_front_["sympy"].iloc[row]

    def concepts(self, index: int | None = None) -> tuple[sympy.Expr, ...]:
        """The k concepts (laws) of a row as sympy expressions; a single-expression row gives one."""
        found = self.sympy(index)
        return found if isinstance(found, tuple) else (found,)

    def latex(self, index: int | None = None) -> str:
        row = self._row(index)
        return self.pareto_front_["latex"].iloc[row]

    def _check_X(self, X: Any) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} columns; this search was fitted on {self.n_features_in_} "
                             f"({self.variable_names_}).")
        return X

    def predict(self, X: Any, index: int | None = None) -> np.ndarray:
        """Values of the expression at the rows of X (for the gradient objective: the law T(x),
        defined up to an invertible reparametrisation)."""
        row, X = self._row(index), self._check_X(X)
        tree = self._trees[row]
        if isinstance(tree, tuple) or isinstance(self.sympy(row), tuple):
            return np.stack([self._concept(row, j).predict(X) for j in range(len(self.concepts(row)))], axis=1)
        if tree is not None:
            return tree_values(tree, X)
        if row not in self._callables:
            symbols = [sympy.Symbol(n) for n in self.variable_names_]
            self._callables[row] = sympy.lambdify(symbols, self.sympy(row), modules="numpy")
        with np.errstate(all="ignore"):
            out = self._callables[row](*X.T)
        return np.broadcast_to(np.asarray(out, dtype=np.float64), (X.shape[0],)).copy()

    def gradient(self, X: Any, index: int | None = None) -> np.ndarray:
        """grad of the expression at the rows of X, shape (n, d); (n, k, d) for a row of k concepts."""
        row, X = self._row(index), self._check_X(X)
        tree = self._trees[row]
        if isinstance(tree, tuple) or isinstance(self.sympy(row), tuple):
            return np.stack([self._concept(row, j).gradient(X) for j in range(len(self.concepts(row)))], axis=1)
        if tree is not None:
            return tree_gradients(tree, X)
        return gradient_field(self.sympy(row), X, self.variable_names_)

    def torch_module(self, index: int | None = None) -> Any:
        """The expression as a torch.nn.Module (constants trainable); native backend only."""
        row = self._row(index)
        tree = self._trees[row]
        if isinstance(tree, tuple):
            raise ValueError("torch export takes one expression; this row has several concepts: export each of "
                             "concepts(index) with sympy's printers.")
        if tree is None:
            raise ValueError(f"torch export needs the native backend's trees (this front came from {self.backend_!r}); "
                             "use sympy(index) with sympy's own printers instead.")
        return to_torch(tree)

    def _concept(self, row: int, j: int) -> "SymbolicSearch":
        """A one-row view of concept j of a multi-concept row (for predict/gradient)."""
        view = SymbolicSearch.__new__(SymbolicSearch)
        tree = self._trees[row]
        view._trees = [tree[j] if isinstance(tree, tuple) else None]
        view._callables = {}
        view.pareto_front_ = pd.DataFrame({"sympy": [self.concepts(row)[j]]})
        view.best_index_ = 0
        view.variable_names_, view.n_features_in_ = self.variable_names_, self.n_features_in_
        return view

    # -- loading ------------------------------------------------------------------------------
    @classmethod
    def from_file(cls, path: str | Path, variable_names: Sequence[str], *, objective: str = "gradient",
                  **params: Any) -> SymbolicSearch:
        """A fitted-looking search from a checkpoint CSV (its complexity, loss, equation columns)."""
        names = check_variable_names(variable_names, len(variable_names))
        frame, expressions = read_equations(path, names)
        texts = frame["equation"].astype(str)
        # a row of k > 1 concepts ("T1 ; T2") holds one tree per concept
        trees = [parse_expression(t, names) if not isinstance(e, tuple)
                 else tuple(parse_expression(part, names) for part in split_text(t))
                 for t, e in zip(texts, expressions)]
        sizes = {len(e) if isinstance(e, tuple) else 1 for e in expressions}
        if len(sizes) > 1:
            raise ValueError(f"the checkpoint mixes rows of {sorted(sizes)} concepts; one front has one count.")
        front = pd.DataFrame({
            "complexity": frame["complexity"].astype(int),
            "loss": frame["loss"].astype(float),
            "equation": texts,
            "sympy": expressions,
            "tree": trees,
        })
        search = cls(objective=objective, **params)
        search.variable_names_ = names
        search.n_features_in_ = len(names)
        search.backend_ = "native"
        if sizes and max(sizes) > 1:
            search.n_concepts_ = sizes.pop()
        search._finish(front, None)
        return search


def read_equations(path: str | Path, variable_names: Sequence[str]) -> tuple[pd.DataFrame, list[sympy.Expr]]:
    """A checkpoint CSV and its equations as sympy, read by the restricted parser: such files are
    passed between users and runs, so a row that is not a plain formula over ``variable_names``
    is refused with an error naming the file and row, and nothing in it runs."""
    frame = read_front(path)
    names = list(variable_names)

    def read(text: str, row: int) -> sympy.Expr | tuple[sympy.Expr, ...]:
        parts = split_text(text)  # "T1 ; T2": a row of several concepts
        exprs = tuple(parse_sympy(p, names, what=f"equation in row {row} of {str(path)!r}") for p in parts)
        return exprs if len(exprs) > 1 else exprs[0]

    return frame, [read(text, i + 1) for i, text in enumerate(frame["equation"].astype(str))]
