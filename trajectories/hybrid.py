r"""Hybrid training: soft attention first, then hard attention or LVML; and loss mixtures.

- :class:`Switch`: soft until a time :math:`\tau` or until attention reaches
  :math:`p_s`, then ``hard`` or ``lvml``. Piecewise closed form: each phase is a
  closed-form trajectory, time by quadrature.
- :func:`mixture_trajectory`: :math:`\lambda L_{\mathrm{soft}} + (1 - \lambda) L_{\mathrm{hard}}`,
  :math:`\lambda` constant or a schedule :math:`\lambda(t)`; numeric (``solve_ivp``),
  since the mixed flow has no separable first integral (:func:`mixture_first_integral`
  asks the engine and reports what it says).
- :func:`best_switch`: the :math:`p_s` minimising the time to reach a target
  attention, by a grid scan then bounded 1-D minimisation over the closed forms.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

from analytic.errors import BadInput, NotAvailable, NotResolved
from analytic.paradigms import FIRST_STAGE, PAPER_AFTER, PAPER_PARADIGMS, check_paradigm

from .checks import MAX_POINTS, count, finite, horizon, nonnegative, positive
from .closed import closed_trajectory
from .choices import Switch, check_after, check_targets, number_label, parse_switch  # noqa: F401 (re-exported)
from .milestones import CLOSED_FORM, Milestone, milestones
from .model import Setting, check_setting, reduced_model, setting_derivation
from .result import Status, Trajectory

SWITCH_GRID = 48  # coarse scan of p_s before the bounded minimisation
SWITCH_XATOL = 1e-6


def _phase_models(setting: Setting, after: str):
    return reduced_model(dataclasses.replace(setting, paradigm=FIRST_STAGE)), reduced_model(dataclasses.replace(setting, paradigm=after))


def switch_state(setting: Setting, switch: Switch, u0: float, v0: float):
    """``(t_s, u_s, v_s)`` at the switch, or ``None`` if soft attention never reaches p_s."""
    setting, switch, u0, v0 = check_setting(setting), _check_switch(switch), finite(u0, "u0"), finite(v0, "v0")
    state, _ = _switch_state(setting, switch, u0, v0)
    return state


def _switch_state(setting: Setting, switch: Switch, u0: float, v0: float):
    """:func:`switch_state` and how it was found (``"closed form"`` or the milestone's fallback method)."""
    soft, _ = _phase_models(setting, switch.after)
    if switch.attention is not None:
        reached = milestones(soft, u0, v0, [switch.attention], np.inf)[0]  # raises when not resolved
        if not reached.reachable:
            return None, CLOSED_FORM
        return (reached.time_any, *reached.state), reached.method
    if switch.time == 0:
        return (0.0, u0, v0), CLOSED_FORM
    run = closed_trajectory(soft, u0, v0, switch.time, 2, fallback=True)
    if not run.ok:
        raise NotResolved(f"soft phase could not be evaluated: {run.message}")
    return (switch.time, float(run.u[-1]), float(run.v[-1])), CLOSED_FORM if run.method == "closed" else run.method


def _check_switch(switch) -> Switch:
    if not isinstance(switch, Switch):
        raise TypeError(f"`switch` must be a Switch (e.g. parse_switch('soft:hard@p=0.5')), got {type(switch).__name__}")
    return switch


def hybrid_milestones(setting: Setting, switch: Switch, u0: float, v0: float, targets, t_max: float) -> list[Milestone]:
    """Milestones of the switched hybrid (each phase from its closed form, or its log-time fallback: ``method`` says
    which). A phase whose time cannot be resolved is a one-line ``NotResolved``."""
    setting, switch, u0, v0 = check_setting(setting), _check_switch(switch), finite(u0, "u0"), finite(v0, "v0")
    targets, t_max = check_targets(targets), horizon(t_max, "t_max")
    soft, after = _phase_models(setting, switch.after)
    state, switch_method = _switch_state(setting, switch, u0, v0)
    if state is None:
        return milestones(soft, u0, v0, targets, t_max)  # soft never reaches p_s: the hybrid is soft throughout
    t_s, u_s, v_s = state
    # first-passage times increase with the target, so the targets reached before the switch are a
    # prefix; with a switch at p_s only targets <= p_s can be among them (no need to follow soft further)
    candidates = targets if switch.attention is None else [x for x in targets if x <= switch.attention]
    soft_times = milestones(soft, u0, v0, candidates, t_max) if candidates else []
    results = [m for m in soft_times if m.time_any is not None and m.time_any <= t_s]
    remaining = targets[len(results):]
    for target, second in zip(remaining, milestones(after, u_s, v_s, remaining, t_max) if remaining else []):
        if not second.reachable:
            results.append(Milestone(target, None, None, t_max, False, 0.0, None))
            continue
        total = t_s + second.time_any
        method = second.method if switch_method == CLOSED_FORM else switch_method
        results.append(Milestone(target, total if total <= t_max else None, total, t_max, True, second.error, second.state, method))
    return results


@dataclass(frozen=True)
class BestSwitch:
    """The switch level p_s minimising the time to reach ``target`` (``None`` fields: never reached)."""

    target: float
    after: str
    attention: float
    time: float
    soft_time: float | None
    hard_time: float | None
    lvml_time: float | None


def best_switch(setting: Setting, target: float, after: str = PAPER_AFTER, u0: float = 0.0, v0: float = 0.0) -> BestSwitch:
    """Minimise the hybrid's time to ``target`` over the switch level p_s in [p(u0), target].

    p_s = p(u0) means switching at once (pure ``after``); p_s = target, pure soft.
    """
    setting, target = check_setting(setting), check_targets([target])[0]
    return _best_switch(setting, target, check_after(after), finite(u0, "u0"), finite(v0, "v0"))


@functools.lru_cache(maxsize=32)  # the result is immutable; reproduce and the figures ask for the same one
def _best_switch(setting: Setting, target: float, after: str, u0: float, v0: float) -> BestSwitch:
    soft, _ = _phase_models(setting, after)
    start_attention = float(soft.attention(u0)[0])
    if start_attention >= target:
        raise BadInput(f"`target` {target} is already reached at the start (p = {start_attention:.4g})")

    def pure(paradigm):
        milestone = milestones(reduced_model(dataclasses.replace(setting, paradigm=paradigm)), u0, v0, [target], np.inf)[0]
        return milestone.time_any

    def total(level):
        reached = hybrid_milestones(setting, Switch(after, attention=float(level)), u0, v0, [target], np.inf)[0]
        return np.inf if reached.time_any is None else reached.time_any

    # the grid includes p_s = p(u0) (switch at once: pure `after`) and p_s = target (pure soft)
    grid = np.linspace(start_attention, target, SWITCH_GRID + 1)
    values = _batched_totals(setting, after, grid, target, u0, v0)
    if values is None:
        values = np.array([total(level) for level in grid])
    k = int(np.argmin(values))
    bounds = (grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)])
    refined = minimize_scalar(total, bounds=bounds, method="bounded", options={"xatol": SWITCH_XATOL})
    level, time = (float(refined.x), float(refined.fun)) if refined.fun < values[k] else (float(grid[k]), float(values[k]))
    if not np.isfinite(time):
        raise NotAvailable(f"`target` {number_label(target)} is never reached from `u0` = {u0:g}, `v0` = {v0:g} at any switch level: "
                         "the attention's limit stays below it", Status.UNREACHABLE)
    return BestSwitch(target, after, level, time, *(pure(name) for name in PAPER_PARADIGMS))


