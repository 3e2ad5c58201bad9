"""What a milestone question asks for: target attention levels and switches from the first stage (soft attention).

Plain checks with no NumPy or SciPy, so the command line can validate its
arguments before importing the numeric layer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from analytic.errors import BadInput
from analytic.paradigms import FIRST_STAGE, switch_targets
from analytic.setting import shown

from .checks import finite

_SPELLING = re.compile(r"^([a-z][a-z0-9_-]*):([a-z][a-z0-9_-]*)@(p|t)=([0-9.eE+-]+)$")


def number_label(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (``repr``), a whole number without ``.0``.

    Two different floats never share a label, so results keyed by it cannot merge:
    ``0.9999991`` and ``0.9999992`` stay apart and ``0.9999999999999999`` is not ``1``.

    >>> number_label(0.3), number_label(100.0), number_label(0.9999999999999999), number_label(1e-7)
    ('0.3', '100', '0.9999999999999999', '1e-07')
    """
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def check_targets(targets) -> list[float]:
    """Targets in (0, 1), strictly increasing (two equal as floats are refused, naming both)."""
    try:
        items = list(targets) if not isinstance(targets, (str, bytes)) else None
    except TypeError:
        items = None
    if items is None:
        raise TypeError(f"`targets` must be a sequence of numbers, got {shown(targets)}")
    values = [finite(x, "targets") for x in items]
    if not values:
        raise BadInput("`targets` must not be empty")
    for x in values:
        if not 0 < x < 1:
            raise BadInput(f"`targets` must lie in (0, 1), got {x!r}")
    for a, b in zip(values, values[1:]):
        if a == b:
            raise BadInput(f"`targets` has {number_label(a)} twice (as floats): give each target once")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise BadInput(f"`targets` must be increasing, got {values}")
    return values


def check_switches(switches) -> tuple:
    """Switches with distinct labels (two equal as floats would share one row: refused, naming it)."""
    switches = tuple(switches)
    for switch in switches:
        if not isinstance(switch, Switch):
            raise TypeError(f"`hybrids` must hold Switch values, got {type(switch).__name__}")
    keys = [(switch.after, switch.attention, switch.time) for switch in switches]
    repeated = next((switches[k] for k, key in enumerate(keys) if key in keys[:k]), None)
    if repeated is not None:
        raise BadInput(f"`hybrids` has {repeated.label} twice (as floats): give each switch once")
    return switches


@dataclass(frozen=True)
class Switch:
    """Soft attention until ``attention`` (p_s) or ``time`` (tau), then ``after``."""

    after: str
    attention: float | None = None
    time: float | None = None

    def __post_init__(self):
        check_after(self.after)
        if (self.attention is None) == (self.time is None):
            raise BadInput("a switch needs exactly one of `attention` (p_s) and `time` (tau)")
        if self.attention is not None and not 0 < finite(self.attention, "p_s") < 1:
            raise BadInput(f"`p_s` must lie in (0, 1), got {shown(self.attention)}")
        if self.time is not None and not finite(self.time, "tau") >= 0:
            raise BadInput(f"`tau` must be >= 0, got {shown(self.time)}")

    @property
    def label(self) -> str:
        """``soft:hard@p=0.5``: the level or time exactly (:func:`number_label`), so two switches never share one."""
        if self.attention is not None:
            return f"{FIRST_STAGE}:{self.after}@p={number_label(self.attention)}"
        return f"{FIRST_STAGE}:{self.after}@t={number_label(self.time)}"


def check_after(after) -> str:
    """The paradigm a hybrid switches to: a registered one other than the first stage (:func:`analytic.paradigms.switch_targets`)."""
    targets = switch_targets()
    if not isinstance(after, str) or after not in targets:
        raise BadInput(f"`after` must be {' or '.join(targets)}, got {shown(after)}")
    return after


def parse_switch(text: str) -> Switch:
    """Parse ``soft:hard@p=0.5`` or ``soft:lvml@t=1000``."""
    if not isinstance(text, str):
        raise TypeError(f"`hybrid` must be a string like soft:hard@p=0.5, got {shown(text)}")
    match = _SPELLING.match(text.strip())
    targets = switch_targets()
    if match is None or match.group(1) != FIRST_STAGE or match.group(2) not in targets:
        raise BadInput(f"`hybrid` must be spelled like {FIRST_STAGE}:{targets[0]}@p=0.5 or {FIRST_STAGE}:{targets[-1]}@t=100 "
                         f"(after {FIRST_STAGE}: {', '.join(targets)}), got {text!r}")
    first, after, kind, number = match.groups()
    try:
        value = float(number) + 0.0  # -0 is 0
    except ValueError:
        raise BadInput(f"`hybrid` has a malformed number in {text!r}") from None
    if kind == "p":
        if not 0 < value < 1:
            raise BadInput(f"`p_s` must lie in (0, 1), got {number} in {text!r}")
        return Switch(after, attention=value)
    if not value >= 0 or not math.isfinite(value):
        raise BadInput(f"`tau` must be >= 0, got {number} in {text!r}")
    return Switch(after, time=value)
