r"""Solving :math:`F(x) = S` for :math:`x` in closed form, for the families met here.

With :math:`F` written as a sum of terms, and :math:`d` the part free of :math:`x`:

- :math:`a x + d = S`: :math:`x = (S - d)/a`;
- :math:`b e^{k x} + d = S`: :math:`x = \log((S - d)/b)/k`;
- :math:`a x + b e^{k x} + d = S` with :math:`bk/a > 0`:

  .. math:: x = \frac{\log \omega(z) - \log(bk/a)}{k}, \qquad
            z = \frac{k (S - d)}{a} + \log\frac{bk}{a},

  with the Wright omega function (:math:`\omega + \log\omega = z`). This form,
  rather than :math:`(S-d)/a - \omega(z)/k`, has no cancellation for large
  :math:`z`, where :math:`\omega(z) \approx z`;
- :math:`a \log|m x + n| + d = S`, given the start :math:`x_0` on the same
  branch: :math:`m x + n = (m x_0 + n) e^{(S - F(x_0))/a}`.

Anything else returns ``None``: no closed form is claimed.
"""

from __future__ import annotations

import sympy as sp

from .integration import is_positive
from .special import WrightOmega


def invert(function: sp.Expr, target: sp.Expr, x: sp.Symbol, start: sp.Expr | None = None) -> sp.Expr | None:
    """Solve ``function(x) = target`` for ``x``; ``None`` outside the families above.

    Examples
    --------
    >>> x, s = sp.symbols("x s", real=True)
    >>> invert(x + sp.exp(x), s, x)
    log(WrightOmega(s))
    """
    linear, exponential, logarithmic, free = sp.Integer(0), [], [], sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(function, deep=False)):
        coefficient, dependent = term.as_independent(x, as_Add=False)
        if dependent == 1:
            free += term
        elif dependent == x:
            linear += coefficient
        elif isinstance(dependent, sp.exp) and not sp.expand(dependent.args[0] / x).has(x):
            exponential.append((coefficient, sp.expand(dependent.args[0] / x)))
        elif isinstance(dependent, sp.log) and isinstance(dependent.args[0], sp.Abs):
            logarithmic.append((coefficient, dependent.args[0].args[0]))
        else:
            return None
    rhs = target - free
    if len(exponential) > 1 or len(logarithmic) > 1 or (logarithmic and (exponential or linear != 0)):
        return None
    if logarithmic:
        return _invert_log(*logarithmic[0], rhs, x, start)
    if not exponential:
        return None if linear == 0 else rhs / linear
    b, k = exponential[0]
    if linear == 0:
        return sp.log(sp.expand(rhs / b)) / k
    ratio = b * k / linear
    if not is_positive(ratio):
        return None
    z = sp.expand(k * rhs / linear) - sp.log(1 / ratio)
    return (sp.log(WrightOmega(z)) + sp.log(1 / ratio)) / k


def _invert_log(a, argument, rhs, x, start):
    r""":math:`a \log|g(x)| = R` with :math:`g` linear, on the branch of :math:`x_0`."""
    slope = sp.diff(argument, x)
    if start is None or slope == 0 or slope.has(x):
        return None
    at_start = argument.subs(x, start)
    shift = rhs - a * sp.log(sp.Abs(at_start))
    return (at_start * sp.exp(shift / a) - argument.subs(x, 0)) / slope
