r"""The explicit trajectory :math:`u = U(v; u_0, v_0)` from a first integral.

Along a trajectory :math:`A(u) - B(v) = A(u_0) - B(v_0)`, so

.. math:: u = A^{-1}\left(A(u_0) + B(v) - B(v_0)\right),

solved by :func:`analytic.inversion.invert` (Wright omega for the paradigms:
:math:`u = \log(T - 1) + \log\omega(S - \log(T - 1))` with
:math:`S = A(u_0) + B(v) - B(v_0)`). Time along it is
:math:`t(v) = \int_{v_0}^{v} dv' / \dot v(U(v'), v')`, a one-dimensional
integral left to quadrature (``time_integrand``).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .budget import Deadline
from .certify import Check, check_equal
from .flow import Flow
from .invariants import FirstIntegral
from .inversion import invert
from .serial import storable
from .symbols import fresh, u, u0, v, v0


@storable
@dataclass(frozen=True)
class ExplicitTrajectory:
    r"""The trajectory through :math:`(u_0, v_0)`.

    Attributes
    ----------
    focus : :math:`U(v; u_0, v_0)`.
    time_integrand : :math:`dt/dv = 1/\dot v` evaluated on the trajectory.
    focus_of_level : :math:`u` as a function of the level symbol :attr:`level_symbol`.
    level : :math:`S = A(u_0) + B(v) - B(v_0)`.
    """

    focus: sp.Expr
    time_integrand: sp.Expr
    focus_of_level: sp.Expr
    level: sp.Expr

    @property
    def level_symbol(self) -> sp.Symbol:
        """The symbol :math:`S` of :attr:`focus_of_level`: :data:`LEVEL`, primed (``S'``) when a parameter is called S."""
        return level_symbol(self.level)

    def _repr_latex_(self) -> str:
        """Jupyter: the formulas in display mode."""
        from .display import display_math, trajectory_equations

        return display_math(trajectory_equations(self))


#: The level :math:`S = A(u_0) + B(v) - B(v_0)` as a symbol, for compact display.
LEVEL = sp.Symbol("S", real=True)


def level_symbol(level: sp.Expr) -> sp.Symbol:
    """:data:`LEVEL`, or a primed namesake when ``level`` (which holds every parameter of A and B) has a
    symbol called S: a user's parameter S is then neither inverted for nor printed as the level."""
    return fresh(LEVEL, level)


def explicit_trajectory(
    integral: FirstIntegral, flow: Flow, deadline: Deadline | None = None
) -> tuple[ExplicitTrajectory | None, list[Check]]:
    """Solve the first integral for u; ``(None, [])`` when it cannot be inverted."""
    level = integral.focus_part.subs(u, u0) + integral.margin_part - integral.margin_part.subs(v, v0)
    symbol = level_symbol(level)
    focus_of_level = invert(integral.focus_part, symbol, u)
    if focus_of_level is None:
        return None, []
    focus = focus_of_level.subs(symbol, level)
    if integral.quadrature:
        # B is a definite integral: check the inverse on the level itself, A(U(S)) = S
        check = check_equal("trajectory: A(U(S)) = S", integral.focus_part.subs(u, focus_of_level), symbol, deadline=deadline)
    else:
        check = check_equal(
            "trajectory: A(U(v)) = A(u0) + B(v) - B(v0)",
            integral.focus_part.subs(u, focus),
            level,
            deadline=deadline,
        )
    return ExplicitTrajectory(focus, 1 / flow.dv.subs(u, focus), focus_of_level, level), [check]
