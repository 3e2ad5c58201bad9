r"""Reading the toolkit's LaTeX back into SymPy, to check what it prints.

A recursive-descent reader for the subset of LaTeX math that
:mod:`analytic.latex` emits: sums, implicit and ``\cdot`` products, ``\frac``,
powers, ``e^{x}``, ``\log``, ``\sqrt``, ``\left( \right)``, ``\Bigl( \Bigr)``,
``\left| \right|``, ``\omega`` (Wright omega), ``\operatorname{Li}_{2}`` /
``\Li_{2}``, ``\operatorname{Ei}`` / ``\Ei``, ``\operatorname{E}_{n}`` (``expint``), ``\int\limits_{a}^{b} f \, dx_{v}`` (an unevaluated
integral over a quadrature variable), Greek rates and subscripted symbols. It builds SymPy objects directly (nothing is evaluated as code), and
raises ``ValueError`` on anything else.
"""

from __future__ import annotations

import re

import sympy as sp

from analytic import symbols as sym
from analytic.growth import P_INFINITY
from analytic.invariants import QUADRATURE_VARIABLES
from analytic.special import WrightOmega
from analytic.trajectory import LEVEL

_TOKEN = re.compile(r"\s*(\\[A-Za-z]+|\\[,;!|]|\d+\.?\d*|[A-Za-z]|[-+*/^_{}()|=&\[\]])")
LETTERS = {"u": sym.u, "v": sym.v, "t": sym.t, "T": sym.T, "c": sym.c, "p": sym.p, "S": LEVEL, "e": sp.E}
GREEK = {r"\alpha": sym.alpha, r"\beta": sym.beta, r"\pi": sp.pi}
SUBSCRIPTED = {("u", "0"): sym.u0, ("v", "0"): sym.v0, ("p", r"\infty"): P_INFINITY,
               ("x", "u"): QUADRATURE_VARIABLES[sym.u], ("x", "v"): QUADRATURE_VARIABLES[sym.v]}
BOUND = {"x"}  # letters only read as a subscripted integration variable
PARENTHESES = {r"\left": ((r"\left", "("), (r"\right", ")")), r"\Bigl": ((r"\Bigl", "("), (r"\Bigr", ")"))}
SPACING = {r"\quad", r"\qquad", r"\,", r"\;", r"\!", r"\nonumber", r"\displaystyle"}


def read_latex(text: str) -> sp.Expr:
    """The SymPy expression that ``text`` (one right-hand side) denotes."""
    cleaned = text.replace("&", " ").replace(r"\\", " ")
    tokens = [t for t in _TOKEN.findall(cleaned) if t not in SPACING]
    unspaced = re.sub(r"\s+", "", cleaned)
    for spacing in sorted(SPACING, key=len, reverse=True):
        unspaced = unspaced.replace(spacing, "")
    if "".join(tokens) != unspaced:
        raise ValueError(f"unreadable LaTeX: {text!r}")
    reader = _Reader(tokens, text)
    result = reader.expr()
    if reader.peek() is not None:
        raise ValueError(f"unexpected {reader.peek()!r} in {text!r}")
    return result


