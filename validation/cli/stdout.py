"""Standard output that says when it cannot be written (a closed pipe, a full disk): one line, never a traceback."""

from __future__ import annotations

import os
import sys


class StdoutFailed(Exception):
    """Writing to stdout failed (``OSError`` from the stream): one line on stderr, exit status :data:`STDOUT_FAILED`."""


class CheckedStdout:
    """``sys.stdout`` whose write errors (EPIPE, ENOSPC, EIO, ...) raise :class:`StdoutFailed`: never a traceback,
    never exit status 0 with the output lost."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError as error:
            raise StdoutFailed(error.strerror or str(error)) from None

    def flush(self):
        try:
            self._stream.flush()
        except OSError as error:
            raise StdoutFailed(error.strerror or str(error)) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def stdout_problem() -> str | None:
    """Why nothing can be written to stdout (closed), before any work is done; ``None`` when it can be."""
    if sys.stdout is None:
        return "stdout is closed"
    try:
        descriptor = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return None  # not a file (a test's capture): its writes are checked as they happen
    try:
        os.fstat(descriptor)
    except OSError as error:
        return f"stdout is not usable ({error.strerror})"
    return None


def discard_stdout(stream) -> None:
    """Point a failed stdout at /dev/null, so the interpreter's last flush of what is left does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a file descriptor (a test's capture): nothing is flushed at exit
