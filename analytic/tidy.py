"""Presentation: regroup an expression by its parts that depend on chosen symbols.

``tidy`` only regroups terms and factors their coefficients, so the result is
the same function; the certificates are computed on the tidied form, so what
is emitted is what was checked.
"""

from __future__ import annotations

import sympy as sp


def tidy(expr: sp.Expr, *symbols: sp.Symbol) -> sp.Expr:
    """Collect the terms of ``expr`` by their ``symbols``-dependent factor.

    Examples
    --------
    >>> x, a = sp.symbols("x a")
    >>> tidy(a*x/(a - 1) - x/(a - 1) + 2, x)
    x + 2
    """
    groups: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr, deep=False)):
        coefficient, dependent = term.as_independent(*symbols, as_Add=False)
        groups[dependent] = groups.get(dependent, sp.Integer(0)) + coefficient
    return sp.Add(*(sp.factor(coefficient) * dependent for dependent, coefficient in groups.items()))
