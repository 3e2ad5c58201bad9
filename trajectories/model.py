r"""A numeric reduced model: the engine's formulas as stable vectorised NumPy functions.

The flow is evaluated in the attention form (SETTING.md section 2),

.. math:: \dot u = -\alpha\, p q\, \partial_p L, \qquad \dot v = -\beta\, \partial_v L,
          \qquad p = \sigma(u - \log(T - 1)), \quad q = 1 - p = \sigma(-(u - \log(T-1))),

with :math:`q` computed directly rather than as :math:`1 - p`, so the focus rate
keeps its relative accuracy when attention saturates (:math:`q \approx e^{-u}`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.special import expit, wrightomega

from analytic import derive
from analytic import symbols as sym
from analytic.losses import LOSS_NAMES
from analytic.setting import shown

from .checks import finite
from .stable import log_wright_omega, numpy_function

_q = sp.Symbol("q", positive=True)  # 1 - p, kept separate for accuracy
_s = sp.Symbol("s", real=True)  # the margin coordinate used by the closed form


@dataclass(frozen=True)
class Setting:
    """A numeric setting of the reduced model.

    Parameters
    ----------
    paradigm : {"soft", "hard", "lvml"}
    loss : {"cross-entropy", "square", "exponential"}
    classes : int, classes of the cross-entropy loss
    segments : T >= 2
    alpha, beta : rates > 0 (numbers; fractions such as ``sympy.Rational(1, 999)`` stay exact)
    """

    paradigm: str
    loss: str = "cross-entropy"
    classes: int = 2
    segments: float = 10
    alpha: float = 1
    beta: float = 1

    def __post_init__(self):
        if self.paradigm not in ("soft", "hard", "lvml"):
            raise ValueError(f"`paradigm` must be one of soft, hard, lvml, got {self.paradigm!r}")
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"`loss` must be one of {', '.join(LOSS_NAMES)}, got {self.loss!r}")
        if isinstance(self.classes, bool) or not isinstance(self.classes, (int, sp.Integer)) or self.classes < 2:
            raise ValueError(f"`classes` must be an integer >= 2, got {shown(self.classes)}")
        for label, value, low in (("segments", self.segments, 2.0), ("alpha", self.alpha, 0.0), ("beta", self.beta, 0.0)):
            number = finite(value, label)
            if not (number >= low if label == "segments" else number > low):
                raise ValueError(f"`{label}` must be {'>= 2' if label == 'segments' else '> 0'}, got {shown(value)}")


@dataclass(frozen=True)
class ReducedModel:
    """Vectorised functions of one setting (build with :func:`reduced_model`).

    Attributes
    ----------
    setting : the setting.
    derivation : the engine's certified derivation it was built from.
    log_others : :math:`\\log(T - 1)`.
    alpha, beta : the rates as floats.
    """

    setting: Setting
    derivation: object
    log_others: float
    alpha: float
    beta: float
    _rates_pq: tuple
    _jacobian_pq: tuple
    _loss_pq: object
    _invariant: object
    _margin_part: object
    _by_side: dict
    minimiser: float

    # -- attention -----------------------------------------------------------------
    def attention(self, u):
        """:math:`p = \\sigma(u - \\log(T - 1))`, and :math:`q = 1 - p` computed directly."""
        x = np.asarray(u, dtype=float) - self.log_others
        return expit(x), expit(-x)

    # -- flow ----------------------------------------------------------------------
    def flow(self, u, v):
        """:math:`(\\dot u, \\dot v)` at arrays ``u``, ``v``."""
        p, q = self.attention(u)
        v = np.asarray(v, dtype=float)
        shape = np.broadcast(p, v).shape  # a rate free of p or v still gets the full shape
        du, dv = self._rates_pq
        return np.broadcast_to(du(p, q, v), shape), np.broadcast_to(dv(p, q, v), shape)

    def jacobian(self, u, v):
        """The 2x2 Jacobian of the flow at a point (for implicit ODE methods)."""
        p, q = self.attention(u)
        (dfu_dp, dfu_dq, dfu_dv), (dfv_dp, dfv_dq, dfv_dv) = self._jacobian_pq
        pq = p * q  # dp/du = pq, dq/du = -pq
        return np.array(
            [
                [(dfu_dp(p, q, v) - dfu_dq(p, q, v)) * pq, dfu_dv(p, q, v)],
                [(dfv_dp(p, q, v) - dfv_dq(p, q, v)) * pq, dfv_dv(p, q, v)],
            ],
            dtype=float,
        )

    def loss(self, u, v):
        """The reduced loss :math:`L(u, v)`."""
        p, q = self.attention(u)
        return self._loss_pq(p, q, np.asarray(v, dtype=float))

    # -- first integral and closed form ------------------------------------------------
    def invariant(self, u, v):
        """The first integral :math:`I(u, v)`."""
        return self._invariant(np.asarray(u, dtype=float), np.asarray(v, dtype=float))

    def margin_part(self, v):
        """:math:`B(v)`, with :math:`I = A(u) - B(v)`."""
        return self._margin_part(np.asarray(v, dtype=float))

    def anchor(self, u0: float, v0: float) -> Anchor:
        """The start of a trajectory, in the form :meth:`focus_at` needs."""
        side = self.side(v0)
        with np.errstate(over="ignore", invalid="ignore"):  # a non-finite B(v0) is reported by the callers
            s0 = float(self.coordinate_of_margin(v0, side))
            b0 = float(self.margin_part_s(s0, side))
        return Anchor(float(u0), float(u0) - self.log_others, b0, side, s0)

    @property
    def has_two_sides(self) -> bool:
        """Whether the margin coordinate distinguishes the sides of a finite minimiser."""
        return len(self._by_side) == 2

    def side(self, v0: float) -> int:
        """+1 when the margin approaches its limit from below, -1 from above."""
        return 1 if v0 <= self.minimiser or len(self._by_side) == 1 else -1

    def margin_of_coordinate(self, s, side: int):
        r"""The closed form's margin coordinate :math:`s` back to :math:`v`.

        With a finite minimiser :math:`v^*` (square loss)
        :math:`v = v^* - \mathrm{side}\, e^{-s}`, which resolves the approach
        :math:`v \to v^*` that floating-point :math:`v` cannot; otherwise :math:`v = s`.
        """
        return self._by_side[side]["v_of_s"](np.asarray(s, dtype=float))

    def coordinate_of_margin(self, v, side: int):
        """Inverse of :meth:`margin_of_coordinate`."""
        return self._by_side[side]["s_of_v"](np.asarray(v, dtype=float))

    def margin_part_s(self, s, side: int):
        """:math:`B(v(s))` in the margin coordinate."""
        return self._by_side[side]["margin"](np.asarray(s, dtype=float))

    def focus_at(self, anchor: Anchor, s, side: int | None = None):
        r""":math:`(u, p, q)` on the trajectory from ``anchor`` at margin coordinate ``s``.

        With :math:`x = u - \log(T-1)` and :math:`\Delta B = B(v) - B(v_0)`, the
        first integral reads :math:`x + e^{x} = x_0 + e^{x_0} + \Delta B`. For
        moderate :math:`x_0`, :math:`u = \log(T-1) + \log\omega(z)` with
        :math:`z = x_0 + e^{x_0} + \Delta B`. For large :math:`x_0`, where
        :math:`e^{x_0}` overflows, :math:`\delta = u - u_0` solves
        :math:`e^{-x_0}\delta + \operatorname{expm1}(\delta) = e^{-x_0} \Delta B`
        (Newton's method), which needs no large exponential. ``side`` selects the
        side of a finite minimiser that ``s`` refers to (default: the start's).
        """
        delta_b = np.asarray(self.margin_part_s(s, anchor.side if side is None else side), dtype=float) - anchor.b0
        if anchor.x0 <= LARGE_FOCUS:
            z = anchor.x0 + np.exp(anchor.x0) + delta_b
            omega = wrightomega(z)
            return self.log_others + log_wright_omega(z, omega), omega / (1 + omega), 1 / (1 + omega)
        shift = _focus_shift(anchor.x0, delta_b)
        x = anchor.x0 + shift
        return anchor.u0 + shift, expit(x), expit(-x)

    def time_integrand(self, s, anchor: Anchor):
        r""":math:`dt/ds = (dv/ds) / \dot v` along the trajectory from ``anchor``.

        The quotient is cancelled symbolically, so :math:`e^{-s}` factors of
        :math:`dv/ds` and :math:`\dot v` never meet as 0/0 in floating point.
        """
        s = np.asarray(s, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a non-finite dt/ds is reported by the caller
            _, p, q = self.focus_at(anchor, s)
            return self._by_side[anchor.side]["time"](p, q, s)


LARGE_FOCUS = 30.0  # x0 = u0 - log(T - 1) above which the Wright-omega route is replaced by Newton in u - u0
NEWTON_STEPS = 100


@dataclass(frozen=True)
class Anchor:
    """Start of a trajectory: u0, x0 = u0 - log(T - 1), B(v0), the side of the margin's limit, s0."""

    u0: float
    x0: float
    b0: float
    side: int
    s0: float


def _focus_shift(x0: float, delta_b):
    r"""Solve :math:`\varepsilon\delta + \operatorname{expm1}(\delta) = r`, :math:`\varepsilon = e^{-x_0}`, :math:`r = \varepsilon\Delta B`."""
    epsilon = np.exp(-x0)
    target = np.asarray(delta_b, dtype=float) * epsilon
    with np.errstate(divide="ignore", invalid="ignore"):
        shift = np.where(target > -1 + 1e-12, np.log1p(np.maximum(target, -1 + 1e-12)), (target + 1) / epsilon)
        for _ in range(NEWTON_STEPS):
            value = epsilon * shift + np.expm1(shift) - target
            step = value / (epsilon + np.exp(shift))
            shift = shift - step
            if np.all(np.abs(step) <= 4 * np.finfo(float).eps * np.maximum(1.0, np.abs(shift))):
                break
    return shift


def reduced_model(setting: Setting) -> ReducedModel:
    """Build (and cache) the numeric model of ``setting``."""
    return _build(setting)


@functools.lru_cache(maxsize=64)
def _build(setting: Setting) -> ReducedModel:
    derivation = derive(
        setting.paradigm,
        setting.loss,
        classes=setting.classes,
        segments=_exact(setting.segments),
        alpha=_exact(setting.alpha),
        beta=_exact(setting.beta),
    )
    if derivation.invariant is None:
        raise ValueError(f"no first integral for {setting}: {derivation.message}")
    p, v = sym.p, sym.v
    flow_p = derivation.flow_in_attention
    rates = [_with_q(expr) for expr in (flow_p.du, flow_p.dv)]
    loss_pq = _with_q(derivation.loss_in_attention)
    jacobian = tuple(
        tuple(numpy_function(sp.diff(rate, x), p, _q, v) for x in (p, _q, v)) for rate in rates
    )
    # the margin's own limit is the loss minimiser for hard and LVML attention;
    # for soft attention it is v*/p at the final attention, not known in advance
    minimiser = derivation.loss.minimiser if setting.paradigm != "soft" else sp.oo
    margin = derivation.invariant.margin_part
    by_side = {}
    for side in (1, -1) if minimiser.is_finite else (1,):
        if minimiser.is_finite:
            v_of_s = minimiser - side * sp.exp(-_s)
            s_of_v = -sp.log(side * (minimiser - v))
        else:
            v_of_s, s_of_v = _s, v
        by_side[side] = {
            "v_of_s": numpy_function(v_of_s, _s),
            "s_of_v": numpy_function(s_of_v, v),
            "margin": numpy_function(margin.subs(v, v_of_s), _s),
            "time": numpy_function(sp.cancel(sp.diff(v_of_s, _s) / rates[1].subs(v, v_of_s)), p, _q, _s),
        }
    return ReducedModel(
        setting=setting,
        derivation=derivation,
        log_others=float(np.log(float(setting.segments) - 1)),
        alpha=float(setting.alpha),
        beta=float(setting.beta),
        _rates_pq=tuple(numpy_function(rate, p, _q, v) for rate in rates),
        _jacobian_pq=jacobian,
        _loss_pq=numpy_function(loss_pq, p, _q, v),
        _invariant=numpy_function(derivation.invariant.expr, sym.u, v),
        _margin_part=numpy_function(margin, v),
        _by_side=by_side,
        minimiser=float(minimiser),
    )


def _with_q(expr: sp.Expr) -> sp.Expr:
    return expr.subs(1 - sym.p, _q)


def _exact(value):
    """Numbers for the engine: ints and SymPy numbers as they are, floats exactly by repr."""
    if isinstance(value, float):
        return sp.Rational(repr(value))
    return value
