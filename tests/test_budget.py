"""Budgeted calls: values come back, "cannot do it" is NoClosedForm, bugs are WorkerError."""

import os
import time

import pytest
import sympy as sp
from sympy.polys.polyerrors import CoercionFailed, GeneratorsNeeded, PolynomialError

from analytic.budget import BudgetExceeded, NoClosedForm, WorkerError, call_with_budget, run_step

x = sp.Symbol("x")


def _raise(error):
    raise error


def _die():
    os._exit(3)


def test_value_comes_back():
    assert call_with_budget(sp.factor, x**2 - 1, seconds=30) == (x - 1) * (x + 1)
    assert call_with_budget(sorted, [3, 1, 2], seconds=30) == [1, 2, 3]


@pytest.mark.parametrize(
    "error",
    [
        NotImplementedError("no rule for this integrand"),
        PolynomialError("not a polynomial"),
        CoercionFailed("cannot convert"),
        GeneratorsNeeded("need generators"),
        RecursionError("maximum recursion depth exceeded"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_cannot_do_it_is_no_closed_form(error):
    with pytest.raises(NoClosedForm) as caught:
        call_with_budget(_raise, error, seconds=30, what="sympy.integrate")
    message = str(caught.value)
    assert message.startswith("sympy.integrate found no closed form (")
    assert type(error).__name__ in message and str(error) in message
    assert isinstance(caught.value, RuntimeError)


def test_subclass_of_not_implemented_is_no_closed_form():
    class NoRule(NotImplementedError):
        pass

    with pytest.raises(NoClosedForm, match="NoRule: no rule"):
        call_with_budget(_raise, NoRule("no rule"), seconds=30)


@pytest.mark.parametrize(
    "error, name",
    [
        (ValueError("bad value"), "ValueError"),
        (TypeError("bad type"), "TypeError"),
        (ZeroDivisionError("division by zero"), "ZeroDivisionError"),
        (RuntimeError("plain runtime error"), "RuntimeError"),
    ],
)
def test_other_errors_are_worker_errors(error, name):
    with pytest.raises(WorkerError) as caught:
        call_with_budget(_raise, error, seconds=30, what="limit")
    assert str(caught.value) == f"limit failed with {name}: {error}"
    assert caught.value.step == "limit" and caught.value.type_name == name and caught.value.text == str(error)
    assert caught.value.module == "builtins"
    assert not isinstance(caught.value, RuntimeError)


def test_sympy_error_outside_family_is_worker_error():
    with pytest.raises(WorkerError, match=r"^limit failed with PoleError: pole at 0$") as caught:
        call_with_budget(_raise, sp.PoleError("pole at 0"), seconds=30, what="limit")
    assert caught.value.module == "sympy.core.function"


def test_dead_worker_is_worker_error():
    with pytest.raises(WorkerError, match="separatevars failed with EOFError: the worker process died"):
        call_with_budget(_die, seconds=30, what="separatevars")


def test_sleeping_past_the_budget():
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="nap did not finish within 0.3 s"):
        call_with_budget(time.sleep, 30, seconds=0.3, what="nap")
    assert time.monotonic() - started < 10
    with pytest.raises(BudgetExceeded, match="no time left for nap"):
        call_with_budget(time.sleep, 0, seconds=0, what="nap")


def test_run_step_passes_errors_through():
    assert run_step(sorted, "cba", cap=30, deadline=None, what="sort") == ["a", "b", "c"]
    with pytest.raises(NoClosedForm):
        run_step(_raise, NotImplementedError("no"), cap=30, deadline=None, what="step")
    with pytest.raises(WorkerError, match="step failed with KeyError"):
        run_step(_raise, KeyError("k"), cap=30, deadline=None, what="step")
