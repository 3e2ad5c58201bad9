r"""The derivation of one setting: loss, flow, first integral, trajectory, fixed focus.

:func:`derive` treats a paradigm with a per-segment loss; :func:`derive_custom`
any two-parameter loss :math:`L(u, v)`. Both return a frozen
:class:`Derivation` whose every formula carries a certificate, and both are
cached, so repeating a derivation in the same process is near-instant.
"""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass, field

import sympy as sp

from . import cache, recheck, symbols
from .budget import BudgetExceeded, Deadline, DeadlineExceeded, call_with_budget
from .certify import Certificate, Check, check_equal
from .errors import BadInput
from .fixed_focus import FixedFocus, fixed_focus
from .flow import Flow, attention_form, gradient_flow
from .invariants import FirstIntegral, first_integral
from .losses import SegmentLoss, by_name
from .paradigms import Paradigm, check_paradigm
from .serial import storable
from .setting import check_rate, check_segments, is_boolean, shown
from .status import Status
from .symbols import u, v
from .trajectory import ExplicitTrajectory, explicit_trajectory

DEFAULT_BUDGET = 60.0  # seconds for one derivation (built-ins take well under 1 s)
MAX_BUDGET = 1e6  # seconds (11.6 days): beyond it the worker's timer cannot count

STATUS_OK, STATUS_NO_INTEGRAL, STATUS_TIMEOUT = Status.OK, Status.NO_INTEGRAL, Status.TIMEOUT  # the shared vocabulary's


@storable
@dataclass(frozen=True)
class Derivation:
    r"""Everything derived for one setting.

    Attributes
    ----------
    paradigm : the paradigm's name: a name in :data:`~analytic.paradigms.PARADIGMS` or ``"custom"``.
    loss : the per-segment loss (``None`` for a custom two-parameter loss).
    segments, alpha, beta : :math:`T`, :math:`\alpha`, :math:`\beta` (numbers or symbols).
    loss_expr : :math:`L(u, v)`.
    loss_in_attention : :math:`L(p, v)` (``None`` for a custom loss).
    flow : :math:`(\dot u, \dot v)` in :math:`u, v`.
    flow_in_attention : the same written with :math:`p` (for display).
    invariant : the first integral, or ``None``.
    trajectory : :math:`u = U(v; u_0, v_0)`, or ``None``.
    attention_along : :math:`p` along the trajectory, or ``None``.
    fixed_focus : the frozen-focus evolution, or ``None``.
    certificate : every check and its residual.
    status : a :class:`~analytic.status.Status`: ``OK``, ``NO_INTEGRAL`` or ``TIMEOUT`` (a ``str`` enum: its value is the
        serialised form, ``"ok"``, ``"no first integral found"`` or ``"timeout"``).
    message : a sentence on what was and was not found.
    seconds : wall-clock time of the derivation.
    scheme : the :class:`~analytic.paradigms.Paradigm` (``None`` for a whole loss L(u, v)).
    """

    paradigm: str
    loss: SegmentLoss | None
    segments: sp.Expr | None
    alpha: sp.Expr
    beta: sp.Expr
    loss_expr: sp.Expr
    loss_in_attention: sp.Expr | None
    flow: Flow
    flow_in_attention: Flow | None
    invariant: FirstIntegral | None
    trajectory: ExplicitTrajectory | None
    attention_along: sp.Expr | None
    fixed_focus: FixedFocus | None
    certificate: Certificate
    status: Status
    message: str
    seconds: float = field(compare=False)
    scheme: Paradigm | None = None
    attention_map: sp.Expr | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", Status(self.status))  # a stored derivation reads its status back as text

    @property
    def attention(self) -> sp.Expr | None:
        """The attention map :math:`p(u)` (``None`` for a whole loss)."""
        if self.scheme is None:
            return None
        return self.attention_map if self.attention_map is not None else symbols.attention(u, self.segments)

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """The symbols the derivation keeps: the setting's (``T``, ``c``, ``alpha``, ``beta``) and the user's."""
        own = [s for s in (symbols.T, symbols.c, symbols.alpha, symbols.beta) if self.loss_expr.has(s) or self.flow.du.has(s) or self.flow.dv.has(s)]
        return tuple(own) + symbols.parameters_of(self.loss_expr)

    @property
    def is_whole_loss(self) -> bool:
        """Whether this is a user's whole loss L(u, v) (no paradigm, no attention)."""
        return self.scheme is None

    @property
    def certified(self) -> bool:
        """Every check passed and the derivation finished: one whose budget ran out is never certified,
        even when the checks made before it stopped all passed."""
        return self.status != STATUS_TIMEOUT and self.certificate.certified

    @property
    def label(self) -> str:
        """Stable name for LaTeX labels and files, e.g. ``hard-ce`` or ``soft-ce1000``."""
        if self.loss is None:
            return "custom"
        name = self.loss.label
        if self.paradigm == "custom" and name == "custom":
            return "custom"
        if self.loss.classes is not None and self.loss.classes not in (2, symbols.c):
            name += str(self.loss.classes)
        return f"{self.paradigm}-{name}"

    def to_latex(self, *, width: int | None = None, label_prefix: str = "", only=None, growth: bool = False) -> str:
        """The formulas as LaTeX ``align`` blocks, each equation with a stable label (see :func:`analytic.latex.derivation_latex`).

        ``growth``: include the growth laws (:func:`analytic.growth.growth_law`) when they can be found.
        """
        from .latex import LINE_WIDTH, derivation_latex

        law = None
        if growth:
            from .growth import growth_law

            law = growth_law(self)
        return derivation_latex(self, width=LINE_WIDTH if width is None else width, label_prefix=label_prefix, only=only, growth=law)

    def _repr_latex_(self) -> str:
        """Jupyter: every formula in display mode (:func:`analytic.display.derivation_display`)."""
        from .display import derivation_display

        return derivation_display(self)

    def __repr__(self) -> str:
        """One line: the model, its setting and what was found (no formulas: see :meth:`to_latex`).

        Examples
        --------
        >>> derive("hard", "exponential", segments=10, alpha=1, beta=1)
        <Derivation hard × exponential, T=10, α=1, β=1: certified, invariant, trajectory, fixed focus>
        """
        from .display import derivation_summary

        return derivation_summary(self)

    def to_dict(self) -> dict:
        """The JSON form (SymPy ``str()`` expressions)."""
        from .report import derivation_dict

        return derivation_dict(self)


