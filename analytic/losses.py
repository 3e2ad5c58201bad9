r"""Per-segment losses :math:`\ell(v)` of a classifier margin :math:`v`.

The built-in losses (docs/setting.rst section 2):

.. math::

    \ell_{\mathrm{CE}}(v) = \log\left(1 + (c - 1) e^{-v}\right), \qquad
    \ell_{\mathrm{sq}}(v) = \tfrac12 (1 - v)^2, \qquad
    \ell_{\exp}(v) = e^{-v},

and a custom expression in :math:`v`. Each loss also records where gradient
descent on it from :math:`v = 0` goes (``minimiser``, possibly :math:`+\infty`),
which the fixed-focus analysis needs for its :math:`t \to \infty` limits.

Every fact about a named loss lives in its :class:`LossEntry` of :data:`LOSSES`
(expression, minimiser, label, title, LaTeX, the full model's margin loss);
another is one call of :func:`register_loss`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numbers

import sympy as sp

from .budget import BudgetExceeded, NoClosedForm, WorkerError, call_with_budget
from .errors import BadInput
from .serial import storable
from .setting import is_boolean, shown
from .symbols import canonical_symbols, check_real_expression
from .symbols import c as c_symbol
from .symbols import v

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
        a name in :data:`LOSSES` or ``"custom"``.
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
        """Short name used in file names and LaTeX labels (``ce``, ``sq``, ...): the registry entry's label."""
        entry = LOSSES.get(self.name)
        return entry.label if entry is not None else "custom"

    @property
    def entry(self) -> LossEntry | None:
        """The registry entry of a named loss (``None`` for a custom one)."""
        return LOSSES.get(self.name)


@dataclass(frozen=True)
class LossEntry:
    r"""A named segment loss: every fact consumers need.

    Attributes
    ----------
    name : the command line's word (``"cross-entropy"``).
    build : ``classes -> ℓ(v)``, the expression in ``v`` (and ``c``) and its parameters.
    minimiser : where :math:`\dot v = -\ell'(v)` from 0 goes (``None``: found numerically).
    label : short name in file names and LaTeX labels (``ce``).
    title : heading (``"Cross-entropy loss"``); prose uses it in lower case.
    latex : :math:`\ell(v) = \dots` in LaTeX.
    margin : the full model's margin loss, ``m -> (ℓ(m), ℓ'(m))`` on NumPy arrays, stably
        (``None``: only the reduced model can be run with it).
    classes : whether the expression uses the number of classes ``c``.
    """

    name: str
    build: Callable
    minimiser: sp.Expr | None
    label: str
    title: str
    latex: str
    margin: Callable | None = None
    classes: bool = False

    def loss(self, classes: int | sp.Expr = 2) -> SegmentLoss:
        """The :class:`SegmentLoss` (with ``classes`` classes if it uses them)."""
        if self.classes:
            classes = _check_classes(classes)
            return SegmentLoss(self.name, self.build(classes), self.minimiser, classes)
        return SegmentLoss(self.name, self.build(classes), self.minimiser)

    @property
    def noun(self) -> str:
        """How prose names it: the title in lower case (``"square loss"``)."""
        return self.title[:1].lower() + self.title[1:]


def _ce_margin(margin):
    import numpy as np
    from scipy.special import expit

    return np.logaddexp(0.0, -margin), -expit(-margin)


def _square_margin(margin):
    return (1 - margin) ** 2 / 2, margin - 1


def _exp_margin(margin):
    import numpy as np

    value = np.exp(-margin)
    return value, -value


#: The named losses. A new built-in is one entry here (and is tested by the tests parametrised over it).
LOSSES: dict[str, LossEntry] = {
    "cross-entropy": LossEntry("cross-entropy", lambda c: sp.log(1 + (c - 1) * sp.exp(-v)), sp.oo, "ce", "Cross-entropy loss",
                               r"\ell(v) = \log\bigl(1 + (c - 1) e^{-v}\bigr)", _ce_margin, classes=True),
    "square": LossEntry("square", lambda c: (1 - v) ** 2 / 2, sp.Integer(1), "sq", "Square loss", r"\ell(v) = (1 - v)^2/2", _square_margin),
    "exponential": LossEntry("exponential", lambda c: sp.exp(-v), sp.oo, "exp", "Exponential loss", r"\ell(v) = e^{-v}", _exp_margin),
}
#: The built-in losses' names (the paper's three).
LOSS_NAMES = tuple(LOSSES)
#: The loss whose number of classes the symmetric full model and the class-symmetric setting use.
CLASS_LOSS = LOSS_NAMES[0]
#: Other names accepted for named losses: ``name -> (entry, classes)``; the logistic loss is cross-entropy with c = 2.
LOSS_ALIASES = {"logistic": (CLASS_LOSS, 2)}


