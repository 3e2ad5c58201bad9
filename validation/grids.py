"""Grid options of ``sweep``: ``START:STOP:N`` or a comma list (plain Python, no NumPy).

- ``START:STOP:N``: ``N`` values from START to STOP, log-spaced for the positive
  quantities (segments, classes, alpha, beta), evenly spaced for the start point
  (u0, v0, which may be negative or zero); segments and classes are rounded to
  integers and repeated values dropped.
- ``a,b,c``: exactly these values (fractions such as ``1/999`` allowed).

Examples
--------
>>> grid("2:10000:5", "segments")
(2.0, 17.0, 141.0, 1189.0, 10000.0)
>>> grid("-1:1:3", "u0")
(-1.0, 0.0, 1.0)
>>> grid("1/2,1", "alpha")
(0.5, 1.0)
"""

from __future__ import annotations

import math

from analytic.errors import BadInput
from analytic.parsing import parse_integer, parse_number

MAX_VALUES = 100_000  # values of one grid axis
INTEGER_AXES = ("segments", "classes", "sweep-axis")  # sweep-axis: reproduce's values of both T and c
LOG_AXES = ("segments", "classes", "sweep-axis", "alpha", "beta")
LOWEST = {"segments": (2.0, True), "classes": (2.0, True), "sweep-axis": (2.0, True), "alpha": (0.0, False), "beta": (0.0, False)}


def _number(text: str, label: str) -> float:
    try:
        value = float(parse_number(text.strip(), label=label))
    except (ValueError, TypeError, OverflowError) as error:
        raise BadInput(f"{error}") from None
    if not math.isfinite(value):
        raise BadInput(f"`{label}` must be finite, got {text.strip()!r}")
    return value


def grid(text: str, label: str) -> tuple:
    """The values of the grid option ``--label`` (see the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise BadInput(f"`{label}` must be START:STOP:N or a comma list, got {text!r}")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise BadInput(f"`{label}` must be START:STOP:N, got {text!r}")
        start, stop = _number(parts[0], label), _number(parts[1], label)
        try:
            count = parse_integer(parts[2])
        except ValueError:
            raise BadInput(f"`{label}` needs an integer count N in START:STOP:N, got {parts[2].strip()!r}") from None
        if not 1 <= count <= MAX_VALUES:
            raise BadInput(f"`{label}` count N must lie in 1..{MAX_VALUES}, got {count}")
        if label in LOG_AXES:
            _check_low(start, label)
            _check_low(stop, label)
            values = [start] if count == 1 else [
                math.exp(math.log(start) + (math.log(stop) - math.log(start)) * k / (count - 1)) for k in range(count)]
            values[0], values[-1] = start, stop if count > 1 else start
        else:
            values = [start] if count == 1 else [start + (stop - start) * k / (count - 1) for k in range(count)]
    else:
        values = [_number(part, label) for part in text.split(",")]
        if len(values) > MAX_VALUES:
            raise BadInput(f"`{label}` has more than {MAX_VALUES} values")
    if label in INTEGER_AXES:
        if ":" in text:
            values = [float(round(x)) for x in values]
        elif any(x != round(x) for x in values):
            raise BadInput(f"`{label}` must be integers, got {text!r}")
    for value in values:
        _check_low(value, label)
    return tuple(dict.fromkeys(values))  # repeated values once, in order


def _check_low(value: float, label: str) -> None:
    if label not in LOWEST:
        return
    low, inclusive = LOWEST[label]
    if not (value >= low if inclusive else value > low):
        raise BadInput(f"`{label}` must be {'>=' if inclusive else '>'} {low:g}, got {value!r}")
