"""Text -> sympy without running it: the one door for expressions that come from outside.

Ground truths in configs and user files, equations in MLflow tags and artifacts, checkpoint and
front files, PySR and Operon output are data. ``sympy.sympify`` evaluates Python (a string such as
``__import__('os').system(...)`` runs), so it is never called on them. This parser reads the text
with Python's ``ast`` module, which only parses, and builds the sympy expression from a whitelist:
numbers, the known variables, ``+ - * / **`` (``^`` too, as Operon prints it), unary minus and a
fixed table of functions. Anything else is refused with an error naming the string, and so is
text that would cost the reader more than a formula should: over ``MAX_LENGTH`` characters, nested
deeper than ``MAX_DEPTH``, or a numeric power such as ``9**9**9`` whose value has more than
``MAX_DIGITS`` digits.

Written by hand because sympy's own ``parse_expr`` is ``eval`` underneath, and no library offers a
whitelisting expression reader that returns sympy objects.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence

import sympy

MAX_LENGTH = 20_000  # characters; a front row or a law is far shorter
MAX_DEPTH = 100  # nesting of operations
MAX_EXPONENT = 100  # |numeric exponent|: 9**9**9 must not become a 370-million-digit integer
MAX_INTEGER = 10**15  # larger integer literals become floats
MAX_DIGITS = 400  # |log10| of a number computed from numbers (9**99**2 is refused; float64 ends at 308)

# The functions an expression may call: our operator spellings, sympy's printed names, and the
# usual math names. Each maps to a sympy callable and takes exactly one argument; callers may add
# their own (``functions=``), whose arity is read from their signature (gplearn's add(a, b)).
FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "sinh": sympy.sinh, "cosh": sympy.cosh, "tanh": sympy.tanh,
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
    "abs": sympy.Abs, "Abs": sympy.Abs, "sign": sympy.sign,
    "square": lambda a: a**2, "cube": lambda a: a**3, "neg": lambda a: -a, "inv": lambda a: 1 / a,
}
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "E": sympy.E}

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ExpressionError(ValueError):
    """An expression string that is not a plain formula; the message names the string."""


class UnknownNameError(ExpressionError):
    """A plain name that is neither a variable nor a constant; ``name`` lets callers word their own
    error (a ground truth over the wrong variables is a data problem, not a syntax one)."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.name = name