def loss_names(aliases: bool = False) -> tuple[str, ...]:
    """Every registered loss's name (entry-point plugins loaded first), and the aliases with ``aliases``."""
    from .paradigms import load_plugins

    load_plugins()
    return tuple(LOSSES) + (tuple(LOSS_ALIASES) if aliases else ())


def uses_classes(name) -> bool:
    """Whether the named loss (or a :class:`SegmentLoss`) uses the number of classes ``c``."""
    name = name.name if isinstance(name, SegmentLoss) else name
    entry = LOSSES.get(LOSS_ALIASES.get(name, (name,))[0])
    return entry is not None and entry.classes


def cross_entropy(classes: int | sp.Expr = 2) -> SegmentLoss:
    r"""Cross-entropy of ``classes`` symmetric classes, :math:`\log(1 + (c-1)e^{-v})`.

    Examples
    --------
    >>> cross_entropy(2).expr
    log(1 + exp(-v))
    """
    return LOSSES[CLASS_LOSS].loss(classes)


def square() -> SegmentLoss:
    r"""Square loss :math:`\tfrac12 (1 - v)^2`."""
    return LOSSES[LOSS_NAMES[1]].loss()


def exponential() -> SegmentLoss:
    r"""Exponential loss :math:`e^{-v}`."""
    return LOSSES[LOSS_NAMES[2]].loss()


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
    """The registered loss called ``name`` (one of :func:`loss_names`, or an alias such as ``logistic``)."""
    if name in LOSS_ALIASES:
        name, classes = LOSS_ALIASES[name]
    names = loss_names()
    if not isinstance(name, str) or name not in LOSSES:
        raise BadInput(f"`loss` must be one of {', '.join(names + tuple(LOSS_ALIASES))}, got {name!r}")
    return LOSSES[name].loss(classes)


def register_loss(name: str, expr, *, title: str | None = None, latex: str | None = None) -> LossEntry:
    r"""Register a segment loss: every command then offers ``--loss name``.

    ``expr`` is text in ``v``, ``c`` and parameters (parsed by the whitelisting parser, never
    evaluated) or a SymPy expression; ``latex`` is :math:`\ell(v) = \dots` (default: SymPy's printing).
    The full model is not available for it (only the reduced model).

    Examples
    --------
    >>> entry = register_loss("logistic-doc", "log(1 + exp(-v/2))")
    >>> by_name("logistic-doc").expr
    log(1 + exp(-v/2))
    >>> unregister_loss("logistic-doc")
    """
    from .paradigms import check_new_name, load_plugins

    load_plugins()
    check_new_name(name, "loss", tuple(LOSSES) + tuple(LOSS_ALIASES))
    if isinstance(expr, str):
        from .parsing import parse_expression
        from .symbols import alpha, beta, T

        expr = parse_expression(expr, {s.name: s for s in (v, c_symbol, T, alpha, beta)}, label="loss", parameters=True)
    for label, value in (("title", title), ("latex", latex)):
        if value is not None and (not isinstance(value, str) or not value.strip() or "\n" in value):
            raise BadInput(f"`{label}` of loss {name!r} must be a one-line string, got {value!r}")
    made = custom(expr)
    entry = LossEntry(name, lambda c, e=made.expr: e.subs(c_symbol, c) if e.has(c_symbol) else e, made.minimiser, name,
                      title or f"{name} loss".capitalize(), latex or rf"\ell(v) = {sp.latex(made.expr)}", None, made.expr.has(c_symbol))
    LOSSES[name] = entry
    return entry


def unregister_loss(name: str) -> None:
    """Remove a registered loss (the built-ins cannot be removed)."""
    if name in LOSS_NAMES or name not in LOSSES:
        raise BadInput(f"`name` must be a registered loss other than {', '.join(LOSS_NAMES)}, got {name!r}")
    del LOSSES[name]


def _check_classes(classes: int | sp.Expr) -> sp.Expr:
    if is_boolean(classes) or not isinstance(classes, (numbers.Integral, sp.Expr)):  # numbers.Integral: np.int64 too
        raise TypeError(f"`classes` must be an integer or a SymPy symbol, got {shown(classes)}")
    classes = sp.Integer(int(classes)) if isinstance(classes, numbers.Integral) else classes
    if classes.is_number:
        if not classes.is_integer or classes < 2:
            raise BadInput(f"`classes` must be an integer >= 2, got {classes}")
    elif classes != c_symbol:
        raise BadInput(f"`classes` must be a number or the symbol c, got {classes}")
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
            raise BadInput(f"{label} {shown(expr)} {what} at v = 0 ({shown(value)}): {why}{_domain_text(expr)}")


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
