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
:math:`t_j + \int_{s_j}^{s} \tilde g = t`, where :math:`\tilde g` is the
Legendre interpolant of :math:`g` through the panel's 16 Gauss nodes (so no
further evaluation of :math:`g`), all targets per iteration. Where :math:`g` stops being finite and positive (the
margin at its limit in floating point, or an overflow), the grid ends and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .quadrature import COARSE_NODES, COARSE_WEIGHTS, NODES, WEIGHTS, panels
from .tuning import FIRST_WIDTH, MAX_WIDTH, MIN_RELATIVE_WIDTH, PANEL_TOLERANCE

BATCH = 32  # panels per vectorised call
MAX_PANELS = 200_000
NEWTON_STEPS = 30
NEWTON_TOLERANCE = 1e-14  # |step| in the panel coordinate x in [-1, 1]
#: values at the 16 Gauss nodes -> Legendre coefficients: c_k = (2k + 1)/2 sum_i w_i g(x_i) P_k(x_i)
PROJECTION = (np.polynomial.legendre.legvander(NODES, len(NODES) - 1) * WEIGHTS[:, None]) * ((2 * np.arange(len(NODES)) + 1) / 2)


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
    coefficients: np.ndarray  # (panels, 16): Legendre coefficients of g on each panel, mapped to [-1, 1]


def time_grid(integrand, s0: float, t_end: float = np.inf, *, s_end: float = np.inf) -> TimeGrid:
    """Tabulate :math:`t(s)` from ``s0`` until it reaches ``t_end`` or ``s`` reaches ``s_end`` (see the module docstring)."""
    edges, times, errors, coefficients = [float(s0)], [0.0], [0.0], []
    width = FIRST_WIDTH
    end = "horizon"
    with np.errstate(all="ignore"):
        while times[-1] < t_end and edges[-1] < s_end:
            if len(edges) > MAX_PANELS:
                end = "too long"
                break
            # the panels between edges as rounded in float64: the widths are the edges' exact differences,
            # so a width that is not a multiple of the rounding of s cannot bias the time (issue 23)
            bounds = edges[-1] + width * np.arange(BATCH + 1)
            starts, widths = bounds[:-1], np.diff(bounds)
            fine, values = panels(integrand, starts, widths)
            coarse, _ = panels(integrand, starts, widths, COARSE_NODES, COARSE_WEIGHTS)
            usable = np.all(np.isfinite(values) & (values > 0), axis=1)
            # relative to the time reached, not to the panel: near a limit of the margin g is large
            # and noisy (its relative rounding grows like 1/distance) while each panel adds little time
            reached = times[-1] + np.cumsum(np.where(np.isfinite(fine), np.abs(fine), np.inf))
            accurate = np.abs(fine - coarse) <= PANEL_TOLERANCE * np.maximum(1.0, reached)
            good = usable & accurate
            accepted = int(np.argmin(good)) if not np.all(good) else BATCH
            at_rounding = width <= MIN_RELATIVE_WIDTH * max(1.0, abs(edges[-1]))
            if accepted == 0 and at_rounding and usable[0]:
                # panels at the rounding of s: g's own rounding limits the agreement of the rules;
                # accept the usable ones, the estimate carries the disagreement
                accepted = int(np.argmin(usable)) if not np.all(usable) else BATCH
            if accepted == 0:
                if at_rounding:
                    here = float(np.asarray(integrand(np.array([edges[-1]])), dtype=float)[0])
                    # g finite and positive where s stands, but no panel beyond it works: s is at its
                    # limit to rounding (the state no longer moves in float64); otherwise g overflowed
                    end = "pinned" if np.isfinite(here) and here > 0 else "not finite"
                    break
                width /= 2
                continue
            cumulative = times[-1] + np.cumsum(fine[:accepted])
            estimate = errors[-1] + np.cumsum(np.abs(fine[:accepted] - coarse[:accepted]))
            coefficients.append(values[:accepted] @ PROJECTION)
            edges.extend(bounds[1:accepted + 1].tolist())
            times.extend(cumulative.tolist())
            errors.extend(estimate.tolist())
            width = min(2 * width, MAX_WIDTH) if accepted == BATCH else width / 2
    table = np.concatenate(coefficients) if coefficients else np.zeros((0, len(NODES)))
    return TimeGrid(np.array(edges), np.array(times), np.array(errors), end, table)


