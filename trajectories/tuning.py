"""Numeric tuning shared by the closed-form engines: one value each, used by the scalar and the batched paths.

The panel marchers (:mod:`trajectories.timeline` for one setting, :mod:`trajectories.sweep` for many)
integrate dt/ds with Gauss--Legendre panels in the monotone coordinate s; the milestone and
trajectory checks bound the rounding that a closed-form value may carry.
"""

RESOLUTION = 1e-8  # largest rounding of u (relative to max(1, |u|)) a closed-form point or milestone may carry
ROUNDING_FACTOR = 4.0  # roundings in B(v) - B(v0) and its evaluation (times the machine epsilon of |B|)
PANEL_TOLERANCE = 1e-13  # |G16 - G8| accepted per panel, relative to max(1, t) at its end (G8's error; G16's is far smaller)
FIRST_WIDTH = 1e-2  # width of a march's first panel in s
MAX_WIDTH = 8.0  # widest panel (near the start; far out the batched march lets it grow with |s|)
MIN_RELATIVE_WIDTH = 1e-13  # a panel narrower than this (relative to max(1, |s|)) means s is pinned to rounding
UNREACHABLE_RANGE = 1e7  # s-range beyond which a target counts as unreachable
