"""Independent jobs on every core: :class:`concurrent.futures.ProcessPoolExecutor` (forked workers).

Forked workers inherit the parent's derivations and compiled models, so jobs only
compute. Workers ignore Ctrl-C; the parent kills them, waits until they are gone
and re-raises, so an interrupt ends with one line (the command line's), not a
traceback per worker. Workers never outlive the parent, whatever ends it
(Ctrl-C, SIGTERM, SIGKILL): they die with it (:func:`analytic.budget.die_with_parent`).
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context

from analytic.budget import die_with_parent
from trajectories.progress import progress


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _start_worker(parent: int) -> None:
    """A pool worker ignores Ctrl-C (the parent stops it) and dies with ``parent``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and wait until they are gone; a second Ctrl-C meanwhile is raised after."""
    with _interrupts_held():
        processes = list((getattr(pool, "_processes", None) or {}).values())
        for process in processes:
            process.kill()
        for process in processes:
            process.join()
        pool.shutdown(wait=False, cancel_futures=True)


@contextmanager
def _interrupts_held():
    """Ctrl-C inside the block is raised as ``KeyboardInterrupt`` when it ends (Python handles signals in the main
    thread only: elsewhere nothing is held)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda *_: caught.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None else previous)
    if caught:
        raise KeyboardInterrupt


def run_jobs(jobs, *, workers: int | None = None, label: str | None = None) -> dict:
    """Run ``jobs`` — ``(key, function, arguments)`` with module-level functions — and return ``{key: result}``.

    The first job that raises stops the rest and its exception is raised here.
    ``label`` shows progress (a bar on a terminal, a line every few seconds otherwise).
    """
    jobs = list(jobs)
    workers = cores() if workers is None else max(1, int(workers))
    show = (lambda items, total: progress(items, label, total=total)) if label else (lambda items, total: items)
    if workers == 1 or len(jobs) <= 1:
        return {key: function(*arguments) for key, function, arguments in show(jobs, len(jobs))}
    pool = None
    try:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("fork"), initializer=_start_worker,
                                   initargs=(os.getpid(),))
        futures = {pool.submit(function, *arguments): key for key, function, arguments in jobs}
        results = {}
        for future in show(_as_done(futures), len(futures)):
            results[futures[future]] = future.result()
        pool.shutdown()
        return results
    except BaseException:
        if pool is not None:
            _stop(pool)
        raise


def _as_done(futures):
    """Futures as they finish; a failure is yielded at once (so its error is raised without waiting)."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        failed = [future for future in done if future.exception() is not None]
        yield from failed or done
