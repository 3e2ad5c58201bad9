r"""Certificates: every emitted formula is checked before it is emitted.

A :class:`Check` compares two expressions that must agree, say
:math:`F'(x)` and :math:`f(x)`, in two independent ways:

1. symbolically: the difference is brought to 0 by a chain of cheap
   canonicalisations (``expand_func``, :math:`e^{x} \to w`, logarithms of
   products split, ``cancel``), then by ``simplify`` under a time budget;
2. numerically: at :data:`MIN_POINTS` or more sample points (every free symbol
   drawn from its domain, seeded, so results are reproducible) the two sides are
   evaluated with mpmath at :data:`DIGITS` significant digits and must agree to
   :data:`RELATIVE_TOLERANCE` relative.

A check passes only if both do. :class:`Certificate` gathers the checks of one
derivation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp

from .budget import BudgetExceeded, Deadline, NoClosedForm, run_step
from .serial import storable
from .special import MPMATH_FUNCTIONS, WrightOmega

DIGITS = 40  # mpmath working digits (>= 30 required; the margin absorbs cancellation)
RELATIVE_TOLERANCE = 1e-20
MIN_POINTS = 20
MAX_TRIES = 400  # sample draws before a check gives up finding MIN_POINTS valid points
NEGLIGIBLE = mpmath.mpf(10) ** -12  # both sides below this: relative error undefined, point skipped
SIMPLIFY_SECONDS = 6.0
SEED = 20230721  # fixed: certificates are reproducible

#: Sampling interval of each symbol (T >= 2, c >= 2, rates > 0, 0 < p < 1).
DOMAINS: dict[str, tuple[float, float]] = {
    "u": (-4.0, 4.0),
    "v": (-4.0, 4.0),
    "u0": (-2.0, 2.0),
    "v0": (-2.0, 2.0),
    "t": (0.0, 50.0),
    "T": (2.0, 40.0),
    "c": (2.0, 20.0),
    "alpha": (0.1, 3.0),
    "beta": (0.1, 3.0),
    "p": (0.02, 0.98),
}
DEFAULT_DOMAIN = (-2.0, 2.0)
POSITIVE_DOMAIN = (0.1, 3.0)  # a positive symbol without an entry of its own, e.g. C = c - 1 of the compiled forms


def domain(symbol: sp.Symbol) -> tuple[float, float]:
    """Where ``symbol`` is sampled: its :data:`DOMAINS` entry, else by its sign assumption."""
    if symbol.name in DOMAINS:
        return DOMAINS[symbol.name]
    return POSITIVE_DOMAIN if symbol.is_positive else DEFAULT_DOMAIN


def _dirac_delta(x, k=0):
    """``DiracDelta(x, k)`` away from 0 is 0; at 0 it is not finite (the point is skipped)."""
    return mpmath.inf if x == 0 else mpmath.mpf(0)


#: Functions ``lambdify`` cannot print for mpmath (the derivative of Heaviside).
PIECEWISE_MPMATH = {"DiracDelta": _dirac_delta}


@storable
@dataclass(frozen=True)
class Check:
    """One verified identity ``lhs == rhs``.

    Attributes
    ----------
    name : str
        What was checked, e.g. ``"invariant: dI/dt = 0"``.
    symbolic : bool
        Whether ``lhs - rhs`` was proved to simplify to 0 (``None`` if the
        check is numeric by nature, e.g. a limit).
    max_residual : float
        Largest relative difference over the sample points.
    points : int
        Number of sample points used.
    """

    name: str
    symbolic: bool | None
    max_residual: float
    points: int
    tolerance: float = RELATIVE_TOLERANCE
    min_points: int = MIN_POINTS

    @property
    def passed(self) -> bool:
        return (
            self.symbolic is not False
            and self.points >= self.min_points
            and self.max_residual <= self.tolerance
        )


@storable
@dataclass(frozen=True)
class Certificate:
    """The checks of one derivation; ``certified`` when every one passed."""

    checks: tuple[Check, ...] = ()

    @property
    def certified(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    @property
    def max_residual(self) -> float:
        """Largest relative residual of the identities and quadrature parts (limit checks excluded)."""
        identities = [check.max_residual for check in self.checks if check.symbolic is not None or check.tolerance <= RELATIVE_TOLERANCE]
        return max(identities, default=float("nan"))

    def failures(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if not check.passed)


def strip_abs_in_logs(expr: sp.Expr) -> sp.Expr:
    r""":math:`\log|g| \to \log g`: same derivative wherever :math:`g \ne 0`."""
    return expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Abs),
        lambda e: sp.log(e.args[0].args[0]),
    )


def is_symbolically_zero(expr: sp.Expr, deadline: Deadline | None = None) -> bool:
    """Whether ``expr`` simplifies to 0 (cheap canonical forms, then ``simplify``)."""
    expr = sp.expand_func(expr)
    if expr == 0:
        return True
    try:
        return run_step(_simplifies_to_zero, expr, cap=SIMPLIFY_SECONDS, deadline=deadline, what="zero test")
    except (BudgetExceeded, NoClosedForm):
        return False


def _simplifies_to_zero(expr: sp.Expr) -> bool:
    """Cheap canonical form first, ``simplify`` only if that is not conclusive."""
    return _canonical(expr) == 0 or sp.simplify(expr) == 0


def _canonical(expr: sp.Expr) -> sp.Expr:
    """Exponentials of symbols as positive variables, logs of products split.

    Zero here proves zero (the new variables are treated as independent).
    """
    expr = sp.expand(expr, mul=False, multinomial=False, log=False, basic=False, power_exp=True)
    replacements = {}
    for symbol in sorted(expr.free_symbols, key=lambda s: s.name):
        if symbol.is_real and expr.has(sp.exp(symbol)):
            replacements[symbol] = sp.Dummy(f"e_{symbol.name}", positive=True)
    for symbol, w in replacements.items():
        expr = expr.subs(sp.exp(symbol), w)
    expr = expr.replace(
        lambda e: isinstance(e, sp.log),
        lambda e: sp.expand_log(sp.log(sp.factor(sp.together(e.args[0]))), force=True),
    )
    for symbol, w in replacements.items():
        expr = expr.subs(sp.log(w), symbol)
    # Wright omega: log(omega(z)) = z - omega(z)
    expr = expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], WrightOmega),
        lambda e: e.args[0].args[0] - e.args[0],
    )
    return sp.cancel(sp.together(expr))


def sample_points(symbols, count: int, seed: int = SEED):
    """Yield dicts symbol -> mpf, drawn from :data:`DOMAINS` (seeded)."""
    rng = random.Random(seed)
    ordered = sorted(symbols, key=lambda s: s.name)
    for _ in range(count):
        yield {
            s: mpmath.mpf(rng.uniform(*DOMAINS.get(s.name, DEFAULT_DOMAIN)))
            for s in ordered
        }


def numeric_residual(lhs: sp.Expr, rhs: sp.Expr, scale: str = "relative") -> tuple[float, int]:
    """Largest difference of ``lhs`` and ``rhs`` at sample points.

    ``scale="relative"`` divides by ``max(|lhs|, |rhs|)`` and skips points where
    both are negligible; ``"mixed"`` divides by ``max(1, |rhs|)`` (for values
    that may be 0, such as limits). Points where either side is not finite or
    not real (to 1e-25) are skipped. Returns ``(max_residual, points)``.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    symbols = sorted((lhs.free_symbols | rhs.free_symbols), key=lambda s: s.name)
    modules = [MPMATH_FUNCTIONS, PIECEWISE_MPMATH, "mpmath"]
    # dummify: argument names are the lambdified code's own, whatever the user named a parameter
    f_lhs = sp.lambdify(symbols, lhs, modules=modules, dummify=True)
    f_rhs = sp.lambdify(symbols, rhs, modules=modules, dummify=True)
    worst, used = mpmath.mpf(0), 0
    with mpmath.workdps(DIGITS):
        for point in sample_points(symbols, MAX_TRIES):
            values = [point[s] for s in symbols]
            try:
                a, b = mpmath.mpmathify(f_lhs(*values)), mpmath.mpmathify(f_rhs(*values))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            if not (_finite_real(a) and _finite_real(b)):
                continue
            a, b = mpmath.re(a), mpmath.re(b)
            size = max(abs(a), abs(b)) if scale == "relative" else max(1, abs(b))
            if size < NEGLIGIBLE:
                continue
            worst = max(worst, abs(a - b) / size)
            used += 1
            if used >= MIN_POINTS + 4:
                break
    return float(worst), used


