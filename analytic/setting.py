"""Checks of the setting's parameters: T, c, alpha, beta (docs/setting.rst section 2).

Each takes a number (int, float, Fraction, SymPy number) or the parameter's own
symbol, returns it as a SymPy expression, and raises a one-line ``ValueError``
or ``TypeError`` naming the parameter and the value otherwise.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from . import symbols


SHOWN_CHARACTERS = 60


def shown(value) -> str:
    """``repr`` of a value for an error message, cut to a readable length."""
    text = repr(value) if not isinstance(value, sp.Basic) else str(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 3] + "..."


def to_sympy_number(value, label: str, symbol_name: str | None = None) -> sp.Expr:
    """An exact SymPy number from ``value`` (floats via their shortest repr)."""
    if isinstance(value, bool):
        raise TypeError(f"`{label}` must be a number, got {shown(value)}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"`{label}` must be finite, got {shown(value)}")
        return sp.Rational(repr(value))
    if isinstance(value, (int, Fraction)):
        return sp.Rational(value)
    if isinstance(value, sp.Expr) and value.is_number:
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not value.is_real:
            raise ValueError(f"`{label}` must be a finite real number, got {shown(value)}")
        return value
    allowed = "a number" if symbol_name is None else f"a number or the symbol {symbol_name}"
    raise TypeError(f"`{label}` must be {allowed}, got {shown(value)}")


def check_segments(value) -> sp.Expr:
    """T: a number >= 2 or the symbol ``T``."""
    if isinstance(value, sp.Symbol) and value == symbols.T:
        return symbols.T
    number = to_sympy_number(value, "segments", "T")
    if not number >= 2:
        raise ValueError(f"`segments` must be >= 2, got {shown(number)}")
    return number


def check_rate(value, label: str) -> sp.Expr:
    """alpha or beta: a number > 0 or its own symbol."""
    own = {"alpha": symbols.alpha, "beta": symbols.beta}[label]
    if isinstance(value, sp.Symbol) and value == own:
        return own
    number = to_sympy_number(value, label, own.name)
    if not number > 0:
        raise ValueError(f"`{label}` must be > 0, got {shown(number)}")
    return number
