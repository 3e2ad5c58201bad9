"""Closed-form trajectories at extreme rate ratios and starts: right (against a log-time reference) or refused.

The reference integrates the hand-written flow (tests/reference.py) in log time,
tau = log(1 + t), dy/dtau = e^tau f(y), with LSODA at rtol 1e-11; where the reference
itself cannot be evaluated (its naive formulas overflow at |u0| or |v0| = 1e6) or does
not finish within its evaluations, there is nothing to compare and the case is not counted.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from trajectories.closed import closed_trajectory
from trajectories.model import Setting, reduced_model
from trajectories.result import Status
from tests.reference import EvaluationsExhausted, bounded, reference_flow

RATIOS = [1e-20, 1e-6, 1.0, 1e6, 1e20]  # alpha / beta
STARTS = [(0.0, 0.0), (-5.0, 2.0), (3.0, -3.0), (-1e6, 0.0), (1e6, 0.0), (0.0, -1e6), (0.0, 1e6)]
CLASSES, SEGMENTS = 10, 30
# per reference integration, a bound on its work, the same under any load: the cases LSODA follows here take
# < 3700 evaluations; the others (13 of 105) still go on at 200000
REFERENCE_EVALUATIONS = 20_000
TOLERANCE = 1e-6  # relative to 1 + |reference|, at every compared time


def reference(paradigm, alpha, beta, u0, v0, times):
    def rhs(tau, y):
        du, dv = reference_flow(paradigm, "cross-entropy", CLASSES, SEGMENTS, alpha, beta, y[0], y[1])
        return [math.exp(tau) * du, math.exp(tau) * dv]

    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            solution = solve_ivp(bounded(rhs, REFERENCE_EVALUATIONS), (0.0, math.log1p(times[-1])), [u0, v0], method="LSODA",
                                 rtol=1e-11, atol=1e-12, t_eval=np.log1p(times))
    except EvaluationsExhausted:
        return None
    if solution.status != 0 or not np.all(np.isfinite(solution.y)):
        return None
    return solution.y


@pytest.mark.slow
@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_closed_forms_at_extreme_ratios_are_right_or_refused(paradigm):
    alpha = 1 / CLASSES
    compared, refused = 0, 0
    for ratio in RATIOS:
        beta = alpha / ratio
        t_end = 1e3 / min(alpha, beta)
        times = np.geomspace(t_end * 1e-6, t_end, 4)
        model = reduced_model(Setting(paradigm, "cross-entropy", CLASSES, SEGMENTS, alpha, beta))
        for u0, v0 in STARTS:
            try:
                run = closed_trajectory(model, u0, v0, t_end, times=np.concatenate([[0.0], times]))
            except ValueError as error:  # a one-line refusal naming what it cannot do
                assert "\n" not in str(error)
                refused += 1
                continue
            if run.status != Status.OK:
                assert run.message, (ratio, u0, v0)  # a refusal says why
                refused += 1
                continue
            assert np.all(np.isfinite(run.u)) and np.all(np.isfinite(run.v)), (ratio, u0, v0)  # never NaN with status ok
            expected = reference(paradigm, alpha, beta, u0, v0, times)
            if expected is None:
                continue
            error_u = np.max(np.abs(run.u[1:] - expected[0]) / (1 + np.abs(expected[0])))
            error_v = np.max(np.abs(run.v[1:] - expected[1]) / (1 + np.abs(expected[1])))
            assert max(error_u, error_v) <= TOLERANCE, (ratio, (u0, v0), error_u, error_v)
            compared += 1
    print(f"{paradigm}: {compared} compared, {refused} refused of {len(RATIOS) * len(STARTS)}")
    assert compared >= 10 and compared + refused >= 15, (compared, refused)  # the sweep is not vacuous
