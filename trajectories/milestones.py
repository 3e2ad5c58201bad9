r"""Attention milestones: when does the foreground attention first reach a target?

From the closed form: along a trajectory :math:`x(s) = u(s) - \log(T-1)` is
given by the first integral, and :math:`p = \sigma(x)` is increasing in
:math:`x`, so :math:`p = p^*` exactly when :math:`x = \log(p^*/(1-p^*))`. The
first :math:`s^*` with :math:`x(s^*) = x^*` is found by a scan and ``brentq``, and the times of
all targets come from one table of :math:`t(s) = \int_{s_0}^{s} (dt/ds)\,ds` on Gauss–Legendre
panels (:mod:`trajectories.timeline`). A target beyond the
attention's limit (soft attention stalls at :math:`p_\infty < 1` with the square
loss) is *unreachable*; a target reached after the horizon is reported with its
time but not as reached. A time the closed form cannot resolve in float64 (huge
:math:`\alpha/\beta`, extreme starts) comes from the log-time ODE
(:mod:`trajectories.log_time`) when two runs of it agree, or is reported as not
resolved with the reason. :func:`ode_milestones` gives the same times from
``solve_ivp`` event detection, for cross-checks.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from analytic.errors import BadInput, NotResolved
from analytic.setting import shown
from analytic.status import Status

from .checks import finite, horizon
from .choices import check_targets, number_label  # noqa: F401 (re-exported)
from .model import ReducedModel, check_model
from .path_checks import closed_path, moving_at_end, path_defect
from .ode import stable_max_step
from .timeline import time_grid, times_at
from .tuning import RESOLUTION, UNREACHABLE_RANGE


SCAN_POINTS = 4096
FIRST_STEP = 1.0  # initial width of the s-range searched for a crossing
EVENT_RTOL = 1e-12


CLOSED_FORM = "closed form"
CROSS_CHECK = 1e-6  # relative agreement required of the log-time ODE where the closed form has the time too
UNRESOLVED_CHOICES = ("raise", "flag")


@dataclass(frozen=True)
class Milestone:
    """The first time attention reaches ``target``.

    Attributes
    ----------
    target : the attention level.
    time : first time it is reached, or ``None`` if not within the horizon (or not resolved).
    time_any : the time even when beyond the horizon (``None`` if never reached or not resolved).
    horizon : the horizon the question was asked for.
    reachable : ``False`` when the attention's limit stays below the target; ``None`` when not resolved.
    error : error estimate of the time (quadrature, or the two log-time runs' difference).
    state : (u, v) when the target is reached (``None`` if never, or not resolved).
    method : how the time was found: ``"closed form"`` or ``"ODE (log time)"``.
    reason : why there is no time although one may exist (``None`` when the milestone is resolved).
    """

    target: float
    time: float | None
    time_any: float | None
    horizon: float
    reachable: bool | None
    error: float
    state: tuple | None
    method: str = CLOSED_FORM
    reason: str | None = None

    @property
    def resolved(self) -> bool:
        """Whether the milestone is known: a time (within the horizon or not) or never."""
        return self.reason is None

    @property
    def status(self) -> Status:
        """The shared status: ok (reached in time), beyond horizon, unreachable, or not resolved (``reason`` says why)."""
        if self.reason is not None:
            return Status.UNRESOLVED
        if self.time is not None:
            return Status.OK
        return Status.UNREACHABLE if self.reachable is False else Status.BEYOND_HORIZON


def _unresolved(target: float, t_max: float, reason: str, method: str = CLOSED_FORM) -> Milestone:
    return Milestone(target, None, None, t_max, None, math.nan, None, method, reason)


def milestones(model: ReducedModel, u0: float, v0: float, targets, t_max: float, *, unresolved: str = "raise",
               fallback: bool = True) -> list[Milestone]:
    """Milestone times for each target (see the module docstring).

    Models with the softmax focus part and B(v) in closed form (every built-in paradigm)
    go through the batched engine (:mod:`trajectories.sweep`), which checks each time
    against the rounding of the first integral at any rate ratio. A time the closed form
    cannot resolve is taken, with ``fallback``, from two log-time ODE runs that must agree
    (:func:`trajectories.log_time.log_time_milestones`; ``method`` says so), which must
    also agree with the closed form's own times to :data:`CROSS_CHECK`. The times of a
    row must not decrease with the target (first passages); a row out of order is not
    resolved. What is still not resolved is a one-line error naming the target
    and the reason (:class:`~analytic.errors.NotResolved`, ``unresolved="raise"``) or a :class:`Milestone` with its ``reason``
    (``unresolved="flag"``) -- never a number.
    """
    model, u0, v0, t_max = check_model(model), finite(u0, "u0"), finite(v0, "v0"), horizon(t_max, "t_max")
    targets = check_targets(targets)
    if not isinstance(unresolved, str) or unresolved not in UNRESOLVED_CHOICES:
        raise BadInput(f"`unresolved` must be raise or flag, got {shown(unresolved)}")
    if model.has_attention and not model.has_first_integral and fallback:
        # no closed form (e.g. a registered mixture paradigm): every time comes from the log-time ODE runs
        reason = f"no closed form ({model.derivation.message})"
        results = [_unresolved(target, t_max, reason) for target in targets]
    elif model.has_attention and model.compiled.softmax_focus and not model.quadrature_parts and model.setting.scheme.batched:
        results = _batched(model, u0, v0, targets, t_max)
    else:
        results = _scalar(model, u0, v0, targets, t_max)
    if model.has_first_integral:
        results = _checked_paths(model, u0, v0, t_max, results)
    if fallback and not all(m.resolved for m in results):
        results = _with_log_time(model, u0, v0, targets, t_max, results)
    results = _in_order(results, t_max)
    if unresolved == "raise":
        for m in results:
            if not m.resolved:
                raise NotResolved(f"{model.setting.paradigm_name} attention: cannot give the time to p = {number_label(m.target)}: {m.reason}")
    return results


def _scalar(model: ReducedModel, u0: float, v0: float, targets, t_max: float) -> list[Milestone]:
    """The scalar closed-form path (custom models): a scan and ``brentq`` per target, one time table."""
    anchor = model.anchor(u0, v0)
    side, s0 = anchor.side, anchor.s0
    if not np.isfinite(anchor.b0):
        raise NotResolved(f"B(v0) exceeds the float64 range at `v0` = {v0!r}: the closed form cannot start there")

    def level(s):
        """x = u - log(T - 1) along the trajectory; p = sigmoid(x) is increasing in it."""
        return model.focus_at(anchor, s)[0] - model.log_others

    def integrand(s):
        return float(model.time_integrand(s, anchor))

    crossings = [_first_crossing(level, integrand, s0, math.log(target / (1 - target)))[0] for target in targets]
    found = [c for c in crossings if c is not None]
    if found:
        grid = time_grid(lambda s: model.time_integrand(s, anchor), s0, s_end=max(found))
        times, errors = times_at(grid, found)
        if grid.s[-1] < max(found):
            raise NotResolved(f"dt/ds is not finite near s = {grid.s[-1]}: the milestone times cannot be integrated")
    results, k = [], 0
    for target, crossing in zip(targets, crossings):
        if crossing is None:
            results.append(Milestone(target, None, None, t_max, False, 0.0, None))
            continue
        time, error = float(times[k]), float(errors[k])
        k += 1
        v = float(model.margin_of_coordinate(crossing, side))
        u = float(model.focus_at(anchor, crossing)[0])
        rounding = float(model.focus_rounding(anchor, crossing, u))
        if not rounding <= RESOLUTION * max(1.0, abs(u)):
            results.append(_unresolved(target, t_max, f"the closed form cannot resolve it in float64 (rounding in B(v) - B(v0) "
                                                      f"moves u by about {rounding:.1e}; alpha/beta or the start make B(v) huge)"))
            continue
        results.append(Milestone(target, time if time <= t_max else None, time, t_max, True, error, (u, v)))
    return results


def _batched(model: ReducedModel, u0: float, v0: float, targets, t_max: float) -> list[Milestone]:
    from .sweep import REASONS, BatchModel, Outcome, sweep_milestones

    setting = model.setting
    one = BatchModel(setting, *([float(x)] for x in (setting.segments, setting.classes, setting.alpha, setting.beta)))
    found = sweep_milestones(one, u0, v0, targets)
    results = []
    for j, target in enumerate(targets):
        outcome = Outcome(found.outcome[0, j])
        if outcome == Outcome.UNREACHABLE:
            results.append(Milestone(target, None, None, t_max, False, 0.0, None))
        elif outcome == Outcome.REACHED:
            time = float(found.time[0, j])
            state = (float(found.u[0, j]), float(found.v[0, j]))
            results.append(Milestone(target, time if time <= t_max else None, time, t_max, True, float(found.error[0, j]), state))
        else:  # with no horizon here, "after the horizon" means the time left float64
            reason = "the time leaves float64" if outcome == Outcome.BEYOND_HORIZON else REASONS[outcome]
            results.append(_unresolved(target, t_max, f"closed form: {reason}"))
    return results


def _with_log_time(model: ReducedModel, u0: float, v0: float, targets, t_max: float, results: list[Milestone]) -> list[Milestone]:
    """The unresolved milestones from the log-time ODE where it resolves them and agrees with the closed form's times."""
    from .log_time import METHOD, log_time_milestones

    found = log_time_milestones(model, u0, v0, targets)
    for m, time in zip(results, found.times):
        if m.time_any is not None and time is not None and abs(time - m.time_any) > CROSS_CHECK * max(abs(m.time_any), 1e-300):
            disagreement = (f"the log-time ODE gives t = {time:.6g} for p = {number_label(m.target)} where the closed form gives "
                            f"{m.time_any:.6g}, so neither is used for the unresolved targets")
            return [m if m.resolved else _unresolved(m.target, t_max, f"{m.reason}; {disagreement}") for m in results]
    out = []
    for m, time, state, reason in zip(results, found.times, found.states, found.reasons):
        if m.resolved:
            out.append(m)
        elif time is None:
            out.append(_unresolved(m.target, t_max, f"{m.reason}; {reason}"))
        else:
            out.append(Milestone(m.target, time if time <= t_max else None, time, t_max, True, found.agreement * time, state, METHOD))
    return out


def _in_order(results: list[Milestone], t_max: float) -> list[Milestone]:
    """First-passage times cannot decrease with the target: a row out of order is not resolved at all."""
    known = [m for m in results if m.time_any is not None]
    for earlier, later in zip(known, known[1:]):
        if later.time_any < earlier.time_any:
            why = (f"times out of order (p = {number_label(later.target)} at t = {later.time_any:.6g} before p = {number_label(earlier.target)} "
                   f"at t = {earlier.time_any:.6g}), so none is trusted")
            return [_unresolved(m.target, t_max, why, m.method) for m in results]
    never = [m.target for m in results if m.reachable is False]
    if never and any(m.time_any is not None and m.target > never[0] for m in results):
        why = f"p = {number_label(never[0])} is never reached but a higher target is, so none is trusted"
        return [_unresolved(m.target, t_max, why, m.method) for m in results]
    return results


def _checked_paths(model: ReducedModel, u0: float, v0: float, t_max: float, results: list[Milestone]) -> list[Milestone]:
    """The closed form's milestones, with those it cannot back not resolved: a time past a singularity of the loss
    on the path (:func:`~trajectories.path_checks.path_defect`), or a "never" whose scan ended where the flow is
    not at rest (:func:`~trajectories.path_checks.moving_at_end`) -- a claim needs its reason."""
    anchor = model.anchor(u0, v0)
    if not np.isfinite(anchor.b0):
        return results
    with np.errstate(all="ignore"):
        ends = {j: float(model.coordinate_of_margin(m.state[1], anchor.side)) for j, m in enumerate(results) if m.state is not None}

    def level(s):
        return model.focus_at(anchor, s)[0] - model.log_others

    def integrand(s):
        return float(model.time_integrand(s, anchor))

    for j, m in enumerate(results):
        if m.reachable is False:
            ends[j] = _first_crossing(level, integrand, anchor.s0, math.log(m.target / (1 - m.target)))[1]
    if not ends or not all(np.isfinite(list(ends.values()))):
        return results
    s_end = max(ends.values())
    s, u, v = closed_path(model, anchor, s_end)
    found = path_defect(model, u, v)
    trusted = np.inf if found is None else (s[found[0]] if found[0] >= 0 else -np.inf)
    checked = list(results)
    for j, end in ends.items():
        doubt = found[1] if end > trusted or (found is not None and results[j].reachable is False) else None
        if doubt is None and results[j].reachable is False:
            doubt = moving_at_end(model, u[s <= end], v[s <= end])
        if doubt is not None:
            checked[j] = _unresolved(results[j].target, t_max, f"closed form: {doubt}")
    return checked


def _usable(integrand, s) -> bool:
    value = integrand(s)
    return bool(np.isfinite(value) and value > 0)


def _first_crossing(level, integrand, s0: float, goal: float) -> tuple[float | None, float]:
    """The first s >= s0 with level(s) = goal (``None`` if it is never reached), and the largest s scanned."""
    if level(s0) >= goal:
        return s0, s0
    width = FIRST_STEP
    upper = s0
    while width <= UNREACHABLE_RANGE:
        upper = s0 + width
        if not _usable(integrand, upper):
            upper = _last_usable(integrand, s0, upper)
            return _scan(level, s0, upper, goal), upper
        crossing = _scan(level, s0, upper, goal)
        if crossing is not None:
            return crossing, crossing
        width *= 2
    return None, upper


def _last_usable(integrand, lo: float, hi: float) -> float:
    """Bisect for the end of the range where dt/ds is finite and positive (the margin's limit)."""
    for _ in range(200):
        middle = (lo + hi) / 2
        if middle in (lo, hi):
            break
        if _usable(integrand, middle):
            lo = middle
        else:
            hi = middle
    return lo


def _scan(level, lo: float, hi: float, goal: float) -> float | None:
    grid = np.linspace(lo, hi, SCAN_POINTS)
    values = level(grid) - goal
    above = np.nonzero(values >= 0)[0]
    if above.size == 0:
        return None
    k = int(above[0])
    if k == 0:
        return float(grid[0])
    return brentq(lambda s: float(level(s)) - goal, grid[k - 1], grid[k], xtol=1e-15, rtol=4 * np.finfo(float).eps)


def ode_milestones(model: ReducedModel, u0: float, v0: float, targets, t_max: float) -> list[float | None]:
    """Milestone times from ``solve_ivp`` (LSODA, rtol 1e-12) with event detection."""
    model, u0, v0, t_max = check_model(model), finite(u0, "u0"), finite(v0, "v0"), horizon(t_max, "t_max")
    targets = check_targets(targets)
    levels = [model.log_others + math.log(x / (1 - x)) for x in targets]  # u* with p(u*) = target

    def rhs(_, y):
        du, dv = model.flow(y[0], y[1])
        return [float(du), float(dv)]

    events = []
    for u_star in levels:
        def event(_, y, u_star=u_star):
            return y[0] - u_star

        event.direction = 1
        events.append(event)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # a run that fails finds no later crossing: the check it serves then fails, saying by how much
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        solution = solve_ivp(
            rhs, (0.0, t_max), [u0, v0], method="LSODA", rtol=EVENT_RTOL, atol=1e-14, events=events,
            jac=lambda _, y: model.jacobian(y[0], y[1]), max_step=stable_max_step(model),
        )
    times = []
    for u_star, crossings in zip(levels, solution.t_events):
        if u0 >= u_star:
            times.append(0.0)
        else:
            times.append(float(crossings[0]) if crossings.size else None)
    return times
