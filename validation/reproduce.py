"""The main job: every derivation, cross-check, milestone, hybrid, figure and the paper.

On the embedded defaults of docs/setting.rst section 6 (the ``paper`` preset, with
milestones and the best switch for both presets). Writes into one output
directory (files atomically; a rerun overwrites the files it wrote, never a file
the user created or edited unless ``force``, see :mod:`validation.files`) and
returns a summary that is printed as a short table and saved as ``summary.json``
(strict JSON: a value that is not a finite number is ``null``, with a
``<key>_reason`` next to it).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path


from analytic import derive
from analytic.report import finite_or_none, strict_json
from trajectories.hybrid import Switch, best_switch
from trajectories.milestones import check_targets
from trajectories.presets import Study

from .compare import compare
from .files import check_writable, prepare_directory, write_json, write_text
from .growth import growth_table
from .paper import LOSSES, PARADIGMS, float_table, write_paper
from .paradigms import milestone_report

TARGETS = (0.3, 0.5, 0.9, 0.99)
SMALL_CROSSCHECK_HORIZON = 1e3
#: files the run writes whose names are known before it starts (checked first, so a refusal comes at once)
KNOWN_FILES = ("summary.json", "milestones_paper.txt", "milestones_small.txt", "paper/paper.tex", "paper/macros.tex",
               "paper/crosscheck.tex", "paper/milestones.tex", "paper/paper.pdf", "paper/paper.aux", "paper/paper.log")
KNOWN_DIRECTORIES = ("paper", "paper/snippets", "paper/figures")


def reproduce(directory, *, force: bool = False, pdf: bool = True, step=lambda name: None) -> dict:
    """Run the main job into ``directory``; ``step(name)`` is called before each stage (progress)."""
    started = time.perf_counter()
    root = prepare_directory(directory, force=force)
    check_writable(*(root / name for name in KNOWN_FILES), directories=[root / name for name in KNOWN_DIRECTORIES])
    summary: dict = {"presets": {}}

    step("derivations")
    derivations = []
    for name in ("paper", "small"):
        setting = Study.from_preset(name).setting
        for paradigm in PARADIGMS:
            for loss in LOSSES:
                d = derive(paradigm, loss, classes=setting.classes, segments=setting.segments, alpha=setting.alpha, beta=setting.beta)
                derivations.append({"preset": name, "label": d.label, "certified": d.certified, "max_residual": finite_or_none(d.certificate.max_residual), "seconds": d.seconds})
    summary["derivations"] = derivations

    step("cross-checks")
    crosschecks = []
    small = Study.from_preset("small")
    for paradigm in PARADIGMS:
        for loss in LOSSES:
            result = compare(small.for_paradigm(paradigm, loss), small.u0, small.v0, SMALL_CROSSCHECK_HORIZON)
            crosschecks.append(result.to_dict())
    summary["crosschecks_small"] = crosschecks

    milestone_tables = {}
    for name in ("paper", "small"):
        step(f"milestones ({name})")
        study = Study.from_preset(name)
        base = study.setting
        best = best_switch(base, TARGETS[-1], "hard", study.u0, study.v0)
        best_lvml = best_switch(base, TARGETS[-1], "lvml", study.u0, study.v0)
        report = milestone_report(base, study.u0, study.v0, check_targets(TARGETS), study.horizon,
                                  [Switch("hard", attention=round(best.attention, 4))], check=True)
        milestone_tables[name] = report
        step(f"growth laws ({name})")
        growth = [check.to_dict() for check in growth_table(base, study.u0, study.v0)]
        summary["presets"][name] = {
            "milestones": report.to_dict(),
            "best_switch": {"after_hard": dataclasses.asdict(best), "after_lvml": dataclasses.asdict(best_lvml)},
            "growth": growth,
        }
        write_text(root / f"milestones_{name}.txt", report.text() + "\n")

    step("paper and figures")
    paper_study = Study.from_preset("paper")
    table = float_table(milestone_tables["paper"].latex(), "Time at which attention first reaches $p$ (paper preset).", "tab:milestones")
    paper = write_paper(root / "paper", paper_study, horizon=paper_study.horizon, pdf=pdf, force=force, milestones_table=table)
    summary["paper"] = {"tex": str(Path("paper") / "paper.tex"), "pdf": None if paper.pdf is None else str(Path("paper") / "paper.pdf"),
                        "formulas_read_back": paper.formulas, "message": paper.message}
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary = strict_json(summary)
    write_json(root / "summary.json", summary)
    return summary


def summary_table(summary: dict) -> str:
    """The short table printed on stdout."""
    certified = sum(d["certified"] for d in summary["derivations"])
    worst_residual = _largest(d["max_residual"] for d in summary["derivations"])
    closed_vs_ode = _largest(x for c in summary["crosschecks_small"] for x in (c["max_abs_u_closed_vs_ode"], c["max_abs_v_closed_vs_ode"]))
    orders = [c["gd_order"] for c in summary["crosschecks_small"] if c["gd_order"] is not None]
    full = _largest(c["full_zero_noise_max_abs"] for c in summary["crosschecks_small"])
    order_text = f"{min(orders):.3f}-{max(orders):.3f}" if orders else "n/a"
    lines = [
        f"derivations certified: {certified}/{len(summary['derivations'])} (max residual {_number(worst_residual, '.1e')})",
        f"closed form vs solve_ivp (small preset, t <= 1e3): max error {_number(closed_vs_ode, '.1e')}; gradient-descent order {order_text};"
        f" full model vs reduced {_number(full, '.1e')}",
    ]
    for name, data in summary["presets"].items():
        times = data["milestones"]["times"]
        beyond = data["milestones"]["beyond_horizon"]
        lines.append(f"{name} preset: time to reach p (horizon {data['milestones']['t_max']:g})")
        lines.append(f"  {'':24}" + "".join(f"{'p = ' + str(t):>14}" for t in data["milestones"]["targets"]))
        for row, cells in times.items():
            shown = []
            for key, value in cells.items():
                if value is not None:
                    shown.append(f"{value:14.6g}")
                elif beyond[row][key] is not None:
                    shown.append(f"{'(' + format(beyond[row][key], '.3g') + ')':>14}")
                else:
                    shown.append(f"{'never':>14}")
            lines.append(f"  {row:24}" + "".join(shown))
        best = data["best_switch"]["after_hard"]
        lines.append(f"  best soft-then-hard switch for p = 0.99: p_s = {_number(best['attention'], '.4f')}, t = {_number(best['time'], '.6g')}"
                     f" (pure hard {_number(best['hard_time'], '.6g')})")
    lines.append("  (parenthesised: reached only after the horizon)")
    lines.append(f"paper: {summary['paper']['message']}; {summary['paper']['formulas_read_back']} formulas read back from the LaTeX")
    lines.append(f"finished in {summary['seconds']} s")
    return "\n".join(lines)


def _largest(values):
    """The largest of the numbers among ``values`` (``None`` -- a null in the JSON -- skipped)."""
    numbers = [x for x in values if x is not None]
    return max(numbers) if numbers else None


def _number(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)
