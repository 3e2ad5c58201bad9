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
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"`loss` must be one of {', '.join(LOSS_NAMES)}, got {self.loss!r}")


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
        du, dv = self._rates_pq
        return np.broadcast_to(du(p, q, v), np.broadcast(p, v).shape), np.broadcast_to(dv(p, q, v), np.broadcast(p, v).shape)

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

    def level_offset(self, u0: float, v0: float) -> float:
        r""":math:`z_0 = A(u_0) - B(v_0) - \log(T - 1)`, so :math:`z = z_0 + B(v)`."""
        a0 = u0 + np.exp(u0 - self.log_others)
        return float(a0 - self.margin_part(v0) - self.log_others)

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

    def focus_from_level(self, z):
        r"""From :math:`z = S - \log(T - 1)`: :math:`u = \log(T-1) + \log\omega(z)`, :math:`p`, :math:`q`."""
        z = np.asarray(z, dtype=float)
        omega = wrightomega(z)
        return self.log_others + log_wright_omega(z, omega), omega / (1 + omega), 1 / (1 + omega)

    def time_integrand(self, s, z_offset: float, side: int):
        r""":math:`dt/ds = (dv/ds) / \dot v` along the trajectory with level offset ``z_offset``."""
        s = np.asarray(s, dtype=float)
        _, p, q = self.focus_from_level(z_offset + self.margin_part_s(s, side))
        with np.errstate(divide="ignore", invalid="ignore"):  # an infinite dt/ds is reported by the caller
            return self._by_side[side]["time"](p, q, s)


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
