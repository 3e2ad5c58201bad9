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

from .checks import finite
from .choices import check_targets
from .model import ReducedModel, check_model
from .path_checks import path_defect

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
        raise ValueError("a whole loss L(u, v) has no attention, so no attention milestones")
    u0, v0 = finite(u0, "u0"), finite(v0, "v0")
    targets = tuple(check_targets(targets))
    alpha, beta = float(model.alpha), float(model.beta)
    log_scale = -(math.log(alpha) + math.log(beta)) / 2  # log t_c
    levels = [model.log_others + math.log(x / (1 - x)) for x in targets]
    v_scale = min(1.0, math.exp((math.log(beta) - math.log(alpha)) / 2))
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


def _run(model: ReducedModel, u0: float, v0: float, levels, log_scale: float, v_scale: float, rtol: float) -> _Run:
    flow, jacobian = model.scalar_flow, model.jacobian
    tau_end = math.log(T_END) - log_scale
    tau_end = math.log1p(math.exp(tau_end)) if tau_end < 30 else tau_end  # log(1 + T_END/t_c)

    def rhs(tau, y):
        factor = math.exp(log_scale + tau)  # t_c + t
        du, dv = flow(y[0], y[1])
        return np.array([factor * du, factor * dv])

    def jac(tau, y):
        return math.exp(log_scale + tau) * jacobian(y[0], y[1])

    times = [0.0 if u0 >= level else None for level in levels]
    states = [(u0, v0) if u0 >= level else None for level in levels]
    if all(t is not None for t in times):
        return _Run(times, states, None)
    atol = [ATOL_FACTOR * rtol, ATOL_FACTOR * rtol * v_scale]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        # a failed run is reported in its reason; SciPy's warnings on the way there would only repeat it
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        solver = LSODA(rhs, 0.0, np.array([u0, v0]), tau_end, rtol=rtol, atol=atol, jac=jac, max_step=MAX_TAU_STEP)
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
