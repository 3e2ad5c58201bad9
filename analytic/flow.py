r"""Gradient flow of a two-parameter loss.

.. math::

    \frac{du}{dt} = -\alpha \frac{\partial L}{\partial u}, \qquad
    \frac{dv}{dt} = -\beta \frac{\partial L}{\partial v}.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .serial import storable
from .symbols import u, v


@storable
@dataclass(frozen=True)
class Flow:
    """The vector field :math:`(\\dot u, \\dot v)` of the gradient flow."""

    du: sp.Expr
    dv: sp.Expr

    def _repr_latex_(self) -> str:
        """Jupyter: the formulas in display mode."""
        from .display import display_math, flow_equations

        return display_math(flow_equations(self))


def gradient_flow(loss: sp.Expr, alpha: sp.Expr, beta: sp.Expr) -> Flow:
    """Gradient flow of ``loss`` in (u, v) with rates ``alpha`` and ``beta``.

    Examples
    --------
    >>> gradient_flow(u**2 + v**2, 1, 2)
    Flow(du=-2*u, dv=-4*v)
    """
    return Flow(-alpha * sp.diff(loss, u), -beta * sp.diff(loss, v))


def attention_form(paradigm_loss_p: sp.Expr, p: sp.Symbol, alpha: sp.Expr, beta: sp.Expr) -> Flow:
    r"""The flow written with the attention :math:`p` (for display).

    Since :math:`dp/du = p(1 - p)`,

    .. math:: \dot u = -\alpha\, p (1 - p) \frac{\partial L}{\partial p}, \qquad
              \dot v = -\beta \frac{\partial L}{\partial v}.
    """
    return Flow(
        -alpha * p * (1 - p) * sp.diff(paradigm_loss_p, p),
        -beta * sp.diff(paradigm_loss_p, v),
    )
