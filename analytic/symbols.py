"""The canonical SymPy symbols of the reduced model (docs/setting.rst section 5).

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

from .errors import BadInput


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


def canonical_symbols(expr: sp.Expr, label: str, forbidden: tuple[str, ...] = ()) -> sp.Expr:
    """``expr`` with every symbol matched by name: the toolkit's own (``u``, ``v``, ``T``, ...)
    replace a user's namesakes, other names become real parameter symbols.

    ``forbidden`` names (e.g. ``u`` in a per-segment loss) are refused.

    Examples
    --------
    >>> x, tau = sp.symbols("v tau")
    >>> canonical_symbols(x / tau, "loss").free_symbols == {v, sp.Symbol("tau", real=True)}
    True
    """
    replacements = {}
    for symbol in expr.free_symbols:
        if not isinstance(symbol, sp.Symbol):
            raise BadInput(f"`{label}` may only contain plain symbols, got {symbol}")
        if symbol.name in forbidden:
            raise BadInput(f"`{label}` may not use the symbol {symbol.name}: {expr}")
        own = BY_NAME.get(symbol.name)
        target = own if own is not None else parameter(symbol.name)
        if target is not symbol:
            replacements[symbol] = target
    return expr.xreplace(replacements) if replacements else expr


def fresh(symbol: sp.Symbol, *expressions: sp.Basic) -> sp.Symbol:
    """``symbol``, or a namesake with primes appended (``S'``, ``S''``, ...) when a symbol of ``expressions``
    already has its name.

    The toolkit's auxiliary symbols (the level ``S``, the quadrature variables ``x_u`` and ``x_v``, the
    compiled models' margin coordinate ``s`` and limit ``w``) are taken through this, so a user's
    parameter of the same name stays a different symbol and is printed differently.

    Examples
    --------
    >>> fresh(sp.Symbol("S", real=True), parameter("S") * v)
    S'
    """
    taken = {s.name for expr in expressions for s in expr.free_symbols}
    name = symbol.name
    while name in taken:
        name += "'"
    return symbol if name == symbol.name else sp.Symbol(name, **symbol._assumptions_orig)


def parameter(name: str) -> sp.Symbol:
    """The symbol of a user parameter (real), e.g. a temperature ``tau``."""
    return sp.Symbol(name, real=True)


def parameters_of(expr: sp.Expr) -> tuple[sp.Symbol, ...]:
    """The user parameters of ``expr`` (symbols that are not the setting's own), sorted by name."""
    own = set(BY_NAME.values())
    return tuple(sorted((s for s in expr.free_symbols if s not in own), key=lambda s: s.name))


def values_text(values: dict) -> str:
    """``{tau: 0, k: 2}`` as ``tau=0, k=2`` (as the command line's ``--param`` writes them)."""
    return ", ".join(f"{getattr(name, 'name', name)}={value}" for name, value in values.items())


def check_defined_with(expr: sp.Expr, values: dict, label: str, what: str) -> sp.Expr:
    r"""``expr`` with ``values`` (parameter symbol -> number) in place, refused when that is not finite.

    E.g. :math:`\log(1 + e^{-v/\tau})` at :math:`\tau = 0` is :math:`\log(1 + e^{\tilde\infty v})`:
    "``label``: the ``what`` log(1 + exp(-v/tau)) is undefined at tau=0 (log(exp(zoo*v) + 1))".
    """
    from .setting import shown

    used = {symbol: value for symbol, value in values.items() if symbol in expr.free_symbols}
    bound = expr.subs(used) if used else expr
    if bound.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise BadInput(f"{label}: the {what} {shown(expr)} is undefined at {values_text(used)} (it becomes {shown(bound)})")
    return bound


def check_real_expression(expr: sp.Expr, label: str) -> None:
    """Refuse NaN, infinities and explicit complex numbers in a user expression."""
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise BadInput(f"`{label}` must be finite, got {expr}")
    if expr.has(sp.I):
        raise BadInput(f"`{label}` must be real, got {expr}")
