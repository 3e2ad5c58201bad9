r"""Numbers typeset for LaTeX: plain where short, :math:`m \times 10^{k}` otherwise (never ``4e+05``)."""

from __future__ import annotations

import math

PLAIN_RANGE = (1e-2, 1e5)  # magnitudes printed as plain decimals


def latex_number(value, digits: int = 3, *, math_mode: bool = True, trim: bool = False) -> str:
    r"""``value`` with ``digits`` significant digits: ``0.25``, ``12\,345``, ``1.28 \times 10^{5}``.

    ``trim`` drops trailing zeros (for prose: ``0.1``, ``4 \times 10^{5}``, ``10^{8}``); tables keep them.

    ``None`` is ``---``; infinities are :math:`\infty`; NaN is refused (a table must not
    show a number that is not one).

    >>> latex_number(128091.2)
    '$1.28 \\times 10^{5}$'
    >>> latex_number(0.000123, 2)
    '$1.2 \\times 10^{-4}$'
    >>> latex_number(76.72)
    '$76.7$'
    >>> latex_number(4e5, trim=True), latex_number(1e8, trim=True), latex_number(0.1, trim=True)
    ('$4 \\times 10^{5}$', '$10^{8}$', '$0.1$')
    """
    if value is None:
        return "---"
    value = float(value)
    if math.isnan(value):
        raise ValueError("`value` is NaN: a table cell must be a number or say why not")
    if math.isinf(value):
        text = r"\infty" if value > 0 else r"-\infty"
    elif value == 0:
        text = "0"
    elif PLAIN_RANGE[0] <= abs(value) < PLAIN_RANGE[1] and float(f"{abs(value):.{digits - 1}e}") < PLAIN_RANGE[1]:
        text = _plain(value, digits)
        if trim and "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        if trim:
            mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
        text = rf"{mantissa} \times 10^{{{int(exponent)}}}"
        if trim and mantissa in ("1", "-1"):
            text = ("-" if mantissa == "-1" else "") + rf"10^{{{int(exponent)}}}"
    return f"${text}$" if math_mode else text


def _plain(value: float, digits: int) -> str:
    """Significant digits as a decimal, thousands separated by a thin space."""
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    return text.replace(",", r"\,")


__all__ = ["latex_number"]
