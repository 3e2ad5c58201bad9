"""Models of n state variables: the certified flow, ODE and gradient descent against exact solutions, the command line."""

import json

import numpy as np
import pytest
import sympy as sp

from analytic.states import StateModel, parse_states, state_flow, state_model
from trajectories.nstate import compile_states, state_gradient_descent, state_ode
from validation.cli import main

q, k, v = sp.symbols("q k v", real=True)
alpha, beta = sp.symbols("alpha beta", positive=True)
HARD_KEY_QUERY = "-log(sigmoid(v*exp(q*k)/(exp(q*k) + 9)))"  # hard attention, cross-entropy (c = 2), T = 10, u = q k


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_flow_by_hand():
    """L = q k - log q, rate of k 2: dq/dt = -(k - 1/q), dk/dt = -2 q."""
    flow = state_flow(state_model("q,k=2", "q*k - log(q)"))
    assert flow.certified
    assert sp.simplify(flow.flow[0] - (1 / q - k)) == 0 and sp.simplify(flow.flow[1] + 2 * q) == 0


def test_flow_of_the_key_query_model_is_certified():
    flow = state_flow(state_model("q=alpha,k=alpha,v=beta", HARD_KEY_QUERY))
    assert flow.certified and flow.certificate.max_residual <= 1e-18  # finite difference of L at 40 digits
    assert len(flow.certificate.checks) == 3


def test_parse_states():
    assert parse_states("q=alpha, k, v=1/2") == (("q", "k", "v"), (alpha, 1, sp.Rational(1, 2)))
    for text, fragment in (("q,q", "more than once"), ("t", "reserved"), ("q=-1", "> 0"), ("q=tau", "unknown name"),
                           ("q=alpha*v", "unknown name"), ("", "ASCII identifiers")):
        with pytest.raises(ValueError, match=fragment):
            parse_states(text)


def test_ode_against_exact_solution():
    """L = (q^2 + 2 k^2)/2 with rates 1 and 3: q = q0 e^{-t}, k = k0 e^{-6t}."""
    compiled = compile_states(state_model("q,k=3", "(q^2 + 2*k^2)/2"))
    result = state_ode(compiled, {"q": 0.7, "k": -0.4}, 2.0, 21)
    assert result.ok
    assert np.max(np.abs(result.state("q") - 0.7 * np.exp(-result.t))) <= 1e-10  # rtol 1e-11 of DOP853
    assert np.max(np.abs(result.state("k") + 0.4 * np.exp(-6 * result.t))) <= 1e-10


def test_gradient_descent_against_exact_steps():
    """Same loss: q_n = q0 (1 - lr)^n, k_n = k0 (1 - 6 lr)^n exactly (to rounding)."""
    compiled = compile_states(state_model("q,k=3", "(q^2 + 2*k^2)/2"))
    result = state_gradient_descent(compiled, {"q": 0.7, "k": -0.4}, 0.05, 40, record_every=10)
    n = np.arange(0, 41, 10)
    assert np.allclose(result.t, n * 0.05, rtol=0, atol=1e-15)
    assert np.max(np.abs(result.state("q") - 0.7 * 0.95**n)) <= 1e-14
    assert np.max(np.abs(result.state("k") + 0.4 * 0.7**n)) <= 1e-14


def test_start_is_zero_where_not_given_and_unknown_state_is_refused():
    compiled = compile_states(state_model("q,k", "(q - 1)^2 + k^2"))
    assert state_ode(compiled, {"q": 0.5}, 1.0, 2).y[:, 0].tolist() == [0.5, 0.0]
    with pytest.raises(ValueError, match="'z' is not a state"):
        state_ode(compiled, {"z": 1.0}, 1.0, 2)


def test_model_needs_every_parameter():
    model = state_model("q=alpha,k", "tau*q*k")
    assert [s.name for s in model.parameters] == ["alpha", "tau"]
    with pytest.raises(ValueError, match="alpha, tau"):
        compile_states(model)
    compiled = compile_states(model, {"alpha": 2, "tau": sp.Rational(1, 2)})
    assert compiled(np.array([1.0, 3.0])).tolist() == [-3.0, -0.5]  # -2 * (1/2) k, -(1/2) q


