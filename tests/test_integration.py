"""The integration strategy, each family against mpmath quadrature (independent of the rules)."""

import mpmath
import pytest
import sympy as sp

from analytic.certify import check_antiderivative
from analytic.integration import antiderivative

x = sp.Symbol("x", real=True)
a = sp.Rational(7, 3)

FAMILIES = {
    "rational": (x**2 + 1) / (x * (x + 2)),
    "polynomial times exp": x**3 * sp.exp(-2 * x),
    "laurent times exp (Ei)": sp.exp(x) / x**2,
    "shifted Ei": sp.exp(x**2 / 2 - x) / (x - 1),
    "polynomial times log": (x + 1) * sp.log(1 + a / x),
    "dilogarithm": sp.log(1 + a * sp.exp(-x)),
    "exp of exp": sp.exp(x + sp.exp(-x)),
}
# integration intervals inside each integrand's domain
INTERVALS = {"rational": (0.5, 3), "laurent times exp (Ei)": (0.5, 2), "shifted Ei": (1.2, 2.5),
             "polynomial times log": (0.3, 4)}


@pytest.mark.parametrize("family", FAMILIES)
def test_definite_integral_matches_quadrature(family):
    integrand = FAMILIES[family]
    found = antiderivative(integrand, x)
    assert found is not None and "sympy.integrate" not in found.methods
    lo, hi = (sp.Rational(str(end)) for end in INTERVALS.get(family, (-1.5, 2.0)))
    with mpmath.workdps(30):
        f = sp.lambdify(x, integrand, "mpmath")
        reference = mpmath.quad(f, [mpmath.mpf(lo.p) / lo.q, mpmath.mpf(hi.p) / hi.q])
        primitive = found.result
        value = sp.N(primitive.subs(x, hi) - primitive.subs(x, lo), 30)
    # 30-digit quadrature: agreement to 1e-20 relative
    assert abs(value - sp.Float(reference, 30)) <= 1e-20 * abs(reference)


def test_certificate_rejects_a_wrong_antiderivative():
    wrong = sp.exp(x) * x  # the derivative of this is (x + 1) e^x, not x e^x
    check = check_antiderivative("wrong", wrong, x * sp.exp(x), x)
    assert not check.passed and check.symbolic is False and check.max_residual > 1e-3


def test_results_are_real_for_real_arguments():
    found = antiderivative(1 / (1 - x), x)
    assert found.result == -sp.log(sp.Abs(x - 1))
