r"""Trajectories from the closed form: :math:`u = U(v)` exactly, time by quadrature.

Along a trajectory :math:`z = z_0 + B(v)` with :math:`z_0 = A(u_0) - B(v_0) - \log(T-1)`, and

.. math:: u = \log(T - 1) + \log\omega(z), \qquad p = \frac{\omega(z)}{1 + \omega(z)},

evaluated in the margin coordinate :math:`s` of
:meth:`~trajectories.model.ReducedModel.margin_of_coordinate` (for very large
:math:`u_0`, where :math:`e^{u_0}` overflows, :meth:`~trajectories.model.ReducedModel.focus_at`
solves for :math:`u - u_0` instead). Time has no closed
form: :math:`t(s) = \int_{s_0}^{s} (dv/ds)/\dot v\,ds` is tabulated on
Gauss–Legendre panels for all requested times at once and inverted by Newton's
method within each time's panel (:mod:`trajectories.timeline`; the panel error
estimates are summed into ``time_error``).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.integrate import IntegrationWarning

from .checks import MAX_POINTS, count, finite, finite_array, positive
from .model import ReducedModel, check_model
from .path_checks import closed_path, moving_at_end, path_defect
from .result import Status, Trajectory
from .timeline import invert_times, time_grid



RESOLUTION = 1e-8  # largest rounding of u (relative to max(1, |u|)) a closed-form point may carry


def closed_focus(model: ReducedModel, v, u0: float, v0: float):
    """:math:`u = U(v; u_0, v_0)` and :math:`p` along it, vectorised over ``v``.

    Points where a quantity exceeds the float64 range come back as ``inf`` or
    ``nan`` (never as a finite wrong number); :func:`closed_trajectory` reports
    them with :attr:`Status.OVERFLOW`.

    Examples
    --------
    >>> from trajectories.model import Setting, reduced_model
    >>> m = reduced_model(Setting("soft", "exponential"))
    >>> u, p = closed_focus(m, [0.0], 0.0, 0.0)
    >>> float(u[0]), round(float(p[0]), 12)  # p(0) = 1/T with T = 10
    (0.0, 0.1)
    """
    anchor = model.anchor(u0, v0)
    v = np.asarray(v, dtype=float)
    if not model.has_two_sides:
        u, p, _ = model.focus_at(anchor, model.coordinate_of_margin(v, 1), 1)
        return u, p
    u, p = np.empty_like(v), np.empty_like(v)
    # on the level set of I through (u0, v0), on either side of a finite minimiser
    sides = np.where(v <= model.minimiser, 1, -1)
    for side in np.unique(sides):
        chosen = sides == side
        u[chosen], p[chosen], _ = model.focus_at(anchor, model.coordinate_of_margin(v[chosen], int(side)), int(side))
    return u, p


def closed_trajectory(
    model: ReducedModel, u0: float, v0: float, t_end: float, points: int = 101, *, times=None
) -> Trajectory:
    """The trajectory through ``(u0, v0)`` at ``points`` equally spaced times in [0, t_end].

    ``times`` (increasing, >= 0, ending at most at ``t_end``) replaces the
    equally spaced grid, e.g. for logarithmic time axes.

    Quadrature warnings (raised near a finite limit of the margin, where dt/ds
    has a logarithmic singularity) are recorded in ``message``, not printed.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IntegrationWarning)
        result = _closed_trajectory(model, u0, v0, t_end, points, times)
    quadrature = [w for w in caught if issubclass(w.category, IntegrationWarning)]
    for other in caught:
        if not issubclass(other.category, IntegrationWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    if quadrature:
        note = f"quad reported {len(quadrature)} warnings (roundoff near the margin's limit); time_error carries its estimates"
        result = Trajectory(**{**result.__dict__, "message": "; ".join(m for m in (result.message, note) if m)})
    return result


def _closed_trajectory(model: ReducedModel, u0: float, v0: float, t_end: float, points: int, times) -> Trajectory:
    model, u0, v0 = check_model(model), finite(u0, "u0"), finite(v0, "v0")
    t_end, points = positive(t_end, "t_end"), count(points, "points", maximum=MAX_POINTS)
    if v0 == model.minimiser:
        raise ValueError(f"`v0` = {v0!r} is the loss minimiser: the margin does not move, so u = U(v) cannot describe the trajectory (use the ode method)")
    anchor = model.anchor(u0, v0)
    side, s0 = anchor.side, anchor.s0
    with np.errstate(over="ignore", invalid="ignore"):
        _, rate_v0 = model.flow(u0, v0)
    if not np.isfinite(anchor.b0) or not np.isfinite(rate_v0):
        return _overflow(np.array([0.0]), 0, f"B(v0) or dv/dt exceeds the float64 range at v0 = {v0!r}")
    if rate_v0 == 0:
        return _overflow(np.array([0.0]), 0, f"dv/dt underflows at v0 = {v0!r}: the time scale 1/(dv/dt) exceeds the float64 range (use the ode method)")

    def integrand(s):
        return model.time_integrand(s, anchor)

    if times is None:
        times = np.linspace(0.0, t_end, points)
    else:
        times = finite_array(times, "times")
        if times.size > MAX_POINTS:
            raise ValueError(f"`times` must hold at most {MAX_POINTS:.0e} points (memory and time), got {times.size}")
        if times.ndim != 1 or times.size == 0 or times[0] < 0 or np.any(np.diff(times) <= 0) or times[-1] > t_end:
            raise ValueError("`times` must be increasing, >= 0 and at most `t_end`")
        points = times.size
    grid = time_grid(integrand, s0, float(times[-1]))
    reachable = times <= grid.t[-1]
    coordinates = np.full(points, grid.s[-1])
    errors = np.full(points, grid.error[-1])
    coordinates[reachable], errors[reachable] = invert_times(integrand, grid, times[reachable])
    message = ""
    if not np.all(reachable):
        first = int(np.argmin(reachable))
        if grid.end != "pinned":
            why = "the time scale needs too many quadrature panels" if grid.end == "too long" else "dt/ds is not finite"
            return _overflow(times, first, f"{why} near s = {grid.s[-1]} (t = {grid.t[-1]:g})")
        message = (f"from t = {grid.t[-1]:g} on the state moves less than the rounding of its coordinates "
                   "(at its limit, or too slowly); later times repeat it")
    _, *path = closed_path(model, anchor, float(coordinates[-1]))
    defect = path_defect(model, *path)
    if defect is not None:
        return _refused(Status.SINGULAR, f"{defect[1]}; the flow ends there")
    if not np.all(reachable):
        moving = moving_at_end(model, *path)
        if moving is not None:
            return _refused(Status.UNDERFLOW, f"at t = {grid.t[-1]:g} {moving}: use the ode method")
    v = model.margin_of_coordinate(coordinates, side)
    u, p, _ = model.focus_at(anchor, coordinates)
    if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
        bad = int(np.argmin(np.isfinite(u) & np.isfinite(v)))
        return _overflow(times, bad, f"u or v not representable at t = {times[bad]:g}")
    rounding = model.focus_rounding(anchor, coordinates, u)
    worst = int(np.argmax(rounding / np.maximum(1.0, np.abs(u))))
    if not rounding[worst] <= RESOLUTION * max(1.0, abs(u[worst])):
        return Trajectory(times[:0], *(np.full(0, np.nan),) * 3, "closed", Status.ILL_CONDITIONED,
                          f"at t = {times[worst]:g} rounding in B(v) - B(v0) moves u by about {rounding[worst]:.1e} "
                          "(alpha/beta or the start make B(v) huge): use the ode method")
    extras = {"coordinate": coordinates, "focus_rounding": float(np.max(rounding))}
    if model.quadrature_parts:
        extras["quadrature_error"] = float(np.max(model.margin_part_error(v)) + abs(float(model.margin_part_error(v0))))
        note = f"{' and '.join(model.quadrature_parts)} by quadrature (error estimate of B(v) - B(v0) <= {extras['quadrature_error']:.1e})"
        message = "; ".join(m for m in (message, note) if m)
    return Trajectory(times, u, v, p, "closed", message=message, time_error=errors, extras=extras)


def _refused(status: Status, why: str) -> Trajectory:
    empty = np.full(0, np.nan)
    return Trajectory(empty, empty, empty, empty, "closed", status, why)


def _overflow(times, k, why) -> Trajectory:
    empty = np.full(0, np.nan)
    return Trajectory(times[:0], empty, empty, empty, "closed", Status.OVERFLOW, f"stopped at t = {times[k]:g}: {why}")
