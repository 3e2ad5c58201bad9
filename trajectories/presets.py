"""Named settings of SETTING.md section 6.

- ``paper``: the authors' published simulation — T = 100, c = 1000
  (cross-entropy), alpha = 1/c, beta = 1/(c - 1), start (0, 0), horizon
  t in [0, 4e5] (they used forward Euler with step 1e-2, 4e7 steps);
- ``small``: T = 10, c = 2 (logistic), alpha = beta = 1, start (0, 0); its
  horizon (not fixed by the setting) is 1e3, where all three paradigms have
  left the plateau.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp


@dataclass(frozen=True)
class Preset:
    name: str
    loss: str
    classes: int
    segments: int
    alpha: sp.Expr
    beta: sp.Expr
    u0: float
    v0: float
    horizon: float
    euler_step: float | None = None


PRESETS = {
    "paper": Preset("paper", "cross-entropy", 1000, 100, sp.Rational(1, 1000), sp.Rational(1, 999), 0.0, 0.0, 4e5, 1e-2),
    "small": Preset("small", "cross-entropy", 2, 10, sp.Integer(1), sp.Integer(1), 0.0, 0.0, 1e3),
}


def preset(name: str) -> Preset:
    """The preset called ``name``."""
    if name not in PRESETS:
        raise ValueError(f"`preset` must be one of {', '.join(PRESETS)}, got {name!r}")
    return PRESETS[name]
