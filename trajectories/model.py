r"""A numeric reduced model: a compiled derivation bound to one setting's numbers.

:class:`Setting` says *what* is computed (a paradigm — built-in or custom — with a
segment loss, or a whole loss :math:`L(u, v)`, and the numbers of the setting);
:func:`reduced_model` derives the model once, symbolically in every parameter
(:func:`model_derivation`, cached in memory and on disk), compiles it once
(:mod:`trajectories.compiled`) and binds the setting's numbers. A new setting of
the same model never re-derives.

For a paradigm model the flow is evaluated in the attention form

.. math:: \dot u = -\alpha\, p q\, \partial_p L, \qquad \dot v = -\beta\, \partial_v L,
          \qquad p = \sigma(u - \log(T - 1)), \quad q = 1 - p = \sigma(-(u - \log(T-1))),

with :math:`q` computed directly rather than as :math:`1 - p`, so the focus rate
keeps its relative accuracy when attention saturates (:math:`q \approx e^{-u}`).
"""

from __future__ import annotations

import functools
import math
import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import sympy as sp
from scipy.special import expit, wrightomega

from analytic import derive, derive_custom
from analytic.budget import OutOfTime
from analytic.derivation import STATUS_TIMEOUT, check_attention
from analytic import symbols as sym
from analytic.errors import BadInput, NotAvailable
from analytic.losses import CLASS_LOSS, LOSS_ALIASES, SegmentLoss, by_name, check_defined_at_zero, custom, loss_names
from analytic.paradigms import PARADIGMS, Paradigm, check_paradigm
from analytic.setting import shown

from .checks import finite
from .compiled import CompiledModel, compiled_model, numeric_minimiser
from .stable import log_wright_omega
from .tuning import ROUNDING_FACTOR

MAX_PARAMETERS = 16


