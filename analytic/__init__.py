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

from .derivation import Derivation, derive, derive_custom
from .losses import LOSS_NAMES, SegmentLoss, cross_entropy, custom, exponential, square
from .paradigms import PARADIGMS, reduced_loss
from .parsing import parse_expression, parse_number

__all__ = [
    "Derivation",
    "derive",
    "derive_custom",
    "LOSS_NAMES",
    "PARADIGMS",
    "SegmentLoss",
    "cross_entropy",
    "custom",
    "exponential",
    "square",
    "reduced_loss",
    "parse_expression",
    "parse_number",
]