def derive(
    paradigm: str | Paradigm,
    loss: str | SegmentLoss = "cross-entropy",
    *,
    classes: int | sp.Expr = 2,
    segments=symbols.T,
    alpha=symbols.alpha,
    beta=symbols.beta,
    budget: float = DEFAULT_BUDGET,
    use_cache: bool = True,
    attention: sp.Expr | None = None,
) -> Derivation:
    r"""Derive the dynamics of ``paradigm`` with per-segment ``loss``.

    Parameters
    ----------
    paradigm : a name in :data:`~analytic.paradigms.PARADIGMS` or Paradigm
        A :class:`~analytic.paradigms.Paradigm` for a custom aggregation.
    loss : a name in :data:`~analytic.losses.LOSSES` (or an alias, ``logistic``) or SegmentLoss
        A :class:`~analytic.losses.SegmentLoss` for a custom :math:`\ell(v)`.
    classes : int or the symbol ``c``
        Classes of the cross-entropy loss (2: the logistic loss).
    segments, alpha, beta : number or their symbol
        :math:`T \ge 2` and the rates :math:`\alpha, \beta > 0`.
    budget : float
        Seconds before the derivation gives up with status ``"timeout"``.
    use_cache : bool
        Read and write the on-disk cache (:mod:`analytic.cache`); ``False`` derives afresh.
    attention : sympy.Expr, optional
        The attention map :math:`p(u)` (default :math:`e^u/(e^u + T - 1)`); a logistic
        map of a shifted :math:`u`, :math:`dp/du = p(1 - p)`, e.g. :math:`k` foreground
        segments :math:`k e^u/(k e^u + T - k)` (see :func:`check_attention`).

    Examples
    --------
    >>> d = derive("soft", "square", segments=10, alpha=1, beta=1)
    >>> d.invariant.expr == u - v**2 / 2 + sp.exp(u) / 9
    True
    """
    paradigm = check_paradigm(paradigm)
    if not isinstance(loss, SegmentLoss):
        if not isinstance(loss, str):
            raise TypeError(f"`loss` must be a loss name or a SegmentLoss, got {shown(loss)}")
        loss = by_name(loss, classes)
    segments = check_segments(segments)
    if attention is not None:
        attention = check_attention(attention).subs(symbols.T, segments)
    return _derive_stored(
        paradigm, loss, segments, check_rate(alpha, "alpha"), check_rate(beta, "beta"), check_budget(budget), use_cache, attention
    )


