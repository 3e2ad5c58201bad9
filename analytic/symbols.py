"""The canonical SymPy symbols of the reduced model (SETTING.md section 5).

Every module builds its expressions from these objects, so expressions coming
from different derivations can be compared and substituted into each other.

- ``u``: focus logit of the foreground segment (real);
- ``v``: classifier margin on the foreground (real);
- ``u0``, ``v0``: the start point; ``t``: time;
- ``T``: number of segments (>= 2); ``c``: number of classes (>= 2);
- ``alpha``, ``beta``: gradient-flow rates (> 0);
- ``p``: foreground attention, used when the focus is frozen.
"""

from __future__ import annotations

import sympy as sp

u, v = sp.symbols("u v", real=True)
u0, v0 = sp.symbols("u0 v0", real=True)
t = sp.Symbol("t", nonnegative=True)
T = sp.Symbol("T", positive=True)
c = sp.Symbol("c", positive=True)
alpha, beta = sp.symbols("alpha beta", positive=True)
p = sp.Symbol("p", positive=True)

#: Names under which a user may refer to each symbol (JSON and parsing).
BY_NAME: dict[str, sp.Symbol] = {
    s.name: s for s in (u, v, u0, v0, t, T, c, alpha, beta, p)
}


def attention(u_expr: sp.Expr, segments: sp.Expr = T) -> sp.Expr:
    r"""Foreground attention of the focus logit.

    .. math:: p(u) = \frac{e^u}{e^u + T - 1}

    Examples
    --------
    >>> attention(sp.Integer(0), 10)
    1/10
    """
    return sp.exp(u_expr) / (sp.exp(u_expr) + segments - 1)
