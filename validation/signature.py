r"""The fixed-focus "signature": how much each paradigm still rewards better focus.

With attention frozen at :math:`p`, the classifier follows the engine's
closed-form :math:`v(t)` (or :math:`t(v)`, inverted numerically where no closed
inverse exists) and the focus incentive :math:`-\partial L/\partial p` is
evaluated along it; its :math:`t \to \infty` limit is the engine's exact limit.
"""

from __future__ import annotations

from analytic.paradigms import PARADIGMS as REGISTRY

from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.optimize import brentq

from analytic import derive
from analytic.symbols import p as p_symbol
from analytic.symbols import t as t_symbol
from analytic.symbols import v, v0
from trajectories.stable import numpy_function

DEFAULT_ATTENTIONS = (0.2, 0.4, 0.6, 0.8)
DEFAULT_TIMES = (0.0, 1.0, 10.0, 100.0, 1000.0)
PARADIGMS = tuple(REGISTRY)


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

    def to_dict(self) -> dict:
        return {
            "loss": self.loss,
            "classes": self.classes,
            "attentions": list(self.attentions),
            "times": list(self.times),
            "incentive": {k: [list(row) for row in rows] for k, rows in self.values.items()},
            "limit": {k: list(row) for k, row in self.limits.items()},
        }

    def text(self) -> str:
        header = f"{'paradigm':>8} {'p':>5}" + "".join(f"{'t = ' + format(x, 'g'):>12}" for x in self.times) + f"{'t -> oo':>12}"
        lines = [f"fixed-focus incentive -dL/dp ({self.loss}, c = {self.classes}, beta = {self.beta:g}, v0 = 0)", header]
        for paradigm in PARADIGMS:
            for i, attention in enumerate(self.attentions):
                cells = "".join(f"{x:12.5g}" for x in self.values[paradigm][i])
                lines.append(f"{paradigm:>8} {attention:5.2f}{cells}{self.limits[paradigm][i]:12.5g}")
        return "\n".join(lines)

    def latex(self) -> str:
        columns = "ll" + "r" * (len(self.times) + 1)
        head = " & ".join(["paradigm", "$p$"] + [f"$t = {x:g}$" for x in self.times] + [r"$t \to \infty$"])
        body = []
        for paradigm in PARADIGMS:
            name = {"soft": "soft", "hard": "hard", "lvml": "LVML"}[paradigm]
            for i, attention in enumerate(self.attentions):
                cells = [f"{x:.4g}" for x in self.values[paradigm][i]] + [f"{self.limits[paradigm][i]:.4g}"]
                body.append("    " + " & ".join([name if i == 0 else "", f"{attention:g}"] + cells) + r" \\")
        return "\n".join([rf"\begin{{tabular}}{{{columns}}}", r"    \toprule", f"    {head} \\\\", r"    \midrule", *body, r"    \bottomrule", r"\end{tabular}"])


def incentive_curve(paradigm: str, loss: str, classes: int, beta, attention: float, times) -> tuple[np.ndarray, float]:
    """Incentive along the fixed-focus classifier at ``times`` (v0 = 0), and its limit."""
    derivation = derive(paradigm, loss, classes=classes, alpha=1, beta=beta)
    focus = derivation.fixed_focus
    values = {p_symbol: sp.nsimplify(attention), v0: 0}
    incentive = numpy_function(focus.incentive.subs(values), v)
    times = np.asarray(times, dtype=float)
    if focus.margin_of_time is not None:
        margins = numpy_function(focus.margin_of_time.subs(values), t_symbol)(times) * np.ones_like(times)
    else:
        elapsed = numpy_function(focus.time_of_margin.subs(values), v)
        margins = np.array([_invert(elapsed, time, focus.margin_limit.subs(p_symbol, attention)) for time in times])
    if focus is None or focus.incentive_limit is None:
        raise ValueError(f"`loss` {loss if isinstance(loss, str) else loss.expr}: no fixed-focus incentive limit under {paradigm} attention")
    limit = float(focus.incentive_limit.subs(p_symbol, sp.nsimplify(attention)))
    return np.asarray(incentive(margins), dtype=float) * np.ones_like(times), limit


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


def signature(loss="cross-entropy", classes: int = 2, beta=1, attentions=DEFAULT_ATTENTIONS, times=DEFAULT_TIMES) -> Signature:
    """The incentive table for the registered paradigms; ``loss`` is a name or a SegmentLoss (numbers in place)."""
    values, limits = {}, {}
    for paradigm in PARADIGMS:
        rows, row_limits = [], []
        for attention in attentions:
            curve, limit = incentive_curve(paradigm, loss, classes, beta, attention, times)
            rows.append(tuple(float(x) for x in curve))
            row_limits.append(limit)
        values[paradigm], limits[paradigm] = tuple(rows), tuple(row_limits)
    name = loss if isinstance(loss, str) else f"custom {loss.expr}"
    return Signature(name, classes, float(beta), tuple(attentions), tuple(times), values, limits)
