"""Shared helpers: numeric evaluation of toolkit expressions, independent of the engine's checks."""

from __future__ import annotations

import os
import shutil
import tempfile

import mpmath
import pytest
import sympy as sp

from analytic import cache
from analytic.special import MPMATH_FUNCTIONS, numpy_functions

_own_cache: list[str] = []


def pytest_configure(config):
    """Each test process (the controller and every ``pytest -n`` worker) derives into a cache directory of its own.

    Runs before collection, so no derivation reads the user's ``~/.cache`` or another worker's files
    (its subprocesses inherit the variable); ``ATTENTION_DYNAMICS_CACHE=off`` is kept as it is.
    """
    if os.environ.get(cache.ENVIRONMENT, "").lower() in ("off", "0", "no"):
        return
    _own_cache.append(tempfile.mkdtemp(prefix="attention-dynamics-cache-"))
    os.environ[cache.ENVIRONMENT] = _own_cache[-1]


def pytest_unconfigure(config):
    for directory in _own_cache:
        shutil.rmtree(directory, ignore_errors=True)

#: The settings every parametrised test runs over: (loss name, classes).
LOSSES = [("cross-entropy", 2), ("square", 2), ("exponential", 2), ("cross-entropy", 1000)]
PARADIGMS = ["soft", "hard", "lvml"]


def as_numpy(expr: sp.Expr, *symbols):
    """A NumPy/SciPy function of ``symbols`` (Ei, Li2, Wright omega included)."""
    return sp.lambdify(symbols, expr, modules=[numpy_functions(), "numpy"])


def as_mpmath(expr: sp.Expr, *symbols):
    """An mpmath function of ``symbols``, for high-precision reference values."""
    return sp.lambdify(symbols, expr, modules=[MPMATH_FUNCTIONS, "mpmath"])


@pytest.fixture
def mp_digits():
    with mpmath.workdps(30):
        yield


@pytest.fixture(scope="session")
def small_paper(tmp_path_factory):
    """The paper of the small preset, with its figures and milestone table: built once per test session.

    Every test that reads the paper shares it (with ``pytest -n`` they run in one worker: see
    :func:`pytest_collection_modifyitems`), so the suite builds it once, not once per test module.
    """
    from trajectories.presets import Study
    from validation.paper import float_table, write_paper
    from validation.milestone_report import milestone_report

    study = Study.from_preset("small")
    report = milestone_report(study.setting, study.u0, study.v0, (0.3, 0.5, 0.9, 0.99), study.horizon)
    table = float_table(report.latex(), "Milestones.", "tab:milestones")
    return write_paper(tmp_path_factory.mktemp("paper") / "out", study, horizon=study.horizon, milestones_table=table,
                       milestones=report.to_dict())


def pytest_collection_modifyitems(config, items):
    """Tests sharing a session-wide build (:func:`small_paper`) run in one ``pytest -n`` worker (``--dist loadgroup``),
    and are ``slow`` (the build takes about a minute)."""
    for item in items:
        if "small_paper" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("paper"))
            item.add_marker(pytest.mark.slow)


def loss_id(value):
    return f"{value[0]}-c{value[1]}" if isinstance(value, tuple) else str(value)


