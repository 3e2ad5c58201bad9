"""A sweep of a model the batched closed form cannot run: computed setting by setting, against the flow written by hand."""

import json
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from validation.cli import main

SEGMENTS = 10.0
TARGETS = (0.2, 0.3, 0.4)


def hinge_squared(v):
    return max(0.0, 1.0 - v) ** 2


def hinge_squared_slope(v):
    return -2.0 * max(0.0, 1.0 - v)


def hand_flow(paradigm):
    """The reduced flow of l(v) = max(0, 1 - v)^2 under hard attention or LVML, alpha = beta = 1, derived by hand:
    p = e^u / (e^u + T - 1), dp/du = p (1 - p)."""
    l0 = hinge_squared(0.0)

    def flow(_, y):
        u, v = y
        p = 1.0 / (1.0 + (SEGMENTS - 1) * math.exp(-u))
        ell, slope = hinge_squared(v), hinge_squared_slope(v)
        if paradigm == "hard":  # L = p l(v) + (1 - p) l(0)
            return [-p * (1 - p) * (ell - l0), -p * slope]
        mass = p * math.exp(-ell) + (1 - p) * math.exp(-l0)  # L = -log(p e^{-l(v)} + (1 - p) e^{-l(0)})
        return [p * (1 - p) * (math.exp(-ell) - math.exp(-l0)) / mass, -p * math.exp(-ell) * slope / mass]

    return flow


def event_times(paradigm):
    events = []
    for target in TARGETS:
        def event(_, y, level=math.log(SEGMENTS - 1) + math.log(target / (1 - target))):
            return y[0] - level
        events.append(event)
    solution = solve_ivp(hand_flow(paradigm), (0, 1e3), [0.0, 0.0], method="LSODA", rtol=1e-11, atol=1e-13, events=events)
    return [float(times[0]) for times in solution.t_events]


@pytest.fixture(scope="module")
def swept():
    import io
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = main(["sweep", "--segment-loss", "Max(0, 1-v)^2", "--segments", "10", "--classes", "2", "--alpha", "1",
                       "--beta", "1", "--targets", ",".join(map(str, TARGETS)), "--format", "json"])
    return status, json.loads(out.getvalue()), err.getvalue()


@pytest.mark.parametrize("paradigm", ["hard", "lvml"])
def test_a_kinked_loss_sweeps_to_the_times_of_its_flow(swept, paradigm):
    status, record, err = swept
    assert status == 0 and "Traceback" not in err
    assert paradigm in record["computed_by_setting"]
    row = record["rows"][0]
    for target, want in zip(TARGETS, event_times(paradigm)):
        key = str(target)
        assert row["times"][paradigm][key] == pytest.approx(want, rel=1e-6)  # the bound; both sides at rtol <= 1e-11
        assert row.get("notes", {}).get(paradigm, {}).get(key) in (None, "by ODE (log time)")


def test_the_by_setting_engine_maps_every_milestone_status():
    from analytic.status import Status
    from trajectories.sweep import Outcome
    from trajectories.sweep_by_setting import OUTCOMES

    # every status a milestone can have (trajectories.milestones.Milestone.status) has its sweep outcome
    assert set(OUTCOMES) == {Status.OK, Status.BEYOND_HORIZON, Status.UNREACHABLE, Status.UNRESOLVED}
    assert len(set(OUTCOMES.values())) == 4 and all(isinstance(x, Outcome) for x in OUTCOMES.values())
    assert np.all([Outcome[s.name] is OUTCOMES[s] for s in OUTCOMES if s is not Status.OK])
