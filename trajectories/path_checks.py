r"""Checks that a computed path is a gradient-flow path the numbers can follow.

A degenerate loss can make a method print numbers that are not the flow's: a
singularity on the path (:math:`\ell(v) = 1/(1 + v)` from :math:`v_0 = -2` reaches
its pole at :math:`v = -1` in finite time; the closed form's :math:`u = U(v)` and
its time integral are smooth there and run on through it), or a loss whose scale
in :math:`v` lies below what the method resolves (:math:`\log(1 + e^{-v/\tau})`
with :math:`\tau = 10^{-30}`: the closed form stops at :math:`v = 0` as if the
state were at rest). Two facts of every gradient flow catch both:

.. math:: \frac{dL}{dt} = -\alpha (\partial_u L)^2 - \beta (\partial_v L)^2 \le 0,

so along a path the flow and the loss are finite and the loss never rises
(:func:`path_defect`), and a state the path ends at is at rest: its rates are
negligible next to the rates met on the way (:func:`moving_at_end`).
"""

from __future__ import annotations

import numpy as np

RISE_TOLERANCE = 1e-6  # a rise of L beyond this (relative to |L|, plus LOSS_FLOOR) between two path points is a defect
LOSS_FLOOR = 1e-12
REST = 1e-6  # rates at an end below this fraction of the largest rates on the way: at rest
SAMPLES = 4097  # points of a closed-form path sampled in its coordinate


def path_defect(model, u, v, t=None) -> tuple[int, str] | None:
    """Why ``(u, v)`` (points in time order) is not a gradient-flow path -- the index of the last
    point that is still trusted and the reason -- or ``None``.

    The flow and the loss must be finite at every point and the loss must not rise
    from one point to the next beyond :data:`RISE_TOLERANCE` (a rise means a
    singularity of the loss lies between them: the flow cannot pass it).
    """
    u, v = np.asarray(u, dtype=float).ravel(), np.asarray(v, dtype=float).ravel()
    if u.size == 0:
        return None
    where = (lambda k: f"t = {t[k]:.6g}") if t is not None else (lambda k: f"u = {u[k]:.6g}, v = {v[k]:.6g}")
    with np.errstate(all="ignore"):
        du, dv = (np.asarray(x, dtype=float) * np.ones(u.shape) for x in model.flow(u, v))
        loss = np.asarray(model.loss(u, v), dtype=float) * np.ones(u.shape)
    bad = ~(np.isfinite(du) & np.isfinite(dv) & np.isfinite(loss))
    if np.any(bad):
        k = int(np.argmax(bad))
        return k - 1, f"the flow or the loss is not finite at {where(k)} (a singularity of the loss on the path)"
    rise = np.diff(loss) - (RISE_TOLERANCE * (np.abs(loss[1:]) + np.abs(loss[:-1])) + LOSS_FLOOR)
    if np.any(rise > 0):
        k = int(np.argmax(rise > 0))
        return k, (f"the loss rises from {loss[k]:.6g} to {loss[k + 1]:.6g} between {where(k)} and {where(k + 1)}, so a "
                "singularity lies between them (a gradient flow never raises the loss)")
    return None


def moving_at_end(model, u, v) -> str | None:
    """Why the last point of ``(u, v)`` is not at rest, or ``None`` when its rates are negligible (:data:`REST`)."""
    u, v = np.asarray(u, dtype=float).ravel(), np.asarray(v, dtype=float).ravel()
    with np.errstate(all="ignore"):
        du, dv = (np.abs(np.asarray(x, dtype=float) * np.ones(u.shape)) for x in model.flow(u, v))
    scale_u, scale_v = np.max(np.where(np.isfinite(du), du, 0.0)), np.max(np.where(np.isfinite(dv), dv, 0.0))
    if du[-1] <= REST * scale_u and dv[-1] <= REST * scale_v:
        return None
    return (f"the closed form stops at u = {u[-1]:.6g}, v = {v[-1]:.6g}, where the flow is not at rest "
            f"(du/dt = {du[-1]:.3g}, dv/dt = {dv[-1]:.3g})")


def closed_path(model, anchor, s_end: float, samples: int = SAMPLES):
    """``(s, u, v)``: the closed form at ``samples`` coordinates ``s`` from the start ``anchor.s0`` to ``s_end``."""
    s = np.linspace(anchor.s0, s_end, samples) if s_end != anchor.s0 else np.array([anchor.s0])
    with np.errstate(all="ignore"):
        u = np.asarray(model.focus_at(anchor, s)[0], dtype=float) * np.ones(s.shape)
        v = np.asarray(model.margin_of_coordinate(s, anchor.side), dtype=float) * np.ones(s.shape)
    return s, u, v
