"""Widths of a LaTeX display line in visible characters (plain Python: the command line's parser reads them too)."""

LINE_WIDTH = 62  # one display line of a one-column 10pt article (2.5 cm margins)
TWO_COLUMN_WIDTH = 40  # a column of a two-column page (3.25 in, as at most ML venues)
MIN_WIDTH = 20  # the narrowest line the breaker accepts
