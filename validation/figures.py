"""Figures for papers (matplotlib, PDF and PNG), written atomically.

- ``phase_portrait``: first-integral level sets in (u, v) per paradigm, with its trajectory;
- ``attention``: p(t) on a logarithmic time axis for the three paradigms and the
  best soft-then-hard hybrid, milestones marked;
- ``paper_uv``: u(t) and v(t) for the paper preset over t in [0, 4e5];
- ``fixed_focus_incentive``: the fixed-focus incentive -dL/dp over time.
"""

from __future__ import annotations

from analytic.losses import custom
from analytic.paradigms import PARADIGMS as REGISTRY

import dataclasses
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from trajectories.closed import closed_trajectory  # noqa: E402
from trajectories.hybrid import Switch, best_switch, switch_state  # noqa: E402
from trajectories.milestones import milestones  # noqa: E402
from trajectories.model import reduced_model  # noqa: E402
from trajectories.presets import Study  # noqa: E402

from .files import prepare_directory, write_bytes  # noqa: E402
from .signature import DEFAULT_ATTENTIONS, incentive_curve  # noqa: E402

FORMATS = ("pdf", "png")
COLOURS = {"soft": "#1f77b4", "hard": "#d62728", "lvml": "#2ca02c", "hybrid": "#9467bd"}
NAMES = {"soft": "soft", "hard": "hard", "lvml": "LVML"}
TARGETS = (0.3, 0.5, 0.9, 0.99)
CURVE_POINTS = 200
STYLE = {"font.size": 9, "axes.labelsize": 9, "legend.fontsize": 8, "figure.dpi": 150, "savefig.bbox": "tight"}


def render(figure) -> dict:
    """The figure as PDF and PNG bytes (``{extension: bytes}``), and closed."""
    rendered = {}
    for extension in FORMATS:
        buffer = io.BytesIO()
        figure.savefig(buffer, format=extension, metadata={"CreationDate": None} if extension == "pdf" else None)
        rendered[extension] = buffer.getvalue()
        figure.set_layout_engine("none")  # the layout found for the first format holds for the next (half the time)
    plt.close(figure)
    return rendered


def warm_text_cache() -> None:
    """Lay out the axis labels the figures share (powers of ten) once, in both formats.

    matplotlib caches each parsed math text per process; called before workers fork, every
    worker inherits the cache instead of parsing the same labels again (a second per figure).
    """
    with plt.rc_context(STYLE):
        figure, (log_axes, linear_axes) = plt.subplots(1, 2, layout="constrained")
        log_axes.loglog([1e-3, 1e12], [1e-3, 1e12])
        linear_axes.plot(range(-6, 13), range(-6, 13))
        linear_axes.set_xticks(range(-6, 13), [f"$10^{{{k}}}$" for k in range(-6, 13)])
        render(figure)


def write_rendered(directory: Path, name: str, rendered: dict) -> list[Path]:
    """Write :func:`render`'s bytes as ``name.pdf`` and ``name.png``, each atomically."""
    return [write_bytes(Path(directory) / f"{name}.{extension}", data) for extension, data in rendered.items()]


def save(figure, directory: Path, name: str) -> list[Path]:
    """Save ``figure`` as PDF and PNG, each written to a temporary file and renamed."""
    return write_rendered(directory, name, render(figure))


def _log_times(horizon: float, first: float | None = None) -> np.ndarray:
    """0 and a logarithmic grid from a tenth of ``first`` (the earliest milestone) to the horizon."""
    start = first / 10 if first else horizon * 1e-4
    times = np.logspace(np.log10(start), np.log10(horizon), CURVE_POINTS)
    times[-1] = horizon  # logspace may round past it
    return np.concatenate([[0.0], times])


