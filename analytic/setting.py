"""Checks of the setting's parameters: T, c, alpha, beta (SETTING.md section 2).

Each takes a number (int, float, Fraction, SymPy number) or the parameter's own
symbol, returns it as a SymPy expression, and raises a one-line ``ValueError``
or ``TypeError`` naming the parameter and the value otherwise.
"""

from __future__ import annotations

import math
from fractions import Fraction

import sympy as sp

from . import symbols


def to_sympy_number(value, label: str, symbol_name: str | None = None) -> sp.Expr:
    """An exact SymPy number from ``value`` (floats via their shortest repr)."""
    if isinstance(value, bool):
        raise TypeError(f"`{label}` must be a number, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"`{label}` must be finite, got {value!r}")
        return sp.Rational(repr(value))
    if isinstance(value, (int, Fraction)):
        return sp.Rational(value)
    if isinstance(value, sp.Expr) and value.is_number:
        if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not value.is_real:
            raise ValueError(f"`{label}` must be a finite real number, got {value}")
        return value
    allowed = "a number" if symbol_name is None else f"a number or the symbol {symbol_name}"
    raise TypeError(f"`{label}` must be {allowed}, got {value!r}")


def check_segments(value) -> sp.Expr:
    """T: a number >= 2 or the symbol ``T``."""
    if isinstance(value, sp.Symbol) and value == symbols.T:
        return symbols.T
    number = to_sympy_number(value, "segments", "T")
    if not number >= 2:
        raise ValueError(f"`segments` must be >= 2, got {number}")
    return number


def check_rate(value, label: str) -> sp.Expr:
    """alpha or beta: a number > 0 or its own symbol."""
    own = {"alpha": symbols.alpha, "beta": symbols.beta}[label]
    if isinstance(value, sp.Symbol) and value == own:
        return own
    number = to_sympy_number(value, label, own.name)
    if not number > 0:
        raise ValueError(f"`{label}` must be > 0, got {number}")
    return number
