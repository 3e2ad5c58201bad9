r"""Models with any number of state variables: a loss :math:`L(\theta_1, \dots, \theta_n)` and its flow.

Each state :math:`\theta_i` follows the gradient flow at its own rate :math:`r_i`
(1 unless given, or a number, or the setting's rate symbols ``alpha``/``beta``):

.. math:: \frac{d\theta_i}{dt} = -r_i \, \frac{\partial L}{\partial \theta_i}, \qquad i = 1, \dots, n.

Every component of the flow is certified twice: symbolically (the emitted
component plus :math:`r_i \partial L / \partial \theta_i` simplifies to 0) and
numerically, against a central finite difference of :math:`L` in mpmath at
:data:`~analytic.certify.DIGITS` digits (a computation that does not use the
symbolic derivative).

>>> model = state_model("q,k=2", "q*k - log(q)")
>>> [str(f) for f in state_flow(model).flow]
['-k + 1/q', '-2*q']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

from . import symbols as sym
from .certify import DIGITS, MIN_POINTS, MAX_TRIES, Certificate, Check, is_symbolically_zero, sample_points
from .errors import BadInput
from .parsing import CONSTANTS, FUNCTIONS, MAX_PARAMETER_NAME, parse_expression
from .special import MPMATH_FUNCTIONS

MAX_STATES = 64  # state variables of one model
RATE_SYMBOLS = {s.name: s for s in (sym.alpha, sym.beta)}
#: Names a state may not take: the time, the setting's own constants and rates, the start symbols.
RESERVED = frozenset({sym.t.name, sym.T.name, sym.c.name, sym.p.name, sym.u0.name, sym.v0.name}) | frozenset(RATE_SYMBOLS)
FD_STEP = mpmath.mpf(10) ** -12  # central difference step at DIGITS digits: error ~ step^2, far below the tolerance
FD_TOLERANCE = 1e-18  # relative agreement of the flow with the finite difference (step^2 ~ 1e-24 plus rounding)


def state_symbol(name: str) -> sp.Symbol:
    """The real symbol of state ``name`` (``u`` and ``v`` are the setting's own)."""
    return sym.BY_NAME.get(name) or sp.Symbol(name, real=True)


def check_state_name(name: str, label: str = "state") -> str:
    """A state name: an identifier of the parser's grammar, not a function, constant or reserved symbol."""
    if not isinstance(name, str):
        raise TypeError(f"`{label}` names must be strings, got {type(name).__name__}")
    if not (name.isascii() and name.isidentifier()) or len(name) > MAX_PARAMETER_NAME:
        raise BadInput(f"`{label}` names must be ASCII identifiers of at most {MAX_PARAMETER_NAME} characters, got {name[:40]!r}")
    if name in FUNCTIONS or name in CONSTANTS:
        raise BadInput(f"`{label}` name {name!r} is the name of a function or constant")
    if name in RESERVED:
        raise BadInput(f"`{label}` name {name!r} is reserved (the time, T, c, p, u0, v0 and the rates alpha, beta)")
    return name


def parse_rate(text: str, label: str) -> sp.Expr:
    """A rate: a number > 0 or an expression in ``alpha``, ``beta`` (e.g. ``alpha``, ``2*beta``)."""
    rate = parse_expression(text, RATE_SYMBOLS, label=label)
    return check_rate(rate, label)


def check_rate(rate, label: str) -> sp.Expr:
    """A rate > 0: a positive number, or a positive expression of ``alpha`` and ``beta``."""
    rate = sp.sympify(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else rate
    if not isinstance(rate, sp.Expr) or isinstance(rate, sp.logic.boolalg.BooleanAtom):
        raise TypeError(f"`{label}` must be a number or an expression of alpha and beta, got {rate!r}")
    if not rate.free_symbols <= set(RATE_SYMBOLS.values()):
        raise BadInput(f"`{label}` may only use alpha and beta, got {rate}")
    if rate.is_positive is not True or rate.has(sp.nan, sp.zoo, sp.oo):
        raise BadInput(f"`{label}` must be > 0, got {rate}")
    return rate


def parse_states(text: str, label: str = "state") -> tuple[tuple[str, ...], tuple[sp.Expr, ...]]:
    """``"q=alpha,k=alpha,v=beta"`` -> names and rates (a rate not given is 1).

    >>> parse_states("q=alpha, k, v=1/2")
    (('q', 'k', 'v'), (alpha, 1, 1/2))
    """
    if not isinstance(text, str):
        raise TypeError(f"`{label}` must be a string, got {type(text).__name__}")
    names, rates = [], []
    for part in text.split(","):
        name, equals, rate = part.partition("=")
        name = check_state_name(name.strip(), label)
        names.append(name)
        rates.append(parse_rate(rate.strip(), f"{label} {name}") if equals else sp.Integer(1))
    return check_states(names, rates, label)


def check_states(names, rates, label: str = "state") -> tuple[tuple[str, ...], tuple[sp.Expr, ...]]:
    """Names and rates checked: as many of each, none repeated, at most :data:`MAX_STATES`."""
    names, rates = tuple(names), tuple(rates)
    if not names:
        raise BadInput(f"`{label}` must name at least one state")
    if len(names) > MAX_STATES:
        raise BadInput(f"`{label}` has {len(names)} states, more than {MAX_STATES}")
    if len(rates) != len(names):
        raise BadInput(f"`{label}`: {len(names)} states but {len(rates)} rates")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise BadInput(f"`{label}` names the state {repeated[0]!r} more than once")
    names = tuple(check_state_name(name, label) for name in names)
    rates = tuple(check_rate(rate, f"{label} {name}") for name, rate in zip(names, rates))
    return names, rates


@dataclass(frozen=True)
class StateModel:
    r"""A loss of ``n`` state variables, each with its gradient-flow rate.

    Attributes
    ----------
    names : tuple of str
        The states, in order (the order of the flow and of trajectories).
    rates : tuple of sympy.Expr
        :math:`r_i > 0`: numbers or expressions of ``alpha`` and ``beta``.
    loss : sympy.Expr
        :math:`L(\theta)`; other names in it are real parameters.
    """

    names: tuple[str, ...]
    rates: tuple[sp.Expr, ...]
    loss: sp.Expr

    def __post_init__(self):
        names, rates = check_states(self.names, self.rates, "states")
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "rates", rates)
        if not isinstance(self.loss, sp.Expr):
            raise TypeError(f"`loss` must be a SymPy expression, got {type(self.loss).__name__}")
        sym.check_real_expression(self.loss, "loss")

    @property
    def states(self) -> tuple[sp.Symbol, ...]:
        return tuple(state_symbol(name) for name in self.names)

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """Symbols of the loss and the rates that are not states (sorted by name)."""
        free = self.loss.free_symbols.union(*(rate.free_symbols for rate in self.rates))
        return tuple(sorted(free - set(self.states), key=lambda s: s.name))

    def with_values(self, values: Mapping[str, object]) -> "StateModel":
        """The model with parameters (``alpha``, ``tau``, ...) replaced by the given numbers."""
        known = {s.name: s for s in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise BadInput(f"`values`: {unknown[0]!r} is not a parameter of this model (its parameters: "
                             f"{', '.join(known) or 'none'})")
        mapping = {known[name]: sp.sympify(value) for name, value in values.items()}
        return StateModel(self.names, tuple(rate.subs(mapping) for rate in self.rates), self.loss.subs(mapping))


def state_model(states, loss: str, *, label: str = "expr") -> StateModel:
    """A :class:`StateModel` from text: ``states`` as ``"q=alpha,k"`` (or a pair names, rates), ``loss`` parsed without ``eval``.

    Names in the loss other than the states, ``alpha`` and ``beta`` are real parameters.
    """
    names, rates = parse_states(states) if isinstance(states, str) else check_states(*states)
    own = {name: state_symbol(name) for name in names}
    own.update(RATE_SYMBOLS)
    return StateModel(names, rates, parse_expression(loss, own, label=label, parameters=True))


@dataclass(frozen=True)
class StateFlow:
    r"""The certified flow :math:`\dot\theta_i = -r_i \partial L/\partial\theta_i` of a :class:`StateModel`."""

    model: StateModel
    flow: tuple[sp.Expr, ...]
    certificate: Certificate

    @property
    def certified(self) -> bool:
        return self.certificate.certified

    def to_dict(self) -> dict:
        return {
            "states": list(self.model.names),
            "rates": [str(rate) for rate in self.model.rates],
            "loss": str(self.model.loss),
            "flow": {name: str(f) for name, f in zip(self.model.names, self.flow)},
            "certified": self.certified,
            "checks": [{"name": c.name, "symbolic": c.symbolic, "max_residual": c.max_residual, "points": c.points}
                       for c in self.certificate.checks],
        }

    def text(self) -> str:
        lines = [f"loss: L({', '.join(self.model.names)}) = {self.model.loss}", "flow:"]
        lines += [f"  d{name}/dt = {f}" for name, f in zip(self.model.names, self.flow)]
        verdict = "certified" if self.certified else "NOT certified: " + ", ".join(c.name for c in self.certificate.failures())
        lines.append(f"{verdict} (symbolic, and a finite difference of L at {MIN_POINTS}+ points; "
                     f"largest relative residual {self.certificate.max_residual:.1e})")
        return "\n".join(lines)


def state_flow(model: StateModel) -> StateFlow:
    """Differentiate the loss once per state and certify every component (see the module docstring)."""
    if not isinstance(model, StateModel):
        raise TypeError(f"`model` must be a StateModel, got {type(model).__name__}")
    flow = tuple(-rate * sp.diff(model.loss, s) for s, rate in zip(model.states, model.rates))
    checks = tuple(_flow_check(model, i, f) for i, f in enumerate(flow))
    return StateFlow(model, flow, Certificate(checks))


def _flow_check(model: StateModel, index: int, component: sp.Expr) -> Check:
    """One flow component against :math:`-r_i` times a central difference of :math:`L` (mpmath)."""
    state, rate = model.states[index], model.rates[index]
    symbolic = is_symbolically_zero(component + rate * sp.Derivative(model.loss, state).doit())
    free = sorted(model.loss.free_symbols | rate.free_symbols | component.free_symbols | {state}, key=lambda s: s.name)
    modules = [MPMATH_FUNCTIONS, "mpmath"]
    loss = sp.lambdify(free, model.loss, modules=modules)
    f_component = sp.lambdify(free, component, modules=modules)
    f_rate = sp.lambdify(free, rate, modules=modules)
    where = free.index(state)
    worst, used = mpmath.mpf(0), 0
    with mpmath.workdps(DIGITS):
        for point in sample_points(free, MAX_TRIES):
            values = [point[s] for s in free]
            plus, minus = list(values), list(values)
            plus[where] += FD_STEP
            minus[where] -= FD_STEP
            try:
                expected = -f_rate(*values) * (loss(*plus) - loss(*minus)) / (2 * FD_STEP)
                got = f_component(*values)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError):
                continue
            expected, got = mpmath.mpmathify(expected), mpmath.mpmathify(got)
            if not all(mpmath.isfinite(x) and mpmath.im(x) == 0 for x in (expected, got)):
                continue
            size = max(1, abs(expected))  # a component may vanish: absolute below 1
            worst = max(worst, abs(got - expected) / size)
            used += 1
            if used >= MIN_POINTS + 4:
                break
    return Check(f"flow d{model.names[index]}/dt = -rate * dL/d{model.names[index]}", symbolic, float(worst), used,
                 tolerance=FD_TOLERANCE)


__all__ = ["MAX_STATES", "StateFlow", "StateModel", "check_states", "parse_states", "state_flow", "state_model"]
