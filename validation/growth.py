r"""Growth laws checked against long integrations (t up to 1e8).

For each paradigm the prediction of :func:`analytic.growth.growth_law` is
compared with ``solve_ivp`` (LSODA, rtol 1e-10) at logarithmically spaced
times: the ratio prediction / integrated value should tend to 1. A finite
limit :math:`(u_\infty, v_\infty)` is computed from the closed-form trajectory
(:math:`p(U(v))\,v = v^*` solved for :math:`v`) and compared the same way.
"""

from __future__ import annotations

import warnings

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from analytic.errors import NotAvailable, NotResolved
from analytic.growth import GrowthLaw, growth_law
from analytic.report import finite_or_none
from analytic.symbols import t as t_symbol
from trajectories.closed import closed_focus
from analytic.paradigms import PARADIGMS
from trajectories.model import Setting, reduced_model, setting_derivation

CHECK_TIMES = (1e2, 1e4, 1e6, 1e8)


@dataclass(frozen=True)
class GrowthCheck:
    """Ratios prediction / integrated value of u and v at ``times``."""

    setting: Setting
    law: GrowthLaw
    times: tuple
    focus_ratio: tuple
    margin_ratio: tuple
    limits: tuple | None  # (u_inf, v_inf) for a finite limit
    #: why a ratio is not a finite number: ``(("u" or "v", time, reason), ...)``
    notes: tuple = ()

    def to_dict(self) -> dict:
        """Strict JSON: a ratio that is not finite is ``null``, with ``u_ratio_reason`` / ``v_ratio_reason`` saying why."""
        data = {
            "paradigm": self.setting.paradigm,
            "loss": self.setting.loss,
            "u_kind": self.law.focus_kind,
            "v_kind": self.law.margin_kind,
            "u_law": None if self.law.focus is None else str(self.law.focus),
            "v_law": None if self.law.margin is None else str(self.law.margin),
            "times": [finite_or_none(t) for t in self.times],
            "u_ratio": [finite_or_none(x) for x in self.focus_ratio],
            "v_ratio": [finite_or_none(x) for x in self.margin_ratio],
            "limits": None if self.limits is None else [finite_or_none(x) for x in self.limits],
        }
        for coordinate, ratios in (("u", self.focus_ratio), ("v", self.margin_ratio)):
            reasons = [why for name, _, why in self.notes if name == coordinate]
            if any(finite_or_none(x) is None for x in ratios):
                data[f"{coordinate}_ratio_reason"] = "; ".join(reasons) or "a ratio is not a finite number"
        if self.limits is not None and any(finite_or_none(x) is None for x in self.limits):
            data["limits_reason"] = "the finite limit is not a finite number"
        return data


def check_growth(setting: Setting, u0: float = 0.0, v0: float = 0.0, times=CHECK_TIMES) -> GrowthCheck:
    """Integrate to max(times) and compare with the growth law."""
    model = reduced_model(setting)
    law = growth_law(setting_derivation(setting))
    if law is None:
        raise NotAvailable(
            f"no growth law could be derived for {setting.paradigm_name} / {setting.loss_name}: the growth analysis covers "
            "losses whose time to reach v grows like e^v, or that have a finite minimiser"
        )
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # a failure is the one-line error below
        warnings.simplefilter("ignore")
        run = solve_ivp(
            lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0.0, max(times)), [u0, v0],
            method="LSODA", t_eval=list(times), rtol=1e-10, atol=1e-12, jac=lambda _, y: model.jacobian(y[0], y[1]),
        )
    if not run.success:
        raise NotResolved(f"the growth check's integration to t = {max(times):g} failed for alpha = {float(setting.alpha):g}, "
                         f"beta = {float(setting.beta):g} ({run.message}): the rates are beyond what LSODA can follow")
    u_num, v_num = run.y
    limits = None
    if law.focus is None:
        limits = finite_limits(setting, u0, v0)
        u_pred = np.full_like(u_num, limits[0])
    else:
        u_pred = _evaluate(law.focus, setting, times)
    if law.margin is None:
        v_limit = limits[1] if limits is not None else float(law.margin_limit)
        v_pred = np.full_like(v_num, v_limit)
    else:
        v_pred = _evaluate(law.margin, setting, times)
    u_ratio, v_ratio = _ratio(u_pred, u_num), _ratio(v_pred, v_num)
    notes = _ratio_notes("u", times, u_pred, u_num, u_ratio) + _ratio_notes("v", times, v_pred, v_num, v_ratio)
    return GrowthCheck(setting, law, tuple(times), tuple(u_ratio), tuple(v_ratio), limits, notes)


def _ratio(predicted, integrated) -> np.ndarray:
    """prediction / integration; NaN (reported in ``notes``, ``null`` in JSON) where either side is not finite --
    a finite prediction over an overflowed integration is no ratio of 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.asarray(predicted, dtype=float) / np.asarray(integrated, dtype=float)
    return np.where(np.isfinite(predicted) & np.isfinite(integrated) & np.isfinite(ratio), ratio, np.nan)


def _ratio_notes(coordinate: str, times, predicted, integrated, ratios) -> tuple:
    """Why each non-finite ratio prediction / integration is not a number."""
    notes = []
    for time, p, n, r in zip(times, predicted, integrated, ratios):
        if np.isfinite(r):
            continue
        if not np.isfinite(n):
            why = f"the integration overflowed ({coordinate} = {n})"
        elif not np.isfinite(p):
            why = f"the prediction overflows a float ({coordinate} = {p})"
        elif n == 0:
            why = f"the integrated {coordinate} is 0"
        else:
            why = "the ratio is not a finite number"
        notes.append((coordinate, float(time), f"t = {time:g}: {why}"))
    return tuple(notes)


def _evaluate(expr: sp.Expr, setting: Setting, times) -> np.ndarray:
    function = sp.lambdify(t_symbol, expr, "numpy")
    with np.errstate(over="ignore", invalid="ignore"):  # a prediction beyond float range is reported, not warned
        return np.asarray(function(np.asarray(times, dtype=float)), dtype=float)


def finite_limits(setting: Setting, u0: float, v0: float) -> tuple[float, float]:
    r""":math:`(u_\infty, v_\infty)` of stalled soft attention: :math:`p(U(v))\,v = v^*` along the trajectory."""
    model = reduced_model(setting)
    target = model.loss_minimiser

    def excess(v):
        _, p = closed_focus(model, [v], u0, v0)
        return float(p[0] * v - target)

    lo, hi = v0, max(v0, target)
    while excess(hi) < 0:
        hi = 2 * hi + 1
    v_limit = brentq(excess, lo, hi, xtol=1e-14, rtol=1e-15)
    u_limit = float(closed_focus(model, [v_limit], u0, v0)[0][0])
    return u_limit, v_limit


def growth_table(setting: Setting, u0: float = 0.0, v0: float = 0.0) -> tuple[list[GrowthCheck], list[tuple[str, str]]]:
    """Every registered paradigm for one loss: the checks, and ``(paradigm, reason)`` for each paradigm without a
    growth law (the rest is still reported). No paradigm with a law at all is :class:`NotAvailable`."""
    checks, skipped = [], []
    for paradigm in PARADIGMS:
        try:
            checks.append(check_growth(setting.with_paradigm(paradigm), u0, v0))
        except NotAvailable as missing:
            skipped.append((paradigm, str(missing)))
    if not checks:
        raise NotAvailable("; ".join(reason for _, reason in skipped))
    return checks, skipped