class _Reader:
    def __init__(self, tokens, text):
        self.tokens, self.pos, self.text = tokens, 0, text

    def peek(self, offset: int = 0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected!r}, found {token!r} in {self.text!r}")
        self.pos += 1
        return token

    def expr(self) -> sp.Expr:
        sign = 1
        if self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
        result = sign * self.term()
        while self.peek() in ("+", "-"):
            sign = -1 if self.take() == "-" else 1
            result += sign * self.term()
        return result

    def term(self) -> sp.Expr:
        result = self.power()
        while True:
            token = self.peek()
            if token == r"\cdot":
                self.take()
                result *= self.power()
            elif self.differential_next():
                return result
            elif token is not None and token not in ("+", "-", "}", ")", r"\right", r"\Bigr", "|", "="):
                result *= self.power()
            else:
                return result

    def differential_next(self) -> bool:
        """Whether the next tokens are an integral's ``d x_{v}`` (ending its integrand)."""
        return self.peek() == "d" and self.peek(1) in BOUND and self.peek(2) == "_"

    def integral(self) -> sp.Expr:
        r"""``\int\limits_{a}^{b} f \, d x_{v}`` (``\int`` already taken)."""
        if self.peek() == r"\limits":
            self.take()
        self.take("_")
        lower = self.group() if self.peek() == "{" else self.script()
        self.take("^")
        upper = self.script()
        integrand = self.expr()
        self.take("d")
        variable = self.atom()
        if variable not in QUADRATURE_VARIABLES.values():
            raise ValueError(f"unexpected integration variable {variable} in {self.text!r}")
        return sp.Integral(integrand, (variable, lower, upper))

    def power(self) -> sp.Expr:
        if self.peek() == "e" and self.peek(1) == "^":
            self.take()
            self.take("^")
            return sp.exp(self.script())
        base = self.atom()
        if self.peek() == "^":
            self.take()
            return base ** self.script()
        return base

    def script(self) -> sp.Expr:
        if self.peek() == "{":
            return self.group()
        token = self.take()
        if token.isdigit():
            return sp.Integer(token)
        if token in LETTERS:
            return LETTERS[token]
        raise ValueError(f"unexpected script {token!r} in {self.text!r}")

    def group(self) -> sp.Expr:
        self.take("{")
        inner = self.expr()
        self.take("}")
        return inner

    def delimited(self, opening: tuple, closing: tuple) -> sp.Expr:
        """An expression between the token sequences ``opening`` and ``closing``."""
        for token in opening:
            self.take(token)
        inner = self.expr()
        for token in closing:
            self.take(token)
        return inner

    def parenthesised(self) -> sp.Expr:
        """``\\left( x \\right)``, ``\\Bigl( x \\Bigr)``, ``( x )`` or ``{\\left( x \\right)}``."""
        token = self.peek()
        if token == "{":
            return self.group()
        if token in PARENTHESES:
            return self.delimited(*PARENTHESES[token])
        return self.delimited(("(",), (")",))

    def subscript(self) -> str:
        self.take("_")
        if self.peek() == "{":
            self.take("{")
            parts = []
            while self.peek() != "}":
                parts.append(self.take())
            self.take("}")
            return "".join(parts)
        return self.take()

    def atom(self) -> sp.Expr:
        token = self.peek()
        if token is None:
            raise ValueError(f"unexpected end of {self.text!r}")
        if re.fullmatch(r"\d+\.?\d*", token):
            self.take()
            return sp.Rational(token)
        if token in LETTERS or (token in BOUND and self.peek(1) == "_"):
            self.take()
            if self.peek() == "_":
                key = (token, self.subscript())
                if key not in SUBSCRIPTED:
                    raise ValueError(f"unknown symbol {key} in {self.text!r}")
                return SUBSCRIPTED[key]
            return LETTERS[token]
        if token in GREEK:
            self.take()
            return GREEK[token]
        if token in ("{", "(", r"\left", r"\Bigl"):
            if token == r"\left" and self.peek(1) == "|":
                return sp.Abs(self.delimited((r"\left", "|"), (r"\right", "|")))
            return self.parenthesised()
        self.take()
        if token == r"\frac":
            numerator = self.group()
            return numerator / self.group()
        if token == r"\log":
            return sp.log(self.parenthesised())
        if token == r"\int":
            return self.integral()
        if token == r"\sqrt":
            return sp.sqrt(self.group())
        if token == r"\omega":
            return WrightOmega(self.parenthesised())
        if token in (r"\Li", r"\Ei", r"\operatorname"):
            name = token[1:]
            if token == r"\operatorname":
                self.take("{")
                name = self.take()
                name += self.take() if self.peek() != "}" else ""
                self.take("}")
            if name == "Li":
                order = self.subscript()
                return sp.polylog(sp.Integer(order), self.parenthesised())
            if name == "Ei":
                return sp.Ei(self.parenthesised())
            if name == "E":  # the generalised exponential integral E_n, as SymPy prints expint(n, x)
                order = self.subscript()
                return sp.expint(sp.Integer(order), self.parenthesised())
            raise ValueError(f"unknown operator {name!r} in {self.text!r}")
        raise ValueError(f"unexpected {token!r} in {self.text!r}")
