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
from analytic.losses import loss_names
from analytic.paradigms import PAPER_AFTER, PAPER_PARADIGMS, paradigm_names
from analytic.report import finite_or_none, strict_json
from trajectories.hybrid import Switch, best_switch
from trajectories.milestones import check_targets
from trajectories.presets import Study

from trajectories.model import reduced_model

from .claims import claim_maps, claims_paragraph
from .compare import compare
from .figures import warm_text_cache
from .files import OutputDirectory, check_writable, open_output, write_json, write_text
from .grids import grid
from .growth import growth_table
from .paper import SweepSection, float_table, paper_jobs, write_paper
from .milestone_report import milestone_report
from .parallel import cores, run_jobs
from .phase_diagrams import diagram_names, rendered_diagram
from .sweep import SweepRequest, collect_sweep, sweep_jobs

TARGETS = (0.3, 0.5, 0.9, 0.99)
SWEEP_AXIS = "2:10000:24"  # T and c of the sweep (log-spaced; the paper preset's values are added)
SWEEP_TARGETS = (0.3, 0.9, 0.99)
SWEEP_SWITCH = 0.5  # the sweep's hybrid: soft until p = 0.5, then hard
SWEEP_SWITCH_LABEL = f"soft:hard@p={SWEEP_SWITCH:g}"
SMALL_CROSSCHECK_HORIZON = 1e3
#: files the run writes whose names are known before it starts (checked first, so a refusal comes at once)
KNOWN_FILES = ("summary.json", "sweep.csv", "milestones_paper.txt", "milestones_small.txt", "paper/paper.tex",
               "paper/crosscheck.tex", "paper/milestones.tex", "paper/paper.pdf", "paper/paper.aux", "paper/paper.log")
KNOWN_DIRECTORIES = ("paper", "paper/snippets", "paper/figures")


def _crosscheck(paradigm: str, loss: str) -> dict:
    small = Study.from_preset("small")
    return compare(small.for_paradigm(paradigm, loss), small.u0, small.v0, SMALL_CROSSCHECK_HORIZON).to_dict()


def _milestones(name: str) -> dict:
    """Milestones, the best switches and the milestone tables of a preset (plain data: a job's result)."""
    study = Study.from_preset(name)
    base = study.setting
    best = {after: best_switch(base, TARGETS[-1], after, study.u0, study.v0) for after in PAPER_PARADIGMS[1:]}
    report = milestone_report(base, study.u0, study.v0, check_targets(TARGETS), study.horizon,
                              [Switch(PAPER_AFTER, attention=round(best[PAPER_AFTER].attention, 4))], check=True)
    return {"milestones": report.to_dict(), "text": report.text(), "latex": report.latex(),
            "best_switch": {f"after_{after}": dataclasses.asdict(found) for after, found in best.items()}}


def _growth(name: str) -> list:
    study = Study.from_preset(name)
    checks, skipped = growth_table(study.setting, study.u0, study.v0)
    return [check.to_dict() for check in checks] + [{"paradigm": name, "not_available": why} for name, why in skipped]


def sweep_request(axis: tuple | None = None) -> SweepRequest:
    """The paper's question over (T, c): the class-symmetric model, both axes ``axis`` (default
    :data:`SWEEP_AXIS`: log-spaced from 2 to 1e4) and the paper preset's values."""
    paper = Study.from_preset("paper").setting
    segments = tuple(sorted(set(axis or grid(SWEEP_AXIS, "segments")) | {float(paper.segments)}))
    classes = tuple(sorted(set(axis or grid(SWEEP_AXIS, "classes")) | {float(paper.classes)}))
    # by_setting=False: a registered paradigm the batched engine cannot run would take seconds per setting here
    return SweepRequest(paper, {"segments": segments, "classes": classes}, SWEEP_TARGETS, (Switch(PAPER_AFTER, attention=SWEEP_SWITCH),),
                        by_setting=False)


def reproduce(directory, *, force: bool = False, pdf: bool = True, step=lambda name: None, workers: int | None = None,
              sweep_axis: tuple | None = None) -> dict:
    """Run the main job into ``directory``; ``step(name)`` is called before each stage (progress).

    ``sweep_axis``: the values of T and of c the sweep covers (default :data:`SWEEP_AXIS`; the
    paper preset's values are always added).

    A new directory appears complete or not at all (built in a hidden sibling and renamed into
    place: :func:`validation.files.open_output`); an existing one is written file by file.
    """
    with open_output(directory, force=force) as root:
        return _reproduce(root, pdf=pdf, step=step, workers=workers, sweep_axis=sweep_axis)