@dataclass(frozen=True)
class Setting:
    """A numeric setting of the reduced model.

    Parameters
    ----------
    paradigm : a name in :data:`analytic.paradigms.PARADIGMS`, a custom
        :class:`~analytic.paradigms.Paradigm`, or ``None`` with ``expr``.
    loss : a registered loss name (the alias ``logistic`` = cross-entropy with c = 2) or a
        :class:`~analytic.losses.SegmentLoss` (``None`` with ``expr``).
    classes : int, classes of the cross-entropy loss
    segments : T >= 2
    alpha, beta : rates > 0 (numbers; fractions such as ``sympy.Rational(1, 999)`` stay exact)
    params : values of the user's parameters, a mapping name -> number
    expr : a whole loss :math:`L(u, v)` (then ``paradigm`` and ``loss`` are ``None``)
    attention : the attention map :math:`p(u)` (default :math:`e^u/(e^u + T - 1)`), a logistic
        map of a shifted u such as ``k*exp(u)/(k*exp(u) + T - k)`` (:func:`analytic.derivation.check_attention`)

    Examples
    --------
    >>> Setting("hard", "logistic").loss, Setting("hard", "logistic").classes
    ('cross-entropy', 2)
    """

    paradigm: str | Paradigm | None
    loss: str | SegmentLoss | None = CLASS_LOSS
    classes: int = 2
    segments: float = 10
    alpha: float = 1
    beta: float = 1
    params: tuple = ()
    expr: sp.Expr | None = None
    attention: sp.Expr | None = None

    def __post_init__(self):
        set_field = functools.partial(object.__setattr__, self)
        if self.expr is not None:
            if self.paradigm not in (None, "custom") or self.loss not in (None, CLASS_LOSS):
                raise BadInput("`expr` (a whole loss L(u, v)) cannot be combined with `paradigm` or `loss`")
            if not isinstance(self.expr, sp.Expr):
                raise TypeError(f"`expr` must be a SymPy expression, got {type(self.expr).__name__}")
            set_field("paradigm", None)
            set_field("loss", None)
            set_field("expr", sym.canonical_symbols(self.expr, "expr", forbidden=("p", "u0", "v0", "t")))
            if self.attention is not None:
                raise BadInput("`attention` is a paradigm model's: a whole loss L(u, v) has no attention")
        else:
            entry = check_paradigm(self.paradigm)
            set_field("paradigm", entry.name if PARADIGMS.get(entry.name) == entry else entry)
            if isinstance(self.loss, SegmentLoss):
                if self.loss.name != "custom":
                    set_field("loss", self.loss.name)
            elif isinstance(self.loss, str) and self.loss in LOSS_ALIASES:
                name, classes = LOSS_ALIASES[self.loss]
                set_field("loss", name)
                set_field("classes", classes)
            elif not isinstance(self.loss, str) or self.loss not in loss_names():
                raise BadInput(f"`loss` must be one of {', '.join(loss_names(aliases=True))} or a SegmentLoss, got {shown(self.loss)}")
        if isinstance(self.classes, (np.integer,)):
            set_field("classes", int(self.classes))
        if isinstance(self.classes, bool) or not isinstance(self.classes, (int, sp.Integer)) or self.classes < 2:
            raise BadInput(f"`classes` must be an integer >= 2, got {shown(self.classes)}")
        for label, value, low in (("segments", self.segments, 2.0), ("alpha", self.alpha, 0.0), ("beta", self.beta, 0.0)):
            number = finite(value, label)
            if not (number >= low if label == "segments" else number > low):
                raise BadInput(f"`{label}` must be {'>= 2' if label == 'segments' else '> 0'}, got {shown(value)}")
        set_field("params", _check_params(self.params))
        if self.attention is not None:
            set_field("attention", check_attention(self.attention))
        _check_defined(self)

    # -- what the setting is -----------------------------------------------------------
    @property
    def scheme(self) -> Paradigm | None:
        """The :class:`~analytic.paradigms.Paradigm` (``None`` for a whole loss)."""
        return None if self.paradigm is None else check_paradigm(self.paradigm)

    @property
    def paradigm_name(self) -> str:
        """The registry name of the paradigm, or ``custom``."""
        return "custom" if self.scheme is None else self.scheme.name

    @property
    def loss_name(self) -> str:
        """The loss's name, ``custom`` for a user's segment loss or a whole loss."""
        return self.loss if isinstance(self.loss, str) else "custom"

    @property
    def segment_loss(self) -> SegmentLoss | None:
        """The per-segment loss, symbolic in ``c`` for cross-entropy (``None`` for a whole loss)."""
        if self.loss is None:
            return None
        return self.loss if isinstance(self.loss, SegmentLoss) else by_name(self.loss, sym.c)

    @property
    def bound_loss(self) -> str | SegmentLoss | None:
        """The segment loss with this setting's numbers in place (the one substitution of parameter values):
        a registered loss by its name, a custom one as a :class:`SegmentLoss` of ``v`` alone (``None``: a whole loss)."""
        if self.loss is None or isinstance(self.loss, str):
            return self.loss
        return custom(self.segment_loss.expr.subs(self.values))

    @property
    def values(self) -> dict:
        """Symbol -> number for every symbol a derivation of this setting may keep."""
        numbers = {sym.T: _exact(self.segments), sym.c: sp.Integer(int(self.classes)),
                   sym.alpha: _exact(self.alpha), sym.beta: _exact(self.beta)}
        numbers.update({sym.parameter(name): _exact(value) for name, value in self.params})
        return numbers

    @property
    def model_text(self) -> str:
        """The model in one line: names, and the expressions of its custom parts.

        Examples
        --------
        >>> Setting("hard", "square").model_text
        'hard / square'
        """
        if self.expr is not None:
            return self.loss_text
        paradigm = self.scheme.name if not self.scheme.is_custom else f"custom aggregate {self.scheme.text}"
        return f"{paradigm} / {self.loss_text}"

    @property
    def loss_text(self) -> str:
        """The model in one line without its paradigm (for a table of every paradigm at this setting).

        Examples
        --------
        >>> Setting("hard", "square").loss_text
        'square'
        """
        if self.expr is not None:
            text = f"custom L(u, v) = {self.expr}"
        else:
            text = self.loss if isinstance(self.loss, str) else f"custom l(v) = {self.segment_loss.expr}"
            if self.attention is not None:
                text += f", p(u) = {self.attention}"
        if self.params:
            text += " with " + ", ".join(f"{name} = {value}" for name, value in self.params)
        return text

    def with_paradigm(self, paradigm: str | Paradigm) -> Setting:
        """The same setting under another paradigm."""
        return Setting(paradigm, self.loss, self.classes, self.segments, self.alpha, self.beta, self.params, attention=self.attention)


