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
