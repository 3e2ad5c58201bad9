"""Time budgets for SymPy calls that may run for minutes or never return.

:func:`call_with_budget` runs a function in a forked child process and kills
it when its time is up, so a hanging ``integrate``/``simplify``/``solve``
costs at most its budget. The toolkit's own fast rules run in-process; only
SymPy's general routines go through here.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from typing import Any, Callable


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
            raise ValueError(f"`budget` must be > 0 seconds, got {self.seconds!r}")
        self.start = time.monotonic()

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def check(self, what: str) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceeded(f"time budget of {self.seconds:g} s ran out during {what}")


def _child(conn, function, args):
    try:
        conn.send(("ok", function(*args)))
    except BaseException as error:  # reported to the parent, never raised here
        conn.send(("error", repr(error)))
    finally:
        conn.close()


def call_with_budget(function: Callable[..., Any], *args: Any, seconds: float, what: str = "a SymPy call") -> Any:
    """Return ``function(*args)``, or raise :class:`BudgetExceeded` after ``seconds``.

    Exceptions raised by ``function`` come back as ``RuntimeError`` with their
    text. On platforms without ``fork`` the call runs in-process, unbudgeted.
    """
    if seconds <= 0:
        raise BudgetExceeded(f"no time left for {what}")
    if "fork" not in multiprocessing.get_all_start_methods():
        return function(*args)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(send, function, args))
    process.start()
    send.close()
    try:
        if not receive.poll(seconds):
            raise BudgetExceeded(f"{what} did not finish within {seconds:.3g} s")
        status, value = receive.recv()
    except EOFError:
        raise RuntimeError(f"{what} failed: the worker process died") from None
    finally:
        receive.close()
        if process.is_alive():
            process.kill()
        process.join()
    if status == "error":
        raise RuntimeError(f"{what} failed: {value}")
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