def check_budget(budget) -> float:
    """Seconds for a derivation: a number > 0 and at most :data:`MAX_BUDGET`."""
    if is_boolean(budget) or isinstance(budget, (str, bytes)) or not isinstance(budget, numbers.Real):
        raise TypeError(f"`budget` must be a number of seconds, got {shown(budget)}")
    try:
        seconds = float(budget)
    except OverflowError:  # an int beyond float range
        seconds = math.inf
    if not 0 < seconds <= MAX_BUDGET:
        raise BadInput(f"`budget` must be > 0 and at most {MAX_BUDGET:.0e} seconds, got {shown(budget)}")
    return seconds


def check_attention(attention: sp.Expr) -> sp.Expr:
    r"""An attention map :math:`p(u)` in ``u``, ``T`` and parameters with :math:`dp/du = p(1 - p)`.

    The closed forms, the attention form of the flow and the stable evaluation
    (:math:`q = 1 - p` computed directly) rest on this: the map is a logistic
    function :math:`\sigma(u - o)` with an offset :math:`o` free of :math:`u`.

    Examples
    --------
    >>> k = sp.Symbol("k", positive=True)
    >>> p_k = check_attention(k * sp.exp(u) / (k * sp.exp(u) + symbols.T - k))
    >>> sp.simplify(sp.diff(p_k, u) - p_k * (1 - p_k))
    0
    >>> check_attention(sp.exp(2 * u) / (sp.exp(2 * u) + 1))
    Traceback (most recent call last):
    ...
    analytic.errors.BadInput: `attention` must be a logistic map of a shifted u (dp/du = p(1 - p)), ...
    """
    if not isinstance(attention, sp.Expr):
        raise TypeError(f"`attention` must be a SymPy expression, got {type(attention).__name__}")
    attention = symbols.canonical_symbols(attention, "attention", forbidden=("v", "p", "u0", "v0", "t"))
    symbols.check_real_expression(attention, "attention")
    if not attention.has(u):
        raise BadInput(f"`attention` must depend on u, got {attention}")
    if sp.simplify(sp.diff(attention, u) - attention * (1 - attention)) != 0:
        raise BadInput(
            f"`attention` must be a logistic map of a shifted u (dp/du = p(1 - p)), e.g. k*exp(u)/(k*exp(u) + T - k), got {attention}"
        )
    return attention


def derive_custom(
    expr: sp.Expr, *, alpha=symbols.alpha, beta=symbols.beta, budget: float = DEFAULT_BUDGET, use_cache: bool = True
) -> Derivation:
    """Derive the flow of a user loss :math:`L(u, v)`, and a first integral if it separates.

    Names other than ``u`` and ``v`` are parameters and stay symbolic; symbols
    are matched by name, so ``sympy.symbols("u v")`` are the toolkit's own.

    Examples
    --------
    >>> d = derive_custom(u**2 + v**2, alpha=1, beta=1)
    >>> d.invariant.expr
    log(Abs(u)) - log(Abs(v))
    """
    if not isinstance(expr, sp.Expr):
        raise TypeError(f"`expr` must be a SymPy expression, got {type(expr).__name__}")
    expr = symbols.canonical_symbols(expr, "expr", forbidden=("p", "u0", "v0", "t"))
    symbols.check_real_expression(expr, "expr")
    if not (expr.has(u) or expr.has(v)):
        raise BadInput(f"`expr` must depend on u or v, got {expr}")
    return _derive_stored(None, expr, None, check_rate(alpha, "alpha"), check_rate(beta, "beta"), check_budget(budget), use_cache)


