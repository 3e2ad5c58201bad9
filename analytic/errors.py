"""The three ways a request can fail without a bug, each its own exception type.

- :class:`BadInput`: the input is wrong (exit 2 on the CLI, one line naming the parameter and value).
- :class:`NotAvailable`: the input is fine but the result does not exist here (e.g. no first integral),
  said per cell or row with its reason (exit 1).
- :class:`NotResolved`: the result may exist but cannot be resolved (e.g. in float64), said per cell or
  row with its reason (exit 1).

All three subclass :class:`ValueError`, so a caller that catches ``ValueError`` still sees them; inside the
toolkit catch the specific type, never ``ValueError``, and never match the message text. The command line
maps exactly these to exit statuses 2, 1 and 1: a plain ``ValueError`` (or any other exception) is a bug
and its traceback shows.
"""

from __future__ import annotations

from .status import Status


class BadInput(ValueError):
    """The input is wrong: one line naming the parameter and its value."""


class _Unavailable(ValueError):
    """A result not given, with the :class:`~analytic.status.Status` saying why."""

    default_status: Status

    def __init__(self, message: str = "", status: Status | None = None):
        self.status = status if status is not None else self.default_status
        super().__init__(message or self.status.reason)


class NotAvailable(_Unavailable):
    """The result does not exist for this input (e.g. no first integral was found)."""

    default_status = Status.NO_INTEGRAL


class NotResolved(_Unavailable):
    """The result may exist but the computation cannot resolve it (e.g. in float64)."""

    default_status = Status.UNRESOLVED
