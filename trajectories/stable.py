r"""Numerically stable NumPy functions from the engine's symbolic expressions.

Lambdifying a formula as written loses accuracy at large arguments:
:math:`\log(1 + e^{-v})` is 0 in floating point for :math:`v > 37`,
:math:`\log(e^{v} + a)` overflows at :math:`v > 709`,
:math:`\operatorname{Ei}(x)` underflows to :math:`-\infty` for tiny :math:`x`,
and :math:`\log\omega(z)` is :math:`-\infty` once :math:`\omega(z)` underflows.
:func:`stabilise` rewrites an expression, exactly, into forms without these
losses before :func:`numpy_function` lambdifies it:

- :math:`\log(1 + x) \to \operatorname{log1p}(x)`, :math:`e^{x} - 1 \to \operatorname{expm1}(x)`;
- :math:`\log(e^{a} + b) \to \operatorname{logaddexp}(a, \log b)` for :math:`b > 0`;
- :math:`\operatorname{Ei}(x) \to \operatorname{Ein}^*(x) + \log|x|` with
  :math:`\operatorname{Ein}^*(x) = \operatorname{Ei}(x) - \log|x|` evaluated by its
  series near 0, and :math:`\log|x|` expanded symbolically;
- :math:`\log\omega(z) \to z - \omega(z)` for :math:`z \le 1` (no underflow);
- :math:`\operatorname{Li}_2(x)` by its series for small :math:`|x|` (SciPy's
  ``spence(1 - x)`` loses the relative accuracy there), and
  :math:`\operatorname{Li}_2(-C e^{E})` from :math:`L = \log C + E` by inversion
  when :math:`L > 0`, so its argument never overflows.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import mpmath

import numpy as np
import sympy as sp
from scipy import special
from sympy.codegen.rewriting import expm1_opt, log1p_opt, optimize
from sympy.core.function import AppliedUndef

from analytic import cache, serial
from analytic.certify import domain
from analytic.errors import BadInput
from analytic.integration import is_positive
from analytic.recheck import seed_of
from analytic.special import MPMATH_FUNCTIONS, WrightOmega, dilog, numpy_functions

EULER_GAMMA = 0.57721566490153286061
SERIES_RADIUS = 0.5  # |x| below which Ei(x) - log|x| is summed as a series
SERIES_TERMS = 30  # enough for 1e-17 relative at |x| = 0.5
STATE_NAMES = frozenset({"u", "v", "s", "p", "q", "S"})  # variables (not parameters) of the compiled functions


class LogWrightOmega(sp.Function):
    r""":math:`\log\omega(z)` (placeholder for stable evaluation)."""


class EiMinusLog(sp.Function):
    r""":math:`\operatorname{Ei}(x) - \log|x|` (placeholder for stable evaluation)."""


class DilogNegExp(sp.Function):
    r""":math:`\operatorname{Li}_2(-e^{L})` (placeholder: evaluated from :math:`L` without forming :math:`e^{L}`)."""


class LogAddExp(sp.Function):
    r""":math:`\log(e^{a} + e^{b})` (placeholder for stable evaluation)."""


serial.register_function(LogWrightOmega, EiMinusLog, DilogNegExp, LogAddExp)


def log_wright_omega(z, omega=None):
    r""":math:`\log\omega(z)`: direct for :math:`z > 1`, else :math:`z - \omega(z)` (no underflow).

    ``omega`` may pass :math:`\omega(z)` when the caller already has it.
    """
    z = np.asarray(z, dtype=float)
    if omega is None:
        omega = special.wrightomega(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(z > 1, np.log(omega), z - omega)


def ei_minus_log(x):
    r""":math:`\operatorname{Ei}(x) - \log|x| = \gamma + \sum_{k \ge 1} x^k/(k\,k!)`."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < SERIES_RADIUS
    series = np.full_like(x, EULER_GAMMA)
    term = np.ones_like(x)
    xs = np.where(small, x, 0.0)
    for k in range(1, SERIES_TERMS + 1):
        term = term * xs / k
        series = series + term / k
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = special.expi(np.where(small, 1.0, x)) - np.log(np.abs(np.where(small, 1.0, x)))
    return np.where(small, series, direct)


