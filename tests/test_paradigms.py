"""Milestones, hybrids and presets against independent numerical integration."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from trajectories.hybrid import Switch, best_switch, hybrid_milestones, mixture_first_integral, mixture_trajectory, parse_switch
from trajectories.milestones import milestones, ode_milestones
from trajectories.model import Setting, reduced_model
from trajectories.presets import preset
from validation.cli import main

TARGETS = [0.3, 0.5, 0.9, 0.99]
SMALL = Setting("soft", "cross-entropy", 2, 10, 1, 1)
PAPER = Setting("soft", "cross-entropy", 1000, 100, sp.Rational(1, 1000), sp.Rational(1, 999))


@pytest.mark.parametrize("setting, horizon", [(SMALL, 1e6), (PAPER, 4e5)], ids=["small", "paper"])
@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_milestones_match_event_detection(setting, horizon, paradigm):
    model = reduced_model(dataclasses.replace(setting, paradigm=paradigm))
    closed = milestones(model, 0.0, 0.0, TARGETS, horizon)
    events = ode_milestones(model, 0.0, 0.0, TARGETS, horizon)
    for m, event in zip(closed, events):
        assert (m.time is None) == (event is None)
        if event is not None:
            # issue bound: closed form + quadrature vs solve_ivp events, 1e-6 relative
            assert abs(m.time - event) <= 1e-6 * event


def test_soft_needs_a_very_long_horizon_for_099():
    # independent: integrate soft attention well past the paper horizon with solve_ivp
    model = reduced_model(dataclasses.replace(PAPER, paradigm="soft"))
    closed = milestones(model, 0.0, 0.0, [0.99], 4e5)[0]
    assert closed.time is None and closed.reachable and closed.time_any > 4e5
    event = ode_milestones(model, 0.0, 0.0, [0.99], 1e7)[0]
    assert abs(closed.time_any - event) <= 1e-6 * event


def test_soft_square_never_reaches_high_attention():
    # soft attention with the square loss stalls where p v = 1: its attention limit
    # (from a long solve_ivp run) is below 0.99, so 0.99 is unreachable
    model = reduced_model(Setting("soft", "square", 2, 10, 1, 1))
    run = solve_ivp(lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0, 1e4), [0.0, 0.0], rtol=1e-10, atol=1e-12, method="LSODA")
    limit = float(model.attention(run.y[0, -1])[0])
    assert limit < 0.99
    m = milestones(model, 0.0, 0.0, [0.99], 1e9)[0]
    assert not m.reachable and m.time is None and m.time_any is None


def _ode_switched(setting, after, level, target):
    """Reference: integrate soft until p = level, then `after` until p = target (solve_ivp events)."""
    soft = reduced_model(dataclasses.replace(setting, paradigm="soft"))
    second = reduced_model(dataclasses.replace(setting, paradigm=after))

    def run(model, start, goal, horizon=1e8):
        u_goal = model.log_others + np.log(goal / (1 - goal))
        event = lambda _, y: y[0] - u_goal  # noqa: E731
        event.terminal, event.direction = True, 1
        sol = solve_ivp(lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0, horizon), start, rtol=1e-12,
                        atol=1e-14, method="LSODA", events=event)
        return sol.t_events[0][0], sol.y_events[0][0]

    t_switch, state = run(soft, [0.0, 0.0], level)
    t_after, _ = run(second, list(state), target)
    return t_switch + t_after


@pytest.mark.parametrize("after", ["hard", "lvml"])
def test_switched_hybrid_matches_piecewise_integration(after):
    found = hybrid_milestones(SMALL, Switch(after, attention=0.5), 0.0, 0.0, [0.9, 0.99], 1e6)
    for m in found:
        expected = _ode_switched(SMALL, after, 0.5, m.target)
        assert abs(m.time - expected) <= 1e-6 * expected


def test_time_switch_matches_integration():
    found = hybrid_milestones(SMALL, Switch("hard", time=30.0), 0.0, 0.0, [0.99], 1e6)[0]
    soft = reduced_model(SMALL)
    hard = reduced_model(dataclasses.replace(SMALL, paradigm="hard"))
    first = solve_ivp(lambda _, y: [float(x) for x in soft.flow(y[0], y[1])], (0, 30), [0.0, 0.0], rtol=1e-12, atol=1e-14, method="DOP853")
    u_goal = hard.log_others + np.log(0.99 / 0.01)
    event = lambda _, y: y[0] - u_goal  # noqa: E731
    event.terminal = True
    second = solve_ivp(lambda _, y: [float(x) for x in hard.flow(y[0], y[1])], (0, 1e6), first.y[:, -1], rtol=1e-12,
                       atol=1e-14, method="LSODA", events=event)
    expected = 30 + second.t_events[0][0]
    assert abs(found.time - expected) <= 1e-6 * expected


def test_best_switch_beats_both_pure_paradigms_in_the_small_preset():
    best = best_switch(SMALL, 0.99, "hard")
    assert best.time < best.hard_time and best.time < best.soft_time
    # the optimum is a true interior minimum: moving p_s either way costs time (checked by integration)
    at_best = _ode_switched(SMALL, "hard", best.attention, 0.99)
    assert abs(at_best - best.time) <= 1e-6 * at_best
    for shifted in (best.attention - 0.05, best.attention + 0.05):
        assert _ode_switched(SMALL, "hard", shifted, 0.99) > at_best


def test_mixture_is_numeric_and_says_why():
    derivation = mixture_first_integral(SMALL, 0.5)
    assert derivation.invariant is None and "does not separate" in derivation.message
    # lambda = 1 and 0 reproduce the pure flows
    soft = mixture_trajectory(SMALL, 1.0, 0.0, 0.0, 50.0, 6)
    hard = mixture_trajectory(SMALL, 0.0, 0.0, 0.0, 50.0, 6)
    for run, paradigm in ((soft, "soft"), (hard, "hard")):
        model = reduced_model(dataclasses.replace(SMALL, paradigm=paradigm))
        reference = solve_ivp(lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0, 50), [0.0, 0.0], t_eval=run.t,
                              rtol=1e-11, atol=1e-13, method="DOP853")
        assert np.max(np.abs(run.u - reference.y[0])) < 1e-7


@pytest.mark.parametrize("text", ["soft:hard@p=1.2", "soft:hard@p=0", "soft:lvml@t=-1", "hard:soft@p=0.5", "soft:hard@q=0.5", "soft:hard@p=abc"])
def test_bad_hybrid_spellings(text):
    with pytest.raises(ValueError):
        parse_switch(text)


def test_presets_follow_the_setting():
    paper = preset("paper")
    assert (paper.segments, paper.classes, paper.alpha, paper.beta, paper.horizon) == (100, 1000, sp.Rational(1, 1000), sp.Rational(1, 999), 4e5)
    small = preset("small")
    assert (small.segments, small.classes, small.alpha, small.beta) == (10, 2, 1, 1)
    with pytest.raises(ValueError, match="`preset`"):
        preset("large")


def test_milestones_command_json(capsys):
    status = main(["milestones", "--preset", "paper", "--targets", "0.3,0.99", "--hybrid", "soft:hard@p=0.5", "--format", "json"])
    record = json.loads(capsys.readouterr().out)
    assert status == 0 and record["targets"] == [0.3, 0.99]
    assert set(record["times"]) == {"soft", "hard", "lvml", "soft:hard@p=0.5"}
    assert record["times"]["soft"]["0.99"] is None  # beyond the paper horizon
    assert record["beyond_horizon"]["soft"]["0.99"] > 4e5


def test_explicit_options_override_the_preset(capsys):
    main(["milestones", "--preset", "paper", "--segments", "10", "--targets", "0.3", "--format", "json"])
    overridden = json.loads(capsys.readouterr().out)
    main(["milestones", "--preset", "paper", "--targets", "0.3", "--format", "json"])
    plain = json.loads(capsys.readouterr().out)
    assert overridden["times"]["hard"]["0.3"] != plain["times"]["hard"]["0.3"]


def test_best_switch_command_json(capsys):
    status = main(["best-switch", "--target", "0.99", "--format", "json"])
    record = json.loads(capsys.readouterr().out)
    assert status == 0 and set(record) >= {"p_s", "time", "soft_time", "hard_time", "lvml_time"}
    assert 0 < record["p_s"] < 0.99 and record["time"] <= record["hard_time"]


@pytest.mark.parametrize(
    "argv, name",
    [
        (["milestones", "--targets", "0.5,0.3"], "--targets"),
        (["milestones", "--targets", "0,0.5"], "--targets"),
        (["milestones", "--targets", "0.5,1"], "--targets"),
        (["milestones", "--hybrid", "soft:hard@p=1.5"], "--hybrid"),
        (["milestones", "--hybrid", "soft:hard@t=-2"], "--hybrid"),
        (["milestones", "--preset", "huge"], "--preset"),
        (["best-switch", "--target", "1.2"], "--target"),
        (["best-switch", "--target", "0.99", "--after", "soft"], "--after"),
    ],
)
def test_bad_input(capsys, argv, name):
    status = main(argv)
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and name in err