def _batched_totals(setting: Setting, after: str, levels: np.ndarray, target: float, u0: float, v0: float):
    """Hybrid times to ``target`` for every switch level at once (:mod:`trajectories.sweep`), or ``None``
    when the batched closed form does not apply to this model.

    The soft phase's milestones at all levels come from one trajectory; the ``after`` phases
    start from each level's state, one setting per level, in one vectorised call. A time the
    closed form cannot resolve (any phase, any level) is a one-line ``NotResolved``: the
    optimum could lie there.
    """
    from .sweep import REASONS, BatchModel, Outcome, sweep_milestones

    numbers = (setting.segments, setting.classes, setting.alpha, setting.beta)
    try:
        soft = BatchModel(dataclasses.replace(setting, paradigm=FIRST_STAGE), *([float(x)] for x in numbers))
        second = BatchModel(dataclasses.replace(setting, paradigm=after), *([float(x)] * len(levels) for x in numbers))
    except NotAvailable:  # the batched engine cannot run this model (said by BatchModel)
        return None
    inner = levels[1:-1]  # p(u0) is the start itself and the target is pure soft: both handled below
    first = sweep_milestones(soft, u0, v0, [*inner, target])
    _refuse_unresolved(first.outcome[0], [*inner, target], FIRST_STAGE, target, u0, v0, REASONS, Outcome)
    reached = first.outcome[0, :-1] == Outcome.REACHED
    totals = np.full(len(levels), np.inf)
    starts_u = np.concatenate([[u0], np.where(reached, first.u[0, :-1], u0)])
    starts_v = np.concatenate([[v0], np.where(reached, first.v[0, :-1], v0)])
    switch_times = np.concatenate([[0.0], np.where(reached, first.time[0, :-1], np.inf)])
    rest = sweep_milestones(second.subset(np.arange(len(levels) - 1)), starts_u, starts_v, [target])
    _refuse_unresolved(rest.outcome[:, 0], [target] * (len(levels) - 1), after, target, u0, v0, REASONS, Outcome)
    done = (rest.outcome[:, 0] == Outcome.REACHED) & np.isfinite(switch_times)
    totals[:-1] = np.where(done, switch_times + rest.time[:, 0], np.inf)
    totals[-1] = first.time[0, -1] if first.outcome[0, -1] == Outcome.REACHED else np.inf
    return totals