def times_at(grid: TimeGrid, s) -> tuple[np.ndarray, np.ndarray]:
    """:math:`t` at coordinates ``s`` within the grid (the panel interpolant's antiderivative), and the error estimates."""
    s = np.asarray(s, dtype=float)
    if len(grid.s) < 2:
        return np.zeros(s.shape), np.zeros(s.shape)
    panel = np.clip(np.searchsorted(grid.s, s, side="right") - 1, 0, len(grid.s) - 2)
    left, width = grid.s[panel], grid.s[panel + 1] - grid.s[panel]
    x = np.clip(2 * (s - left) / width - 1, -1.0, 1.0)
    value, _ = antiderivative_and_value(np.ascontiguousarray(grid.coefficients[panel].T), x)
    return grid.t[panel] + width / 2 * value, grid.error[panel + 1]


def invert_times(integrand, grid: TimeGrid, targets) -> tuple[np.ndarray, np.ndarray]:
    """:math:`s` with :math:`t(s) =` each target (within the grid), and each one's time error estimate.

    On its panel, :math:`g` is the degree-15 Legendre interpolant through the 16
    Gauss nodes already evaluated, so :math:`t(s)` is its exact antiderivative: Newton's
    method needs no further evaluation of :math:`g` (``integrand`` is kept for the signature).
    """
    targets = np.asarray(targets, dtype=float)
    if len(grid.s) < 2:
        return np.full(targets.shape, grid.s[0]), np.zeros(targets.shape)
    panel = np.clip(np.searchsorted(grid.t, targets, side="right") - 1, 0, len(grid.s) - 2)
    left, width = grid.s[panel], grid.s[panel + 1] - grid.s[panel]
    t_left, t_right = grid.t[panel], grid.t[panel + 1]
    coefficients = np.ascontiguousarray(grid.coefficients[panel].T)  # (16, targets): contiguous rows
    span = np.where(t_right > t_left, t_right - t_left, 1.0)
    x = panel_time_inverse(coefficients, t_left, width, targets, np.clip(2 * (targets - t_left) / span - 1, -1.0, 1.0))
    s = np.where(targets <= t_left, left, left + width * (x + 1) / 2)
    error = grid.error[panel + 1]
    return s, error


def panel_time_inverse(coefficients, t_left, width, targets, x):
    r"""The panel coordinate :math:`x \in [-1, 1]` where :math:`t_{\mathrm{left}} + \tfrac{w}{2}\int_{-1}^{x} \tilde g = ` ``targets``.

    ``coefficients`` (16, points): the Legendre coefficients of :math:`\tilde g` per point's panel; Newton's
    method from ``x``, all points per iteration, until the steps are negligible or the time residual is at
    the rounding of t.
    """
    for _ in range(NEWTON_STEPS):
        value, slope = antiderivative_and_value(coefficients, x)
        residual = t_left + width / 2 * value - targets
        with np.errstate(divide="ignore", invalid="ignore"):  # the division where slope = 0 is discarded by the where
            step = np.where(slope > 0, residual / (width / 2 * slope), 0.0)
        x_new = np.clip(x - step, -1.0, 1.0)
        settled = (np.abs(x_new - x) <= NEWTON_TOLERANCE) | (np.abs(residual) <= 8 * np.finfo(float).eps * np.maximum(1.0, np.abs(targets)))
        x = x_new
        if np.all(settled):
            break
    return x


def antiderivative_and_value(coefficients, x):
    r""":math:`\int_{-1}^{x} \sum_k c_k P_k` and :math:`\sum_k c_k P_k(x)`, per column of ``coefficients`` (16, targets).

    :math:`\int_{-1}^{x} P_0 = x + 1` and :math:`\int_{-1}^{x} P_k = (P_{k+1} - P_{k-1})/(2k + 1)`.
    """
    degree = coefficients.shape[0]
    previous, current = np.ones_like(x), x
    value = coefficients[0] * (x + 1)
    slope = coefficients[0].copy()
    for k in range(1, degree):
        following = ((2 * k + 1) * x * current - k * previous) / (k + 1)  # P_{k+1}
        value += coefficients[k] * (following - previous) / (2 * k + 1)
        slope += coefficients[k] * current
        previous, current = current, following
    return value, slope
