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
