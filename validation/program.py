"""The program's name and its interrupted exit (plain Python: the entry point reads them before anything is imported)."""

from __future__ import annotations

import sys

PROGRAM = "attention-dynamics"
INTERRUPTED = 130  # the shell's status for a process ended by SIGINT


def interrupted() -> int:
    """Say so on stderr, in one line; the exit status of an interrupted run."""
    print(f"{PROGRAM}: interrupted", file=sys.stderr)
    return INTERRUPTED
