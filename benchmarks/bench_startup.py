"""Start-up time of the command line against ``python -c "import sympy"``.

Each command runs in a fresh subprocess of this interpreter REPEATS times, the
commands taking turns, after one warm-up run each that caches the bytecode
(PYTHONDONTWRITEBYTECODE is dropped for the subprocesses: an installed package
has its bytecode cached); the median wall time is reported with its ratio to
the bare SymPy import. The CPU time (user + system) of the subprocess is shown
too: it varies less than the wall time on a busy machine. The goal: ``derive --help`` within 1.5x of ``import sympy``,
and no SciPy or matplotlib import for ``--help`` or argument errors
(tests/test_startup.py checks the imports; this script only measures).

Run: ``python3 benchmarks/bench_startup.py``
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time

REPEATS = 5
COMMANDS = [
    ("import sympy", ["-c", "import sympy"]),
    ("--help", ["-m", "validation", "--help"]),
    ("derive --help", ["-m", "validation", "derive", "--help"]),
    ("trajectory --help", ["-m", "validation", "trajectory", "--help"]),
    ("derive --segments 1 (error)", ["-m", "validation", "derive", "--segments", "1"]),
]


ENVIRONMENT = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def run_once(arguments: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds for one fresh interpreter to run ``arguments``."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run([sys.executable, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=ENVIRONMENT)
    return time.perf_counter() - start, _cpu() - cpu


def median_times(commands) -> list[tuple[str, float, float]]:
    """Median wall and CPU time of each command; the commands take turns, so a burst of load hits all alike."""
    for _, arguments in commands:
        run_once(arguments)  # warm-up: bytecode and file-system caches
    samples = {label: [] for label, _ in commands}
    for _ in range(REPEATS):
        for label, arguments in commands:
            samples[label].append(run_once(arguments))
    return [
        (label, statistics.median(w for w, _ in samples[label]), statistics.median(c for _, c in samples[label]))
        for label, _ in commands
    ]


def main() -> int:
    results = median_times(COMMANDS)
    wall0, cpu0 = results[0][1], results[0][2]
    width = max(len(label) for label, *_ in results)
    print(f"median of {REPEATS} fresh subprocesses ({sys.executable})")
    print(f"{'command':{width}}  {'wall (s)':>8}  {'ratio':>6}  {'CPU (s)':>8}  {'ratio':>6}")
    for label, wall, cpu in results:
        print(f"{label:{width}}  {wall:8.3f}  {wall / wall0:5.2f}x  {cpu:8.3f}  {cpu / cpu0:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
