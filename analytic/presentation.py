r"""The simplification a reader would do before an expression is printed, certified equal to it.

Bottom up, every product or power with a sum in its denominator is cancelled
(:math:`\beta p e^{v_0}/(\beta c p - \beta p) \to e^{v_0}/(c - 1)`), every sum is
collected by its exponentials with factored coefficients
(:math:`c e^{-v} + 1 - e^{-v} \to (c - 1) e^{-v} + 1`), and a numeric coefficient
pulled out of a sum is cancelled (:math:`-\beta p (2 v - 2)/2 \to -\beta p (v - 1)`);
each rewrite is kept only where it has fewer operations. With a numeric number of
classes :math:`c = b^k`, :math:`\log b` is written :math:`\log(c)/k`, so a reader sees
:math:`\log 1000`, not :math:`3 \log 10`.

:func:`present` returns the rewritten expression only when it is certified equal to
the original (:func:`analytic.certify.check_equal`: symbolically and at 40 digits);
otherwise the original, unchanged.
"""

from __future__ import annotations

import sympy as sp
from sympy.ntheory import perfect_power

from . import symbols
from .certify import check_equal

SHORT_SUM = 4  # terms of a sum the pass collects (a long sum is left as derived, term by term)
MUL_SAVING = 2  # operations a rewritten product must save


def _ops(expr: sp.Expr) -> int:
    return sp.count_ops(expr)


def _reader_step(node: sp.Expr) -> sp.Expr:
    """One node rewritten as a reader would, or the node itself.

    A short sum of exponentials and polynomial terms (the argument of a logarithm, a denominator) is
    collected when that costs no operations; a product with a sum in it is cancelled and factored when
    that saves at least :data:`MUL_SAVING` operations (a sign moved into a factor is no simplification).
    """
    if isinstance(node, sp.Add):
        elementary = not any(f.func not in (sp.exp,) for f in node.atoms(sp.Function))
        exponentials = sorted(node.atoms(sp.exp), key=sp.default_sort_key)
        if elementary and exponentials and len(node.args) <= SHORT_SUM:
            parts = sp.collect(node, exponentials, evaluate=False)
            rest = parts.pop(sp.S.One, sp.S.Zero)
            collected = sp.Add(*(sp.factor(coefficient) * key for key, coefficient in parts.items())) + rest
            return collected if _ops(collected) <= _ops(node) else node
        return node
    if isinstance(node, sp.Mul) and any(isinstance(f, sp.Add) for f in sp.Mul.make_args(sp.fraction(node)[1]) + node.args):
        cancelled = sp.cancel(node)
        candidate = min((sp.factor(cancelled), sp.factor_terms(cancelled), sp.factor(node)), key=_ops)
        return candidate if _ops(candidate) <= _ops(node) - MUL_SAVING else node
    return node


def _minus_times_p_minus_one(node) -> bool:
    """A product ``-x (p - 1)``, which the text writes ``x (1 - p)``."""
    return isinstance(node, sp.Mul) and (symbols.p - 1) in node.args and node.could_extract_minus_sign()


def _log_of_classes(expr: sp.Expr, classes) -> sp.Expr:
    r""":math:`\log b \to \log(c)/k` where the numeric :math:`c = b^k` (``classes``), so :math:`\log c` shows."""
    if classes is None or not getattr(sp.sympify(classes), "is_Integer", False) or int(classes) < 4:
        return expr
    power = perfect_power(int(classes))
    if not power:
        return expr
    base, exponent = power
    whole = sp.log(sp.Integer(classes), evaluate=False)
    return expr.subs(sp.log(sp.Integer(base)), whole / exponent)


def present(expr: sp.Expr, classes=None) -> sp.Expr:
    """``expr`` as a reader would simplify it (see the module docstring), certified equal; else ``expr``.

    Examples
    --------
    >>> b, c, p, v0 = sp.symbols("beta c p v0", positive=True)
    >>> present(b * p * sp.exp(v0) / (b * c * p - b * p))
    exp(v0)/(c - 1)
    """
    if not isinstance(expr, sp.Expr) or expr.is_Atom:
        return expr
    candidate = _log_of_classes(sp.bottom_up(expr, _reader_step), classes)
    candidate = candidate.replace(_minus_times_p_minus_one, lambda e: e / (symbols.p - 1) * -1 * (1 - symbols.p))
    if candidate == expr:
        return expr
    return candidate if check_equal("presentation", candidate, expr).passed else expr


__all__ = ["present"]
