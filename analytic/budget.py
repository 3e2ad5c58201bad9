"""Time budgets for SymPy calls that may run for minutes or never return.

:func:`call_with_budget` runs a function in a forked child process and kills
it when its time is up, so a hanging ``integrate``/``simplify``/``solve``
costs at most its budget. The toolkit's own fast rules run in-process; only
SymPy's general routines go through here.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

from .errors import BadInput


class BudgetExceeded(TimeoutError):
    """A budgeted step did not finish in time (the caller may fall back)."""


class DeadlineExceeded(TimeoutError):
    """The whole derivation's time budget ran out (reported as a timeout result)."""


@dataclass
class Deadline:
    """A wall-clock deadline shared by the steps of one derivation."""

    seconds: float
    start: float = 0.0

    def __post_init__(self):
        if not self.seconds > 0:
            raise BadInput(f"`budget` must be > 0 seconds, got {self.seconds!r}")
        self.start = time.monotonic()

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceeded(f"time budget of {self.seconds:g} s ran out during {what}")


class OutOfTime(ValueError):
    """A result that needs a formula whose derivation ran out of its time budget: a reason, not bad
    input (the command line prints it in one line with exit status 1)."""


class NoClosedForm(RuntimeError):
    """SymPy could not do it (``NotImplementedError``, ``PolynomialError``, ...): fall back."""


class WorkerError(Exception):
    """A budgeted step failed unexpectedly: a bug to report, not a missing closed form.

    ``step``, ``type_name``, ``module`` and ``text`` describe the original exception.
    """

    def __init__(self, step: str, type_name: str, text: str, module: str = "builtins"):
        super().__init__(f"{step} failed with {type_name}: {text}")
        self.step, self.type_name, self.module, self.text = step, type_name, module, text


#: "module.Name" of the exceptions by which SymPy says "cannot do it"
#: (subclasses included). They become :class:`NoClosedForm`.
CANNOT_DO_IT = frozenset(
    {
        "builtins.NotImplementedError",
        "builtins.RecursionError",
        "sympy.polys.polyerrors.PolynomialError",
        "sympy.polys.polyerrors.CoercionFailed",
        "sympy.polys.polyerrors.GeneratorsNeeded",
    }
)


def _describe(error: BaseException) -> tuple[str, str, str, tuple[str, ...]]:
    """``(module, class name, text, "module.Name" of each class in its MRO)``: plain strings only."""
    kind = type(error)
    lineage = tuple(f"{c.__module__}.{c.__qualname__}" for c in kind.__mro__)
    return kind.__module__, kind.__qualname__, str(error), lineage


def _raise_described(what: str, module: str, name: str, text: str, lineage: tuple[str, ...]):
    """Raise :class:`NoClosedForm` for the "cannot do it" family, else :class:`WorkerError`."""
    if CANNOT_DO_IT.intersection(lineage):
        raise NoClosedForm(f"{what} found no closed form ({name}: {text})")
    raise WorkerError(what, name, text, module)


PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies (Linux)


def die_with_parent(parent: int) -> None:
    """In a forked worker: be killed (SIGKILL) when ``parent`` ends, however it ends.

    A worker must never outlive its command: Ctrl-C, SIGTERM or SIGKILL of the parent leaves no
    process behind, even one blocked in SymPy or reading a pipe. Linux only (``prctl``); elsewhere
    nothing. A parent that is already gone (it died before the call) ends the worker at once.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl: the parent's own clean-up must do
            pass
    if os.getppid() != parent:
        os._exit(1)


def _child(conn, parent, function, args):
    die_with_parent(parent)
    try:
        conn.send(("ok", function(*args)))
    except BaseException as error:  # reported to the parent, never raised here
        conn.send(("error", _describe(error)))
    finally:
        conn.close()


def call_with_budget(function: Callable[..., Any], *args: Any, seconds: float, what: str = "a SymPy call") -> Any:
    """Return ``function(*args)``, or raise :class:`BudgetExceeded` after ``seconds``.

    An exception of ``function`` comes back as :class:`NoClosedForm` when it is
    SymPy's "cannot do it" (:data:`CANNOT_DO_IT`), else as :class:`WorkerError`
    (also when the worker dies). On platforms without ``fork`` the call runs
    in-process, unbudgeted.

    Examples
    --------
    >>> call_with_budget(sorted, [3, 1, 2], seconds=5)
    [1, 2, 3]
    >>> call_with_budget(int, "x", seconds=5, what="int")
    Traceback (most recent call last):
    ...
    analytic.budget.WorkerError: int failed with ValueError: invalid literal for int() with base 10: 'x'
    """
    if seconds <= 0:
        raise BudgetExceeded(f"no time left for {what}")
    if "fork" not in multiprocessing.get_all_start_methods():
        try:
            return function(*args)
        except Exception as error:
            _raise_described(what, *_describe(error))
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, os.getpid(), function, args))
    process.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise BudgetExceeded(f"{what} did not finish within {seconds:.3g} s")
        status, value = receive.recv()
    except EOFError:
        raise WorkerError(what, "EOFError", "the worker process died", "builtins") from None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        _raise_described(what, *value)
    return value


def run_step(function: Callable[..., Any], *args: Any, cap: float, deadline: Deadline | None, what: str) -> Any:
    """``call_with_budget`` with at most ``cap`` seconds and never past ``deadline``.

    Raises :class:`BudgetExceeded` when the step's own cap ran out (fall back),
    :class:`DeadlineExceeded` when the derivation's deadline did (give up).
    """
    seconds = cap
    if deadline is not None:
        deadline.check(what)
        seconds = min(cap, deadline.remaining())
    try:
        return call_with_budget(function, *args, seconds=seconds, what=what)
    except BudgetExceeded:
        if deadline is not None:
            deadline.check(what)
        raise
