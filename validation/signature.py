r"""The fixed-focus "signature": how much each paradigm still rewards better focus.

With attention frozen at :math:`p`, the classifier follows the engine's
closed-form :math:`v(t)` (or :math:`t(v)`, inverted numerically where no closed
inverse exists) and the focus incentive :math:`-\partial L/\partial p` is
evaluated along it; its :math:`t \to \infty` limit is the engine's exact limit.
The tabulated times are whole decades chosen from the closed forms
(:func:`signature_times`): from the earliest departure of a curve to the latest
settling within 1% of its limit, so the last column shows every limit reached.
"""

from __future__ import annotations

from analytic.losses import CLASS_LOSS
from analytic.paradigms import PARADIGMS as REGISTRY

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from .incentive_curves import fixed_focus_of, incentive_paradigms, incentive_to_limit, window

from analytic.symbols import p as p_symbol
from analytic.symbols import t as t_symbol
from analytic.symbols import v, v0
from trajectories.stable import numpy_function

from .numbers import latex_number

DEFAULT_ATTENTIONS = (0.2, 0.4, 0.6, 0.8)
TIME_COLUMNS = 5  # tabulated times: t = 0 and four whole decades spread over the curves' window
LATEX_DIGITS = 3  # significant digits of the LaTeX table's cells
PLAIN_CELLS = (1e-4, 99.95)  # magnitudes (below 100 once rounded) a cell shows as a plain decimal (narrower than m x 10^k)


@dataclass(frozen=True)
class Signature:
    """Incentive values ``values[paradigm][i][j]`` at attention ``attentions[i]``, time ``times[j]``."""

    loss: str
    classes: int
    beta: float
    attentions: tuple
    times: tuple
    values: dict
    limits: dict
    skipped: tuple = ()  # (paradigm, reason) for each registered paradigm without a fixed-focus incentive limit

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "classes": self.classes,
            "attentions": list(self.attentions),
            "times": list(self.times),
            "incentive": {k: [list(row) for row in rows] for k, rows in self.values.items()},
            "limit": {k: list(row) for k, row in self.limits.items()},
            **({"not_available": dict(self.skipped)} if self.skipped else {}),
        }

    def text(self) -> str:
        header = f"{'paradigm':>8} {'p':>5}" + "".join(f"{'t = ' + format(x, '.0e' if x >= 1e4 else 'g'):>12}" for x in self.times) + f"{'t -> oo':>12}"
        lines = [f"fixed-focus incentive -dL/dp ({self.loss}, c = {self.classes}, beta = {self.beta:g}, v0 = 0)", header]
        for paradigm in self.values:
            for i, attention in enumerate(self.attentions):
                cells = "".join(f"{x:12.5g}" for x in self.values[paradigm][i])
                lines.append(f"{paradigm:>8} {attention:5.2f}{cells}{self.limits[paradigm][i]:12.5g}")
        return "\n".join(lines)

    def latex(self) -> str:
        columns = "ll" + "r" * (len(self.times) + 1)
        times = [latex_number(x, 1, math_mode=False, trim=True) for x in self.times]
        head = " & ".join(["paradigm", "$p$", f"$t = {times[0]}$", *(f"${x}$" for x in times[1:]), r"$\infty$"])
        body = []
        for paradigm in self.values:
            name = REGISTRY[paradigm].display
            for i, attention in enumerate(self.attentions):
                cells = [_cell(x) for x in (*self.values[paradigm][i], self.limits[paradigm][i])]
                body.append("    " + " & ".join([name if i == 0 else "", f"{attention:g}"] + cells) + r" \\")
        return "\n".join([rf"\begin{{tabular}}{{{columns}}}", r"    \hline", f"    {head} \\\\", r"    \hline", *body, r"    \hline", r"\end{tabular}"])


def _cell(value: float) -> str:
    """A table cell: a plain decimal where that is short (0.00799, 18.8), else :func:`latex_number` (7.99 x 10^-5)."""
    if PLAIN_CELLS[0] <= abs(value) < PLAIN_CELLS[1]:
        return f"${value:#.{LATEX_DIGITS}g}$"
    return latex_number(value, LATEX_DIGITS)


