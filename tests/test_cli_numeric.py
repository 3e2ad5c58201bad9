"""The trajectory and compare commands: output contracts and one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

from validation.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("method", ["closed", "ode", "gd", "full"])
def test_trajectory_csv(capsys, method):
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--loss", "square", "--t-end", "20", "--points", "5", "--method", method, "--lr", "0.05")
    assert status == 0 and err == ""
    lines = out.strip().splitlines()
    assert lines[0] == "t,u,v,p" and len(lines) == 6
    table = np.array([[float(x) for x in line.split(",")] for line in lines[1:]])
    assert table[0].tolist() == [0.0, 0.0, 0.0, pytest.approx(0.1, rel=1e-15)]  # p(0) = 1/T
    assert np.allclose(table[:, 0], np.linspace(0, 20, 5))


def test_methods_agree_through_the_command_line(capsys):
    tables = {}
    for method in ("closed", "ode"):
        _, out, _ = run(capsys, "trajectory", "--paradigm", "lvml", "--t-end", "30", "--points", "4", "--method", method, "--format", "json")
        tables[method] = json.loads(out)
    # closed form vs ODE to 1e-8 at common times
    assert np.max(np.abs(np.array(tables["closed"]["u"]) - tables["ode"]["u"])) < 1e-8
    assert set(tables["closed"]) >= {"t", "u", "v", "p"}


def test_compare_json_keys(capsys):
    status, out, _ = run(capsys, "compare", "--paradigm", "soft", "--loss", "exponential", "--t-end", "40", "--format", "json")
    record = json.loads(out)
    assert status == 0
    for key in ("max_abs_u_closed_vs_ode", "max_abs_v_closed_vs_ode", "invariant_drift_ode", "gd_errors", "gd_order",
                "full_zero_noise_max_abs", "full_max_asymmetry"):
        assert key in record
    assert record["max_abs_u_closed_vs_ode"] < 1e-8 and 0.9 <= record["gd_order"] <= 1.1
    assert record["full_zero_noise_max_abs"] < 1e-10
    assert [e["lr"] for e in record["gd_errors"]] == [0.4, 0.2, 0.1, 0.05]


def test_compare_latex_is_a_plain_ruled_table(capsys):
    """Plain \\hline rules: no booktabs (or any other) macro the author's preamble would have to provide."""
    status, out, _ = run(capsys, "compare", "--paradigm", "hard", "--t-end", "20", "--format", "latex")
    assert status == 0 and out.count(r"\hline") == 3 and "rule" not in out


@pytest.mark.parametrize(
    "argv, name",
    [
        (["--lr", "0", "--method", "gd"], "--lr"),
        (["--lr", "-1", "--method", "gd"], "--lr"),
        (["--t-end", "0"], "--t-end"),
        (["--points", "0"], "--points"),
        (["--method", "full", "--sigma", "-0.1", "--samples", "10"], "--sigma"),
        (["--method", "full", "--sigma", "0.1", "--samples", "0"], "--samples"),
        (["--method", "leapfrog"], "--method"),
        (["--u0", "nan"], "--u0"),
        (["--paradigm", "all"], "--paradigm"),
        (["--v0", "1e200", "--loss", "square", "--method", "gd"], "--lr"),
    ],
)
def test_trajectory_bad_input(capsys, argv, name):
    base = ["trajectory", "--paradigm", "hard", "--t-end", "10"]
    # later options override earlier ones
    status, out, err = run(capsys, *base, *argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and name in err and "Traceback" not in err


def test_divergence_reports_the_step_not_nan(capsys):
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--loss", "square", "--v0", "1e200", "--t-end", "10", "--method", "gd")
    assert status == 2 and "step 1" in err and "nan" not in (out + err).lower()


def test_no_progress_bar_when_not_a_terminal():
    result = subprocess.run(
        [sys.executable, "-m", "validation", "trajectory", "--paradigm", "soft", "--t-end", "50", "--method", "gd", "--lr", "0.001"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0 and result.stderr == ""
