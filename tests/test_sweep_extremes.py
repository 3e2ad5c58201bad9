"""Batched milestones at extreme rate ratios and starts: every time is right or says why there is none.

The reference integrates the hand-written flow (tests/reference.py) in log time,
tau = log(1 + t), dy/dtau = e^tau f(y), so one LSODA run spans t from 1e-6 to 1e30.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from trajectories.model import Setting
from trajectories.sweep import BatchModel, Outcome, sweep_milestones
from tests.reference import EvaluationsExhausted, bounded, crossing_events, reference_flow

TARGETS = [0.3, 0.9, 0.99]
RATIOS = [1e-20, 1e-12, 1e-6, 1e-2, 1.0, 1e2, 1e6, 1e12, 1e20]  # alpha / beta
STARTS = [(0.0, 0.0), (-5.0, 2.0), (3.0, -3.0), (-1e6, 0.0), (1e6, 0.0), (0.0, -1e6), (0.0, 1e6)]
T_MAX = 1e30
CLASSES, SEGMENTS = 10, 30
# per reference integration: every case LSODA can follow here takes < 3000 evaluations; the others
# (stiff extremes, 76 of 189) still go on at 200000, so a larger bound would compare no more of them
REFERENCE_EVALUATIONS = 20_000


def log_time_events(paradigm, alpha, beta, u0, v0):
    """First times p reaches each target (None: not by T_MAX), or None when the reference itself fails."""
    levels = [math.log(SEGMENTS - 1) + math.log(x / (1 - x)) for x in TARGETS]

    def rhs(tau, y):
        du, dv = reference_flow(paradigm, "cross-entropy", CLASSES, SEGMENTS, alpha, beta, y[0], y[1])
        return [math.exp(tau) * du, math.exp(tau) * dv]

    events = crossing_events(levels)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            solution = solve_ivp(bounded(rhs, REFERENCE_EVALUATIONS), (0.0, math.log1p(T_MAX)), [u0, v0], method="LSODA",
                                 rtol=1e-11, atol=1e-12, events=events)
    except EvaluationsExhausted:
        return None  # a stiff extreme the reference cannot follow: nothing to compare
    if solution.status == -1:
        return None
    return [0.0 if u0 >= level else (math.expm1(float(hits[0])) if hits.size else None) for level, hits in zip(levels, solution.t_events)]


@pytest.mark.slow
@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_extreme_rate_ratios_and_starts_are_right_or_refused(paradigm):
    alpha = 1 / CLASSES
    cases = [(ratio, u0, v0) for ratio in RATIOS for u0, v0 in STARTS]
    betas = np.array([alpha / ratio for ratio, _, _ in cases])
    model = BatchModel(Setting(paradigm, "cross-entropy"), SEGMENTS, CLASSES, alpha, betas)
    result = sweep_milestones(model, [u for _, u, _ in cases], [v for _, _, v in cases], TARGETS)
    compared = 0
    for i, (ratio, u0, v0) in enumerate(cases):
        reference = log_time_events(paradigm, alpha, alpha / ratio, u0, v0)
        for j, outcome in enumerate(result.outcome[i]):
            if outcome in (Outcome.UNRESOLVED, Outcome.NOT_FINITE):
                continue  # refused, with its reason: allowed
            if reference is None:
                continue  # the reference integrator failed here: nothing to compare
            expected = reference[j]
            where = f"{paradigm} alpha/beta = {ratio:g}, start ({u0:g}, {v0:g}), p = {TARGETS[j]}"
            if outcome == Outcome.UNREACHABLE:
                assert expected is None, f"{where}: said unreachable, reached at t = {expected:g}"
            elif result.time[i, j] > T_MAX:
                assert expected is None, f"{where}: t = {result.time[i, j]:g} beyond the reference's reach, which found {expected:g}"
            else:
                assert expected is not None, f"{where}: t = {result.time[i, j]:g}, never reached by {T_MAX:g}"
                # 1e-6 relative: the sweep's bound (the log-time reference resolves ~1e-8)
                assert result.time[i, j] == pytest.approx(expected, rel=1e-6, abs=1e-9), where
                compared += 1
    assert compared >= len(cases) // 2  # most cases are decided, not refused


def test_best_switch_from_a_hopeless_start_is_refused_not_infinite(capsys):
    from validation.cli import main

    # p(u0) = e^(-1e6)/9: every paradigm's time leaves float64 (it printed "t = inf" with exit 0)
    assert main(["best-switch", "--target", "0.9", "--u0=-1e6"]) == 1  # a valid start whose times are not resolved: exit 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "`target` 0.9" in captured.err
    assert captured.err.startswith("attention-dynamics: not resolved: ")


@pytest.mark.parametrize("option", ["--beta=1e-16", "--beta=1e-50", "--alpha=1e300"])
def test_milestones_at_extreme_rate_ratios_flag_cells_instead_of_printing_wrong_times(capsys, option):
    import json

    from validation.cli import main

    # once: hard attention's times out of order and ~1000x off (1e-16), "every target at t = 0" (1e-50, 1e300);
    # now each cell is a time (closed form or log-time ODE; values checked in tests/test_audit_examples.py) or
    # null with the reason, and the command says the table is incomplete (exit 1)
    assert main(["milestones", option, "--t-max", "1e300", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "not resolved" in captured.err
    record = json.loads(captured.out)
    for name, times in record["times"].items():
        found = [times[f"{x:g}"] for x in record["targets"]]
        known = [t for t in found if t is not None]
        assert known == sorted(known) and all(t > 0 for t in known), name
        for x, t in zip(record["targets"], found):
            assert t is not None or "not resolved" in times[f"{x:g}_reason"], (name, x)
    assert "0.3_reason" in record["times"]["hard"]
