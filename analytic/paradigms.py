r"""Reduced losses of the three attention paradigms (SETTING.md section 2).

With foreground attention :math:`p` and per-segment loss :math:`\ell`:

.. math::

    L_{\mathrm{soft}} = \ell(p v), \qquad
    L_{\mathrm{hard}} = p\,\ell(v) + (1 - p)\,\ell(0), \qquad
    L_{\mathrm{LVML}} = -\log\left(p e^{-\ell(v)} + (1 - p) e^{-\ell(0)}\right).
"""

from __future__ import annotations

import sympy as sp

from .symbols import v

PARADIGMS = ("soft", "hard", "lvml")
LATEX_NAMES = {"soft": r"\mathrm{soft}", "hard": r"\mathrm{hard}", "lvml": r"\mathrm{LVML}"}


def check_paradigm(paradigm: str) -> str:
    if paradigm not in PARADIGMS:
        raise ValueError(f"`paradigm` must be one of {', '.join(PARADIGMS)}, got {paradigm!r}")
    return paradigm


def reduced_loss(paradigm: str, segment_loss: sp.Expr, attention: sp.Expr) -> sp.Expr:
    r"""The reduced loss :math:`L(p, v)` of ``paradigm`` at attention ``attention``.

    Parameters
    ----------
    paradigm : {"soft", "hard", "lvml"}
    segment_loss : sympy.Expr
        :math:`\ell(v)` in the symbol ``v``.
    attention : sympy.Expr
        :math:`p` — either :math:`p(u)` or the symbol ``p`` (frozen focus).

    Examples
    --------
    >>> from analytic.symbols import p
    >>> reduced_loss("hard", sp.exp(-v), p)
    p*exp(-v) - p + 1
    """
    check_paradigm(paradigm)
    at_zero = segment_loss.subs(v, 0)
    if paradigm == "soft":
        return segment_loss.subs(v, attention * v)
    if paradigm == "hard":
        return attention * segment_loss + (1 - attention) * at_zero
    return -sp.log(attention * sp.exp(-segment_loss) + (1 - attention) * sp.exp(-at_zero))