class UnusableSetting(BadInput):
    """A custom part of a setting that the numeric methods cannot evaluate. ``field`` is the
    :class:`Setting` parameter it comes from (``loss``, ``paradigm``, ``expr``, ``attention`` or
    ``params``) and ``reason`` the message without it (the command line names its own option)."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"`{field}` {reason}")
        self.field, self.reason = field, reason


def _check_defined(setting: Setting) -> None:
    """Each custom expression, with the parameters' values in place, is finite and has only numbers
    float64 can hold; the segment loss is defined, with a finite slope, at v = 0. E.g.
    ``log(1 + exp(-v/tau))`` at ``tau = 0`` and ``v*10^1000`` are refused here, not a ZeroDivisionError
    or OverflowError in the compiled functions."""
    values = {sym.parameter(name): _exact(value) for name, value in setting.params}
    given = sym.values_text(dict(setting.params))
    loss = setting.segment_loss if isinstance(setting.loss, SegmentLoss) else None
    scheme = setting.scheme
    parts = (("expr", "loss L(u, v)", setting.expr), ("loss", "segment loss", None if loss is None else loss.expr),
             ("paradigm", "aggregate", scheme.aggregation if scheme is not None and scheme.is_custom else None),
             ("attention", "attention map", setting.attention))
    for field, what, expr in parts:
        if expr is None:
            continue
        try:
            bound = sym.check_defined_with(expr, values, given, what)
            if field == "loss" and values:
                check_defined_at_zero(bound, f"{given}: with these values the segment loss")
            if field == "attention" and values:
                at_zero = bound.subs(sym.u, 0).subs(setting.values)
                if at_zero.is_number and not (0 < at_zero < 1):
                    raise BadInput(f"{given}: the attention map {shown(expr)} is {shown(at_zero)} at u = 0; it must lie strictly between 0 and 1")
        except BadInput as error:
            raise UnusableSetting("params", str(error)) from None
        for number in bound.atoms(sp.Rational):
            magnitude = abs(number)
            if magnitude > sys.float_info.max or 0 < magnitude < sys.float_info.min:
                raise UnusableSetting(field, f"{shown(expr)} has the number {shown(number)}, beyond the float64 range "
                                             "(about 2.2e-308 to 1.8e308): the numeric methods cannot evaluate it (derive can)")


def _check_params(params) -> tuple:
    if isinstance(params, dict):
        items = list(params.items())
    else:
        try:
            items = [tuple(item) for item in params]
        except TypeError:
            raise TypeError(f"`params` must be a mapping name -> number, got {shown(params)}") from None
    if len(items) > MAX_PARAMETERS:
        raise BadInput(f"`params` has more than {MAX_PARAMETERS} entries ({len(items)})")
    checked = {}
    for item in items:
        if len(item) != 2:
            raise TypeError(f"`params` must be a mapping name -> number, got {shown(params)}")
        name, value = item
        key = name.name if isinstance(name, sp.Symbol) else name
        if not isinstance(key, str) or not key.isidentifier() or key in sym.BY_NAME:
            raise BadInput(f"`params` name must be a parameter name (not u, v, T, c, alpha, beta, p), got {shown(name)}")
        if isinstance(value, sp.Expr) and value.is_number:
            value = _exact(value)
        checked[key] = value if isinstance(value, (sp.Rational, Fraction)) else finite(value, f"params[{key}]")
        finite(checked[key], f"params[{key}]")
    return tuple(sorted(checked.items()))


# -- the derivation and its compilation --------------------------------------------------
def model_derivation(setting: Setting, *, use_cache: bool = True):
    """The derivation behind ``setting``: symbolic in T, c, alpha, beta and the user's parameters."""
    if setting.expr is not None:
        return derive_custom(setting.expr, use_cache=use_cache)
    return derive(setting.scheme, setting.segment_loss, use_cache=use_cache, attention=setting.attention)


