r"""Per-segment losses :math:`\ell(v)` of a classifier margin :math:`v`.

The built-in losses (docs/setting.rst section 2):

.. math::

    \ell_{\mathrm{CE}}(v) = \log\left(1 + (c - 1) e^{-v}\right), \qquad
    \ell_{\mathrm{sq}}(v) = \tfrac12 (1 - v)^2, \qquad
    \ell_{\exp}(v) = e^{-v},

and a custom expression in :math:`v`. Each loss also records where gradient
descent on it from :math:`v = 0` goes (``minimiser``, possibly :math:`+\infty`),
which the fixed-focus analysis needs for its :math:`t \to \infty` limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numbers

import sympy as sp

from .budget import BudgetExceeded, NoClosedForm, WorkerError, call_with_budget
from .serial import storable
from .setting import is_boolean, shown
from .symbols import canonical_symbols, check_real_expression
from .symbols import c as c_symbol
from .symbols import v

LOSS_NAMES = ("cross-entropy", "square", "exponential")
#: Other names accepted for built-in losses: the logistic loss is cross-entropy with c = 2.
LOSS_ALIASES = {"logistic": ("cross-entropy", 2)}
SOLVE_SECONDS = 5.0  # budget for locating a custom loss's stationary points
DOMAIN_SECONDS = 2.0  # budget for describing where a refused loss is defined
PIECEWISE_FUNCTIONS = (sp.Max, sp.Min, sp.Abs, sp.Heaviside, sp.Piecewise, sp.sign)


@storable
@dataclass(frozen=True)
class SegmentLoss:
    """A per-segment loss as data.

    Attributes
    ----------
    name : str
        ``"cross-entropy"``, ``"square"``, ``"exponential"`` or ``"custom"``.
    expr : sympy.Expr
        :math:`\\ell(v)`, an expression in the symbol ``v`` (and possibly ``c``).
    minimiser : sympy.Expr or None
        Where the margin flow :math:`\\dot v = -\\ell'(v)` started at 0 converges
        (``sympy.oo`` when it grows without bound; ``None`` when it depends on
        parameters whose values are not known yet: the numeric layer finds it).
    classes : sympy.Expr or None
        Number of classes for cross-entropy, else ``None``.
    """

    name: str
    expr: sp.Expr
    minimiser: sp.Expr | None
    classes: sp.Expr | None = None

    @property
    def label(self) -> str:
        """Short name used in file names and LaTeX labels (``ce``, ``sq``, ...)."""
        return {"cross-entropy": "ce", "square": "sq", "exponential": "exp"}.get(self.name, "custom")


def cross_entropy(classes: int | sp.Expr = 2) -> SegmentLoss:
    r"""Cross-entropy of ``classes`` symmetric classes, :math:`\log(1 + (c-1)e^{-v})`.

    Examples
    --------
    >>> cross_entropy(2).expr
    log(1 + exp(-v))
    """
    classes = _check_classes(classes)
    return SegmentLoss("cross-entropy", sp.log(1 + (classes - 1) * sp.exp(-v)), sp.oo, classes)


def square() -> SegmentLoss:
    r"""Square loss :math:`\tfrac12 (1 - v)^2`."""
    return SegmentLoss("square", (1 - v) ** 2 / 2, sp.Integer(1))


def exponential() -> SegmentLoss:
    r"""Exponential loss :math:`e^{-v}`."""
    return SegmentLoss("exponential", sp.exp(-v), sp.oo)


def custom(expr: sp.Expr, minimiser: sp.Expr | None = None) -> SegmentLoss:
    r"""A user loss :math:`\ell(v)`; ``minimiser`` is found if not given.

    The minimiser is the first stationary point of :math:`\ell` reached by
    :math:`\dot v = -\ell'(v)` from :math:`v = 0`, or :math:`\pm\infty`.
    Names other than ``v`` are parameters (``c``, ``T``, ``alpha``, ``beta`` are
    the setting's own symbols); symbols are matched by name, so a user's
    ``sympy.Symbol("v")`` is the toolkit's ``v``.

    Examples
    --------
    >>> custom(sp.log(1 + sp.exp(-v / sp.Symbol("tau")))).expr
    log(1 + exp(-v/tau))
    """
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"`expr` must be a SymPy expression, got {type(expr).__name__}")
    expr = canonical_symbols(expr, "loss", forbidden=("u", "p", "u0", "v0", "t"))
    check_real_expression(expr, "loss")
    check_defined_at_zero(expr, "`loss`")
    if minimiser is None:
        minimiser = _descent_limit(expr)
    return SegmentLoss("custom", expr, minimiser)


def by_name(name: str, classes: int | sp.Expr = 2) -> SegmentLoss:
    """The built-in loss called ``name`` (one of :data:`LOSS_NAMES`, or ``logistic``)."""
    if name in LOSS_ALIASES:
        name, classes = LOSS_ALIASES[name]
    if name == "cross-entropy":
        return cross_entropy(classes)
    if name == "square":
        return square()
    if name == "exponential":
        return exponential()
    raise ValueError(f"`loss` must be one of {', '.join(LOSS_NAMES + tuple(LOSS_ALIASES))}, got {name!r}")


def _check_classes(classes: int | sp.Expr) -> sp.Expr:
    if is_boolean(classes) or not isinstance(classes, (numbers.Integral, sp.Expr)):  # numbers.Integral: np.int64 too
        raise TypeError(f"`classes` must be an integer or a SymPy symbol, got {shown(classes)}")
    classes = sp.Integer(int(classes)) if isinstance(classes, numbers.Integral) else classes
    if classes.is_number:
        if not classes.is_integer or classes < 2:
            raise ValueError(f"`classes` must be an integer >= 2, got {classes}")
    elif classes != c_symbol:
        raise ValueError(f"`classes` must be a number or the symbol c, got {classes}")
    return classes


def check_defined_at_zero(expr: sp.Expr, label: str) -> None:
    r"""Refuse a loss whose value or slope at :math:`v = 0` is no finite real number (when it is a number).

    Every paradigm uses :math:`\ell(0)`, the loss of a segment with margin 0, and the minimiser is
    where :math:`\dot v = -\ell'(v)` from 0 goes: :math:`\log v` (undefined at 0), :math:`\sqrt{v}`
    (infinite slope) or :math:`\operatorname{Heaviside}(-v)` (a delta) have neither. A value that
    depends on parameters is checked again once they have values.
    """
    for value, what, why in ((expr.subs(v, 0), "is undefined", "every paradigm uses l(0), the loss of a segment with margin 0"),
                             (sp.diff(expr, v).subs(v, 0), "has no finite slope", "where the margin's descent defining the minimiser starts")):
        if not value.free_symbols and not _finite_real(value):
            raise ValueError(f"{label} {shown(expr)} {what} at v = 0 ({shown(value)}): {why}{_domain_text(expr)}")


KINK_STEP = sp.Rational(1, 10**12)  # relative distance either side of a margin at which fault_near looks at the loss
KINK_TOLERANCE = 1e-6  # relative jump of the slope across 2 * KINK_STEP, beyond what the curvature explains, that is a kink


def fault_near(expr: sp.Expr, where: float) -> str | None:
    r"""What is wrong with the loss :math:`\ell(v)` (no parameters left) near the margin ``where``, or ``None``.

    For a numeric method that stopped there: :math:`\ell` or :math:`\ell'` not real or not finite just
    beside ``where`` (:math:`\sqrt{1 - v}` above 1, :math:`\log(1 - v)` at 1), or a kink: the slope jumps
    across ``where`` by more than the curvature explains (:math:`|v - 1|` at 1). Evaluated at 30 digits,
    :data:`KINK_STEP` (relative) either side.
    """
    centre = sp.Rational(repr(float(where)))
    step = KINK_STEP * max(1, abs(centre))
    slope = sp.diff(expr, v)
    curvature = sp.diff(slope, v)
    rates, bends = [], []
    for side, x in (("below", centre - step), ("above", centre + step)):
        value, rate, bend = (sp.N(f.subs(v, x), 30) for f in (expr, slope, curvature))
        if not (value.is_comparable and value.is_finite):
            return f"{shown(expr)} is not a finite real number just {side} v = {float(where):.6g} (it is {shown(sp.N(value, 4))} there)"
        if not (rate.is_comparable and rate.is_finite):
            return f"{shown(expr)} has no finite slope just {side} v = {float(where):.6g}"
        rates.append(float(rate))
        bends.append(abs(float(bend)) if bend.is_comparable and bend.is_finite else 0.0)
    left, right = rates
    explained = 20 * float(step) * max(bends)  # ten times the jump a smooth slope makes across 2 * step
    if abs(left - right) > KINK_TOLERANCE * max(abs(left), abs(right)) + explained:
        return f"{shown(expr)} has a kink at v = {float(where):.6g}: its slope jumps from {left:.6g} to {right:.6g}"
    return None


def _finite_real(number: sp.Expr) -> bool:
    """Whether the constant ``number`` evaluates to a finite real number (30 digits). ``is_comparable``:
    ``DiracDelta(0)`` stays unevaluated, yet SymPy calls it finite."""
    value = sp.N(number, 30)
    return bool(value.is_comparable and value.is_finite)


def real_domain(expr: sp.Expr) -> tuple:
    """The intervals of v on which ``expr`` is real and continuous (SymPy's ``continuous_domain``, a few
    seconds at most), or ``()`` when SymPy cannot say or they are not intervals."""
    from sympy.calculus.util import continuous_domain

    try:
        domain = call_with_budget(continuous_domain, expr, v, sp.S.Reals, seconds=DOMAIN_SECONDS, what="the loss's domain")
    except (BudgetExceeded, NoClosedForm, WorkerError):
        return ()
    pieces = domain.args if isinstance(domain, sp.Union) else (domain,)
    return tuple(pieces) if all(isinstance(piece, sp.Interval) for piece in pieces) else ()


def _domain_text(expr: sp.Expr) -> str:
    """``"; it is real and continuous for v in (0, inf)"``, or nothing (the whole line, or not known)."""
    pieces = real_domain(expr)
    if not pieces or pieces == (sp.S.Reals,):
        return ""

    def bound(x):
        return {sp.oo: "inf", -sp.oo: "-inf"}.get(x, str(x))

    shown_pieces = " or ".join(f"{'(' if i.left_open else '['}{bound(i.start)}, {bound(i.end)}{')' if i.right_open else ']'}" for i in pieces)
    return f"; it is real and continuous for v in {shown_pieces}"


def _descent_limit(expr: sp.Expr) -> sp.Expr:
    """Limit of :math:`\\dot v = -\\ell'(v)` from 0: nearest stationary point downhill."""
    slope = sp.diff(expr, v)
    start_slope = slope.subs(v, 0)
    if not start_slope.is_number:
        return None  # depends on parameters: found numerically once they have values
    if start_slope == 0:
        return sp.Integer(0)
    direction = -1 if start_slope > 0 else 1
    if expr.has(*PIECEWISE_FUNCTIONS):
        return None  # flat pieces make solve's answer unreliable: found numerically instead
    try:
        roots = call_with_budget(sp.solve, slope, v, seconds=SOLVE_SECONDS, what="solving l'(v) = 0")
    except (BudgetExceeded, NoClosedForm, WorkerError):
        return None
    if any(not root.is_number for root in roots):
        return None
    roots = [r for r in roots if r.is_real]
    ahead = [r for r in roots if (r - 0) * direction > 0]
    if ahead:
        return min(ahead, key=lambda r: abs(r))
    return direction * sp.oo
