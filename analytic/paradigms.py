r"""The paradigm registry: how each paradigm aggregates per-segment losses.

A paradigm is data: an expression in the foreground attention :math:`p`, the
margin :math:`v` and the per-segment loss applied as ``l(...)`` (``l(0)`` is
the background's loss). The built-ins:

.. math::

    L_{\mathrm{soft}} = \ell(p v), \qquad
    L_{\mathrm{hard}} = p\,\ell(v) + (1 - p)\,\ell(0), \qquad
    L_{\mathrm{LVML}} = -\log\left(p e^{-\ell(v)} + (1 - p) e^{-\ell(0)}\right).

Every fact about a paradigm lives in its entry: names, title, LaTeX, colour,
prose and capabilities. A new built-in paradigm is one entry of :data:`PARADIGMS`
(its ``full`` names the full model's aggregation in :mod:`trajectories.full`); a
package's or user's is one call of :func:`register_paradigm` (tests parametrised
over the registry cover it); a one-off aggregation (``--aggregate``) is a
:class:`Paradigm` named ``custom``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from .errors import BadInput
from .serial import storable
from .symbols import canonical_symbols, check_real_expression, p, v

#: The per-segment loss as an undefined function in aggregation expressions.
SEGMENT = sp.Function("l")

CUSTOM = "custom"


@storable
@dataclass(frozen=True)
class Paradigm:
    """One way of aggregating per-segment losses.

    Attributes
    ----------
    name : identifier used on the command line, in files and labels.
    display : the name people read (``"LVML"``).
    latex : its LaTeX subscript (``r"\\mathrm{LVML}"``).
    aggregation : expression in ``p``, ``v`` and ``l(...)`` (:data:`SEGMENT`).
    full : the full model's aggregation (a key of ``trajectories.full.AGGREGATIONS``),
        ``None`` for a custom paradigm.
    margin_scale : the factor the foreground margin is scaled by before the segment
        loss sees it (``p`` for soft attention, 1 for hard and LVML): with focus frozen
        the margin tends to the loss minimiser divided by it; ``None`` if unknown.
    text : the text a custom aggregation was parsed from (``None`` for built-ins).
    title : the heading of its section or page (``"Soft attention"``).
    noun : how prose names it (``"soft attention"``, ``"LVML"``).
    colour : its colour in figures (``None``: the figure's next free colour).
    description : one sentence's predicate for docs and papers
        (``"classifies the attention-weighted average of the segments"``).
    formula : the aggregation in LaTeX, in :math:`\\ell`, ``p`` and ``v`` (``None``: printed by SymPy).

    Capabilities (derived): :attr:`fixed_focus` and :attr:`batched` need the margin
    scale; :attr:`stalls` (the soft-attention growth law) that scale is ``p``;
    :attr:`has_full_model` a full-model aggregation.
    """

    name: str
    display: str
    latex: str
    aggregation: sp.Expr
    full: str | None = None
    text: str | None = None
    margin_scale: sp.Expr | None = sp.Integer(1)
    title: str | None = None
    noun: str | None = None
    colour: str | None = None
    description: str | None = None
    formula: str | None = None

    def loss(self, segment_loss: sp.Expr, attention: sp.Expr) -> sp.Expr:
        r"""The reduced loss: ``l(x)`` replaced by :math:`\ell(x)` and ``p`` by ``attention``.

        Examples
        --------
        >>> PARADIGMS["hard"].loss(sp.exp(-v), p) == p * sp.exp(-v) + (1 - p)
        True
        """
        applied = self.aggregation.replace(
            lambda e: isinstance(e, sp.core.function.AppliedUndef) and e.func == SEGMENT,
            lambda e: segment_loss.subs(v, e.args[0]),
        )
        return applied.subs(p, attention)

    @property
    def is_custom(self) -> bool:
        return self.name == CUSTOM

    @property
    def heading(self) -> str:
        """The title, else the display name."""
        return self.title or self.display

    @property
    def spoken(self) -> str:
        """How prose names it: the noun, else ``"the <display> paradigm"``."""
        return self.noun or f"the {self.display} paradigm"

    @property
    def fixed_focus(self) -> bool:
        """Whether the frozen-focus limit of the margin is known (needs :attr:`margin_scale`)."""
        return self.margin_scale is not None

    @property
    def batched(self) -> bool:
        """Whether the batched closed-form milestone engine can run it (needs :attr:`margin_scale`)."""
        return self.margin_scale is not None

    @property
    def stalls(self) -> bool:
        """Whether the margin is scaled by the attention (soft attention): it stalls at a finite limit."""
        return self.margin_scale is not None and self.margin_scale.has(p)

    @property
    def has_full_model(self) -> bool:
        """Whether the full (non-reduced) model can be trained under it."""
        return self.full is not None

    def formula_latex(self) -> str:
        r"""The aggregation in LaTeX (``\ell(p v)``): :attr:`formula`, else SymPy's printing with ``l`` as :math:`\ell`."""
        if self.formula is not None:
            return self.formula
        ell = sp.Function(r"\ell")
        shown_expr = self.aggregation.replace(lambda e: isinstance(e, sp.core.function.AppliedUndef) and e.func == SEGMENT,
                                              lambda e: ell(*e.args))
        return sp.latex(shown_expr)


PARADIGMS: dict[str, Paradigm] = {
    "soft": Paradigm(
        "soft", "soft", r"\mathrm{soft}", SEGMENT(p * v), full="pooled", margin_scale=p,
        title="Soft attention", noun="soft attention", colour="#1f77b4",
        description="classifies the attention-weighted average of the segments", formula=r"\ell(p v)",
    ),
    "hard": Paradigm(
        "hard", "hard", r"\mathrm{hard}", p * SEGMENT(v) + (1 - p) * SEGMENT(0), full="expected",
        title="Hard attention", noun="hard attention", colour="#d62728",
        description="takes the expected loss of a segment drawn from the attention",
        formula=r"p\,\ell(v) + (1 - p)\,\ell(0)",
    ),
    "lvml": Paradigm(
        "lvml", "LVML", r"\mathrm{LVML}",
        -sp.log(p * sp.exp(-SEGMENT(v)) + (1 - p) * sp.exp(-SEGMENT(0))), full="marginal",
        title="Latent-variable marginal likelihood (LVML)", noun="LVML", colour="#2ca02c",
        description="maximises the attention-weighted likelihood of the label",
        formula=r"-\log\bigl(p e^{-\ell(v)} + (1 - p) e^{-\ell(0)}\bigr)",
    ),
}

#: The paper's three paradigms, in its order: its claims compare them by name (soft is the hybrid's first stage).
PAPER_PARADIGMS = ("soft", "hard", "lvml")
#: The paradigm a hybrid schedule starts with (soft attention).
FIRST_STAGE = PAPER_PARADIGMS[0]
#: The paper's default second stage of a hybrid schedule (hard attention).
PAPER_AFTER = PAPER_PARADIGMS[1]
#: The colour of a hybrid schedule's curves in figures.
HYBRID_COLOUR = "#9467bd"


def switch_targets() -> tuple[str, ...]:
    """The paradigms a hybrid schedule may switch to after :data:`FIRST_STAGE`: every other registered one."""
    load_plugins()
    return tuple(name for name in PARADIGMS if name != FIRST_STAGE)


#: Colours for registered paradigms without their own (matplotlib's tab10 beyond the built-ins' and the hybrid's).
SPARE_COLOURS = ("#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def colour_of(name: str) -> str:
    """The figure colour of the paradigm ``name`` (``"hybrid"``: :data:`HYBRID_COLOUR`): its own, else a spare one."""
    if name == "hybrid":
        return HYBRID_COLOUR
    entry = check_paradigm(name)
    if entry.colour is not None:
        return entry.colour
    without = [n for n in PARADIGMS if PARADIGMS[n].colour is None]
    return SPARE_COLOURS[without.index(name) % len(SPARE_COLOURS)] if name in without else SPARE_COLOURS[-1]


def paradigm_names() -> tuple[str, ...]:
    """Every registered paradigm's name (entry-point plugins loaded first)."""
    load_plugins()
    return tuple(PARADIGMS)


def check_paradigm(paradigm: str | Paradigm) -> Paradigm:
    """The registry entry called ``paradigm`` (a :class:`Paradigm` is returned as it is)."""
    if isinstance(paradigm, Paradigm):
        return paradigm
    load_plugins()
    if not isinstance(paradigm, str) or paradigm not in PARADIGMS:
        shown = repr(paradigm) if isinstance(paradigm, str) else type(paradigm).__name__
        raise BadInput(f"`paradigm` must be one of {', '.join(PARADIGMS)} or a Paradigm, got {shown}")
    return PARADIGMS[paradigm]


def custom_paradigm(aggregation: sp.Expr, text: str | None = None) -> Paradigm:
    r"""A user's aggregation as a :class:`Paradigm` named ``custom``.

    ``aggregation`` must apply the segment loss ``l`` (:data:`SEGMENT`) at least
    once and depend on ``p``; other names are parameters.

    Examples
    --------
    >>> rms = custom_paradigm(sp.sqrt(p * SEGMENT(v) ** 2 + (1 - p) * SEGMENT(0) ** 2))
    >>> rms.loss(sp.exp(-v), p) == sp.sqrt(p * sp.exp(-2 * v) + (1 - p))
    True
    """
    if not isinstance(aggregation, sp.Expr):
        raise TypeError(f"`aggregate` must be a SymPy expression, got {type(aggregation).__name__}")
    aggregation = canonical_symbols(aggregation, "aggregate", forbidden=("u", "u0", "v0", "t"))  # matched by name
    check_real_expression(aggregation, "aggregate")
    if not aggregation.has(SEGMENT):
        raise BadInput(f"`aggregate` must apply the segment loss as l(...), got {aggregation}")
    if not aggregation.has(p):
        raise BadInput(f"`aggregate` must depend on the foreground attention p, got {aggregation}")
    shown = text if text is not None else str(aggregation)
    return Paradigm(CUSTOM, f"custom ({shown})", r"\mathrm{custom}", aggregation, None, shown, None)


def reduced_loss(paradigm: str | Paradigm, segment_loss: sp.Expr, attention: sp.Expr) -> sp.Expr:
    r"""The reduced loss :math:`L(p, v)` of ``paradigm`` at attention ``attention``.

    Parameters
    ----------
    paradigm : a name in :data:`PARADIGMS` or a :class:`Paradigm`
    segment_loss : sympy.Expr
        :math:`\ell(v)` in the symbol ``v``.
    attention : sympy.Expr
        :math:`p` — either :math:`p(u)` or the symbol ``p`` (frozen focus).

    Examples
    --------
    >>> reduced_loss("hard", sp.exp(-v), p) == p * sp.exp(-v) + (1 - p)
    True
    """
    return check_paradigm(paradigm).loss(segment_loss, attention)


NAME_PATTERN = re.compile(r"[a-z][a-z0-9_-]{0,31}\Z")  # a registered name: a command-line word, a file name, a label
RESERVED = ("all", CUSTOM, "hybrid")


def check_new_name(name, what: str, taken) -> str:
    """A registered entry's name: lower-case letters, digits, ``-``, ``_``; not taken, not reserved."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise BadInput(f"`name` of a {what} must be lower-case letters, digits, - or _ (at most 32, starting with a letter), got {name!r}")
    if name in RESERVED or name in taken:
        raise BadInput(f"`name` {name!r}: a {what} of that name is already registered or the name is reserved")
    return name


def register_paradigm(name: str, aggregation, *, title: str | None = None, latex: str | None = None,
                      full: str | None = None, colour: str | None = None, description: str | None = None) -> Paradigm:
    r"""Register a paradigm: every command then offers ``--paradigm name``.

    ``aggregation`` is text in the ``--aggregate`` syntax (``p``, ``v`` and ``l(...)``; parsed by the
    whitelisting parser, never evaluated) or a SymPy expression in :data:`SEGMENT`, ``p`` and ``v``.
    ``latex`` is its subscript (default ``\mathrm{name}``); ``full`` a full-model aggregation
    (a key of ``trajectories.full.AGGREGATIONS``), if it has one.

    Examples
    --------
    >>> entry = register_paradigm("mixture-doc", "(l(p*v) + p*l(v) + (1 - p)*l(0))/2", title="Mixture")
    >>> entry.loss(sp.exp(-v), p) == (sp.exp(-p * v) + p * sp.exp(-v) + 1 - p) / 2
    True
    >>> unregister_paradigm("mixture-doc")
    """
    load_plugins()
    check_new_name(name, "paradigm", PARADIGMS)
    text = None
    if isinstance(aggregation, str):
        from .parsing import parse_expression

        text = aggregation
        aggregation = parse_expression(aggregation, {"p": p, "v": v}, label="aggregation", parameters=True, applied={"l": SEGMENT})
    base = custom_paradigm(aggregation, text)
    for label, value in (("title", title), ("latex", latex), ("full", full), ("colour", colour), ("description", description)):
        if value is not None and (not isinstance(value, str) or not value.strip() or "\n" in value):
            raise BadInput(f"`{label}` of paradigm {name!r} must be a one-line string, got {value!r}")
    if full is not None:
        from trajectories.full import AGGREGATIONS, POOLED

        if full != POOLED and full not in AGGREGATIONS:
            raise BadInput(f"`full` of paradigm {name!r} must be one of {', '.join((POOLED, *AGGREGATIONS))}, got {full!r}")
    entry = Paradigm(name, name, latex or r"\mathrm{%s}" % name, base.aggregation, full, base.text, None,
                     title=title or name.capitalize(), noun=name, colour=colour, description=description)
    PARADIGMS[name] = entry
    return entry


def unregister_paradigm(name: str) -> None:
    """Remove a registered paradigm (the paper's own cannot be removed)."""
    if name in PAPER_PARADIGMS or name not in PARADIGMS:
        raise BadInput(f"`name` must be a registered paradigm other than {', '.join(PAPER_PARADIGMS)}, got {name!r}")
    del PARADIGMS[name]


def load_plugins() -> None:
    """Load the entry points of group ``attention_dynamics.models`` once (see :mod:`analytic.plugins`)."""
    from .plugins import load

    load()
