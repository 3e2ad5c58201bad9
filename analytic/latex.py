r"""LaTeX for derivations, in the notation of docs/setting.rst section 5.

Each equation gets a stable label ``eq:<prefix><paradigm>-<loss>-<what>`` (for
example ``eq:hard-ce-invariant``) so that a paper can ``\eqref`` it; a prefix keeps
two outputs apart in one document. Every row keeps the SymPy expression it prints
(:class:`Row`), so the printed LaTeX can be read back and compared with it; long
right-hand sides are broken at top-level operators into several ``align`` lines
(:mod:`analytic.linebreak`) of a chosen width. No output defines or uses a macro of
its own (``L_{\mathrm{hard}}``, ``\operatorname{Li}``, ``\hline`` are written out), so
it needs only ``amsmath`` and cannot clash with a document's definitions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from . import symbols
from .errors import BadInput
from .line_widths import LINE_WIDTH, MIN_WIDTH, TWO_COLUMN_WIDTH  # noqa: F401 (re-exported)
from .linebreak import break_lines, expression_latex, visible_width
from .presentation import present

LHS_SHARE = 4  # a left-hand side wider than a quarter of the line gets a line of its own
LABEL_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]*")
PIECES = {
    "loss": ("segment-loss", "loss", "attention"),
    "flow": ("flow-u", "flow-v"),
    "invariant": ("focus-part", "margin-part", "invariant"),
    "trajectory": ("trajectory", "trajectory-level", "trajectory-attention"),
    "fixed-focus": ("fixed-time", "fixed-margin", "fixed-incentive", "fixed-incentive-limit"),
    "growth": ("growth-u", "growth-v"),
}


def check_width(width) -> int:
    """``width`` as characters per display line, or ``BadInput`` naming it."""
    if isinstance(width, bool) or not isinstance(width, int) or width < MIN_WIDTH:
        raise BadInput(f"`width` must be an integer >= {MIN_WIDTH} (characters per display line), got {width!r}")
    return width


def check_label_prefix(prefix) -> str:
    """``prefix`` for equation labels (letters, digits and ``:._-``), or ``BadInput`` naming it."""
    if prefix is None or prefix == "":
        return ""
    if not isinstance(prefix, str) or not LABEL_PREFIX.fullmatch(prefix):
        raise BadInput(f"`label_prefix` must be letters, digits and ':._-' (starting with a letter or digit), got {prefix!r}")
    return prefix


def labelled(label: str, prefix: str = "") -> str:
    """``label`` behind ``prefix`` (joined by ``-`` unless the prefix ends in a separator)."""
    prefix = check_label_prefix(prefix)
    if not prefix:
        return label
    return prefix + label if prefix[-1] in ":._-" else f"{prefix}-{label}"


def only_suffixes(only) -> tuple:
    """The row suffixes of the pieces named in ``only`` (``None``: every row, as ``()``)."""
    if only is None:
        return ()
    names = (only,) if isinstance(only, str) else tuple(only)
    for name in names:
        if name not in PIECES:
            raise BadInput(f"`only` must be one of {', '.join(PIECES)}, got {name!r}")
    return tuple(suffix for name in names for suffix in PIECES[name])


@dataclass(frozen=True)
class Row:
    """One equation: ``lhs relation rhs``, the right-hand side broken into ``lines``.

    ``expr`` is the SymPy expression the right-hand side prints (``None`` for a
    statement such as :math:`u(t) \\to u_\\infty`); ``relation`` is ``=``, ``\\sim``,
    ``\\to`` or ``\\propto``. ``definition`` (e.g. ``A(u) - B(v)`` for
    :math:`I(u, v)`) is shown between the left-hand side and the lines.
    """

    suffix: str
    lhs: str
    expr: sp.Expr | None
    lines: tuple
    relation: str = "="
    definition: str | None = None
    lhs_alone: bool = False  # the left-hand side (and definition) on a line of its own
    inline: bool = False  # the whole equation in the right-hand column (a wide left-hand side, a short right-hand side)


def make_row(suffix: str, lhs: str, expr: sp.Expr, *, width: int = LINE_WIDTH, relation: str = "=",
             definition: str | None = None) -> Row:
    """A :class:`Row` whose right-hand side is broken to fit ``width`` characters with its left-hand side."""
    alone = definition is not None or visible_width(lhs) > width // LHS_SHARE
    # every left-hand side of a block shares one column: the right-hand sides get what the widest leaves
    rhs_width = max(width - width // LHS_SHARE - 3, MIN_WIDTH // 2)
    lines = break_lines(expr, rhs_width)
    # a wide left-hand side with a short right-hand side (a limit) is one line in the right-hand column
    inline = alone and definition is None and len(lines) == 1 and visible_width(lhs) + visible_width(lines[0]) + 3 <= rhs_width
    return Row(suffix, lhs, expr, tuple(lines), relation, definition, alone, inline)


def _loss_name(derivation) -> str:
    scheme = derivation.scheme
    if scheme is None or scheme.is_custom:
        return "L"
    return r"L_{%s}" % scheme.latex


def rows(derivation, *, width: int = LINE_WIDTH, growth=None) -> list[Row]:
    """Every formula of ``derivation`` as a :class:`Row` (with ``growth``, a growth law, its two rows too)."""

    classes = derivation.loss.classes if derivation.loss is not None else None

    def row(suffix, lhs, expr, definition=None):
        return make_row(suffix, lhs, present(expr, classes), width=width, definition=definition)

    out = []
    name = _loss_name(derivation)
    if derivation.loss is not None:
        out.append(row("segment-loss", r"\ell(v)", derivation.loss.expr))
        out.append(row("loss", name, derivation.loss_in_attention))
        out.append(row("attention", "p", derivation.attention))
        shown = derivation.flow_in_attention
    else:
        out.append(row("loss", "L(u, v)", derivation.loss_expr))
        shown = derivation.flow
    out.append(row("flow-u", r"\frac{du}{dt}", shown.du))
    out.append(row("flow-v", r"\frac{dv}{dt}", shown.dv))
    if derivation.invariant is not None:
        out.append(row("focus-part", "A(u)", derivation.invariant.focus_part))
        out.append(row("margin-part", "B(v)", derivation.invariant.margin_part))
        out.append(row("invariant", "I(u, v)", derivation.invariant.expr, "A(u) - B(v)"))
    if derivation.trajectory is not None:
        out.append(row("trajectory", "u", derivation.trajectory.focus_of_level))
        level = expression_latex(derivation.trajectory.level_symbol)
        out.append(row("trajectory-level", level, derivation.trajectory.level, "A(u_0) + B(v) - B(v_0)"))
    if derivation.attention_along is not None:
        along = sp.cancel(derivation.attention.subs(symbols.u, derivation.trajectory.focus_of_level))
        out.append(row("trajectory-attention", "p", along))
    focus = derivation.fixed_focus
    if focus is not None:
        focus_name = expression_latex(focus.focus)
        out.append(row("fixed-time", "t(v)", focus.time_of_margin))
        if focus.margin_of_time is not None:
            out.append(row("fixed-margin", "v(t)", focus.margin_of_time))
        incentive = r"-\frac{\partial %s}{\partial %s}" % (name, focus_name)
        out.append(row("fixed-incentive", incentive, focus.incentive))
        if focus.incentive_limit is not None:
            out.append(row("fixed-incentive-limit", r"\lim_{t \to \infty}" + incentive, focus.incentive_limit))
    if growth is not None:
        out += growth_rows(growth, width=width, classes=classes)
    return out


def growth_rows(law, *, width: int = LINE_WIDTH, classes=None) -> list[Row]:
    """A growth law's two rows, ``growth-u`` and ``growth-v`` (statements where a limit is finite)."""
    out = []
    if law.focus is not None:
        out.append(make_row("growth-u", "u(t)", present(law.focus, classes), width=width, relation=r"\sim"))
    else:
        out.append(Row("growth-u", "u(t)", None, (r"u_\infty \quad \text{(a finite limit)}",), r"\to"))
    if law.margin is not None:
        out.append(make_row("growth-v", "v(t)", present(law.margin, classes), width=width, relation=r"\sim"))
    elif law.margin_rate is not None:
        rate, limit = expression_latex(law.margin_rate), expression_latex(law.margin_limit)
        out.append(Row("growth-v", r"\left|v(t) - " + limit + r"\right|", None,
                       (rf"e^{{-{rate} t}}", r"\text{(up to a constant factor)}"), r"\propto"))
    else:
        limit = expression_latex(law.margin_limit * sp.Symbol(r"p_\infty", positive=True))
        out.append(Row("growth-v", "v(t)", None, (r"v_\infty", rf"\text{{with }} p_\infty v_\infty = {limit}"), r"\to"))
    return out


