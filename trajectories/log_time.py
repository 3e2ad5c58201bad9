r"""Milestone times by integrating the flow in log time: the fallback where the closed form cannot resolve them.

With :math:`t_c = 1/\sqrt{\alpha\beta}` (where the motion starts from a symmetric
start: :math:`v \sim \beta t`, :math:`u \sim \alpha\beta t^2`) and

.. math:: \tau = \log(1 + t/t_c), \qquad \frac{dy}{d\tau} = (t_c + t)\, f(y) = t_c e^{\tau} f(y),

one LSODA run spans :math:`t` from :math:`10^{-12} t_c` to :math:`10^{300}` with
steps that follow the time scale. The error weights are absolute :data:`ATOL_FACTOR`
times ``rtol`` in :math:`u` (the targets are levels :math:`u^* = o + \operatorname{logit} p^*`
of order one) and the same times :math:`\min(1, \sqrt{\beta/\alpha})` in :math:`v`
(the margin's scale while the focus moves, at large :math:`\alpha/\beta`), relative
above them. Each first passage :math:`u = u^*` is located on the solver's dense output.

A time is reported only when two runs, at ``rtol`` :data:`RTOL` and
:data:`CHECK_RTOL`, both find it and agree to :data:`AGREEMENT` (relative): the
difference bounds the error of the coarser run. Otherwise, and when a run fails, needs
more than :data:`MAX_STEPS` steps (a flow whose rates are rounding noise, e.g. hard
attention's :math:`\ell(v) - \ell(0)` at :math:`v \sim 10^{-10}`) or ends at
:data:`T_END` before the target, the time is not resolved and the reason says why.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.integrate import LSODA
from scipy.optimize import brentq

from analytic.errors import BadInput

from .checks import finite
from .choices import check_targets
from .model import ReducedModel, check_model
from .path_checks import path_defect
from .result import ACCURACY, Status, Trajectory

RTOL = 1e-12  # the run whose times are reported
CHECK_RTOL = 1e-9  # the run it is checked against
AGREEMENT = 1e-7  # relative difference of the two runs' times accepted (the closed form's own time tolerance)
ATOL_FACTOR = 0.1  # absolute error weight in u (and, scaled, in v), per unit of rtol
MAX_STEPS = 8_000  # LSODA steps per run (the runs that succeed over alpha/beta in 1e-50..1e50 and starts +-1e6 take at most ~4000)
MAX_TAU_STEP = 0.5  # no step skips more than a factor e^0.5 in t + t_c
T_END = 1e300  # how far the runs go (in t)
METHOD = "ODE (log time)"
METHOD_DETAIL = f"LSODA in tau = log(1 + t/t_c), rtol {RTOL:g}, checked against rtol {CHECK_RTOL:g} to {AGREEMENT:g}"


@dataclass(frozen=True)
class LogTimeTimes:
    """First times to each target by log-time integration.

    ``times[j]`` is ``None`` where the time is not resolved, with ``reasons[j]`` saying
    why (``None`` where it is resolved); ``states[j]`` the state (u, v) there;
    ``agreement`` the largest relative difference of the two runs over the resolved times.
    """

    targets: tuple
    times: tuple
    states: tuple
    reasons: tuple
    agreement: float


@dataclass(frozen=True)
class _Run:
    times: list  # per target: tau or None
    states: list
    stopped: str | None  # why the run ended before every target (None: all found)


def log_time_milestones(model: ReducedModel, u0: float, v0: float, targets) -> LogTimeTimes:
    """First times attention reaches each target, from two log-time LSODA runs (see the module docstring)."""
    if not check_model(model).has_attention:
        raise BadInput("a whole loss L(u, v) has no attention, so no attention milestones")
    u0, v0 = finite(u0, "u0"), finite(v0, "v0")
    targets = tuple(check_targets(targets))
    log_scale, v_scale = _scales(model)
    levels = [model.log_others + math.log(x / (1 - x)) for x in targets]
    fine = _run(model, u0, v0, levels, log_scale, v_scale, RTOL)
    coarse = fine if all(t is None for t in fine.times) else _run(model, u0, v0, levels, log_scale, v_scale, CHECK_RTOL)
    times, states, reasons, worst = [], [], [], 0.0
    for j, (tau, check) in enumerate(zip(fine.times, coarse.times)):
        time = None if tau is None else _time(tau, log_scale)
        other = None if check is None else _time(check, log_scale)
        if time is None or other is None:
            stopped = fine.stopped if time is None else coarse.stopped
            reasons.append(f"the log-time ODE did not reach it: {stopped}")
            time = None
        elif not math.isfinite(time):
            reasons.append("the log-time ODE's time leaves float64")
            time = None
        else:
            difference = abs(time - other) / time if time > 0 else abs(other)
            if difference > AGREEMENT:
                reasons.append(f"the log-time ODE runs at rtol {RTOL:g} and {CHECK_RTOL:g} differ by {difference:.1e} (relative)")
                time = None
            else:
                reasons.append(None)
                worst = max(worst, difference)
        times.append(time)
        states.append(fine.states[j] if time is not None else None)
    return LogTimeTimes(targets, tuple(times), tuple(states), tuple(reasons), worst)


def _time(tau: float, log_scale: float) -> float:
    """t = t_c (e^tau - 1), without overflowing t_c e^tau's factors."""
    if tau < 1.0:
        return math.exp(log_scale) * math.expm1(tau)
    try:
        return math.exp(log_scale + tau) * -math.expm1(-tau)
    except OverflowError:
        return math.inf