def _reproduce(root: OutputDirectory, *, pdf: bool, step, workers: int | None, sweep_axis: tuple | None) -> dict:
    """The main job into ``root`` (the run's directory, a staging place while a new one is built: :func:`reproduce`).

    The independent computations (cross-checks, milestones, growth laws, the sweep, the
    document's snippets, table rows and figures) run as jobs on every core
    (:func:`validation.parallel.run_jobs`); the files are written afterwards, here.
    """
    started = time.perf_counter()
    check_writable(root, *KNOWN_FILES, directories=KNOWN_DIRECTORIES)
    summary: dict = {"presets": {}}

    step("derivations")
    derivations = []
    for name in ("paper", "small"):
        setting = Study.from_preset(name).setting
        for paradigm in paradigm_names():
            for loss in loss_names():
                d = derive(paradigm, loss, classes=setting.classes, segments=setting.segments, alpha=setting.alpha, beta=setting.beta)
                derivations.append({"preset": name, "label": d.label, "certified": d.certified, "max_residual": finite_or_none(d.certificate.max_residual), "seconds": d.seconds})
            # the presets' own models serve many jobs: compiled once here, before the workers fork (the other
            # losses' models serve one cross-check each and are compiled by the worker that runs it)
            model = reduced_model(Study.from_preset(name).for_paradigm(paradigm))
            model.compiled.warm(model.has_two_sides)
    summary["derivations"] = derivations

    warm_text_cache()
    step("cross-checks, milestones, growth laws, sweep, snippets and figures")
    paper_study = Study.from_preset("paper")
    request = sweep_request(sweep_axis)
    workers = cores() if workers is None else workers
    jobs = [(("crosscheck", paradigm, loss), _crosscheck, (paradigm, loss)) for paradigm in paradigm_names() for loss in loss_names()]
    jobs += [(("milestones", name), _milestones, (name,)) for name in ("paper", "small")]
    jobs += [(("growth", name), _growth, (name,)) for name in ("paper", "small")]
    jobs += paper_jobs(paper_study, paper_study.horizon)
    # the sweep first (its chunks are short), so its phase diagrams join the other jobs
    sweep = collect_sweep(request, run_jobs(sweep_jobs(request, workers), workers=workers, label="sweep"))
    jobs += [(("diagram", name), rendered_diagram, (name, sweep)) for name in diagram_names(sweep)]
    results = run_jobs(sorted(jobs, key=_cost_first), workers=workers, label="reproduce")
    summary["crosschecks_small"] = [results["crosscheck", paradigm, loss] for paradigm in paradigm_names() for loss in loss_names()]
    for name in ("paper", "small"):
        found = results["milestones", name]
        summary["presets"][name] = {"milestones": found["milestones"], "best_switch": found["best_switch"], "growth": results["growth", name]}
        write_text(root, f"milestones_{name}.txt", found["text"] + "\n")

    step("sweep report")
    claims = claim_maps(sweep)
    preset_point = {"segments": float(paper_study.setting.segments), "classes": float(paper_study.setting.classes)}
    findings = claims_paragraph(sweep, claims, point=preset_point)
    write_text(root, "sweep.csv", sweep.to_csv())
    diagrams = {key[1]: value for key, value in results.items() if key[0] == "diagram"}
    summary["sweep"] = {"settings": request.size, "targets": list(request.targets), "hybrid": SWEEP_SWITCH_LABEL,
                        "claims": {name: dict(zip(("holds", "decided"), claims.share(name))) for name in claims.maps},
                        "findings": findings, "csv": "sweep.csv"}

    step("paper")
    table = float_table(results["milestones", "paper"]["latex"], "Time at which attention first reaches $p$ (paper preset).", "tab:milestones")
    parts = {key: value for key, value in results.items() if key[0] in ("instance", "general", "proposition", "crosscheck-row", "figure")}
    paper = write_paper(root.path / "paper", paper_study, horizon=paper_study.horizon, pdf=pdf, within=root, milestones_table=table,
                        milestones=results["milestones", "paper"]["milestones"], parts=parts,
                        sweep=SweepSection(sweep, tuple(findings), diagrams))
    summary["paper"] = {"tex": str(Path("paper") / "paper.tex"), "pdf": None if paper.pdf is None else str(Path("paper") / "paper.pdf"),
                        "formulas_read_back": paper.formulas, "message": paper.message}
    summary["seconds"] = round(time.perf_counter() - started, 1)
    summary = strict_json(summary)
    write_json(root, "summary.json", summary)
    return summary


def _cost_first(job) -> int:
    """Long jobs first, so the cores finish together (figures and cross-checks take seconds, sweep chunks less)."""
    kind = job[0][0]
    return {"figure": 0, "diagram": 0, "crosscheck": 1, "milestones": 1, "growth": 2, "crosscheck-row": 2, "instance": 3, "general": 3,
            "proposition": 3, "sweep": 4}.get(kind, 5)


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
    if "sweep" in summary:
        lines.append(f"sweep over {summary['sweep']['settings']} settings (T, c), targets {summary['sweep']['targets']}, "
                     f"hybrid {summary['sweep']['hybrid']}:")
        lines += [f"  {sentence}" for sentence in summary["sweep"]["findings"]]
    lines.append(f"paper: {summary['paper']['message']}; {summary['paper']['formulas_read_back']} formulas read back from the LaTeX")
    lines.append(f"finished in {summary['seconds']} s")
    return "\n".join(lines)


def _largest(values):
    """The largest of the numbers among ``values`` (``None`` -- a null in the JSON -- skipped)."""
    numbers = [x for x in values if x is not None]
    return max(numbers) if numbers else None


def _number(value, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)
