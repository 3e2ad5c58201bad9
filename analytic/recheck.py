r"""Cheap re-certification of a derivation read from disk.

A stored derivation is believed only if it is the one its inputs define and its
formulas still hold. What can be rebuilt in milliseconds is rebuilt and compared
exactly (the loss, the flow, :math:`S = A(u_0) + B(v) - B(v_0)`, :math:`U(v) = U(S)`,
:math:`dt/dv = 1/\dot v`, :math:`p(U(v))`, the fixed-focus rate and incentive); what is expensive to
derive is spot-checked numerically at a few random points (:data:`POINTS`, seeded by
the expressions themselves, :data:`DIGITS` digits):

.. math::

    \partial_u I\,\dot u + \partial_v I\,\dot v = 0, \qquad A(U(S)) = S, \qquad
    t'(v)\,\dot v = 1, \quad t(v_0) = 0, \qquad t(v(t)) = t,

and the incentive's limit against the incentive near the margin's limit.
"""

from __future__ import annotations

import hashlib
import random

import mpmath
import sympy as sp

from .certify import PIECEWISE_MPMATH, domain
from .fixed_focus import LIMIT_TOLERANCE, NEAR_FINITE, NEAR_INFINITY
from .special import MPMATH_FUNCTIONS
from .symbols import t, u, u0, v, v0
from .trajectory import LEVEL

DIGITS = 30
POINTS = 3  # valid sample points each identity must pass
TRIES = 60  # draws before a check gives up finding them (then the entry is not believed)
TOLERANCE = 1e-12  # relative; fresh derivations pass their 40-digit checks at ~1e-30


def seed_of(*exprs: sp.Expr) -> int:
    """A seed fixed by the expressions checked: the same entry always meets the same points, and an
    edited one meets other points, which it cannot know before it is written."""
    return int.from_bytes(hashlib.sha256(sp.srepr(exprs).encode()).digest()[:8], "big")


def spot_check(lhs: sp.Expr, rhs: sp.Expr, *, scale: sp.Expr | None = None, tolerance: float = TOLERANCE) -> bool:
    r"""Whether :math:`|lhs - rhs| \le` ``tolerance`` :math:`\cdot \max(|lhs|, |rhs|, |scale|)` at :data:`POINTS` random points.

    Points where a side is not finite and real are skipped; fewer than
    :data:`POINTS` valid points in :data:`TRIES` draws is a failure.

    Examples
    --------
    >>> spot_check(sp.diff(sp.log(1 + sp.exp(v)), v), 1 / (1 + sp.exp(-v)))
    True
    >>> spot_check(sp.exp(v), 1 + v + v**2 / 2)
    False
    """
    scale = sp.Integer(0) if scale is None else scale
    rng = random.Random(seed_of(lhs, rhs, scale))
    # a definite integral (a quadrature part) is the same unknown on both sides: a sampled symbol
    found = sorted(set().union(*(side.atoms(sp.Integral) for side in (lhs, rhs, scale))), key=sp.default_sort_key)
    integrals = {e: sp.Dummy(f"integral{k}") for k, e in enumerate(found)}
    lhs, rhs, scale = (side.xreplace(integrals) for side in (lhs, rhs, scale))
    symbols = sorted((lhs.free_symbols | rhs.free_symbols | scale.free_symbols), key=lambda s: s.name)
    sides = sp.lambdify(symbols, (lhs, rhs, scale), modules=[MPMATH_FUNCTIONS, PIECEWISE_MPMATH, "mpmath"])
    passed = 0
    with mpmath.workdps(DIGITS):
        for _ in range(TRIES):
            point = [mpmath.mpf(rng.uniform(*domain(s))) for s in symbols]
            try:
                a, b, c = (mpmath.mpmathify(x) for x in sides(*point))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            if not all(mpmath.isfinite(x) and mpmath.im(x) == 0 for x in (a, b, c)):
                continue
            size = max(abs(a), abs(b), abs(c))
            if abs(a - b) > tolerance * size:
                return False
            passed += 1
            if passed >= POINTS:
                return True
    return False


def invariant_holds(integral, flow) -> bool:
    r""":math:`dI/dt = \partial_u I\,\dot u + \partial_v I\,\dot v = 0` along the flow."""
    along_u = sp.diff(integral.expr, u) * flow.du
    along_v = sp.diff(integral.expr, v) * flow.dv
    return spot_check(along_u, -along_v)


def trajectory_holds(trajectory, integral, flow) -> bool:
    """The explicit trajectory is the inverse of :math:`A` at the level through the start."""
    level = integral.focus_part.subs(u, u0) + integral.margin_part - integral.margin_part.subs(v, v0)
    focus = trajectory.focus_of_level.subs(LEVEL, level)
    return (
        trajectory.level == level
        and trajectory.focus == focus
        and trajectory.time_integrand == 1 / flow.dv.subs(u, focus)
        and spot_check(integral.focus_part.subs(u, trajectory.focus_of_level), LEVEL)
    )


def fixed_focus_holds(result, loss: sp.Expr, focus: sp.Symbol, beta: sp.Expr, margin_limit) -> bool:
    """The frozen-focus rate, time, inverse, incentive and limit of ``loss``."""
    if result.focus != focus or result.loss != loss or result.margin_limit != margin_limit:
        return False
    rate = -beta * sp.diff(loss, v)
    if result.margin_rate != rate or result.incentive != -sp.diff(loss, focus):
        return False
    if not (spot_check(sp.diff(result.time_of_margin, v) * rate, sp.Integer(1))
            and spot_check(result.time_of_margin.subs(v, v0), sp.Integer(0), scale=sp.Integer(1))):
        return False
    if result.margin_of_time is not None and not spot_check(result.time_of_margin.subs(v, result.margin_of_time), t, scale=sp.Integer(1)):
        return False
    if result.incentive_limit is None:
        return True
    if margin_limit is None:
        return False
    near = NEAR_INFINITY * sp.sign(margin_limit) if margin_limit.is_infinite else margin_limit - NEAR_FINITE * sp.sign(margin_limit)
    return spot_check(result.incentive.subs(v, near), result.incentive_limit, scale=sp.Integer(1), tolerance=LIMIT_TOLERANCE)


def attention_along_holds(attention_along, attention: sp.Expr, trajectory) -> bool:
    """:math:`p` along the trajectory is :math:`p(U(v))` (rebuilt exactly as derived)."""
    return attention_along == sp.cancel(attention.subs(u, trajectory.focus))


__all__ = ["spot_check", "invariant_holds", "trajectory_holds", "fixed_focus_holds", "attention_along_holds"]
