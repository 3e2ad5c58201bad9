r"""Time along a closed-form trajectory for many points at once.

Along a trajectory the margin coordinate :math:`s` grows, and the time is

.. math:: t(s) = \int_{s_0}^{s} g(\sigma)\,d\sigma, \qquad g = \frac{dt}{ds} > 0 .

:func:`time_grid` tabulates :math:`t` at panel edges: panels are integrated by
16-point Gauss–Legendre, a batch of panels per vectorised call of :math:`g`,
each accepted when the 8-point rule agrees to :data:`PANEL_TOLERANCE` (relative to
the time reached);
the panel width halves where it does not and doubles where it does.
:func:`invert_times` then finds :math:`s` for every requested time at once:
the panel containing it, then Newton's method on
:math:`t_j + \int_{s_j}^{s} g = t`, all targets per iteration (the derivative
is :math:`g` itself). Where :math:`g` stops being finite and positive (the
margin at its limit in floating point, or an overflow), the grid ends and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NODES, WEIGHTS = np.polynomial.legendre.leggauss(16)
COARSE_NODES, COARSE_WEIGHTS = np.polynomial.legendre.leggauss(8)
PANEL_TOLERANCE = 1e-13  # |G16 - G8| accepted per panel, relative to max(1, t) at its end (G8's error; G16's is far smaller)
BATCH = 32  # panels per vectorised call
FIRST_WIDTH = 1e-2
MAX_WIDTH = 8.0
MIN_RELATIVE_WIDTH = 1e-13  # a panel narrower than this (relative to max(1, |s|)) means s is pinned to rounding
MAX_PANELS = 200_000
NEWTON_STEPS = 30


@dataclass(frozen=True)
class TimeGrid:
    """:math:`t` at panel edges ``s``; ``error`` the accumulated estimate; ``end`` why the grid stopped.

    ``end`` is ``"horizon"`` (``t`` reached the requested end), ``"pinned"`` (``s``
    cannot advance in floating point: the state sits at its limit) or
    ``"not finite"`` (:math:`g` overflowed or lost its sign) or ``"too long"``
    (more than :data:`MAX_PANELS` panels).
    """

    s: np.ndarray
    t: np.ndarray
    error: np.ndarray
    end: str


def _panels(integrand, starts, widths, nodes, weights):
    points = starts[:, None] + widths[:, None] * (nodes[None, :] + 1) / 2
    values = np.asarray(integrand(points.ravel()), dtype=float).reshape(points.shape)
    return (values @ weights) * widths / 2, values


def time_grid(integrand, s0: float, t_end: float) -> TimeGrid:
    """Tabulate :math:`t(s)` from ``s0`` until it reaches ``t_end`` (see the module docstring)."""
    edges, times, errors = [float(s0)], [0.0], [0.0]
    width = FIRST_WIDTH
    end = "horizon"
    with np.errstate(all="ignore"):
        while times[-1] < t_end:
            if len(edges) > MAX_PANELS:
                end = "too long"
                break
            starts = edges[-1] + width * np.arange(BATCH)
            widths = np.full(BATCH, width)
            fine, values = _panels(integrand, starts, widths, NODES, WEIGHTS)
            coarse, _ = _panels(integrand, starts, widths, COARSE_NODES, COARSE_WEIGHTS)
            usable = np.all(np.isfinite(values) & (values > 0), axis=1)
            # relative to the time reached, not to the panel: near a limit of the margin g is large
            # and noisy (its relative rounding grows like 1/distance) while each panel adds little time
            reached = times[-1] + np.cumsum(np.where(np.isfinite(fine), np.abs(fine), np.inf))
            accurate = np.abs(fine - coarse) <= PANEL_TOLERANCE * np.maximum(1.0, reached)
            good = usable & accurate
            accepted = int(np.argmin(good)) if not np.all(good) else BATCH
            if accepted == 0:
                if width <= MIN_RELATIVE_WIDTH * max(1.0, abs(edges[-1])):
                    here = float(np.asarray(integrand(np.array([edges[-1]])), dtype=float)[0])
                    # g finite and positive where s stands, but no panel beyond it works: s is at its
                    # limit to rounding (the state no longer moves in float64); otherwise g overflowed
                    end = "pinned" if np.isfinite(here) and here > 0 else "not finite"
                    break
                width /= 2
                continue
            cumulative = times[-1] + np.cumsum(fine[:accepted])
            estimate = errors[-1] + np.cumsum(np.abs(fine[:accepted] - coarse[:accepted]))
            edges.extend((starts[:accepted] + width).tolist())
            times.extend(cumulative.tolist())
            errors.extend(estimate.tolist())
            width = min(2 * width, MAX_WIDTH) if accepted == BATCH else width / 2
    return TimeGrid(np.array(edges), np.array(times), np.array(errors), end)


def invert_times(integrand, grid: TimeGrid, targets) -> tuple[np.ndarray, np.ndarray]:
    """:math:`s` with :math:`t(s) =` each target (within the grid), and each one's time error estimate."""
    targets = np.asarray(targets, dtype=float)
    panel = np.clip(np.searchsorted(grid.t, targets, side="right") - 1, 0, max(len(grid.s) - 2, 0))
    left, right = grid.s[panel], grid.s[np.minimum(panel + 1, len(grid.s) - 1)]
    t_left, t_right = grid.t[panel], grid.t[np.minimum(panel + 1, len(grid.t) - 1)]
    span = np.where(t_right > t_left, t_right - t_left, 1.0)
    s = left + (right - left) * np.clip((targets - t_left) / span, 0.0, 1.0)
    with np.errstate(all="ignore"):
        for _ in range(NEWTON_STEPS):
            widths = s - left
            partial, _ = _panels(integrand, left, widths, NODES, WEIGHTS)
            residual = t_left + partial - targets
            slope = np.asarray(integrand(s), dtype=float) * np.ones_like(s)
            step = np.where(slope > 0, residual / slope, 0.0)
            s_new = np.clip(s - step, left, right)
            moved = np.abs(s_new - s)
            s = s_new
            if np.all(moved <= 4 * np.finfo(float).eps * np.maximum(1.0, np.abs(s))):
                break
    exact = targets == t_left
    s = np.where(exact, left, s)
    error = grid.error[panel] + (grid.error[np.minimum(panel + 1, len(grid.error) - 1)] - grid.error[panel])
    return s, error