@dataclass(frozen=True, eq=False)
class ReducedModel:
    """A compiled model bound to one setting (build with :func:`reduced_model`).

    Attributes
    ----------
    setting : the setting.
    compiled : the compiled model (shared by every setting of the same model).
    theta : the numeric parameter vector passed to the compiled functions.
    log_others : the attention offset :math:`o` with :math:`p = \\sigma(u - o)` (:math:`\\log(T - 1)` by default).
    alpha, beta : the rates as floats.
    loss_miniser : where the segment loss's own descent from 0 converges (``inf`` if unbounded).
    minimiser : the margin's limit used by the closed form's coordinate (``inf`` when
        not known in advance, e.g. soft attention).
    """

    setting: Setting
    compiled: CompiledModel
    theta: tuple
    log_others: float
    alpha: float
    beta: float
    loss_minimiser: float
    minimiser: float
    _by_side: dict

    @property
    def derivation(self):
        """The symbolic derivation (substitute :attr:`Setting.values` for this setting's numbers)."""
        return self.compiled.derivation

    @property
    def has_attention(self) -> bool:
        """Whether the model has a foreground attention p (a whole loss L(u, v) has none)."""
        return not self.compiled.whole_loss

    # -- attention -----------------------------------------------------------------
    def attention(self, u):
        """:math:`p = \\sigma(u - \\log(T - 1))`, and :math:`q = 1 - p` computed directly."""
        if not self.has_attention:
            raise BadInput("a whole loss L(u, v) has no attention p: use u and v")
        x = np.asarray(u, dtype=float) - self.log_others
        return expit(x), expit(-x)

    def _state(self, u):
        return self.attention(u) if self.has_attention else (np.asarray(u, dtype=float),)

    # -- flow ----------------------------------------------------------------------
    def flow(self, u, v):
        """:math:`(\\dot u, \\dot v)` at arrays ``u``, ``v``."""
        state = self._state(u)
        v = np.asarray(v, dtype=float)
        shape = np.broadcast(state[0], v).shape  # a rate free of p or v still gets the full shape
        du, dv = self.compiled.functions["rates"]
        return np.broadcast_to(du(*state, v, *self.theta), shape), np.broadcast_to(dv(*state, v, *self.theta), shape)

    @functools.cached_property
    def scalar_flow(self):
        """The flow at one point in Python floats, ``scalar_flow(u, v) -> (du, dv)`` (fast for single-step loops;
        the formulas of :meth:`flow`, falling back to it where ``math`` raises on overflow)."""
        rates, theta, offset, attention = self.compiled.scalar_rates, self.theta, self.log_others, self.has_attention
        exp = math.exp

        def arrays(u, v):
            with np.errstate(all="ignore"):
                du, dv = self.flow(u, v)
            return float(du), float(dv)

        if rates is None:
            return arrays

        def flow(u, v):
            try:
                if not attention:
                    return rates(u, v, *theta)
                x = u - offset
                if x >= 0:
                    e = exp(-x)
                    return rates(1 / (1 + e), e / (1 + e), v, *theta)
                e = exp(x)
                return rates(e / (1 + e), 1 / (1 + e), v, *theta)
            except (OverflowError, ValueError, ZeroDivisionError):
                return arrays(u, v)  # the arrays give inf/nan (or a finite limit) where math raises

        return flow

    def jacobian(self, u, v):
        """The 2x2 Jacobian of the flow at a point (for implicit ODE methods)."""
        state = self._state(u)
        rows = self.compiled.jacobian
        if not self.has_attention:
            return np.array([[float(f(*state, v, *self.theta)) for f in row] for row in rows], dtype=float)
        p, q = state
        pq = p * q  # dp/du = pq, dq/du = -pq
        (fu_p, fu_q, fu_v), (fv_p, fv_q, fv_v) = rows
        arguments = (p, q, v, *self.theta)
        return np.array(
            [
                [(fu_p(*arguments) - fu_q(*arguments)) * pq, fu_v(*arguments)],
                [(fv_p(*arguments) - fv_q(*arguments)) * pq, fv_v(*arguments)],
            ],
            dtype=float,
        )

    def loss(self, u, v):
        """The reduced loss :math:`L(u, v)`."""
        return self.compiled.functions["loss"](*self._state(u), np.asarray(v, dtype=float), *self.theta)

    # -- first integral and closed form ------------------------------------------------
    @property
    def has_first_integral(self) -> bool:
        return "invariant" in self.compiled.functions

    @property
    def quadrature_parts(self) -> tuple:
        """The parts of the first integral evaluated by quadrature (``"A(u)"``, ``"B(v)"``), if any."""
        invariant = self.derivation.invariant
        return () if invariant is None else invariant.quadrature

    def margin_part_error(self, v):
        """Error estimate of :math:`B(v)` (0 when B is in closed form)."""
        estimate = self.compiled.functions.get("margin_error")
        v = np.asarray(v, dtype=float)
        return np.zeros_like(v) if estimate is None else estimate(v, *self.theta)

    def _need_integral(self):
        if not self.has_first_integral:
            error = OutOfTime if self.derivation.status == STATUS_TIMEOUT else NotAvailable
            raise error(f"the closed form needs a first integral: {self.derivation.message} (use the ode or gd method)")

    def invariant(self, u, v):
        """The first integral :math:`I(u, v)`."""
        self._need_integral()
        return self.compiled.functions["invariant"](np.asarray(u, dtype=float), np.asarray(v, dtype=float), *self.theta)

    def focus_part(self, u):
        """:math:`A(u)`, with :math:`I = A(u) - B(v)`."""
        self._need_integral()
        return self.compiled.functions["focus_part"](np.asarray(u, dtype=float), *self.theta)

    def margin_part(self, v):
        """:math:`B(v)`, with :math:`I = A(u) - B(v)`."""
        self._need_integral()
        return self.compiled.functions["margin_part"](np.asarray(v, dtype=float), *self.theta)

    def anchor(self, u0: float, v0: float) -> Anchor:
        """The start of a trajectory, in the form :meth:`focus_at` needs."""
        self._need_integral()
        side = self.side(v0)
        if not math.isfinite(self.minimiser):
            with np.errstate(all="ignore"):
                falling = float(self.flow(u0, v0)[1]) < 0
            side = -1 if falling else 1
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a non-finite B(v0) is reported by the callers
            s0 = float(self.coordinate_of_margin(v0, side))
            b0 = float(self.margin_part_s(s0, side))
            a0 = float(self.focus_part(u0)) if not self.compiled.softmax_focus else math.nan
        return Anchor(float(u0), float(u0) - (self.log_others if self.has_attention else 0.0), b0, side, s0, a0)

    @property
    def has_two_sides(self) -> bool:
        """Whether the margin coordinate distinguishes the sides of a finite minimiser."""
        return math.isfinite(self.minimiser)

    def side(self, v0: float) -> int:
        """+1 when the margin approaches its limit from below, -1 from above (see :meth:`anchor`
        for a margin without a finite limit: the side follows the sign of dv/dt at the start)."""
        return 1 if v0 <= self.minimiser else -1

    def _limit(self):
        return (self.minimiser,) if self.has_two_sides else ()

    def margin_of_coordinate(self, s, side: int):
        r"""The closed form's margin coordinate :math:`s` back to :math:`v`.

        With a finite minimiser :math:`v^*` (square loss)
        :math:`v = v^* - \mathrm{side}\, e^{-s}`, which resolves the approach
        :math:`v \to v^*` that floating-point :math:`v` cannot; otherwise :math:`v = s`.
        """
        return self._by_side[side]["v_of_s"](np.asarray(s, dtype=float), *self._limit())

    def coordinate_of_margin(self, v, side: int):
        """Inverse of :meth:`margin_of_coordinate`."""
        return self._by_side[side]["s_of_v"](np.asarray(v, dtype=float), *self._limit())

    def margin_part_s(self, s, side: int):
        """:math:`B(v(s))` in the margin coordinate."""
        return self._by_side[side]["margin"](np.asarray(s, dtype=float), *self._limit(), *self.theta)

    def focus_at(self, anchor: Anchor, s, side: int | None = None):
        r""":math:`(u, p, q)` on the trajectory from ``anchor`` at margin coordinate ``s``.

        Softmax focus part :math:`A(u) = u + e^u/(T-1)` (every built-in paradigm): with
        :math:`x = u - \log(T-1)` and :math:`\Delta B = B(v) - B(v_0)` the first
        integral reads :math:`x + e^{x} = x_0 + e^{x_0} + \Delta B`. For moderate
        :math:`x_0`, :math:`u = \log(T-1) + \log\omega(z)` with
        :math:`z = x_0 + e^{x_0} + \Delta B`; for large :math:`x_0`, where
        :math:`e^{x_0}` overflows, :math:`\delta = u - u_0` solves
        :math:`e^{-x_0}\delta + \operatorname{expm1}(\delta) = e^{-x_0} \Delta B`
        (Newton's method). Any other :math:`A`: its derived inverse, else
        :math:`A(u) = A(u_0) + \Delta B` solved by safeguarded Newton.
        ``side`` selects the side of a finite minimiser that ``s`` refers to (default: the start's).
        For a whole loss ``p`` and ``q`` are ``None``.
        """
        delta_b = np.asarray(self.margin_part_s(s, anchor.side if side is None else side), dtype=float) - anchor.b0
        if self.compiled.softmax_focus:
            if anchor.x0 <= LARGE_FOCUS:
                z = anchor.x0 + np.exp(anchor.x0) + delta_b
                omega = wrightomega(z)
                return self.log_others + log_wright_omega(z, omega), omega / (1 + omega), 1 / (1 + omega)
            shift = _focus_shift(anchor.x0, delta_b)
            x = anchor.x0 + shift
            return anchor.u0 + shift, expit(x), expit(-x)
        u = self._invert_focus(anchor, anchor.a0 + delta_b)
        if not self.has_attention:
            return u, None, None
        p, q = self.attention(u)
        return u, p, q

    def focus_rounding(self, anchor: Anchor, s, u):
        r"""How far rounding can move :math:`u` at coordinates ``s``: :math:`\delta u \approx \delta B / A'(u)`.

        :math:`B(v) - B(v_0)` is formed from two values of size up to :math:`|B|`, so it
        carries an absolute rounding of a few :math:`\varepsilon (|B(v)| + |B(v_0)|)`; the
        first integral turns it into :math:`u` through :math:`A'(u)` (:math:`1 + e^{u - o}`
        for the softmax focus part). When :math:`\alpha/\beta` is huge, :math:`B` is huge
        and the closed form cannot tell nearby states apart.
        """
        with np.errstate(all="ignore"):
            return self.margin_rounding(anchor, s) / self.focus_slope(u)

    def margin_rounding(self, anchor: Anchor, s):
        r"""The absolute rounding of :math:`B(v) - B(v_0)` at coordinates ``s``: a few :math:`\varepsilon (|B(v)| + |B(v_0)|)`."""
        b = np.abs(np.asarray(self.margin_part_s(s, anchor.side), dtype=float)) + abs(anchor.b0)
        return ROUNDING_FACTOR * np.finfo(float).eps * b

    def focus_slope(self, u):
        r""":math:`|A'(u)|` (:math:`1 + e^{u - o}` for the softmax focus part)."""
        u = np.asarray(u, dtype=float)
        with np.errstate(all="ignore"):
            if self.compiled.softmax_focus:
                return 1 + np.exp(u - self.log_others)
            return np.abs(np.asarray(self.compiled.functions["focus_slope"](u, *self.theta), dtype=float)) + 0 * u

    def focus_change(self, anchor: Anchor, u):
        r""":math:`A(u) - A(u_0)`; for the softmax focus part :math:`(x - x_0) + e^{x_0}\operatorname{expm1}(x - x_0)`."""
        u = np.asarray(u, dtype=float)
        with np.errstate(all="ignore"):
            if self.compiled.softmax_focus:
                shift = u - anchor.u0
                return shift + np.exp(anchor.x0) * np.expm1(shift)
            return np.asarray(self.focus_part(u), dtype=float) - anchor.a0

    def coordinate_of_focus(self, anchor: Anchor, u, guess):
        r"""The margin coordinate :math:`s` where the trajectory from ``anchor`` has focus ``u``: the root of
        :math:`B(v(s)) - B(v_0) = A(u) - A(u_0)` by Newton's method from ``guess``, on a stretch where u is monotone.

        :math:`dB/ds = A'(u)\,\dot u\,(dt/ds)` along the trajectory. Points where Newton's method does not
        settle to the rounding of :math:`B` come back as NaN (the callers refuse them).
        """
        u = np.asarray(u, dtype=float)
        target = self.focus_change(anchor, u)
        slope_u = self.focus_slope(u)
        state = self._state(u)
        s = np.array(guess, dtype=float) * np.ones(u.shape)
        settled = np.zeros(u.shape, dtype=bool)
        with np.errstate(all="ignore"):
            for _ in range(NEWTON_STEPS):
                v = self.margin_of_coordinate(s, anchor.side)
                residual = np.asarray(self.margin_part_s(s, anchor.side), dtype=float) - anchor.b0 - target
                du = np.asarray(self.flow(u, v)[0], dtype=float)
                slope = slope_u * du * self.time_integrand_at(state, s, anchor.side)
                step = residual / slope
                noise = self.margin_rounding(anchor, s) + np.abs(slope) * np.spacing(np.abs(s))
                settled = np.abs(residual) <= 2 * noise
                if np.all(settled | ~np.isfinite(step)):
                    break
                s = np.where(settled, s, s - step)
        return np.where(settled, s, np.nan)

    def _invert_focus(self, anchor: Anchor, level):
        """:math:`u` with :math:`A(u) = ` ``level``, on the branch through ``anchor.u0``."""
        functions = self.compiled.functions
        level = np.asarray(level, dtype=float)
        with np.errstate(all="ignore"):
            if "focus_of_level" in functions:
                return np.asarray(functions["focus_of_level"](level, *self.theta), dtype=float) + 0 * level
            return _solve_increasing(
                lambda x: functions["focus_part"](x, *self.theta),
                lambda x: functions["focus_slope"](x, *self.theta),
                anchor.u0, anchor.a0, level,
            )

    def time_integrand(self, s, anchor: Anchor):
        r""":math:`dt/ds = (dv/ds) / \dot v` along the trajectory from ``anchor``.

        The quotient is cancelled symbolically, so :math:`e^{-s}` factors of
        :math:`dv/ds` and :math:`\dot v` never meet as 0/0 in floating point.
        """
        s = np.asarray(s, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # a non-finite dt/ds is reported by the caller
            u, p, q = self.focus_at(anchor, s)
            return self.time_integrand_at((p, q) if self.has_attention else (u,), s, anchor.side)

    def time_integrand_at(self, state, s, side: int):
        """:math:`dt/ds` at the focus ``state`` (``(p, q)``, or ``(u,)`` for a whole loss) and the coordinate ``s``."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = self._by_side[side]["time"](*state, np.asarray(s, dtype=float), *self._limit(), *self.theta)
            return np.asarray(value, dtype=float) * np.ones(np.broadcast(state[0], s).shape)

LARGE_FOCUS = 30.0  # x0 = u0 - log(T - 1) above which the Wright-omega route is replaced by Newton in u - u0
NEWTON_STEPS = 100


@dataclass(frozen=True)
class Anchor:
    """Start of a trajectory: u0, x0 = u0 - log(T - 1), B(v0), the side of the margin's limit, s0, A(u0)."""

    u0: float
    x0: float
    b0: float
    side: int
    s0: float
    a0: float = math.nan


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


BRACKET_DOUBLINGS = 80
BISECTION_STEPS = 120


def _solve_increasing(function, slope, x0: float, f0: float, target):
    r"""Solve :math:`f(x) = ` ``target`` (vectorised) on the monotone branch of :math:`f` through :math:`(x_0, f_0)`.

    Newton from :math:`x_0` while it converges; points where it does not are
    bracketed by doubling steps from :math:`x_0` and bisected.
    """
    target = np.asarray(target, dtype=float)
    direction = 1.0 if float(slope(np.float64(x0))) > 0 else -1.0
    x = np.full(target.shape, float(x0))
    for _ in range(NEWTON_STEPS):
        step = (function(x) - target) / slope(x)
        x = x - step
        if not np.all(np.isfinite(x)):
            break
        if np.all(np.abs(step) <= 4 * np.finfo(float).eps * np.maximum(1.0, np.abs(x))):
            return x
    # bracket and bisect (f is monotone in the direction of its slope at x0)
    want = direction * (target - f0)  # > 0: move right of x0
    lo = np.full(target.shape, float(x0))
    hi = lo.copy()
    width = np.ones(target.shape)
    for _ in range(BRACKET_DOUBLINGS):
        hi = x0 + np.sign(want) * width
        reached = direction * (function(hi) - target) * np.sign(want) >= 0
        if np.all(reached | (want == 0)):
            break
        width = np.where(reached, width, 2 * width)
    for _ in range(BISECTION_STEPS):
        middle = (lo + hi) / 2
        below = direction * (function(middle) - target) * np.sign(want) < 0
        lo, hi = np.where(below, middle, lo), np.where(below, hi, middle)
    return np.where(want == 0, x0, (lo + hi) / 2)


def reduced_model(setting: Setting) -> ReducedModel:
    """Build (and cache) the numeric model of ``setting``: derived once per model, compiled once, bound here."""
    return _build(check_setting(setting))


def check_setting(setting, label: str = "setting") -> Setting:
    """``setting`` itself if it is a :class:`Setting` (a ``TypeError`` naming ``label`` otherwise)."""
    if not isinstance(setting, Setting):
        raise TypeError(f"`{label}` must be a Setting, got {type(setting).__name__}")
    return setting


def check_model(model) -> ReducedModel:
    """``model`` itself if it is a :class:`ReducedModel` (a ``TypeError`` naming ``model`` otherwise)."""
    if not isinstance(model, ReducedModel):
        raise TypeError(f"`model` must be a ReducedModel (from reduced_model(Setting(...))), got {type(model).__name__}")
    return model


@functools.lru_cache(maxsize=256)
def _build(setting: Setting) -> ReducedModel:
    compiled = compiled_model(model_derivation(setting))
    values = dict(setting.params)
    theta = compiled.theta(setting.segments, setting.classes, setting.alpha, setting.beta, values)
    with np.errstate(invalid="ignore", divide="ignore"):  # reported just below
        offset = compiled.functions["offset"](*theta) if "offset" in compiled.functions else 0.0
    if not np.isfinite(offset):
        raise BadInput(f"`attention` {setting.attention} must lie strictly between 0 and 1 at u = 0 for these values")
    loss_minimiser = math.inf if compiled.derivation.loss is None else numeric_minimiser(compiled, theta)
    scheme = setting.scheme
    # the margin's own limit is the loss minimiser when the segment loss sees v itself
    # (hard, LVML); for soft attention it is v*/p at the final attention, not known in advance
    minimiser = loss_minimiser if scheme is not None and scheme.margin_scale == 1 else math.inf
    by_side = compiled.side_functions(math.isfinite(minimiser)) if compiled.functions.get("margin_expr") is not None else {1: None}
    return ReducedModel(
        setting=setting,
        compiled=compiled,
        theta=theta,
        log_others=float(offset),
        alpha=float(setting.alpha),
        beta=float(setting.beta),
        loss_minimiser=loss_minimiser,
        minimiser=minimiser,
        _by_side=by_side,
    )


def _exact(value):
    """Numbers for the engine: ints and SymPy numbers as they are, floats exactly by repr."""
    if isinstance(value, float):
        return sp.Rational(repr(value))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, (np.floating, np.integer)):
        return _exact(value.item())
    if isinstance(value, int):
        return sp.Integer(value)
    return value


