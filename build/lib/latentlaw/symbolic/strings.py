"""Printing trees as infix strings that ``parse.parse_expression`` reads back exactly.

Constants keep 12 significant digits: enough to reproduce a front from a checkpoint, few enough
that a fitted 2.4999999999999996 prints as 2.5.
"""

from __future__ import annotations

from typing import Sequence

from latentlaw.symbolic.expression import Node


def format_constant(value: float, digits: int = 12) -> str:
    text = format(float(value), f".{digits}g")
    return "0" if text == "-0" else text


def variable_name(feature: int, variable_names: Sequence[str] | None) -> str:
    return variable_names[feature] if variable_names is not None else f"x{feature}"


def to_string(node: Node, variable_names: Sequence[str] | None = None, digits: int = 12) -> str:
    op = node.op
    if op is None:
        if node.feature >= 0:
            return variable_name(node.feature, variable_names)
        return format_constant(node.value, digits)
    if op.arity == 1:
        return f"{op.name}({to_string(node.left, variable_names, digits)})"
    left = _operand(node.left, op, False, variable_names, digits)
    right = _operand(node.right, op, True, variable_names, digits)
    if op.precedence == 1:
        return f"{left} {op.infix} {right}"
    return f"{left}{op.infix}{right}"


def _operand(child: Node, parent, is_right: bool, variable_names, digits: int) -> str:
    text = to_string(child, variable_names, digits)
    if child.is_constant and text.startswith("-"):
        return f"({text})"
    cop = child.op
    if cop is None or cop.arity == 1:
        return text
    needs = (cop.precedence < parent.precedence
             or (cop.precedence == parent.precedence and (is_right and parent.name in "-/" or parent.name == "^")))
    return f"({text})" if needs else text
