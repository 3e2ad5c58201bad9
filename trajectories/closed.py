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
from dataclasses import dataclass

import numpy as np
from scipy.integrate import IntegrationWarning

from analytic.errors import BadInput, NotAvailable

from .checks import MAX_POINTS, count, finite, finite_array, positive
from .model import ReducedModel, check_model
from .path_checks import closed_path, moving_at_end, path_defect
from .result import ACCURACY, Status, Trajectory
from .timeline import invert_times, time_grid
from .tuning import RESOLUTION


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
    model: ReducedModel, u0: float, v0: float, t_end: float, points: int = 101, *, times=None, fallback: bool = False
) -> Trajectory:
    """The trajectory through ``(u0, v0)`` at ``points`` equally spaced times in [0, t_end].

    ``times`` (increasing, >= 0, ending at most at ``t_end``) replaces the
    equally spaced grid, e.g. for logarithmic time axes.

    Every point's u, v and p carry an error estimate (``extras["error_estimate"]``); a
    trajectory with a point above :data:`~trajectories.result.ACCURACY` is refused
    (:attr:`Status.ILL_CONDITIONED` or :attr:`Status.OVERFLOW`, the reason in ``message``), or with
    ``fallback`` replaced by :func:`~trajectories.log_time.log_time_trajectory` when that resolves it
    (then ``method`` is ``"ODE (log time)"`` and ``message`` says why).

    Quadrature warnings (raised near a finite limit of the margin, where dt/ds
    has a logarithmic singularity) are recorded in ``message``, not printed.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", IntegrationWarning)
        result = _closed_trajectory(model, u0, v0, t_end, points, times)
    if fallback and result.status in (Status.ILL_CONDITIONED, Status.OVERFLOW):
        from .log_time import log_time_trajectory

        wanted = np.linspace(0.0, float(t_end), int(points)) if times is None else np.asarray(times, dtype=float)
        ode = log_time_trajectory(model, u0, v0, wanted)
        if ode.ok:
            return Trajectory(**{**ode.__dict__, "message": f"the closed form was refused ({result.message}); {ode.message}"})
        return Trajectory(**{**result.__dict__, "message": f"{result.message}; {ode.message}"})
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
        raise NotAvailable(f"`v0` = {v0!r} is the loss minimiser: the margin does not move, so u = U(v) cannot describe the trajectory (use the ode method)")
    anchor = model.anchor(u0, v0)
    with np.errstate(over="ignore", invalid="ignore"):
        _, rate_v0 = model.flow(u0, v0)
    if not np.isfinite(anchor.b0) or not np.isfinite(rate_v0):
        return _overflow(np.array([0.0]), 0, f"B(v0) or dv/dt exceeds the float64 range at v0 = {v0!r}")
    if rate_v0 == 0:
        return _overflow(np.array([0.0]), 0, f"dv/dt underflows at v0 = {v0!r}: the time scale 1/(dv/dt) exceeds the float64 range (use the ode method)")
    if times is None:
        times = np.linspace(0.0, t_end, points)
    else:
        times = finite_array(times, "times")
        if times.size > MAX_POINTS:
            raise BadInput(f"`times` must hold at most {MAX_POINTS:.0e} points (memory and time), got {times.size}")
        if times.ndim != 1 or times.size == 0 or times[0] < 0 or np.any(np.diff(times) <= 0) or times[-1] > t_end:
            raise BadInput("`times` must be increasing, >= 0 and at most `t_end`")
    margin = margin_phase(model, anchor, times)
    phases = [margin]
    if not np.all(margin.excess <= 1):
        focus = focus_phase(model, anchor, times, margin)
        if focus is not None:
            phases.append(focus)
    excess = np.min([phase.excess for phase in phases], axis=0)
    chosen = np.argmin([phase.excess for phase in phases], axis=0)
    # a gradient-flow path never meets a singularity, and a margin pinned by rounding must be at rest
    _, *path = closed_path(model, anchor, float(margin.s[-1]))
    defect = path_defect(model, *path)
    if defect is not None:
        return _refused(Status.SINGULAR, f"{defect[1]}; the flow ends there")
    pinned_at = margin.edges[0][-1]
    if margin.message and np.any((chosen == 0) & (times > pinned_at)):
        moving = moving_at_end(model, *path)
        if moving is not None:
            return _refused(Status.UNDERFLOW, f"at t = {pinned_at:g} {moving}: use the ode method")
    if not np.all(excess <= 1):
        worst = int(np.argmax(np.where(np.isfinite(excess), excess, np.inf)))
        why = phases[chosen[worst]].reasons.get(worst) or (
            f"the closed form's error estimate is {excess[worst]:.1e} times the accuracy {ACCURACY:g} (time integral, "
            "rounding of the first integral, resolution of the coordinate)")
        status = Status.OVERFLOW if phases[chosen[worst]].overflow.get(worst) else Status.ILL_CONDITIONED
        empty = np.full(0, np.nan)
        return Trajectory(times[:0], empty, empty, empty, "closed", status, f"at t = {times[worst]:g}: {why}")
    pick = [np.choose(chosen, [getattr(phase, name) for phase in phases]) for name in ("u", "v", "p", "s", "time_error")]
    u, v, p, coordinates, errors = pick
    messages = [margin.message] if np.any(chosen == 0) and margin.message else []
    if np.any(chosen == 1):
        first = int(np.argmax(chosen == 1))
        messages.append(f"from t = {times[first]:g} on with u as the coordinate of the closed form (the margin barely moves)")
    extras = {"coordinate": coordinates, "parametrisation": np.array([phases[k].name for k in chosen]),
              "error_estimate": excess * ACCURACY, "focus_rounding": margin.focus_rounding}
    if model.quadrature_parts:
        extras["quadrature_error"] = float(np.max(model.margin_part_error(v)) + abs(float(model.margin_part_error(v0))))
        messages.append(f"{' and '.join(model.quadrature_parts)} by quadrature (error estimate of B(v) - B(v0) <= {extras['quadrature_error']:.1e})")
    if model.has_attention is False:
        p = None
    return Trajectory(times, u, v, p, "closed", message="; ".join(messages), time_error=errors, extras=extras)


@dataclass
class Phase:
    """A closed-form evaluation at every requested time in one coordinate, with its error estimate.

    ``excess`` per point: the estimated error of u, v and p relative to ``ACCURACY * max(1, |value|)``
    (the largest of the three; ``inf`` where the phase gives no value, ``reasons`` then says why).
    """

    name: str
    u: np.ndarray
    v: np.ndarray
    p: np.ndarray
    s: np.ndarray
    time_error: np.ndarray  # the quadrature's estimate (the trajectory's ``time_error``)
    excess: np.ndarray
    reasons: dict
    overflow: dict
    message: str = ""
    focus_rounding: float = 0.0
    edges: tuple = ()  # (t, s, u, quadrature error, rounding's time error) at the grid's edges, for a phase continuing from it


def _excess(model: ReducedModel, u, v, time_error, u_error, v_error):
    """The printed numbers' error estimates relative to the accuracy: rates times the time error plus the rest."""
    with np.errstate(all="ignore"):
        du, dv = (np.abs(np.asarray(x, dtype=float)) for x in model.flow(u, v))
        du_total = du * time_error + u_error
        dv_total = dv * time_error + v_error
        ratios = [du_total / np.maximum(1.0, np.abs(u)), dv_total / np.maximum(1.0, np.abs(v))]
        if model.has_attention:
            p, q = model.attention(u)
            ratios.append(p * q * du_total)
        excess = np.max(ratios, axis=0) / ACCURACY
    return np.where(np.isfinite(excess), excess, np.inf)


