"""Milestone times of one column over settings: the batched closed form vs the setting-by-setting path.

Same question for both: the first time hard attention with the cross-entropy loss (c = 2) reaches
p = 0.3, 0.9, 0.99 from (0, 0) at N settings, T log-spaced from 2 to 1e4, alpha = beta = 1; the
batched engine (`trajectories.sweep.sweep_milestones`) and the path `sweep` takes for a model the
batched engine cannot run (`trajectories.sweep_by_setting.milestones_by_setting`: milestones per
setting), one process each, after a warm-up. Then the path's cost for a model only it can run:
the squared hinge Max(0, 1 - v)^2 under hard attention (closed form, then the log-time ODE).
Prints wall and CPU seconds per setting and the largest relative difference of the two paths
(for a built-in model `milestones` runs the batched engine on one setting, so the two agree to
rounding: the comparison measures the per-setting overhead, not an independent check).

Run: python3 benchmarks/bench_sweep_by_setting.py [N]   (default N = 40)
"""

from __future__ import annotations

import sys
import time

import numpy as np

from analytic.losses import custom
from analytic.parsing import parse_expression
from analytic import symbols as sym
from trajectories.model import Setting
from trajectories.sweep import BatchModel, Outcome, sweep_milestones
from trajectories.sweep_by_setting import milestones_by_setting

TARGETS = (0.3, 0.9, 0.99)


def timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main(n: int) -> None:
    segments = np.geomspace(2, 1e4, n)
    numbers = (segments, np.full(n, 2.0), np.ones(n), np.ones(n))
    start = np.zeros(n)
    template = Setting("hard", "cross-entropy", 2, 10, 1, 1)
    # warm-up: derive and compile both paths outside the timing
    sweep_milestones(BatchModel(template, *(x[:2] for x in numbers)), start[:2], start[:2], TARGETS, np.inf)
    milestones_by_setting(template, tuple(x[:2] for x in numbers), start[:2], start[:2], TARGETS, np.inf)

    batched, wall_b, cpu_b = timed(lambda: sweep_milestones(BatchModel(template, *numbers), start, start, TARGETS, np.inf))
    by_setting, wall_s, cpu_s = timed(lambda: milestones_by_setting(template, numbers, start, start, TARGETS, np.inf))
    both = (batched.outcome == Outcome.REACHED) & (by_setting.outcome == Outcome.REACHED)
    # a target already reached at the start has time 0 on both paths (T = 2: p = 1/2 > 0.3)
    worst = float(np.max(np.abs(batched.time[both] - by_setting.time[both]) / np.maximum(batched.time[both], np.finfo(float).tiny)))
    print(f"hard x cross-entropy, {n} settings x {len(TARGETS)} targets (one process):")
    print(f"  batched closed form   {wall_b / n * 1e3:8.2f} ms wall, {cpu_b / n * 1e3:8.2f} ms CPU per setting")
    print(f"  setting by setting    {wall_s / n * 1e3:8.2f} ms wall, {cpu_s / n * 1e3:8.2f} ms CPU per setting"
          f"  ({cpu_s / cpu_b:.1f}x the batched CPU)")
    print(f"  cells reached by both: {int(both.sum())} of {both.size}; largest relative difference {worst:.1e}")

    hinge = Setting("hard", custom(parse_expression("Max(0, 1-v)^2", {"v": sym.v})), 2, 10, 1, 1)
    milestones_by_setting(hinge, tuple(x[:1] for x in numbers), start[:1], start[:1], TARGETS, np.inf)
    found, wall_h, cpu_h = timed(lambda: milestones_by_setting(hinge, numbers, start, start, TARGETS, np.inf))
    by_ode = int(found.by_ode.sum())
    print(f"hard x Max(0, 1-v)^2 (only the setting-by-setting path runs it), {n} settings:")
    print(f"  {wall_h / n * 1e3:8.2f} ms wall, {cpu_h / n * 1e3:8.2f} ms CPU per setting; {by_ode} of {found.outcome.size} cells by ODE")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40)
