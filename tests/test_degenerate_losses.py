"""Degenerate custom losses: a scale below what a method resolves, and a singularity on the path.

References are independent of the toolkit's closed forms: hand derivations and
``solve_ivp`` on flows written out here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

from analytic import symbols as sym
from analytic.losses import custom
from trajectories.closed import closed_trajectory
from trajectories.gd import gradient_descent
from trajectories.milestones import milestones
from trajectories.model import Setting, reduced_model
from trajectories.ode import ode_trajectory
from trajectories.result import Status
from validation.cli import main

T = 10  # segments: p = sigmoid(u - log 9)
X0 = -math.log(T - 1)


# --- log(1 + exp(-v/tau)) at tau = 1e-30 -------------------------------------------------------
def softplus_tiny():
    tau = sp.Symbol("tau")
    return reduced_model(Setting("hard", custom(sp.log(1 + sp.exp(-sym.v / tau))), params={"tau": sp.Rational(1, 10**30)}))


def hard_softplus_time(x: float) -> float:
    r"""Time for x = u - log 9 to go from X0 to x, by hand.

    Hard attention: du/dt = alpha p q (l(0) - l(v)). The margin reaches v/tau ~ 20 by t ~ 1e-50 (dw/dt = (beta/tau^2) p
    sigma(-w), w = v/tau), after which l(v) < e^{-20}; the time integral of l(v) is below 1e-57, so to that accuracy
    dx/dt = alpha log(2) sigma(x) sigma(-x), and 1/(sigma(x) sigma(-x)) = 2 + e^x + e^-x integrates to 2x + e^x - e^-x.
    """
    def antiderivative(y):
        return 2 * y + math.exp(y) - math.exp(-y)

    return (antiderivative(x) - antiderivative(X0)) / math.log(2)


def test_tiny_temperature_ode_matches_the_hand_solution():
    model = softplus_tiny()
    result = ode_trajectory(model, 0.0, 0.0, 10.0, 3)
    x10 = brentq(lambda x: hard_softplus_time(x) - 10.0, X0, 5.0, xtol=1e-15)
    assert result.ok
    assert abs(result.u[-1] - (x10 + math.log(T - 1))) < 1e-6  # ODE rtol 1e-11; the hand solution's neglect is < 1e-57
    assert abs(result.u[-1] - 0.838) < 1e-3  # the value quoted in the issue


def test_tiny_temperature_closed_form_refuses_instead_of_freezing():
    result = closed_trajectory(softplus_tiny(), 0.0, 0.0, 10.0, 3)
    assert result.status is Status.UNDERFLOW and result.u.size == 0
    assert "not at rest" in result.message and "ode" in result.message and "\n" not in result.message


def test_tiny_temperature_milestone_is_never_called_never():
    reference = hard_softplus_time(math.log(0.3 / 0.7))
    assert abs(reference - 13.98) < 0.01  # the truth quoted in the issue
    (found,) = milestones(softplus_tiny(), 0.0, 0.0, [0.3], 100.0, unresolved="flag")
    assert found.reachable is not False
    if found.resolved:  # a time is allowed only when right
        assert abs(found.time_any - reference) < 1e-6 * reference
    else:
        assert "not at rest" in found.reason


# --- 1/(1 + v) from v0 = -2: the pole at v = -1 -------------------------------------------------
def pole():
    return reduced_model(Setting("hard", custom(1 / (1 + sym.v))))


def pole_reference():
    r"""(t*, u*) where v reaches the pole, by solve_ivp with v as the variable (smooth there).

    dv/dt = beta p / (1 + v)^2 and du/dt = alpha p q (1 - 1/(1 + v)), so with alpha = beta = 1
    dt/dv = (1 + v)^2 / p and du/dv = q v (1 + v), p = sigmoid(u - log 9).
    """
    def rhs(v, y):
        x = y[1] - math.log(T - 1)
        p, q = 1 / (1 + math.exp(-x)), 1 / (1 + math.exp(x))
        return [(1 + v) ** 2 / p, q * v * (1 + v)]

    solution = solve_ivp(rhs, (-2.0, -1.0), [0.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-14)
    return float(solution.y[0, -1]), float(solution.y[1, -1])


def test_closed_form_before_the_pole_matches_the_reference():
    t_star, _ = pole_reference()
    before = closed_trajectory(pole(), 0.0, -2.0, 0.5 * t_star, 3)

    def rhs(_, y):  # the flow written out: du/dt = p q (1 - 1/(1+v)), dv/dt = p / (1+v)^2
        x = y[0] - math.log(T - 1)
        p, q = 1 / (1 + math.exp(-x)), 1 / (1 + math.exp(x))
        return [p * q * (1 - 1 / (1 + y[1])), p / (1 + y[1]) ** 2]

    truth = solve_ivp(rhs, (0.0, 0.5 * t_star), [0.0, -2.0], method="DOP853", rtol=1e-12, atol=1e-14)
    assert before.ok
    assert abs(before.u[-1] - truth.y[0, -1]) < 1e-8 and abs(before.v[-1] - truth.y[1, -1]) < 1e-8  # both at rtol 1e-12


@pytest.mark.parametrize("method", ["closed", "ode"])
def test_no_method_runs_through_the_pole(method):
    t_star, _ = pole_reference()
    assert 0.1 < t_star < 10
    run = closed_trajectory if method == "closed" else ode_trajectory
    result = run(pole(), 0.0, -2.0, 10.0, 3)
    assert not result.ok and np.all(result.t < t_star)  # no number past t* (the ODE keeps the points before it)
    if method == "closed":
        assert result.status is Status.SINGULAR and "singularity" in result.message


def test_gradient_descent_jumping_the_pole_is_reported():
    result = gradient_descent(pole(), 0.0, -2.0, 0.1, 100)
    assert result.status is Status.NOT_DESCENDING and "singularity" in result.message and "lr = 0.1" in result.message


def test_pole_milestones_are_not_resolved_rather_than_never():
    _, u_star = pole_reference()
    p_star = 1 / (1 + (T - 1) * math.exp(-u_star))
    targets = [0.3, 0.5, 0.9]
    assert p_star < targets[0]  # the flow ends at the pole below every target: no time exists, and "never" is unproven
    for found in milestones(pole(), 0.0, -2.0, targets, 100.0, unresolved="flag"):
        assert not found.resolved and found.time_any is None and found.reachable is None


def test_milestones_that_truly_converge_still_say_never():
    """Soft attention with the square loss converges to p < 0.5: its rest is checked, and "never" stays."""
    found = milestones(reduced_model(Setting("soft", "square")), 0.0, 0.0, [0.3, 0.5], 100.0, unresolved="flag")
    assert found[0].resolved and found[0].time_any is not None
    assert found[1].resolved and found[1].reachable is False


# --- the command line ---------------------------------------------------------------------------
DEGENERATE = {
    "softplus": ["--paradigm", "hard", "--segment-loss", "log(1+exp(-v/tau))", "--param", "tau=1e-30"],
    "pole": ["--paradigm", "hard", "--segment-loss", "1/(1+v)", "--v0=-2"],
}


@pytest.mark.parametrize("case, method", [("softplus", "closed"), ("pole", "closed"), ("pole", "ode"), ("pole", "gd")])
def test_the_command_line_refuses_in_one_line(capsys, case, method):
    status = main(["trajectory", *DEGENERATE[case], "--t-end", "10", "--points", "3", "--method", method])
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    if method == "ode":  # the integrator itself fails at the pole (its step size vanishes): as before, status 2
        assert status == 2 and "integrator failed" in captured.err
    else:  # a degenerate loss: a result not available, status 1
        assert status == 1 and f"the {method} method gives no trajectory" in captured.err


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_the_milestone_table_never_prints_never_for_them(capsys, case):
    options = [x for x in DEGENERATE[case] if x not in ("--paradigm", "hard")]
    status = main(["milestones", *options, "--targets", "0.3", "--t-max", "100"])
    out = capsys.readouterr().out
    hard = next(line for line in out.splitlines() if line.split()[:1] == ["hard"])
    assert status == 1 and "never" not in hard and "not resolved" in hard