def _propagated(grid_t, relative_noise):
    """Cumulative time error from a relative error of dt/ds at the grid's edges: the sum of each panel's time times it.

    A relative error not known or above 1 (dt/ds so sensitive that the rounding could change its sign, e.g. at the
    margin's limit) counts as 1: the panel's time is uncertain by its own size.
    """
    relative = np.where(relative_noise <= 1, relative_noise, 1.0)
    return np.concatenate([[0.0], np.cumsum(np.diff(grid_t) * np.maximum(relative[:-1], relative[1:]))])


def _panel_of(grid_t, times):
    return np.clip(np.searchsorted(grid_t, times, side="left"), 0, len(grid_t) - 1)


def margin_phase(model: ReducedModel, anchor, times) -> Phase:
    r"""The closed form in the margin coordinate :math:`s`: :math:`u = U(v(s))`, :math:`t(s)` by quadrature.

    Error estimate per point: the quadrature's, plus the time error from the rounding of
    :math:`B(v) - B(v_0)` (it moves :math:`u`, hence :math:`dt/ds`, at every node: the sum over the panels
    of their time times :math:`|\partial_u \log(dt/ds)|\,\delta u`), times the rates; plus :math:`\delta u`
    itself and the resolution of :math:`s` (half its spacing, through :math:`du/ds`, :math:`dv/ds`).
    """
    side = anchor.side
    n = times.size
    grid = time_grid(lambda s: model.time_integrand(s, anchor), anchor.s0, float(times[-1]))
    reachable = times <= grid.t[-1]
    coordinates = np.full(n, grid.s[-1])
    quadrature = np.full(n, grid.error[-1])
    coordinates[reachable], quadrature[reachable] = invert_times(None, grid, times[reachable])
    reasons, overflow, message = {}, {}, ""
    excess_floor = np.zeros(n)
    frozen = np.where(reachable, 0.0, times - grid.t[-1])  # time the state is taken to rest at the grid's end
    if not np.all(reachable):
        first = int(np.argmin(reachable))
        if grid.end != "pinned":
            why = "the time scale needs too many quadrature panels" if grid.end == "too long" else "dt/ds is not finite"
            for k in range(first, n):
                reasons[k], overflow[k] = f"{why} near s = {grid.s[-1]} (t = {grid.t[-1]:g})", True
            excess_floor[first:] = np.inf
        else:
            message = (f"from t = {grid.t[-1]:g} on the state moves less than the rounding of its coordinates "
                       "(at its limit, or too slowly); later times repeat it")
    with np.errstate(all="ignore"):
        v = np.asarray(model.margin_of_coordinate(coordinates, side), dtype=float)
        u, p, _ = model.focus_at(anchor, coordinates)
        u, p = np.asarray(u, dtype=float), (None if p is None else np.asarray(p, dtype=float))
        edge_u = np.asarray(model.focus_at(anchor, grid.s)[0], dtype=float)
        rounding = model.focus_rounding(anchor, coordinates, u)
        edge_rounding = model.focus_rounding(anchor, grid.s, edge_u)
        step = _difference_step(edge_u, edge_rounding)
        sensitivity = _log_slope(lambda x: model.time_integrand_at(model._state(x), grid.s, side), edge_u, step)
        noise = _propagated(grid.t, sensitivity * edge_rounding)
        panel = _panel_of(grid.t, np.minimum(times, grid.t[-1]))
        time_error = quadrature + noise[panel] + frozen
        g = model.time_integrand(coordinates, anchor)
        du, dv = (np.abs(np.asarray(x, dtype=float)) for x in model.flow(u, v))
        resolution = np.spacing(np.abs(coordinates)) / 2 * g
        excess = np.maximum(_excess(model, u, v, time_error, rounding + du * resolution, dv * resolution), excess_floor)
    bad = ~(np.isfinite(u) & np.isfinite(v))
    for k in np.nonzero(bad & (excess_floor == 0))[0]:
        reasons[int(k)], overflow[int(k)] = "u or v not representable", True
    excess[bad] = np.inf
    coarse = ~(rounding <= RESOLUTION * np.maximum(1.0, np.abs(u))) & ~bad
    for k in np.nonzero(coarse)[0]:
        reasons[int(k)] = (f"rounding in B(v) - B(v0) moves u by about {rounding[k]:.1e} "
                           "(alpha/beta or the start make B(v) huge): use the ode method")
    excess[coarse] = np.inf
    return Phase("margin", u, v, p if p is not None else np.full(n, np.nan), coordinates, quadrature, excess, reasons, overflow,
                 message, float(np.max(np.where(np.isfinite(rounding), rounding, 0.0), initial=0.0)),
                 (grid.t, grid.s, edge_u, grid.error, noise))


