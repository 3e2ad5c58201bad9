r"""Special functions SymPy lacks, and the numeric back-ends for all of them.

:class:`WrightOmega` is the Wright omega function :math:`\omega(z)`, the
solution of :math:`\omega + \log\omega = z`; for real :math:`z` it equals
:math:`W_0(e^z)` (principal Lambert W) but stays finite and accurate where
:math:`e^z` overflows, which is why the toolkit's explicit trajectories use it.
"""

from __future__ import annotations

import mpmath
import sympy as sp


class WrightOmega(sp.Function):
    r"""Wright omega function, :math:`\omega + \log \omega = z`.

    .. math:: \omega'(z) = \frac{\omega(z)}{1 + \omega(z)}

    Examples
    --------
    >>> WrightOmega(1).evalf(20)
    1.0000000000000000000
    """

    nargs = 1

    @classmethod
    def eval(cls, z):
        if z == 1:
            return sp.Integer(1)
        return None

    def fdiff(self, argindex=1):
        w = self.func(*self.args)
        return w / (1 + w)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real

    def _eval_rewrite_as_LambertW(self, z, **kwargs):
        return sp.LambertW(sp.exp(z))

    def _eval_evalf(self, prec):
        z = self.args[0]._eval_evalf(prec)
        if z is None or not z.is_number:
            return None
        with mpmath.workprec(prec):
            value = mp_wright_omega(z._to_mpmath(prec))
        return sp.Expr._from_mpmath(value, prec)

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        base = r"\omega\left(%s\right)" % arg
        return base if exp is None else r"%s^{%s}" % (base, exp)


def mp_wright_omega(z):
    r"""Wright omega with mpmath, :math:`\omega(z) = W_0(e^z)` for real z.

    For real :math:`z > 10` Newton's method on :math:`\omega + \log\omega = z`
    from :math:`z - \log z` is used, so no :math:`e^z` is formed (an
    astronomically large :math:`z` would make mpmath's exponential hang).
    """
    z = mpmath.mpmathify(z)
    if mpmath.im(z) != 0:
        return mpmath.lambertw(mpmath.exp(z))
    z = mpmath.re(z)
    if z <= NEWTON_FROM:
        return mpmath.re(mpmath.lambertw(mpmath.exp(z)))
    omega = z - mpmath.log(z)
    tolerance = mpmath.mpf(2) ** (-mpmath.mp.prec + 4)
    for _ in range(200):
        step = (omega + mpmath.log(omega) - z) / (1 + 1 / omega)
        omega -= step
        if abs(step) <= tolerance * abs(omega):
            break
    return omega


NEWTON_FROM = 10  # z above which mp_wright_omega iterates instead of forming e^z


#: lambdify module mapping for 'mpmath' evaluation of toolkit expressions.
MPMATH_FUNCTIONS = {
    "WrightOmega": mp_wright_omega,
    "Ei": mpmath.ei,
    "polylog": mpmath.polylog,
}


DILOG_RADIUS = 0.1  # |x| below which Li2 is summed as a series
DILOG_TERMS = 18  # 0.1**18 / 324 < 1e-20


def dilog(x):
    r""":math:`\operatorname{Li}_2(x)` for real :math:`x \le 1`.

    SciPy's ``spence(1 - x)`` loses relative accuracy for small :math:`|x|`
    (where :math:`\operatorname{Li}_2(x) \approx x`); there the series
    :math:`\sum_k x^k/k^2` is summed instead.
    """
    import numpy as np
    from scipy import special as scipy_special

    x = np.asarray(x, dtype=float)
    result = scipy_special.spence(1 - x)
    small = np.abs(x) < DILOG_RADIUS
    if np.any(small):
        xs = x[small]
        power, series = np.ones_like(xs), np.zeros_like(xs)
        for k in range(1, DILOG_TERMS + 1):
            power = power * xs
            series = series + power / k**2
        result = np.where(small, 0.0, result)
        result[small] = series
    return result


def _np_polylog(order, x):
    r""":math:`\operatorname{Li}_n(x)` for :math:`n = 2` (:func:`dilog`), 1 (:math:`-\log(1 - x)`, e.g. in the
    derivative of :math:`\operatorname{Li}_2`) and 0 (:math:`x/(1 - x)`)."""
    import numpy as np

    if order == 2:
        return dilog(x)
    x = np.asarray(x, dtype=float)
    if order == 1:
        return -np.log1p(-x)
    if order == 0:
        return x / (1 - x)
    raise ValueError(f"polylog(n, x) is evaluated numerically for n = 0, 1 or 2 only, got n = {order!r}")


def numpy_functions() -> dict:
    """lambdify module mapping for NumPy/SciPy evaluation (vectorised)."""
    from scipy import special

    return {
        "WrightOmega": special.wrightomega,
        "Ei": special.expi,
        "polylog": _np_polylog,
    }
