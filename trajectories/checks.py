"""Argument checks shared by the trajectory methods (one-line errors naming the argument)."""

from __future__ import annotations

import math

from analytic.setting import shown


def positive(value, label: str) -> float:
    value = finite(value, label)
    if not value > 0:
        raise ValueError(f"`{label}` must be > 0, got {shown(value)}")
    return value


def finite(value, label: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"`{label}` must be a number, got {shown(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"`{label}` must be finite, got {shown(value)}")
    return number


def count(value, label: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) and not (isinstance(value, float) and value.is_integer()):
        raise TypeError(f"`{label}` must be an integer, got {shown(value)}")
    if int(value) < minimum:
        raise ValueError(f"`{label}` must be >= {minimum}, got {shown(value)}")
    return int(value)


def nonnegative(value, label: str) -> float:
    value = finite(value, label)
    if value < 0:
        raise ValueError(f"`{label}` must be >= 0, got {shown(value)}")
    return value