def focus_phase(model: ReducedModel, anchor, times, margin: Phase) -> Phase | None:
    r"""The closed form with :math:`u` as the coordinate, from where u last turns on the margin phase's grid.

    Where the margin barely moves (it can move by a few roundings of :math:`v` while :math:`u` crosses
    its whole range) :math:`t(u) = t_w + \int_{u_w}^{u} du/\dot u(u, V(u))`, with :math:`V(u)` from
    :math:`B(v) - B(v_0) = A(u) - A(u_0)` (:meth:`~trajectories.model.ReducedModel.coordinate_of_focus`):
    :math:`u` carries no rounding of :math:`B`, and the quadrature nodes resolve it. Error estimate per point:
    the time error at the switch and of the quadrature, plus the time error from the rounding of
    :math:`s(u)` through :math:`|\partial_s \log(dt/du)|`, times the rates; plus the spacing of u and
    :math:`\delta s\, dv/ds`. ``None`` when u does not move on the margin phase's grid.
    """
    grid_t, grid_s, grid_u, grid_error, grid_noise = margin.edges
    steps = np.diff(grid_u)
    with np.errstate(all="ignore"):
        noise = model.focus_rounding(anchor, grid_s, grid_u)
    moving = np.abs(steps) > 2 * np.maximum(noise[:-1], noise[1:])
    if not np.any(moving):
        return None
    signs = np.sign(steps[moving])
    direction = float(signs[-1])
    turns = np.nonzero(signs != direction)[0]
    w = 0 if turns.size == 0 else int(np.nonzero(moving)[0][turns[-1]] + 1)
    t_w, u_w, error_w, noise_w = float(grid_t[w]), float(grid_u[w]), float(grid_error[w]), float(grid_noise[w])
    tail_u, tail_s = direction * grid_u[w:], grid_s[w:]
    order = np.argsort(tail_u, kind="stable")
    side = anchor.side

    def coordinate(u):
        guess = np.interp(direction * u, tail_u[order], tail_s[order])
        return model.coordinate_of_focus(anchor, u, guess)

    def integrand_at(u, s):
        with np.errstate(all="ignore"):
            rate = np.asarray(model.flow(u, model.margin_of_coordinate(s, side))[0], dtype=float)
            return 1 / (direction * rate)

    def integrand(y):
        u = direction * np.asarray(y, dtype=float)
        return integrand_at(u, coordinate(u))

    n = times.size
    later = times >= t_w
    horizon = float(times[-1]) - t_w
    grid = time_grid(integrand, direction * u_w, horizon if horizon > 0 else 0.0)
    reach = later & (times - t_w <= grid.t[-1])
    y = np.full(n, np.nan)
    quadrature = np.full(n, np.inf)
    y[reach], quadrature[reach] = invert_times(None, grid, times[reach] - t_w)
    u = direction * y
    with np.errstate(all="ignore"):
        s = np.full(n, np.nan)
        s[reach] = coordinate(u[reach])
        v = np.asarray(model.margin_of_coordinate(s, side), dtype=float)
        edge_u = direction * grid.s
        edge_s = coordinate(edge_u)
        slope = np.abs(model.focus_slope(edge_u) * np.asarray(model.flow(edge_u, model.margin_of_coordinate(edge_s, side))[0])
                       * model.time_integrand_at(model._state(edge_u), edge_s, side))
        edge_ds = model.margin_rounding(anchor, edge_s) / slope + np.spacing(np.abs(edge_s))
        step = _difference_step(edge_s, edge_ds)
        sensitivity = _log_slope(lambda x: integrand_at(edge_u, x), edge_s, step)
        noise = _propagated(grid.t, sensitivity * edge_ds)
        panel = _panel_of(grid.t, np.clip(times - t_w, 0.0, grid.t[-1]))
        time_error = error_w + noise_w + quadrature + noise[panel]
        point_slope = np.abs(model.focus_slope(u) * np.asarray(model.flow(u, v)[0]) * model.time_integrand_at(model._state(u), s, side))
        ds = model.margin_rounding(anchor, s) / point_slope + np.spacing(np.abs(s))
        dv_ds = np.abs(np.asarray(model.flow(u, v)[1])) * model.time_integrand_at(model._state(u), s, side)
        excess = _excess(model, u, v, time_error, np.spacing(np.abs(u)), dv_ds * ds)
        p = model.attention(u)[0] if model.has_attention else np.full(n, np.nan)
    excess[~reach] = np.inf
    reasons = {int(k): f"before the focus coordinate's start at t = {t_w:g}" for k in np.nonzero(~later)[0]}
    reasons.update({int(k): f"the focus coordinate's time grid ends at t = {t_w + grid.t[-1]:g} ({grid.end})"
                    for k in np.nonzero(later & ~reach)[0]})
    return Phase("focus", u, v, p, s, error_w + quadrature, excess, reasons, {})


