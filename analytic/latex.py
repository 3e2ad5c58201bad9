r"""LaTeX for derivations, in the notation of SETTING.md section 5.

Each equation gets a stable label ``eq:<paradigm>-<loss>-<what>`` (for example
``eq:hard-ce-invariant``) so that a paper can ``\eqref`` it.
"""

from __future__ import annotations

import sympy as sp

from . import symbols
from .paradigms import LATEX_NAMES
from .trajectory import LEVEL

SYMBOL_NAMES = {symbols.u0: "u_0", symbols.v0: "v_0"}


def expression_latex(expr: sp.Expr) -> str:
    """One expression in the toolkit's notation (``\\log``, :math:`u_0`, :math:`\\omega`)."""
    return sp.latex(expr, symbol_names=SYMBOL_NAMES, ln_notation=False)


def invariant_latex(integral) -> str:
    """The first integral written out, :math:`A(u) - B(v)` with B's common factor pulled out."""
    margin = sp.factor_terms(integral.margin_part)
    shown = expression_latex(margin)
    if isinstance(margin, sp.Add):
        shown = rf"\left({shown}\right)"
    return f"{expression_latex(integral.focus_part)} - {shown}"


def _loss_name(derivation) -> str:
    if derivation.paradigm == "custom":
        return "L"
    return r"L_{%s}" % LATEX_NAMES[derivation.paradigm]


def equations(derivation) -> list[tuple[str, str, str]]:
    """``(label suffix, left-hand side, right-hand side)`` for every formula."""
    rows = []
    name = _loss_name(derivation)
    if derivation.loss is not None:
        rows.append(("segment-loss", r"\ell(v)", expression_latex(derivation.loss.expr)))
        rows.append(("loss", f"{name}(u, v)", expression_latex(derivation.loss_in_attention)))
        others = expression_latex(derivation.segments - 1)
        rows.append(("attention", "p", r"\frac{e^{u}}{e^{u} + %s}" % others))
        shown = derivation.flow_in_attention
    else:
        rows.append(("loss", "L(u, v)", expression_latex(derivation.loss_expr)))
        shown = derivation.flow
    rows.append(("flow-u", r"\frac{du}{dt}", expression_latex(shown.du)))
    rows.append(("flow-v", r"\frac{dv}{dt}", expression_latex(shown.dv)))
    if derivation.invariant is not None:
        rows.append(("focus-part", "A(u)", expression_latex(derivation.invariant.focus_part)))
        rows.append(("margin-part", "B(v)", expression_latex(sp.factor_terms(derivation.invariant.margin_part))))
        rows.append(("invariant", "I(u, v)", "A(u) - B(v)"))
    if derivation.trajectory is not None:
        start = expression_latex(derivation.invariant.focus_part.subs(symbols.u, symbols.u0))
        rows.append(
            (
                "trajectory",
                "u",
                expression_latex(derivation.trajectory.focus_of_level)
                + rf", \quad S = {start} + B(v) - B(v_0)",
            )
        )
    if derivation.attention_along is not None:
        along = derivation.attention_along.subs(derivation.trajectory.level, LEVEL)
        if along.has(symbols.v):
            along = sp.cancel(symbols.attention(derivation.trajectory.focus_of_level, derivation.segments))
        rows.append(("trajectory-attention", "p", expression_latex(along)))
    focus = derivation.fixed_focus
    if focus is not None:
        focus_name = expression_latex(focus.focus)
        rows.append(("fixed-time", "t(v)", expression_latex(sp.factor_terms(focus.time_of_margin))))
        if focus.margin_of_time is not None:
            rows.append(("fixed-margin", "v(t)", expression_latex(focus.margin_of_time)))
        rows.append(("fixed-incentive", r"-\frac{\partial %s}{\partial %s}" % (name, focus_name), expression_latex(focus.incentive)))
        if focus.incentive_limit is not None:
            rows.append(
                (
                    "fixed-incentive-limit",
                    r"\lim_{t \to \infty} -\frac{\partial %s}{\partial %s}" % (name, focus_name),
                    expression_latex(focus.incentive_limit),
                )
            )
    return rows


def derivation_latex(derivation) -> str:
    """An ``align`` environment with one labelled line per formula."""
    lines = [r"\begin{align}"]
    rows = equations(derivation)
    for index, (suffix, lhs, rhs) in enumerate(rows):
        end = r" \\" if index < len(rows) - 1 else ""
        lines.append(rf"  {lhs} &= {rhs} \label{{eq:{derivation.label}-{suffix}}}{end}")
    lines.append(r"\end{align}")
    return "\n".join(lines)


def derivation_display(derivation) -> str:
    """Jupyter display: the formulas in an ``aligned`` block, no labels."""
    body = r" \\ ".join(f"{lhs} &= {rhs}" for _, lhs, rhs in equations(derivation))
    return r"$\begin{aligned}" + body + r"\end{aligned}$"
