"""The one result shape every way of computing a trajectory returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from analytic.status import Status  # noqa: F401 (the one status vocabulary, re-exported)

SUMMARY_WIDTH = 80  # characters of a message quoted in a one-line repr
#: the accuracy promised for every printed u, v, p of a trajectory: error <= ACCURACY * max(1, |value|)
ACCURACY = 1e-6


def shorten(text: str, width: int = SUMMARY_WIDTH) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


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

    def __repr__(self) -> str:
        """One line, no arrays: method, number of points, time span, final state and status.

        Examples
        --------
        >>> import numpy as np
        >>> Trajectory(np.array([0.0, 10.0]), np.array([0.0, 1.5]), np.array([0.0, 2.0]), np.array([0.1, 0.4]), "ode")
        <Trajectory ode: 2 points, t in [0, 10], final u=1.5, v=2, p=0.4; ok>
        """
        count = len(self.t)
        if count == 0:
            return f"<Trajectory {self.method}: no points; {self.status.reason}>"
        columns = (("u", self.u), ("v", self.v)) + ((("p", self.p),) if self.p is not None else ())
        if np.ndim(self.u) > 1:  # gradient descent from several starts: (records, starts)
            final = f"{np.shape(self.u)[1]} starts"
        else:
            final = ", ".join(f"{name}={float(values[-1]):.6g}" for name, values in columns)
        status = self.status.reason if self.ok or not self.message else f"{self.status.reason} ({shorten(self.message)})"
        return (f"<Trajectory {self.method}: {count} point{'s' if count != 1 else ''}, "
                f"t in [{float(self.t[0]):.6g}, {float(self.t[-1]):.6g}], final {final}; {status}>")

    def rows(self):
        """``(t, u, v, p)`` tuples, for CSV (``(t, u, v)`` for a whole loss, which has no attention)."""
        if self.p is None:
            return zip(self.t.tolist(), self.u.tolist(), self.v.tolist())
        return zip(self.t.tolist(), self.u.tolist(), self.v.tolist(), self.p.tolist())
