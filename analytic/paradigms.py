r"""The paradigm registry: how each paradigm aggregates per-segment losses.

A paradigm is data: an expression in the foreground attention :math:`p`, the
margin :math:`v` and the per-segment loss applied as ``l(...)`` (``l(0)`` is
the background's loss). The built-ins:

.. math::

    L_{\mathrm{soft}} = \ell(p v), \qquad
    L_{\mathrm{hard}} = p\,\ell(v) + (1 - p)\,\ell(0), \qquad
    L_{\mathrm{LVML}} = -\log\left(p e^{-\ell(v)} + (1 - p) e^{-\ell(0)}\right).

A new built-in paradigm is one entry of :data:`PARADIGMS` (its ``full`` names
the full model's aggregation in :mod:`trajectories.full`) plus its tests; a
user's aggregation (``--aggregate``) is a :class:`Paradigm` named ``custom``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

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
    """

    name: str
    display: str
    latex: str
    aggregation: sp.Expr
    full: str | None = None
    text: str | None = None
    margin_scale: sp.Expr | None = sp.Integer(1)

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


PARADIGMS: dict[str, Paradigm] = {
    "soft": Paradigm("soft", "soft", r"\mathrm{soft}", SEGMENT(p * v), full="pooled", margin_scale=p),
    "hard": Paradigm("hard", "hard", r"\mathrm{hard}", p * SEGMENT(v) + (1 - p) * SEGMENT(0), full="expected"),
    "lvml": Paradigm(
        "lvml", "LVML", r"\mathrm{LVML}",
        -sp.log(p * sp.exp(-SEGMENT(v)) + (1 - p) * sp.exp(-SEGMENT(0))), full="marginal",
    ),
}


def check_paradigm(paradigm: str | Paradigm) -> Paradigm:
    """The registry entry called ``paradigm`` (a :class:`Paradigm` is returned as it is)."""
    if isinstance(paradigm, Paradigm):
        return paradigm
    if not isinstance(paradigm, str) or paradigm not in PARADIGMS:
        shown = repr(paradigm) if isinstance(paradigm, str) else type(paradigm).__name__
        raise ValueError(f"`paradigm` must be one of {', '.join(PARADIGMS)} or a Paradigm, got {shown}")
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
        raise ValueError(f"`aggregate` must apply the segment loss as l(...), got {aggregation}")
    if not aggregation.has(p):
        raise ValueError(f"`aggregate` must depend on the foreground attention p, got {aggregation}")
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


#: LaTeX subscripts by name (kept for the LaTeX writer).
LATEX_NAMES = {name: entry.latex for name, entry in PARADIGMS.items()} | {CUSTOM: r"\mathrm{custom}"}
