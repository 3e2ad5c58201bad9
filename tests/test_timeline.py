"""Time along a trajectory on arrays: the panel table and its inversion, against exact and 30-digit references."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from analytic import symbols as sym
from analytic.special import MPMATH_FUNCTIONS
from trajectories.closed import closed_trajectory
from trajectories.model import Setting, reduced_model, setting_derivation
from trajectories.timeline import invert_times, time_grid


def test_exponential_time_scale_is_inverted_exactly():
    # g(s) = e^s: t(s) = e^s - 1 from s0 = 0, so s(t) = log(1 + t)
    grid = time_grid(np.exp, 0.0, 1e12)
    assert grid.end == "horizon" and grid.t[-1] >= 1e12
    targets = np.concatenate([[0.0, 1e-9, 0.5], np.logspace(0, 12, 50)])
    s, error = invert_times(np.exp, grid, targets)
    expected = np.log1p(targets)
    # 1e-13 relative to max(1, s): Newton on the panel interpolant, panels accepted at 1e-13
    assert np.max(np.abs(s - expected) / np.maximum(1.0, expected)) < 1e-13
    assert np.all(error < 1e-9 * np.maximum(1.0, targets))


def test_a_limit_of_the_coordinate_is_reported_as_pinned():
    # g(s) = 1/(1 - s) for s < 1: t(s) = -log(1 - s) grows without bound only as s -> 1,
    # which float64 reaches at t ~ 37: later times are pinned there
    def g(s):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(s < 1, 1 / (1 - s), np.nan)

    grid = time_grid(g, 0.0, 100.0)
    assert grid.end == "pinned" and 30 < grid.t[-1] < 40 and 1 - grid.s[-1] < 1e-13


def test_closed_form_at_many_times_matches_mpmath():
    setting = Setting("hard", "cross-entropy", 2, 10, 1, 1)
    derivation = setting_derivation(setting)  # the engine at these numbers, independent of the compiled path
    u_of_v = sp.lambdify(sym.v, derivation.trajectory.focus.subs({sym.u0: 0, sym.v0: 0}), [MPMATH_FUNCTIONS, "mpmath"])
    v_rate = sp.lambdify((sym.u, sym.v), derivation.flow.dv, [MPMATH_FUNCTIONS, "mpmath"])
    margins = [0.5, 2.0, 5.0, 12.0]
    times, focus = [], []
    with mpmath.workdps(30):
        total, start = mpmath.mpf(0), mpmath.mpf(0)
        for margin in margins:
            total += mpmath.quad(lambda x: 1 / v_rate(mpmath.re(u_of_v(x)), x), [start, mpmath.mpf(margin)])
            start = mpmath.mpf(margin)
            times.append(float(total))
            focus.append(float(mpmath.re(u_of_v(mpmath.mpf(margin)))))
    grid = np.union1d(np.linspace(0, times[-1], 20001), times)
    run = closed_trajectory(reduced_model(setting), 0.0, 0.0, grid[-1], times=grid)
    index = np.searchsorted(grid, times)
    # 1e-12 relative to max(1, |x|): the bound for the array time integral
    assert np.max(np.abs(run.v[index] - margins) / np.maximum(1.0, np.abs(margins))) < 1e-12
    assert np.max(np.abs(run.u[index] - focus) / np.maximum(1.0, np.abs(focus))) < 1e-12


def test_an_ill_conditioned_closed_form_refuses_instead_of_printing_a_wrong_state():
    from trajectories.milestones import milestones
    from trajectories.ode import ode_trajectory
    from trajectories.result import Status

    # alpha/beta = 1e20: B(v) ~ 1e19, so B(v) - B(v0) cannot resolve the motion in float64
    model = reduced_model(Setting("hard", "cross-entropy", 2, 10, 1, 1e-20))
    closed = closed_trajectory(model, 0.0, 0.0, 1e3, 3)
    assert closed.status is Status.ILL_CONDITIONED and "ode" in closed.message
    import pytest

    with pytest.raises(ValueError, match="cannot resolve|not finite|cannot give the time"):
        milestones(model, 0.0, 0.0, [0.3], 1e3)
    # a well-conditioned case keeps its closed form and agrees with the ODE (1e-9)
    fine = reduced_model(Setting("hard", "cross-entropy", 2, 10, 1, 1e-2))
    a, b = closed_trajectory(fine, 0.0, 0.0, 1e3, 5), ode_trajectory(fine, 0.0, 0.0, 1e3, 5)
    assert a.ok and np.max(np.abs(a.u - b.u)) < 1e-9 and a.extras["focus_rounding"] < 1e-12
