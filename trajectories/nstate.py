r"""Trajectories of a model with ``n`` state variables, from its flow compiled once.

.. math:: \dot\theta = F(\theta), \qquad F_i = -r_i \, \partial L / \partial \theta_i,

integrated by ``solve_ivp`` (:func:`state_ode`) or followed by gradient descent
:math:`\theta_{k+1} = \theta_k + \eta F(\theta_k)`, :math:`t = k\eta` (:func:`state_gradient_descent`).
Both return a :class:`StateTrajectory` with one row per state.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp

from analytic.errors import BadInput, NotAvailable
from analytic.setting import shown
from analytic.special import numpy_functions
from analytic.states import StateFlow, StateModel, state_flow

from .checks import MAX_POINTS, MAX_STEPS, count, finite, positive
from .ode import DEFAULT_ATOL, DEFAULT_RTOL, METHODS, tolerance
from .result import Status


@dataclass(frozen=True)
class CompiledStates:
    """The flow and loss of a :class:`StateModel` with every parameter a number, as NumPy functions."""

    names: tuple[str, ...]
    flow: StateFlow
    _flow: object
    _loss: object

    def __call__(self, y: np.ndarray) -> np.ndarray:
        """:math:`F(\\theta)` at one state (a 1-d array of the states in order)."""
        return np.array([float(x) for x in self._flow(*y)], dtype=float)

    def loss(self, y: np.ndarray) -> float:
        return float(self._loss(*y))


def compile_states(model: StateModel, values: Mapping[str, object] | None = None) -> CompiledStates:
    """Lambdify the certified flow once; every parameter (rates, ``tau``, ...) needs a value."""
    if values:
        model = model.with_values(values)
    if model.parameters:
        missing = ", ".join(s.name for s in model.parameters)
        raise BadInput(f"`values`: no number for the parameter(s) {missing} of the model")
    flow = state_flow(model)
    if not flow.certified:
        failed = ", ".join(c.name for c in flow.certificate.failures())
        raise NotAvailable(f"`model`: its flow could not be certified ({failed})")
    modules = [numpy_functions(), "numpy"]
    compiled_flow = sp.lambdify(model.states, list(flow.flow), modules=modules, cse=True)
    compiled_loss = sp.lambdify(model.states, model.loss, modules=modules)
    return CompiledStates(model.names, flow, compiled_flow, compiled_loss)


def start_vector(names: tuple[str, ...], start: Mapping[str, object] | None) -> np.ndarray:
    """The start as a vector: the given states, zero where not given."""
    start = dict(start or {})
    unknown = sorted(set(start) - set(names))
    if unknown:
        raise BadInput(f"`start`: {unknown[0]!r} is not a state of the model (its states: {', '.join(names)})")
    return np.array([finite(start.get(name, 0.0), f"start {name}") for name in names], dtype=float)


@dataclass(frozen=True)
class StateTrajectory:
    """Times and states of one trajectory: ``y[i]`` is state ``names[i]`` at the times ``t``."""

    t: np.ndarray
    y: np.ndarray
    names: tuple[str, ...]
    method: str
    status: Status = Status.OK
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def state(self, name: str) -> np.ndarray:
        return self.y[self.names.index(name)]

    def to_dict(self) -> dict:
        record = {"t": self.t.tolist()}
        record.update({name: row.tolist() for name, row in zip(self.names, self.y)})
        record.update({"method": self.method, "status": self.status.reason, "message": self.message})
        return record

    def rows(self):
        return zip(self.t.tolist(), *(row.tolist() for row in self.y))

    def __repr__(self) -> str:
        final = ", ".join(f"{name}={float(row[-1]):.6g}" for name, row in zip(self.names, self.y)) if self.t.size else "no points"
        return f"<StateTrajectory {self.method}: {self.t.size} points, final {final}; {self.status.reason}>"


def state_ode(
    compiled: CompiledStates,
    start: Mapping[str, object] | None,
    t_end: float,
    points: int = 101,
    *,
    method: str = "DOP853",
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> StateTrajectory:
    """``solve_ivp`` of the flow from ``start`` to ``t_end``; ``points`` equally spaced outputs."""
    y0 = start_vector(compiled.names, start)
    t_end, points = positive(t_end, "t_end"), count(points, "points", maximum=MAX_POINTS)
    if not isinstance(method, str) or method not in METHODS:
        raise BadInput(f"`method` must be one of {', '.join(METHODS)}, got {shown(method)}")
    rtol, atol = tolerance(rtol, "rtol"), tolerance(atol, "atol")
    times = np.linspace(0.0, t_end, points)
    with warnings.catch_warnings(), np.errstate(all="ignore"):  # a failure is reported in the status, not as warnings
        warnings.simplefilter("ignore", RuntimeWarning)
        solution = solve_ivp(lambda _, y: compiled(y), (0.0, t_end), y0, method=method, t_eval=times, rtol=rtol, atol=atol)
    y = np.asarray(solution.y, dtype=float).reshape(len(y0), -1)
    if solution.success and not np.all(np.isfinite(y)):
        return StateTrajectory(solution.t, y, compiled.names, "ode", Status.DIVERGED, "the states left the finite range")
    status = Status.OK if solution.success else Status.FAILED
    return StateTrajectory(solution.t, y, compiled.names, "ode", status, solution.message)


def state_gradient_descent(
    compiled: CompiledStates, start: Mapping[str, object] | None, lr: float, steps: int, *, record_every: int = 1
) -> StateTrajectory:
    """``steps`` steps :math:`\\theta \\mathrel{+}= \\eta F(\\theta)`; every ``record_every``-th is recorded (and the last)."""
    y = start_vector(compiled.names, start)
    lr = positive(lr, "lr")
    steps, record_every = count(steps, "steps", maximum=MAX_STEPS), count(record_every, "record_every")
    if (steps // record_every + 2) * y.size > MAX_POINTS:
        raise BadInput(f"`record_every` = {record_every} with `steps` = {steps} records more than {MAX_POINTS:.0e} numbers")
    recorded, rows = [0], [y.copy()]
    with np.errstate(all="ignore"):  # overflow is detected below and reported with its step
        for k in range(1, steps + 1):
            y = y + lr * compiled(y)
            if not np.all(np.isfinite(y)):
                message = f"gradient descent diverged at step {k} (t = {k * lr:g}) with lr = {lr:g}"
                return StateTrajectory(np.array(recorded) * lr, np.array(rows).T, compiled.names, "gd", Status.DIVERGED, message)
            if k % record_every == 0 or k == steps:
                recorded.append(k)
                rows.append(y.copy())
    return StateTrajectory(np.array(recorded, dtype=float) * lr, np.array(rows).T, compiled.names, "gd")


__all__ = ["CompiledStates", "StateTrajectory", "compile_states", "state_gradient_descent", "state_ode", "start_vector"]
