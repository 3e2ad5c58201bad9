"""Hardening: bad input everywhere, property-based checks, determinism."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytic import derive, derive_custom
from analytic.latex import rows
from analytic.parsing import parse_expression
from analytic.symbols import u, v
from trajectories.closed import closed_trajectory
from trajectories.full import full_trajectory
from trajectories.gd import gradient_descent
from trajectories.milestones import milestones
from trajectories.model import Setting, reduced_model
from validation.cli import main
from validation.latex_read import read_latex

# --- bad input: the command line --------------------------------------------------------
NUMBERS = ["nan", "inf", "-inf", "abc", "1/0", "__import__('os')", "1e5000", ""]
COMMAND_ARGUMENTS = {
    "derive": (["derive"], ["--segments", "--alpha", "--beta", "--classes", "--budget"]),
    "trajectory": (["trajectory", "--paradigm", "hard", "--t-end", "10"], ["--segments", "--alpha", "--beta", "--classes", "--u0", "--v0", "--points", "--lr", "--sigma", "--samples", "--t-end"]),
    "compare": (["compare", "--paradigm", "soft", "--t-end", "10"], ["--segments", "--alpha", "--beta", "--u0", "--t-end"]),
    "milestones": (["milestones"], ["--segments", "--alpha", "--targets", "--t-max", "--u0", "--hybrid"]),
    "best-switch": (["best-switch", "--target", "0.9"], ["--target", "--segments", "--beta"]),
    "paper": (["paper", "--out", "{out}"], ["--segments", "--alpha", "--classes"]),
    "figures": (["figures", "--out", "{out}"], ["--segments", "--beta"]),
}
CASES = [(name, option, value) for name, (_, options) in COMMAND_ARGUMENTS.items() for option in options for value in NUMBERS]


@pytest.mark.parametrize("command, option, value", CASES)
def test_every_numeric_option_rejects_bad_values(tmp_path, capsys, command, option, value):
    base, _ = COMMAND_ARGUMENTS[command]
    out = tmp_path / "out"
    argv = [part.replace("{out}", str(out)) for part in base] + [option, value]
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2, (argv, captured)
    assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    # the argument is named; argparse names the value instead when it looks like an option (--hybrid -inf)
    assert option in captured.err or option.lstrip("-") in captured.err or (value.startswith("-") and value in captured.err)
    assert not out.exists()  # nothing written


@pytest.mark.parametrize(
    "argv",
    [
        ["derive", "--paradigm", "sparse"], ["derive", "--loss", "hinge"], ["derive", "--preset", "big"],
        ["trajectory", "--paradigm", "soft", "--t-end", "1", "--method", "euler"],
        ["trajectory", "--paradigm", "attention", "--t-end", "1"],
        ["derive", "--expr", "u" + "+u" * 1500], ["derive", "--expr", "(" * 80 + "u" + ")" * 80],
        ["derive", "--expr", "().__class__"], ["derive", "--expr", "__builtins__"], ["derive", "--expr", "lambda u: u"],
        ["derive", "--expr", "'u'"], ["derive", "--expr", "u ** 10 ** 10"], ["derive", "--segment-loss", "exp(u)"],
        ["trajectory", "--paradigm", "hard", "--t-end", "1e12", "--method", "gd"],
    ],
)
def test_unknown_names_and_code_are_refused(capsys, argv):
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2 and captured.err.count("\n") == 1 and "Traceback" not in captured.err


@pytest.mark.parametrize("segments, classes", [(2, 2), (10**6, 2), (10, 10**6), (10**6, 10**6)])
def test_boundary_settings_work(capsys, segments, classes):
    assert main(["derive", "--paradigm", "hard", "--segments", str(segments), "--classes", str(classes), "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)[0]
    assert record["certified"] is True
    assert main(["trajectory", "--paradigm", "lvml", "--segments", str(segments), "--classes", str(classes), "--t-end", "1e3", "--points", "3"]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert len(table) == 4 and all(math.isfinite(float(x)) for line in table[1:] for x in line.split(","))


# --- bad input: the Python API -------------------------------------------------------------
@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: derive("hard", segments="ten"), "segments"),
        (lambda: derive("hard", segments=float("inf")), "segments"),
        (lambda: derive("hard", alpha=float("nan")), "alpha"),
        (lambda: derive("hard", beta=0), "beta"),
        (lambda: derive("hard", classes=True), "classes"),
        (lambda: derive("hard", loss=3), "loss"),
        (lambda: derive_custom("u + v"), "expr"),
        (lambda: derive_custom(u + sp.Symbol("p")), "expr"),  # p is the attention, not a parameter of L(u, v)
        (lambda: derive_custom(u + sp.I * v), "expr"),
        (lambda: Setting("soft", segments=1.5), "segments"),
        (lambda: Setting("soft", alpha=sp.Integer(10) ** 400), "alpha"),
        (lambda: Setting("soft", classes=1), "classes"),
        (lambda: closed_trajectory(reduced_model(Setting("soft")), 0, 0, -1), "t_end"),
        (lambda: closed_trajectory(reduced_model(Setting("soft")), 0, 0, 1, 0), "points"),
        (lambda: closed_trajectory(reduced_model(Setting("soft")), float("nan"), 0, 1), "u0"),
        (lambda: gradient_descent(reduced_model(Setting("soft")), 0, 0, float("nan"), 10), "lr"),
        (lambda: gradient_descent(reduced_model(Setting("soft")), 0, 0, 0.1, 0), "steps"),
        (lambda: full_trajectory("soft", sigma=-1.0), "sigma"),
        (lambda: full_trajectory("soft", samples=0, sigma=0.1), "samples"),
        (lambda: full_trajectory("soft", variant="ternary"), "variant"),
        (lambda: milestones(reduced_model(Setting("soft")), 0, 0, [0.9, 0.5], 10), "targets"),
        (lambda: milestones(reduced_model(Setting("soft")), 0, 0, [1.5], 10), "targets"),
        (lambda: parse_expression("x" * 3000, {}), "expr"),
    ],
)
def test_api_errors_name_the_argument(call, name):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    message = str(error.value)
    assert f"`{name}`" in message and "\n" not in message and len(message) < 400


def test_custom_derivation_never_hangs():
    # SymPy cannot integrate this in closed form; the derivation reports in bounded time
    d = derive_custom(u**2 / 2 + sp.exp(v**3) * sp.sin(v), alpha=1, beta=1, budget=3.0, use_cache=False)
    assert d.seconds < 30 and d.status in ("ok", "timeout", "no first integral found")
    if d.invariant is not None:  # found before the budget ran out: B is a definite integral, evaluated by quadrature
        assert d.invariant.quadrature == ("B(v)",) and d.invariant.margin_part.has(sp.Integral)
    else:
        assert d.status != "ok"


# --- property-based -------------------------------------------------------------------
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)  # the same examples every run


@PROPERTY
@given(
    paradigm=st.sampled_from(["soft", "hard", "lvml"]),
    loss=st.sampled_from(["cross-entropy", "square", "exponential"]),
    segments=st.integers(2, 1000),
    alpha=st.sampled_from([sp.Rational(1, 10), sp.Integer(1), sp.Integer(3)]),
    beta=st.sampled_from([sp.Rational(1, 5), sp.Integer(1), sp.Integer(2)]),
    u0=st.floats(-3, 3), v0=st.floats(-0.9, 0.9),
)
def test_invariant_is_conserved_for_random_settings(paradigm, loss, segments, alpha, beta, u0, v0):
    from scipy.integrate import solve_ivp

    model = reduced_model(Setting(paradigm, loss, 2, segments, alpha, beta))
    run = solve_ivp(lambda _, y: [float(x) for x in model.flow(y[0], y[1])], (0, 20), [u0, v0], rtol=1e-12, atol=1e-14, method="DOP853")
    values = model.invariant(run.y[0], run.y[1])
    # relative drift below 1e-8 (solve_ivp at rtol 1e-12; v stays away from v* = 1 over t <= 20 here)
    keep = np.abs(run.y[1] - 1) > 1e-2 if loss == "square" and paradigm != "soft" else np.ones_like(values, dtype=bool)
    assert np.max(np.abs(values[keep] - values[0])) <= 1e-8 * max(1.0, abs(values[0]))


@PROPERTY
@given(paradigm=st.sampled_from(["soft", "hard", "lvml"]), loss=st.sampled_from(["cross-entropy", "square", "exponential"]),
       u0=st.floats(-2, 2), v0=st.floats(-0.5, 0.5))
def test_gradient_descent_converges_to_the_flow(paradigm, loss, u0, v0):
    model = reduced_model(Setting(paradigm, loss))
    exact = closed_trajectory(model, u0, v0, 10.0, 2)
    errors = []
    for lr in (0.1, 0.01):
        gd = gradient_descent(model, u0, v0, lr, int(round(10 / lr)))
        errors.append(max(abs(gd.u[-1] - exact.u[-1]), abs(gd.v[-1] - exact.v[-1])))
    # first order: ten times smaller step, error smaller by at least 5
    assert errors[1] <= errors[0] / 5 + 1e-12


@PROPERTY
@given(paradigm=st.sampled_from(["soft", "hard", "lvml"]), classes=st.integers(2, 5), segments=st.integers(2, 6),
       u0=st.floats(-1, 1), v0=st.floats(-1, 1))
def test_full_model_at_zero_noise_is_reduced_descent(paradigm, classes, segments, u0, v0):
    model = reduced_model(Setting(paradigm, "cross-entropy", classes, segments, sp.Rational(1, classes), sp.Rational(1, classes - 1)))
    full = full_trajectory(paradigm, variant="symmetric", classes=classes, segments=segments, u0=u0, v0=v0, lr=0.3, steps=50)
    reduced = gradient_descent(model, u0, v0, 0.3, 50)
    assert np.max(np.abs(full.u - reduced.u)) < 1e-10 and np.max(np.abs(full.v - reduced.v)) < 1e-10


@PROPERTY
@given(paradigm=st.sampled_from(["soft", "hard", "lvml"]), loss=st.sampled_from(["cross-entropy", "square", "exponential"]),
       segments=st.integers(2, 50), alpha=st.integers(1, 9), beta=st.integers(1, 9))
def test_latex_reads_back_for_random_settings(paradigm, loss, segments, alpha, beta):
    d = derive(paradigm, loss, segments=segments, alpha=sp.Rational(alpha, 3), beta=sp.Rational(beta, 7))
    for row in rows(d):
        back = read_latex(" ".join(row.lines))
        assert back == row.expr or sp.simplify(back - row.expr) == 0, row.suffix


# --- determinism -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["trajectory", "--paradigm", "lvml", "--t-end", "50", "--points", "6"],
        ["trajectory", "--paradigm", "soft", "--t-end", "5", "--method", "full", "--sigma", "0.2", "--samples", "50", "--seed", "3", "--format", "json"],
        ["milestones", "--format", "json"],
        ["compare", "--paradigm", "hard", "--t-end", "20", "--format", "json"],
        ["derive", "--paradigm", "hard", "--format", "latex"],
    ],
)
def test_same_inputs_give_identical_output(capsys, argv):
    main(argv)
    first = capsys.readouterr().out
    main(argv)
    assert capsys.readouterr().out == first


def test_derive_json_is_identical_but_for_timing(capsys):
    argv = ["derive", "--paradigm", "lvml", "--loss", "square", "--format", "json"]
    outputs = []
    for _ in range(2):
        main(argv)
        records = json.loads(capsys.readouterr().out)
        for record in records:
            record.pop("seconds")
        outputs.append(json.dumps(records, sort_keys=True))
    assert outputs[0] == outputs[1]


def test_paper_tex_is_byte_identical(tmp_path):
    from validation.paper import write_paper

    from trajectories.model import Setting
    from trajectories.presets import Study

    study = Study(Setting("soft", "cross-entropy", 2, sp.Integer(10), sp.Integer(1), sp.Integer(1)), 0.0, 0.0)
    texts = []
    for name in ("a", "b"):
        result = write_paper(tmp_path / name, study, horizon=100.0, figures=False)
        texts.append({p.relative_to(result.directory).as_posix(): p.read_bytes() for p in result.files if p.suffix == ".tex"})
    assert texts[0] == texts[1] and len(texts[0]) >= 12


def test_the_budget_bounds_the_in_process_rules_too():
    import time

    started = time.perf_counter()
    d = derive_custom(v**1000, alpha=1, beta=1, budget=2.0, use_cache=False)  # once 171 s inside apart/ratint
    elapsed = time.perf_counter() - started
    # stopped (the worker is killed at the budget plus its 5 s grace period): not the 171 s it once took; the bound is
    # far above 7 s so that a loaded machine cannot fail it, far below 171 s so that the old behaviour would
    assert d.status == "timeout" and d.invariant is None and elapsed < 60.0
    assert d.flow.dv == -1000 * v**999  # the loss and the flow are still there
