"""The derive command: JSON contract, formats, and one-line errors with exit status 2."""

import json
import subprocess
import sys

import pytest
import sympy as sp

from analytic.parsing import parse_expression
from analytic.symbols import BY_NAME, u, v
from validation.cli import main

JSON_KEYS = {
    "paradigm", "loss", "classes", "segments", "alpha", "beta", "loss_expr", "flow",
    "invariant", "invariant_latex", "trajectory", "certified", "max_residual", "seconds",
}


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_json_for_all_paradigms_and_losses(capsys):
    status, out, err = run(capsys, "derive", "--loss", "all", "--segments", "10", "--alpha", "1/999", "--beta", "1", "--format", "json")
    assert status == 0 and err == ""
    records = json.loads(out)
    assert [(r["paradigm"], r["loss"]) for r in records] == [
        (par, loss) for loss in ("cross-entropy", "square", "exponential") for par in ("soft", "hard", "lvml")
    ]
    for record in records:
        assert JSON_KEYS <= set(record)
        assert record["certified"] is True and record["max_residual"] <= 1e-20
        assert record["segments"] == 10 and record["alpha"] == "1/999" and record["beta"] == 1
        # expressions are SymPy str() forms that parse back (safely) in the documented symbols
        invariant = parse_expression(record["invariant"].replace("Abs", "abs"), BY_NAME)
        assert invariant.free_symbols <= {u, v}
        assert set(record["flow"]) == {"u", "v"}


def test_soft_invariant_in_json_is_the_hand_formula(capsys):
    status, out, _ = run(capsys, "derive", "--paradigm", "soft", "--loss", "square", "--segments", "10", "--alpha", "2", "--beta", "3", "--format", "json")
    record = json.loads(out)[0]
    found = parse_expression(record["invariant"], BY_NAME)
    # hand derivation: I = u + e^u/(T - 1) - alpha v^2/(2 beta)
    assert sp.simplify(found - (u + sp.exp(u) / 9 - sp.Rational(2, 3) * v**2 / 2)) == 0


def test_symbols_stay_symbolic_when_not_given(capsys):
    status, out, _ = run(capsys, "derive", "--paradigm", "hard", "--loss", "exponential", "--format", "json")
    record = json.loads(out)[0]
    assert record["segments"] == "T" and record["alpha"] == "alpha"
    assert {"T", "alpha", "beta"} <= {s.name for s in parse_expression(record["invariant"], BY_NAME).free_symbols}


def test_latex_format_has_labels(capsys):
    status, out, _ = run(capsys, "derive", "--paradigm", "hard", "--loss", "cross-entropy", "--format", "latex")
    assert status == 0
    assert r"\label{eq:hard-ce-invariant}" in out and r"\begin{align}" in out


def test_custom_expression(capsys):
    status, out, _ = run(capsys, "derive", "--expr", "u^2 + v^2", "--alpha", "1", "--beta", "2", "--format", "json")
    record = json.loads(out)[0]
    # hand: du/dv = alpha u / (beta v) => log|u| - (alpha/beta) log|v|
    found = parse_expression(record["invariant"].replace("Abs", "abs"), BY_NAME)
    assert sp.simplify(found - (sp.log(sp.Abs(u)) - sp.log(sp.Abs(v)) / 2)) == 0


def test_custom_without_first_integral_says_so(capsys):
    status, out, _ = run(capsys, "derive", "--expr", "u^2 + u*v + v^2", "--alpha", "1", "--beta", "1", "--format", "json")
    record = json.loads(out)[0]
    assert status == 0 and record["invariant"] is None and record["trajectory"] is None
    assert record["status"] == "no first integral found"


@pytest.mark.parametrize(
    "argv, name",
    [
        (["--segments", "1"], "--segments"),
        (["--segments", "ten"], "--segments"),
        (["--classes", "1"], "--classes"),
        (["--classes", "2.5"], "--classes"),
        (["--alpha", "0"], "--alpha"),
        (["--beta", "-1/2"], "--beta"),
        (["--paradigm", "attention"], "--paradigm"),
        (["--loss", "hinge"], "--loss"),
        (["--expr", "__import__('os')"], "--expr"),
        (["--expr", "u + exp"], "--expr"),
        (["--expr", "u + p"], "--expr"),
        (["--expr", "lambda: 0"], "--expr"),
        (["--expr", "u.real"], "--expr"),
        (["--expr", "'u'"], "--expr"),
        (["--expr", "u +"], "--expr"),
        (["--segment-loss", "u*v"], "--segment-loss"),
    ],
)
def test_bad_input_is_one_line_with_status_2(capsys, argv, name):
    status, out, err = run(capsys, "derive", *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and name in err and "Traceback" not in err


def test_module_entry_point_runs_the_same_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "validation", "derive", "--segments", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--segments" in result.stderr


def test_timeout_is_an_explicit_result():
    from analytic import derive_custom

    # a 0.05 s budget runs out before the derivation can finish
    d = derive_custom(u**2 / 2 + sp.exp(v**3), alpha=1, beta=1, budget=0.05)
    assert d.status == "timeout" and d.invariant is None and "time budget" in d.message
    assert not d.certified


def test_negative_numbers_need_no_equals_sign(capsys):
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--u0", "-1", "--v0", "-0.5", "--t-end", "1", "--points", "2")
    assert status == 0, err
    first = out.splitlines()[1].split(",")
    assert float(first[1]) == -1.0 and float(first[2]) == -0.5


def test_repeated_hybrids_accumulate(capsys):
    status, out, _ = run(capsys, "milestones", "--hybrid", "soft:hard@p=0.5", "--hybrid", "soft:lvml@p=0.4", "--targets", "0.9",
                         "--format", "json")
    assert status == 0 and {"soft:hard@p=0.5", "soft:lvml@p=0.4"} <= set(json.loads(out)["times"])


def test_a_derivation_that_is_not_certified_exits_1(capsys):
    status, out, err = run(capsys, "derive", "--expr", "12*u", "--alpha", "1", "--beta", "1")
    assert status == 1 and "NOT certified" in out and err.count("\n") == 1 and "not certified" in err


def test_the_milestone_check_fails_loudly_when_it_fails():
    from validation.milestone_report import CHECK_TOLERANCE, MilestoneReport

    report = MilestoneReport(None, 0.0, 0.0, (0.5,), 1.0, {}, 10 * CHECK_TOLERANCE)
    assert report.check_passed is False
    assert MilestoneReport(None, 0.0, 0.0, (0.5,), 1.0, {}, CHECK_TOLERANCE / 10).check_passed is True


def test_progress_lines_when_stderr_is_not_a_terminal(capsys, monkeypatch):
    import trajectories.progress as progress_module

    monkeypatch.setattr(progress_module, "LINE_INTERVAL", 0.0)
    assert list(progress_module.progress(range(3), "work")) == [0, 1, 2]
    err = capsys.readouterr().err
    assert "work: 1/3" in err and "work: 2/3" in err


@pytest.mark.parametrize(
    "argv, name",
    [
        (["derive", "--expr", "(((2^1000)^1000)^1000)^1000"], "--expr"),  # bounded before it is built
        (["trajectory", "--paradigm", "hard", "--t-end", "1", "--points", "99999999999999999999999"], "--points"),
        (["trajectory", "--paradigm", "hard", "--method", "gd", "--t-end", "1e7"], "--t-end"),
        (["compare", "--paradigm", "hard", "--t-end", "1e9"], "t_end"),
    ],
)
def test_oversized_requests_are_refused_up_front(capsys, argv, name):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and err.count("\n") == 1 and name in err
