"""stdout that cannot take the output (closed, a full disk, a reader that left): one line on stderr, exit status 1.

Never exit status 0 with the output lost, never a traceback.
"""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys

import pytest

from validation.cli import STDOUT_FAILED, main

COMMANDS = {
    "derive": ["derive", "--paradigm", "hard", "--loss", "square"],  # the example: exit 0 with stdout closed
    "trajectory": ["trajectory", "--paradigm", "soft", "--t-end", "10", "--points", "100000"],  # fails inside a print
}
REASONS = {"full": "No space left on device", "closed": "stdout is closed", "no reader": "Broken pipe"}


def run_with_stdout(argv, case):
    """The command line in a fresh process with stdout on /dev/full, closed, or a pipe nobody reads."""
    command = [sys.executable, "-m", "validation", *argv]
    if case == "full":
        with open("/dev/full", "w") as full:
            return subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, timeout=300)
    if case == "closed":  # the shell's >&-
        return subprocess.run(command, stderr=subprocess.PIPE, text=True, timeout=300,
                              preexec_fn=lambda: os.close(1))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader left before the first byte: every write is EPIPE
    try:
        return subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("case", REASONS)
@pytest.mark.parametrize("command", COMMANDS)
def test_an_unwritable_stdout_is_one_line_and_status_1(command, case):
    process = run_with_stdout(COMMANDS[command], case)
    assert process.returncode == STDOUT_FAILED == 1, process.stderr
    assert process.stderr.count("\n") == 1 and "Traceback" not in process.stderr and "Exception ignored" not in process.stderr
    assert "stdout" in process.stderr and REASONS[case] in process.stderr, process.stderr


class FailingStream(io.StringIO):
    """A stream whose writes fail like a full disk after ``room`` characters."""

    def __init__(self, room: int):
        super().__init__()
        self.room = room

    def write(self, text):
        if self.tell() + len(text) > self.room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return super().write(text)


@pytest.mark.parametrize("room", [0, 100])
def test_a_failing_write_in_process_is_one_line(monkeypatch, capsys, room):
    stream = FailingStream(room)
    monkeypatch.setattr(sys, "stdout", stream)
    status = main(["signature"])
    assert sys.stdout is stream  # put back
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "No space left on device" in err and "Traceback" not in err
