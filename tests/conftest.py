"""Shared helpers: numeric evaluation of toolkit expressions, independent of the engine's checks."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from analytic.special import MPMATH_FUNCTIONS, numpy_functions

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


def loss_id(value):
    return f"{value[0]}-c{value[1]}" if isinstance(value, tuple) else str(value)


