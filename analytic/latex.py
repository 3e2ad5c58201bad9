r"""LaTeX for derivations, in the notation of docs/setting.rst section 5.

Each equation gets a stable label ``eq:<paradigm>-<loss>-<what>`` (for example
``eq:hard-ce-invariant``) so that a paper can ``\eqref`` it. Every row keeps the
SymPy expression it prints (:class:`Row`), so the printed LaTeX can be read back
and compared with it; long right-hand sides are broken between terms into
several ``align`` lines (:func:`break_lines`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from . import symbols
from .paradigms import LATEX_NAMES

SYMBOL_NAMES = {symbols.u0: "u_0", symbols.v0: "v_0"}
LINE_WIDTH = 62  # visible characters of one display line (10pt article, 2.5 cm margins)
MACRO_NAMES = {r"\operatorname{Li}": r"\Li", r"\operatorname{Ei}": r"\Ei"}


def expression_latex(expr: sp.Expr, macros: bool = False) -> str:
    """One expression in the toolkit's notation (``\\log``, :math:`u_0`, :math:`\\omega`).

    With ``macros``, :math:`\\operatorname{Li}` and :math:`\\operatorname{Ei}` are
    written ``\\Li`` and ``\\Ei`` (defined in the paper's macros file).
    """
    text = sp.latex(expr, symbol_names=SYMBOL_NAMES, ln_notation=False)
    if macros:
        for long, short in MACRO_NAMES.items():
            text = text.replace(long, short)
    return text


def visible_width(latex: str) -> int:
    """A rough count of the characters a LaTeX math string shows (fractions count their wider part)."""
    text = latex
    for _ in range(20):  # innermost \frac{a}{b} first
        replaced = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: "x" * max(len(m.group(1)), len(m.group(2))), text)
        if replaced == text:
            break
        text = replaced
    text = re.sub(r"\\(left|right|Bigl|Bigr|operatorname|mathrm)", "", text)
    text = re.sub(r"\\[A-Za-z]+", "x", text)
    text = re.sub(r"[{}]", "", text)
    text = re.sub(r"\^(x+|\w)", lambda m: "x" * ((len(m.group(1)) + 1) // 2), text)
    return len(text.replace(" ", ""))


def break_lines(expr: sp.Expr, width: int = LINE_WIDTH, macros: bool = False) -> list[str]:
    """``expr`` as LaTeX lines of at most ``width`` visible characters, broken between terms.

    Sums break between terms; a product ``c * (sum)`` breaks inside
    :math:`\\Bigl( \\dots \\Bigr)`. A single term wider than a line stays whole.
    """
    whole = expression_latex(expr, macros)
    if visible_width(whole) <= width:
        return [whole]
    if isinstance(expr, sp.Add):
        return _pack([(term.could_extract_minus_sign(), term) for term in expr.as_ordered_terms()], width, macros)
    if isinstance(expr, sp.Mul):
        sums = [f for f in expr.args if isinstance(f, sp.Add)]
        if len(sums) == 1:
            outside = expr / sums[0]
            head = expression_latex(outside, macros)
            if outside == -1:
                head = "-"
            elif visible_width(head) > width // 3:
                return [whole]
            inner = _pack([(t.could_extract_minus_sign(), t) for t in sums[0].as_ordered_terms()], width - 4, macros)
            inner[0] = head + r" \Bigl(" + inner[0]
            inner[-1] = inner[-1] + r"\Bigr)"
            return inner
    return [whole]


def _pack(terms, width, macros) -> list[str]:
    lines, current = [], ""
    for index, (negative, term) in enumerate(terms):
        shown = expression_latex(-term if negative else term, macros)
        if isinstance(-term if negative else term, sp.Add):
            shown = rf"\left({shown}\right)"
        piece = ("- " if negative else "+ ") + shown if index else ("-" + shown if negative else shown)
        if current and visible_width(current + piece) > width:
            lines.append(current)
            current = piece
        else:
            current = f"{current} {piece}" if current else piece
    lines.append(current)
    return lines


@dataclass(frozen=True)
class Row:
    """One equation: ``lhs relation rhs``, the right-hand side broken into ``lines``.

    ``expr`` is the SymPy expression the right-hand side prints (``None`` for a
    statement such as :math:`u(t) \\to u_\\infty`); ``relation`` is ``=`` or ``\\sim``.
    """

    suffix: str
    lhs: str
    expr: sp.Expr | None
    lines: tuple
    relation: str = "="


def _loss_name(derivation, macros: bool) -> str:
    if derivation.paradigm == "custom":
        return "L"
    if macros:
        return {"soft": r"\Lsoft", "hard": r"\Lhard", "lvml": r"\LLVML"}[derivation.paradigm]
    return r"L_{%s}" % LATEX_NAMES[derivation.paradigm]


def rows(derivation, *, width: int = LINE_WIDTH, macros: bool = False) -> list[Row]:
    """Every formula of ``derivation`` as a :class:`Row`."""

    def row(suffix, lhs, expr, relation="="):
        return Row(suffix, lhs, expr, tuple(break_lines(expr, width, macros)), relation)

    out = []
    name = _loss_name(derivation, macros)
    if derivation.loss is not None:
        out.append(row("segment-loss", r"\ell(v)", derivation.loss.expr))
        out.append(row("loss", name, derivation.loss_in_attention))
        out.append(row("attention", "p", derivation.attention))
        shown = derivation.flow_in_attention
    else:
        out.append(row("loss", "L(u, v)", derivation.loss_expr))
        shown = derivation.flow
    out.append(row("flow-u", r"\frac{du}{dt}", shown.du))
    out.append(row("flow-v", r"\frac{dv}{dt}", shown.dv))
    if derivation.invariant is not None:
        out.append(row("focus-part", "A(u)", derivation.invariant.focus_part))
        out.append(row("margin-part", "B(v)", derivation.invariant.margin_part))
        out.append(row("invariant", "I(u, v) = A(u) - B(v)", derivation.invariant.expr))
    if derivation.trajectory is not None:
        out.append(row("trajectory", "u", derivation.trajectory.focus_of_level))
        out.append(row("trajectory-level", "S = A(u_0) + B(v) - B(v_0)", derivation.trajectory.level))
    if derivation.attention_along is not None:
        along = sp.cancel(derivation.attention.subs(symbols.u, derivation.trajectory.focus_of_level))
        out.append(row("trajectory-attention", "p", along))
    focus = derivation.fixed_focus
    if focus is not None:
        focus_name = expression_latex(focus.focus)
        out.append(row("fixed-time", "t(v)", focus.time_of_margin))
        if focus.margin_of_time is not None:
            out.append(row("fixed-margin", "v(t)", focus.margin_of_time))
        out.append(row("fixed-incentive", r"-\frac{\partial %s}{\partial %s}" % (name, focus_name), focus.incentive))
        if focus.incentive_limit is not None:
            out.append(
                row("fixed-incentive-limit", r"\lim_{t \to \infty} -\frac{\partial %s}{\partial %s}" % (name, focus_name), focus.incentive_limit)
            )
    return out


def align_block(label: str, block_rows, *, numbered: bool = True) -> str:
    """An ``align`` environment: one labelled equation per row, continuation lines unnumbered."""
    lines = [r"\begin{align}"]
    for index, r in enumerate(block_rows):
        last_row = index == len(block_rows) - 1
        for k, text in enumerate(r.lines):
            lead = f"  {r.lhs} &{r.relation} {text}" if k == 0 else rf"  &\quad {text}"
            if k < len(r.lines) - 1:
                lines.append(lead + r" \nonumber \\")
            else:
                tail = rf" \label{{eq:{label}-{r.suffix}}}" if numbered else ""
                lines.append(lead + tail + ("" if last_row else r" \\"))
    lines.append(r"\end{align}")
    return "\n".join(lines)


def derivation_latex(derivation, *, macros: bool = False) -> str:
    """An ``align`` environment with one labelled line per formula."""
    return align_block(derivation.label, rows(derivation, macros=macros))


def invariant_latex(integral) -> str:
    """The first integral written out on one line, :math:`A(u) - B(v)`."""
    return expression_latex(integral.expr)


def derivation_display(derivation) -> str:
    """Jupyter display: the formulas in an ``aligned`` block, no labels."""
    body = r" \\ ".join(f"{r.lhs} &{r.relation} {' '.join(r.lines)}" for r in rows(derivation, width=10**6))
    return r"$\begin{aligned}" + body + r"\end{aligned}$"


__all__ = ["Row", "rows", "break_lines", "align_block", "derivation_latex", "expression_latex", "visible_width"]
