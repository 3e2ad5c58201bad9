r"""First integrals of a separable two-parameter gradient flow.

Along the flow :math:`du/dv = \dot u / \dot v = \alpha L_u / (\beta L_v)`. When
this ratio separates as :math:`k\,f(u)\,g(v)`,

.. math::

    I(u, v) = A(u) - B(v), \qquad A(u) = \int \frac{du}{f(u)}, \qquad
    B(v) = k \int g(v)\,dv

is constant along every trajectory. For the three paradigms
:math:`f(u) = 1 - p(u)` up to a constant, so
:math:`A(u) = u + e^{u}/(T - 1)` for all of them; ``A`` is normalised to have
coefficient 1 on :math:`u` when it has a :math:`u` term.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .budget import BudgetExceeded, Deadline, NoClosedForm, run_step
from .certify import Check, check_antiderivative, check_equal, check_quadrature, strip_abs_in_logs
from .flow import Flow
from .integration import antiderivative
from .serial import storable
from .symbols import fresh, u, v
from .tidy import tidy

SEPARATE_SECONDS = 5.0


@storable
@dataclass(frozen=True)
class FirstIntegral:
    r"""A first integral :math:`I(u, v) = A(u) - B(v)` of the flow.

    ``quadrature`` names the parts (``"A(u)"``, ``"B(v)"``) that have no
    antiderivative in closed form: they are kept as definite integrals
    :math:`\int_{x_0}^{x}` (SymPy ``Integral``) and evaluated numerically.
    """

    focus_part: sp.Expr
    margin_part: sp.Expr
    quadrature: tuple = ()

    @property
    def expr(self) -> sp.Expr:
        return self.focus_part - self.margin_part

    def _repr_latex_(self) -> str:
        """Jupyter: the formulas in display mode."""
        from .display import display_math, invariant_equations

        return display_math(invariant_equations(self))


@dataclass(frozen=True)
class Separation:
    r""":math:`du/dv = k f(u) g(v)`."""

    coefficient: sp.Expr
    focus_factor: sp.Expr
    margin_factor: sp.Expr


def separate(flow: Flow, deadline: Deadline | None = None) -> Separation | None:
    """Split :math:`\\dot u/\\dot v` as :math:`k f(u) g(v)`, or ``None``."""
    if flow.dv == 0:
        return None
    ratio = flow.du / flow.dv
    if not ratio.has(u):
        return Separation(sp.Integer(1), sp.Integer(1), ratio)
    try:
        parts = run_step(_separate_dict, ratio, cap=SEPARATE_SECONDS, deadline=deadline, what="separatevars")
    except (BudgetExceeded, NoClosedForm):
        return None
    if parts is None:
        return None
    return Separation(parts["coeff"], parts[u], parts[v])


def _separate_dict(ratio: sp.Expr):
    return sp.separatevars(ratio, [u, v], dict=True, force=True)


def first_integral(flow: Flow, deadline: Deadline | None = None) -> tuple[FirstIntegral | None, list[Check], str]:
    """A certified first integral of ``flow``, its checks, and a status message.

    Returns ``(None, checks, reason)`` when the flow does not separate or an
    integral is not found: never an unverified result.
    """
    if flow.du == 0:
        return FirstIntegral(u, sp.Integer(0)), [], "u is constant"
    if flow.dv == 0:
        return FirstIntegral(sp.Integer(0), -v), [], "v is constant"
    separation = separate(flow, deadline)
    if separation is None:
        return None, [], "no first integral found: du/dv does not separate into f(u) g(v)"
    checks = [
        check_equal(
            "separation: k f(u) g(v) = du/dv",
            separation.coefficient * separation.focus_factor * separation.margin_factor,
            flow.du / flow.dv,
            deadline=deadline,
        )
    ]
    focus_integrand = 1 / separation.focus_factor
    focus = antiderivative(focus_integrand, u, deadline)
    margin = antiderivative(separation.margin_factor, v, deadline)
    quadrature = tuple(name for name, found in (("A(u)", focus), ("B(v)", margin)) if found is None)
    focus_result = focus.result if focus is not None else definite_integral(focus_integrand, u)
    margin_result = margin.result if margin is not None else definite_integral(separation.margin_factor, v)
    checks.append(check_antiderivative("A'(u) = 1/f(u)", focus_result, focus_integrand, u, deadline))
    checks.append(check_antiderivative("B'(v) = g(v)", margin_result, separation.margin_factor, v, deadline))
    checks += [check_quadrature(f"{name} by quadrature: tanh-sinh = Gauss-Legendre", result)
               for name, result in (("A(u)", focus_result), ("B(v)", margin_result)) if name in quadrature]
    scale = sp.expand(focus_result).coeff(u, 1) if focus is not None else sp.Integer(1)
    if scale == 0 or scale.has(u):
        scale = sp.Integer(1)
    integral = FirstIntegral(
        tidy(focus_result / scale, u) if focus is not None else focus_result,
        tidy(separation.coefficient * margin_result / scale, v) if margin is not None else separation.coefficient * margin_result / scale,
        quadrature,
    )
    def rates(expr):
        return sp.diff(expr, u) * flow.du, sp.diff(expr, v) * flow.dv

    rate_u, rate_v = rates(integral.expr)
    symbolic_u, symbolic_v = rates(strip_abs_in_logs(integral.expr))
    checks.append(
        check_equal(
            "invariant: dI/dt = 0",
            rate_u,
            -rate_v,
            symbolic_difference=symbolic_u + symbolic_v,
            deadline=deadline,
        )
    )
    if quadrature:
        return integral, checks, f"first integral found; {' and '.join(quadrature)} by quadrature (no antiderivative in closed form)"
    return integral, checks, "first integral found"


#: Integration variables of the quadrature parts (bound; primed when a parameter has the name: :func:`~analytic.symbols.fresh`).
QUADRATURE_VARIABLES = {u: sp.Symbol("x_u", real=True), v: sp.Symbol("x_v", real=True)}


def definite_integral(integrand: sp.Expr, x: sp.Symbol) -> sp.Expr:
    r""":math:`\int_{x_0}^{x} f(\xi)\,d\xi` as an unevaluated SymPy ``Integral``: an antiderivative of ``f``.

    The lower limit is 0, or 1 where the integrand is not finite at 0.
    """
    variable = fresh(QUADRATURE_VARIABLES[x], integrand)
    at_zero = integrand.subs(x, 0)
    lower = sp.Integer(1) if at_zero.is_number and not at_zero.is_finite else sp.Integer(0)
    return sp.Integral(integrand.subs(x, variable), (variable, lower, x))
