"""The state at given times: closed form vs solve_ivp, same times, side by side, with their errors.

Both methods answer the same question — (u, v) at N requested times — and both are
checked against one independent reference: at sample margins v_i the time
t_i = integral of dt/dv from v0 (mpmath quad, 30 digits) and u_i = U(v_i) (the
symbolic trajectory in mpmath), then each method is asked for the state at t_i.

Run: python3 benchmarks/bench_time_arrays.py
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import sympy as sp

from analytic import symbols as sym
from analytic.special import MPMATH_FUNCTIONS
from trajectories.closed import closed_trajectory
from trajectories.model import Setting, reduced_model, setting_derivation
from trajectories.ode import ode_trajectory

PAPER = Setting("hard", "cross-entropy", 1000, 100, sp.Rational(1, 1000), sp.Rational(1, 999))
SAMPLES = 12
RTOLS = (1e-10, 1e-13)


def reference(setting, v_end: float, samples: int = SAMPLES):
    """(t_i, u_i, v_i) at margins v_i in (0, v_end], from the symbolic formulas at 30 digits."""
    derivation = setting_derivation(setting)
    focus = derivation.trajectory.focus.subs({sym.u0: 0, sym.v0: 0})
    rate = derivation.flow.dv
    u_of_v = sp.lambdify(sym.v, focus, [MPMATH_FUNCTIONS, "mpmath"])
    v_rate = sp.lambdify((sym.u, sym.v), rate, [MPMATH_FUNCTIONS, "mpmath"])
    margins = np.linspace(0, v_end, samples + 1)[1:]
    with mpmath.workdps(30):
        def dt_dv(x):
            return 1 / v_rate(mpmath.re(u_of_v(x)), x)

        times, focus_values, edges, total = [], [], [mpmath.mpf(0)], mpmath.mpf(0)
        for margin in margins:
            total += mpmath.quad(dt_dv, [edges[-1], mpmath.mpf(margin)])
            edges.append(mpmath.mpf(margin))
            times.append(float(total))
            focus_values.append(float(mpmath.re(u_of_v(mpmath.mpf(margin)))))
    return np.array(times), np.array(focus_values), margins


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def error_at(run, t_ref, u_ref, v_ref):
    """Max error of ``run`` (evaluated at the reference times, which it includes) in u and v."""
    index = np.searchsorted(run.t, t_ref)
    return max(np.max(np.abs(run.u[index] - u_ref)), np.max(np.abs(run.v[index] - v_ref)))


def case(label, setting, times, t_ref, u_ref, v_ref):
    grid = np.union1d(times, t_ref)
    model = reduced_model(setting)
    closed, closed_s = timed(lambda: closed_trajectory(model, 0.0, 0.0, grid[-1], times=grid))
    line = f"  {label}: N = {grid.size:>7}  closed form {closed_s:7.3f} s, error {error_at(closed, t_ref, u_ref, v_ref):.1e}"
    for rtol in RTOLS:
        ode, ode_s = timed(lambda: ode_trajectory(model, 0.0, 0.0, grid[-1], 2, rtol=rtol, atol=1e-15))
        # same times: dense output at the requested grid
        dense = ode.extras["dense"]
        start = time.perf_counter()
        y = dense(grid)
        ode_s += time.perf_counter() - start
        index = np.searchsorted(grid, t_ref)
        error = max(np.max(np.abs(y[0][index] - u_ref)), np.max(np.abs(y[1][index] - v_ref)))
        line += f" | DOP853 rtol {rtol:.0e} {ode_s:7.3f} s, error {error:.1e}"
    print(line)


def main():
    model = reduced_model(PAPER)
    horizon = 4e5
    v_end = float(ode_trajectory(model, 0.0, 0.0, horizon, 2, rtol=1e-13).v[-1])
    t_ref, u_ref, v_ref = reference(PAPER, v_end)
    print(f"hard / paper preset (c = 1000, T = 100), t in [0, {horizon:g}]; reference at {SAMPLES} margins (mpmath, 30 digits)")
    for n in (10**4, 10**5, 10**6):
        case(f"equally spaced", PAPER, np.linspace(0, t_ref[-1], n), t_ref, u_ref, v_ref)
    long_model = Setting("hard", "cross-entropy", 2, 10, 1, 1)
    v_long = float(ode_trajectory(reduced_model(long_model), 0.0, 0.0, 1e12, 2, rtol=1e-13).v[-1])
    t_long, u_long, v_long_ref = reference(long_model, v_long)
    print(f"hard / logistic (T = 10), log-spaced times to t = {t_long[-1]:.2g}")
    case("log-spaced    ", long_model, np.concatenate([[0.0], np.logspace(-3, np.log10(t_long[-1]), 999)]), t_long, u_long, v_long_ref)


if __name__ == "__main__":
    main()
