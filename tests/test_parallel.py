"""Forked workers: they die with their parent, ignore Ctrl-C, and a stopped pool leaves none behind."""

from __future__ import annotations

import ctypes
import os
import signal
import sys

import pytest

from analytic.budget import call_with_budget
from validation.parallel import _interrupts_held, run_jobs

PR_GET_PDEATHSIG = 2  # prctl(2): read the signal this process gets when its parent dies

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")


def parent_death_signal(_=None) -> int:
    """The calling process's parent-death signal (0: none)."""
    value = ctypes.c_int(-1)
    assert ctypes.CDLL(None, use_errno=True).prctl(PR_GET_PDEATHSIG, ctypes.byref(value), 0, 0, 0) == 0
    return value.value


def interrupt_disposition(_=None):
    return signal.getsignal(signal.SIGINT)


@linux_only
def test_pool_workers_and_budgeted_steps_are_killed_when_their_parent_dies():
    assert parent_death_signal() == 0  # this process: no such signal (so the next lines test the workers' own setting)
    found = run_jobs([(i, parent_death_signal, (i,)) for i in range(2)], workers=2)
    assert found == {0: signal.SIGKILL, 1: signal.SIGKILL}
    assert call_with_budget(parent_death_signal, seconds=60, what="prctl") == signal.SIGKILL


def test_pool_workers_ignore_ctrl_c():
    found = run_jobs([(i, interrupt_disposition, (i,)) for i in range(2)], workers=2)
    assert set(found.values()) == {signal.SIG_IGN}


def test_a_ctrl_c_while_workers_are_stopped_is_raised_after():
    reached, before = [], signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with _interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)  # handled (held) before kill() returns to Python code
            reached.append("the rest of the block")
    assert reached == ["the rest of the block"]
    assert signal.getsignal(signal.SIGINT) == before  # restored
