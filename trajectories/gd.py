r"""Finite-step gradient descent on the reduced loss, vectorised over start points.

.. math:: (u, v)_{k+1} = (u, v)_k - \eta\,(\alpha \partial_u L, \beta \partial_v L),
          \qquad t = k \eta .

Divergence is detected at the first step where any value leaves the finite
range; the result then reports that step instead of NaN. A run whose loss rises
between recorded steps (a step too large for the loss there, or one that jumps
over a singularity of the loss, e.g. the pole of :math:`1/(1 + v)`) reports
:attr:`~trajectories.result.Status.NOT_DESCENDING` with the times.
"""

from __future__ import annotations

import math

import numpy as np

from analytic.errors import BadInput

from .checks import MAX_POINTS, MAX_STEPS, count, finite_array, positive
from .model import ReducedModel, check_model
from .path_checks import path_defect
from .progress import progress
from .result import Status, Trajectory

BLOCK = 4096  # steps between progress updates of a single-start run
CHECK_EVERY = 1  # finiteness is checked at every step: the step reported is exact


def gradient_descent(
    model: ReducedModel, u0, v0, lr: float, steps: int, *, record_every: int = 1
) -> Trajectory:
    """Run ``steps`` steps of learning rate ``lr`` from every start point.

    ``u0`` and ``v0`` may be arrays (one trajectory per start, broadcast);
    the result's ``u``, ``v``, ``p`` then have shape ``(records, starts)``.
    """
    model, lr = check_model(model), positive(lr, "lr")
    steps, record_every = count(steps, "steps", maximum=MAX_STEPS), count(record_every, "record_every")
    u, v = np.array(finite_array(u0, "u0"), ndmin=1), np.array(finite_array(v0, "v0"), ndmin=1)
    try:
        u, v = (np.array(x) for x in np.broadcast_arrays(u, v))
    except ValueError:
        raise BadInput(f"`u0` and `v0` must have shapes that broadcast, got {u.shape} and {v.shape}") from None
    if u.ndim != 1:
        raise BadInput(f"`u0` and `v0` must be numbers or 1-d arrays of starts, got shape {u.shape}")
    records = (steps // record_every + 2) * u.size
    if records > MAX_POINTS:
        raise BadInput(f"`record_every` = {record_every} with `steps` = {steps} and {u.size} starts records {records:.1e} "
                         f"numbers per coordinate, more than {MAX_POINTS:.0e}: raise `record_every`")
    recorded_steps = list(range(0, steps + 1, record_every))
    if recorded_steps[-1] != steps:
        recorded_steps.append(steps)
    if u.size == 1:
        return _single_start(model, float(u[0]), float(v[0]), lr, steps, recorded_steps)
    us, vs = [u.copy()], [v.copy()]
    next_record = 1
    for k in progress(range(1, steps + 1), "gradient descent", total=steps):
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is detected and reported below
            du, dv = model.flow(u, v)
            u = u + lr * du
            v = v + lr * dv
        if not (np.all(np.isfinite(u)) and np.all(np.isfinite(v))):
            message = f"gradient descent diverged at step {k} (t = {k * lr:g}) with lr = {lr:g}"
            return _trajectory(model, recorded_steps[:next_record], lr, us, vs, Status.DIVERGED, message, k)
        if next_record < len(recorded_steps) and k == recorded_steps[next_record]:
            us.append(u.copy())
            vs.append(v.copy())
            next_record += 1
    return _trajectory(model, recorded_steps, lr, us, vs, Status.OK, "", None)


def _single_start(model: ReducedModel, u: float, v: float, lr: float, steps: int, recorded_steps: list) -> Trajectory:
    """One start in plain floats (:meth:`ReducedModel.scalar_flow`): the same steps without NumPy's per-call overhead."""
    flow = model.scalar_flow
    us, vs = [u], [v]
    record = set(recorded_steps[1:])
    every = recorded_steps[1] - recorded_steps[0] if len(recorded_steps) > 1 else 0
    for first in progress(range(1, steps + 1, BLOCK), "gradient descent", total=-(-steps // BLOCK)):
        for k in range(first, min(first + BLOCK, steps + 1)):
            du, dv = flow(u, v)
            u, v = u + lr * du, v + lr * dv
            if not (math.isfinite(u) and math.isfinite(v)):
                message = f"gradient descent diverged at step {k} (t = {k * lr:g}) with lr = {lr:g}"
                return _trajectory(model, recorded_steps[:len(us)], lr, np.array(us)[:, None], np.array(vs)[:, None],
                                   Status.DIVERGED, message, k)
            if every == 1 or k in record:
                us.append(u)
                vs.append(v)
    return _trajectory(model, recorded_steps, lr, np.array(us)[:, None], np.array(vs)[:, None], Status.OK, "", None)


def _trajectory(model, steps, lr, us, vs, status, message, diverged_at) -> Trajectory:
    u, v = np.array(us), np.array(vs)
    if status is Status.OK:
        times = np.array(steps, dtype=float) * lr
        for start in range(u.shape[1]):
            defect = path_defect(model, u[:, start], v[:, start], times)
            if defect is not None:
                k = max(defect[0], 0)
                status = Status.NOT_DESCENDING
                message = (f"the loss is not finite or rises between t = {times[k]:g} and t = {times[k + 1]:g}"
                           f"{f' (start {start})' if u.shape[1] > 1 else ''}: lr = {lr:g} is too large there, or a step "
                           "crosses a singularity of the loss")
                break
    if u.shape[1] == 1:
        u, v = u[:, 0], v[:, 0]
    p = model.attention(u)[0] if model.has_attention else None
    t = np.array(steps, dtype=float) * lr
    return Trajectory(t, u, v, p, "gd", status, message, diverged_at=diverged_at)
