"""Registering a paradigm and a loss through the public functions (issue 17).

The mixture paradigm :math:`L = \\tfrac12\\bigl(\\ell(pv) + p\\,\\ell(v) + (1 - p)\\,\\ell(0)\\bigr)` and the
logistic loss at temperature 2, :math:`\\ell(v) = \\log(1 + e^{-v/2})`, are registered by a fixture (and
removed afterwards); every command is run in-process and must exit 0 with the new entries present, or
print the rest with a one-line note. The mixture's milestones are checked against an independent
``solve_ivp`` of the flow written out here.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

import analytic
from analytic.losses import LOSSES, unregister_loss
from analytic.paradigms import PARADIGMS, unregister_paradigm
from validation.cli import main

MIXTURE = "(l(p*v) + p*l(v) + (1-p)*l(0))/2"
TEMPERED = "log(1+exp(-v/2))"


@pytest.fixture
def registered():
    analytic.register_paradigm("mixture", MIXTURE, title="Mixture of soft and hard attention")
    analytic.register_loss("logistic-t2", TEMPERED, title="Logistic loss at temperature 2")
    try:
        yield
    finally:
        unregister_paradigm("mixture")
        unregister_loss("logistic-t2")


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_registration_refuses_duplicates_and_bad_names(registered):
    for call in (lambda: analytic.register_paradigm("mixture", MIXTURE), lambda: analytic.register_paradigm("soft", MIXTURE),
                 lambda: analytic.register_paradigm("Bad Name", MIXTURE), lambda: analytic.register_loss("square", TEMPERED),
                 lambda: analytic.register_loss("logistic", TEMPERED), lambda: analytic.register_paradigm("p2", "l(v)")):
        with pytest.raises(ValueError) as error:
            call()
        assert "\n" not in str(error.value)
    with pytest.raises(ValueError):
        analytic.register_paradigm("evil", "__import__('os')")  # parsed by the whitelist, never evaluated


def test_registered_entries_carry_their_facts(registered):
    entry, loss = PARADIGMS["mixture"], LOSSES["logistic-t2"]
    from analytic.symbols import p, v  # the toolkit's own symbols (the aggregation is matched by them)
    assert entry.title == "Mixture of soft and hard attention" and entry.latex == r"\mathrm{mixture}" and entry.full is None
    assert not entry.batched and not entry.fixed_focus  # the margin's scale under it is not known in advance
    assert loss.label == "logistic-t2" and loss.minimiser == sp.oo and loss.margin is None
    # the aggregation applied to exp(-v), by hand
    assert sp.simplify(entry.loss(sp.exp(-v), p) - (sp.exp(-p * v) + p * sp.exp(-v) + 1 - p) / 2) == 0


@pytest.mark.parametrize("argv", [
    ("derive", "--paradigm", "mixture", "--loss", "logistic-t2"),
    ("derive", "--paradigm", "all", "--loss", "logistic-t2", "--format", "latex"),
    ("derive", "--paradigm", "mixture", "--loss", "logistic-t2", "--format", "json"),
    ("trajectory", "--paradigm", "mixture", "--loss", "logistic-t2", "--method", "ode", "--t-end", "5"),
    ("trajectory", "--paradigm", "mixture", "--loss", "logistic-t2", "--method", "gd", "--t-end", "5"),
    ("milestones", "--preset", "small", "--loss", "logistic-t2", "--targets", "0.3,0.5,0.9"),
])
def test_commands_offer_the_registered_entries(registered, capsys, argv):
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    assert "mixture" in out or "logistic-t2" in out or (argv[0] == "trajectory" and out.startswith("t,u,v,p"))  # CSV: no names
    assert "Traceback" not in err


def test_closed_trajectory_of_the_mixture_is_a_one_line_refusal(registered, capsys):
    status, out, err = run(capsys, "trajectory", "--paradigm", "mixture", "--loss", "logistic-t2", "--method", "closed", "--t-end", "5")
    # the input is fine; the closed form does not exist for it: not available, exit 1
    assert status == 1 and err.count("\n") == 1 and "first integral" in err and err.startswith("attention-dynamics: not available: ")


def _independent_times(targets, segments=10.0, temperature=2):
    """First passages of p through ``targets`` from (0, 0), alpha = beta = 1, under the logistic loss at ``temperature``
    (1: the small preset's cross-entropy with c = 2): the mixture's flow written out here."""
    u, v = sp.symbols("u v", real=True)
    p = sp.exp(u) / (sp.exp(u) + segments - 1)

    def ell(x):
        return sp.log(1 + sp.exp(-x / temperature))

    loss = (ell(p * v) + p * ell(v) + (1 - p) * ell(0)) / 2
    du, dv = (sp.lambdify((u, v), -sp.diff(loss, s)) for s in (u, v))
    events = []
    for target in targets:
        def event(_, y, level=math.log(segments - 1) + math.log(target / (1 - target))):
            return y[0] - level
        event.terminal = False
        events.append(event)
    solution = solve_ivp(lambda _, y: [du(*y), dv(*y)], (0, 1e3), [0.0, 0.0], method="LSODA", rtol=1e-10, atol=1e-12, events=events)
    return [float(times[0]) for times in solution.t_events]


def test_mixture_milestones_agree_with_an_independent_solve_ivp(registered, capsys):
    targets = (0.3, 0.5, 0.9)
    status, out, err = run(capsys, "milestones", "--preset", "small", "--loss", "logistic-t2", "--targets", "0.3,0.5,0.9",
                           "--format", "json")
    assert status == 0, err
    times = json.loads(out)["times"]["mixture"]
    expected = _independent_times(targets)
    for target, want in zip(targets, expected):
        got = times[str(target)]
        assert got == pytest.approx(want, rel=1e-6)  # both integrations to rtol 1e-10 or better


@pytest.mark.parametrize("loss", sorted(set(LOSSES) | {"logistic-t2"}))
def test_paper_setting_states_the_loss(registered, loss):
    """The setting section names the studied loss (every loss, a registered one too)."""
    from trajectories.presets import Study
    from validation.document import setting_section

    text = "\n".join(setting_section(Study.from_preset("small", loss=loss)))
    instance = text.split("the setting this document studies:")[1]
    assert f"the {LOSSES[loss].noun}" in instance
    assert LOSSES[loss].latex in text  # every registered loss is defined in the setting


@pytest.mark.parametrize("paradigm", sorted(set(PARADIGMS) | {"mixture"}))
def test_docs_page_for_every_paradigm(registered, paradigm):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs"))
    from generate_pages import page

    text = page(paradigm)
    assert PARADIGMS[paradigm].heading in text and "Logistic loss at temperature 2" in text


@pytest.mark.parametrize("command", ["growth", "signature"])
def test_tables_keep_the_built_ins_and_note_the_paradigm_they_cannot_cover(capsys, command):
    """The mixture has no growth law and no fixed-focus incentive limit: the table is the built-ins' own, unchanged,
    with one note line naming the mixture (exit 0), never a failure of the whole table."""
    status, before, err = run(capsys, command, "--preset", "small", "--format", "json")
    assert status == 0 and err == "", err
    analytic.register_paradigm("mixture", MIXTURE)
    try:
        status, after, err = run(capsys, command, "--preset", "small", "--format", "json")
    finally:
        unregister_paradigm("mixture")
    assert status == 0 and "Traceback" not in err
    notes = err.strip().splitlines()
    assert len(notes) == 1 and notes[0].startswith("attention-dynamics: note: mixture is not in the table: "), err
    before, after = json.loads(before), json.loads(after)
    if command == "growth":
        assert after[:-1] == before and after[-1]["paradigm"] == "mixture" and after[-1]["not_available"]
    else:
        assert after.pop("not_available").keys() == {"mixture"} and after == before  # the same numbers, exactly


def test_a_table_with_no_paradigm_left_is_not_available(capsys):
    """No paradigm has a growth law for a loss whose time to reach v grows like e^{2v}: exit 1 with the reason."""
    status, out, err = run(capsys, "growth", "--segment-loss", "log(1+exp(-2*v))")
    assert status == 1 and out == "" and err.count("\n") == 1 and err.startswith("attention-dynamics: not available: ")
    assert "no growth law" in err and "Traceback" not in err


def test_best_switch_to_the_mixture_is_not_resolved(registered, capsys):
    """Without a closed form the hybrid's time comes from two log-time ODE runs that differ by ~1e-7: said, exit 1."""
    status, out, err = run(capsys, "best-switch", "--after", "mixture", "--target", "0.9")
    assert status == 1 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("attention-dynamics: not resolved: mixture attention: cannot give the time to p = 0.9")


def test_sweep_computes_the_mixture_setting_by_setting(registered, capsys):
    """The batched closed form cannot run the mixture: its column comes from the log-time ODE at each setting, marked so,
    and agrees with the mixture's flow written out in this file (small preset's setting: T = 10, c = 2, alpha = beta = 1)."""
    targets = (0.3, 0.5, 0.9)
    status, out, err = run(capsys, "sweep", "--loss", "logistic-t2", "--segments", "10", "--classes", "2", "--alpha", "1",
                           "--beta", "1", "--targets", "0.3,0.5,0.9", "--format", "json")
    assert status == 0 and "Traceback" not in err, err
    record = json.loads(out)
    assert "mixture" in record["columns"] and "mixture" in record["computed_by_setting"]
    row = record["rows"][0]
    for target, want in zip(targets, _independent_times(targets)):
        assert row["times"]["mixture"][str(target)] == pytest.approx(want, rel=1e-6)  # both integrations to rtol 1e-10 or better
        assert row["notes"]["mixture"][str(target)] == "by ODE (log time)"
    assert [line for line in err.splitlines() if "note: mixture" in line] == [
        "attention-dynamics: note: mixture: computed setting by setting (the batched closed form cannot run it): its closed "
        "form where one exists, else ODE (log time) (LSODA in tau = log(1 + t/t_c), rtol 1e-12, checked against rtol 1e-09 "
        "to 1e-07)"]


def test_reproduce_leaves_out_the_paradigm_the_batched_engine_cannot_run(registered):
    from validation.reproduce import sweep_request

    request = sweep_request((2.0, 10.0))
    assert "mixture" not in request.columns() and [line.split(":")[0] for line in request.skipped()] == ["mixture"]


def test_figures_draw_the_paradigms_with_a_closed_form_and_note_the_mixture(registered, capsys, tmp_path):
    from validation.figures import FIGURES

    status, out, err = run(capsys, "figures", "--preset", "small", "--out", str(tmp_path / "figures"))
    assert status == 0 and "Traceback" not in err
    assert [line for line in err.splitlines() if "mixture" in line] == [
        "attention-dynamics: note: mixture is not in the figures: no closed-form trajectory (no first integral found: "
        "du/dv does not separate into f(u) g(v); no closed form for t(v) under fixed focus)"]
    assert {path.stem for path in (tmp_path / "figures").iterdir() if path.suffix == ".png"} == set(FIGURES)


def test_paper_states_the_registered_paradigm(registered, capsys, tmp_path):
    """The document's setting counts and defines the mixture, gives it its proposition and a snippet per built-in
    loss, and its milestone table a row (times by the log-time ODE, marked)."""
    status, out, err = run(capsys, "paper", "--preset", "small", "--out", str(tmp_path / "paper"))
    assert status == 0 and "Traceback" not in err, err
    paper = (tmp_path / "paper" / "paper.tex").read_text()
    assert "Four training paradigms" in paper and r"\emph{mixture of soft and hard attention}" in paper
    assert r"\section{Mixture of soft and hard attention}" in paper and r"\label{prop:mixture-general}" in paper
    assert {f"mixture-{short}.tex" for short in ("ce", "sq", "exp")} <= {p.name for p in (tmp_path / "paper" / "snippets").iterdir()}
    rows = [line for line in (tmp_path / "paper" / "milestones.tex").read_text().splitlines() if line.strip().startswith("mixture &")]
    assert len(rows) == 1 and rows[0].count("^{*}") == 4  # four targets, each by the log-time ODE
    table = (tmp_path / "paper" / "milestones.tex").read_text()
    assert "$^{*}$ by ODE (log time): mixture has no closed form (" in table  # not "the closed form cannot resolve"


@pytest.mark.slow  # the main job: about 2-4 minutes on 2 cores
def test_reproduce_on_a_small_sweep_covers_the_registered_entries(registered, tmp_path):
    """The main job with the mixture and the tempered loss registered: every derivation certified, a cross-check per
    pair (the mixture's without a closed form, said why), its milestones (independent solve_ivp), a growth note, the
    paper counting four paradigms. The sweep on T, c in {2, 45} and the paper preset's values (9 settings)."""
    from validation.reproduce import reproduce

    summary = reproduce(tmp_path / "run", pdf=False, workers=2, sweep_axis=(2.0, 45.0))
    derivations = summary["derivations"]
    assert len(derivations) == 2 * 4 * 4 and all(d["certified"] for d in derivations)  # 2 presets x 4 paradigms x 4 losses
    checks = {check["model"]: check for check in summary["crosschecks_small"]}
    assert len(checks) == 16 and checks["mixture / logistic-t2"]["no_closed_form"].startswith("no first integral found")
    assert checks["soft / logistic-t2"]["max_abs_u_closed_vs_ode"] < 1e-8  # the closed form of a registered loss, checked
    targets = summary["presets"]["small"]["milestones"]["targets"]
    times = summary["presets"]["small"]["milestones"]["times"]["mixture"]
    for target, want in zip(targets, _independent_times(targets, temperature=1)):
        assert times[str(target)] == pytest.approx(want, rel=1e-6)  # both integrations to rtol 1e-10 or better
    growth = summary["presets"]["small"]["growth"][-1]
    assert growth["paradigm"] == "mixture" and growth["not_available"].startswith("no growth law could be derived for mixture")
    assert summary["sweep"]["settings"] == 9
    paper = (tmp_path / "run" / "paper" / "paper.tex").read_text()
    assert "Four training paradigms" in paper and r"\section{Mixture of soft and hard attention}" in paper


PLUGIN_MODULE = f'''
import analytic

def register():
    analytic.register_paradigm("mixture", {MIXTURE!r}, title="Mixture of soft and hard attention")
    analytic.register_loss("logistic-t2", {TEMPERED!r}, title="Logistic loss at temperature 2")

def clashing():
    analytic.register_loss("square", "v")  # the built-in's name: refused
'''


def _installed_plugin(root, function: str):
    """A package ``demo-models`` on ``root`` whose entry point of group attention_dynamics.models calls ``function``."""
    import sys
    from pathlib import Path

    (root / "demo_models.py").write_text(PLUGIN_MODULE)
    info = root / "demo_models-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-models\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[attention_dynamics.models]\ndemo = demo_models:{function}\n")
    project = Path(__file__).resolve().parents[1]
    return {"PYTHONPATH": f"{root}:{project}"}, [sys.executable, "-m", "validation"]