def _derive_stored(paradigm, subject, segments, alpha, beta, budget, use_cache, attention=None) -> Derivation:
    """The derivation from memory, else from the disk cache, else derived (and stored)."""
    arguments = (paradigm, subject, segments, alpha, beta, budget) + ((attention,) if attention is not None else ())
    if not use_cache:
        return _derive(*arguments)
    if arguments in _remembered:
        return _remembered[arguments]
    name = cache.key("derivation", *arguments)
    stored = cache.load(name, CACHE_KIND, lambda found: _is_derivation_of(found, *arguments))
    if stored is not None:
        result = stored
    else:
        result = _derive(*arguments)
        if result.status == STATUS_OK and result.certified:
            # only finished derivations: a "not found" may come from a SymPy step that ran out of
            # its budget, or whose luck depends on the hash seed, and must not become permanent
            cache.store(name, CACHE_KIND, result)
    if len(_remembered) >= MEMORY_ENTRIES:
        _remembered.clear()
    _remembered[arguments] = result
    return result


MEMORY_ENTRIES = 512
_remembered: dict = {}  # derivations of this process, by their arguments
CACHE_KIND = "derivation"


def _is_derivation_of(stored, paradigm, subject, segments, alpha, beta, budget, attention=None) -> bool:
    """Whether a derivation read from disk is the one these inputs define, and its formulas hold.

    The loss, the flow and everything else that is quick to rebuild must be equal; the first
    integral, the trajectory and the fixed focus are spot-checked (:mod:`analytic.recheck`).
    """
    if not isinstance(stored, Derivation) or stored.status != STATUS_OK or not stored.certified:
        return False
    scheme, loss_expr, loss_p, segment_loss, attention_u = _losses(paradigm, subject, segments, attention)
    expected = {
        "paradigm": "custom" if scheme is None else scheme.name, "loss": segment_loss, "segments": segments,
        "alpha": alpha, "beta": beta, "loss_expr": loss_expr, "loss_in_attention": loss_p,
        "flow": gradient_flow(loss_expr, alpha, beta), "scheme": scheme, "attention_map": attention,
    }
    if any(getattr(stored, field_name) != value for field_name, value in expected.items()):
        return False
    if loss_p is not None and stored.flow_in_attention != attention_form(loss_p, symbols.p, alpha, beta):
        return False
    integral, trajectory = stored.invariant, stored.trajectory
    if integral is None or not recheck.invariant_holds(integral, stored.flow):
        return False
    if trajectory is not None and not recheck.trajectory_holds(trajectory, integral, stored.flow):
        return False
    if stored.attention_along is not None and not (
        trajectory is not None and attention_u is not None and recheck.attention_along_holds(stored.attention_along, attention_u, trajectory)
    ):
        return False
    if stored.fixed_focus is None:
        return True
    focus_symbol, frozen_loss = (u, loss_expr) if scheme is None else (symbols.p, loss_p)
    limit = None if scheme is None else _margin_limit(scheme, segment_loss)
    return recheck.fixed_focus_holds(stored.fixed_focus, frozen_loss, focus_symbol, beta, limit)


GRACE_SECONDS = 5.0  # beyond the budget, for the worker to report a timeout itself


def _derive(paradigm, subject, segments, alpha, beta, budget, attention=None) -> Derivation:
    """The derivation in a worker process bounded by ``budget``: every step, including the toolkit's
    in-process rules (``apart``, ``ratint``, ``expand``), is then bounded; past the budget only the
    loss and the flow are returned, with status ``"timeout"``."""
    started = time.perf_counter()
    try:
        return call_with_budget(_derive_steps, paradigm, subject, segments, alpha, beta, budget, attention,
                                seconds=budget + GRACE_SECONDS, what="the derivation")
    except BudgetExceeded:
        scheme, loss_expr, loss_p, segment_loss, _ = _losses(paradigm, subject, segments, attention)
        # the flow (in u and in p) is kept: the numeric methods that need only the flow still run
        flow_p = None if loss_p is None else attention_form(loss_p, symbols.p, alpha, beta)
        return Derivation(
            paradigm="custom" if scheme is None else scheme.name, loss=segment_loss, segments=segments, alpha=alpha, beta=beta,
            loss_expr=loss_expr, loss_in_attention=loss_p, flow=gradient_flow(loss_expr, alpha, beta), flow_in_attention=flow_p,
            invariant=None, trajectory=None, attention_along=None, fixed_focus=None, certificate=Certificate(()),
            status=STATUS_TIMEOUT, message=f"time budget of {budget:g} s ran out (the derivation was stopped)",
            seconds=time.perf_counter() - started, scheme=scheme, attention_map=attention,
        )


