"""Targets and switch levels keep their own labels: close-but-distinct values never merge, equal ones are refused.

The times are checked against ``solve_ivp`` event detection on the flows written out by hand
(``tests/reference.py``), not against the toolkit's own output.
"""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from hypothesis import given, settings, strategies as st
from scipy.integrate import solve_ivp

from reference import crossing_events, reference_flow
from trajectories.choices import Switch, check_switches, check_targets, number_label
from trajectories.model import Setting
from validation.cli import main
from validation.milestone_report import milestone_report
from validation.sweep import SweepRequest

CLOSE = (0.9999991, 0.9999992)  # 6 significant digits: both 0.999999
# a setting where hard attention and LVML reach both within t = 300 (alpha large), from (0, 0)
FAST = {"segments": 10, "classes": 2, "alpha": 1e4, "beta": 1.0}
FAST_OPTIONS = ["--alpha", "10000", "--beta", "1", "--segments", "10", "--t-max", "1e6"]
EVENT_RTOL = 1e-7  # closed form vs solve_ivp event detection (DOP853 at rtol 1e-12), relative


def u_level(p: float, segments: float) -> float:
    """The focus logit at attention p: p = e^u / (e^u + T - 1)."""
    return math.log(p * (segments - 1) / (1 - p))


def event_times(paradigm: str, targets, u0=0.0, v0=0.0, t0=0.0, t_end=1e4):
    """First times u crosses each target's level, by solve_ivp event detection on the hand-written flow."""
    levels = [u_level(p, FAST["segments"]) for p in targets]
    run = solve_ivp(lambda t, y: reference_flow(paradigm, "cross-entropy", FAST["classes"], FAST["segments"], FAST["alpha"],
                                                FAST["beta"], y[0], y[1]),
                    (t0, t_end), [u0, v0], method="DOP853", rtol=1e-12, atol=1e-12,
                    events=crossing_events(levels, stop_at_last=True), dense_output=True)
    assert run.status == 1, run.message  # stopped at the last target
    return [float(times[0]) for times in run.t_events], run


def hybrid_event_times(switch_level: float, targets):
    """Soft until attention reaches ``switch_level``, then hard: both phases by event detection."""
    (t_s,), soft = event_times("soft", [switch_level])
    u_s, v_s = soft.y_events[0][0]
    times, _ = event_times("hard", targets, u_s, v_s, t0=t_s, t_end=t_s + 1e4)
    return times


