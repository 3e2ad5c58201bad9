"""The symbolic engine against computations that do not use it.

Reference values come from SciPy's solve_ivp (rtol 1e-12), mpmath numerical
differentiation and quadrature at 30 digits, and formulas derived by hand in
this file.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from analytic import derive
from analytic.symbols import alpha, beta, c, p, t, u, u0, v, v0, T
from tests.conftest import LOSSES, PARADIGMS, as_mpmath, as_numpy, loss_id

NUMERIC = {T: 10, alpha: sp.Rational(1, 2), beta: sp.Rational(3, 2)}  # a generic numeric setting
HORIZON = 50.0


def derivation(paradigm, loss):
    name, classes = loss
    return derive(paradigm, name, classes=classes)


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_certified(paradigm, loss):
    d = derivation(paradigm, loss)
    assert d.status == "ok", d.message
    assert d.certified, d.certificate.failures()
    assert d.invariant is not None and d.trajectory is not None and d.fixed_focus is not None
    # certificate thresholds of the issue: 1e-20 relative at >= 20 points
    assert d.certificate.max_residual <= 1e-20


CLOSE_TO_MINIMISER = 1e-2


def _solve_flow(d, start=(0.0, 0.0), horizon=HORIZON):
    """solve_ivp of the flow, stopped 1e-3 before a finite minimiser of the loss.

    Near v* = 1 (square loss) the invariant's log|v - 1| term amplifies the
    ODE's absolute error in v by 1/|v - 1|: the comparison would measure the
    conditioning of I, not its constancy. Stopping at |v - 1| = 1e-2 keeps the
    amplification below 50.
    """
    du = as_numpy(d.flow.du.subs(NUMERIC), u, v)
    dv = as_numpy(d.flow.dv.subs(NUMERIC), u, v)
    events = []
    if d.loss.minimiser.is_finite:
        target = float(d.loss.minimiser)

        def close(_, y):
            return abs(y[1] - target) - CLOSE_TO_MINIMISER

        close.terminal = True
        events.append(close)
    return solve_ivp(
        lambda _, y: [du(*y), dv(*y)], (0.0, horizon), list(start), method="DOP853",
        rtol=1e-12, atol=1e-14, dense_output=True, events=events,
    )


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_invariant_constant_along_solve_ivp(paradigm, loss):
    d = derivation(paradigm, loss)
    solution = _solve_flow(d)
    assert solution.success
    invariant = as_numpy(d.invariant.expr.subs(NUMERIC), u, v)
    values = invariant(solution.y[0], solution.y[1])
    # the bound: constant to 1e-9 relative (solve_ivp at rtol 1e-12)
    drift = np.max(np.abs(values - values[0])) / max(1.0, abs(values[0]))
    assert drift < 1e-9
    assert solution.y[1, -1] > 0.5  # the margin really moved: the test is not vacuous


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_flow_is_the_finite_difference_gradient(paradigm, loss, mp_digits):
    d = derivation(paradigm, loss)
    loss_fn = as_mpmath(d.loss_expr.subs(NUMERIC), u, v)
    du = as_mpmath(d.flow.du.subs(NUMERIC), u, v)
    dv = as_mpmath(d.flow.dv.subs(NUMERIC), u, v)
    for point in [(-1.3, 0.4), (0.0, 0.0), (2.1, -0.7), (0.5, 3.0)]:
        x, y = map(mpmath.mpf, point)
        grad_u = mpmath.diff(lambda s: loss_fn(s, y), x)  # mpmath's numerical differentiation
        grad_v = mpmath.diff(lambda s: loss_fn(x, s), y)
        # relative 1e-20: mpmath.diff at 30 digits is accurate to ~1e-25 here
        assert abs(du(x, y) + NUMERIC[alpha] * grad_u) <= 1e-20 * max(1, abs(grad_u))
        assert abs(dv(x, y) + NUMERIC[beta] * grad_v) <= 1e-20 * max(1, abs(grad_v))


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_explicit_trajectory_matches_solve_ivp(paradigm, loss):
    d = derivation(paradigm, loss)
    start = (0.3, -0.2)
    solution = _solve_flow(d, start)
    focus = as_numpy(d.trajectory.focus.subs(NUMERIC).subs({u0: start[0], v0: start[1]}), v)
    predicted = focus(solution.y[1])
    # the trajectory satisfies the invariant along the ODE solution: u = U(v) to 1e-8
    assert np.max(np.abs(predicted - solution.y[0])) < 1e-8


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_explicit_trajectory_satisfies_invariant(paradigm, loss, mp_digits):
    d = derivation(paradigm, loss)
    invariant = as_mpmath(d.invariant.expr.subs(NUMERIC), u, v)
    focus = as_mpmath(d.trajectory.focus.subs(NUMERIC), v, u0, v0)
    for vv, uu0, vv0 in [(0.7, 0.0, 0.0), (-0.4, 1.5, 0.2), (0.95, -2.0, -1.0)]:
        vv, uu0, vv0 = map(mpmath.mpf, (vv, uu0, vv0))
        # I(U(v), v) = I(u0, v0): 30-digit evaluation, 1e-20 relative
        assert abs(invariant(focus(vv, uu0, vv0), vv) - invariant(uu0, vv0)) <= 1e-20 * max(1, abs(invariant(uu0, vv0)))


FIXED_P = sp.Rational(3, 10)


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_fixed_focus_closed_forms_match_integration(paradigm, loss):
    d = derivation(paradigm, loss)
    focus = d.fixed_focus
    values = {**NUMERIC, p: FIXED_P, v0: 0}
    rate = as_numpy(focus.margin_rate.subs(values), v)
    times = np.linspace(0.0, 40.0, 41)
    solution = solve_ivp(lambda _, y: [rate(y[0])], (0, 40.0), [0.0], t_eval=times, rtol=1e-12, atol=1e-14, method="DOP853")
    assert solution.success
    # t(v) closed form at the integrated margins gives back the times (1e-8 relative),
    # away from a finite minimiser where t(v) ~ log|v - v*| is ill-conditioned
    time_of_margin = as_numpy(focus.time_of_margin.subs(values), v)
    conditioned = np.ones_like(times, dtype=bool)
    if focus.margin_limit.is_finite:
        conditioned = np.abs(solution.y[0] - float(focus.margin_limit.subs(values))) > CLOSE_TO_MINIMISER
    assert conditioned.sum() >= 5
    assert np.allclose(time_of_margin(solution.y[0][conditioned]), times[conditioned], rtol=1e-8, atol=1e-8)
    if focus.margin_of_time is not None:
        margin = as_numpy(focus.margin_of_time.subs(values), t)
        # v(t) closed form against the integrated margin: 1e-8
        assert np.allclose(margin(times), solution.y[0], rtol=1e-8, atol=1e-8)


def _hand_incentive_limit(paradigm, loss):
    """Hand derivation: soft -> 0; hard -> l(0) - inf l; LVML -> (1 - q0)/(p + (1 - p) q0), q0 = e^{-l(0)}."""
    name, classes = loss
    at_zero = {"cross-entropy": sp.log(classes), "square": sp.Rational(1, 2), "exponential": sp.Integer(1)}[name]
    if paradigm == "soft":
        return sp.Integer(0)
    if paradigm == "hard":
        return at_zero  # inf l = 0 for all three losses
    q0 = sp.exp(-at_zero)
    return (1 - q0) / (p + (1 - p) * q0)


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_incentive_limit_matches_hand_derivation(paradigm, loss):
    limit = derivation(paradigm, loss).fixed_focus.incentive_limit
    expected = _hand_incentive_limit(paradigm, loss)
    for value in (sp.Rational(1, 10), sp.Rational(1, 2), sp.Rational(9, 10)):
        # exact forms: agree to 1e-25 at 30 digits
        assert abs(sp.N((limit - expected).subs(p, value), 30)) < 1e-25


def _differs_by_constant(found, expected, symbols, mp_points):
    """found - expected is the same number at every point (30-digit mpmath)."""
    difference = as_mpmath((found - expected).subs(NUMERIC).subs(c, 7), *symbols)
    with mpmath.workdps(30):
        values = [difference(*map(mpmath.mpf, point)) for point in mp_points]
    return max(abs(x - values[0]) for x in values) < 1e-20


A_HAND = u + sp.exp(u) / (T - 1)  # int du / (1 - p(u)), the same for every paradigm
K = alpha / beta


def _hand_margin_part(paradigm, name):
    """B(v) derived by hand (see docs/derivations.rst), up to an additive constant."""
    a = c - 1
    if paradigm == "soft":
        return K * v**2 / 2  # independent of the loss
    table = {
        ("hard", "cross-entropy"): -K / a * (
            sp.exp(v) * sp.log(1 + a * sp.exp(-v)) + a * sp.log(sp.exp(v) + a)
            + a * sp.polylog(2, -a * sp.exp(-v)) - (sp.exp(v) + a * v) * sp.log(c)
        ),
        ("hard", "square"): K * ((v - 1) ** 2 / 4 - sp.log(sp.Abs(v - 1)) / 2),
        ("hard", "exponential"): K * (sp.exp(v) - v),
        ("lvml", "cross-entropy"): K * (sp.exp(v) + a * sp.exp(-v) + (c - 2) * v) / c,
        ("lvml", "square"): K * (sp.exp(-sp.Rational(1, 2)) * sp.Ei((v - 1) ** 2 / 2) / 2 - sp.log(sp.Abs(v - 1))),
        ("lvml", "exponential"): K * (sp.exp(v) - sp.exp(sp.exp(-v) + v - 1) + sp.exp(-1) * sp.Ei(sp.exp(-v))),
    }
    return table[(paradigm, name)]


@pytest.mark.parametrize("name", ["cross-entropy", "square", "exponential"])
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_first_integral_matches_hand_derivation(paradigm, name):
    d = derive(paradigm, name, classes=c) if name == "cross-entropy" else derive(paradigm, name)
    assert sp.simplify(d.invariant.focus_part - A_HAND) == 0
    expected = _hand_margin_part(paradigm, name)
    points = [(-0.6,), (0.3,), (0.8,), (1.7,), (2.5,)]
    if name == "square":
        points = [(-0.6,), (0.3,), (0.8,), (0.1,), (-2.5,)]  # one branch of log|v - 1|
    assert _differs_by_constant(d.invariant.margin_part, expected, (v,), points)


def test_soft_invariant_does_not_depend_on_the_loss():
    # hand derivation: du/dv = (alpha/beta) v (1 - p) for any l, so I = A(u) - alpha v^2 / (2 beta)
    expected = A_HAND - alpha * v**2 / (2 * beta)
    for name in ("cross-entropy", "square", "exponential"):
        assert sp.simplify(derive("soft", name).invariant.expr - expected) == 0


def test_soft_trajectory_in_wright_omega_form():
    # hand: u + e^u/(T-1) = S  =>  u = log(T - 1) + log omega(S - log(T - 1))
    d = derive("soft", "exponential", segments=10, alpha=1, beta=1)
    S = u0 + sp.exp(u0) / 9 + v**2 / 2 - v0**2 / 2
    from analytic.special import WrightOmega

    expected = sp.log(9) + sp.log(WrightOmega(S - sp.log(9)))
    assert sp.simplify(d.trajectory.focus - expected) == 0


def test_repeating_a_derivation_uses_the_cache():
    first = derive("lvml", "square", segments=7, alpha=2, beta=3)
    assert derive("lvml", "square", segments=7, alpha=2, beta=3) is first


def test_symbols_substituted_where_given():
    d = derive("hard", "exponential", segments=10, alpha=sp.Rational(1, 999), beta=1)
    assert d.invariant.expr.free_symbols == {u, v}
    assert d.trajectory.focus.free_symbols == {v, u0, v0}


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_results_are_real_and_free_of_exp_polar(paradigm, loss, mp_digits):
    d = derivation(paradigm, loss)
    emitted = [d.invariant.expr, d.trajectory.focus, d.fixed_focus.time_of_margin, d.fixed_focus.incentive]
    assert not any(e.has(sp.exp_polar) for e in emitted)
    invariant = as_mpmath(d.invariant.expr.subs(NUMERIC), u, v)
    focus = as_mpmath(d.trajectory.focus.subs(NUMERIC), v, u0, v0)
    for vv in (-3.0, -0.5, 0.25, 0.9, 4.0):
        # real inputs give real outputs: no imaginary part at all at 30 digits
        assert mpmath.im(mpmath.mpmathify(invariant(mpmath.mpf(0.3), mpmath.mpf(vv)))) == 0
        assert mpmath.im(mpmath.mpmathify(focus(mpmath.mpf(vv), mpmath.mpf(0), mpmath.mpf(0)))) == 0


def test_jupyter_display_is_latex():
    text = derive("hard", "exponential")._repr_latex_()
    assert text.startswith("$") and r"\omega" in text and "I(u, v)" in text


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"segments": 1}, "segments"),
        ({"segments": float("nan")}, "segments"),
        ({"alpha": 0}, "alpha"),
        ({"beta": -2}, "beta"),
        ({"classes": 1}, "classes"),
    ],
)
def test_bad_parameters_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        derive("soft", "cross-entropy", **kwargs)


def test_unknown_paradigm_and_loss():
    with pytest.raises(ValueError, match="`paradigm`"):
        derive("sparse")
    with pytest.raises(ValueError, match="`loss`"):
        derive("soft", "hinge")


def test_custom_segment_loss_gets_the_full_treatment():
    from analytic import custom

    # l(v) = (v - 2)^2: hard attention, hand derivation B = (alpha/beta)[(v-2)^2/4 - log|v-2|]... with
    # l(v) - l(0) = v^2 - 4v, l'(v) = 2(v - 2): G = (v^2 - 4v)/(2(v - 2)) = (v - 2)/2 - 2/(v - 2)
    d = derive("hard", custom((v - 2) ** 2), segments=5, alpha=1, beta=1)
    assert d.certified and d.fixed_focus.margin_limit == 2
    expected = (v - 2) ** 2 / 4 - 2 * sp.log(sp.Abs(v - 2))
    assert _differs_by_constant(d.invariant.margin_part, expected, (v,), [(0.1,), (0.7,), (-1.2,), (1.5,)])
    # the hard incentive tends to l(0) - l(2) = 4
    assert d.fixed_focus.incentive_limit == 4


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_incentive_limit_with_symbolic_classes(paradigm):
    r"""Cross-entropy with c a symbol: the limit of the fixed-focus incentive as v -> oo, by hand from the
    general proposition with l(0) = log c and l* = 0 (soft: 0; hard: log c; LVML:
    (e^{l(0)} - e^{l*}) / (p e^{l(0)} + (1 - p) e^{l*}) = (c - 1)/(1 + (c - 1) p)), and the incentive itself
    at v = 400 (40-digit mpmath) against it."""
    focus = derive(paradigm, "cross-entropy", classes=c, segments=T, alpha=alpha, beta=beta).fixed_focus
    expected = {"soft": sp.Integer(0), "hard": sp.log(c), "lvml": (c - 1) / (1 + (c - 1) * p)}[paradigm]
    assert focus.incentive_limit is not None
    assert sp.simplify(focus.incentive_limit - expected) == 0
    incentive = as_mpmath(focus.incentive, v, p, c)
    with mpmath.workdps(40):
        for p_value, c_value in ((sp.Rational(1, 5), 2), (sp.Rational(1, 2), 10), (sp.Rational(9, 10), 1000)):
            near = incentive(mpmath.mpf(400), mpmath.mpf(p_value.p) / p_value.q, mpmath.mpf(c_value))
            # the incentive approaches its limit like (c - 1) v e^{-p v} at worst (soft): below 1e-25 at v = 400, p >= 1/5
            assert abs(near - sp.N(expected.subs({p: p_value, c: c_value}), 40)) < 1e-25
