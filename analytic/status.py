"""One status vocabulary for derivations, trajectories, milestones and sweeps.

Each member's value is its short serialised form (readable in the JSON cache: the derivation values
are the strings stored before, so old entries still read); :attr:`Status.reason` is the text a user reads.
"""

from __future__ import annotations

import enum


class Status(str, enum.Enum):
    """How a computation ended."""

    OK = "ok"
    # derivations
    NO_INTEGRAL = "no first integral found"
    TIMEOUT = "timeout"
    # trajectories
    DIVERGED = "diverged"
    OVERFLOW = "overflow"
    FAILED = "failed"
    ILL_CONDITIONED = "ill-conditioned"
    SINGULAR = "singular"
    UNDERFLOW = "underflow"
    NOT_DESCENDING = "not descending"
    # milestones and sweeps
    UNREACHABLE = "unreachable"
    BEYOND_HORIZON = "beyond horizon"
    UNRESOLVED = "not resolved"
    NOT_FINITE = "not computed"

    @property
    def reason(self) -> str:
        """The human text for this status."""
        return _REASONS[self]

    @property
    def ok(self) -> bool:
        return self is Status.OK

    @property
    def degenerate(self) -> bool:
        """A result refused because the loss is degenerate on the path (a singularity, a scale below resolution)."""
        return self in (Status.SINGULAR, Status.UNDERFLOW, Status.NOT_DESCENDING)

    def __str__(self) -> str:
        return self.value


_REASONS = {
    Status.OK: "ok",
    Status.NO_INTEGRAL: "no first integral found",
    Status.TIMEOUT: "the derivation's time budget ran out",
    Status.DIVERGED: "diverged: values left the finite range",
    Status.OVERFLOW: "overflow: a quantity exceeds the float64 range",
    Status.FAILED: "the integrator failed",
    Status.ILL_CONDITIONED: "ill-conditioned: the closed form cannot resolve the motion in float64",
    Status.SINGULAR: "singular: the path meets a singularity of the loss, where the flow cannot pass",
    Status.UNDERFLOW: "underflow: the loss varies on a scale the method cannot resolve",
    Status.NOT_DESCENDING: "not descending: a step raised the loss",
    Status.UNREACHABLE: "unreachable: the attention's limit stays below the target",
    Status.BEYOND_HORIZON: "reached after the horizon",
    Status.UNRESOLVED: ("not resolved in float64 (rounding of the first integral moves u by more than 1e-8, "
                        "or the time's error estimate exceeds 1e-7)"),
    Status.NOT_FINITE: "not computed: dt/ds overflows or loses its sign before the target (the time leaves float64)",
}
