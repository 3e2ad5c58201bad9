"""Benchmarks of issue 3 (run: ``python benchmarks/bench_trajectories.py``).

1. closed-form evaluation of 10^6 trajectory points vs solve_ivp dense output at
   10^6 points, at comparable accuracy (target: closed form >= 100x faster);
2. gradient descent: 10^4 start points x 10^4 steps in one vectorised call (< 30 s);
3. full model: c = 10, T = 10, N = 10^4 sampled examples, 10^3 steps (< 30 s).
"""

from __future__ import annotations

import time

import mpmath
import numpy as np
import sympy as sp

from analytic.special import MPMATH_FUNCTIONS
from analytic.symbols import u0, v, v0
from trajectories.closed import closed_focus
from trajectories.full import full_trajectory
from trajectories.gd import gradient_descent
from trajectories.model import Setting, reduced_model
from trajectories.ode import ode_trajectory

POINTS = 10**6


CONFIGURATIONS = {
    "hard / logistic, T = 10, t in [0, 1e3]": (Setting("hard", "cross-entropy", 2, 10, 1, 1), 1e3),
    "hard / paper preset (c = 1000, T = 100), t in [0, 4e5]": (
        Setting("hard", "cross-entropy", 1000, 100, sp.Rational(1, 1000), sp.Rational(1, 999)),
        4e5,
    ),
}


def closed_vs_ode() -> bool:
    return all([_closed_vs_ode(name, *config) for name, config in CONFIGURATIONS.items()])


def _closed_vs_ode(name, setting, t_end) -> bool:
    model = reduced_model(setting)
    reference_run = ode_trajectory(model, 0.0, 0.0, t_end, 2, rtol=1e-13, atol=1e-15)
    v_end = reference_run.v[-1]
    margins = np.linspace(0.0, v_end, POINTS)

    start = time.perf_counter()
    u_closed, p_closed = closed_focus(model, margins, 0.0, 0.0)
    closed_seconds = time.perf_counter() - start

    # accuracy of the closed form: 200 points against the formula in mpmath at 30 digits
    focus = model.derivation.trajectory.focus.subs({u0: 0, v0: 0, **setting.values})  # the symbolic formula at these numbers
    formula = sp.lambdify(v, focus, [MPMATH_FUNCTIONS, "mpmath"])
    sample = np.linspace(0, POINTS - 1, 200).astype(int)
    with mpmath.workdps(30):
        closed_error = max(abs(u_closed[i] - float(mpmath.re(formula(mpmath.mpf(margins[i]))))) for i in sample)

    results = {}
    for rtol in (1e-10, 1e-12, 1e-13):
        start = time.perf_counter()
        run = ode_trajectory(model, 0.0, 0.0, t_end, 2, rtol=rtol, atol=rtol * 1e-2)
        times = np.linspace(0.0, t_end, POINTS)
        u_ode, v_ode = run.extras["dense"](times)
        ode_seconds = time.perf_counter() - start
        # ODE accuracy: distance from the exact trajectory u = U(v) at 200 of its points
        ode_error = float(np.max(np.abs(u_ode[sample] - closed_focus(model, v_ode[sample], 0.0, 0.0)[0])))
        results[rtol] = (ode_seconds, ode_error)
    print(f"closed form vs solve_ivp dense output, 10^6 points ({name})")
    print(f"  closed form: {closed_seconds:.3f} s, max error {closed_error:.1e} (vs mpmath, 30 digits)")
    for rtol, (seconds, error) in results.items():
        print(f"  DOP853 rtol {rtol:.0e}: {seconds:.3f} s, max error {error:.1e}; ratio {seconds / closed_seconds:.1f}x")
    best = results[1e-13]
    print(f"  at comparable accuracy (rtol 1e-13): closed form {best[0] / closed_seconds:.1f}x faster")
    return best[0] / closed_seconds >= 100


def gradient_descent_batch() -> bool:
    model = reduced_model(Setting("lvml", "cross-entropy", 2, 10, 1, 1))
    rng = np.random.default_rng(0)
    starts = rng.uniform(-2, 2, size=(2, 10**4))
    start = time.perf_counter()
    result = gradient_descent(model, starts[0], starts[1], 0.05, 10**4, record_every=10**3)
    seconds = time.perf_counter() - start
    print(f"gradient descent: 10^4 starts x 10^4 steps (LVML / logistic): {seconds:.2f} s, status {result.status.reason}")
    return seconds < 30


def full_model() -> bool:
    start = time.perf_counter()
    result = full_trajectory("lvml", variant="symmetric", classes=10, segments=10, alpha=0.1, beta=1 / 9,
                             lr=0.5, steps=10**3, sigma=0.1, samples=10**4, seed=1)
    seconds = time.perf_counter() - start
    print(f"full model: c = 10, T = 10, N = 10^4, 10^3 steps (LVML, sigma = 0.1): {seconds:.2f} s, final p {result.p[-1]:.3f}")
    return seconds < 30


if __name__ == "__main__":
    outcomes = [closed_vs_ode(), gradient_descent_batch(), full_model()]
    print("targets met" if all(outcomes) else f"TARGETS MISSED: {outcomes}")
