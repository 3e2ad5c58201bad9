"""Growth laws, the fixed-focus signature, orderings and figures, against independent integration."""

from __future__ import annotations

import dataclasses

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from analytic import derive
from analytic.growth import DOUBLY_LOGARITHMIC, FINITE_LIMIT, LOGARITHMIC, growth_law
from trajectories.milestones import ode_milestones
from trajectories.model import Setting, reduced_model
from validation.cli import main
from validation.growth import check_growth
from validation.signature import incentive_curve

SMALL = Setting("soft", "cross-entropy", 2, 10, 1, 1)


@pytest.mark.parametrize("loss", ["cross-entropy", "square", "exponential"])
@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_growth_law_ratio_tends_to_one(paradigm, loss):
    check = check_growth(dataclasses.replace(SMALL, paradigm=paradigm, loss=loss))
    u_ratio, v_ratio = np.array(check.focus_ratio), np.array(check.margin_ratio)
    if check.law.focus_kind == DOUBLY_LOGARITHMIC:
        # log log t corrections: within 1% at t = 1e8 and shrinking from 1e6 to 1e8
        assert abs(u_ratio[-1] - 1) < 1e-2 and abs(u_ratio[-1] - 1) < abs(u_ratio[-2] - 1)
    else:
        # logarithmic laws and finite limits: within 1e-4 at t = 1e8
        assert abs(u_ratio[-1] - 1) < 1e-4
    assert abs(v_ratio[-1] - 1) < 1e-2


def test_growth_kinds_match_the_hand_derivation():
    kinds = {(par, loss): growth_law(derive(par, loss)).focus_kind for par in ("soft", "hard", "lvml") for loss in ("cross-entropy", "square")}
    assert kinds[("soft", "cross-entropy")] == DOUBLY_LOGARITHMIC
    assert kinds[("soft", "square")] == FINITE_LIMIT
    assert all(kinds[(par, loss)] == LOGARITHMIC for par in ("hard", "lvml") for loss in ("cross-entropy", "square"))
    # hand: e^u ~ alpha (T - 1) K t with K = log c for hard cross-entropy
    from analytic.symbols import T, alpha, c, t

    law = growth_law(derive("hard", "cross-entropy", classes=c))
    assert sp.simplify(sp.exp(law.focus) - alpha * (T - 1) * sp.log(c) * t) == 0


def test_soft_square_limit_matches_long_integration():
    check = check_growth(dataclasses.replace(SMALL, loss="square"))
    model = reduced_model(dataclasses.replace(SMALL, loss="square"))
    run = solve_ivp(lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0, 1e4), [0.0, 0.0], rtol=1e-12, atol=1e-14, method="LSODA")
    u_inf, v_inf = check.limits
    assert abs(run.y[0, -1] - u_inf) < 1e-8 and abs(run.y[1, -1] - v_inf) < 1e-8
    assert abs(float(model.attention(u_inf)[0]) * v_inf - 1) < 1e-12  # p v = v* = 1


def _reference_incentive(paradigm, attention, time):
    """Independent: integrate dv/dt at fixed p (solve_ivp) and differentiate L in p with mpmath."""
    d = derive(paradigm, "cross-entropy", alpha=1, beta=1)
    p, v = sp.Symbol("p", positive=True), sp.Symbol("v", real=True)
    loss = sp.lambdify((p, v), d.loss_in_attention, "mpmath")
    rate = sp.lambdify(v, -sp.diff(d.loss_in_attention, v).subs(p, attention), "numpy")
    margin = solve_ivp(lambda _, y: [rate(y[0])], (0, time), [0.0], rtol=1e-12, atol=1e-14, method="DOP853").y[0, -1]
    with mpmath.workdps(30):
        return -float(mpmath.diff(lambda x: loss(x, mpmath.mpf(margin)), mpmath.mpf(attention)))


@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
@pytest.mark.parametrize("attention", [0.2, 0.8])
def test_fixed_focus_incentive_matches_integration(paradigm, attention):
    times = [1.0, 10.0, 100.0]
    curve, limit = incentive_curve(paradigm, "cross-entropy", 2, 1, attention, times)
    for value, time in zip(curve, times):
        # ODE at rtol 1e-12 and mpmath differentiation: agreement to 1e-8
        assert abs(value - _reference_incentive(paradigm, attention, time)) < 1e-8
    # the signature: soft's incentive vanishes, hard's and LVML's do not
    assert (limit == 0) == (paradigm == "soft")


def test_orderings_in_the_small_preset_by_integration():
    times = {par: ode_milestones(reduced_model(dataclasses.replace(SMALL, paradigm=par)), 0, 0, [0.3, 0.99], 1e7) for par in ("soft", "hard", "lvml")}
    # early: soft < LVML < hard; late: hard < LVML < soft
    assert times["soft"][0] < times["lvml"][0] < times["hard"][0]
    assert times["hard"][1] < times["lvml"][1] < times["soft"][1]


def test_figures_command(tmp_path, capsys):
    out = tmp_path / "figures"
    assert main(["figures", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for stem in ("phase_portrait", "attention", "paper_uv", "fixed_focus_incentive", "overlay"):
        assert {f"{stem}.pdf", f"{stem}.png"} <= names
        assert (out / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
    assert not any(name.startswith(".") and name != ".attention-dynamics" for name in names)  # no temporary left
    capsys.readouterr()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert main(["figures", "--out", str(foreign)]) == 2
    assert "--force" in capsys.readouterr().err
