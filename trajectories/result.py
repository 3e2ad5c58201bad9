"""The one result shape every way of computing a trajectory returns."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class Status(enum.Enum):
    """How a computation ended; the value is the message a user reads."""

    OK = "ok"
    DIVERGED = "diverged: values left the finite range"
    OVERFLOW = "overflow: a quantity exceeds the float64 range"
    FAILED = "the integrator failed"
    ILL_CONDITIONED = "ill-conditioned: the closed form cannot resolve the motion in float64"


@dataclass(frozen=True)
class Trajectory:
    """Times and reduced coordinates of one trajectory.

    Attributes
    ----------
    t, u, v, p : numpy.ndarray
        Time, focus logit, margin and foreground attention, one entry per point
        (``p`` is ``None`` for a whole loss L(u, v), which has no attention).
    method : str
        ``"closed"``, ``"ode"``, ``"gd"`` or ``"full"``.
    status : Status
    message : str
        Details (e.g. the step at which gradient descent diverged).
    time_error : numpy.ndarray or None
        For the closed form: quadrature error estimate of each time.
    diverged_at : int or None
        The first step at which values were no longer finite.
    extras : dict
        Method-specific figures (e.g. the full model's largest asymmetry).
    """

    t: np.ndarray
    u: np.ndarray
    v: np.ndarray
    p: np.ndarray
    method: str
    status: Status = Status.OK
    message: str = ""
    time_error: np.ndarray | None = None
    diverged_at: int | None = None
    extras: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK

    def rows(self):
        """``(t, u, v, p)`` tuples, for CSV (``(t, u, v)`` for a whole loss, which has no attention)."""
        if self.p is None:
            return zip(self.t.tolist(), self.u.tolist(), self.v.tolist())
        return zip(self.t.tolist(), self.u.tolist(), self.v.tolist(), self.p.tolist())