def phase_portrait(study: Study, horizon: float):
    figure, axes = plt.subplots(1, len(REGISTRY), figsize=(7.0, 2.8), sharey=True, layout="constrained")
    for axis, paradigm in zip(axes, tuple(REGISTRY), strict=True):
        model = reduced_model(study.for_paradigm(paradigm))
        run = closed_trajectory(model, study.u0, study.v0, horizon, CURVE_POINTS)
        u_range = (min(run.u.min(), study.u0) - 1, run.u.max() + 1)
        v_range = (min(run.v.min(), study.v0) - 0.5, run.v.max() + 0.5)
        grid_u, grid_v = np.meshgrid(np.linspace(*u_range, 200), np.linspace(*v_range, 200))
        with np.errstate(all="ignore"):
            levels = model.invariant(grid_u, grid_v)
        finite = np.isfinite(levels)
        if finite.any():
            bounds = np.percentile(levels[finite], [2, 98])
            axis.contour(grid_u, grid_v, np.where(finite, levels, np.nan), levels=np.linspace(*bounds, 14), colors="0.75", linewidths=0.6, linestyles="solid")
        axis.plot(run.u, run.v, color=COLOURS[paradigm], linewidth=1.6, label=NAMES[paradigm])
        axis.plot([study.u0], [study.v0], "ko", markersize=3)
        axis.set_title(NAMES[paradigm])
        axis.set_xlabel("focus logit $u$")
    axes[0].set_ylabel("margin $v$")
    figure.suptitle("Level sets of the first integral $I(u, v)$ and the trajectory from $(u_0, v_0)$", fontsize=9)
    return figure


def attention_curves(study: Study, horizon: float):
    figure, axis = plt.subplots(figsize=(5.0, 3.2), layout="constrained")
    models = {paradigm: reduced_model(study.for_paradigm(paradigm)) for paradigm in tuple(REGISTRY)}
    reached = {name: milestones(model, study.u0, study.v0, TARGETS, horizon) for name, model in models.items()}
    first = min((m.time for ms in reached.values() for m in ms if m.time), default=None)
    times = _log_times(horizon, first)
    for paradigm, model in models.items():
        run = closed_trajectory(model, study.u0, study.v0, horizon, times=times)
        axis.plot(run.t[1:], run.p[1:], color=COLOURS[paradigm], label=NAMES[paradigm])
        for m in reached[paradigm]:
            if m.time is not None and m.time > 0:
                axis.plot([m.time], [m.target], "o", color=COLOURS[paradigm], markersize=3.5)
    best = best_switch(study.for_paradigm("soft"), TARGETS[-1], "hard", study.u0, study.v0)
    hybrid_t, hybrid_p = _hybrid_curve(study, Switch("hard", attention=best.attention), times, horizon)
    axis.plot(hybrid_t, hybrid_p, color=COLOURS["hybrid"], linestyle="--", label=f"soft then hard at $p_s = {best.attention:.2f}$")
    axis.set_xscale("log")
    axis.set_xlabel("time $t$")
    axis.set_ylabel("foreground attention $p$")
    axis.set_ylim(0, 1)
    for level in TARGETS:
        axis.axhline(level, color="0.85", linewidth=0.6, zorder=0)
    axis.legend(loc="upper left", frameon=False)
    axis.set_title("Attention over time (dots: milestones $p = 0.3, 0.5, 0.9, 0.99$)", fontsize=9)
    return figure


def _hybrid_curve(study: Study, switch: Switch, times: np.ndarray, horizon: float):
    setting = study.for_paradigm("soft")
    state = switch_state(setting, switch, study.u0, study.v0)
    soft = reduced_model(setting)
    if state is None or state[0] >= horizon:
        run = closed_trajectory(soft, study.u0, study.v0, horizon, times=times)
        return run.t[1:], run.p[1:]
    t_s, u_s, v_s = state
    before = times[(times > 0) & (times <= t_s)]
    after = times[times > t_s] - t_s
    first = closed_trajectory(soft, study.u0, study.v0, t_s, times=before) if before.size else None
    second = closed_trajectory(reduced_model(dataclasses.replace(setting, paradigm=switch.after)), u_s, v_s, horizon - t_s, times=after)
    t = np.concatenate([first.t if first else [], second.t + t_s])
    p = np.concatenate([first.p if first else [], second.p])
    return t, p


