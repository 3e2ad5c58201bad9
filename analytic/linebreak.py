r"""Breaking a long right-hand side into display lines of a given width.

``break_lines(expr, width)`` returns LaTeX lines whose concatenation denotes
``expr`` and whose visible width (:func:`visible_width`) is at most ``width``
wherever the expression allows. Breaks fall only at top-level operators:

- a sum breaks between its terms;
- a product breaks between its factors (continued with ``\cdot``), a factor
  that is a sum opens ``\Bigl(`` on one line and closes ``\Bigr)`` on a later one,
  and a denominator is pulled out front as ``\frac{1}{d}`` (or with the
  coefficient, ``\frac{\alpha}{\beta}``);
- a function of a long argument (``\log``, ``\omega``, ``\operatorname{Li}_2``,
  ``\exp``) breaks inside ``\Bigl( \dots \Bigr)``.

Symbols, powers and fractions whose parts do not fit are never cut: such a
piece stays whole on its own line (the only case a line can be wider).
"""

from __future__ import annotations

import math
import re

import sympy as sp

from . import symbols
from .special import WrightOmega

SYMBOL_NAMES = {symbols.u0: "u_0", symbols.v0: "v_0"}
PARENTHESIS_WIDTH = 2  # \Bigl( and \Bigr) count as one character each


def expression_latex(expr: sp.Expr) -> str:
    """One expression in the toolkit's notation (``\\log``, :math:`u_0`, :math:`\\omega`), with no macros of its own."""
    return sp.latex(expr, symbol_names=SYMBOL_NAMES, ln_notation=False)


COMMAND_WIDTHS = {"log": 3, "exp": 3, "lim": 3, "Li": 2, "Ei": 2, "sin": 3, "cos": 3, "max": 3, "min": 3}
HIDDEN = r"left|right|Bigl|Bigr|bigl|bigr|nonumber|displaystyle|limits"


def visible_width(latex: str) -> int:
    """A rough count of the characters a LaTeX math string shows.

    A fraction counts its wider part, a superscript or subscript half its
    characters, ``\\log`` three, a Greek letter one; spacing commands nothing.
    """
    text = re.sub(r"\\[dt]?frac(?![A-Za-z])", "\0", latex)
    text = re.sub(r"\\operatorname\{([A-Za-z]+)\}", lambda m: "\\" + m.group(1), text)
    text = re.sub(r"\\(mathrm|text)\{([^{}]*)\}", lambda m: "x" * len(m.group(2)), text)
    text = re.sub(r"\\(" + HIDDEN + r")(?![A-Za-z])", "", text)
    text = re.sub(r"\\(quad|qquad)(?![A-Za-z])", "xx", text)
    text = re.sub(r"\\[,;!]", "", text)
    text = re.sub(r"\\([A-Za-z]+)", lambda m: "x" * COMMAND_WIDTHS.get(m.group(1), 1), text)
    for _ in range(50):  # innermost groups first: scripts, fractions, plain braces
        replaced = re.sub(r"[\^_]\{([^{}]*)\}", lambda m: "x" * math.ceil(_weight(m.group(1)) / 2), text)
        replaced = re.sub(r"[\^_](\w)", "x", replaced)
        replaced = re.sub(r"\0\{([^{}]*)\}\{([^{}]*)\}", lambda m: "x" * math.ceil(max(map(_weight, m.groups())) + 0.5), replaced)
        replaced = re.sub(r"(?<![\0^_}])\{([^{}]*)\}", lambda m: m.group(1), replaced)
        if replaced == text:
            break
        text = replaced
    return math.ceil(_weight(re.sub(r"[{}]", "", text)))


def _weight(text: str) -> float:
    """Letters count one, a binary operator with its spaces about 2.5, a parenthesis 0.7."""
    text = text.replace(" ", "")
    return len(text) + 1.5 * len(re.findall(r"[-+=]", text)) - 0.3 * len(re.findall(r"[()]", text))


def break_lines(expr: sp.Expr, width: int) -> list[str]:
    """``expr`` as LaTeX lines of at most ``width`` visible characters where it can be broken."""
    return _Breaker().lines(expr, width)