def _solver(model: ReducedModel, u0: float, v0: float, log_scale: float, v_scale: float, rtol: float, tau_end: float) -> LSODA:
    """LSODA on the flow in tau = log(1 + t/t_c), from (u0, v0) towards ``tau_end``."""
    flow, jacobian = model.scalar_flow, model.jacobian

    def rhs(tau, y):
        factor = math.exp(log_scale + tau)  # t_c + t
        du, dv = flow(y[0], y[1])
        return np.array([factor * du, factor * dv])

    def jac(tau, y):
        return math.exp(log_scale + tau) * jacobian(y[0], y[1])

    atol = [ATOL_FACTOR * rtol, ATOL_FACTOR * rtol * v_scale]
    return LSODA(rhs, 0.0, np.array([u0, v0]), tau_end, rtol=rtol, atol=atol, jac=jac, max_step=MAX_TAU_STEP)


def _scales(model: ReducedModel) -> tuple[float, float]:
    """log t_c and the margin's error scale min(1, sqrt(beta/alpha)) (see the module docstring)."""
    alpha, beta = float(model.alpha), float(model.beta)
    return -(math.log(alpha) + math.log(beta)) / 2, min(1.0, math.exp((math.log(beta) - math.log(alpha)) / 2))


def _tau(t: float, log_scale: float) -> float:
    """tau = log(1 + t/t_c), without overflowing t/t_c."""
    ratio = math.log(t) - log_scale if t > 0 else -math.inf
    return math.log1p(math.exp(ratio)) if ratio < 30 else ratio + math.log1p(math.exp(-ratio))


def _run(model: ReducedModel, u0: float, v0: float, levels, log_scale: float, v_scale: float, rtol: float) -> _Run:
    times = [0.0 if u0 >= level else None for level in levels]
    states = [(u0, v0) if u0 >= level else None for level in levels]
    if all(t is not None for t in times):
        return _Run(times, states, None)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # a failed run is reported in its reason; SciPy's warnings on the way there would only repeat it
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        solver = _solver(model, u0, v0, log_scale, v_scale, rtol, _tau(T_END, log_scale))
        previous = (u0, v0)
        for _ in range(MAX_STEPS):
            before = solver.t
            message = solver.step()
            if solver.status == "failed":
                return _Run(times, states, f"LSODA failed at t = {_time(before, log_scale):.3g} ({message})")
            if not np.all(np.isfinite(solver.y)):
                return _Run(times, states, f"the state left float64 at t = {_time(solver.t, log_scale):.3g}")
            defect = path_defect(model, [previous[0], solver.y[0]], [previous[1], solver.y[1]])
            if defect is not None:  # a step over a singularity of the loss: the flow ends there
                return _Run(times, states, defect[1])
            previous = (float(solver.y[0]), float(solver.y[1]))
            pending = [j for j, t in enumerate(times) if t is None and solver.y[0] >= levels[j]]
            if pending:
                dense = solver.dense_output()
                for j in pending:
                    tau = _crossing(dense, before, solver.t, levels[j])
                    if tau is None:
                        return _Run(times, states, f"the crossing of p = {_target_text(model, levels[j])} could not be located in its step")
                    times[j], states[j] = tau, (levels[j], float(dense(tau)[1]))
            if all(t is not None for t in times):
                return _Run(times, states, None)
            if solver.status == "finished":
                return _Run(times, states, f"not reached by t = {T_END:g}")
    return _Run(times, states, f"more than {MAX_STEPS} steps (the rates may be rounding noise here)")


