r"""Compiled models: one symbolic derivation, lambdified once, parameters as arguments.

A derivation symbolic in the setting (:math:`T`, :math:`c`, :math:`\alpha`,
:math:`\beta` and the user's parameters) is compiled into vectorised NumPy
functions of the state *and* the parameters, so one compiled model serves
every numeric setting of the same model (no re-derivation) and broadcasts over
arrays of settings. Every function takes the state first, then the parameter
vector :math:`\theta = (T - 1, c - 1, \alpha, \beta, \text{user parameters...})`
(:math:`T - 1` and :math:`c - 1` are positive symbols, so the stable rewrites of
:mod:`trajectories.stable` can prove the signs they need).

For a paradigm model the flow is evaluated in attention form with
:math:`q = 1 - p` kept separately; for a whole loss :math:`L(u, v)` in
:math:`(u, v)`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from analytic import symbols as sym
from analytic.derivation import Derivation
from analytic.errors import BadInput, NotAvailable
from analytic.special import MPMATH_FUNCTIONS

from .quadrature import definite_integral
from .stable import numpy_function as stable_function
from .stable import stabilised

OTHERS = sp.Symbol("K", positive=True)  # T - 1
RIVALS = sp.Symbol("C", positive=True)  # c - 1
LIMIT = sp.Symbol("w", real=True)  # a finite limit v* of the margin (an argument of the finite-side functions)
Q = sp.Symbol("q", positive=True)  # 1 - p, kept separate for accuracy
S = sp.Symbol("s", real=True)  # the closed form's margin coordinate
SETTING_SYMBOLS = (OTHERS, RIVALS, sym.alpha, sym.beta)
BISECTION_STEPS = 200
SCALAR_FUNCTIONS = frozenset({"exp", "log", "log1p", "expm1", "sqrt", "Abs", "sin", "cos", "tanh", "atan"})


class _Deferred:
    def __init__(self, make):
        self.make = make


class LazyFunctions(dict):
    """A dict whose :meth:`defer` entries are built on first access (a model's unused functions are never lambdified)."""

    def defer(self, name: str, make) -> None:
        dict.__setitem__(self, name, _Deferred(make))

    def __getitem__(self, name):
        value = dict.__getitem__(self, name)
        if isinstance(value, _Deferred):
            value = value.make()
            dict.__setitem__(self, name, value)
        return value

    def get(self, name, default=None):
        return self[name] if name in self else default

    def build_all(self) -> None:
        """Build every deferred entry now (e.g. before forking workers that will all need them)."""
        for name in list(self):
            self[name]


def _shift(expr: sp.Expr) -> sp.Expr:
    """Write ``expr`` in T - 1 and c - 1 (positive symbols)."""
    return expr.subs({sym.T: 1 + OTHERS, sym.c: 1 + RIVALS})


class Quadratures:
    r"""Definite integrals of a first integral, replaced by functions ``QuadratureK(x, *theta)`` for lambdify.

    Each evaluates :math:`\int_{x_0}^{x} f(\xi; \theta)\,d\xi` with :func:`trajectories.quadrature.definite_integral`.
    """

    def __init__(self, arguments: tuple):
        self.arguments = arguments
        self.functions: dict = {}
        self.errors: dict = {}

    def replace(self, expr: sp.Expr) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, sp.Integral), self._placeholder)

    def _placeholder(self, integral: sp.Integral) -> sp.Expr:
        (variable, lower, upper), = integral.limits
        name = f"Quadrature{len(self.functions)}"
        integrand = stable_function(integral.function, variable, *self.arguments)
        start = float(lower)

        def value(x, *theta):
            return definite_integral(lambda xi: integrand(xi, *theta), start, x)[0]

        def error(x, *theta):
            return definite_integral(lambda xi: integrand(xi, *theta), start, x)[1]

        self.functions[name] = value
        self.errors[name] = error
        return sp.Function(name)(upper, *self.arguments)


