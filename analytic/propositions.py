r"""A paradigm's general results, for any segment loss :math:`\ell`, derived from its aggregation.

With the foreground attention :math:`p = e^u/(e^u + T - 1)` (so :math:`dp/du = p(1 - p)`)
and a paradigm's reduced loss :math:`L = G(p, v)` (:mod:`analytic.paradigms`),

.. math::

    \dot u = -\alpha\, p (1 - p)\, \partial_p G, \qquad \dot v = -\beta\, \partial_v G .

When :math:`r(v) = p\,\partial_p G / \partial_v G` does not depend on :math:`p`, the flow
separates: :math:`du/(1 - p) = (\alpha/\beta)\, r(v)\, dv`, so
:math:`I = A(u) - B(v)` with :math:`A(u) = u + e^u/(T - 1)` and
:math:`B(v) = (\alpha/\beta)\int_0^v r(s)\,ds` is conserved, and
:math:`u = \log(T - 1) + \log\omega(S - \log(T - 1))` with
:math:`S = A(u_0) + B(v) - B(v_0)` (Wright :math:`\omega`). With the focus frozen,
:math:`t(v) = \int_{v_0}^{v} ds / (-\beta\,\partial_v G(p, s))` and the incentive is
:math:`-\partial_p G`.

:func:`general_results` derives these for a registry entry with :math:`\ell` an
undefined function and certifies them: the flow by differentiation, the first
integral by :math:`dI/dt = 0` identically in :math:`\ell`, the inversion by
substitution, and every formula numerically against the certified derivations
of the built-in losses (:func:`check_against`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import symbols as sym
from .paradigms import SEGMENT, check_paradigm
from .special import WrightOmega



class Ell(sp.Function):
    r"""The segment loss :math:`\ell(x)` as an undefined function, printed :math:`\ell(x)`."""

    def _latex(self, printer):
        return r"\ell\left(%s\right)" % printer._print(self.args[0])


ELL = Ell
S_VAR = sp.Symbol("s", real=True)
INFIMUM = sp.Symbol(r"\ell_{*}", real=True)  # the infimum of the segment loss


class EllPrime(sp.Function):
    r""":math:`\ell'(x)`, the derivative of the segment loss, printed as such."""

    def _latex(self, printer):
        return r"\ell'\left(%s\right)" % printer._print(self.args[0])


def _tidy(expr: sp.Expr) -> sp.Expr:
    """Derivatives of :math:`\\ell` written as :class:`EllPrime`, and ``ell`` kept as :math:`\\ell`."""
    expr = expr.doit()
    expr = expr.replace(
        lambda e: isinstance(e, sp.Subs) and isinstance(e.expr, sp.Derivative) and e.expr.expr.func == ELL,
        lambda e: EllPrime(e.point[0]),
    )
    return expr.replace(lambda e: isinstance(e, sp.Derivative) and e.expr.func == ELL, lambda e: EllPrime(e.expr.args[0]))


@dataclass(frozen=True)
class GeneralResults:
    """One paradigm's results for a generic segment loss :math:`\\ell` (SymPy expressions in ``p``, ``v``, ``ell``)."""

    paradigm: str
    loss: sp.Expr  # G(p, v)
    du: sp.Expr  # du/dt in p, v
    dv: sp.Expr
    focus_part: sp.Expr  # A(u)
    margin_rate: sp.Expr | None  # r(v) = dB/dv * beta/alpha, None if the flow does not separate
    margin_part: sp.Expr | None  # B(v), an Integral where r has no antiderivative in general
    trajectory: sp.Expr  # u in terms of the level S
    fixed_rate: sp.Expr  # dv/dt with p frozen
    incentive: sp.Expr  # -dG/dp
    incentive_limit: sp.Expr  # at ell -> ell_*, ell' -> 0 (and v ell'(p v) -> 0)


def _with_ell(aggregation: sp.Expr) -> sp.Expr:
    return aggregation.replace(lambda e: isinstance(e, sp.core.function.AppliedUndef) and e.func == SEGMENT,
                               lambda e: ELL(e.args[0]))


