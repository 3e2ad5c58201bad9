r"""Large-time growth laws of u(t) and v(t), derived from the first integral and the flow.

Margin. As attention saturates the margin obeys the fixed-focus flow at
:math:`p = 1`, :math:`\dot v = -\beta\,\partial_v L(1, v)`, whose time is
:math:`t \simeq F_1(v)` (the fixed-focus primitive at :math:`p = 1`). The leading
behaviour of :math:`F_1` as :math:`v \to v_\infty` gives

- :math:`F_1 \sim e^{v}/k`: :math:`v(t) \sim \log(k t)` (logarithmic);
- :math:`F_1 \sim -k \log|v_\infty - v|`: :math:`v \to v_\infty` exponentially, rate :math:`1/k`;
- soft attention with a finite minimiser :math:`v^*` never saturates: both
  coordinates tend to finite limits with :math:`p_\infty v_\infty = v^*`.

Focus. With :math:`1 - p \simeq (T-1) e^{-u}`, :math:`\dot u = \alpha p(1-p)(-\partial_p L)`:

- if the incentive keeps a positive limit :math:`K = \lim (-\partial_p L)|_{p=1}`
  (hard attention, LVML), :math:`e^{u} \simeq \alpha (T-1) K t`, so
  :math:`u(t) \sim \log(\alpha (T-1) K t)` (logarithmic);
- if it vanishes (soft attention), the first integral
  :math:`u + e^{u}/(T-1) = B(v) + \mathrm{const}` gives
  :math:`u(t) \sim \log\big((T-1) B(v(t))\big)` while :math:`B(v) \to \infty`
  (doubly logarithmic when :math:`v \sim \log t` and :math:`B` is polynomial),
  and a finite limit when :math:`B(v_\infty)` is finite.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from . import cache
from .budget import BudgetExceeded, NoClosedForm, call_with_budget
from .derivation import Derivation
from .fixed_focus import NEAR_FINITE
from .integration import antiderivative, is_positive
from .latex import expression_latex
from .recheck import spot_check
from .serial import storable
from .symbols import p, t, u, v

LIMIT_SECONDS = 10.0
P_INFINITY = sp.Symbol(r"p_\infty", positive=True)  # the limiting attention of stalled soft attention

LOGARITHMIC = "logarithmic"
DOUBLY_LOGARITHMIC = "doubly logarithmic"
EXPONENTIAL_APPROACH = "exponential approach to a finite limit"
FINITE_LIMIT = "finite limit"
#: each kind as the predicate of a sentence ("u grows logarithmically")
KIND_WORDS = {LOGARITHMIC: "grows logarithmically", DOUBLY_LOGARITHMIC: "grows doubly logarithmically",
              EXPONENTIAL_APPROACH: "approaches a finite limit exponentially fast", FINITE_LIMIT: "tends to a finite limit"}


@storable
@dataclass(frozen=True)
class GrowthLaw:
    r"""Leading large-time behaviour of one paradigm and loss.

    Attributes
    ----------
    margin_kind, focus_kind : one of the kinds above.
    margin : :math:`v(t)` to leading order (``None`` for a finite limit).
    margin_limit : :math:`v_\infty` (``sympy.oo`` when unbounded).
    margin_rate : for an exponential approach, the rate :math:`1/k` in :math:`|v_\infty - v| \propto e^{-t/k}`.
    focus : :math:`u(t)` to leading order (``None`` for a finite limit).
    incentive : :math:`K`, the limit of the focus incentive at :math:`p = 1`.
    """

    label: str  # e.g. "hard-ce"
    margin_kind: str
    margin: sp.Expr | None
    margin_limit: sp.Expr
    margin_rate: sp.Expr | None
    focus_kind: str
    focus: sp.Expr | None
    incentive: sp.Expr

    def to_latex(self) -> str:
        """Two labelled lines, ``eq:<label>-growth-u`` and ``eq:<label>-growth-v``."""
        if self.focus is not None:
            focus = rf"u(t) &\sim {expression_latex(self.focus)}"
        else:
            focus = r"u(t) &\to u_\infty, \quad p_\infty = p(u_\infty), \quad I(u_\infty, v_\infty) = I(u_0, v_0)"
        if self.margin is not None:
            margin = rf"v(t) &\sim {expression_latex(self.margin)}"
        elif self.margin_rate is None:
            margin = rf"v(t) &\to v_\infty = {expression_latex(self.margin_limit)}"
        else:
            rate = expression_latex(self.margin_rate)
            margin = rf"\left|v_\infty - v(t)\right| &\propto e^{{-{rate}\, t}}, \quad v_\infty = {expression_latex(self.margin_limit)}"
        return (
            r"\begin{align}" + "\n"
            + f"  {focus} \\quad \\text{{({self.focus_kind})}} \\label{{eq:{self.label}-growth-u}} \\\\\n"
            + f"  {margin} \\quad \\text{{({self.margin_kind})}} \\label{{eq:{self.label}-growth-v}}\n"
            + r"\end{align}"
        )


def _limit(expr, point, direction="-"):
    try:
        value = call_with_budget(sp.limit, expr, v, point, direction, seconds=LIMIT_SECONDS, what="limit")
    except (BudgetExceeded, NoClosedForm):
        return None
    return None if value.has(sp.Limit, sp.nan, sp.zoo, sp.AccumBounds) else value


def growth_law(derivation: Derivation) -> GrowthLaw | None:
    """The growth law of a paradigm derivation (``None`` if a limit cannot be taken).

    A law found is kept in the derivation cache on disk (:mod:`analytic.cache`); a ``None``
    is not (a limit may only have run out of its time budget).
    """
    if derivation.loss is None or derivation.invariant is None:
        return None
    name = "growth-" + cache.key("growth law", derivation.label, derivation.loss_expr, derivation.flow.du, derivation.flow.dv,
                                 derivation.alpha, derivation.beta, derivation.segments, derivation.invariant.margin_part)
    law = cache.load(name, CACHE_KIND, lambda found: _is_growth_law_of(found, derivation))
    if law is None:
        law = _growth_law(derivation)
        if law is not None:
            cache.store(name, CACHE_KIND, law)
    return law


CACHE_KIND = "growth law"
KINDS = (LOGARITHMIC, DOUBLY_LOGARITHMIC, EXPONENTIAL_APPROACH, FINITE_LIMIT)
CHECK_TOLERANCE = 1e-6  # relative; the neglected terms are below 1e-11 at the points checked
NEAR_LARGE_MARGIN = 40  # v at which t(v) ~ scale e^v holds to e^-40 (well below the check's 1e-6)


def _is_growth_law_of(law, derivation: Derivation) -> bool:
    r"""Whether a growth law read from disk fits ``derivation``: its limits, kinds and the laws built
    from them, and numerically the incentive :math:`K` and the margin's scale or rate."""
    if not isinstance(law, GrowthLaw) or law.label != derivation.label or law.margin_kind not in KINDS or law.focus_kind not in KINDS:
        return False
    if derivation.loss is None or derivation.loss.minimiser is None or derivation.invariant is None:
        return False
    minimiser = derivation.loss.minimiser
    if law.margin_limit != (minimiser / P_INFINITY if law.margin_kind == FINITE_LIMIT else minimiser):
        return False
    saturated_rate = -derivation.beta * sp.diff(derivation.loss_in_attention.subs(p, 1), v)  # dv/dt at p = 1
    incentive = -sp.diff(derivation.loss_in_attention, p).subs(p, 1)
    limit = minimiser
    near = limit - NEAR_FINITE * sp.sign(limit) if limit.is_finite else sp.Integer(NEAR_LARGE_MARGIN)
    if law.margin_kind == FINITE_LIMIT:
        return law.focus_kind == FINITE_LIMIT and law.incentive == 0
    if not spot_check(incentive.subs(v, near), law.incentive, scale=sp.Integer(1), tolerance=CHECK_TOLERANCE):
        return False
    if law.margin_kind == LOGARITHMIC:  # v ~ log(t / k): dv/dt ~ 1 / (k e^v)
        scale = t / sp.exp(law.margin)
        if scale.has(t) or not spot_check(scale * sp.exp(near) * saturated_rate.subs(v, near), sp.Integer(1), tolerance=CHECK_TOLERANCE):
            return False
    elif law.margin_kind == EXPONENTIAL_APPROACH:  # |v* - v| ~ e^{-r t}: dv/dt ~ r (v* - v)
        if law.margin_rate is None or not spot_check(saturated_rate.subs(v, near), law.margin_rate * (limit - near), tolerance=CHECK_TOLERANCE):
            return False
    if law.incentive != 0:
        expected = sp.log(derivation.alpha * (derivation.segments - 1) * law.incentive * t)
        return law.focus_kind == LOGARITHMIC and law.focus is not None and spot_check(law.focus, expected)
    if law.focus is None:
        return True
    return law.margin is not None and spot_check(law.focus, sp.log((derivation.segments - 1) * derivation.invariant.margin_part.subs(v, law.margin)))


