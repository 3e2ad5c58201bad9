r"""Hand-written NumPy flows of the nine built-in cases: independent references for the compiled path.

Written from the definitions (no SymPy): with :math:`p = e^u/(e^u + T - 1)`,

- soft :math:`L = \ell(p v)`: :math:`\partial_u L = \ell'(pv)\, v\, p(1-p)`, :math:`\partial_v L = \ell'(pv)\, p`;
- hard :math:`L = p\ell(v) + (1-p)\ell(0)`: :math:`\partial_u L = p(1-p)(\ell(v) - \ell(0))`, :math:`\partial_v L = p\ell'(v)`;
- LVML :math:`L = -\log M`, :math:`M = p e^{-\ell(v)} + (1-p) e^{-\ell(0)}`:
  :math:`\partial_u L = -p(1-p)(e^{-\ell(v)} - e^{-\ell(0)})/M`, :math:`\partial_v L = p e^{-\ell(v)}\ell'(v)/M`;

and :math:`(\dot u, \dot v) = (-\alpha \partial_u L, -\beta \partial_v L)`.
"""

from __future__ import annotations

import numpy as np


def segment_loss(name: str, classes: int):
    """:math:`(\\ell, \\ell')` of a built-in loss as NumPy functions."""
    if name == "cross-entropy":
        k = classes - 1
        return (lambda v: np.log1p(k * np.exp(-v))), (lambda v: -k * np.exp(-v) / (1 + k * np.exp(-v)))
    if name == "square":
        return (lambda v: (1 - v) ** 2 / 2), (lambda v: v - 1)
    if name == "exponential":
        return (lambda v: np.exp(-v)), (lambda v: -np.exp(-v))
    raise ValueError(name)


def reference_flow(paradigm: str, loss: str, classes: int, segments: float, alpha: float, beta: float, u, v):
    """The gradient flow written out by hand."""
    ell, slope = segment_loss(loss, classes)
    p = np.exp(u) / (np.exp(u) + segments - 1)
    if paradigm == "soft":
        du, dv = slope(p * v) * v * p * (1 - p), slope(p * v) * p
    elif paradigm == "hard":
        du, dv = p * (1 - p) * (ell(v) - ell(0.0)), p * slope(v)
    elif paradigm == "lvml":
        mixture = p * np.exp(-ell(v)) + (1 - p) * np.exp(-ell(0.0))
        du = -p * (1 - p) * (np.exp(-ell(v)) - np.exp(-ell(0.0))) / mixture
        dv = p * np.exp(-ell(v)) * slope(v) / mixture
    else:
        raise ValueError(paradigm)
    return -alpha * du, -beta * dv


def crossing_events(levels, *, stop_at_last: bool = False):
    """``solve_ivp`` events, one per level, firing when u rises through it (the last one ends the run if asked)."""
    events = []
    for level in levels:
        def event(_, y, level=level):
            return y[0] - level
        event.direction = 1
        events.append(event)
    if stop_at_last and events:
        events[-1].terminal = True
    return events


class EvaluationsExhausted(Exception):
    """A reference integration used up its right-hand-side evaluations (a stiff extreme: nothing to compare)."""


def bounded(rhs, evaluations: int):
    """``rhs`` that raises :class:`EvaluationsExhausted` when called more than ``evaluations`` times.

    A bound on the reference's work, not on its time: the same cases are compared on an idle and on a
    loaded machine (a wall-clock budget gave up on more of them the busier the machine was).
    """
    calls = 0

    def counted(t, y):
        nonlocal calls
        calls += 1
        if calls > evaluations:
            raise EvaluationsExhausted(f"more than {evaluations} evaluations")
        return rhs(t, y)

    return counted