def test_state_model_is_frozen_and_checked():
    model = StateModel(("q", "k"), (1, alpha), q * k)
    with pytest.raises(AttributeError):
        model.loss = q
    with pytest.raises(ValueError, match="2 states but 1 rates"):
        StateModel(("q", "k"), (1,), q * k)


def test_cli_trajectory_json_has_one_field_per_state(capsys):
    status, out, err = run(capsys, "trajectory", "--state", "q,k=3", "--expr", "(q^2 + 2*k^2)/2",
                           "--start", "q=0.7,k=-0.4", "--t-end", "1", "--points", "11", "--format", "json")
    record = json.loads(out)
    assert status == 0 and err == ""
    assert {"t", "q", "k", "method", "model"} <= set(record)
    t = np.array(record["t"])
    assert np.max(np.abs(np.array(record["q"]) - 0.7 * np.exp(-t))) <= 1e-10
    assert np.max(np.abs(np.array(record["k"]) + 0.4 * np.exp(-6 * t))) <= 1e-10


def test_cli_key_query_model_conserves_q2_minus_k2(capsys):
    """Hard attention with u = q k (alpha = beta = 1, q0 = 1/2, k0 = 1/4, v0 = 0): q^2 - k^2 = 3/16 along the ODE."""
    status, out, _ = run(capsys, "trajectory", "--state", "q=alpha,k=alpha,v=beta", f"--expr={HARD_KEY_QUERY}",
                         "--alpha", "1", "--beta", "1", "--start", "q=1/2,k=1/4", "--t-end", "10", "--format", "json")
    record = json.loads(out)
    assert status == 0
    law = np.array(record["q"]) ** 2 - np.array(record["k"]) ** 2
    assert np.max(np.abs(law - 3 / 16)) <= 1e-9  # rtol 1e-11 integration
    assert record["v"][-1] > 0.5  # the margin grew


def test_cli_compare_gradient_descent_is_first_order(capsys):
    status, out, _ = run(capsys, "compare", "--state", "q=alpha,k=alpha,v=beta", f"--expr={HARD_KEY_QUERY}",
                         "--start", "q=1/2,k=1/4", "--t-end", "10", "--format", "json")
    record = json.loads(out)
    assert status == 0 and abs(record["gd_order"] - 1) <= 0.05  # Euler: error proportional to lr


def test_cli_derive_json(capsys):
    status, out, _ = run(capsys, "derive", "--state", "q=alpha,k", "--expr", "q*k - log(q)", "--format", "json")
    record = json.loads(out)
    assert status == 0 and record["certified"] and record["states"] == ["q", "k"] and record["rates"] == ["alpha", "1"]
    assert set(record["flow"]) == {"q", "k"}


@pytest.mark.parametrize("argv, fragment", [
    (["trajectory", "--state", "q,k", "--expr", "q*k", "--t-end", "1", "--method", "closed"], "--method"),
    (["trajectory", "--state", "q,k", "--expr", "q*k", "--t-end", "1", "--start", "z=1"], "--start"),
    (["trajectory", "--state", "q,k", "--expr", "q*k*tau", "--t-end", "1"], "--param"),
    (["trajectory", "--state", "q,k", "--t-end", "1"], "--expr"),
    (["trajectory", "--state", "q,k", "--expr", "q*k", "--paradigm", "soft", "--t-end", "1"], "--paradigm"),
    (["trajectory", "--state", "q,k", "--expr", "q*k", "--u0", "1", "--t-end", "1"], "--u0"),
    (["trajectory", "--expr", "u*v", "--start", "u=1", "--t-end", "1"], "--start"),
    (["derive", "--state", "q,q", "--expr", "q"], "--state"),
    (["derive", "--state", "q,k", "--expr", "q*k", "--format", "latex"], "--format"),
    (["compare", "--state", "q,k", "--expr", "__import__('os')", "--t-end", "1"], "--expr"),
])
def test_cli_bad_input_is_one_line(capsys, argv, fragment):
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "" and fragment in err and err.count("\n") == 1
