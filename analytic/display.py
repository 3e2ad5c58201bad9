r"""Notebook display of a derivation's parts: display-mode LaTeX and one-line summaries.

Jupyter renders an object's ``_repr_latex_`` with MathJax (KaTeX in some front ends);
both typeset ``$$\begin{aligned} ... \end{aligned}$$`` as display math, so fractions
are full size and the equations align on their relation. Long right-hand sides are
broken between terms (:func:`analytic.latex.break_lines`) into continuation lines
that start with ``\quad``.
"""

from __future__ import annotations

import sympy as sp

from .latex import break_lines, expression_latex, rows

DISPLAY_WIDTH = 72  # visible characters of one display line in a notebook (about 900 px)
SUMMARY_WIDTH = 60  # characters of an expression quoted in a one-line repr


def display_lines(lines) -> str:
    r"""``$$\begin{aligned} ... \end{aligned}$$`` of aligned LaTeX lines (``lhs &= rhs``)."""
    return r"$$\begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$$"


def equation_lines(lhs: str, relation: str, pieces) -> list[str]:
    r"""One equation whose right-hand side is broken into ``pieces``: continuation lines start with ``\quad``."""
    return [f"{lhs} &{relation} {pieces[0]}"] + [rf"&\quad {piece}" for piece in pieces[1:]]


def display_math(equations) -> str:
    r"""Display-mode LaTeX of ``(lhs, relation, expr)`` equations, aligned on the relation.

    Examples
    --------
    >>> from analytic.symbols import u, v
    >>> print(display_math([("I(u, v)", "=", u - v**2 / 2)]))
    $$\begin{aligned}I(u, v) &= u - \frac{v^{2}}{2}\end{aligned}$$
    """
    lines = []
    for lhs, relation, expr in equations:
        lines += equation_lines(lhs, relation, break_lines(expr, DISPLAY_WIDTH))
    return display_lines(lines)


def derivation_display(derivation) -> str:
    """Every formula of ``derivation`` (the rows of :func:`analytic.latex.rows`), display mode, no labels."""
    lines = []
    for row in rows(derivation, width=DISPLAY_WIDTH):
        lhs = row.lhs if row.definition is None else f"{row.lhs} = {row.definition}"  # I(u, v) = A(u) - B(v)
        lines += equation_lines(lhs, row.relation, row.lines)
    return display_lines(lines)


def flow_equations(flow) -> list:
    return [(r"\frac{du}{dt}", "=", flow.du), (r"\frac{dv}{dt}", "=", flow.dv)]


def invariant_equations(integral) -> list:
    return [("A(u)", "=", integral.focus_part), ("B(v)", "=", integral.margin_part),
            ("I(u, v) = A(u) - B(v)", "=", integral.expr)]


def trajectory_equations(trajectory) -> list:
    level = expression_latex(trajectory.level_symbol)
    return [("u", "=", trajectory.focus_of_level), (f"{level} = A(u_0) + B(v) - B(v_0)", "=", trajectory.level)]


def fixed_focus_equations(focus) -> list:
    name = expression_latex(focus.focus)
    incentive = r"-\frac{\partial L}{\partial %s}" % name
    out = [(r"\frac{dv}{dt}", "=", focus.margin_rate), ("t(v)", "=", focus.time_of_margin)]
    if focus.margin_of_time is not None:
        out.append(("v(t)", "=", focus.margin_of_time))
    out.append((incentive, "=", focus.incentive))
    if focus.margin_limit is not None:
        out.append((r"v_\infty", "=", focus.margin_limit))
    if focus.incentive_limit is not None:
        out.append((r"\lim_{t \to \infty} " + incentive, "=", focus.incentive_limit))
    return out


def shorten(text: str, width: int = SUMMARY_WIDTH) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def value_text(name: str, value) -> str:
    """``T=100``, ``α=1/1000`` or ``c=0.5`` for a number; the bare name when it stays a symbol."""
    if value is None or (isinstance(value, sp.Basic) and value.free_symbols):
        return name
    if isinstance(value, sp.Float) or isinstance(value, float):
        return f"{name}={float(value):g}"
    return f"{name}={value}"


def derivation_summary(derivation) -> str:
    """One line: model, setting and what was found (see :meth:`analytic.derivation.Derivation.__repr__`)."""
    if derivation.scheme is None:
        model = f"L(u, v) = {shorten(str(derivation.loss_expr))}"
    else:
        loss = derivation.loss
        loss_name = loss.name if loss.name != "custom" else f"ℓ(v) = {shorten(str(loss.expr))}"
        model = f"{derivation.scheme.display} × {loss_name}"
    setting = []
    if derivation.scheme is not None:
        setting.append(value_text("T", derivation.segments))
        if derivation.loss.classes is not None:
            setting.append(value_text("c", derivation.loss.classes))
    setting += [value_text("α", derivation.alpha), value_text("β", derivation.beta)]
    own = {"T", "c", "alpha", "beta"}
    setting += [s.name for s in derivation.parameters if s.name not in own]
    if derivation.attention_map is not None:
        setting.append(f"p(u) = {shorten(str(derivation.attention_map))}")
    found = [] if derivation.status == "ok" else [derivation.status]
    found.append("certified" if derivation.certified else "not certified")
    if derivation.invariant is not None:
        parts = derivation.invariant.quadrature
        found.append("invariant" + (f" ({', '.join(parts)} by quadrature)" if parts else ""))
    if derivation.trajectory is not None:
        found.append("trajectory")
    if derivation.fixed_focus is not None:
        found.append("fixed focus")
    return f"<Derivation {model}, {', '.join(setting)}: {', '.join(found)}>"
