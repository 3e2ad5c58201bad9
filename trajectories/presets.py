"""Named settings of docs/setting.rst section 6.

- ``paper``: the authors' published simulation — T = 100, c = 1000
  (cross-entropy), alpha = 1/c, beta = 1/(c - 1), start (0, 0), horizon
  t in [0, 4e5] (they used forward Euler with step 1e-2, 4e7 steps);
- ``small``: T = 10, c = 2 (logistic), alpha = beta = 1, start (0, 0); its
  horizon (not fixed by the setting) is 1e3, where all three paradigms have
  left the plateau.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp

from analytic.errors import BadInput


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


@dataclass(frozen=True)
class Study:
    """What the reports, figures and the paper take: a setting, its start and its horizon.

    ``setting`` carries the loss (built-in or custom), the numbers and the
    parameters; its paradigm is the one a single-paradigm report uses, and
    :meth:`for_paradigm` gives the same setting under any other.

    Examples
    --------
    >>> study = Study.from_preset("small")
    >>> study.for_paradigm("hard").segments, study.horizon
    (10, 1000.0)
    """

    setting: object
    u0: float = 0.0
    v0: float = 0.0
    horizon: float | None = None
    name: str | None = None

    def __post_init__(self):
        from .checks import finite
        from .model import Setting

        if not isinstance(self.setting, Setting):
            raise TypeError(f"`setting` must be a Setting, got {type(self.setting).__name__}")
        object.__setattr__(self, "u0", finite(self.u0, "u0"))
        object.__setattr__(self, "v0", finite(self.v0, "v0"))
        if self.horizon is not None and not finite(self.horizon, "horizon") > 0:
            raise BadInput(f"`horizon` must be > 0, got {self.horizon!r}")

    @classmethod
    def from_preset(cls, name: str, paradigm: str = "soft", loss: str | None = None) -> Study:
        """The preset called ``name`` as a study (``loss`` replaces the preset's)."""
        chosen = preset(name)
        return cls(setting_from(preset_values(name), paradigm, loss), chosen.u0, chosen.v0, chosen.horizon, name)

    def for_paradigm(self, paradigm, loss=None):
        """The study's setting under ``paradigm`` (and a built-in ``loss`` if given)."""
        setting = self.setting.with_paradigm(paradigm)
        if loss is not None:
            setting = dataclasses.replace(setting, loss=loss)
        return setting


def preset_values(name: str) -> dict:
    """The preset as the plain mapping the command line starts from (see :class:`Study` for everything else)."""
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
        raise BadInput(f"`preset` must be one of {', '.join(PRESETS)}, got {name!r}")
    return PRESETS[name]