def general_results(paradigm) -> GeneralResults:
    """The general results of ``paradigm`` (a registry name or :class:`~analytic.paradigms.Paradigm`)."""
    entry = check_paradigm(paradigm)
    p, v, u, T = sym.p, sym.v, sym.u, sym.T
    G = _with_ell(entry.aggregation)
    dG_dp, dG_dv = sp.diff(G, p), sp.diff(G, v)
    du = _tidy(-sym.alpha * p * (1 - p) * dG_dp)
    dv = _tidy(-sym.beta * dG_dv)
    ratio = sp.simplify(_tidy(p * dG_dp / dG_dv))
    ratio = min((ratio, sp.together(sp.powsimp(sp.expand(ratio)))), key=sp.count_ops)
    separable = not ratio.has(p)
    margin_rate = ratio if separable else None
    margin_part = None
    if separable:
        integrand = margin_rate.subs(v, S_VAR)
        found = sp.integrate(integrand, (S_VAR, 0, v)) if not integrand.has(ELL, EllPrime) else None
        margin_part = sym.alpha / sym.beta * (found if found is not None and not found.has(sp.Integral)
                                              else sp.Integral(integrand, (S_VAR, 0, v)))
    level = sp.Symbol("S", real=True)
    trajectory = sp.log(T - 1) + sp.log(WrightOmega(level - sp.log(T - 1)))
    incentive = _tidy(-dG_dp)
    limit = incentive.replace(lambda e: isinstance(e, EllPrime), lambda e: sp.Integer(0))
    limit = limit.replace(lambda e: isinstance(e, Ell) and e.args[0] != 0,
                          lambda e: INFIMUM)
    return GeneralResults(entry.name, G, du, dv, u + sp.exp(u) / (T - 1), margin_rate, margin_part, trajectory,
                          _tidy(-sym.beta * dG_dv), incentive, sp.simplify(limit))


def certify(results: GeneralResults) -> list[str]:
    """The identities that fail (empty when all hold), each checked symbolically in :math:`\\ell`.

    - ``first integral``: :math:`A'(u)\\,\\dot u - B'(v)\\,\\dot v = 0` with
      :math:`p = p(u)`, identically in :math:`\\ell`;
    - ``trajectory``: :math:`A(u(S)) = S` at three levels, by the defining identity of
      :math:`\\omega` (:math:`\\omega + \\log\\omega = z`), to 30 digits.
    """
    failed = []
    p, u, v, T = sym.p, sym.u, sym.v, sym.T
    attention = sp.exp(u) / (sp.exp(u) + T - 1)
    if results.margin_rate is not None:
        d_focus = sp.diff(results.focus_part, u)
        d_margin = sym.alpha / sym.beta * results.margin_rate
        drift = (d_focus * results.du - d_margin * results.dv).subs(p, attention)
        if sp.simplify(drift) != 0:
            failed.append("first integral")
    level = sp.Symbol("S", real=True)
    for T_value, S_value in ((2, sp.Rational(-3)), (100, sp.Rational(1, 3)), (1000, sp.Integer(12))):
        u_value = results.trajectory.subs({T: T_value, level: S_value})
        back = results.focus_part.subs({T: T_value, u: u_value})
        if abs(sp.N(back - S_value, 30)) > sp.Float("1e-25"):
            failed.append("trajectory")
            break
    return failed


def check_against(results: GeneralResults, derivation) -> list[str]:
    """Formulas of ``results`` that disagree numerically with a certified derivation of one loss.

    :math:`\\ell` is replaced by the derivation's segment loss; the flow (in :math:`p, v`), the
    margin rate :math:`dB/dv` and the incentive are compared at a few points, to 1e-20 relative.
    """
    if derivation.loss is None:
        return []
    ell = derivation.loss.expr
    p, v = sym.p, sym.v

    def concrete(expr):
        expr = expr.replace(lambda e: isinstance(e, EllPrime), lambda e: sp.diff(ell, v).subs(v, e.args[0]))
        return expr.replace(lambda e: isinstance(e, Ell), lambda e: ell.subs(v, e.args[0]))

    pairs = {"flow-u": (results.du, derivation.flow_in_attention.du), "flow-v": (results.dv, derivation.flow_in_attention.dv),
             "incentive": (results.incentive, derivation.fixed_focus.incentive if derivation.fixed_focus else None)}
    if results.margin_rate is not None and derivation.invariant is not None:
        pairs["margin-part"] = (sym.alpha / sym.beta * results.margin_rate, sp.diff(derivation.invariant.margin_part, v))
    values = {sym.alpha: sp.Rational(1, 3), sym.beta: sp.Rational(2, 7), sym.T: 7, sym.c: 5}
    failed = []
    for name, (general, certified) in pairs.items():
        if certified is None:
            continue
        focus = getattr(derivation.fixed_focus, "focus", p) if name == "incentive" else p
        for p_value, v_value in ((sp.Rational(1, 5), sp.Rational(1, 2)), (sp.Rational(3, 4), sp.Rational(-2, 3)), (sp.Rational(1, 2), 3)):
            point = values | {p: p_value, v: v_value}
            left = sp.N(concrete(general).subs(point), 30)
            right = sp.N(certified.subs(point).subs(focus, p_value), 30)
            if abs(left - right) > sp.Float("1e-20") * (1 + abs(right)):
                failed.append(name)
                break
    return failed


__all__ = ["GeneralResults", "general_results", "certify", "check_against", "EllPrime", "ELL", "INFIMUM"]