def _refuse_unresolved(outcomes, levels, paradigm: str, target: float, u0: float, v0: float, reasons, outcome) -> None:
    """A one-line :class:`~analytic.errors.NotResolved` for the first time the closed form could not resolve."""
    for level, found in zip(levels, outcomes):
        if found in (outcome.UNRESOLVED, outcome.NOT_FINITE):
            raise NotResolved(f"`target` {number_label(target)}: the best switch cannot be found from `u0` = {u0:g}, `v0` = {v0:g}: "
                             f"{check_paradigm(paradigm).spoken}'s time to p = {number_label(level) if level == target else f'{level:.4g}'} is {reasons[outcome(found)]}")


# --- mixtures -----------------------------------------------------------------------
def mixture_trajectory(
    setting: Setting,
    weight,
    u0: float,
    v0: float,
    t_end: float,
    points: int = 101,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> Trajectory:
    r"""Gradient flow of :math:`\lambda L_{\mathrm{soft}} + (1 - \lambda) L_{\mathrm{hard}}`.

    ``weight`` is :math:`\lambda \in [0, 1]` or a function :math:`t \mapsto \lambda(t)`.
    The flow is linear in the loss, so it is :math:`\lambda F_{\mathrm{soft}} + (1-\lambda) F_{\mathrm{hard}}`.
    """
    schedule, setting = _schedule(weight), check_setting(setting)
    u0, v0, t_end = finite(u0, "u0"), finite(v0, "v0"), positive(t_end, "t_end")
    points = count(points, "points", maximum=MAX_POINTS)
    soft = reduced_model(dataclasses.replace(setting, paradigm=FIRST_STAGE))
    hard = reduced_model(dataclasses.replace(setting, paradigm=PAPER_AFTER))

    def rhs(t, y):
        lam = schedule(t)
        a, b = soft.flow(y[0], y[1]), hard.flow(y[0], y[1])
        return [float(lam * a[0] + (1 - lam) * b[0]), float(lam * a[1] + (1 - lam) * b[1])]

    times = np.linspace(0.0, t_end, points)
    solution = solve_ivp(rhs, (0.0, t_end), [u0, v0], method="LSODA", t_eval=times, rtol=rtol, atol=atol, dense_output=True)
    u, v = solution.y
    status = Status.OK if solution.success else Status.FAILED
    return Trajectory(solution.t, u, v, soft.attention(u)[0], "mixture", status, solution.message, extras={"dense": solution.sol})


def _schedule(weight):
    if callable(weight):
        return weight
    lam = nonnegative(weight, "lambda")
    if lam > 1:
        raise BadInput(f"`lambda` must lie in [0, 1], got {weight!r}")
    return lambda _: lam


def mixture_first_integral(setting: Setting, weight: float):
    """Ask the engine for a first integral of the mixed loss (constant ``weight``)."""
    import sympy as sp

    from analytic import derive_custom

    lam = sp.nsimplify(_schedule(weight)(0.0))
    soft = setting_derivation(setting.with_paradigm(FIRST_STAGE))
    hard = setting_derivation(setting.with_paradigm(PAPER_AFTER))
    mixed = lam * soft.loss_expr + (1 - lam) * hard.loss_expr
    return derive_custom(mixed, alpha=soft.alpha, beta=soft.beta, budget=20.0)
