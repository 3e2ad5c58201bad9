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


def preset_values(name: str) -> dict:
    """The preset as the plain ``values`` mapping the reports and the command line use."""
    chosen = preset(name)
    return {
        "loss": chosen.loss, "classes": chosen.classes, "segments": sp.Integer(chosen.segments),
        "alpha": chosen.alpha, "beta": chosen.beta, "u0": chosen.u0, "v0": chosen.v0, "horizon": chosen.horizon,
    }


def setting_from(values, paradigm, loss=None, params=(), attention=None):
    """The numeric :class:`~trajectories.model.Setting` of ``values`` for ``paradigm`` (and ``loss``, ``params``, ``attention``)."""
    from .model import Setting

    return Setting(paradigm, loss or values["loss"], values["classes"], values["segments"], values["alpha"], values["beta"], params,
                   attention=attention)


def preset(name: str) -> Preset:
    """The preset called ``name``."""
    if name not in PRESETS:
        raise ValueError(f"`preset` must be one of {', '.join(PRESETS)}, got {name!r}")
    return PRESETS[name]
