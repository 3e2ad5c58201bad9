"""Independent jobs on every core: :class:`concurrent.futures.ProcessPoolExecutor` (forked workers).

Forked workers inherit the parent's derivations and compiled models, so jobs only
compute. Workers ignore Ctrl-C; the parent stops them and re-raises, so an
interrupt ends with one line (the command line's), not a traceback per worker.
"""

from __future__ import annotations

import os
import signal
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

from trajectories.progress import progress


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _quiet_worker() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
    pool = ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=get_context("fork"), initializer=_quiet_worker)
    try:
        futures = {pool.submit(function, *arguments): key for key, function, arguments in jobs}
        results = {}
        for future in show(_as_done(futures), len(futures)):
            results[futures[future]] = future.result()
        pool.shutdown()
        return results
    except BaseException:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def _as_done(futures):
    """Futures as they finish; a failure is yielded at once (so its error is raised without waiting)."""
    pending = set(futures)
    while pending:
        done, pending = wait(pending, return_when=FIRST_COMPLETED)
        failed = [future for future in done if future.exception() is not None]
        yield from failed or done