def parse_sympy(text: object, variables: Sequence[str] | None = None, *,
                functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]] | None = None,
                what: str = "expression") -> sympy.Expr:
    """Parse ``text`` into a sympy expression over ``variables``.

    With ``variables=None`` any plain name (letters, digits, underscores; no leading underscore)
    becomes a symbol; otherwise an unknown name is an error listing the variables. A variable
    named like a constant (``E`` in the field tensor's E1..E3 is fine; ``E`` itself) is the variable.
    ``what`` says in errors where the text came from ("ground truth", "front row", ...).
    """
    if isinstance(text, sympy.Basic):
        raise ExpressionError(f"{what}: expected text, got a sympy object; use it directly")
    if not isinstance(text, str):
        raise ExpressionError(f"{what} must be a string, got {type(text).__name__}: {text!r:.80}")
    source = text.strip()
    shown = source if len(source) <= 120 else source[:117] + "..."
    if not source:
        raise ExpressionError(f"{what} is empty; write a formula such as 'x**2 + v**2'")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"{what} {shown!r} is {len(source)} characters long (limit {MAX_LENGTH}); "
                              "simplify it or check the file it came from")
    try:
        tree = ast.parse(source.replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        reason = getattr(err, "msg", None) or str(err) or type(err).__name__
        if isinstance(err, (RecursionError, MemoryError)):
            reason = "too deeply nested or too many terms for Python's parser"
        raise ExpressionError(f"cannot read {what} {shown!r}: {reason}; write a plain formula over the "
                              "variables with + - * / ** and functions such as sin, exp, log, sqrt") from None
    builder = _Builder(shown, what, None if variables is None else list(variables), {**FUNCTIONS, **(functions or {})})
    try:
        return builder.build(tree.body, 0)
    except RecursionError:
        raise ExpressionError(f"{what} {shown!r} is nested too deeply (limit {MAX_DEPTH})") from None


class _Builder:
    def __init__(self, shown: str, what: str, variables: list[str] | None,
                 functions: Mapping[str, Callable[[sympy.Expr], sympy.Expr]]) -> None:
        self.shown, self.what, self.variables, self.functions = shown, what, variables, functions
        self.symbols = {name: sympy.Symbol(name) for name in variables or []}

    def fail(self, reason: str) -> ExpressionError:
        return ExpressionError(f"refusing {self.what} {self.shown!r}: {reason}")

    def check_size(self, value: sympy.Expr) -> sympy.Expr:
        """Refuse a number computed from numbers whose magnitude has more than MAX_DIGITS digits."""
        if value.is_number and _log10_size(value) > MAX_DIGITS:
            raise self.fail(f"a number in it has more than {MAX_DIGITS} digits; no formula needs one")
        return value

    def build(self, node: ast.AST, depth: int) -> sympy.Expr:
        if depth > MAX_DEPTH:
            raise self.fail(f"nested deeper than {MAX_DEPTH} operations")
        if isinstance(node, ast.Constant):
            return self.number(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self.chain(node, depth, (ast.Add, ast.Sub))
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            return self.chain(node, depth, (ast.Mult, ast.Div))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self.power(self.build(node.left, depth + 1), self.build(node.right, depth + 1))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise self.fail(f"{type(node).__name__} is not allowed; only numbers, variables, + - * / ** "
                        f"and the functions {sorted(self.functions)}")

    def chain(self, node: ast.BinOp, depth: int, kinds: tuple[type, ...]) -> sympy.Expr:
        """a + b - c + ... (or a * b / c ...) as one level: a long sum of terms is flat, not deep."""
        operands: list[tuple[ast.operator, ast.AST]] = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, kinds):
            operands.append((node.op, node.right))
            node = node.left  # type: ignore[assignment]
        if len(operands) > MAX_LENGTH:
            raise self.fail("too many terms")
        result = self.build(node, depth + 1)
        terms, factors_up, factors_down = [result], [result], []
        for op, operand in reversed(operands):
            value = self.build(operand, depth + 1)
            if isinstance(op, ast.Add):
                terms.append(value)
            elif isinstance(op, ast.Sub):
                terms.append(-value)
            elif isinstance(op, ast.Mult):
                factors_up.append(value)
            else:
                factors_down.append(value)
        if kinds[0] is ast.Add:
            return sympy.Add(*terms)
        return self.check_size(sympy.Mul(*factors_up) / sympy.Mul(*factors_down))

    def number(self, value: object) -> sympy.Expr:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"{value!r:.40} is not a number")
        if isinstance(value, int):
            return sympy.Integer(value) if abs(value) <= MAX_INTEGER else sympy.Float(float(value))
        if not math.isfinite(value):
            raise self.fail("the number is too large to be finite")
        return sympy.Float(value)

    def name(self, name: str) -> sympy.Expr:
        if name in self.symbols:
            return self.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if self.variables is None and _NAME.match(name) and name not in self.functions:
            symbol = self.symbols[name] = sympy.Symbol(name)
            return symbol
        if name in self.functions:
            raise self.fail(f"{name!r} is a function; call it, e.g. {name}(x)")
        known = self.variables if self.variables is not None else "plain names"
        raise UnknownNameError(f"refusing {self.what} {self.shown!r}: unknown name {name!r}; "
                               f"the variables are {known}", name)

    def power(self, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if exponent.is_number:
            try:
                size = abs(float(exponent))
            except (TypeError, ValueError):
                raise self.fail("the exponent is not a real number") from None
            if size > MAX_EXPONENT:
                raise self.fail(f"exponent {float(exponent):.4g} is larger than {MAX_EXPONENT} in magnitude")
            if base.is_number and size * _log10_size(base) > MAX_DIGITS:
                raise self.fail(f"the power would have more than {MAX_DIGITS} digits; no formula needs one")
        return base**exponent

    def call(self, node: ast.Call, depth: int) -> sympy.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.fail("only plain function names may be called (no attributes, no subscripts)")
        name = node.func.id
        if name not in self.functions:
            raise self.fail(f"unknown function {name!r}; allowed: {sorted(self.functions)}")
        function = self.functions[name]
        arity = _arity(function)
        if node.keywords or len(node.args) != arity or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(f"{name}() takes exactly {arity} positional argument{'s' if arity > 1 else ''}")
        return self.check_size(function(*(self.build(a, depth + 1) for a in node.args)))


def _arity(function: Callable[..., sympy.Expr]) -> int:
    """Positional parameters of a caller's function; sympy's classes (sin, exp, ...) take one."""
    if isinstance(function, sympy.FunctionClass) or isinstance(function, type):
        return 1
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 1
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                  and p.default is p.empty]
    return max(1, len(positional))


def _log10_size(value: sympy.Expr) -> float:
    """|log10 |value||: exact for integers and fractions (whose digits sympy would build), inf for
    a value beyond float range, 0 for 0 and for values without a size (zoo, nan)."""
    if isinstance(value, sympy.Rational):
        if value == 0:
            return 0.0
        return abs(math.log10(abs(int(value.p))) - math.log10(int(value.q)))
    try:
        magnitude = abs(complex(value))
    except (TypeError, ValueError):
        return 0.0
    except OverflowError:
        return math.inf
    if magnitude == 0 or math.isnan(magnitude):
        return 0.0
    return abs(math.log10(magnitude))