def incentive_curve(paradigm: str, loss: str, classes: int, beta, attention: float, times) -> tuple[np.ndarray, float]:
    """Incentive along the fixed-focus classifier at ``times`` (v0 = 0), and its limit."""
    focus = fixed_focus_of(paradigm, loss, classes, beta)
    values = {p_symbol: sp.nsimplify(attention), v0: 0}
    incentive = numpy_function(focus.incentive.subs(values), v)
    times = np.asarray(times, dtype=float)
    if focus.margin_of_time is not None:
        margins = numpy_function(focus.margin_of_time.subs(values), t_symbol)(times) * np.ones_like(times)
    else:
        elapsed = numpy_function(focus.time_of_margin.subs(values), v)
        margins = np.array([_invert(elapsed, time, focus.margin_limit.subs(p_symbol, attention)) for time in times])
    limit = float(focus.incentive_limit.subs(p_symbol, sp.nsimplify(attention)))
    curve = np.asarray(incentive(margins), dtype=float) * np.ones_like(times)
    curve[times == 0] = float(focus.incentive.subs(values).subs(v, 0))  # at the start exactly (no rounding of l(0) - l(0))
    return curve, limit


def _invert(elapsed, time: float, limit) -> float:
    """v with t(v) = time (t increasing in v from v0 = 0 towards ``limit``).

    When v is within rounding of a finite limit before t(v) reaches ``time``,
    the margin is at its limit: the limit is returned.
    """
    if time == 0:
        return 0.0
    hi = 1.0 if not limit.is_finite else float(limit) / 2
    while float(elapsed(hi)) < time:
        wider = 2 * hi if not limit.is_finite else (hi + float(limit)) / 2
        if wider == hi or (limit.is_finite and wider >= float(limit)):
            return float(limit)
        hi = wider
    return brentq(lambda x: float(elapsed(x)) - time, 0.0, hi, xtol=1e-14, rtol=1e-15)


def signature_times(loss, classes: int, beta, attentions=DEFAULT_ATTENTIONS) -> tuple:
    """``t = 0`` and :data:`TIME_COLUMNS` - 1 whole decades, evenly spread from the decade of the earliest
    departure of an incentive curve to that of the latest settling (:func:`validation.incentive_curves.window`)."""
    curves = [curve for paradigm in incentive_paradigms(loss, classes, beta)[0] for curve in incentive_to_limit(paradigm, loss, classes, beta, attentions)]
    first, last = (round(np.log10(end)) for end in window(curves))
    first, last = first + 1, last - 1  # the window has a decade's margin either side
    decades = np.unique(np.round(np.linspace(first, max(last, first + TIME_COLUMNS - 2), TIME_COLUMNS - 1)))
    return (0.0, *(float(10.0 ** k) for k in decades))


def signature(loss=CLASS_LOSS, classes: int = 2, beta=1, attentions=DEFAULT_ATTENTIONS, times=None) -> Signature:
    """The incentive table for the registered paradigms; ``loss`` is a name or a SegmentLoss (numbers in place).

    ``times``: the tabulated times (default :func:`signature_times`, so every limit is reached).
    """
    if times is None:
        times = signature_times(loss, classes, beta, attentions)
    values, limits = {}, {}
    paradigms, skipped = incentive_paradigms(loss, classes, beta)
    for paradigm in paradigms:
        rows, row_limits = [], []
        for attention in attentions:
            curve, limit = incentive_curve(paradigm, loss, classes, beta, attention, times)
            rows.append(tuple(float(x) for x in curve))
            row_limits.append(limit)
        values[paradigm], limits[paradigm] = tuple(rows), tuple(row_limits)
    name = loss if isinstance(loss, str) else f"custom {loss.expr}"
    return Signature(name, classes, float(beta), tuple(attentions), tuple(times), values, limits, tuple(skipped))