DIFFERENCE_STEP = 1e-7  # largest finite-difference step (relative to max(1, |x|)) for a sensitivity of dt/ds ...
DIFFERENCE_FACTOR = 1e3  # ... and at most this many times the rounding it is multiplied by (the linearisation's range)


def _difference_step(x, rounding):
    """A step for :func:`_log_slope`: small enough that the linearisation over the rounding holds, above x's spacing."""
    scale = np.maximum(1.0, np.abs(x))
    return np.maximum(np.minimum(DIFFERENCE_STEP * scale, DIFFERENCE_FACTOR * rounding), 64 * np.spacing(scale))


def _log_slope(function, x, step):
    r""":math:`|\partial_x \log f|` by a central difference (``inf`` where f is not finite and positive)."""
    with np.errstate(all="ignore"):
        up, down = np.asarray(function(x + step), dtype=float), np.asarray(function(x - step), dtype=float)
        value = np.abs(np.log(up) - np.log(down)) / (2 * step)
    return np.where(np.isfinite(value), value, np.inf)


def _refused(status: Status, why: str) -> Trajectory:
    empty = np.full(0, np.nan)
    return Trajectory(empty, empty, empty, empty, "closed", status, why)


def _overflow(times, k, why) -> Trajectory:
    empty = np.full(0, np.nan)
    return Trajectory(times[:0], empty, empty, empty, "closed", Status.OVERFLOW, f"stopped at t = {times[k]:g}: {why}")