def _growth_law(derivation: Derivation) -> GrowthLaw | None:
    if derivation.loss is None or derivation.invariant is None:
        return None
    saturated = derivation.loss_in_attention.subs(p, 1)
    margin_limit = derivation.loss.minimiser
    if margin_limit is None:  # e.g. a loss with symbolic parameters: where it is least is not known
        return None
    beta, alpha, segments = derivation.beta, derivation.alpha, derivation.segments
    primitive = antiderivative(1 / (beta * -sp.diff(saturated, v)), v)
    if primitive is None:
        return None
    time_of_margin = primitive.result
    margin, rate = None, None
    if derivation.scheme is not None and derivation.scheme.stalls and margin_limit.is_finite:
        # soft attention stalls: p v -> v* at p_inf < 1, a finite limit of both (see module doc)
        return GrowthLaw(derivation.label, FINITE_LIMIT, None, margin_limit / P_INFINITY, None, FINITE_LIMIT, None, sp.Integer(0))
    if margin_limit.is_infinite:
        scale = _limit(time_of_margin / sp.exp(v), sp.oo)
        if scale is None or not (is_positive(scale) and scale.is_finite is not False):
            return None
        margin, margin_kind = sp.log(t / scale), LOGARITHMIC
    else:
        distance = sp.log(sp.Abs(margin_limit - v))
        k = _limit(time_of_margin / -distance, margin_limit, "-")
        if k is None or not (is_positive(k) and k.is_finite is not False):
            return None
        rate, margin_kind = sp.simplify(1 / k), EXPONENTIAL_APPROACH
    incentive = _limit(-sp.diff(derivation.loss_in_attention, p).subs(p, 1), margin_limit, "-")
    if incentive is None:
        return None
    if incentive != 0:
        focus, focus_kind = sp.log(alpha * (segments - 1) * incentive * t), LOGARITHMIC
    else:
        margin_part = derivation.invariant.margin_part
        if margin is None or not _limit(margin_part, margin_limit, "-") in (sp.oo,):
            focus, focus_kind = None, FINITE_LIMIT
        else:
            focus = sp.log((segments - 1) * margin_part.subs(v, margin))
            focus_kind = DOUBLY_LOGARITHMIC if _limit(margin_part / v**2, sp.oo) not in (None, 0, sp.oo) else LOGARITHMIC
    return GrowthLaw(derivation.label, margin_kind, margin, margin_limit, rate, focus_kind, focus, sp.simplify(incentive))


__all__ = ["GrowthLaw", "growth_law", "KIND_WORDS", "LOGARITHMIC", "DOUBLY_LOGARITHMIC", "EXPONENTIAL_APPROACH", "FINITE_LIMIT", "u"]
