"""Safe parsing of user expressions into SymPy, without ``eval``.

``sympify`` and ``parse_expr`` evaluate Python code, so user strings never go
near them. This module tokenises the text and builds the SymPy expression with
a small recursive-descent parser over a fixed grammar::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("^" | "**") unary)?
    atom   := NUMBER | NAME | NAME "(" expr ("," expr)* ")" | "(" expr ")"

Names are looked up in a whitelist of symbols, constants and functions; any
other character (quotes, dots outside numbers, brackets, ...) or name
(``__import__``, ``lambda``, ...) is rejected with a one-line ``BadInput``.
On request, other names become real parameters (``parameters=True``) and
given undefined functions may be applied, as in ``l(v)`` (``applied=``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import sympy as sp

from .errors import BadInput
from .special import WrightOmega

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_EXPONENT = 1000  # largest |exponent| of a numeric power, and of 10 in a literal
MAX_DIGITS = 2000  # largest number of digits a numeric power may build (bounded before it is evaluated)
MAX_VARIADIC_ARGUMENTS = 16  # arguments of Max/Min in all (SymPy compares them pairwise)
MAX_PARAMETERS = 16  # distinct parameters with ``parameters=True``
MAX_PARAMETER_NAME = 32  # characters of a parameter's name
SHOWN_CHARACTERS = 80  # how much of the text an error message quotes


def _softplus(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(x))


def _sigmoid(x: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-x))


def _log1p(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + x)


#: name -> (SymPy function, arity). The arity is a number of arguments or a
#: range ``(minimum, maximum)``, ``maximum`` None for "or more". Includes the
#: functions SymPy and the toolkit print (``Max``, ``Heaviside``, ...), so
#: their output parses back.
FUNCTIONS: Mapping[str, tuple] = {
    "exp": (sp.exp, 1),
    "log": (sp.log, 1),
    "ln": (sp.log, 1),
    "sqrt": (sp.sqrt, 1),
    "sin": (sp.sin, 1),
    "cos": (sp.cos, 1),
    "tan": (sp.tan, 1),
    "sinh": (sp.sinh, 1),
    "cosh": (sp.cosh, 1),
    "tanh": (sp.tanh, 1),
    "atan": (sp.atan, 1),
    "abs": (sp.Abs, 1),
    "Abs": (sp.Abs, 1),
    "erf": (sp.erf, 1),
    "Ei": (sp.Ei, 1),
    "polylog": (sp.polylog, 2),
    "WrightOmega": (WrightOmega, 1),
    "Max": (sp.Max, (2, None)),
    "Min": (sp.Min, (2, None)),
    "Heaviside": (sp.Heaviside, (1, 2)),  # Heaviside(x, H0) as SymPy prints it
    "softplus": (_softplus, 1),  # log(1 + exp(x))
    "sigmoid": (_sigmoid, 1),  # 1/(1 + exp(-x))
    "log1p": (_log1p, 1),  # log(1 + x)
}
VARIADIC = frozenset({"Max", "Min"})
CONSTANTS: Mapping[str, sp.Expr] = {"pi": sp.pi, "E": sp.E}

_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\*\*|[-+*/^(),]))"
)


def _arity_text(arity) -> str:
    if isinstance(arity, int):
        return str(arity)
    low, high = arity
    return f"at least {low}" if high is None else " or ".join(str(n) for n in range(low, high + 1))


def _arity_fits(arity, count: int) -> bool:
    if isinstance(arity, int):
        return count == arity
    low, high = arity
    return count >= low and (high is None or count <= high)


class _Parser:
    def __init__(
        self,
        text: str,
        names: Mapping[str, sp.Expr],
        label: str,
        parameters: bool = False,
        applied: Mapping[str, type] | None = None,
    ):
        self.text = text
        self.names = names
        self.label = label
        self.parameters = parameters
        self.found: dict[str, sp.Symbol] = {}  # parameters seen so far
        self.applied = dict(applied or {})
        self.reserved = {s.name for value in names.values() for s in getattr(value, "free_symbols", ())}
        self.variadic_arguments = 0
        self.tokens = self._tokenise(text)
        self.pos = 0
        self.depth = 0

    def fail(self, why: str) -> BadInput:
        shown = self.text if len(self.text) <= SHOWN_CHARACTERS else self.text[:SHOWN_CHARACTERS] + "..."
        return BadInput(f"`{self.label}` {why}: {shown!r}")

    def _tokenise(self, text: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        stripped_end = len(text.rstrip())
        while pos < stripped_end:
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                character = text[pos:].lstrip()[:1]
                if character.isdigit():  # Python's int() and re's \d read these as numbers; the grammar does not
                    raise self.fail(f"has the non-ASCII digit {character!r} (write numbers with the digits 0-9)")
                raise self.fail(f"has an unexpected character {character!r}")
            kind = match.lastgroup
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise self.fail("ends too early")
        if value is not None and token[1] != value:
            raise self.fail(f"expected {value!r} but found {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> sp.Expr:
        if not self.tokens:
            raise self.fail("is empty")
        result = self.expr()
        if self.peek() is not None:
            raise self.fail(f"has unexpected {self.peek()[1]!r}")
        return result

    def nested(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"is nested deeper than {MAX_DEPTH} levels")

    def expr(self) -> sp.Expr:
        result = self.term()
        while self.peek() is not None and self.peek()[1] in "+-":
            op = self.take()[1]
            rhs = self.term()
            result = result + rhs if op == "+" else result - rhs
        return result

    def term(self) -> sp.Expr:
        result = self.unary()
        while self.peek() is not None and self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            rhs = self.unary()
            if op == "/" and rhs == 0:
                raise self.fail("divides by zero")
            result = result * rhs if op == "*" else result / rhs
        return result

    def unary(self) -> sp.Expr:
        token = self.peek()
        if token is not None and token[1] in "+-":
            self.take()
            self.nested()
            operand = self.unary()
            self.depth -= 1
            return operand if token[1] == "+" else -operand
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        token = self.peek()
        if token is not None and token[1] in ("^", "**"):
            self.take()
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            if exponent.is_number and abs(exponent) > MAX_EXPONENT:
                raise self.fail(f"has an exponent larger than {MAX_EXPONENT}")
            if base.is_Rational and exponent.is_Rational and _digits(base) * abs(float(exponent)) > MAX_DIGITS:
                raise self.fail(f"builds a number with more than {MAX_DIGITS} digits")
            return base**exponent
        return base

    def atom(self) -> sp.Expr:
        kind, value = self.take()
        if kind == "number":
            mantissa, _, power = value.lower().partition("e")
            if power and abs(int(power)) > MAX_EXPONENT:
                raise self.fail(f"has a number beyond 1e{MAX_EXPONENT}")
            return sp.Rational(value)
        if kind == "name":
            if value in FUNCTIONS or value in self.applied:
                function, arity = FUNCTIONS.get(value) or (self.applied[value], 1)
                arguments = self.arguments(value)
                if not _arity_fits(arity, len(arguments)):
                    raise self.fail(
                        f"calls {value} with {len(arguments)} arguments instead of {_arity_text(arity)}"
                    )
                if value in VARIADIC:
                    self.variadic_arguments += len(arguments)
                    if self.variadic_arguments > MAX_VARIADIC_ARGUMENTS:
                        raise self.fail(f"has more than {MAX_VARIADIC_ARGUMENTS} arguments of Max/Min in all")
                return function(*arguments)
            if value in self.names:
                return self.names[value]
            if value in CONSTANTS:
                return CONSTANTS[value]
            following = self.peek()
            if self.parameters and (following is None or following[1] != "("):
                return self.parameter(value)
            raise self.fail(f"uses the unknown name {value!r} ({self.allowed()})")
        if value == "(":
            self.nested()
            inner = self.expr()
            self.depth -= 1
            self.take(")")
            return inner
        raise self.fail(f"has unexpected {value!r}")

    def arguments(self, name: str) -> list[sp.Expr]:
        """The parenthesised, comma-separated arguments of a call of ``name``."""
        following = self.peek()
        if following is None or following[1] != "(":
            raise self.fail(f"uses the function {name!r} without an argument in parentheses")
        self.take("(")
        self.nested()
        arguments = [self.expr()]
        while self.peek() is not None and self.peek()[1] == ",":
            self.take()
            arguments.append(self.expr())
        self.depth -= 1
        self.take(")")
        return arguments

    def parameter(self, name: str) -> sp.Symbol:
        """The real symbol of parameter ``name`` (checked against the limits)."""
        if name in self.found:
            return self.found[name]
        if len(name) > MAX_PARAMETER_NAME:
            raise self.fail(f"has a parameter name longer than {MAX_PARAMETER_NAME} characters ({name[:12]}...)")
        if name in self.reserved:
            raise self.fail(f"uses the parameter {name!r}, which is the name of one of its symbols")
        if len(self.found) >= MAX_PARAMETERS:
            raise self.fail(f"has more than {MAX_PARAMETERS} parameters")
        self.found[name] = sp.Symbol(name, real=True)
        return self.found[name]

    def allowed(self) -> str:
        """The allowed names, on one line: symbols, functions, constants."""
        symbols = ", ".join(sorted(self.names)) or "none"
        functions = ", ".join(sorted(set(FUNCTIONS) | set(self.applied)))
        constants = ", ".join(sorted(CONSTANTS))
        return f"allowed: symbols {symbols}; functions {functions}; constants {constants}"


def _digits(number: sp.Rational) -> float:
    """Decimal digits of the larger of numerator and denominator (from their bit lengths, no conversion)."""
    return max(int(number.p).bit_length(), int(number.q).bit_length()) * 0.30103


def parse_expression(
    text: str,
    symbols: Mapping[str, sp.Expr],
    *,
    label: str = "expr",
    parameters: bool = False,
    applied: Mapping[str, type] | None = None,
) -> sp.Expr:
    """Parse ``text`` into a SymPy expression using only whitelisted names.

    Parameters
    ----------
    text : str
        The expression, e.g. ``"log(1 + exp(-v))"``.
    symbols : mapping
        Name -> SymPy symbol allowed in the expression.
    label : str
        Parameter name used in error messages.
    parameters : bool
        Whether any other name (not a function or constant) is a parameter,
        ``sp.Symbol(name, real=True)``: at most 16, of at most 32 characters.
        The result's free symbols beyond ``symbols`` are exactly these.
    applied : mapping, optional
        Name -> undefined function (``sp.Function("l")``) that may be applied
        to exactly one argument, as in ``l(v)`` or ``l(0)``.

    Examples
    --------
    >>> x = sp.Symbol("x")
    >>> parse_expression("x^2/2 - 3*x", {"x": x})
    x**2/2 - 3*x
    >>> parse_expression("Max(0, 1 - x)^2", {"x": x})
    Max(0, 1 - x)**2
    >>> parse_expression("softplus(-tau*x)", {"x": x}, parameters=True)
    log(1 + exp(-tau*x))
    >>> parse_expression("-log(p*exp(-l(x)) + (1 - p)*exp(-l(0)))", {"x": x},
    ...                  parameters=True, applied={"l": sp.Function("l")})
    -log(p*exp(-l(x)) + (1 - p)*exp(-l(0)))
    """
    if not isinstance(text, str):
        raise TypeError(f"`{label}` must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise BadInput(f"`{label}` is longer than {MAX_LENGTH} characters ({len(text)})")
    for name in applied or {}:
        if name in FUNCTIONS or name in CONSTANTS or name in symbols:
            raise BadInput(f"`{label}`: the applied function {name!r} clashes with a function, constant or symbol")
    result = _Parser(text, symbols, label, parameters, applied).parse()
    if result.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise BadInput(f"`{label}` is not finite: {text!r}")
    return result


_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def parse_integer(text: str) -> int:
    """A whole number written with the digits 0-9; ``BadInput`` otherwise (``int()`` itself
    also reads non-ASCII digits, e.g. ``int("\u0662") == 2``, and ``"1_000"``).

    Examples
    --------
    >>> parse_integer(" 12 ")
    12
    """
    if not _INTEGER.fullmatch(text):
        raise BadInput(f"not an integer written with the digits 0-9: {text!r}")
    return int(text)


def parse_number(text: str, *, label: str) -> sp.Expr:
    """Parse an exact number such as ``"1/999"``, ``"0.5"`` or ``"2e3"``.

    Examples
    --------
    >>> parse_number("1/999", label="alpha")
    1/999
    """
    value = parse_expression(text, {}, label=label)
    if not value.is_number or not value.is_real:
        raise BadInput(f"`{label}` must be a real number, got {text!r}")
    return value