def real_expint(order, x):
    r"""Real part of the generalised exponential integral :math:`E_n(x)`, integer :math:`n \ge 1`.

    SymPy's antiderivatives use :math:`E_n` at negative arguments too, where it
    is complex; its imaginary part there contributes a constant to a first
    integral with real coefficients (e.g. :math:`\operatorname{Im} E_2(-y) = -\pi y`
    multiplied by :math:`e^{v}` with :math:`y = e^{-v}`), so the real part is an
    antiderivative as good. :math:`\operatorname{Re} E_1(x) = -\operatorname{Ei}(-x)`
    for :math:`x < 0`, and :math:`E_{k+1}(x) = (e^{-x} - x E_k(x))/k`.
    """
    x = np.asarray(x, dtype=float)
    order = int(order)
    if order < 1:
        raise BadInput(f"`order` of E_n must be an integer >= 1, got {order}")
    with np.errstate(all="ignore"):
        value = np.where(x > 0, special.exp1(np.where(x > 0, x, 1.0)), -special.expi(-np.where(x > 0, -1.0, x)))
        for k in range(1, order):
            value = (np.exp(-x) - x * value) / k
    return value


def stabilise(expr: sp.Expr) -> sp.Expr:
    """Rewrite ``expr`` exactly into a form that evaluates stably in floating point."""
    expr = expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], WrightOmega),
        lambda e: LogWrightOmega(e.args[0].args[0]),
    )
    expr = expr.replace(
        lambda e: isinstance(e, sp.Ei),
        lambda e: EiMinusLog(e.args[0]) + log_abs(e.args[0]),
    )
    expr = expr.replace(lambda e: isinstance(e, sp.log) and _exp_plus_positive(e.args[0]) is not None, _log_add_exp)
    expr = expr.replace(lambda e: isinstance(e, sp.polylog) and _negative_exponential(e) is not None, _dilog_neg_exp)
    # term by term: optimize() on a whole sum may put it over a common denominator
    # (e^{2s} e^{-s} overflows where e^{s} does not)
    return sp.Add(*(optimize(term, [log1p_opt, expm1_opt]) for term in sp.Add.make_args(expr)))


_SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a change of these rules is a cache miss
_stabilised: dict = {}
CACHE_KIND = "stable form"
CHECK_POINTS = 3  # valid random points a stored stable form must match its expression at
CHECK_TRIES = 60
CHECK_TOLERANCE = 1e-8  # |stable - exact| / max(1, |exact|), float64 against 30-digit mpmath
WELL_CONDITIONED = 1e-11  # points where the expression as written is this accurate in float64 are the test points


def _is_stable_form_of(stored, expr: sp.Expr) -> bool:
    """Whether a stable form read from disk is ``expr``: no other symbols or unknowns, and the same
    values (float64 against 30-digit mpmath) at :data:`CHECK_POINTS` random points where ``expr``
    itself is well conditioned."""
    if not isinstance(stored, sp.Expr) or not stored.free_symbols <= expr.free_symbols:
        return False
    found = sorted(expr.atoms(sp.Integral, AppliedUndef), key=sp.default_sort_key)  # quadrature placeholders
    opaque = {e: sp.Dummy(f"opaque{k}") for k, e in enumerate(found)}
    if not set(stored.atoms(sp.Integral, AppliedUndef)) <= set(opaque):
        return False
    symbols = sorted(expr.free_symbols, key=lambda s: s.name) + list(opaque.values())
    fast = sp.lambdify(symbols, stored.xreplace(opaque), modules=MODULES)
    naive = sp.lambdify(symbols, expr.xreplace(opaque), modules=MODULES)
    exact = sp.lambdify(symbols, expr.xreplace(opaque), modules=[MPMATH_FUNCTIONS, "mpmath"])
    rng = random.Random(seed_of(stored, expr))
    passed = 0
    with mpmath.workdps(30), np.errstate(all="ignore"):
        for _ in range(CHECK_TRIES):
            point = [rng.uniform(*domain(s)) for s in symbols]
            try:
                reference = mpmath.mpmathify(exact(*(mpmath.mpf(x) for x in point)))
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            if not (mpmath.isfinite(reference) and mpmath.im(reference) == 0):
                continue
            reference, size = float(reference), max(1.0, abs(float(reference)))
            direct = complex(naive(*point))
            if not (np.isfinite(direct) and abs(direct - reference) <= WELL_CONDITIONED * size):
                continue  # the expression itself is ill-conditioned here: no fair test of its stable form
            value = complex(fast(*point))
            if not np.isfinite(value) or abs(value - reference) > CHECK_TOLERANCE * size:
                return False
            passed += 1
            if passed >= CHECK_POINTS:
                return True
    return False


def stabilised(expr: sp.Expr) -> sp.Expr:
    """:func:`stabilise`, remembered in memory and in the derivation cache on disk (:mod:`analytic.cache`)."""
    if expr in _stabilised:
        return _stabilised[expr]
    name = "stable-" + cache.key(_SOURCE, expr)
    found = cache.load(name, CACHE_KIND, lambda stored: _is_stable_form_of(stored, expr))
    if found is None:
        found = stabilise(expr)
        cache.store(name, CACHE_KIND, found)
    _stabilised[expr] = found
    return found


