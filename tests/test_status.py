"""The shared status vocabulary and the three failure types (issue 17 item 4)."""

import json

import pytest

from analytic.errors import BadInput, NotAvailable, NotResolved
from analytic.status import Status
from trajectories.sweep import REASONS, Outcome


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_reason_and_a_readable_serialised_form(status):
    assert status.reason and status.reason.strip() == status.reason
    assert Status(json.loads(json.dumps(status.value))) is status  # round trip through JSON, readable text


def test_derivation_strings_are_the_stored_ones():
    # the values the JSON cache already holds for derivations
    assert (Status.OK, Status.NO_INTEGRAL, Status.TIMEOUT) == ("ok", "no first integral found", "timeout")


@pytest.mark.parametrize("outcome", [o for o in Outcome if o is not Outcome.REACHED])
def test_sweep_reasons_come_from_the_shared_vocabulary(outcome):
    assert REASONS[outcome] == Status[outcome.name].reason


def test_failure_types_are_distinct_and_carry_their_status():
    assert issubclass(BadInput, ValueError)
    assert not issubclass(NotAvailable, BadInput) and not issubclass(NotResolved, BadInput)
    assert not issubclass(NotAvailable, NotResolved) and not issubclass(NotResolved, NotAvailable)
    assert NotResolved().status is Status.UNRESOLVED and str(NotResolved()) == Status.UNRESOLVED.reason
    assert NotAvailable("x", Status.TIMEOUT).status is Status.TIMEOUT


def test_a_bad_input_exits_2_in_one_line():
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-m", "validation", "trajectory", "--t-end", "1", "--paradigm", "hard", "--loss", "square",
                          "--param", "tau=3"], capture_output=True, text=True)
    assert run.returncode == 2 and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


@pytest.mark.parametrize("command", [["derive"], ["trajectory", "--t-end", "1"]])
def test_an_unused_parameter_is_refused_alike_by_derive_and_trajectory(command):
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-m", "validation", *command, "--paradigm", "hard", "--loss", "square",
                          "--param", "tau=3"], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines()[-1].endswith("argument --param: tau is not a parameter of this model")


def _main_with_handler_raising(monkeypatch, error):
    """Run the command line with a handler that raises ``error``; returns the exit status."""
    import argparse

    import validation.cli as cli

    def raising_handler(args):
        raise error

    def parser_with_raising_handler():
        parser = argparse.ArgumentParser(prog="attention-dynamics")
        parser.set_defaults(handler=raising_handler)
        return parser

    monkeypatch.setattr(cli, "build_parser", parser_with_raising_handler)
    return cli.main([])


@pytest.mark.parametrize("error, status, prefix", [
    (BadInput("`alpha` must be > 0, got -1"), 2, "attention-dynamics: error: "),
    (NotAvailable("no first integral found"), 1, "attention-dynamics: not available: "),
    (NotResolved("dt/ds is not finite"), 1, "attention-dynamics: not resolved: "),
])
def test_each_failure_type_has_its_exit_status_and_one_line(monkeypatch, capsys, error, status, prefix):
    assert _main_with_handler_raising(monkeypatch, error) == status
    assert capsys.readouterr().err == prefix + str(error) + "\n"


@pytest.mark.parametrize("bug", [ValueError("math domain error"), KeyError("soft"), ZeroDivisionError("division by zero")])
def test_a_bug_is_not_disguised_as_bad_input(monkeypatch, capsys, bug):
    # a plain ValueError is a bug of ours (the library raises BadInput for bad input): it propagates, so its traceback shows
    with pytest.raises(type(bug)):
        _main_with_handler_raising(monkeypatch, bug)
    assert capsys.readouterr().err == ""


def test_a_milestone_states_its_status_in_the_shared_vocabulary():
    # soft attention with the square loss (T = 10, c = 2, alpha = beta = 1) stalls below p = 0.5; a horizon between
    # the times of p = 0.2 and p = 0.3 makes the second beyond it (checked against solve_ivp event detection below)
    import math

    from trajectories.milestones import milestones, ode_milestones
    from trajectories.model import Setting, reduced_model

    model = reduced_model(Setting("soft", "square", 2, 10, 1, 1))
    reference = ode_milestones(model, 0.0, 0.0, [0.2, 0.3], 1e3)
    horizon = 0.5 * (reference[0] + reference[1])
    found = milestones(model, 0.0, 0.0, [0.2, 0.3, 0.5], horizon, unresolved="flag")
    assert [m.status for m in found] == [Status.OK, Status.BEYOND_HORIZON, Status.UNREACHABLE]
    assert math.isclose(found[1].time_any, reference[1], rel_tol=1e-6)  # event detection at rtol 1e-12


def test_the_milestone_json_gives_each_cell_its_status():
    import subprocess
    import sys
    run = subprocess.run([sys.executable, "-m", "validation", "milestones", "--loss", "square",
                          "--targets", "0.2,0.5", "--format", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    # soft attention with the square loss stalls below p = 0.5 (test above, against event detection)
    assert record["status"]["soft"] == {"0.2": "ok", "0.5": "unreachable"}
    assert all(Status(text) for row in record["status"].values() for text in row.values())


def test_derive_takes_a_parameter_of_one_part_only():
    # k is a parameter of --aggregate only, tau of --segment-loss only: both are used by the model
    import subprocess
    import sys

    import sympy as sp

    from analytic import symbols as sym
    from analytic.parsing import parse_expression

    run = subprocess.run([sys.executable, "-m", "validation", "derive", "--aggregate", "p*l(v)^k + (1-p)*l(0)^k",
                          "--segment-loss", "log(1+exp(-tau*v))", "--param", "k=1", "--param", "tau=2", "--format", "json"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)[0]
    loss = parse_expression(record["loss_expr"], {s.name: s for s in (sym.u, sym.v, sym.T)})
    p = sp.exp(sym.u) / (sp.exp(sym.u) + sym.T - 1)
    by_hand = p * sp.log(1 + sp.exp(-2 * sym.v)) + (1 - p) * sp.log(2)  # k = 1, tau = 2 by hand
    assert sp.simplify(loss - by_hand) == 0
    assert record["status"] == "ok" and record["certified"] is True
