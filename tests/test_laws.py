"""Conservation laws of a parametrisation: known answers, certificates, a property test along solve_ivp."""

import json
import random

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from analytic.laws import conservation_laws
from analytic.parsing import parse_expression
from validation.cli import main

q, k = sp.symbols("q k", real=True)
u1, u2, w1, w2 = sp.symbols("u1 u2 w1 w2", real=True)

#: map -> (states, rank, hand-derived laws spanning the same functions)
KNOWN = {
    "q*k": ("q,k", 1, [q**2 - k**2]),
    "u1*w1 + u2*w2": ("u1,u2,w1,w2", 1, [u1**2 - w1**2, u1*u2 - w1*w2, u2**2 - w2**2]),  # entries of U^T U - V^T V
    "u1*w1, u1*w2, u2*w1, u2*w2": ("u1,u2,w1,w2", 3, [u1**2 + u2**2 - w1**2 - w2**2]),  # |u|^2 - |w|^2 of u w^T
}


def jacobian_rank(laws, states, seed=7) -> int:
    """Rank of the laws' Jacobian at a random rational point (exact): how many are functionally independent."""
    rng = random.Random(seed)
    point = {s: sp.Rational(rng.randint(-50, 50), rng.randint(7, 19)) for s in states}
    return sp.Matrix([[sp.diff(h, s) for s in states] for h in laws]).xreplace(point).rank()


@pytest.mark.parametrize("mapping", list(KNOWN))
def test_known_counts_and_laws(mapping):
    states_text, rank, expected = KNOWN[mapping]
    result = conservation_laws(states_text, mapping)
    states = [sp.Symbol(name, real=True) for name in states_text.split(",")]
    n = len(states)
    assert (result.rank, result.count) == (rank, n - rank) and result.complete and result.certified
    assert len(result.laws) == len(expected)
    # the laws found and the hand-derived ones span the same functions: together still len(expected) independent
    assert jacobian_rank(list(result.laws), states) == len(expected)
    assert jacobian_rank(list(result.laws) + expected, states) == len(expected)
    # each found law is conserved by every gradient field, checked here with plain sp.diff (exact)
    components = [parse_expression(c, {s.name: s for s in states}) for c in mapping.split(",")]
    for law in result.laws:
        for phi in components:
            assert sp.expand(sum(sp.diff(law, s) * sp.diff(phi, s) for s in states)) == 0


def test_q_times_k_law_text_and_json(capsys):
    status = main(["laws", "--state", "q,k", "--map", "q*k", "--format", "json"])
    out, err = capsys.readouterr()
    record = json.loads(out)
    assert status == 0 and err == ""
    assert (record["count"], record["rank"], record["laws"]) == (1, 1, ["q**2 - k**2"])


def test_rates_enter_the_laws():
    """q' = -2 k L', k' = -3 q L' conserve 3 q^2 - 2 k^2 (d/dt = -12 q k L' + 12 k q L' = 0); alpha, beta alike."""
    assert conservation_laws("q=2,k=3", "q*k").law_texts == ("3*q**2 - 2*k**2",)
    assert conservation_laws("q=alpha,k=beta", "q*k").law_texts == ("beta*q**2 - alpha*k**2",)


def test_law_that_is_not_polynomial_is_said(capsys):
    """q + k^2: the law is k exp(-2q) (h_q + 2k h_k = 0), not polynomial; the count says 1, none listed, exit 1."""
    result = conservation_laws("q,k", "q + k**2")
    assert (result.count, result.laws, result.complete) == (1, (), False)
    assert "found 0 of the 1" in result.note
    status = main(["laws", "--state", "q,k", "--map", "q + k^2"])
    _, err = capsys.readouterr()
    assert status == 1 and "not polynomial" in err


def test_transcendental_map_finds_the_polynomial_law():
    """exp(q k) has the same level sets as q k: q^2 - k^2 again (numeric null space, certified exactly)."""
    result = conservation_laws("q,k", "exp(q*k)")
    assert result.law_texts == ("q**2 - k**2",) and result.certified


def test_full_rank_has_no_law():
    result = conservation_laws("q,k", "q*k, q")
    assert (result.rank, result.count, result.laws) == (2, 0, ())


@pytest.mark.parametrize("argv, fragment", [
    (["--state", "q,k", "--map", "q*z"], "unknown name 'z'"),
    (["--state", "q,exp", "--map", "q"], "'exp' is the name of a function"),
    (["--state", "q,k", "--map", "__import__('os')"], "unexpected character"),
    (["--state", "q,k", "--map", "q*k", "--degree", "9"], "--degree"),
])
def test_bad_input_is_one_line(capsys, argv, fragment):
    status = main(["laws", *argv])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and fragment in err and err.count("\n") == 1


PROPERTY_MAPS = list(KNOWN)
PROPERTY_SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", PROPERTY_SEEDS)
@pytest.mark.parametrize("mapping", PROPERTY_MAPS)
def test_laws_stay_constant_along_solve_ivp_of_random_losses(mapping, seed):
    """Random L(phi) = sum_j a_j (phi_j - b_j)^2 / 2 + c_j sin(phi_j): every law constant to 1e-9 along the full
    flow (solve_ivp, rtol = atol = 1e-12, gradient by sp.diff here), a perturbed law h + theta_1 is not (> 1e-4)."""
    states_text, _, _ = KNOWN[mapping]
    result = conservation_laws(states_text, mapping)
    states = [sp.Symbol(name, real=True) for name in states_text.split(",")]
    rng = np.random.default_rng(seed)
    loss = sum(sp.Rational(int(rng.integers(1, 9)), 4) * (phi - sp.Rational(int(rng.integers(-6, 7)), 3)) ** 2 / 2
               + sp.Rational(int(rng.integers(-4, 5)), 5) * sp.sin(phi) for phi in result.components)
    gradient = sp.lambdify(states, [sp.diff(loss, s) for s in states], "numpy")
    start = rng.uniform(-1.2, 1.2, len(states))
    solution = solve_ivp(lambda _, y: -np.array(gradient(*y), dtype=float), (0, 5), start, method="DOP853",
                         rtol=1e-12, atol=1e-12, dense_output=True)
    assert solution.success
    path = solution.sol(np.linspace(0, 5, 101))
    assert np.max(np.abs(path[:, -1] - start)) > 1e-2  # the flow moved
    for law in result.laws:
        values = sp.lambdify(states, law, "numpy")(*path)
        assert np.max(np.abs(values - values[0])) <= 1e-9 * max(1, abs(values[0]))  # conserved, to 1e-9
        perturbed = sp.lambdify(states, law + states[0], "numpy")(*path)
        assert np.max(np.abs(perturbed - perturbed[0])) > 1e-4  # the perturbed law moves with theta_1
