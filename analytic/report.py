"""Plain-data forms of a derivation: the JSON object and the text summary."""

from __future__ import annotations

import math

import sympy as sp


def _str(expr) -> str | None:
    return None if expr is None else str(expr)


def json_number(value):
    """Numbers as JSON numbers (integers stay integers, fractions as ``"1/999"``), symbols by name.

    Strict JSON has no NaN or Infinity: a number that is not finite (or does not
    fit a float) becomes ``None`` (``null``).
    """
    if value is None:
        return None
    value = sp.sympify(value)
    if isinstance(value, sp.Integer):
        return int(value)
    if value.is_number:
        if isinstance(value, sp.Rational):
            return str(value)
        return finite_or_none(value)
    return str(value)


def finite_or_none(value) -> float | None:
    """``float(value)`` if it is a finite number, else ``None`` (JSON ``null``)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def non_finite_reason(value) -> str | None:
    """Why ``value`` cannot be a JSON number (``None`` when it can)."""
    try:
        number = float(value)
    except OverflowError:
        return "too large for a float"
    except (TypeError, ValueError):
        return "not a number"
    if math.isnan(number):
        return "not a number (NaN)"
    if math.isinf(number):
        return "infinite" if number > 0 else "negative infinite"
    return None


def strict_json(data, reason_suffix: str = "_reason"):
    """A copy of ``data`` that ``json.dumps(..., allow_nan=False)`` accepts.

    NaN and infinities become ``None``; in a mapping, a key ``<name>_reason`` next
    to the value says why (for a list, which entries). NumPy scalars and arrays
    become Python numbers and lists, tuples become lists. Existing keys are kept.
    """
    if isinstance(data, dict):
        out, reasons = {}, {}
        for key, value in data.items():
            out[key] = strict_json(value, reason_suffix)
            reason = _reason_of(value)
            if reason is not None:
                reasons[f"{key}{reason_suffix}"] = reason
        for key, reason in reasons.items():
            out.setdefault(key, reason)
        return out
    if isinstance(data, (list, tuple)):
        return [strict_json(value, reason_suffix) for value in data]
    if isinstance(data, (bool, str)) or data is None:
        return data
    if hasattr(data, "tolist") and not isinstance(data, (int, float)):  # NumPy scalar or array
        return strict_json(data.tolist(), reason_suffix)
    if isinstance(data, int):
        return int(data)
    if isinstance(data, float):
        return float(data) if math.isfinite(data) else None
    return data


def _reason_of(value) -> str | None:
    """The reason field for a value that :func:`strict_json` turns (partly) into ``null``."""
    if hasattr(value, "tolist") and not isinstance(value, (int, float, bool)):
        value = value.tolist()
    if isinstance(value, float):
        return non_finite_reason(value)
    if isinstance(value, (list, tuple)):
        bad = [(i, non_finite_reason(x)) for i, x in enumerate(value) if isinstance(x, float) and not isinstance(x, bool)]
        bad = [(i, why) for i, why in bad if why is not None]
        if bad:
            return "null entries: " + ", ".join(f"[{i}] {why}" for i, why in bad)
    return None


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
        "max_residual": finite_or_none(residual),
        **({} if finite_or_none(residual) is not None else {"max_residual_reason": _residual_reason(derivation.certificate)}),
        "seconds": round(derivation.seconds, 4),
    }


def _residual_reason(certificate) -> str:
    """Why the certificate's largest residual is no JSON number."""
    if not any(check.symbolic is not None for check in certificate.checks):
        return "no identity was checked"
    return "a residual is " + (non_finite_reason(certificate.max_residual) or "not finite")


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