@dataclass(eq=False)
class CompiledModel:
    r"""Vectorised functions of one derivation; see the module docstring.

    Attributes
    ----------
    derivation : the certified derivation, symbolic in the parameters.
    parameters : the user's parameter symbols, in argument order (after the setting's four).
    whole_loss : ``True`` for a user's L(u, v) (no attention), else a paradigm model.
    softmax_focus : whether the first integral's focus part is
        :math:`A(u) = u + e^{u - o}` with :math:`p = \sigma(u - o)` (:math:`o = \log(T - 1)`
        for the default attention): the Wright-omega closed form applies.
    """

    derivation: Derivation
    parameters: tuple
    whole_loss: bool
    softmax_focus: bool
    functions: dict
    _sides: dict = field(default_factory=dict)

    def theta(self, segments: float, classes: float, alpha: float, beta: float, values: dict) -> tuple:
        """The parameter vector for numeric values (``values``: user parameter name -> number)."""
        missing = [s.name for s in self.parameters if s.name not in values]
        if missing:
            raise BadInput(f"`params` needs a value for {', '.join(missing)} (e.g. --param {missing[0]}=1)")
        return (float(segments) - 1, float(classes) - 1, float(alpha), float(beta)) + tuple(
            float(values[s.name]) for s in self.parameters
        )

    @functools.cached_property
    def jacobian(self) -> tuple:
        """The flow's partial derivatives in the state (rows du, dv), compiled on first use (ODE methods only).

        A kink of the loss (``Max``, ``Abs``, ``Heaviside``) differentiates to ``DiracDelta`` terms: they are
        0 wherever the derivative exists, so they are dropped (the integrator steps over the kink)."""
        state, rates, arguments = self.functions["state"], self.functions["rate_exprs"], SETTING_SYMBOLS + self.parameters
        return tuple(tuple(self.functions["numpy_function"](_without_delta(sp.diff(rate, x)), *state, *arguments) for x in state)
                     for rate in rates)

    @functools.cached_property
    def scalar_rates(self):
        """The flow as one function of Python floats (the ``math`` module), or ``None`` when its
        stable form needs more than elementary functions. For loops of single steps, where NumPy's
        per-call overhead would dominate; it raises on overflow (the caller falls back to the arrays)."""
        state, arguments = self.functions["state"], SETTING_SYMBOLS + self.parameters
        rates = [stabilised(rate) for rate in self.functions["rate_exprs"]]
        names = {type(f).__name__ for rate in rates for f in rate.atoms(sp.Function)}
        if not names <= SCALAR_FUNCTIONS:
            return None
        return sp.lambdify((*state, *arguments), rates, modules="math", cse=True, dummify=True)

    def warm(self, finite_limit: bool) -> None:
        """Compile every function now (the flow, its Jacobian, the closed form's and both sides' margin functions)."""
        self.functions.build_all()
        self.jacobian, self.scalar_rates  # noqa: B018 (cached properties, built here)
        if self.functions.get("margin_expr") is not None:
            for functions in self.side_functions(finite_limit).values():
                functions.build_all()

    def side_functions(self, finite_limit: bool) -> dict:
        """The margin-coordinate functions: ``v = s`` or, towards a finite limit, ``v = v* - side e^{-s}``."""
        if finite_limit not in self._sides:
            self._sides[finite_limit] = _side_functions(self, finite_limit)
        return self._sides[finite_limit]


