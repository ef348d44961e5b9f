"""Symbolic search: closed-form expressions for neurons (gradient objective) or targets (regression).

The public surface: ``SymbolicSearch`` (the estimator), ``gradient_alignment``/``equivalent``
(how a recovered law is verified), and the expression type with its parser for advanced use.
"""

from latentlaw.symbolic.expression import Node
from latentlaw.symbolic.parse import parse_expression
from latentlaw.symbolic.search import SymbolicSearch
from latentlaw.symbolic.verify import equivalent, gradient_alignment

__all__ = ["SymbolicSearch", "gradient_alignment", "equivalent", "Node", "parse_expression"]
