"""The general results of each paradigm, for any segment loss, against hand derivations and the certified cases."""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from analytic import derive
from analytic import symbols as sym
from analytic.propositions import ELL, EllPrime, INFIMUM, certify, check_against, general_results

p, v, alpha, beta = sym.p, sym.v, sym.alpha, sym.beta
LOSSES = ("cross-entropy", "square", "exponential")


def general_derivation(paradigm, loss):
    return derive(paradigm, loss, classes=sym.c, segments=sym.T, alpha=alpha, beta=beta)


def test_hand_derived_results():
    """By hand from L = G(p, v) and dp/du = p(1 - p):

    soft  G = l(pv):  du/dt = -a p(1-p) v l'(pv), dv/dt = -b p l'(pv), r(v) = v, B = a v^2 / (2b), incentive -v l'(pv) -> 0;
    hard  G = p l(v) + (1-p) l(0):  r(v) = (l(v) - l(0)) / l'(v), incentive l(0) - l(v) -> l(0) - l_*;
    LVML  r(v) = (e^{l(v) - l(0)} - 1) / l'(v).
    """
    soft = general_results("soft")
    assert sp.simplify(soft.du - (-alpha * p * (1 - p) * v * EllPrime(p * v))) == 0
    assert sp.simplify(soft.dv - (-beta * p * EllPrime(p * v))) == 0
    assert soft.margin_rate == v and sp.simplify(soft.margin_part - alpha * v ** 2 / (2 * beta)) == 0
    assert soft.incentive_limit == 0
    hard = general_results("hard")
    assert sp.simplify(hard.margin_rate - (ELL(v) - ELL(0)) / EllPrime(v)) == 0
    assert sp.simplify(hard.incentive - (ELL(0) - ELL(v))) == 0
    assert sp.simplify(hard.incentive_limit - (ELL(0) - INFIMUM)) == 0
    lvml = general_results("lvml")
    assert sp.simplify(lvml.margin_rate - (sp.exp(ELL(v) - ELL(0)) - 1) / EllPrime(v)) == 0
    for results in (soft, hard, lvml):
        assert sp.simplify(results.focus_part - (sym.u + sp.exp(sym.u) / (sym.T - 1))) == 0


@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_certified_and_consistent_with_every_loss(paradigm):
    results = general_results(paradigm)
    assert certify(results) == []
    for loss in LOSSES:
        assert check_against(results, general_derivation(paradigm, loss)) == []


def test_a_wrong_general_result_is_caught():
    """The checks can fail: a flow off by a factor 2 and a margin rate with the wrong sign."""
    hard = general_results("hard")
    doubled = dataclasses.replace(hard, du=2 * hard.du)
    assert "flow-u" in check_against(doubled, general_derivation("hard", "exponential"))
    flipped = dataclasses.replace(hard, margin_rate=-hard.margin_rate)
    assert "first integral" in certify(flipped)
    assert "margin-part" in check_against(flipped, general_derivation("hard", "square"))