def compile_derivation(derivation: Derivation) -> CompiledModel:
    """Lambdify ``derivation`` once (milliseconds to a second); see :func:`compiled_model`."""
    if derivation.invariant is None and derivation.flow is None:
        raise NotAvailable(f"no flow to compile: {derivation.message}")
    parameters = sym.parameters_of(derivation.loss_expr)
    whole = derivation.is_whole_loss
    functions = LazyFunctions()
    if whole:
        state = (sym.u, sym.v)
        rates = [_shift(derivation.flow.du), _shift(derivation.flow.dv)]
        loss = _shift(derivation.loss_expr)
    else:
        state = (sym.p, Q, sym.v)
        rates = [_with_q(_shift(derivation.flow_in_attention.du)), _with_q(_shift(derivation.flow_in_attention.dv))]
        loss = _with_q(_shift(derivation.loss_in_attention))
    arguments = SETTING_SYMBOLS + parameters
    quadratures = Quadratures(arguments)

    def numpy_function(expr, *symbols):
        return stable_function(expr, *symbols, functions=quadratures.functions)

    functions["numpy_function"] = numpy_function
    functions["state"] = state
    functions.defer("rates", lambda: tuple(numpy_function(rate, *state, *arguments) for rate in rates))
    functions["rate_exprs"] = tuple(rates)
    functions.defer("loss", lambda: numpy_function(loss, *state, *arguments))
    offset = None
    if not whole:
        # p = sigma(u - o) with o = log((1 - p(0))/p(0)): log(T - 1) for the default map
        at_zero = _shift(derivation.attention.subs(sym.u, 0))
        offset = sp.simplify(sp.log((1 - at_zero) / at_zero))
        functions.defer("offset", lambda: numpy_function(offset, *arguments))
    softmax = False
    if derivation.invariant is not None:
        focus = quadratures.replace(_shift(derivation.invariant.focus_part))
        margin = quadratures.replace(_shift(derivation.invariant.margin_part))
        if derivation.invariant.quadrature:
            functions["margin_error"] = _error_function(margin, quadratures, arguments)
        functions.defer("invariant", lambda: numpy_function(focus - margin, sym.u, sym.v, *arguments))
        functions.defer("focus_part", lambda: numpy_function(focus, sym.u, *arguments))
        functions.defer("focus_slope", lambda: numpy_function(sp.diff(_shift(derivation.invariant.focus_part), sym.u), sym.u, *arguments))
        functions.defer("margin_part", lambda: numpy_function(margin, sym.v, *arguments))
        functions["margin_expr"] = margin
        softmax = not whole and sp.simplify(focus - (sym.u + sp.exp(sym.u - offset))) == 0
        trajectory = derivation.trajectory
        if trajectory is not None and not softmax and not focus.has(*map(sp.Function, quadratures.functions)):
            functions.defer("focus_of_level", lambda: numpy_function(_shift(trajectory.focus_of_level), trajectory.level_symbol, *arguments))
    minimiser = None if derivation.loss is None else derivation.loss.minimiser
    functions["minimiser"] = minimiser
    if derivation.loss is not None:
        functions.defer("segment_slope", lambda: numpy_function(_shift(sp.diff(derivation.loss.expr, sym.v)), sym.v, *arguments))
    return CompiledModel(derivation, parameters, whole, bool(softmax), functions)


def _error_function(margin: sp.Expr, quadratures: Quadratures, arguments: tuple):
    """The summed error estimates of the quadrature parts of B(v) (coefficients taken in absolute value)."""
    pieces = [(term, name) for term in sp.Add.make_args(margin) for name in quadratures.functions if term.has(sp.Function(name))]
    compiled = []
    for term, name in pieces:
        placeholder = next(e for e in term.atoms(sp.Function) if e.func.__name__ == name)
        coefficient = stable_function(sp.Abs(term / placeholder), *arguments)
        compiled.append((coefficient, quadratures.errors[name]))

    def error(v, *theta):
        return sum(np.abs(coefficient(*theta)) * estimate(v, *theta) for coefficient, estimate in compiled)

    return error


def _side_functions(model: CompiledModel, finite_limit: bool) -> dict:
    """``v_of_s``, ``s_of_v``, ``margin`` (B in s) and ``time`` (dt/ds) for each side of the limit
    (without a finite limit: for a margin that grows, side 1, or falls, side -1)."""
    arguments = SETTING_SYMBOLS + model.parameters
    margin = model.functions["margin_expr"]
    rate_v = model.functions["rate_exprs"][1]
    state = model.functions["state"][:-1]  # (p, q) or (u,)
    numpy_function = model.functions["numpy_function"]
    by_side = {}
    known = model.functions["minimiser"]
    # the coordinate s and the limit w, primed when a parameter has their name (they are real, as parameters are)
    coordinate, limit_symbol = (sym.fresh(x, margin, rate_v) for x in (S, LIMIT))
    # a limit known symbolically goes in as an expression, so B(v* - side e^{-s}) simplifies
    # exactly (log|v - v*| -> -s); otherwise it is the argument w
    limit = _shift(known) if known is not None and known.is_finite else limit_symbol
    for side in (1, -1):
        # towards a finite limit v*: v = v* - side e^{-s}; otherwise v = side s (s grows with time either way)
        if finite_limit:
            v_of_s, s_of_v = limit - side * sp.exp(-coordinate), -sp.log(side * (limit - sym.v))
        else:
            v_of_s, s_of_v = side * coordinate, side * sym.v
        extra = (limit_symbol,) if finite_limit else ()
        side_functions = by_side[side] = LazyFunctions()
        side_functions.defer("v_of_s", lambda v_of_s=v_of_s, extra=extra: numpy_function(v_of_s, coordinate, *extra))
        side_functions.defer("s_of_v", lambda s_of_v=s_of_v, extra=extra: numpy_function(s_of_v, sym.v, *extra))
        side_functions.defer("margin", lambda v_of_s=v_of_s, extra=extra: numpy_function(margin.subs(sym.v, v_of_s), coordinate, *extra, *arguments))
        side_functions.defer("time", lambda v_of_s=v_of_s, extra=extra: numpy_function(
            sp.cancel(sp.diff(v_of_s, coordinate) / rate_v.subs(sym.v, v_of_s)), *state, coordinate, *extra, *arguments))
    return by_side


