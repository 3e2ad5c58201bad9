r"""Fixed focus: the classifier learning under frozen attention (the paper's "signature").

With the focus frozen (attention :math:`p` for the paradigms), only the margin moves:

.. math::

    \dot v = -\beta \frac{\partial L}{\partial v}(p, v), \qquad
    t(v) = \int_{v_0}^{v} \frac{dv'}{\dot v(v')} = F(v) - F(v_0),

with :math:`v(t)` where :math:`F` can be inverted. The focus incentive
:math:`-\partial L/\partial p` says how much the loss would still reward better
focus; its limit as :math:`t \to \infty` is its value at the margin's limit
:math:`v_\infty` (the loss minimiser, divided by :math:`p` for soft attention).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .budget import BudgetExceeded, Deadline, NoClosedForm, run_step
from .certify import Check, check_antiderivative, check_equal, check_numeric
from .integration import antiderivative
from .inversion import invert
from .serial import storable
from .symbols import t, v, v0
from .tidy import tidy

LIMIT_SECONDS = 5.0
LIMIT_TOLERANCE = 1e-8  # |incentive(v near v_inf) - limit| / max(1, |limit|)
NEAR_INFINITY = sp.Integer(10) ** 6  # the margin used for a numeric limit at infinity
NEAR_FINITE = sp.Integer(10) ** -15  # offset from a finite limit, on the side of v = 0


@storable
@dataclass(frozen=True)
class FixedFocus:
    r"""The classifier's evolution with the focus frozen.

    Attributes
    ----------
    focus : the frozen symbol (``p``, or ``u`` for a custom two-parameter loss).
    loss : :math:`L` as a function of the focus symbol and :math:`v`.
    margin_rate : :math:`\dot v`.
    time_of_margin : :math:`t(v)`, with :math:`t(v_0) = 0`.
    margin_of_time : :math:`v(t)`, or ``None`` when :math:`t(v)` has no closed inverse.
    incentive : :math:`-\partial L/\partial p`.
    margin_limit : :math:`v_\infty`, or ``None`` if unknown.
    incentive_limit : :math:`\lim_{t\to\infty} -\partial L/\partial p`, or ``None``.
    """

    focus: sp.Symbol
    loss: sp.Expr
    margin_rate: sp.Expr
    time_of_margin: sp.Expr
    margin_of_time: sp.Expr | None
    incentive: sp.Expr
    margin_limit: sp.Expr | None
    incentive_limit: sp.Expr | None

    def _repr_latex_(self) -> str:
        """Jupyter: the formulas in display mode."""
        from .display import display_math, fixed_focus_equations

        return display_math(fixed_focus_equations(self))


def fixed_focus(
    loss: sp.Expr,
    focus: sp.Symbol,
    beta: sp.Expr,
    margin_limit: sp.Expr | None,
    deadline: Deadline | None = None,
) -> tuple[FixedFocus | None, list[Check], str]:
    """Derive the fixed-focus evolution of ``loss`` (a function of ``focus`` and v)."""
    margin_rate = -beta * sp.diff(loss, v)
    if margin_rate == 0:
        return None, [], "the margin does not move under fixed focus"
    integrand = 1 / margin_rate
    found = antiderivative(integrand, v, deadline)
    if found is None:
        return None, [], "no closed form for t(v) under fixed focus"
    primitive = tidy(found.result, v)
    checks = [check_antiderivative("fixed focus: dt/dv = 1/(dv/dt)", primitive, integrand, v, deadline)]
    time_of_margin = primitive - primitive.subs(v, v0)
    margin_of_time = invert(primitive, primitive.subs(v, v0) + t, v, start=v0)
    if margin_of_time is not None:
        checks.append(
            check_equal(
                "fixed focus: t(v(t)) = t",
                time_of_margin.subs(v, margin_of_time),
                t,
                deadline=deadline,
            )
        )
    incentive = -sp.diff(loss, focus)
    limit = None
    if margin_limit is not None:
        limit = _limit(incentive, margin_limit, deadline)
        if limit is not None:
            if margin_limit.is_infinite:
                near = NEAR_INFINITY * sp.sign(margin_limit)
            else:
                near = margin_limit - NEAR_FINITE * sp.sign(margin_limit)
            checks.append(
                check_numeric(
                    "fixed focus: incentive limit",
                    incentive.subs(v, near),
                    limit,
                    scale="mixed",
                    tolerance=LIMIT_TOLERANCE,
                )
            )
    result = FixedFocus(focus, loss, margin_rate, time_of_margin, margin_of_time, incentive, margin_limit, limit)
    return result, checks, "fixed-focus evolution found"


def _limit(expr: sp.Expr, point: sp.Expr, deadline: Deadline | None) -> sp.Expr | None:
    if point.is_finite:
        value = expr.subs(v, point)
        if value.is_finite and not value.has(sp.nan, sp.zoo):
            return sp.simplify(value) if value.count_ops() < 60 else value
    direction = "-" if point.is_infinite or point > 0 else "+"
    try:
        value = run_step(sp.limit, expr, v, point, direction, cap=LIMIT_SECONDS, deadline=deadline, what="limit")
    except (BudgetExceeded, NoClosedForm):
        value = sp.Limit(expr, v, point)
    if value.has(sp.Limit, sp.nan, sp.zoo, sp.AccumBounds) or not value.is_finite:
        if not point.is_infinite:
            return None
        try:
            return run_step(_limit_in_exponential, expr, point, cap=LIMIT_SECONDS, deadline=deadline, what="limit in exp(-v)")
        except (BudgetExceeded, NoClosedForm):
            return None
    return value


def _limit_in_exponential(expr: sp.Expr, point: sp.Expr) -> sp.Expr | None:
    r"""The limit as :math:`v \to \pm\infty` where ``expr`` is a rational function of :math:`x = e^{\mp v}`:
    written in :math:`x` and cancelled, its value at :math:`x = 0` when finite (a cancelled rational function
    finite at 0 is continuous there). Where SymPy's ``limit`` gives up, e.g. LVML's incentive under the
    cross-entropy loss with a symbolic number of classes, :math:`(c - 1)/(1 + (c - 1) p)`."""
    x = sp.Dummy("x", positive=True)
    moved = sp.cancel(sp.together(expr.subs(v, -sp.sign(point) * sp.log(x))))
    if not moved.is_rational_function(x):
        return None
    value = sp.cancel(moved.subs(x, 0))
    if value.has(x, sp.nan, sp.zoo, sp.oo, -sp.oo) or value.is_finite is False:
        return None
    return value
