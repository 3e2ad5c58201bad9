r"""An integration strategy that finishes: rules first, SymPy under a budget last.

SymPy's ``integrate`` on the integrands of this toolkit can run for minutes
(the hard paradigm with cross-entropy needs the dilogarithm, the LVML paradigm
with square or exponential loss the exponential integral). :func:`antiderivative`
therefore

1. expands the integrand into terms and integrates them one by one;
2. tries each term in the variable itself and after the substitutions
   :math:`w = e^{x}` and :math:`w = e^{-x}`;
3. matches each term against a small table of families:

   - rational functions (Hermite/Rothstein–Trager via ``ratint``);
   - :math:`R(y) e^{a y + b}` with :math:`R` a Laurent polynomial
     (integration by parts; negative powers give :math:`\operatorname{Ei}`);
   - :math:`m(y) e^{E(y)}` with :math:`m (E + k)/E'` constant:
     :math:`C e^{-k} \operatorname{Ei}(E + k)`;
   - :math:`P(y) \log Q(y)` with :math:`P` polynomial and :math:`Q` rational
     (by parts, then ``ratint``);
   - :math:`\log(A + B y^k)/y = \log A \log y - \operatorname{Li}_2(-B y^k/A)/k`;

4. falls back to SymPy's ``integrate`` in a worker process with a time budget.

Every result is returned uncertified: :mod:`analytic.certify` checks it by
differentiation before anything is emitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.integrals.rationaltools import ratint

from .budget import BudgetExceeded, Deadline, NoClosedForm, run_step

FALLBACK_SECONDS = 8.0  # budget for SymPy's own integrate on one term
_w = sp.Dummy("w", positive=True)


@dataclass(frozen=True)
class Antiderivative:
    r"""An antiderivative :math:`F` with :math:`F'(x) = f(x)` (not yet certified).

    Attributes
    ----------
    integrand, variable, result : the :math:`f`, :math:`x` and :math:`F`.
    methods : tuple of str
        The rule used for each term, for the certificate and for debugging.
    """

    integrand: sp.Expr
    variable: sp.Symbol
    result: sp.Expr
    methods: tuple[str, ...]


def antiderivative(integrand: sp.Expr, x: sp.Symbol, deadline: Deadline | None = None) -> Antiderivative | None:
    """Integrate ``integrand`` in ``x``; ``None`` when no rule applies in time.

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> antiderivative(sp.exp(x) * x, x).result
    (x - 1)*exp(x)
    """
    for scale in _SCALES:
        transformed, y = _substitute(integrand, x, scale)
        if transformed is not None and transformed.is_rational_function(y):
            result = _rational(sp.cancel(transformed), y)
            if result is not None:
                return Antiderivative(integrand, x, realify(_back(result, x, scale)), (_RULE_NAMES[scale],))
    total, methods = sp.Integer(0), []
    for term in _normal_terms(integrand, x):
        constant, dependent = term.as_independent(x, as_Add=False)
        if dependent == 1:
            total += constant * x
            methods.append("constant")
            continue
        found = _integrate_term(dependent, x, deadline)
        if found is None:
            return None
        result, method = found
        total += constant * result
        methods.append(method)
    return Antiderivative(integrand, x, realify(total), tuple(methods))


_SCALES = (None, 1, -1)  # integrate in x itself, in w = exp(x), in w = exp(-x)


def _substitute(expr: sp.Expr, x: sp.Symbol, scale: int | None) -> tuple[sp.Expr | None, sp.Symbol]:
    """The integrand in ``w = exp(scale x)``, including ``dx = dw/(scale w)``."""
    if scale is None:
        return expr, x
    transformed = sp.powsimp(expr.subs(x, sp.log(_w) / scale) / (scale * _w))
    return (None if transformed.has(x) else transformed), _w


def _back(result: sp.Expr, x: sp.Symbol, scale: int | None) -> sp.Expr:
    return result if scale is None else result.subs(_w, sp.exp(scale * x))


def _normal_terms(expr: sp.Expr, x: sp.Symbol) -> list[sp.Expr]:
    """Additive terms, each one fraction with its exponentials of ``x`` combined."""
    expr = sp.expand(sp.powsimp(expr, combine="exp"), power_exp=False, deep=False)
    terms = []
    for term in sp.Add.make_args(expr):
        numerator, denominator = sp.fraction(sp.together(term))
        numerator, denominator = (
            sp.powsimp(sp.factor_terms(sp.expand(part, power_exp=False)), combine="exp")
            for part in (numerator, denominator)
        )
        terms.append(sp.powsimp(numerator / denominator, combine="exp"))
    return terms


def _integrate_term(term: sp.Expr, x: sp.Symbol, deadline: Deadline | None):
    for scale in _SCALES:
        transformed, y = _substitute(term, x, scale)
        if transformed is None:
            continue
        result = _integrate_by_rules(transformed, y)
        if result is not None:
            return _back(result, x, scale), _RULE_NAMES[scale]
    try:
        result = run_step(sp.integrate, term, x, cap=FALLBACK_SECONDS, deadline=deadline, what="sympy.integrate")
    except (BudgetExceeded, NoClosedForm):
        return None
    if result.has(sp.Integral) or result.has(sp.exp_polar):
        return None
    return result, "sympy.integrate"


_RULE_NAMES = {None: "rules", 1: "rules, w = exp(x)", -1: "rules, w = exp(-x)"}


def _integrate_by_rules(expr: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    total = sp.Integer(0)
    for term in _normal_terms(expr, y):
        constant, dependent = term.as_independent(y, as_Add=False)
        if dependent == 1:
            total += constant * y
            continue
        for rule in _RULES:
            result = rule(dependent, y)
            if result is not None:
                total += constant * result
                break
        else:
            return None
    return total


def _rational(term: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    r""":math:`\int R(y)\,dy` for a rational function :math:`R`."""
    if not term.is_rational_function(y):
        return None
    try:
        pieces = sp.Add.make_args(sp.apart(term, y))
    except (NotImplementedError, sp.PolynomialError):
        pieces = (term,)
    result = sum((ratint(piece, y) for piece in pieces), sp.Integer(0))
    return None if result.has(sp.RootSum) else result


def _split_exponential(term: sp.Expr, y: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """Write ``term`` as ``m(y) * exp(E(y))`` with ``m`` free of exponentials of y."""
    exponent, rest = sp.Integer(0), sp.Integer(1)
    for factor in sp.Mul.make_args(sp.powsimp(term, combine="exp")):
        if isinstance(factor, sp.exp) and factor.has(y):
            exponent += factor.args[0]
        elif factor.is_Pow and isinstance(factor.base, sp.exp) and factor.base.has(y) and not factor.exp.has(y):
            exponent += factor.base.args[0] * factor.exp
        else:
            rest *= factor
    if exponent == 0 or any(isinstance(f, sp.exp) and f.has(y) for f in sp.preorder_traversal(rest)):
        return None
    return rest, sp.expand(exponent)


def _laurent_exponential(term: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    r""":math:`\int R(y) e^{a y + b} dy` for a Laurent polynomial :math:`R`.

    Non-negative powers by parts, :math:`\int y^n e^{ay} = e^{ay}\sum_k (-1)^k n^{\underline k} y^{n-k}/a^{k+1}`;
    negative powers by the recursion down to :math:`\int e^{ay}/y = \operatorname{Ei}(a y)`.
    """
    split = _split_exponential(term, y)
    if split is None:
        return None
    rest, exponent = split
    a, b = exponent.coeff(y, 1), exponent.coeff(y, 0)
    if a == 0 or a.has(y) or b.has(y) or sp.expand(exponent - a * y - b) != 0:
        return None
    total = sp.Integer(0)
    for piece in sp.Add.make_args(sp.expand(rest)):
        coefficient, monomial = piece.as_independent(y, as_Add=False)
        n = _power_of(monomial, y)
        if n is None:
            return None
        total += coefficient * sp.exp(b) * _power_times_exp(n, a, y)
    return total


def _power_of(monomial: sp.Expr, y: sp.Symbol) -> int | None:
    if monomial == 1:
        return 0
    if monomial == y:
        return 1
    if monomial.is_Pow and monomial.base == y and monomial.exp.is_Integer:
        return int(monomial.exp)
    return None


def _power_times_exp(n: int, a: sp.Expr, y: sp.Symbol) -> sp.Expr:
    r""":math:`\int y^n e^{a y}\,dy` for an integer :math:`n`."""
    if n >= 0:
        terms = sp.Integer(0)
        falling = sp.Integer(1)
        for k in range(n + 1):
            terms += (-1) ** k * falling * y ** (n - k) / a ** (k + 1)
            falling *= n - k
        return sp.exp(a * y) * terms
    if n == -1:
        return sp.Ei(a * y)
    m = -n
    # \int e^{ay} y^{-m} = -e^{ay} y^{1-m}/(m-1) + a/(m-1) \int e^{ay} y^{1-m}
    return -sp.exp(a * y) * y ** (1 - m) / (m - 1) + a / (m - 1) * _power_times_exp(n + 1, a, y)


def _shifted_exponential_integral(term: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    r""":math:`\int m e^{E} dy = C e^{-k}\operatorname{Ei}(E + k)` when :math:`m (E+k)/E' = C`."""
    split = _split_exponential(term, y)
    if split is None:
        return None
    m, exponent = split
    slope = sp.diff(exponent, y)
    if slope == 0:
        return None
    r0 = sp.cancel(m * exponent / slope)
    r1 = sp.cancel(m / slope)
    d0, d1 = sp.cancel(sp.diff(r0, y)), sp.cancel(sp.diff(r1, y))
    if d1 == 0:
        if d0 != 0:
            return None
        k = sp.Integer(0)
    else:
        k = sp.cancel(-d0 / d1)
        if k.has(y):
            return None
    constant = sp.cancel(r0 + k * r1)
    if constant.has(y):
        return None
    argument = sp.expand(exponent + k)
    if argument.is_polynomial(y):
        argument = sp.factor(argument)  # (v - 1)^2/2, not v^2/2 - v + 1/2: no cancellation near the root
    return constant * sp.exp(-k) * sp.Ei(argument)


def _split_log(term: sp.Expr, y: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """Write ``term`` as ``P(y) * log(Q(y))`` with one logarithm."""
    logs = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.log) and f.has(y)]
    if len(logs) != 1:
        return None
    factor = logs[0]
    rest = sp.cancel(term / factor)
    if rest.has(sp.log) and rest.has(y):
        return None
    return rest, factor.args[0]


def _polynomial_times_log(term: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    r""":math:`\int P \log Q = \hat P \log Q - \int \hat P Q'/Q`, :math:`\hat P = \int P`."""
    split = _split_log(term, y)
    if split is None:
        return None
    poly, argument = split
    if not poly.is_polynomial(y) or not argument.is_rational_function(y):
        return None
    primitive = sp.integrate(sp.Poly(poly, y).as_expr(), y)
    remainder = _rational(sp.cancel(primitive * sp.diff(argument, y) / argument), y)
    if remainder is None:
        return None
    return primitive * sp.log(argument) - remainder


def _dilogarithm(term: sp.Expr, y: sp.Symbol) -> sp.Expr | None:
    r""":math:`\int \log(A + B y^k)/y\,dy = \log A \log y - \operatorname{Li}_2(-B y^k / A)/k`, :math:`A > 0`."""
    split = _split_log(term, y)
    if split is None:
        return None
    weight, argument = split
    if sp.cancel(weight * y) != 1:
        return None
    head, tail = sp.expand(argument).as_independent(y, as_Add=True)
    coefficient, power = sp.factor_terms(tail).as_independent(y, as_Add=False)
    k = 1 if power == y else (power.exp if power.is_Pow and power.base == y else None)
    if k is None or not sp.sympify(k).is_number or not is_positive(head):
        return None
    return sp.log(head) * sp.log(y) - sp.polylog(2, -coefficient * power / head) / k


_RULES = (
    _rational,
    _laurent_exponential,
    _shifted_exponential_integral,
    _dilogarithm,
    _polynomial_times_log,
)


def is_positive(expr: sp.Expr) -> bool:
    """Whether ``expr`` is provably positive given T >= 2, c >= 2 and 0 < p < 1."""
    from .symbols import T, c, p

    tau, kappa, rho = sp.symbols("tau kappa rho", positive=True)
    shifted = expr.subs({T: 1 + tau, c: 1 + kappa, p: 1 / (1 + rho)})
    return bool(shifted.is_positive or sp.expand(shifted).is_positive)


def realify(expr: sp.Expr) -> sp.Expr:
    r"""Make an antiderivative real for real arguments.

    :math:`\log g` becomes :math:`\log|g|` where :math:`g > 0` is not provable
    (the derivative is unchanged wherever :math:`g \ne 0`), and
    :math:`\log e^{x}` becomes :math:`x`.
    """

    def fix(argument):
        if is_positive(argument) or isinstance(argument, sp.Abs):
            return sp.log(argument)
        return sp.log(sp.Abs(argument))

    return expr.replace(lambda e: isinstance(e, sp.log), lambda e: fix(e.args[0]))