def _run_with(environment: dict, command: list, *argv):
    import os
    import subprocess

    return subprocess.run([*command, *argv], env={**os.environ, **environment}, capture_output=True, text=True, timeout=600)


def test_an_installed_plugin_offers_its_entries_to_every_command(tmp_path):
    """A package's entry point registers the mixture and the tempered loss: ``--paradigm`` and ``--loss`` take them and
    the mixture's milestone agrees with the independent solve_ivp."""
    environment, command = _installed_plugin(tmp_path, "register")
    derived = _run_with(environment, command, "derive", "--paradigm", "mixture", "--loss", "logistic-t2", "--format", "json")
    assert derived.returncode == 0, derived.stderr
    record = json.loads(derived.stdout)
    assert [(d["paradigm"], d["loss"]) for d in record] == [("mixture", "logistic-t2")]
    timed = _run_with(environment, command, "milestones", "--preset", "small", "--loss", "logistic-t2", "--targets", "0.5", "--format", "json")
    assert timed.returncode == 0, timed.stderr
    assert json.loads(timed.stdout)["times"]["mixture"]["0.5"] == pytest.approx(_independent_times([0.5])[0], rel=1e-6)  # rtol 1e-10 runs


def test_a_plugin_that_fails_to_register_is_one_line_naming_it(tmp_path):
    environment, command = _installed_plugin(tmp_path, "clashing")
    result = _run_with(environment, command, "derive", "--paradigm", "soft")
    assert result.returncode == 2 and result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("attention-dynamics: error: plugin 'demo' (demo_models:clashing) of attention_dynamics.models failed: ")
    assert "'square'" in result.stderr
