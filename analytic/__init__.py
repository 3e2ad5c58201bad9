"""analytic — the symbolic engine (SymPy) of the attention-dynamics toolkit.

Derives, for soft, hard and LVML attention in the reduced two-parameter
setting (and for any two-parameter loss), the reduced loss, the gradient
flow, a certified first integral, the explicit trajectory and the fixed-focus
classifier evolution.

>>> from analytic import derive
>>> derive("hard", "exponential", segments=10, alpha=1, beta=1).certified
True
"""

__version__ = "0.1.0"

import importlib
import typing

if typing.TYPE_CHECKING:  # for type checkers and IDEs; at run time the names below are imported on first use
    from .derivation import Derivation, derive, derive_custom
    from .laws import ConservationLaws, conservation_laws
    from .states import StateModel, state_flow, state_model
    from .losses import LOSS_NAMES, LOSSES, SegmentLoss, cross_entropy, custom, exponential, register_loss, square
    from .paradigms import PARADIGMS, reduced_loss, register_paradigm
    from .parsing import parse_expression, parse_number

# The public names and the submodule each is imported from, on first use (PEP 562): importing
# one light submodule (e.g. ``analytic.losses`` for the command line's parser) does not load the
# whole engine (``analytic.derivation`` and the modules it needs).
_LAZY = {
    "Derivation": "derivation", "derive": "derivation", "derive_custom": "derivation",
    "LOSS_NAMES": "losses", "SegmentLoss": "losses", "cross_entropy": "losses", "custom": "losses",
    "exponential": "losses", "square": "losses", "LOSSES": "losses", "register_loss": "losses",
    "PARADIGMS": "paradigms", "reduced_loss": "paradigms", "register_paradigm": "paradigms",
    "parse_expression": "parsing", "parse_number": "parsing",
    "ConservationLaws": "laws", "conservation_laws": "laws",
    "StateModel": "states", "state_flow": "states", "state_model": "states",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups do not come here again
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "Derivation",
    "derive",
    "derive_custom",
    "LOSS_NAMES",
    "LOSSES",
    "PARADIGMS",
    "register_loss",
    "register_paradigm",
    "SegmentLoss",
    "cross_entropy",
    "custom",
    "exponential",
    "square",
    "reduced_loss",
    "parse_expression",
    "parse_number",
    "ConservationLaws",
    "conservation_laws",
    "StateModel",
    "state_flow",
    "state_model",
]
