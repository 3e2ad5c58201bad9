"""The sweep: batched closed-form milestones over settings, checked against independent event detection."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from trajectories.choices import Switch
from trajectories.model import Setting
from trajectories.sweep import BatchModel, Outcome, sweep_hybrid, sweep_milestones
from validation.claims import claim_maps
from validation.cli import main
from validation.grids import grid
from validation.sweep import SweepReport, SweepRequest, run_sweep

from tests.reference import crossing_events, reference_flow


def event_times(paradigm, loss, classes, segments, alpha, beta, targets, horizon, u0=0.0, v0=0.0):
    """First times p reaches each target, from the hand-written flow (tests/reference.py) and LSODA events."""
    def rhs(_, y):
        return list(reference_flow(paradigm, loss, classes, segments, alpha, beta, y[0], y[1]))

    levels = [math.log(segments - 1) + math.log(x / (1 - x)) for x in targets]
    events = crossing_events(levels)
    solution = solve_ivp(rhs, (0.0, horizon), [u0, v0], method="LSODA", rtol=1e-12, atol=1e-12, events=events)
    return [0.0 if u0 >= level else (float(hits[0]) if hits.size else None) for level, hits in zip(levels, solution.t_events)]


RANDOM = np.random.default_rng(7)
SEGMENTS = np.round(np.exp(RANDOM.uniform(np.log(3), np.log(3000), 6)))
CLASSES = np.round(np.exp(RANDOM.uniform(np.log(2), np.log(3000), 6)))


@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_batched_milestones_match_event_detection_on_the_hand_written_flow(paradigm):
    targets = [0.3, 0.9, 0.99]
    model = BatchModel(Setting(paradigm, "cross-entropy"), SEGMENTS, CLASSES, 1 / CLASSES, 1 / (CLASSES - 1))
    result = sweep_milestones(model, 0.0, 0.0, targets)
    assert np.all(result.outcome == Outcome.REACHED)
    for i in range(SEGMENTS.size):
        c = int(CLASSES[i])
        events = event_times(paradigm, "cross-entropy", c, SEGMENTS[i], 1 / c, 1 / (c - 1), targets, 2 * np.max(result.time[i]) + 1)
        # 1e-6 relative: the bound for the sweep (the two agree to ~1e-10; LSODA at rtol 1e-12 limits it)
        np.testing.assert_allclose(result.time[i], events, rtol=1e-6)


def test_square_loss_soft_attention_stalls_and_says_so():
    # soft x square: the margin settles at a finite limit with p below 0.9 (event detection never fires)
    model = BatchModel(Setting("soft", "square"), [10, 30], 2, 1.0, 1.0)
    result = sweep_milestones(model, 0.0, 0.0, [0.3, 0.9])
    assert list(result.outcome[:, 1]) == [Outcome.UNREACHABLE, Outcome.UNREACHABLE]
    for i, segments in enumerate([10, 30]):
        events = event_times("soft", "square", 2, segments, 1.0, 1.0, [0.3, 0.9], 1e6)
        assert events[1] is None
        assert result.time[i, 0] == pytest.approx(events[0], rel=1e-6)  # the event bound above


def test_a_negative_start_margin_first_loses_focus_then_recovers():
    # v0 < 0: u falls before it rises, so z(s) is not monotone: the first crossing is still found
    model = BatchModel(Setting("hard", "cross-entropy"), [10], [2], [1.0], [1.0])
    result = sweep_milestones(model, 0.0, -3.0, [0.3, 0.9])
    events = event_times("hard", "cross-entropy", 2, 10, 1.0, 1.0, [0.3, 0.9], 1e5, v0=-3.0)
    np.testing.assert_allclose(result.time[0], events, rtol=1e-6)


def test_horizon_and_start_past_the_target():
    model = BatchModel(Setting("hard", "cross-entropy"), [10, 10], [2, 2], [1.0, 1.0], [1.0, 1.0])
    result = sweep_milestones(model, [0.0, 5.0], 0.0, [0.3, 0.9], horizon=50.0)
    events = event_times("hard", "cross-entropy", 2, 10, 1.0, 1.0, [0.3, 0.9], 1e4)
    assert events[0] < 50 < events[1]  # so the second target is late
    assert result.time[0, 0] == pytest.approx(events[0], rel=1e-6)
    assert result.outcome[0, 1] == Outcome.BEYOND_HORIZON and np.isnan(result.time[0, 1])
    # u0 = 5 > log 9 + logit(0.3) and > log 9 + logit(0.9) = 4.39: both reached at once
    assert list(result.time[1]) == [0.0, 0.0]


def test_batched_hybrid_matches_two_phase_event_detection():
    segments, classes = 100, 50
    alpha, beta = 1 / classes, 1 / (classes - 1)
    soft = BatchModel(Setting("soft", "cross-entropy"), [segments], [classes], [alpha], [beta])
    hard = BatchModel(Setting("hard", "cross-entropy"), [segments], [classes], [alpha], [beta])
    result = sweep_hybrid(soft, hard, 0.5, 0.0, 0.0, [0.3, 0.9, 0.99])
    # reference: soft until p = 0.5 (an event), then hard from that state, both from the hand-written flows
    level = math.log(segments - 1)

    def rhs(paradigm):
        return lambda _, y: list(reference_flow(paradigm, "cross-entropy", classes, segments, alpha, beta, y[0], y[1]))

    def switch(_, y):
        return y[0] - level
    switch.terminal, switch.direction = True, 1
    first = solve_ivp(rhs("soft"), (0, 1e7), [0.0, 0.0], method="LSODA", rtol=1e-12, atol=1e-12, events=switch)
    t_s, state = first.t_events[0][0], first.y_events[0][0]
    soft_only = event_times("soft", "cross-entropy", classes, segments, alpha, beta, [0.3], 1e7)
    after = event_times("hard", "cross-entropy", classes, segments, alpha, beta, [0.9, 0.99], 1e7, *state)
    expected = [soft_only[0], t_s + after[0], t_s + after[1]]
    np.testing.assert_allclose(result.time[0], expected, rtol=1e-6)  # the sweep's bound


@pytest.mark.parametrize("tau", [0.0, 150.0, 3000.0])
def test_batched_hybrid_switched_at_a_time_matches_two_phase_event_detection(tau):
    segments, classes = 30, 10
    alpha, beta = 1 / classes, 1 / (classes - 1)
    numbers = ([segments], [classes], [alpha], [beta])
    soft = BatchModel(Setting("soft", "cross-entropy"), *numbers)
    hard = BatchModel(Setting("hard", "cross-entropy"), *numbers)
    targets = [0.3, 0.9, 0.99]
    result = sweep_hybrid(soft, hard, Switch("hard", time=tau), 0.0, 0.0, targets)
    # reference: the hand-written soft flow to t = tau, its milestones before tau, then hard from the state at tau
    first = solve_ivp(lambda _, y: list(reference_flow("soft", "cross-entropy", classes, segments, alpha, beta, y[0], y[1])),
                      (0, max(tau, 1e-12)), [0.0, 0.0], method="LSODA", rtol=1e-12, atol=1e-12)
    soft_times = event_times("soft", "cross-entropy", classes, segments, alpha, beta, targets, max(tau, 1e-12))
    after = event_times("hard", "cross-entropy", classes, segments, alpha, beta, targets, 1e8, *first.y[:, -1])
    expected = [s if s is not None and s <= tau else tau + a for s, a in zip(soft_times, after)]
    np.testing.assert_allclose(result.time[0], expected, rtol=1e-6)  # the sweep's bound


def test_parallel_and_serial_sweeps_agree_exactly():
    request = SweepRequest(Setting("soft", "cross-entropy"), {"segments": grid("3:300:5", "segments"), "classes": grid("2:50:4", "classes")},
                           (0.3, 0.9), (Switch("hard", attention=0.5), Switch("lvml", time=50.0)))
    serial = run_sweep(request, workers=1, show_progress=False)
    parallel = run_sweep(request, workers=2, show_progress=False)
    for column in serial.results:
        assert np.array_equal(serial.results[column].time, parallel.results[column].time, equal_nan=True)
    assert list(serial.results) == ["soft", "hard", "lvml", "soft:hard@p=0.5", "soft:lvml@t=50"]
    # without --alpha/--beta the rates follow the classes
    np.testing.assert_array_equal(serial.settings["alpha"], 1 / serial.settings["classes"])
    np.testing.assert_array_equal(serial.settings["beta"], 1 / (serial.settings["classes"] - 1))


# --- grids ------------------------------------------------------------------------------------
def test_grid_values_by_hand():
    # log-spaced: 1, 10, 100 exactly at the ends, sqrt(10)^k rounded in between for integer axes
    assert grid("1e-2:1:3", "alpha") == (0.01, 0.1, 1.0) or np.allclose(grid("1e-2:1:3", "alpha"), (0.01, 0.1, 1.0), rtol=1e-15)
    assert grid("2:32:5", "classes") == (2.0, 4.0, 8.0, 16.0, 32.0)
    assert grid("2:3:5", "segments") == (2.0, 3.0)  # rounded, repeated values dropped
    assert grid("-2:2:5", "v0") == (-2.0, -1.0, 0.0, 1.0, 2.0)  # evenly spaced
    assert grid("1/999,1", "beta") == (1 / 999, 1.0)


@pytest.mark.parametrize("text, label, words", [
    ("2:10", "segments", "START:STOP:N"), ("0:10:3", "alpha", "> 0"), ("1:10:0", "classes", "count N"),
    ("2.5", "classes", "integers"), ("1", "segments", ">= 2"), ("nan", "u0", "unknown name"), ("1e400", "u0", "finite"), ("", "v0", "START:STOP:N"),
])
def test_grid_refusals_name_the_option(text, label, words):
    with pytest.raises(ValueError, match=label) as error:
        grid(text, label)
    assert words in str(error.value)


# --- claims ---------------------------------------------------------------------------------------
def test_claims_from_known_times():
    # three settings with times written by hand: (soft, hard, lvml) at p = 0.3 and p = 0.99
    times = {"soft": [[1, 50], [3, 9], [0, 0]], "hard": [[2, 10], [1, 5], [0, 0]], "lvml": [[1.5, 20], [2, 7], [0, 0]],
             "soft:hard@p=0.5": [[1, 8], [3, 6], [0, 0]]}
    from trajectories.sweep import SweepTimes
    request = SweepRequest(Setting("soft", "cross-entropy"), {"segments": (3.0, 4.0, 5.0)}, (0.3, 0.99), (Switch("hard", attention=0.5),))
    results = {name: SweepTimes((0.3, 0.99), np.array(value, float), np.zeros((3, 2)), np.zeros((3, 2), np.int8),
                                np.zeros((3, 2)), np.zeros((3, 2))) for name, value in times.items()}
    claims = claim_maps(SweepReport(request, request.settings(), results))
    assert list(claims.maps["soft_first_low"]) == [1, 0, -1]  # third: every paradigm starts past the target
    assert list(claims.maps["hard_first_high"]) == [1, 1, -1]
    assert list(claims.maps["lvml_between"]) == [1, 1, -1]
    assert list(claims.maps["hybrid_beats_both"]) == [1, 0, -1]  # 6 is not below hard's 5


# --- command line -----------------------------------------------------------------------------
def test_sweep_json_has_the_documented_shape(capsys):
    assert main(["sweep", "--segments", "10,100", "--classes", "2:1000:2", "--targets", "0.3,0.9", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["targets"] == [0.3, 0.9] and data["settings"] == 4 and len(data["rows"]) == 4
    row = data["rows"][3]
    assert (row["segments"], row["classes"], row["alpha"], row["beta"]) == (100, 1000, 1 / 1000, 1 / 999)
    assert set(row["times"]) == {"soft", "hard", "lvml"} and set(row["times"]["hard"]) == {"0.3", "0.9"}
    events = event_times("hard", "cross-entropy", 1000, 100, 1 / 1000, 1 / 999, [0.3, 0.9], 1e6)
    assert row["times"]["hard"]["0.9"] == pytest.approx(events[1], rel=1e-6)  # the sweep's bound


def test_sweep_csv_says_why_a_time_is_missing(capsys):
    assert main(["sweep", "--loss", "square", "--segments", "10", "--alpha", "1", "--beta", "1", "--targets", "0.3,0.9"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header, row = lines[0].split(","), lines[1].split(",")
    assert row[header.index("soft t(0.9)")] == "" and row[header.index("soft note(0.9)")] == "unreachable"
    assert float(row[header.index("hard t(0.9)")]) > 0


def test_sweep_check_and_figures(tmp_path, capsys):
    out = tmp_path / "figures"
    assert main(["sweep", "--segments", "3:300:4", "--classes", "2:100:3", "--hybrid", "soft:hard@p=0.5",
                 "--check", "2", "--figures", str(out), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["check_worst_relative"] <= 1e-6  # the --check bound
    assert {p.name for p in out.iterdir()} >= {"sweep_first.pdf", "sweep_first.png", "sweep_ratios.png", "sweep_claims.png"}


@pytest.mark.parametrize("argv, words", [
    (["sweep", "--segments", "2:10:0"], "--segments"),
    (["sweep", "--hybrid", "soft:hard@t=-5"], "--hybrid"),
    (["sweep", "--segments", "3:30:3", "--figures", "x"], "two grid axes"),
    (["sweep", "--expr", "u*v"], "unrecognized arguments"),
])
def test_sweep_refusals(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert words in error and error.count("\n") == 1
    assert not (tmp_path / "x").exists()  # nothing created


def test_main_job_answers_the_papers_question(tmp_path):
    from validation.reproduce import reproduce

    summary = reproduce(tmp_path / "run", pdf=False)
    sweep = summary["sweep"]
    assert sweep["settings"] == 625 and (tmp_path / "run" / "sweep.csv").exists()
    # at the paper preset (T = 100, c = 1000) event detection on the hand-written flows decides two claims
    c, segments = 1000, 100
    low = {name: event_times(name, "cross-entropy", c, segments, 1 / c, 1 / (c - 1), [0.3], 1e7)[0] for name in ("soft", "hard", "lvml")}
    high = {name: event_times(name, "cross-entropy", c, segments, 1 / c, 1 / (c - 1), [0.99], 1e8)[0] for name in ("soft", "hard", "lvml")}
    soft_first = low["soft"] < min(low["hard"], low["lvml"])
    hard_first = high["hard"] < min(high["soft"], high["lvml"])
    findings = sweep["findings"]
    assert findings[0].endswith(f"it {'holds' if soft_first else 'fails'}.")
    assert findings[1].endswith(f"it {'holds' if hard_first else 'fails'}.")
    paper = (tmp_path / "run" / "paper" / "paper.tex").read_text()
    assert r"\section{When does each paradigm win?}" in paper and r"\label{fig:sweep_claims}" in paper
    assert (tmp_path / "run" / "paper" / "figures" / "sweep_claims.pdf").exists()


def test_a_custom_aggregation_is_swept_setting_by_setting_and_timed_by_milestones(capsys):
    # the hard aggregation written by hand: hard x square reaches p = 0.9 (event detection on the hand-written hard flow);
    # the batched engine cannot know this aggregation's margin scale (it once called the target unreachable): the sweep
    # computes the column setting by setting, as milestones does
    aggregate = ["--aggregate", "p*l(v) + (1-p)*l(0)", "--loss", "square", "--segments", "50", "--alpha", "1", "--beta", "1"]
    expected = event_times("hard", "square", 2, 50, 1.0, 1.0, [0.9], 1e4)[0]
    assert main(["sweep", *aggregate, "--targets", "0.3,0.9", "--format", "json"]) == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert record["computed_by_setting"] == ["custom"] and "note: custom: computed setting by setting" in captured.err
    assert record["rows"][0]["times"]["custom"]["0.9"] == pytest.approx(expected, rel=1e-4)  # as milestones below
    assert main(["milestones", *aggregate, "--targets", "0.3,0.9", "--format", "json"]) == 0
    custom = json.loads(capsys.readouterr().out)["times"]["custom"]["0.9"]
    assert custom == pytest.approx(expected, rel=1e-4)  # the scalar closed form's accuracy here (1.3e-5, see the note)
