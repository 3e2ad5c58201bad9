"""Argument checks shared by the trajectory methods (one-line errors naming the argument).

NumPy scalars (``np.int64``, ``np.float32``, ...) are accepted wherever Python
ints and floats are; exact numbers (ints, fractions, SymPy numbers) that do not
fit a float -- too large, or so small that they round to 0 -- are refused with
a message that says so instead of silently becoming ``inf`` or ``0.0``.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal

import sympy as sp

from analytic.errors import BadInput
from analytic.setting import is_boolean, shown

from .limits import MAX_POINTS, MAX_STEPS  # noqa: F401 (re-exported: the limits of the checks below)


def positive(value, label: str) -> float:
    value = finite(value, label)
    if not value > 0:
        raise BadInput(f"`{label}` must be > 0, got {shown(value)}")
    return value


def finite(value, label: str) -> float:
    if (is_boolean(value) and not isinstance(value, bool)) or isinstance(value, (str, bytes)) or _is_array(value):
        # NumPy's bool is no number here (Python's bool stays accepted); nor is text ("5" is not parsed) or an array
        raise TypeError(f"`{label}` must be a number, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise BadInput(f"`{label}` is too large for a float (the largest is about 1.8e308), got {shown(value)}") from None
    except (TypeError, ValueError):
        raise TypeError(f"`{label}` must be a number, got {shown(value)}") from None
    if not math.isfinite(number):
        if _is_exact_finite(value):
            raise BadInput(f"`{label}` is too large for a float (the largest is about 1.8e308), got {shown(value)}")
        raise BadInput(f"`{label}` must be finite, got {shown(value)}")
    if number == 0 and _is_exact_nonzero(value):
        raise BadInput(f"`{label}` underflows to 0 as a float (the smallest positive float is about 5e-324), got {shown(value)}")
    return number


def _is_array(value) -> bool:
    """A NumPy array of one or more dimensions (a 0-d array is a number)."""
    return getattr(value, "shape", ()) != () and not isinstance(value, sp.Basic)


def _is_exact_finite(value) -> bool:
    """An exact number (int, Fraction, SymPy rational) -- finite however large."""
    if isinstance(value, bool) or isinstance(value, float):
        return False
    if isinstance(value, numbers.Rational):
        return True
    if isinstance(value, Decimal):
        return value.is_finite()
    return isinstance(value, sp.Basic) and bool(value.is_number) and bool(value.is_finite)


def _is_exact_nonzero(value) -> bool:
    """Whether ``value`` is an exact (non-float) number other than 0."""
    if isinstance(value, (bool, float)) or not _is_exact_finite(value):
        return False
    if isinstance(value, numbers.Number) and not hasattr(value, "is_zero"):
        return value != 0
    return getattr(value, "is_zero", None) is False  # SymPy: only when provably nonzero


def count(value, label: str, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer >= ``minimum`` (and <= ``maximum``): ints of any kind, and floats with an integral value."""
    if is_boolean(value):
        raise TypeError(f"`{label}` must be an integer, got {shown(value)}")
    if isinstance(value, numbers.Integral):  # int, np.int64, np.uint8, sympy.Integer
        number = int(value)
    elif isinstance(value, numbers.Real) and _integral_float(value):  # 5.0, np.float32(5)
        number = int(float(value))
    else:
        raise TypeError(f"`{label}` must be an integer, got {shown(value)}")
    if number < minimum:
        raise BadInput(f"`{label}` must be >= {minimum}, got {shown(value)}")
    if maximum is not None and number > maximum:
        raise BadInput(f"`{label}` must be at most {maximum:.0e} (memory and time), got {shown(value)}")
    return number


def _integral_float(value) -> bool:
    try:
        number = float(value)
    except (OverflowError, TypeError, ValueError):
        return False
    return math.isfinite(number) and number.is_integer()


def nonnegative(value, label: str) -> float:
    value = finite(value, label)
    if value < 0:
        raise BadInput(f"`{label}` must be >= 0, got {shown(value)}")
    return value


def horizon(value, label: str, *, minimum: float = 0.0, strict: bool = True) -> float:
    """A time bound: a number > ``minimum`` (>= with ``strict=False``); ``inf`` allowed (no bound), NaN refused."""
    try:
        number = finite(value, label)
    except ValueError as error:  # an infinite float is allowed (not NaN, not an exact number beyond float range)
        try:
            number = float(value)
        except (OverflowError, TypeError, ValueError):
            raise error from None
        if not math.isinf(number) or _is_exact_finite(value):
            raise
    if not (number > minimum if strict else number >= minimum):
        raise BadInput(f"`{label}` must be {'>' if strict else '>='} {minimum:g}, got {shown(value)}")
    return number


def finite_array(value, label: str):
    """``value`` as a NumPy array of floats, every entry finite (a one-line error naming ``label`` otherwise)."""
    import numpy as np  # here: the command line imports these checks before NumPy (tests/test_startup.py)

    if value is None or is_boolean(value) or isinstance(value, (str, bytes)):
        raise TypeError(f"`{label}` must be a number or an array of numbers, got {shown(value)}")
    try:
        array = np.asarray(value, dtype=float)
    except OverflowError:
        raise BadInput(f"`{label}` is too large for a float (the largest is about 1.8e308), got {shown(value)}") from None
    except (TypeError, ValueError):
        raise TypeError(f"`{label}` must be a number or an array of numbers, got {shown(value)}") from None
    if not np.all(np.isfinite(array)):
        raise BadInput(f"`{label}` must be finite, got {shown(value)}")
    return array