def select(block_rows, only=None) -> list:
    """The rows of the pieces named in ``only`` (see :data:`PIECES`; ``None``: all).

    ``BadInput`` naming every requested piece the derivation does not have (none is dropped silently).
    """
    wanted = only_suffixes(only)
    if not wanted:
        return list(block_rows)
    chosen = [r for r in block_rows if r.suffix in wanted]
    names = (only,) if isinstance(only, str) else tuple(only)
    missing = [name for name in names if not any(r.suffix in PIECES[name] for r in chosen)]
    if missing:
        raise BadInput(f"`only` {', '.join(missing)}: this derivation has no such formula "
                         "(no first integral, trajectory or fixed focus was found, or no growth law could be derived)")
    return chosen


def align_block(label: str, block_rows, *, numbered: bool = True, piece_breaks: bool = False,
                intertext: dict | None = None) -> str:
    """An ``align`` environment: one labelled equation per row, continuation lines unnumbered.

    A row with a ``definition`` shows ``lhs = definition`` on a line of its own
    and the right-hand side below it. ``piece_breaks``: a page or column may break
    after any equation (``\\displaybreak[0]``, local to the display), never inside a broken one.
    ``intertext``: words (by piece, see :data:`PIECES`) set as ``\\intertext`` before each piece
    but the first, so consecutive pieces share one display.
    """
    lines = [r"\begin{align}"]
    for index, r in enumerate(block_rows):
        last_row = index == len(block_rows) - 1
        piece = piece_of(r.suffix)
        if intertext and index and piece != piece_of(block_rows[index - 1].suffix) and piece in intertext:
            lines.append(rf"  \intertext{{{intertext[piece]}}}")
        if r.lhs_alone and not r.inline:
            lines.append(f"  {r.lhs} &" + (f"= {r.definition}" if r.definition is not None else "") + r" \nonumber \\")
        for k, text in enumerate(r.lines):
            if k == 0 and r.inline:
                lead = f"  &{r.lhs} {r.relation} {text}"
            elif k == 0:
                lead = f"  &{r.relation} {text}" if r.lhs_alone else f"  {r.lhs} &{r.relation} {text}"
            else:
                lead = rf"  &\quad {text}"
            if k < len(r.lines) - 1:
                lines.append(lead + r" \nonumber \\")
            else:
                tail = rf" \label{{eq:{label}-{r.suffix}}}" if numbered else ""
                if piece_breaks and not last_row:  # a column may break after any equation, never inside one
                    tail += r" \displaybreak[0]"
                lines.append(lead + tail + ("" if last_row else r" \\"))
    lines.append(r"\end{align}")
    return "\n".join(lines)


def piece_of(suffix: str) -> str:
    """The piece (a key of :data:`PIECES`) a row suffix belongs to."""
    return next(name for name, suffixes in PIECES.items() if suffix in suffixes)


def derivation_latex(derivation, *, width: int = LINE_WIDTH, label_prefix: str = "", only=None, growth=None) -> str:
    """The formulas as one ``align`` display (breakable between equations only), each equation labelled.

    ``width``: characters per display line (:data:`LINE_WIDTH` fits a one-column
    article, :data:`TWO_COLUMN_WIDTH` a two-column page); ``label_prefix``: see
    :func:`labelled`; ``only``: names of :data:`PIECES`; ``growth``: a growth law to include.
    """
    block = select(rows(derivation, width=check_width(width), growth=growth), only)
    return align_block(labelled(derivation.label, label_prefix), block, piece_breaks=True)


def invariant_latex(integral) -> str:
    """The first integral written out on one line, :math:`A(u) - B(v)`."""
    return expression_latex(integral.expr)


__all__ = ["Row", "rows", "growth_rows", "select", "make_row", "break_lines", "align_block", "derivation_latex",
           "expression_latex", "visible_width", "labelled", "PIECES", "LINE_WIDTH", "TWO_COLUMN_WIDTH"]
