"""Milestone times over (T, c) grids: the batched closed form (`sweep`) vs solve_ivp event detection.

Same question for both: the first time each of soft, hard and LVML attention reaches
p = 0.3, 0.9, 0.99, at every setting of a grid with T and c log-spaced from 2 to 1e4
(alpha = 1/c, beta = 1/(c - 1), start (0, 0)). The sweep runs on every core
(`validation.sweep.run_sweep`); event detection (LSODA, rtol 1e-12, one setting at a
time, `trajectories.milestones.ode_milestones`) runs on a random sample and its time is
scaled to the whole grid. The largest relative difference between the two is printed.
Then the main job (`reproduce`) is timed end to end.

Run: python3 benchmarks/bench_sweep.py [--large] [--no-reproduce]
     (--large adds 200 x 200; 1000 x 1000 takes minutes: pass --huge)
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from trajectories.milestones import ode_milestones
from trajectories.model import Setting, reduced_model
from trajectories.sweep import Outcome
from validation.grids import grid
from validation.parallel import cores
from validation.sweep import SweepRequest, run_sweep

TARGETS = (0.3, 0.9, 0.99)
SAMPLE = 20  # settings per paradigm checked (and timed) with event detection


def sweep(n: int):
    axis = f"2:10000:{n}"
    request = SweepRequest(Setting("soft", "cross-entropy"), {"segments": grid(axis, "segments"), "classes": grid(axis, "classes")}, TARGETS)
    run_sweep(request, show_progress=False, workers=1 if n <= 2 else None)  # compile and warm up outside the timing
    start = time.perf_counter()
    report = run_sweep(request, show_progress=False)
    return report, time.perf_counter() - start


def events(report, rng):
    """(worst relative difference, seconds per setting per paradigm) over a random sample."""
    settings, worst, seconds, count = report.settings, 0.0, 0.0, 0
    rows = rng.choice(report.request.size, size=min(SAMPLE, report.request.size), replace=False)
    for paradigm in ("soft", "hard", "lvml"):
        result = report.results[paradigm]
        for i in rows:
            c = int(settings["classes"][i])
            model = reduced_model(Setting(paradigm, "cross-entropy", c, float(settings["segments"][i]), 1 / c, 1 / (c - 1)))
            reached = result.time[i][result.outcome[i] == Outcome.REACHED]
            horizon = 2 * float(reached.max()) + 1 if reached.size else 1e6
            start = time.perf_counter()
            found = ode_milestones(model, 0.0, 0.0, TARGETS, horizon)
            seconds += time.perf_counter() - start
            count += 1
            for j, event in enumerate(found):
                closed = result.time[i, j] if result.outcome[i, j] == Outcome.REACHED else None
                if (closed is None) != (event is None):
                    worst = math.inf
                elif closed is not None and event > 0:
                    worst = max(worst, abs(closed - event) / event)
    return worst, seconds / count


def main():
    sizes = [50]
    if "--large" in sys.argv or "--huge" in sys.argv:
        sizes.append(200)
    if "--huge" in sys.argv:
        sizes.append(1000)
    rng = np.random.default_rng(0)
    print(f"{cores()} cores; grids T x c log-spaced 2..1e4 (rounded, repeats dropped), 3 paradigms, targets {TARGETS}")
    print(f"{'grid':>12} {'settings':>9} {'sweep s':>9} {'events s (est.)':>16} {'speed-up':>9} {'worst rel. diff':>16}")
    for n in sizes:
        report, seconds = sweep(n)
        worst, per = events(report, rng)
        estimate = per * 3 * report.request.size
        print(f"{n:>5} x {n:<4} {report.request.size:>9} {seconds:>9.2f} {estimate:>16.1f} {estimate / seconds:>8.0f}x {worst:>16.1e}")
    if "--no-reproduce" not in sys.argv:
        out = tempfile.mkdtemp()
        try:
            command = [sys.executable, "-m", "validation", "reproduce", "--out", f"{out}/run"]
            subprocess.run(command, check=True, capture_output=True)  # fills the derivation cache
            shutil.rmtree(f"{out}/run")
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            print(f"reproduce (warm derivation cache, wall time of the command): {time.perf_counter() - start:.1f} s")
        finally:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
