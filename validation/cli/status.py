"""Exit statuses of the command line and the one exception that means bad input."""

from __future__ import annotations


USAGE_ERROR = 2
CHECK_FAILED = 1  # a verification the user asked for (--check, certification) did not pass
MILESTONES_INCOMPLETE = 1  # milestones printed with some cell "not resolved"
NOT_AVAILABLE = 1  # a result the method cannot give (a singularity of the loss on the path, a derivation past its budget), said with its reason
STDOUT_FAILED = 1  # the output could not be written to stdout (closed, a full disk, a reader that left)


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""