def paper_uv():
    paper = Study.from_preset("paper")
    figure, (left, right) = plt.subplots(1, 2, figsize=(7.0, 2.8), layout="constrained")
    for paradigm in tuple(REGISTRY):
        run = closed_trajectory(reduced_model(paper.for_paradigm(paradigm)), paper.u0, paper.v0, paper.horizon, 401)
        left.plot(run.t, run.u, color=COLOURS[paradigm], label=NAMES[paradigm])
        right.plot(run.t, run.v, color=COLOURS[paradigm], label=NAMES[paradigm])
    for axis, name in ((left, "focus logit $u(t)$"), (right, "margin $v(t)$")):
        axis.set_xlabel("time $t$")
        axis.set_ylabel(name)
        axis.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    left.legend(frameon=False)
    figure.suptitle("Paper preset: $T = 100$, $c = 1000$, $\\alpha = 1/c$, $\\beta = 1/(c-1)$", fontsize=9)
    return figure


def incentive_figure(study: Study):
    times = np.logspace(-2, 4, 120)
    figure, axes = plt.subplots(1, len(REGISTRY), figsize=(7.0, 2.8), sharey=True, layout="constrained")
    shades = np.linspace(0.35, 1.0, len(DEFAULT_ATTENTIONS))
    for axis, paradigm in zip(axes, tuple(REGISTRY), strict=True):
        for attention, shade in zip(DEFAULT_ATTENTIONS, shades):
            curve, limit = incentive_curve(paradigm, _segment_loss(study.setting), study.setting.classes, study.setting.beta, attention, times)
            line = axis.plot(times, curve, color=COLOURS[paradigm], alpha=shade, label=f"$p = {attention:g}$")[0]
            axis.axhline(limit, color=line.get_color(), alpha=shade, linestyle=":", linewidth=0.8)
        axis.set_xscale("log")
        axis.set_title(NAMES[paradigm])
        axis.set_xlabel("time $t$ (focus frozen)")
    axes[0].set_ylabel(r"incentive $-\partial L/\partial p$")
    axes[-1].legend(frameon=False, loc="upper left")
    figure.suptitle("Fixed focus: what better focus is still worth as the classifier trains (dotted: $t \\to \\infty$)", fontsize=9)
    return figure


def _segment_loss(setting):
    """A built-in loss by name, a custom one with the setting's parameter values in place."""
    if isinstance(setting.loss, str):
        return setting.loss
    return custom(setting.segment_loss.expr.subs(setting.values))


#: the study's figures, in the order the document shows them: name -> function(study, horizon)
FIGURES = {
    "attention": lambda study, horizon: attention_curves(study, horizon),
    "phase_portrait": lambda study, horizon: phase_portrait(study, horizon),
    "paper_uv": lambda study, horizon: paper_uv(),
    "fixed_focus_incentive": lambda study, horizon: incentive_figure(study),
}


def rendered_figure(name: str, study: Study, horizon: float) -> dict:
    """One of :data:`FIGURES`, rendered (a job for :func:`validation.parallel.run_jobs`)."""
    with plt.rc_context(STYLE):
        return render(FIGURES[name](study, horizon))


def check_study(study: Study) -> None:
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a Study, got {type(study).__name__}")
    if study.setting.scheme is None or study.setting.scheme.is_custom:
        raise ValueError("`study` must use a registered paradigm: the figures compare the registered paradigms")


def write_figures(directory, study: Study, *, force: bool = False, horizon: float | None = None, rendered: dict | None = None) -> list[Path]:
    """Write all figures for ``study`` into ``directory`` (``rendered``: already rendered ones by name); returns the files."""
    check_study(study)
    path = prepare_directory(directory, force=force)
    horizon = horizon or study.horizon or 1e3
    rendered = rendered or {}
    written = []
    for name in FIGURES:
        written += write_rendered(path, name, rendered[name] if name in rendered else rendered_figure(name, study, horizon))
    return written