def _losses(scheme, subject, segments, attention):
    """``(scheme, L(u, v), L(p, v), segment loss, p(u))`` of a paradigm model, or of a whole loss when ``scheme`` is ``None``."""
    if scheme is None:
        return None, subject, None, None, None
    attention_u = attention if attention is not None else symbols.attention(u, segments)
    loss_p = scheme.loss(subject.expr, symbols.p).subs(symbols.T, segments)
    return scheme, scheme.loss(subject.expr, attention_u), loss_p, subject, attention_u


def _derive_steps(paradigm, subject, segments, alpha, beta, budget, attention=None) -> Derivation:
    """``subject``: the SegmentLoss of a paradigm, or the expression L(u, v) when ``paradigm`` is ``None``."""
    started = time.perf_counter()
    deadline = Deadline(budget)
    scheme, loss_expr, loss_p, segment_loss, attention_u = _losses(paradigm, subject, segments, attention)
    paradigm = "custom" if scheme is None else scheme.name
    flow = gradient_flow(loss_expr, alpha, beta)
    parts: dict = {"invariant": None, "trajectory": None, "attention_along": None, "fixed_focus": None}
    checks: list[Check] = []
    flow_p = None
    try:
        if loss_p is not None:
            flow_p = attention_form(loss_p, symbols.p, alpha, beta)
            checks.append(
                check_equal("flow in p equals flow in u", flow_p.du.subs(symbols.p, attention_u), flow.du, deadline=deadline)
            )
        integral, found_checks, message = first_integral(flow, deadline)
        checks += found_checks
        status = STATUS_OK if integral is not None else STATUS_NO_INTEGRAL
        if integral is not None:
            parts["invariant"] = integral
            trajectory, trajectory_checks = explicit_trajectory(integral, flow, deadline)
            checks += trajectory_checks
            if trajectory is not None:
                parts["trajectory"] = trajectory
                if segments is not None and scheme is not None:
                    parts["attention_along"] = sp.cancel(attention_u.subs(u, trajectory.focus))
            else:
                message += "; the first integral has no closed-form inverse for u"
        focus_symbol = u if scheme is None else symbols.p
        frozen_loss = loss_expr if scheme is None else loss_p
        limit = None if scheme is None else _margin_limit(scheme, segment_loss)
        focus_result, focus_checks, focus_message = fixed_focus(frozen_loss, focus_symbol, beta, limit, deadline)
        checks += focus_checks
        parts["fixed_focus"] = focus_result
        if focus_result is None:
            message += f"; {focus_message}"
    except DeadlineExceeded as error:
        status, message = STATUS_TIMEOUT, str(error)
    return Derivation(
        paradigm=paradigm,
        loss=segment_loss,
        segments=segments,
        alpha=alpha,
        beta=beta,
        loss_expr=loss_expr,
        loss_in_attention=loss_p,
        flow=flow,
        flow_in_attention=flow_p,
        certificate=Certificate(tuple(checks)),
        status=status,
        message=message,
        seconds=time.perf_counter() - started,
        scheme=scheme,
        attention_map=attention,
        **parts,
    )


def _margin_limit(scheme: Paradigm, loss: SegmentLoss) -> sp.Expr | None:
    """Where v goes under fixed focus: the minimiser (over p for soft attention); ``None`` if unknown."""
    if loss.minimiser is None or scheme.margin_scale is None:
        return None  # e.g. a custom aggregation: its margin limit is not the loss minimiser in general
    if loss.minimiser.is_finite:
        return loss.minimiser / scheme.margin_scale
    return loss.minimiser