def _finite_real(value) -> bool:
    if not mpmath.isfinite(value):
        return False
    return abs(mpmath.im(value)) <= mpmath.mpf(10) ** -25 * max(1, abs(mpmath.re(value)))


def check_equal(
    name: str,
    lhs: sp.Expr,
    rhs: sp.Expr,
    *,
    symbolic_difference: sp.Expr | None = None,
    deadline: Deadline | None = None,
) -> Check:
    r"""Check ``lhs == rhs`` symbolically and numerically.

    ``symbolic_difference`` replaces ``lhs - rhs`` in the symbolic test, e.g.
    with :math:`\log|g|` read as :math:`\log g` (same derivative, no signs).
    """
    difference = lhs - rhs if symbolic_difference is None else symbolic_difference
    symbolic = is_symbolically_zero(difference, deadline)
    residual, points = numeric_residual(lhs, rhs)
    return Check(name, symbolic, residual, points)


def check_antiderivative(name: str, result: sp.Expr, integrand: sp.Expr, x: sp.Symbol, deadline=None) -> Check:
    """Check :math:`F'(x) = f(x)` for an antiderivative :math:`F` of :math:`f`."""
    return check_equal(
        name,
        sp.diff(result, x),
        integrand,
        symbolic_difference=sp.diff(strip_abs_in_logs(result), x) - integrand,
        deadline=deadline,
    )


