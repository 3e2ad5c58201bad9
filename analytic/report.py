"""Plain-data forms of a derivation: the JSON object and the text summary."""

from __future__ import annotations

import math

import sympy as sp


def _str(expr) -> str | None:
    return None if expr is None else str(expr)


def json_number(value):
    """Numbers as JSON numbers (integers stay integers, fractions as ``"1/999"``), symbols by name."""
    if value is None:
        return None
    value = sp.sympify(value)
    if isinstance(value, sp.Integer):
        return int(value)
    if value.is_number:
        return str(value) if isinstance(value, sp.Rational) else float(value)
    return str(value)


def derivation_dict(derivation) -> dict:
    """The JSON object of the ``derive`` command (keys fixed by the issue)."""
    focus = derivation.fixed_focus
    residual = derivation.certificate.max_residual
    classes = derivation.loss.classes if derivation.loss is not None else None
    return {
        "paradigm": derivation.paradigm,
        "loss": derivation.loss.name if derivation.loss is not None else "custom",
        "classes": json_number(classes),
        "segments": json_number(derivation.segments),
        "alpha": json_number(derivation.alpha),
        "beta": json_number(derivation.beta),
        "loss_expr": str(derivation.loss_expr),
        "flow": {"u": str(derivation.flow.du), "v": str(derivation.flow.dv)},
        "invariant": _str(derivation.invariant.expr) if derivation.invariant else None,
        "invariant_latex": _invariant_latex(derivation),
        "trajectory": _str(derivation.trajectory.focus) if derivation.trajectory else None,
        "fixed_focus": None
        if focus is None
        else {
            "time_of_margin": str(focus.time_of_margin),
            "margin_of_time": _str(focus.margin_of_time),
            "incentive": str(focus.incentive),
            "margin_limit": _str(focus.margin_limit),
            "incentive_limit": _str(focus.incentive_limit),
        },
        "status": derivation.status,
        "message": derivation.message,
        "certified": derivation.certified,
        "max_residual": None if math.isnan(residual) else residual,
        "seconds": round(derivation.seconds, 4),
    }


def _invariant_latex(derivation) -> str | None:
    from .latex import invariant_latex

    return invariant_latex(derivation.invariant) if derivation.invariant else None


def _failure_text(check) -> str:
    """Why a check failed: no symbolic proof and/or a numeric residual above its tolerance."""
    reasons = []
    if check.symbolic is False:
        reasons.append("no symbolic proof")
    if check.points < check.min_points:
        reasons.append(f"only {check.points} numeric points")
    if not check.max_residual <= check.tolerance:
        reasons.append(f"residual {check.max_residual:.1e} > {check.tolerance:.0e}")
    return f"{check.name} ({', '.join(reasons) or 'failed'})"


def derivation_text(derivation) -> str:
    """A human-readable block for the terminal."""
    data = derivation_dict(derivation)
    head = f"{data['paradigm']} / {data['loss']}"
    if data["classes"] is not None:
        head += f" (c = {data['classes']})"
    if derivation.flow_in_attention is not None:
        lines = [
            head,
            f"  p        = {derivation.attention}",
            f"  L        = {derivation.loss_in_attention}",
            f"  du/dt    = {derivation.flow_in_attention.du}",
            f"  dv/dt    = {derivation.flow_in_attention.dv}",
        ]
    else:
        lines = [
            head,
            f"  L(u, v)  = {data['loss_expr']}",
            f"  du/dt    = {data['flow']['u']}",
            f"  dv/dt    = {data['flow']['v']}",
        ]
    lines += [
        f"  I(u, v)  = {data['invariant'] or '(' + derivation.message + ')'}",
    ]
    if data["trajectory"]:
        lines.append(f"  u(v)     = {data['trajectory']}")
    focus = data["fixed_focus"]
    if focus:
        lines.append(f"  fixed focus: t(v) = {focus['time_of_margin']}")
        if focus["margin_of_time"]:
            lines.append(f"               v(t) = {focus['margin_of_time']}")
        variable = "u" if derivation.is_whole_loss else "p"
        lines.append(f"               incentive -dL/d{variable} = {focus['incentive']}")
        if focus["incentive_limit"] is not None:
            lines.append(f"               incentive as t -> oo: {focus['incentive_limit']}")
    verdict = "certified" if data["certified"] else "NOT certified"
    lines.append(f"  {verdict}: max residual {data['max_residual']}, {data['seconds']} s, status {data['status']}")
    failed = derivation.certificate.failures()
    if failed:
        lines.append("  failed checks: " + "; ".join(_failure_text(check) for check in failed))
    if derivation.invariant is not None and derivation.invariant.quadrature:
        lines.append(f"  by quadrature: {', '.join(derivation.invariant.quadrature)} (no antiderivative in closed form)")
    return "\n".join(lines)