def log_abs(x: sp.Expr) -> sp.Expr:
    r""":math:`\log|x|` split over products and powers, :math:`\log|e^{a}| = a` (a real)."""
    if isinstance(x, sp.Mul):
        return sp.Add(*(log_abs(factor) for factor in x.args))
    if isinstance(x, sp.Pow) and x.exp.is_real:
        return x.exp * log_abs(x.base)
    if isinstance(x, sp.exp) and x.args[0].is_real:
        return x.args[0]
    if x.is_number:
        return sp.log(sp.Abs(x))
    return sp.log(sp.Abs(x))


def dilog_neg_exp(level):
    r""":math:`\operatorname{Li}_2(-e^{L})`; for :math:`L > 0` by inversion,
    :math:`-\pi^2/6 - L^2/2 - \operatorname{Li}_2(-e^{-L})`, so :math:`e^{L}` never overflows."""
    level = np.asarray(level, dtype=float)
    result = np.empty_like(level)
    low = level <= 0
    result[low] = dilog(-np.exp(level[low]))
    high = ~low
    result[high] = -np.pi**2 / 6 - level[high] ** 2 / 2 - dilog(-np.exp(-level[high]))
    return result


def _exp_plus_positive(argument: sp.Expr):
    if not isinstance(argument, sp.Add):
        return None
    exponentials = [term for term in argument.args if isinstance(term, sp.exp)]
    if len(exponentials) != 1:
        return None
    rest = argument - exponentials[0]
    if any(symbol.name in STATE_NAMES for symbol in rest.free_symbols) or not is_positive(rest):
        return None
    return exponentials[0].args[0], rest


def _negative_exponential(e):
    """For Li2(-C e^{E}) with C > 0 a number: log C + E, else None."""
    if e.args[0] != 2:
        return None
    factors = sp.Mul.make_args(-e.args[1])
    exponentials = [f for f in factors if isinstance(f, sp.exp)]
    coefficient = sp.Mul(*(f for f in factors if not isinstance(f, sp.exp)))
    if not exponentials or not is_positive(coefficient):
        return None
    return sp.log(coefficient) + sp.Add(*(f.args[0] for f in exponentials))


def _dilog_neg_exp(e):
    return DilogNegExp(_negative_exponential(e))


def _log_add_exp(e):
    exponent, rest = _exp_plus_positive(e.args[0])
    return LogAddExp(exponent, sp.log(rest))


NUMPY_FUNCTIONS = {
    **numpy_functions(),
    "LogWrightOmega": log_wright_omega,
    "EiMinusLog": ei_minus_log,
    "LogAddExp": np.logaddexp,
    "DilogNegExp": dilog_neg_exp,
    "expint": real_expint,
}


#: The lambdify module mapping for the toolkit's formulas (Wright omega, Ei, Li2, E_n and the
#: stable placeholders onto SciPy/NumPy): ``sympy.lambdify(args, expr, modules=MODULES)``.
MODULES = [NUMPY_FUNCTIONS, "numpy"]


def lambdify(symbols, expr: sp.Expr, *, stable: bool = True):
    """A vectorised NumPy function of a toolkit formula (``stable``: rewritten by :func:`stabilise` first).

    Examples
    --------
    >>> from analytic import derive, symbols as s
    >>> d = derive("hard", "exponential", segments=10, alpha=1, beta=1)
    >>> focus = lambdify((s.v, s.u0, s.v0), d.trajectory.focus)
    >>> round(float(focus(0.0, 0.0, 0.0)), 12)
    0.0
    """
    return sp.lambdify(symbols, stabilised(expr) if stable else expr, modules=MODULES, cse=True, dummify=True)


def numpy_function(expr: sp.Expr, *symbols: sp.Symbol, functions: dict | None = None):
    """A vectorised NumPy function of ``symbols`` evaluating ``stabilise(expr)``.

    ``functions`` adds name -> callable entries (e.g. the quadrature placeholders of a compiled model).
    The arguments are renamed in the generated code (``dummify``), so a parameter may be called
    ``q``, ``x0``, ``exp1`` or ``where`` without colliding with the toolkit's symbols or names.
    """
    modules = [{**NUMPY_FUNCTIONS, **(functions or {})}, "numpy"]
    return sp.lambdify(symbols, stabilised(expr), modules=modules, cse=True, dummify=True)
