r"""Trajectories by numerical integration of the flow with ``scipy.integrate.solve_ivp``.

The right-hand side is the engine's flow; implicit methods (Radau, BDF, LSODA)
get its symbolic Jacobian. Dense output is kept in ``extras["dense"]``.

With the square loss the margin is attracted to v* = 1 at rate about beta
while u drifts slowly; an explicit method's step-size controller then runs at
the edge of its stability region and the margin rings at ~1e-7. A ``max_step``
of a few 1/beta (see :func:`stable_max_step`) keeps DOP853 inside it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.integrate import solve_ivp

from analytic.errors import BadInput
from analytic.setting import shown

from .checks import MAX_POINTS, count, finite, positive
from .model import ReducedModel, check_model
from .path_checks import path_defect
from .result import Status, Trajectory

IMPLICIT = ("Radau", "BDF", "LSODA")
METHODS = ("RK45", "RK23", "DOP853") + IMPLICIT
DEFAULT_RTOL = 1e-11
DEFAULT_ATOL = 1e-13


STIFF_STEPS = 4.0  # max_step in units of the margin's relaxation time 1/beta


def stable_max_step(model: ReducedModel) -> float:
    """``max_step`` keeping explicit methods stable near a finite loss minimiser."""
    return STIFF_STEPS / model.beta if np.isfinite(model.loss_minimiser) else np.inf


def tolerance(value, label: str):
    """A tolerance of ``solve_ivp``: finite and > 0 (a NaN tolerance makes the step control loop forever)."""
    if np.ndim(value) == 0:
        return positive(value, label)
    try:
        values = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"`{label}` must be a number or an array of numbers, got {shown(value)}") from None
    if not np.all(np.isfinite(values)):
        raise BadInput(f"`{label}` must be finite, got {shown(value)}")
    if not np.all(values > 0):
        raise BadInput(f"`{label}` must be > 0, got {shown(value)}")
    return values


def step_bound(value, label: str) -> float:
    """``max_step``: > 0, infinity allowed (no bound), never NaN."""
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise TypeError(f"`{label}` must be a number, got {shown(value)}") from None
    if math.isnan(number) or not number > 0:
        raise BadInput(f"`{label}` must be > 0 (inf for no bound), got {shown(value)}")
    return number


def ode_trajectory(
    model: ReducedModel,
    u0: float,
    v0: float,
    t_end: float,
    points: int = 101,
    *,
    method: str = "DOP853",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    max_step: float = np.inf,
    events=None,
) -> Trajectory:
    """Integrate the flow from ``(u0, v0)`` to ``t_end``; ``points`` equally spaced outputs."""
    model, u0, v0 = check_model(model), finite(u0, "u0"), finite(v0, "v0")
    t_end, points = positive(t_end, "t_end"), count(points, "points", maximum=MAX_POINTS)
    if not isinstance(method, str) or method not in METHODS:
        raise BadInput(f"`method` must be one of {', '.join(METHODS)}, got {shown(method)}")
    rtol, atol = tolerance(rtol, "rtol"), tolerance(atol, "atol")
    max_step = step_bound(max_step, "max_step")

    def rhs(_, y):
        du, dv = model.flow(y[0], y[1])
        return [float(du), float(dv)]

    options = {"jac": lambda _, y: model.jacobian(y[0], y[1])} if method in IMPLICIT else {}
    times = np.linspace(0.0, t_end, points)
    # a failed integration is reported in the result's status and message; SciPy's warnings on the way there
    # (overflow in the error norm, convergence failures) would only repeat it, unlabelled
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        solution = solve_ivp(
            rhs, (0.0, t_end), [u0, v0], method=method, t_eval=times, rtol=rtol, atol=atol,
            dense_output=True, events=events, max_step=max_step, **options,
        )
    status = Status.OK if solution.success else Status.FAILED
    y = np.asarray(solution.y, dtype=float)
    u, v = y if y.size else np.empty((2, 0))  # no output time reached: no points
    defect = path_defect(model, u, v, solution.t) if status is Status.OK else None
    if defect is not None:  # the integrator stepped over a singularity of the loss
        empty = np.full(0, np.nan)
        return Trajectory(empty, empty, empty, empty, "ode", Status.SINGULAR, f"{defect[1]}; the flow ends there")
    p = model.attention(u)[0] if model.has_attention else None
    extras = {"dense": solution.sol, "nfev": solution.nfev, "njev": solution.njev, "events": solution.t_events}
    return Trajectory(solution.t, u, v, p, "ode", status, solution.message, extras=extras)
