"""The four ways of computing a trajectory, against each other and against independent references."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from tests.conftest import LOSSES, PARADIGMS, as_mpmath, loss_id
from trajectories.closed import closed_focus, closed_trajectory
from trajectories.full import (
    binary_data,
    binary_loss_and_gradient,
    full_trajectory,
    symmetric_data,
    symmetric_loss_and_gradient,
)
from trajectories.gd import gradient_descent
from trajectories.model import Setting, reduced_model, setting_derivation
from trajectories.ode import ode_trajectory, stable_max_step
from trajectories.result import Status
from validation.compare import fitted_order, invariant_drift


def setting_for(paradigm, loss):
    name, classes = loss
    if classes == 1000:  # the paper's rates and segments
        return Setting(paradigm, name, classes, 100, sp.Rational(1, 1000), sp.Rational(1, 999))
    return Setting(paradigm, name, classes, 10, 1, 1)


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_closed_form_matches_solve_ivp(paradigm, loss):
    model = reduced_model(setting_for(paradigm, loss))
    closed = closed_trajectory(model, 0.0, 0.0, 1000.0, 101)
    ode = ode_trajectory(model, 0.0, 0.0, 1000.0, 101, method="DOP853", rtol=1e-11, max_step=stable_max_step(model))
    assert closed.ok and ode.ok
    # issue bound: closed vs DOP853 (rtol 1e-11) to 1e-8 in u and v over t in [0, 1e3]
    assert np.max(np.abs(closed.u - ode.u)) < 1e-8
    assert np.max(np.abs(closed.v - ode.v)) < 1e-8
    # first-integral drift along the ODE solution: < 1e-8 (relative, see invariant_drift)
    assert invariant_drift(model, ode.u, ode.v) < 1e-8
    assert closed.v[-1] > 5e-3  # something happened over the horizon (paper rates are ~1e-3)
    # the carried quadrature error estimate of t: small but honest near a finite limit,
    # where quad meets the logarithmic singularity of dt/ds (1e-4 of the horizon)
    assert np.all(np.isfinite(closed.time_error)) and closed.time_error[-1] < 1e-4 * 1000


@pytest.mark.parametrize("loss", LOSSES, ids=loss_id)
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_gradient_descent_is_first_order(paradigm, loss):
    model = reduced_model(setting_for(paradigm, loss))
    horizon = 50.0
    ode = ode_trajectory(model, 0.0, 0.0, horizon, 2, rtol=1e-12, atol=1e-14, max_step=stable_max_step(model))
    lrs = [0.4, 0.2, 0.1, 0.05]
    errors = []
    for lr in lrs:
        gd = gradient_descent(model, 0.0, 0.0, lr, int(round(horizon / lr)))
        reference = ode.extras["dense"](gd.t)
        errors.append(max(np.max(np.abs(gd.u - reference[0])), np.max(np.abs(gd.v - reference[1]))))
    # issue bound: fitted order in [0.9, 1.1]
    assert 0.9 <= fitted_order(lrs, errors) <= 1.1


def test_gradient_descent_is_vectorised_over_starts():
    model = reduced_model(Setting("hard", "exponential"))
    starts = np.array([[0.0, 0.0], [1.0, -0.5], [-2.0, 0.3]])
    batch = gradient_descent(model, starts[:, 0], starts[:, 1], 0.1, 50, record_every=10)
    assert batch.u.shape == (6, 3)
    for j, (u0, v0) in enumerate(starts):
        single = gradient_descent(model, u0, v0, 0.1, 50, record_every=10)
        # one start runs in plain floats (math), many in NumPy: the same steps, rounding apart (1e-13 over 50 steps)
        np.testing.assert_allclose(batch.u[:, j], single.u, rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(batch.v[:, j], single.v, rtol=1e-13, atol=1e-15)


def test_divergence_is_detected_not_printed_as_nan():
    # Large steps are self-limiting here (attention collapses to 0 and freezes the
    # margin), so provoke overflow directly: at v0 = 1e200 the square loss is inf.
    model = reduced_model(Setting("hard", "square", alpha=1, beta=1))
    result = gradient_descent(model, 0.0, 1e200, 0.1, 100)
    assert result.status is Status.DIVERGED and result.diverged_at == 1
    assert "step 1" in result.message and np.all(np.isfinite(result.u))


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_full_symmetric_model_at_zero_noise_is_reduced_gradient_descent(paradigm):
    # c = 3, T = 4: the rates of docs/setting.rst are alpha = 1/c, beta = 1/(c - 1)
    model = reduced_model(Setting(paradigm, "cross-entropy", 3, 4, sp.Rational(1, 3), sp.Rational(1, 2)))
    full = full_trajectory(paradigm, variant="symmetric", classes=3, segments=4, u0=0.3, v0=-0.2, lr=0.4, steps=300)
    reduced = gradient_descent(model, 0.3, -0.2, 0.4, 300)
    # issue bound: equal to 1e-10; the parameters stay symmetric to rounding
    assert np.max(np.abs(full.u - reduced.u)) < 1e-10 and np.max(np.abs(full.v - reduced.v)) < 1e-10
    assert full.extras["max_asymmetry"] < 1e-12
    assert full.v[-1] > 1.0


@pytest.mark.parametrize("name", ["cross-entropy", "square", "exponential"])
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_full_binary_model_at_zero_noise_is_reduced_gradient_descent(paradigm, name):
    # alpha = |mu_f|^2, beta = |mu_c|^2
    model = reduced_model(Setting(paradigm, name, 2, 4, sp.Rational(7, 10), sp.Rational(13, 10)))
    full = full_trajectory(paradigm, variant="binary", loss=name, segments=4, alpha=0.7, beta=1.3, u0=0.3, v0=-0.2, lr=0.2, steps=300)
    reduced = gradient_descent(model, 0.3, -0.2, 0.2, 300)
    assert np.max(np.abs(full.u - reduced.u)) < 1e-10 and np.max(np.abs(full.v - reduced.v)) < 1e-10
    assert full.extras["max_asymmetry"] < 1e-12


def _central_difference(function, x, step=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        grad[index] = (function(up) - function(down)) / (2 * step)
    return grad


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_full_symmetric_gradient_matches_finite_differences(paradigm):
    rng = np.random.default_rng(1)
    data = symmetric_data(4, 3, sigma=0.3, samples=7, seed=2)
    w, W = rng.standard_normal(4), rng.standard_normal((4, 4))
    _, grad_w, grad_W = symmetric_loss_and_gradient(paradigm, data, w, W)
    numeric_w = _central_difference(lambda x: symmetric_loss_and_gradient(paradigm, data, x, W)[0], w)
    numeric_W = _central_difference(lambda x: symmetric_loss_and_gradient(paradigm, data, w, x)[0], W)
    # central differences with step 1e-6: truncation ~1e-12, rounding ~1e-10
    assert np.max(np.abs(grad_w - numeric_w)) < 1e-8 and np.max(np.abs(grad_W - numeric_W)) < 1e-8


@pytest.mark.parametrize("name", ["cross-entropy", "square", "exponential"])
@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_full_binary_gradient_matches_finite_differences(paradigm, name):
    rng = np.random.default_rng(3)
    data = binary_data(0.8, 1.5, 3, sigma=0.4, samples=9, seed=4)
    w, c = rng.standard_normal(4), rng.standard_normal(4)
    _, grad_w, grad_c = binary_loss_and_gradient(paradigm, name, data, w, c)
    numeric_w = _central_difference(lambda x: binary_loss_and_gradient(paradigm, name, data, x, c)[0], w)
    numeric_c = _central_difference(lambda x: binary_loss_and_gradient(paradigm, name, data, w, x)[0], c)
    assert np.max(np.abs(grad_w - numeric_w)) < 1e-8 and np.max(np.abs(grad_c - numeric_c)) < 1e-8


@pytest.mark.parametrize("paradigm", PARADIGMS)
@pytest.mark.parametrize("name", ["cross-entropy", "exponential"])
def test_closed_form_is_accurate_for_large_arguments(paradigm, name, mp_digits):
    """u = U(v) at T = 1e6 and v up to 700, against the symbolic formula at 30 digits in mpmath."""
    setting = Setting(paradigm, name, 2, 10**6, 1, 1)
    model = reduced_model(setting)
    derivation = setting_derivation(setting)  # the engine at these numbers, not the compiled path
    from analytic.symbols import u0, v, v0

    reference = as_mpmath(derivation.trajectory.focus.subs({u0: 0, v0: 0}), v)
    margins = np.array([-3.0, 0.5, 5.0, 50.0, 300.0, 700.0])
    found, attention = closed_focus(model, margins, 0.0, 0.0)
    for margin, value, p in zip(margins, found, attention):
        expected = mpmath.re(reference(mpmath.mpf(margin)))
        if not mpmath.isfinite(expected) or abs(expected) > 1e300:
            assert not np.isfinite(value)  # truly out of float64 range: not a silent number
            continue
        # 1e-12 relative (float64 evaluation of a stabilised form)
        assert abs(value - float(expected)) <= 1e-12 * max(1.0, abs(float(expected)))
        assert 0 <= p <= 1


@pytest.mark.parametrize("method", ["Radau", "BDF", "LSODA"])
def test_implicit_methods_use_the_symbolic_jacobian(method):
    model = reduced_model(Setting("lvml", "square"))
    # the symbolic Jacobian against central differences of the flow (step 1e-6: error ~1e-10)
    point, step = np.array([0.4, 0.3]), 1e-6
    numeric = np.column_stack([
        (np.array(model.flow(*(point + step * e))) - np.array(model.flow(*(point - step * e)))) / (2 * step)
        for e in np.eye(2)
    ])
    assert np.max(np.abs(model.jacobian(*point) - numeric)) < 1e-8
    closed = closed_trajectory(model, 0.0, 0.0, 100.0, 11)
    ode = ode_trajectory(model, 0.0, 0.0, 100.0, 11, method=method, rtol=1e-10, atol=1e-12)
    assert ode.ok and ode.extras["njev"] > 0
    # implicit solvers at rtol 1e-10: within 1e-7 of the closed form
    assert np.max(np.abs(closed.u - ode.u)) < 1e-7 and np.max(np.abs(closed.v - ode.v)) < 1e-7