def _bracketed(head: str, inner: list[str]) -> list[str]:
    """``head\\Bigl( inner \\Bigr)`` over the lines of ``inner`` (the brackets need not pair on one line)."""
    lines = [head + r"\Bigl(" + inner[0], *inner[1:]]
    lines[-1] += r"\Bigr)"
    return lines


class _Breaker:
    def latex(self, expr) -> str:
        return expression_latex(expr)

    def lines(self, expr, width) -> list[str]:
        whole = self.latex(expr)
        if visible_width(whole) <= width:
            return [whole]
        if isinstance(expr, sp.Add):
            return self.sum_lines(expr, width)
        if isinstance(expr, sp.Mul):
            return self.product_lines(expr, width)
        if isinstance(expr, (sp.log, sp.exp, WrightOmega, sp.polylog)):
            return self.function_lines(expr, width)
        return [whole]

    def sum_lines(self, expr: sp.Add, width) -> list[str]:
        """Terms packed greedily; a term wider than a line is broken on lines of its own."""
        out, current = [], ""
        for index, term in enumerate(expr.as_ordered_terms()):
            negative = term.could_extract_minus_sign()
            body = -term if negative else term
            sign = "- " if negative else ("+ " if index else "")
            text = sign + self.latex(body)
            if visible_width(text) <= width:
                if current and visible_width(f"{current} {text}") > width:
                    out.append(current)
                    current = text
                else:
                    current = f"{current} {text}" if current else text
                continue
            if current:
                out.append(current)
            pieces = self.lines(body, width - 1)
            pieces[0] = sign + pieces[0]
            out += pieces[:-1]
            current = pieces[-1]
        out.append(current)
        return out

    def product_lines(self, expr: sp.Mul, width) -> list[str]:
        """Factors after a short head (sign, coefficient, denominator), each sum in ``\\Bigl( \\Bigr)``."""
        sign = ""
        if expr.could_extract_minus_sign():
            sign, expr = "-", -expr
        numerator, denominator = sp.fraction(expr)
        factors = list(sp.Mul.make_args(numerator))
        sums = [f for f in factors if isinstance(f, sp.Add)]
        rest = sp.Mul(*[f for f in factors if not isinstance(f, sp.Add)]) / denominator
        if len(sums) == 1 and rest != 1 and visible_width(self.latex(rest)) <= width // 2:
            head, factors = self.latex(rest), sums
        elif denominator != 1 and visible_width(self.latex(1 / denominator)) <= width // 2:
            head = self.latex(1 / denominator)
        elif denominator != 1:
            return [sign + self.latex(expr)]
        else:
            head = ""
        out, current = [], sign + head
        for factor in factors:
            is_sum = isinstance(factor, sp.Add)
            pieces = self.lines(factor, width - PARENTHESIS_WIDTH if is_sum else width)
            if is_sum and len(pieces) == 1:
                pieces = [r"\left(" + pieces[0] + r"\right)"]
            elif is_sum:
                pieces = _bracketed("", pieces)
            at_start = current in ("", "-")
            candidate = current + ("" if at_start else " ") + pieces[0]
            if at_start or visible_width(candidate) <= width:
                current = candidate
            else:  # a new line; a factor continued after a line break is marked with \cdot
                out.append(current)
                current = (r"\cdot " if not pieces[0].startswith(r"\Bigl(") else "") + pieces[0]
            if len(pieces) > 1:
                out += [current, *pieces[1:-1]]
                current = pieces[-1]
        out.append(current)
        return out

    def function_lines(self, expr, width) -> list[str]:
        """``name\\Bigl( argument \\Bigr)`` with the argument broken."""
        if isinstance(expr, sp.exp):
            name, argument = r"\exp", expr.args[0]
        elif isinstance(expr, sp.polylog):
            name = r"\operatorname{Li}_{%s}" % self.latex(expr.args[0])
            argument = expr.args[1]
        else:
            name = {sp.log: r"\log", WrightOmega: r"\omega"}[type(expr)]
            argument = expr.args[0]
        return _bracketed(name, self.lines(argument, width - PARENTHESIS_WIDTH))


__all__ = ["break_lines", "expression_latex", "visible_width"]
