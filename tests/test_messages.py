"""Issue 24, "Tracebacks and wrong reasons": each example is a right answer or a one-line message.

Every example runs as a user would (``main()``; start-up through ``python -m validation`` in a
subprocess). A number is compared with :func:`hard_reference`: hard attention's flow written out by
hand for the loss in question (small preset: T = 10, alpha = beta = 1, start (0, 0)),

.. math:: \\dot u = -p(1 - p)\\,(\\ell(v) - \\ell(0)), \\qquad \\dot v = -p\\,\\ell'(v), \\qquad p = \\frac{e^u}{e^u + 9},

integrated by ``solve_ivp`` (DOP853, rtol 1e-12): it shares no code with the toolkit's derivation.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.special import expit, wrightomega

from validation.cli import main

ROOT = Path(__file__).resolve().parent.parent
HORIZON = 1.0  # t at which the printed state is compared
RTOL = 1e-8  # closed form (quadrature or exact) and ODE (rtol 1e-10) against the reference at rtol 1e-12


def hard_reference(ell, slope, t_end: float = HORIZON) -> tuple[float, float]:
    """(u, v) at ``t_end`` from (0, 0) under hard attention with the loss ``ell`` (slope ``slope``), T = 10."""

    def rhs(_, y):
        p = expit(y[0] - math.log(9))
        return [-p * (1 - p) * (ell(y[1]) - ell(0.0)), -p * slope(y[1])]

    run = solve_ivp(rhs, (0.0, t_end), [0.0, 0.0], method="DOP853", rtol=1e-12, atol=1e-14)
    assert run.success, run.message
    return float(run.y[0, -1]), float(run.y[1, -1])


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def last_state(out: str) -> tuple[float, float]:
    t, u, v, _ = (float(x) for x in out.strip().splitlines()[-1].split(","))
    assert t == HORIZON
    return u, v


def one_line(status, out, err, expected_status, *words):
    assert status == expected_status and out == "" and err.count("\n") == 1 and "Traceback" not in err, (status, err)
    for word in words:
        assert word in err, (word, err)


def temperature_loss(scale: float):
    """log(1 + e^{-v/tau}) with 1/tau = ``scale``, and its slope."""
    return (lambda v: np.logaddexp(0.0, -scale * v)), (lambda v: -scale * expit(-scale * v))


# --- names that collide with the toolkit's own ---------------------------------------------------
# q, s, C, K, w: compiled models; x_u, x_v: quadrature variables; S: the level; x0: cse temporaries;
# where, expm1: NumPy names in the lambdified code
INTERNAL_NAMES = ["q", "s", "C", "K", "w", "x_u", "x_v", "S", "x0", "where", "expm1"]


@pytest.mark.parametrize("name", INTERNAL_NAMES)
@pytest.mark.parametrize("method", ["closed", "ode"])
def test_a_parameter_named_like_an_internal_symbol_gives_the_right_trajectory(capsys, name, method):
    # once: "SyntaxError: duplicate argument" (q, s, C, K, x_v), and x_v printed a wrong u silently
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", f"log(1+exp(-v/{name}))",
                           "--param", f"{name}=1/2", "--t-end", "1", "--points", "2", "--method", method)
    assert status == 0, err
    assert last_state(out) == pytest.approx(hard_reference(*temperature_loss(2.0)), rel=RTOL, abs=1e-12)


@pytest.mark.parametrize("name", ["q", "s", "x_v", "S"])
def test_the_python_api_takes_such_parameters_too(name):
    from analytic.losses import custom
    from trajectories.closed import closed_trajectory
    from trajectories.model import Setting, reduced_model

    symbol = sp.Symbol(name)
    model = reduced_model(Setting("hard", custom(sp.log(1 + sp.exp(-sp.Symbol("v") / symbol))), params={name: sp.Rational(1, 4)}))
    result = closed_trajectory(model, 0.0, 0.0, HORIZON, 2)
    assert result.ok, result.message
    assert (result.u[-1], result.v[-1]) == pytest.approx(hard_reference(*temperature_loss(4.0)), rel=RTOL, abs=1e-12)


def test_a_parameter_called_S_is_not_the_level_in_latex(capsys):
    # once: "S &= A(u_0) + B(v) - B(v_0)" with the user's S inside B
    status, out, _ = run(capsys, "derive", "--paradigm", "hard", "--segment-loss", "S*v^2 + exp(-v)", "--segments", "10",
                         "--alpha", "1", "--beta", "1", "--format", "latex", "--only", "trajectory")
    assert status == 0
    assert "S' &= A(u_0) + B(v) - B(v_0)" in out and r"\omega\left(S' - " in out
    assert "S &=" not in out and "S x_{v}^{2}" in out  # the user's S is still there, as the parameter


def test_the_quadrature_variable_avoids_a_parameter_called_x_v():
    from analytic import derive
    from analytic.losses import custom

    x_v = sp.Symbol("x_v", real=True)
    derivation = derive("hard", custom(sp.log(1 + sp.exp(-sp.Symbol("v") / x_v))))
    (integral,) = derivation.invariant.margin_part.atoms(sp.Integral)
    (variable, _, _), = integral.limits
    assert variable.name == "x_v'" and x_v in integral.function.free_symbols  # bound variable and parameter differ


# --- functions, numbers and values -------------------------------------------------------------
def test_wright_omega_in_a_loss_gives_the_right_trajectory(capsys):
    # once: NameError: name 'WrightOmega' is not defined (the minimiser's underflow check)
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", "WrightOmega(-v)", "--t-end", "1",
                           "--points", "2", "--method", "ode")
    assert status == 0, err
    omega = lambda v: float(wrightomega(-v).real)  # noqa: E731
    expected = hard_reference(omega, lambda v: -omega(v) / (1 + omega(v)))  # d/dz omega(z) = omega / (1 + omega)
    assert last_state(out) == pytest.approx(expected, rel=RTOL, abs=1e-12)


def test_a_dilogarithm_loss_evaluates_its_order_one_derivative(capsys):
    # once: "`order` must be 2 for numeric polylog, got 1": d/dv Li2(-e^-v) = log(1 + e^-v)
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", "polylog(2, -exp(-v))", "--t-end", "1",
                           "--points", "2", "--method", "ode")
    assert status == 0, err
    from mpmath import polylog

    expected = hard_reference(lambda v: float(polylog(2, -math.exp(-v))), lambda v: math.log1p(math.exp(-v)))
    assert last_state(out) == pytest.approx(expected, rel=RTOL, abs=1e-12)


@pytest.mark.parametrize("loss, number", [("v*10^1000", "1.000e+1000"), ("v*10^(-1000) + exp(-v)", "1.000e-1000")])
def test_numbers_beyond_float64_in_a_loss_are_refused_for_numeric_commands(capsys, loss, number):
    # once: OverflowError: int too large to convert to float
    one_line(*run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", loss, "--t-end", "1"), 2,
             "--segment-loss", number, "float64")
    status, out, err = run(capsys, "derive", "--paradigm", "hard", "--segment-loss", loss, "--segments", "10")
    assert status != 2 and out.startswith("hard / custom") and "Traceback" not in err  # derive keeps the number exact


def test_a_parameter_value_that_makes_the_loss_undefined_is_named(capsys):
    # once: ZeroDivisionError: 0.0 cannot be raised to a negative power
    argv = ["--segment-loss", "log(1+exp(-v/tau))", "--param", "tau=0"]
    one_line(*run(capsys, "trajectory", "--paradigm", "hard", *argv, "--t-end", "1"), 2, "--param", "tau=0",
             "log(1 + exp(-v/tau))", "undefined")
    one_line(*run(capsys, "milestones", *argv), 2, "--param", "tau=0")
    from analytic.losses import custom
    from trajectories.model import Setting

    with pytest.raises(ValueError, match=r"`params` tau=0(\.0)?: the segment loss"):
        Setting("hard", custom(sp.sympify("log(1 + exp(-v/tau))")), params={"tau": 0})


def test_an_attention_map_outside_0_1_at_these_values_is_named(capsys):
    # once: ZeroDivisionError: float division by zero (k = 0 makes p = 0)
    for value, shown in (("0", "is 0 at u = 0"), ("20", "is 2 at u = 0")):
        one_line(*run(capsys, "trajectory", "--paradigm", "hard", "--attention", "k*exp(u)/(k*exp(u) + T - k)",
                      "--param", f"k={value}", "--t-end", "1"), 2, "--param", f"k={value}", shown)


@pytest.mark.parametrize(
    "loss, words",
    [
        ("log(v)", ["log(v) is undefined at v = 0", "(0, inf)"]),  # once: "Invalid comparison of non-real zoo"
        ("1/v", ["1/v is undefined at v = 0"]),
        ("sqrt(v)", ["no finite slope at v = 0", "[0, inf)"]),
        ("sqrt(-v)", ["no finite slope at v = 0"]),  # once: "Invalid NaN comparison"
        ("Heaviside(-v)", ["no finite slope at v = 0", "DiracDelta"]),  # once: "cannot determine truth value"
    ],
)
def test_a_loss_undefined_at_zero_is_one_line_saying_where(capsys, loss, words):
    one_line(*run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", loss, "--t-end", "1"), 2, "--segment-loss", *words)
    from analytic.losses import custom

    with pytest.raises(ValueError, match="at v = 0"):
        custom(sp.sympify(loss))


@pytest.mark.parametrize(
    "loss, method, status, words",
    [
        # the closed form's path meets the end of the loss's real domain: a trajectory not available (exit 1)
        ("sqrt(1-v)", "closed", 1, ["singular", "sqrt(1 - v) is not a finite real number just above v = 1"]),  # once: "overflow ... float64"
        ("sqrt(1-v)", "ode", 2, ["--segment-loss", "sqrt(1 - v) is not a finite real number just above v = 1"]),  # once: the integrator's words
        ("log(1-v)", "closed", 1, ["singular", "log(1 - v) is not a finite real number just above v = 1"]),
        ("abs(v-1)", "closed", 2, ["--segment-loss", "has a kink at v = 1", "from -1 to 1"]),
    ],
)
def test_a_complex_or_non_smooth_loss_says_what_is_wrong(capsys, loss, method, status, words):
    one_line(*run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", loss, "--t-end", "100", "--points", "2",
                  "--method", method), status, *words)


def test_the_fault_finder_sees_no_fault_in_smooth_losses():
    from analytic.losses import fault_near
    from analytic.symbols import v

    # a steep smooth minimum is no kink (the slope's jump is what the curvature makes)
    for loss, where in ((10**6 * (1 - v) ** 2, 1 - 1e-16), (sp.log(1 + sp.exp(-v)), 0.3), (sp.Max(0, 1 - v) ** 2, 1.0)):
        assert fault_near(loss, where) is None, loss


# --- a derivation past its budget inside a numeric command --------------------------------------
@pytest.fixture
def derivation_times_out(monkeypatch):
    """Every derivation worker runs past its budget (as a loss SymPy cannot finish in time would)."""
    import analytic.derivation
    from analytic.budget import BudgetExceeded

    def out_of_time(*_, **__):
        raise BudgetExceeded("simulated: the worker ran past its budget")

    monkeypatch.setattr(analytic.derivation, "call_with_budget", out_of_time)


def test_a_derivation_out_of_time_leaves_the_ode_and_says_why_there_is_no_closed_form(capsys, derivation_times_out):
    # once: AttributeError: 'NoneType' object has no attribute 'du'
    # a parameter name of its own: no derivation of this loss is in the process's memory from other tests
    argv = ["trajectory", "--paradigm", "hard", "--segment-loss", "log(1+exp(-v/tau_out_of_time))", "--param", "tau_out_of_time=3/7",
            "--no-cache", "--t-end", "1", "--points", "2"]
    status, out, err = run(capsys, *argv, "--method", "ode")
    assert status == 0, err
    assert last_state(out) == pytest.approx(hard_reference(*temperature_loss(7 / 3)), rel=RTOL, abs=1e-12)
    one_line(*run(capsys, *argv, "--method", "closed"), 1, "not computed", "time budget", "ode")


# --- the command line itself ---------------------------------------------------------------------
def test_an_expression_starting_with_minus_needs_no_equals_sign(capsys):
    # once: "argument --segment-loss: expected one argument"
    status, out, err = run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", "-v", "--t-end", "1", "--points", "2")
    assert status == 0, err
    assert last_state(out) == pytest.approx(hard_reference(lambda v: -v, lambda v: -1.0), rel=RTOL, abs=1e-12)
    status, out, _ = run(capsys, "derive", "--expr", "-u*v", "--alpha", "1", "--beta", "1")
    assert status == 0 and "L(u, v)  = -u*v" in out
    # a forgotten value is still reported, not read as an expression
    one_line(*run(capsys, "trajectory", "--paradigm", "hard", "--segment-loss", "--t-end", "1"), 2, "--segment-loss", "expected one argument")


@pytest.mark.parametrize(
    "argv, words",
    [
        (["trajectory", "--paradigm", "hard", "--segment-loss", "v*\u0662", "--t-end", "1"], ["--segment-loss", "non-ASCII digit"]),
        (["trajectory", "--paradigm", "hard", "--segment-loss", "v*\uff12", "--t-end", "1"], ["--segment-loss", "non-ASCII digit"]),
        (["trajectory", "--paradigm", "hard", "--t-end", "\u0661"], ["--t-end", "non-ASCII digit"]),
        (["trajectory", "--paradigm", "hard", "--t-end", "1", "--points", "\u0662"], ["--points", "\u0662"]),
        (["sweep", "--alpha", "1:2:\u0662"], ["--alpha", "count N"]),
        (["trajectory", "--paradigm", "hard", "--segment-loss", "v^\u00b2", "--t-end", "1"], ["--segment-loss", "non-ASCII digit"]),
    ],
)
def test_non_ascii_digits_are_refused(capsys, argv, words):
    # once: v*٢ was 2v
    one_line(*run(capsys, *argv), 2, *words)


def test_the_parser_refuses_non_ascii_digits():
    from analytic.parsing import parse_expression, parse_integer

    with pytest.raises(ValueError, match="non-ASCII digit"):
        parse_expression("x*\u0662", {"x": sp.Symbol("x")})
    with pytest.raises(ValueError, match="digits 0-9"):
        parse_integer("\u0663")
    assert parse_integer(" 12 ") == 12


INTERRUPT_AT_IMPORT = """
import runpy, sys
class Interrupt:  # Ctrl-C while SymPy is being imported
    def find_spec(self, name, path=None, target=None):
        if name == "sympy":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
sys.argv = ["attention-dynamics", "derive", "--paradigm", "soft"]
runpy.run_module("validation", run_name="__main__", alter_sys=True)
"""


def test_ctrl_c_during_start_up_imports_is_one_line_with_status_130():
    # once: a 30-line traceback through the imports
    done = subprocess.run([sys.executable, "-c", INTERRUPT_AT_IMPORT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 130 and done.stdout == ""
    assert done.stderr == "attention-dynamics: interrupted\n", done.stderr
