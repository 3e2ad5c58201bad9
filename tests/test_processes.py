"""No process outlives a command, whatever ends it: Ctrl-C, SIGTERM, or the parent killed.

Each command runs in a session of its own (``start_new_session``), as a terminal runs a
foreground job. The test waits until the command has worker processes (read from ``/proc``,
polled a bounded number of times: no fixed sleep), lists every descendant, ends the command,
and then checks that nothing of the session is left running. Ctrl-C is SIGINT to the whole
process group, as a terminal sends it; SIGTERM and SIGKILL go to the parent alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from validation.parallel import cores

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc")]

POLL_SECONDS = 0.05  # between two looks at the process tree
MAX_POLLS = 12_000  # looks at most while a command starts its workers (10 minutes of polls: a stuck command fails, never hangs)
GONE_POLLS = 600  # looks at most for the processes of an ended command to go (they die with it: at once)
ROOT = Path(__file__).resolve().parent.parent  # run from here: this checkout's code is the one imported
WORKERS = min(2, cores())  # workers to wait for: the pool on two cores (one core runs no pool, only budgeted steps)

#: Commands that fork workers, each long enough to be still running when it is ended, and the environment they run in.
COMMANDS = {
    "reproduce": (["reproduce", "--out", "{out}"], {}),
    "sweep": (["sweep", "--workers", "2", "--alpha", "0.01:100:300", "--beta", "0.01:100:300", "--targets", "0.9"], {}),
    # no derivation cache: the derivations run, each in a budgeted worker that runs its SymPy steps in workers of its own
    "reproduce, uncached": (["reproduce", "--out", "{out}"], {"ATTENTION_DYNAMICS_CACHE": "off"}),
}

#: What the command is doing when it is ended: (what, depth of its process tree, processes at that depth).
STAGES = {
    "reproduce": ("the pool's workers", 1, WORKERS),
    "sweep": ("the pool's workers", 1, WORKERS),
    "reproduce, uncached": ("a budgeted step inside a budgeted derivation", 2, 1),
}


def _stat(pid: int) -> list[str] | None:
    """``/proc/PID/stat`` fields from the state on (the name in parentheses may hold spaces), or ``None`` when gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def _processes() -> dict[int, list[str]]:
    """Every process: pid -> stat fields (state, ppid, pgrp, session, ..., start time at index 19)."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            found[int(entry)] = fields
    return found


def descendants(pid: int) -> dict[int, tuple[str, int]]:
    """The living descendants of ``pid``: pid -> (start time, so that a reused pid is not mistaken for one; depth, 1 for a child)."""
    table = _processes()
    children: dict[int, list[int]] = {}
    for child, fields in table.items():
        children.setdefault(int(fields[1]), []).append(child)
    found, stack = {}, [(child, 1) for child in children.get(pid, [])]
    while stack:
        child, depth = stack.pop()
        if table[child][0] != "Z":
            found[child] = (table[child][19], depth)
        stack += [(grandchild, depth + 1) for grandchild in children.get(child, [])]
    return found


def running(listed: dict[int, tuple[str, int]], session: int) -> list[int]:
    """The processes of ``listed``, or of ``session``, still running (a zombie has ended: only its exit status is left)."""
    alive = []
    for pid, fields in _processes().items():
        if fields[0] == "Z":
            continue
        if listed.get(pid, ("",))[0] == fields[19] or int(fields[3]) == session:
            alive.append(pid)
    return alive


def wait_for(condition, what: str, polls: int = MAX_POLLS):
    """Poll ``condition()`` until it is true (its value is returned) or ``polls`` looks have failed."""
    for _ in range(polls):
        if value := condition():
            return value
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"not seen after {polls} polls: {what}")


def start(command: str, tmp_path: Path) -> subprocess.Popen:
    argv, environment = COMMANDS[command]
    argv = [part.replace("{out}", str(tmp_path / "run")) for part in argv]
    # as a shell starts a foreground job: Ctrl-C not ignored, whatever this test process inherited (an ignored SIGINT
    # survives exec, and Python then installs no KeyboardInterrupt handler: the command would run on to its end)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open(tmp_path / "stderr", "w") as err:  # a file, not a pipe: a worker left holding it cannot block the test
            return subprocess.Popen([sys.executable, "-m", "validation", *argv], stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, cwd=ROOT,
                                    env={**os.environ, **environment})
    finally:
        signal.signal(signal.SIGINT, previous)


def ignores_ctrl_c(pid: int) -> bool:
    """Whether process ``pid`` ignores SIGINT (``SigIgn`` in ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) >> (signal.SIGINT - 1) & 1)
    return False


def end_when_working(process: subprocess.Popen, command: str, ending: str) -> dict[int, tuple[str, int]]:
    """Wait until ``process`` is at its stage (:data:`STAGES`), list its descendants, end it by ``ending``; the listed descendants."""
    what, depth, count = STAGES[command]

    def working():
        assert process.poll() is None, f"the command ended (status {process.returncode}) before it ran {what}"
        found = descendants(process.pid)
        return found if sum(level == depth for _, level in found.values()) >= count else None

    listed = wait_for(working, what)
    if ending == "ctrl-c":
        assert not ignores_ctrl_c(process.pid), "the command was started with Ctrl-C ignored"
        os.killpg(process.pid, signal.SIGINT)
    else:
        process.send_signal(getattr(signal, ending))
    wait_for(lambda: process.poll() is not None, "the command's end", GONE_POLLS)
    return listed


@pytest.mark.parametrize("ending", ["ctrl-c", "SIGTERM", "SIGKILL"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_process_outlives_an_ended_command(tmp_path, command, ending):
    process = start(command, tmp_path)
    try:
        listed = end_when_working(process, command, ending)
        # the workers die with the command (asynchronously, when the kernel reaps the parent): wait until they are gone
        left = lambda: not running(listed, process.pid)  # noqa: E731
        wait_for(left, f"the end of every process of the command (listed before it was ended: {sorted(listed)})", GONE_POLLS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in running({}, process.pid):  # never leave a stray worker to the rest of the suite
            os.kill(pid, signal.SIGKILL)
    err = (tmp_path / "stderr").read_text()
    if ending == "ctrl-c":
        assert process.returncode == 130 and "interrupted" in err.splitlines()[-1] and "Traceback" not in err, err
        assert not list(tmp_path.rglob("*.part"))  # no temporary file left behind
    else:
        assert process.returncode == -getattr(signal, ending), (process.returncode, err)
