r"""Fixed-focus incentive curves in closed form, long enough to reach their limits.

With the focus frozen at attention :math:`p` the margin follows the closed form
:math:`t(v) = F(v) - F(0)` of :class:`analytic.fixed_focus.FixedFocus`, and the focus
incentive :math:`g(v) = -\partial L/\partial p` is a closed form in :math:`v`. The curve

.. math:: \bigl(t(v),\, g(v)\bigr), \qquad 0 \le v \to v_\infty,

is evaluated on a dense margin grid (no inversion of :math:`t(v)` is needed). It has
*settled* from the first time after which, on that grid,

.. math:: |g - g_\infty| \le f \cdot \max\bigl(|g_\infty|, \max_v |g(v)|\bigr)

(``f`` = :data:`SETTLED_FRACTION`), and has *departed* at the first time
:math:`|g - g(0)|` exceeds the same amount: the window of a figure runs from a decade
before the earliest departure to a decade after the latest settling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import sympy as sp

from analytic import derive
from analytic.errors import NotAvailable
from analytic.paradigms import PARADIGMS
from analytic.symbols import p as p_symbol
from analytic.symbols import v, v0
from trajectories.stable import numpy_function

SETTLED_FRACTION = 0.01  # a curve has settled once within 1% of its scale of its limit
MARGIN_POINTS = 6000  # margins evaluated per curve (cheap: two vectorised closed forms)
SMALLEST_MARGIN = 1e-8  # first margin step, relative to |v_inf| (or absolute for v_inf infinite)
LARGEST_MARGIN = 1e4  # last margin for v_inf infinite (t(v) overflows long before for the built-in losses)
CLOSEST_TO_LIMIT = 1e-15  # closest relative approach to a finite v_inf (float64 resolves no closer)
LONGEST_TIME = 1e30  # times beyond this are not drawn (a curve still moving there is reported unsettled)


@dataclass(frozen=True)
class IncentiveCurve:
    """One fixed-focus incentive curve: times, incentives, the limit and when it departed and settled.

    ``settled`` is ``None`` when the curve is not yet within :data:`SETTLED_FRACTION` of its limit by
    :data:`LONGEST_TIME` (or where float64 ends).
    """

    paradigm: str
    attention: float
    t: np.ndarray
    incentive: np.ndarray
    limit: float
    departed: float | None
    settled: float | None


def fixed_focus_of(paradigm: str, loss, classes: int, beta):
    """The derivation's fixed-focus classifier, or :class:`NotAvailable` where its incentive limit is not known."""
    focus = derive(paradigm, loss, classes=classes, alpha=1, beta=beta).fixed_focus
    if focus is None or focus.incentive_limit is None or focus.margin_limit is None:
        name = loss if isinstance(loss, str) else loss.expr
        raise NotAvailable(f"`loss` {name}: no fixed-focus incentive limit under {paradigm} attention")
    return focus


def incentive_paradigms(loss, classes: int, beta) -> tuple[list[str], list[tuple[str, str]]]:
    """The registered paradigms with a fixed-focus incentive limit, and ``(paradigm, reason)`` for the rest;
    none at all is :class:`NotAvailable`."""
    names, skipped = [], []
    for paradigm in PARADIGMS:
        try:
            fixed_focus_of(paradigm, loss, classes, beta)
            names.append(paradigm)
        except NotAvailable as missing:
            skipped.append((paradigm, str(missing)))
    if not names:
        raise NotAvailable("; ".join(reason for _, reason in skipped))
    return names, skipped


def incentive_to_limit(paradigm: str, loss, classes: int, beta, attentions) -> list[IncentiveCurve]:
    """The fixed-focus incentive of ``paradigm`` at each frozen attention in ``attentions``, from v = 0 to its limit.

    ``loss`` is a built-in name or a SegmentLoss with numbers in place; T and alpha do not enter.
    """
    focus = fixed_focus_of(paradigm, loss, classes, beta)
    time_of = numpy_function(focus.time_of_margin.subs(v0, 0), v, p_symbol)
    incentive_of = numpy_function(focus.incentive, v, p_symbol)
    return [_curve(paradigm, focus, time_of, incentive_of, float(attention)) for attention in attentions]


def _curve(paradigm, focus, time_of, incentive_of, attention: float) -> IncentiveCurve:
    exact = sp.nsimplify(attention)
    margins = _margins(focus.margin_limit.subs(p_symbol, exact))
    with np.errstate(all="ignore"):
        times = time_of(margins, attention) * np.ones_like(margins)
        incentive = incentive_of(margins, attention) * np.ones_like(margins)
    keep = _increasing(times) & np.isfinite(incentive) & (times <= LONGEST_TIME)
    times, incentive = times[keep], incentive[keep]
    limit = float(focus.incentive_limit.subs(p_symbol, exact))
    scale = max(abs(limit), float(np.max(np.abs(incentive))))
    tolerance = SETTLED_FRACTION * scale
    moved = np.flatnonzero(np.abs(incentive - incentive[0]) > tolerance)
    away = np.flatnonzero(np.abs(incentive - limit) > tolerance)
    if away.size == 0:
        settled = float(times[0])
    elif away[-1] + 1 < times.size:
        settled = float(times[away[-1] + 1])
    else:
        settled = None
    departed = float(times[moved[0]]) if moved.size else None
    return IncentiveCurve(paradigm, attention, times, incentive, limit, departed, settled)


def _margins(limit: sp.Expr) -> np.ndarray:
    """0 and a grid towards ``limit``: geometric from 0, and geometric towards a finite limit."""
    half = MARGIN_POINTS // 2
    if limit.is_infinite:
        steps = np.logspace(math.log10(SMALLEST_MARGIN), math.log10(LARGEST_MARGIN), MARGIN_POINTS)
        return np.concatenate([[0.0], float(sp.sign(limit)) * steps])
    end = float(limit)
    from_start = np.logspace(math.log10(SMALLEST_MARGIN), math.log10(0.5), half)
    to_limit = 1 - np.logspace(math.log10(0.5), math.log10(CLOSEST_TO_LIMIT), half)[1:]
    return end * np.concatenate([[0.0], from_start, to_limit])


def _increasing(times: np.ndarray) -> np.ndarray:
    """Finite times each later than every earlier one (rounding near a finite limit makes t(v) stall)."""
    finite = np.where(np.isfinite(times), times, -np.inf)
    before = np.concatenate([[-np.inf], np.maximum.accumulate(finite)[:-1]])
    return np.isfinite(times) & (finite > before)


def window(curves) -> tuple[float, float]:
    """Whole decades from one before the earliest departure to one after the latest settling."""
    departed = [c.departed for c in curves if c.departed is not None and c.departed > 0]
    ends = [c.settled if c.settled is not None else c.t[-1] for c in curves]
    last = max(max(ends), min(departed, default=1.0) * 10)
    first = min(departed, default=last / 1e6)
    return 10.0 ** (math.floor(math.log10(first)) - 1), 10.0 ** (math.ceil(math.log10(last)) + 1)
