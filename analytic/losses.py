r"""Per-segment losses :math:`\ell(v)` of a classifier margin :math:`v`.

The built-in losses (SETTING.md section 2):

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

import sympy as sp

from .budget import BudgetExceeded, call_with_budget
from .symbols import c as c_symbol
from .symbols import v

LOSS_NAMES = ("cross-entropy", "square", "exponential")
SOLVE_SECONDS = 5.0  # budget for locating a custom loss's stationary points


@dataclass(frozen=True)
class SegmentLoss:
    """A per-segment loss as data.

    Attributes
    ----------
    name : str
        ``"cross-entropy"``, ``"square"``, ``"exponential"`` or ``"custom"``.
    expr : sympy.Expr
        :math:`\\ell(v)`, an expression in the symbol ``v`` (and possibly ``c``).
    minimiser : sympy.Expr
        Where the margin flow :math:`\\dot v = -\\ell'(v)` started at 0 converges
        (``sympy.oo`` when it grows without bound).
    classes : sympy.Expr or None
        Number of classes for cross-entropy, else ``None``.
    """

    name: str
    expr: sp.Expr
    minimiser: sp.Expr
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
    """
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"`expr` must be a SymPy expression, got {type(expr).__name__}")
    extra = expr.free_symbols - {v}
    if extra:
        names = ", ".join(sorted(s.name for s in extra))
        raise ValueError(f"`loss` may only use the symbol v, got {names} in {expr}")
    if minimiser is None:
        minimiser = _descent_limit(expr)
    return SegmentLoss("custom", expr, minimiser)


def by_name(name: str, classes: int | sp.Expr = 2) -> SegmentLoss:
    """The built-in loss called ``name`` (one of :data:`LOSS_NAMES`)."""
    if name == "cross-entropy":
        return cross_entropy(classes)
    if name == "square":
        return square()
    if name == "exponential":
        return exponential()
    raise ValueError(f"`loss` must be one of {', '.join(LOSS_NAMES)}, got {name!r}")


def _check_classes(classes: int | sp.Expr) -> sp.Expr:
    if isinstance(classes, bool) or not isinstance(classes, (int, sp.Expr)):
        raise TypeError(f"`classes` must be an integer or a SymPy symbol, got {classes!r}")
    classes = sp.sympify(classes)
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
    if not start_slope.is_number or start_slope == 0:
        return sp.Integer(0)
    direction = -1 if start_slope > 0 else 1
    try:
        roots = call_with_budget(sp.solve, slope, v, seconds=SOLVE_SECONDS, what="solving l'(v) = 0")
    except (BudgetExceeded, RuntimeError):
        roots = []
    roots = [r for r in roots if r.is_real]
    ahead = [r for r in roots if (r - 0) * direction > 0]
    if ahead:
        return min(ahead, key=lambda r: abs(r))
    return direction * sp.oo