def run_cli(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- the label ----------------------------------------------------------------------------
@settings(derandomize=True, max_examples=300, database=None)
@given(st.floats(min_value=0, max_value=1e300, allow_nan=False, exclude_min=True))
def test_a_label_reads_back_as_the_same_float(value):
    assert float(number_label(value)) == value  # exact: equality of floats, so distinct floats get distinct labels


@pytest.mark.parametrize("value, label", [(0.9999991, "0.9999991"), (0.9999992, "0.9999992"), (0.9999999999999999, "0.9999999999999999"),
                                          (0.3, "0.3"), (100.0, "100"), (1e-7, "1e-07"), (0.1234567, "0.1234567")])
def test_labels_by_hand(value, label):
    assert number_label(value) == label


def test_switch_labels_are_exact():
    assert Switch("hard", attention=0.1234567).label != Switch("hard", attention=0.1234568).label
    assert Switch("lvml", time=100.0).label == "soft:lvml@t=100"
    assert Switch("hard", attention=0.9999999999999999).label == "soft:hard@p=0.9999999999999999"


# --- close but distinct: each keeps its own time, in every format ----------------------------
@pytest.fixture(scope="module")
def reference_times():
    return {paradigm: event_times(paradigm, CLOSE)[0] for paradigm in ("hard", "lvml")}


def test_milestones_json_keeps_both_close_targets(capsys, reference_times):
    status, out, _ = run_cli(capsys, "milestones", *FAST_OPTIONS, "--targets", "0.9999991,0.9999992", "--format", "json")
    assert status == 0
    record = json.loads(out)
    for paradigm, expected in reference_times.items():
        times = record["times"][paradigm]
        assert set(times) == {"0.9999991", "0.9999992"}
        for key, reference in zip(("0.9999991", "0.9999992"), expected):
            assert abs(times[key] - reference) <= EVENT_RTOL * reference, (paradigm, key, times[key], reference)
    assert reference_times["hard"][1] / reference_times["hard"][0] > 1.1  # the two times are far apart: a merge would show


def test_milestones_csv_text_and_latex_keep_both_close_targets(capsys, reference_times):
    status, out, _ = run_cli(capsys, "milestones", *FAST_OPTIONS, "--targets", "0.9999991,0.9999992", "--format", "csv")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    for paradigm, expected in reference_times.items():
        found = {row["target"]: float(row["time"]) for row in rows if row["row"] == paradigm}
        assert list(found) == ["0.9999991", "0.9999992"]
        for time, reference in zip(found.values(), expected):
            assert abs(time - reference) <= EVENT_RTOL * reference  # CSV prints repr: full precision

    status, out, _ = run_cli(capsys, "milestones", *FAST_OPTIONS, "--targets", "0.9999991,0.9999992")
    assert status == 0
    lines = out.splitlines()
    assert lines[1].split() == ["p", "=", "0.9999991", "p", "=", "0.9999992"]
    for paradigm, expected in reference_times.items():
        cells = next(line.split()[1:] for line in lines if line.split()[:1] == [paradigm])
        assert len(cells) == 2
        for cell, reference in zip(cells, expected):
            assert abs(float(cell) - reference) <= 1e-5 * reference  # text: 6 significant digits

    status, out, _ = run_cli(capsys, "milestones", *FAST_OPTIONS, "--targets", "0.9999991,0.9999992", "--format", "latex")
    assert status == 0
    assert "$p = 0.9999991$ & $p = 0.9999992$" in out
    hard = next(line for line in out.splitlines() if line.strip().startswith("hard &"))
    cells = [float(cell.strip(" $\\")) for cell in hard.split("&")[1:]]
    for cell, reference in zip(cells, reference_times["hard"]):
        assert abs(cell - reference) <= 5e-4 * reference  # LaTeX: 4 significant digits


def test_sweep_keeps_both_close_targets(capsys, reference_times):
    argv = ["sweep", "--segments", "10", "--classes", "2", "--alpha", "10000", "--beta", "1", "--targets", "0.9999991,0.9999992",
            "--workers", "1"]
    status, out, _ = run_cli(capsys, *argv)
    assert status == 0
    header, row = list(csv.reader(io.StringIO(out)))
    assert len(header) == len(set(header))  # no repeated column
    for paradigm, expected in reference_times.items():
        for target, reference in zip(("0.9999991", "0.9999992"), expected):
            time = float(row[header.index(f"{paradigm} t({target})")])
            assert abs(time - reference) <= EVENT_RTOL * reference, (paradigm, target)
    status, out, _ = run_cli(capsys, *argv, "--format", "json")
    assert status == 0
    times = json.loads(out)["rows"][0]["times"]
    for paradigm, expected in reference_times.items():
        assert [times[paradigm][key] for key in ("0.9999991", "0.9999992")] == pytest.approx(expected, rel=EVENT_RTOL)


def test_close_switch_levels_each_keep_their_own_row(capsys):
    levels = (0.1234567, 0.1234568)
    hybrids = [f"soft:hard@p={level}" for level in levels]
    status, out, _ = run_cli(capsys, "milestones", *FAST_OPTIONS, "--targets", "0.9,0.9999991", "--hybrid", *hybrids, "--format", "json")
    assert status == 0
    times = json.loads(out)["times"]
    for name, level in zip(hybrids, levels):
        expected = hybrid_event_times(level, (0.9, 0.9999991))
        assert [times[name][key] for key in ("0.9", "0.9999991")] == pytest.approx(expected, rel=EVENT_RTOL), name
    status, out, _ = run_cli(capsys, "milestones", *FAST_OPTIONS, "--targets", "0.9", "--hybrid", *hybrids)
    assert status == 0 and all(sum(line.split()[:1] == [name] for line in out.splitlines()) == 1 for name in hybrids)
    status, out, _ = run_cli(capsys, "sweep", "--segments", "10", "--alpha", "10000", "--beta", "1", "--targets", "0.9",
                             "--hybrid", *hybrids, "--workers", "1")
    assert status == 0
    header = out.splitlines()[0].split(",")
    assert len(header) == len(set(header)) and all(f"{name} t(0.9)" in header for name in hybrids)


def test_a_target_just_below_one_is_not_labelled_one(capsys):
    target = "0.9999999999999999"
    for format in ("json", "csv", "text", "latex"):
        status, out, _ = run_cli(capsys, "milestones", "--targets", f"0.3,{target}", "--format", format)
        assert status in (0, 1)  # 1: a cell not resolved (said so); the labels are what this test is about
        assert target in out, format
        if format == "json":
            assert set(json.loads(out)["times"]["hard"]) == {"0.3", target}
    status, out, _ = run_cli(capsys, "best-switch", "--target", "0.1234567")
    assert status == 0 and out.startswith("fastest to p = 0.1234567:")


# --- equal as floats: refused, naming the option and both values ---------------------------
@pytest.mark.parametrize("command", ["milestones", "sweep"])
@pytest.mark.parametrize("targets, first, second", [
    ("0.3,0.30000000000000001", "0.3", "0.30000000000000001"),
    ("1/2,0.5", "1/2", "0.5"),
    ("0.3,0.5,0.5", "0.5", "0.5"),
    ("0.9999999999999999,0.99999999999999994", "0.9999999999999999", "0.99999999999999994"),
])
def test_targets_equal_as_floats_are_refused(capsys, command, targets, first, second):
    status, out, err = run_cli(capsys, command, "--targets", targets)
    assert status == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert "--targets" in err and f"{first} and {second}" in err and "same float" in err


@pytest.mark.parametrize("command", ["milestones", "sweep"])
@pytest.mark.parametrize("hybrids", [("soft:hard@p=0.5", "soft:hard@p=0.50"), ("soft:lvml@t=100", "soft:lvml@t=1e2"),
                                     ("soft:hard@p=0.1234567", "soft:hard@p=0.123456700000000001"), ("soft:lvml@t=0", "soft:lvml@t=-0")])
def test_switches_equal_as_floats_are_refused(capsys, command, hybrids):
    status, out, err = run_cli(capsys, command, "--hybrid", *hybrids)
    assert status == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert "--hybrid" in err and f"{hybrids[0]} and {hybrids[1]}" in err


def test_the_api_refuses_equal_targets_and_switches():
    with pytest.raises(ValueError, match="0.3 twice"):
        check_targets([0.3, 0.30000000000000001])
    twice = (Switch("hard", attention=0.5), Switch("hard", attention=0.5))
    with pytest.raises(ValueError, match=r"soft:hard@p=0.5 twice"):
        check_switches(twice)
    setting = Setting("soft", "cross-entropy", 2, 10, 1, 1)
    with pytest.raises(ValueError, match="twice"):
        milestone_report(setting, 0.0, 0.0, [0.3], 1e3, twice)
    with pytest.raises(ValueError, match="twice"):
        SweepRequest(setting, {"segments": (10,)}, (0.3,), twice)
    assert len(check_switches((Switch("hard", attention=0.5), Switch("lvml", attention=0.5)))) == 2  # different after: distinct
