"""Checks of the setting's parameters: T, c, alpha, beta (docs/setting.rst section 2).

Each takes a number (int, float, Fraction, SymPy number, or a NumPy scalar such
as ``np.int64`` or ``np.float32``) or the parameter's own symbol, returns it as
a SymPy expression, and raises a one-line ``BadInput`` (a ``ValueError``) or ``TypeError`` naming
the parameter and the value otherwise. Numbers are certified numerically in
floating point, so a number that does not fit a float (``10**309``, or
``1e-400`` which rounds to 0) is refused with a message that says so.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

import sympy as sp

from . import symbols
from .errors import BadInput


SHOWN_CHARACTERS = 60
LARGEST_FLOAT = "1.8e308"
SMALLEST_FLOAT = "5e-324"


def shown(value) -> str:
    """``repr`` of a value for an error message, cut to a readable length.

    An exact number too long to show (``1/10**400``) is shown in scientific notation, also inside an
    expression (``v*10**1000`` as ``1.000e+1000*v``).
    """
    if isinstance(value, sp.Basic) and not value.is_Number:
        value = value.xreplace({n: sp.Float(n, 4) for n in value.atoms(sp.Rational) if len(str(n)) > SHOWN_CHARACTERS // 3})
    text = " ".join((repr(value) if not isinstance(value, sp.Basic) else str(value)).split())  # one line (an array's repr has several)
    if len(text) <= SHOWN_CHARACTERS:
        return text
    scientific = _scientific(value)
    if scientific is not None:
        return scientific
    return text[: SHOWN_CHARACTERS - 3] + "..."


def _scientific(value) -> str | None:
    """``~1.000e-400`` for a long exact number (ints, fractions, SymPy rationals); else ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction, sp.Rational)):
        return None
    try:
        number = sp.Rational(value) if not isinstance(value, sp.Rational) else value
        return "~" + str(sp.Float(number, 4))
    except (TypeError, ValueError):  # pragma: no cover - defensive
        return None


def is_boolean(value) -> bool:
    """Python's or NumPy's ``bool`` (neither is accepted as a number of the setting)."""
    return isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool"))


def to_sympy_number(value, label: str, symbol_name: str | None = None) -> sp.Expr:
    """An exact SymPy number from ``value`` (floats via their shortest repr)."""
    if is_boolean(value):
        raise TypeError(f"`{label}` must be a number, got {shown(value)}")
    if isinstance(value, float):  # also np.float64, a float subclass
        value = float(value)
        if not math.isfinite(value):
            raise BadInput(f"`{label}` must be finite, got {shown(value)}")
        return sp.Rational(repr(value))
    if isinstance(value, (int, Fraction)):
        return sp.Rational(value)
    if isinstance(value, sp.Expr) and value.is_number:
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not value.is_real:
            raise BadInput(f"`{label}` must be a finite real number, got {shown(value)}")
        return value
    if isinstance(value, numbers.Integral):  # np.int64, np.uint8, ...
        return sp.Integer(int(value))
    if isinstance(value, numbers.Real) and type(value).__module__ == "numpy":  # np.float32, np.float16, np.longdouble
        # NumPy prints the shortest decimal that round-trips in the scalar's own precision (float32 0.1 -> "0.1")
        text = str(value)
        if not math.isfinite(float(value)):
            raise BadInput(f"`{label}` must be finite, got {shown(value)}")
        try:
            return sp.Rational(text)
        except (TypeError, ValueError, SyntaxError):  # pragma: no cover - a NumPy build printing something else
            return sp.Rational(repr(float(value)))
    allowed = "a number" if symbol_name is None else f"a number or the symbol {symbol_name}"
    raise TypeError(f"`{label}` must be {allowed}, got {shown(value)}")


def _as_float(number: sp.Expr) -> float | None:
    """``float(number)``; ``None`` when it overflows (too large for a float)."""
    try:
        result = float(number)
    except OverflowError:
        return None
    except (TypeError, ValueError):  # not a real number: left to the caller's checks
        return math.nan
    return result if not math.isinf(result) else None


def check_segments(value) -> sp.Expr:
    """T: a number >= 2 or the symbol ``T``."""
    if isinstance(value, sp.Symbol) and value == symbols.T:
        return symbols.T
    number = to_sympy_number(value, "segments", "T")
    if not number >= 2:
        raise BadInput(f"`segments` must be >= 2, got {shown(number)}")
    if _as_float(number) is None:
        raise BadInput(
            f"`segments` is too large for a float (the largest is about {LARGEST_FLOAT}; the certificate evaluates "
            f"numerically), got {shown(number)}: use the symbol T for a symbolic T"
        )
    return number


def check_rate(value, label: str) -> sp.Expr:
    """alpha or beta: a number > 0 or its own symbol."""
    own = {"alpha": symbols.alpha, "beta": symbols.beta}[label]
    if isinstance(value, sp.Symbol) and value == own:
        return own
    number = to_sympy_number(value, label, own.name)
    if not number > 0:
        raise BadInput(f"`{label}` must be > 0, got {shown(number)}")
    as_float = _as_float(number)
    if as_float is None:
        raise BadInput(
            f"`{label}` is too large for a float (the largest is about {LARGEST_FLOAT}; the certificate evaluates "
            f"numerically), got {shown(number)}: use the symbol {own.name} for a symbolic {own.name}"
        )
    if as_float == 0:
        raise BadInput(
            f"`{label}` underflows to 0 as a float (the smallest positive float is about {SMALLEST_FLOAT}; the certificate "
            f"evaluates numerically), got {shown(number)}: use the symbol {own.name} for a symbolic {own.name}"
        )
    return number