def compiled_parameters(setting: Setting) -> tuple:
    """The user parameters the model of ``setting`` needs values for (found without deriving)."""
    if setting.expr is not None:
        return sym.parameters_of(setting.expr)
    found = set(sym.parameters_of(setting.segment_loss.expr)) | set(sym.parameters_of(setting.scheme.aggregation))
    if setting.attention is not None:
        found |= set(sym.parameters_of(setting.attention))
    return tuple(sorted(found, key=lambda s: s.name))


def setting_derivation(setting: Setting):
    """The derivation with this setting's numbers in place (for reports that print per-setting formulas).

    The numeric paths never need it: they use the symbolic derivation compiled once.
    """
    if setting.expr is not None:
        expr = setting.expr.subs({s: v for s, v in setting.values.items() if s not in (sym.alpha, sym.beta)})
        return derive_custom(expr, alpha=_exact(setting.alpha), beta=_exact(setting.beta))
    loss = setting.segment_loss
    numbers = {s: v for s, v in setting.values.items() if s not in (sym.T, sym.alpha, sym.beta)}
    if isinstance(setting.loss, str):
        loss = by_name(setting.loss, int(setting.classes))
    elif numbers:
        loss = custom(loss.expr.subs(numbers))  # the minimiser is found again with the numbers in place
    attention = None if setting.attention is None else setting.attention.subs(numbers)
    return derive(setting.scheme, loss, segments=_exact(setting.segments), alpha=_exact(setting.alpha), beta=_exact(setting.beta),
                  attention=attention)