def _without_delta(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every ``DiracDelta`` term set to 0 (its value away from the kink)."""
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0)) if expr.has(sp.DiracDelta) else expr


def _with_q(expr: sp.Expr) -> sp.Expr:
    return expr.subs(1 - sym.p, Q)


@functools.lru_cache(maxsize=64)
def compiled_model(derivation: Derivation) -> CompiledModel:
    """The compiled model of ``derivation`` (cached per derivation)."""
    return compile_derivation(derivation)


def _underflowed(model: CompiledModel, theta: tuple, where: float, start: float) -> bool:
    """Whether the segment loss's slope at ``where`` still has the start's sign in 30-digit arithmetic."""
    import mpmath

    slope = _shift(sp.diff(model.derivation.loss.expr, sym.v))
    exact = sp.lambdify((sym.v,) + SETTING_SYMBOLS + model.parameters, slope, [MPMATH_FUNCTIONS, "mpmath"], dummify=True)
    with mpmath.workdps(30):
        try:
            value = exact(mpmath.mpf(where), *(mpmath.mpf(x) for x in theta))
        except ZeroDivisionError:  # the slope is infinite there (sqrt|1 - v| at v = 1): a real change of sign, no underflow
            return False
    return bool(value != 0 and mpmath.sign(value) == np.sign(start))


def numeric_minimiser(model: CompiledModel, theta: tuple) -> float:
    r"""Where :math:`\dot v = -\ell'(v)` from 0 converges, for numeric parameters.

    The symbolic minimiser when the derivation has one; else the first zero of
    :math:`\ell'` downhill from 0 (a scan over a growing range, then Brent), or
    :math:`\pm\infty`.
    """
    minimiser = model.functions["minimiser"]
    if minimiser is not None:
        if minimiser.free_symbols:
            value = sp.lambdify(SETTING_SYMBOLS + model.parameters, _shift(minimiser), "math", dummify=True)(*theta)
            return float(value)
        return float(minimiser)
    slope = model.functions["segment_slope"]

    def at(x):
        with np.errstate(all="ignore"):
            return float(np.asarray(slope(np.float64(x), *theta)))

    start = at(0.0)
    if not np.isfinite(start):
        raise BadInput("the segment loss's slope is not finite at v = 0 for these parameters")
    if start == 0:
        return 0.0
    direction = -1.0 if start > 0 else 1.0
    previous, width = 0.0, 1e-3
    while width <= 1e6:
        grid = direction * np.linspace(previous * direction, width, 64)
        values = np.array([at(x) for x in grid])
        sign_change = np.nonzero(np.sign(values) != np.sign(start))[0]
        if sign_change.size:
            k = int(sign_change[0])
            lo, hi = float(grid[k - 1]), float(grid[k])  # the slope keeps its start sign at lo, not at hi
            for _ in range(BISECTION_STEPS):
                middle = (lo + hi) / 2
                if middle in (lo, hi):
                    break
                if np.sign(at(middle)) == np.sign(start):
                    lo = middle
                else:
                    hi = middle
            if _underflowed(model, theta, hi, start):
                return direction * np.inf  # the slope only rounds to 0 in float64 (e.g. e^{-2v} past v = 355)
            return hi
        previous, width = width * direction, width * 10
    return direction * np.inf