def check_numeric(
    name: str, lhs: sp.Expr, rhs: sp.Expr, *, scale: str = "relative", tolerance: float = RELATIVE_TOLERANCE
) -> Check:
    """A purely numeric check (for identities with no useful symbolic form, e.g. limits)."""
    residual, points = numeric_residual(lhs, rhs, scale)
    return Check(name, None, residual, points, tolerance)


QUADRATURE_POINTS = 5  # sample points of a quadrature part (each costs two 40-digit quadratures)


def check_quadrature(name: str, integral: sp.Integral) -> Check:
    r"""A quadrature part :math:`\int_a^{b} f(\xi)\,d\xi` evaluated by two independent 40-digit rules.

    At :data:`QUADRATURE_POINTS` sample points of its free symbols where both rules converge (their own
    error estimates below :data:`RELATIVE_TOLERANCE`; a point with a pole of the integrand between the
    limits, where the part has no value, is skipped), tanh-sinh and Gauss--Legendre quadrature (mpmath)
    must give the same finite value to :data:`RELATIVE_TOLERANCE`: the part is a well-defined number
    there, not only a symbol whose derivative is the integrand.
    """
    (variable, lower, upper), = integral.limits
    symbols = sorted(integral.free_symbols, key=lambda s: s.name)
    modules = [MPMATH_FUNCTIONS, PIECEWISE_MPMATH, "mpmath"]
    integrand = sp.lambdify([variable, *symbols], integral.function, modules=modules, dummify=True)
    limits = sp.lambdify(symbols, (lower, upper), modules=modules, dummify=True)
    worst, used = mpmath.mpf(0), 0
    with mpmath.workdps(DIGITS):
        for point in sample_points(symbols, MAX_TRIES):
            values = [point[s] for s in symbols]
            try:
                a, b = (mpmath.mpmathify(x) for x in limits(*values))
                found = [mpmath.quad(lambda x: integrand(x, *values), [a, b], method=method, error=True)
                         for method in ("tanh-sinh", "gauss-legendre")]
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            rules = [value for value, _ in found]
            if not all(_finite_real(q) for q in rules):
                continue
            first, second = (mpmath.re(q) for q in rules)
            size = max(abs(first), abs(second))
            if size < NEGLIGIBLE or any(estimate > RELATIVE_TOLERANCE * size for _, estimate in found):
                continue  # no value here (a pole of the integrand between the limits, which the motion never crosses)
            worst = max(worst, abs(first - second) / size)
            used += 1
            if used >= QUADRATURE_POINTS:
                break
    return Check(name, None, float(worst), used, RELATIVE_TOLERANCE, QUADRATURE_POINTS)


__all__ = [
    "Check",
    "Certificate",
    "check_equal",
    "check_antiderivative",
    "check_numeric",
    "check_quadrature",
    "is_symbolically_zero",
    "numeric_residual",
]
