"""What a milestone question asks for: target attention levels and soft-to-hard switches.

Plain checks with no NumPy or SciPy, so the command line can validate its
arguments before importing the numeric layer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from analytic.setting import shown

from .checks import finite

AFTER = ("hard", "lvml")
_SPELLING = re.compile(r"^soft:(hard|lvml)@(p|t)=([0-9.eE+-]+)$")


def check_targets(targets) -> list[float]:
    """Targets in (0, 1), strictly increasing."""
    try:
        items = list(targets) if not isinstance(targets, (str, bytes)) else None
    except TypeError:
        items = None
    if items is None:
        raise TypeError(f"`targets` must be a sequence of numbers, got {shown(targets)}")
    values = [finite(x, "targets") for x in items]
    if not values:
        raise ValueError("`targets` must not be empty")
    for x in values:
        if not 0 < x < 1:
            raise ValueError(f"`targets` must lie in (0, 1), got {x!r}")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"`targets` must be increasing, got {values}")
    return values


@dataclass(frozen=True)
class Switch:
    """Soft attention until ``attention`` (p_s) or ``time`` (tau), then ``after``."""

    after: str
    attention: float | None = None
    time: float | None = None

    def __post_init__(self):
        check_after(self.after)
        if (self.attention is None) == (self.time is None):
            raise ValueError("a switch needs exactly one of `attention` (p_s) and `time` (tau)")
        if self.attention is not None and not 0 < finite(self.attention, "p_s") < 1:
            raise ValueError(f"`p_s` must lie in (0, 1), got {shown(self.attention)}")
        if self.time is not None and not finite(self.time, "tau") >= 0:
            raise ValueError(f"`tau` must be >= 0, got {shown(self.time)}")

    @property
    def label(self) -> str:
        if self.attention is not None:
            return f"soft:{self.after}@p={self.attention:g}"
        return f"soft:{self.after}@t={self.time:g}"


def check_after(after) -> str:
    """The paradigm a hybrid switches to: one of :data:`AFTER`."""
    if not isinstance(after, str) or after not in AFTER:
        raise ValueError(f"`after` must be {' or '.join(AFTER)}, got {shown(after)}")
    return after


def parse_switch(text: str) -> Switch:
    """Parse ``soft:hard@p=0.5`` or ``soft:lvml@t=1000``."""
    if not isinstance(text, str):
        raise TypeError(f"`hybrid` must be a string like soft:hard@p=0.5, got {shown(text)}")
    match = _SPELLING.match(text.strip())
    if match is None:
        raise ValueError(f"`hybrid` must be spelled like soft:hard@p=0.5 or soft:lvml@t=100, got {text!r}")
    after, kind, number = match.groups()
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"`hybrid` has a malformed number in {text!r}") from None
    if kind == "p":
        if not 0 < value < 1:
            raise ValueError(f"`p_s` must lie in (0, 1), got {number} in {text!r}")
        return Switch(after, attention=value)
    if not value >= 0 or not math.isfinite(value):
        raise ValueError(f"`tau` must be >= 0, got {number} in {text!r}")
    return Switch(after, time=value)
