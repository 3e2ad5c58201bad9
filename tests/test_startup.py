"""Start-up: ``--help`` and argument errors import neither SciPy nor matplotlib.

Each check runs in a fresh interpreter and looks at ``sys.modules`` afterwards
(no timings here: benchmarks/bench_startup.py measures them). The command line
checks ``--targets`` and ``--hybrid`` with :mod:`trajectories.choices`, which
imports neither NumPy nor SciPy.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib")
MARKER = "@@startup@@"

# `python -m validation ARGV...` in this interpreter; afterwards, the exit status and the heavy modules loaded
MODULE_PROBE = f"""
import json, runpy, sys
sys.argv = ["validation", *json.loads(sys.argv[1])]
try:
    runpy.run_module("validation", run_name="__main__", alter_sys=True)
    status = None
except SystemExit as stop:
    status = stop.code
print("{MARKER}" + json.dumps({{"status": status, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""

# validation.cli.main(argv) for each argv in turn, in one interpreter; the heavy modules loaded after each call
MAIN_PROBE = f"""
import json, sys
from validation.cli import main
records = []
for argv in json.loads(sys.argv[1]):
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    records.append({{"argv": argv, "status": status, "loaded": [m for m in {HEAVY!r} if m in sys.modules]}})
print("{MARKER}" + json.dumps(records))
"""


def probe(code: str, payload) -> tuple[object, subprocess.CompletedProcess]:
    done = subprocess.run([sys.executable, "-c", code, json.dumps(payload)], capture_output=True, text=True, timeout=300)
    assert MARKER in done.stdout, (done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(done.stdout.rsplit(MARKER, 1)[1]), done


@pytest.mark.parametrize(
    "argv, status",
    [
        (["derive", "--help"], 0),
        (["trajectory", "--help"], 0),
        (["derive", "--segments", "1"], 2),  # an argparse error (a bad value)
    ],
)
def test_python_m_validation_imports_no_scipy_or_matplotlib(argv, status):
    record, done = probe(MODULE_PROBE, argv)
    assert record["status"] == status, done.stderr
    assert record["loaded"] == [], f"`python -m validation {' '.join(argv)}` imported {record['loaded']}"
    if status == 2:
        assert done.stderr.count("\n") == 1 and "argument --segments" in done.stderr


SUBCOMMANDS = ["derive", "trajectory", "compare", "milestones", "best-switch", "sweep", "growth", "signature", "paper", "reproduce", "figures"]
ERRORS = [
    # argparse errors: bad values, missing and unknown arguments, unknown commands
    ["derive", "--segments", "1"],
    ["derive", "--alpha", "nan"],
    ["derive", "--format", "pdf"],
    ["trajectory", "--paradigm", "soft"],
    ["trajectory", "--paradigm", "soft", "--t-end", "10", "--method", "euler"],
    ["milestones", "--targets", "0.5,0.2"],
    ["milestones", "--targets", "0.3,1.5"],
    ["milestones", "--hybrid", "soft:hard@p=2"],
    ["milestones", "--hybrid", "soft:sparse@p=0.5"],
    ["best-switch"],
    ["sweep", "--segments", "2:10:0"],
    ["sweep", "--classes", "2.5"],
    ["derive", "--param", "tau"],
    ["bogus"],
    [],
    # the command line's own one-line errors, raised before any computation
    ["derive", "--paradigm", "sparse"],
    ["derive", "--loss", "hinge"],
    ["derive", "--segment-loss", "exp(u)"],
    ["derive", "--expr", "u + v", "--paradigm", "soft"],
    ["trajectory", "--t-end", "10"],
    ["trajectory", "--paradigm", "sparse", "--t-end", "10"],
    ["trajectory", "--paradigm", "soft", "--t-end", "10", "--aggregate", "p*l(v)"],
    ["compare", "--paradigm", "soft", "--t-end", "10", "--classes", "c"],
    ["milestones", "--param", "tau=1", "--param", "tau=2"],
    ["best-switch", "--target", "2"],
    ["sweep", "--hybrid", "soft:hard@x=4"],
    ["growth", "--expr", "u + v"],
]


def test_help_and_argument_errors_import_no_scipy_or_matplotlib():
    calls = [["--help"]] + [[name, "--help"] for name in SUBCOMMANDS] + ERRORS
    records, done = probe(MAIN_PROBE, calls)
    assert [r["argv"] for r in records] == calls
    for record in records:  # modules stay loaded, so the first call to load one is the culprit
        assert record["loaded"] == [], f"main({record['argv']}) imported {record['loaded']}"
    assert [r["status"] for r in records] == [0] * (1 + len(SUBCOMMANDS)) + [2] * len(ERRORS), done.stderr
    assert done.stderr.count("\n") == len(ERRORS) and "Traceback" not in done.stderr


# --- the command line's SciPy-free checks agree with trajectories' --------------------------
def _outcome(function, text):
    try:
        return "ok", function(text)
    except (ValueError, TypeError, argparse.ArgumentTypeError) as error:
        return "error", str(error)


def test_targets_default_is_parsed_lazily():
    from validation.cli import DEFAULT_TARGETS, build_parser

    parser = build_parser()
    assert parser.parse_args(["milestones"]).targets == [0.3, 0.5, 0.9, 0.99]
    assert parser.parse_args(["milestones", "--targets", "0.2,0.4"]).targets == [0.2, 0.4]
    assert DEFAULT_TARGETS in parser._subparsers._group_actions[0].choices["milestones"].format_help()


def test_help_loads_neither_numpy_nor_the_derivation_engine():
    """What keeps ``derive --help`` near ``import sympy``: the parser needs only analytic's light modules."""
    code = MAIN_PROBE.replace(repr(HEAVY), repr(("numpy", "analytic.derivation", "trajectories.model")))
    records, _ = probe(code, [["--help"], ["derive", "--help"], ["trajectory", "--help"], ["derive", "--segments", "1"]])
    for record in records:
        assert record["loaded"] == [], f"main({record['argv']}) imported {record['loaded']}"


def test_analytic_exports_resolve_on_first_use():
    import analytic

    assert set(analytic._LAZY) == set(analytic.__all__)
    for name in analytic.__all__:
        value = getattr(analytic, name)
        assert getattr(importlib.import_module(f"analytic.{analytic._LAZY[name]}"), name) is value
    assert set(analytic.__all__) <= set(dir(analytic))
    with pytest.raises(AttributeError):
        analytic.no_such_name  # noqa: B018