def _crossing(dense, left: float, right: float, level: float) -> float | None:
    """The tau in [left, right] where the step's interpolant of u first rises through ``level``."""
    below, above = float(dense(left)[0]) - level, float(dense(right)[0]) - level
    if above < 0:
        return None
    if below >= 0:
        return left
    return brentq(lambda tau: float(dense(tau)[0]) - level, left, right, xtol=1e-300, rtol=4 * np.finfo(float).eps)


def _target_text(model: ReducedModel, level: float) -> str:
    return f"{1 / (1 + math.exp(model.log_others - level)):g}"


def log_time_trajectory(model: ReducedModel, u0: float, v0: float, times) -> Trajectory:
    """The state at each of ``times`` (increasing, >= 0) from two log-time LSODA runs (see the module docstring).

    The run at :data:`RTOL` is reported when the run at :data:`CHECK_RTOL` agrees with it in every
    printed number (u, v, p) to :data:`~trajectories.result.ACCURACY` (relative to max(1, |value|)):
    their difference bounds the coarser run's error. Otherwise the result has
    :attr:`~trajectories.result.Status.FAILED` and says why; ``method`` is :data:`METHOD`.
    """
    u0, v0 = finite(u0, "u0"), finite(v0, "v0")
    times = np.asarray(times, dtype=float)
    log_scale, v_scale = _scales(model)
    taus = np.array([_tau(float(t), log_scale) for t in times])
    fine = _states(model, u0, v0, taus, log_scale, v_scale, RTOL)
    coarse = fine if isinstance(fine, str) else _states(model, u0, v0, taus, log_scale, v_scale, CHECK_RTOL)
    for run in (fine, coarse):
        if isinstance(run, str):
            return _refused(f"the log-time ODE did not reach t = {times[-1]:g}: {run}")
    (u, v), (u_check, v_check) = fine, coarse
    defect = path_defect(model, u, v, times)
    if defect is not None:
        return _refused(f"the log-time ODE's path is no gradient-flow path: {defect[1]}")
    p = model.attention(u)[0] if model.has_attention else None
    quantities = [("u", u, u_check), ("v", v, v_check)]
    if p is not None:
        quantities.append(("p", p, model.attention(u_check)[0]))
    worst = 0.0
    for name, value, check in quantities:
        excess = np.abs(value - check) / (ACCURACY * np.maximum(1.0, np.abs(value)))
        k = int(np.argmax(excess))
        if not excess[k] <= 1:
            return _refused(f"the log-time ODE runs at rtol {RTOL:g} and {CHECK_RTOL:g} differ by {abs(value[k] - check[k]):.1e} "
                            f"in {name} at t = {times[k]:g}, more than the accuracy {ACCURACY:g}")
        worst = max(worst, float(excess[k]) * ACCURACY)
    detail = f"by {METHOD}: LSODA in tau = log(1 + t/t_c), rtol {RTOL:g}, checked against rtol {CHECK_RTOL:g} to {ACCURACY:g} in u, v, p"
    return Trajectory(times, u, v, p, METHOD, message=detail, extras={"agreement": worst})


def _refused(why: str) -> Trajectory:
    empty = np.full(0, np.nan)
    return Trajectory(empty, empty, empty, empty, METHOD, Status.FAILED, why)


def _states(model: ReducedModel, u0: float, v0: float, taus, log_scale: float, v_scale: float, rtol: float):
    """(u, v) arrays at ``taus`` from one run, or a string saying why the run stopped short."""
    u, v = np.full(taus.size, np.nan), np.full(taus.size, np.nan)
    at_start = taus <= 0
    u[at_start], v[at_start] = u0, v0
    done = int(np.sum(at_start))
    if done == taus.size:
        return u, v
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        solver = _solver(model, u0, v0, log_scale, v_scale, rtol, float(taus[-1]))
        for _ in range(MAX_STEPS):
            before = solver.t
            message = solver.step()
            if solver.status == "failed":
                return f"LSODA failed at t = {_time(before, log_scale):.3g} ({message})"
            if not np.all(np.isfinite(solver.y)):
                return f"the state left float64 at t = {_time(solver.t, log_scale):.3g}"
            passed = int(np.searchsorted(taus, solver.t, side="right"))
            if passed > done:
                dense = solver.dense_output()
                for j in range(done, passed):
                    u[j], v[j] = dense(float(taus[j]))
                done = passed
            if done == taus.size or solver.status == "finished":
                break
        else:
            return f"more than {MAX_STEPS} steps (the rates may be rounding noise here)"
    if done < taus.size:  # the last tau is the run's end: LSODA stops there exactly
        u[done:], v[done:] = solver.y
    return u, v
