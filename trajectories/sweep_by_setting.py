r"""Milestones of a model the batched engine cannot run, one setting at a time.

The batched closed form (:mod:`trajectories.sweep`) needs the softmax focus part, :math:`B(v)`
in closed form and the margin's scale under the aggregation. Any other model (a quadrature
part, no first integral, a custom aggregation) is swept here by :func:`~trajectories.milestones.milestones`
at each setting: its closed form where one exists, else the log-time ODE (two LSODA runs that
must agree), else the cell is not resolved with its reason. ``by_ode`` marks the cells whose
time the ODE gave.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from analytic.status import Status

from .log_time import METHOD as LOG_TIME
from .milestones import milestones
from .model import Setting, reduced_model
from .sweep import Outcome, SweepTimes

#: the sweep's outcome of each milestone status
OUTCOMES = {Status.OK: Outcome.REACHED, Status.BEYOND_HORIZON: Outcome.BEYOND_HORIZON,
            Status.UNREACHABLE: Outcome.UNREACHABLE, Status.UNRESOLVED: Outcome.UNRESOLVED}


def setting_at(template: Setting, numbers, i: int) -> Setting:
    """``template`` with the ``i``-th of ``numbers = (segments, classes, alpha, beta)`` (arrays)."""
    segments, classes, alpha, beta = (x[i] for x in numbers)
    return dataclasses.replace(template, segments=float(segments), classes=int(classes), alpha=float(alpha), beta=float(beta))


def milestones_by_setting(template: Setting, numbers, u0, v0, targets, horizon: float) -> SweepTimes:
    """The milestone times of ``template`` at each setting ``numbers = (segments, classes, alpha, beta)`` (arrays)."""
    n = np.asarray(numbers[0]).size
    times = SweepTimes.empty(targets, n)
    by_ode = np.zeros((n, len(targets)), dtype=bool)
    for i in range(n):
        found = milestones(reduced_model(setting_at(template, numbers, i)), float(u0[i]), float(v0[i]), targets, horizon,
                           unresolved="flag")
        for j, m in enumerate(found):
            times.outcome[i, j] = OUTCOMES[m.status]
            if m.status is Status.OK:
                times.time[i, j], times.error[i, j] = m.time, m.error
                times.u[i, j], times.v[i, j] = m.state
                by_ode[i, j] = m.method == LOG_TIME
    return dataclasses.replace(times, by_ode=by_ode)
