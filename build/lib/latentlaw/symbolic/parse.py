"""Reading infix strings back into trees (checkpoints, warm starts, user seeds).

Accepts what ``strings.to_string`` prints and ordinary math spelling: ``+ - * / ^`` (``**`` too),
unary minus, parentheses, numbers, variable names and the unary operators as functions.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from latentlaw.symbolic import operators as ops
from latentlaw.symbolic.expression import Node

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/^(),]))")
_BINDING = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}
_UNARY_MINUS = 3


def parse_expression(text: str, variable_names: Sequence[str], operators: Iterable[str] | None = None) -> Node:
    """Parse ``text`` over ``variable_names`` (``x0, x1, ...`` are accepted too).

    Unary minus on a number is a negative constant; on anything else it is ``neg`` when
    ``operators`` allows it, else multiplication by -1.
    """
    tokens = _tokenize(text)
    parser = _Parser(tokens, list(variable_names), None if operators is None else set(operators), text)
    node = parser.expression(0)
    if parser.pos != len(tokens):
        raise ValueError(f"cannot parse {text!r}: unexpected {tokens[parser.pos][1]!r}")
    return node


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"cannot parse {text!r}: unexpected character at {text[pos:pos + 10]!r}")
        number, name, symbol = match.groups()
        tokens.append(("num", number) if number else ("name", name) if name else ("sym", "^" if symbol == "**" else symbol))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens, variable_names, allowed, text) -> None:
        self.tokens, self.names, self.allowed, self.text, self.pos = tokens, variable_names, allowed, text, 0

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, expected: str | None = None):
        token = self.peek()
        if token[0] == "end" or (expected is not None and token[1] != expected):
            raise ValueError(f"cannot parse {self.text!r}: expected {expected or 'more input'}, got {token[1]!r}")
        self.pos += 1
        return token

    def expression(self, min_binding: int) -> Node:
        left = self.prefix()
        while True:
            kind, symbol = self.peek()
            binding = _BINDING.get(symbol) if kind == "sym" else None
            if binding is None or binding <= min_binding:
                return left
            self.take()
            right = self.expression(binding - 1 if symbol == "^" else binding)  # ^ is right-associative
            left = Node.binary(ops.BINARY[symbol], left, right)

    def prefix(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return Node.const(float(value))
        if kind == "sym" and value == "(":
            node = self.expression(0)
            self.take(")")
            return node
        if kind == "sym" and value in "+-":
            operand = self.expression(_UNARY_MINUS)
            if value == "+":
                return operand
            if operand.is_constant:
                return Node.const(-operand.value)
            if self.allowed is None or "neg" in self.allowed:
                return Node.unary(ops.UNARY["neg"], operand)
            return Node.binary(ops.BINARY["*"], Node.const(-1.0), operand)
        if kind == "name":
            if self.peek() == ("sym", "("):
                if value not in ops.UNARY:
                    raise ValueError(f"cannot parse {self.text!r}: unknown function {value!r}; "
                                     f"known: {sorted(ops.UNARY)}")
                self.take("(")
                arg = self.expression(0)
                self.take(")")
                return Node.unary(ops.UNARY[value], arg)
            if value in self.names:
                return Node.var(self.names.index(value))
            match = re.fullmatch(r"x(\d+)", value)
            if match and int(match.group(1)) < len(self.names):
                return Node.var(int(match.group(1)))
            raise ValueError(f"cannot parse {self.text!r}: unknown variable {value!r}; variables are {self.names}")
        raise ValueError(f"cannot parse {self.text!r}: unexpected {value!r}")
