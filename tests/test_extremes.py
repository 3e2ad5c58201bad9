"""Numerics at the extremes: u0 in [-50, 1e4], v in [-700, 700], T and c up to 1e6, t up to 1e12.

References are the engine's symbolic trajectory evaluated by mpmath at 50 digits
(independent of the float64 rewrites), and long solve_ivp runs.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from analytic.special import MPMATH_FUNCTIONS
from analytic.symbols import u0 as U0
from analytic.symbols import v as V
from analytic.symbols import v0 as V0
from trajectories.closed import closed_focus, closed_trajectory
from trajectories.model import Setting, reduced_model, setting_derivation
from trajectories.result import Status

STARTS = [-50.0, 0.0, 50.0, 1e4]
MARGINS = [-700.0, -20.0, 0.0, 3.0, 60.0, 700.0]
CASES = [
    ("hard", "cross-entropy", 2, 2), ("lvml", "cross-entropy", 10**6, 10**6), ("soft", "cross-entropy", 10**6, 2),
    ("hard", "exponential", 10, 2), ("lvml", "exponential", 10**6, 2), ("soft", "square", 2, 2), ("hard", "square", 10**6, 2),
]


def _reference(model):
    expr = setting_derivation(model.setting).trajectory.focus  # the engine at these numbers, not the compiled path
    function = sp.lambdify((V, U0, V0), expr, modules=[MPMATH_FUNCTIONS, "mpmath"])
    return function


@pytest.mark.parametrize("paradigm, loss, segments, classes", CASES)
def test_closed_form_against_mpmath_50_digits(paradigm, loss, segments, classes):
    model = reduced_model(Setting(paradigm, loss, classes, segments, 1, 1))
    reference = _reference(model)
    margins = list(MARGINS)
    if (paradigm, loss) == ("lvml", "exponential"):
        # B(-700) = e^{-700} - e^{e^{700} - 701} + Ei(e^{700})/e: the last two terms agree to ~600
        # digits, so a 50-digit reference is meaningless there; the value (~e^{e^{700}}) is far beyond
        # float64, and the closed form must say so by not returning a finite number
        with np.errstate(over="ignore", invalid="ignore"):  # the overflow is the point of this check
            assert not np.isfinite(closed_focus(model, [-700.0], 0.0, 0.0)[0][0])
        margins.remove(-700.0)
    for start in STARTS:
        with np.errstate(over="ignore", invalid="ignore"):  # overflowing points are asserted non-finite below
            found, attention = closed_focus(model, margins, start, 0.0)
        for margin, value, p in zip(margins, found, attention):
            with mpmath.workdps(50):
                try:
                    expected = mpmath.re(reference(mpmath.mpf(margin), mpmath.mpf(start), mpmath.mpf(0)))
                except (OverflowError, MemoryError):
                    expected = mpmath.inf
            if not mpmath.isfinite(expected) or abs(expected) > 1e300:
                # truly outside float64: never a finite wrong number
                assert not np.isfinite(value), (start, margin, value)
                continue
            if not np.isfinite(value):
                # allowed only outside the specified range u in [-50, 1e4] (an intermediate overflows)
                assert abs(expected) > 1e4, (start, margin, expected)
                continue
            # 50-digit reference; float64 result to 1e-12 relative (plus 1e-12 absolute near 0)
            assert abs(value - float(expected)) <= 1e-12 * max(1.0, abs(float(expected))), (start, margin, value, expected)
            assert 0.0 <= p <= 1.0


def test_overflowing_start_is_reported_not_returned():
    model = reduced_model(Setting("lvml", "exponential", 2, 10, 1, 1))
    result = closed_trajectory(model, 0.0, -700.0, 10.0, 3)  # B(v0) ~ Ei(e^700): beyond float64
    assert result.status is Status.OVERFLOW and "float64" in result.message and result.u.size == 0


@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_horizon_of_1e12(paradigm):
    model = reduced_model(Setting(paradigm, "cross-entropy", 10**6, 10**6, 1, 1))
    closed = closed_trajectory(model, 0.0, 0.0, 1e12, 3)
    ode = solve_ivp(lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0, 1e12), [0.0, 0.0], t_eval=closed.t,
                    method="LSODA", rtol=1e-11, atol=1e-12, jac=lambda _, y: model.jacobian(y[0], y[1]))
    assert closed.ok and ode.success and np.all(np.isfinite(closed.u))
    # long LSODA run vs closed form at t = 5e11 and 1e12: 1e-7 relative
    assert np.allclose(closed.u, ode.y[0], rtol=1e-7, atol=1e-9) and np.allclose(closed.v, ode.y[1], rtol=1e-7, atol=1e-9)


def test_large_focus_start_stays_accurate():
    # u0 = 1e4: e^u0 overflows; the Newton route in u - u0 is used (checked against mpmath above)
    model = reduced_model(Setting("hard", "cross-entropy", 2, 10, 1, 1))
    run = closed_trajectory(model, 1e4, 0.0, 100.0, 5)
    assert run.ok and np.all(np.isfinite(run.u)) and np.all(run.u >= 1e4) and np.all(run.p == 1.0)


@pytest.mark.parametrize("start", [(1e4, -700.0), (-50.0, 700.0), (-50.0, -700.0), (1e4, 700.0)])
def test_ode_output_at_extreme_starts(start):
    from trajectories.ode import ode_trajectory

    model = reduced_model(Setting("hard", "cross-entropy", 10**6, 10**6, 1, 1))
    ode = ode_trajectory(model, *start, 100.0, 5, method="LSODA", rtol=1e-11, atol=1e-12)
    assert ode.ok and np.all(np.isfinite(ode.u)) and np.all(np.isfinite(ode.v))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        closed = closed_trajectory(model, *start, 100.0, 5)
    if not closed.ok:
        # the time scale 1/(dv/dt) ~ e^{700} / p exceeds float64: said so, no numbers returned
        assert closed.status.name == "OVERFLOW" and "float64" in closed.message and closed.u.size == 0
        return
    # LSODA at rtol 1e-11 against the closed form: 1e-8 relative
    assert np.allclose(ode.u, closed.u, rtol=1e-8, atol=1e-8) and np.allclose(ode.v, closed.v, rtol=1e-8, atol=1e-8)
