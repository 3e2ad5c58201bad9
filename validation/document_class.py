r"""The document classes ``paper --class`` writes for: their first lines, display width and floats.

A one-column class puts figures and tables in ``figure``/``table`` at the line width; a two-column
class in ``figure*``/``table*`` across both columns, the figures at the size they are drawn
(:data:`validation.figures.TEXT_WIDTH`, less than either class's text width), so their fonts stay
8--10 pt. Displays are broken to the class's ``display_width`` characters per line
(:data:`analytic.latex.LINE_WIDTH` or :data:`analytic.latex.TWO_COLUMN_WIDTH`). The module imports
nothing at start-up, so the command line can list the classes before it loads SymPy's printers.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytic.errors import BadInput


@dataclass(frozen=True)
class DocumentClass:
    """One target: ``header`` (the class line and what the class needs before the shared packages)."""

    name: str
    header: tuple
    two_column: bool

    @property
    def display_width(self) -> int:
        """Characters per display line: a column of a two-column page, or the line of a one-column article."""
        from analytic.latex import LINE_WIDTH, TWO_COLUMN_WIDTH

        return TWO_COLUMN_WIDTH if self.two_column else LINE_WIDTH

    @property
    def figure(self) -> str:
        """The figure environment: across both columns on a two-column page."""
        return "figure*" if self.two_column else "figure"

    @property
    def table(self) -> str:
        return "table*" if self.two_column else "table"

    @property
    def placement(self) -> str:
        """Float placement: a float across both columns can only go at the top of a page or on a page of floats."""
        return "tp" if self.two_column else "ht"

    @property
    def graphics_size(self) -> str:
        r"""``\includegraphics`` options: the line width in one column, the drawn size across two."""
        return "scale=1" if self.two_column else r"width=\linewidth"


#: columns end where their text does: a flush bottom spreads a column's leftover height over the few
#: display skips of a page of formulas (gaps of several lines, seen on rendered IEEEtran pages)
RAGGED = r"\raggedbottom"
DOCUMENT_CLASSES = {
    "article": DocumentClass("article", (r"\documentclass[10pt]{article}", r"\usepackage[margin=2.5cm]{geometry}"), False),
    "ieeetran": DocumentClass("ieeetran", (r"\documentclass[conference]{IEEEtran}", RAGGED), True),
    "revtex": DocumentClass("revtex", (r"\documentclass[twocolumn]{revtex4-2}", RAGGED), True),
}
DEFAULT_CLASS = "article"


def document_class(name) -> DocumentClass:
    """The entry called ``name`` (a :class:`DocumentClass` is returned as it is), or ``BadInput`` naming it."""
    if isinstance(name, DocumentClass):
        return name
    if not isinstance(name, str) or name not in DOCUMENT_CLASSES:
        raise BadInput(f"`document_class` must be one of {', '.join(DOCUMENT_CLASSES)}, got {name!r}")
    return DOCUMENT_CLASSES[name]


__all__ = ["DocumentClass", "DOCUMENT_CLASSES", "DEFAULT_CLASS", "document_class"]
