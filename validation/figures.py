"""Figures for papers (matplotlib, PDF and PNG), written atomically.

Each builder returns the matplotlib Figure (tests read its data before rendering); every title
names the loss and the setting plotted (:func:`validation.setting_label.setting_label`), and
:func:`figure_caption` gives each figure a LaTeX caption.

- ``attention``: p(t) on a logarithmic time axis for every paradigm drawn and the
  best soft-then-hard hybrid, milestones marked;
- ``phase_portrait``: level sets of the first integral I(u, v) over each whole panel, and
  the trajectory from dense closed-form points;
- ``paper_uv``: u(t) and v(t) of the study's setting (named for the paper preset, which
  the document shows it for);
- ``fixed_focus_incentive``: the fixed-focus incentive -dL/dp on a logarithmic time axis
  long enough that every curve reaches its limit (dashed);
- ``overlay``: closed form, solve_ivp and gradient descent of u(t) and v(t), with their
  differences on a logarithmic scale beneath.
"""

from __future__ import annotations

from analytic.losses import uses_classes
from analytic.paradigms import FIRST_STAGE, PAPER_AFTER, colour_of
from analytic.errors import BadInput, NotAvailable, NotResolved
from analytic.paradigms import PARADIGMS as REGISTRY

import dataclasses
import io
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402

from trajectories.closed import closed_focus, closed_trajectory  # noqa: E402
from trajectories.gd import gradient_descent  # noqa: E402
from trajectories.hybrid import Switch, best_switch, switch_state  # noqa: E402
from trajectories.milestones import milestones  # noqa: E402
from trajectories.model import reduced_model  # noqa: E402
from trajectories.ode import DEFAULT_RTOL, ode_trajectory, stable_max_step  # noqa: E402
from trajectories.presets import Study  # noqa: E402

from .files import OutputDirectory, interrupts_held, open_output, write_bytes  # noqa: E402
from .incentive_curves import SETTLED_FRACTION, fixed_focus_of, incentive_to_limit, window  # noqa: E402
from .numbers import latex_number  # noqa: E402
from .setting_label import setting_label  # noqa: E402
from .signature import DEFAULT_ATTENTIONS  # noqa: E402

FORMATS = ("pdf", "png")
TARGETS = (0.3, 0.5, 0.9, 0.99)
CURVE_POINTS = 200
DEFAULT_HORIZON = 1e3  # the horizon of a study without one
#: every text of every figure 8 to 10 pt (the body of a 10 pt paper): ticks, labels, legends, titles
FONT_SIZE, SMALL_FONT = 9, 8
STYLE = {"font.size": FONT_SIZE, "axes.labelsize": FONT_SIZE, "axes.titlesize": FONT_SIZE, "figure.titlesize": FONT_SIZE,
         "xtick.labelsize": SMALL_FONT, "ytick.labelsize": SMALL_FONT, "legend.fontsize": SMALL_FONT,
         "figure.dpi": 150, "savefig.bbox": "tight"}
#: figures are drawn at the size they are printed: the text width of the generated paper (letter paper, 2.5 cm
#: margins: 6.53 in; a two-column page's 6.75 in is within 4%), so their fonts are the sizes above on the page
TEXT_WIDTH = 6.5  # inches
PANEL_HEIGHT = 2.6  # inches: one row of panels
LATE_FROM = 0.9  # the attention figure's late panel starts where the first curve passes this attention
LATE_MARGIN = 1.5  # room beyond the first crossing and the lowest 1 - p of the late panel (a factor)
#: :data:`FIGURES` are laid out by constrained layout, which fits them to their canvas: a tight bounding box
#: would only cost another draw per format (40% of the rendering)
FIGURE_STYLE = {**STYLE, "savefig.bbox": None}
PORTRAIT_LINEAR_TIMES = 400  # closed-form points of a phase-portrait trajectory equally spaced in t ...
PORTRAIT_LOG_TIMES = 600  # ... and logarithmically spaced over its last PORTRAIT_DECADES decades
PORTRAIT_DECADES = 8
LEVEL_GRID = 300  # first-integral evaluations per axis of a phase portrait
LEVEL_COUNT = 14
MAX_SEGMENT = 0.004  # longest segment of a drawn trajectory, as a fraction of the window
REFINE_ROUNDS = 6
UV_POINTS = 401
LABEL_GAP = 0.07  # least distance of two limit labels, as a fraction of the panel's height
INCENTIVE_POINTS = 400  # points per incentive curve drawn (thinned from the closed-form margin grid)
OVERLAY_RECORDS = 400  # recorded gradient-descent steps (and closed-form and ODE points) per paradigm
OVERLAY_MARKERS = 20  # gradient-descent points marked on the upper panels
GD_STEPS = 10_000  # gradient-descent steps over the horizon (more, at a smaller rate, where GD_STABILITY needs it)
GD_STABILITY = 0.1  # the largest lr * max(alpha, beta): far inside gradient descent's stable range
MAX_GD_STEPS = 400_000  # gradient-descent steps of one overlay panel (about a second)


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
        log_axes.loglog([1e-17, 1e12], [1e-17, 1e12])
        linear_axes.plot(range(-6, 13), range(-6, 13))
        linear_axes.set_xticks(range(-6, 13), [f"$10^{{{k}}}$" for k in range(-6, 13)])
        render(figure)


def write_rendered(out: OutputDirectory, name: str, rendered: dict) -> list[Path]:
    """Write :func:`render`'s bytes as ``name.pdf`` and ``name.png`` into ``out``, each atomically."""
    return [write_bytes(out, f"{name}.{extension}", data) for extension, data in rendered.items()]


def write_all_rendered(directory, names, rendered_of, *, force: bool = False, within: OutputDirectory | None = None) -> list[Path]:
    """Render each of ``names`` (``rendered_of(name)``), then write them all into ``directory``; returns the files.

    ``force`` as :func:`validation.files.prepare_directory`; ``within``: the run (a paper's) that
    ``directory`` is part of, whose ``force`` it takes. A new directory appears complete or not
    at all (built in a hidden sibling, :func:`validation.files.open_output`); in an existing one
    the writes run with Ctrl-C held, so an interrupt leaves every file old or every file new.
    """
    with open_output(directory, force=force, within=within) as out:
        images = {name: rendered_of(name) for name in names}
        with interrupts_held():
            written = [file for name in names for file in write_rendered(out, name, images[name])]
    return [Path(directory) / file.name for file in written]


def save(figure, out: OutputDirectory, name: str) -> list[Path]:
    """Save ``figure`` into ``out`` as PDF and PNG, each written to a temporary file and renamed."""
    return write_rendered(out, name, render(figure))


def _log_times(horizon: float, first: float | None = None) -> np.ndarray:
    """0 and a logarithmic grid from a tenth of ``first`` (the earliest milestone) to the horizon."""
    start = first / 10 if first else horizon * 1e-4
    times = np.logspace(np.log10(start), np.log10(horizon), CURVE_POINTS)
    times[-1] = horizon  # logspace may round past it
    return np.concatenate([[0.0], times])


def _closed(model, study: Study, horizon: float, **options):
    """The closed-form trajectory, or a one-line error naming the paradigm."""
    run = closed_trajectory(model, study.u0, study.v0, horizon, **options)
    if not run.ok:
        raise NotResolved(f"{model.setting.paradigm_name} attention: the closed form could not be evaluated: {run.message}")
    return run


def portrait_times(horizon: float) -> np.ndarray:
    """Equally spaced times on [0, horizon] joined with log-spaced ones over its last decades (early motion is fast)."""
    logarithmic = np.logspace(math.log10(horizon) - PORTRAIT_DECADES, math.log10(horizon), PORTRAIT_LOG_TIMES)
    times = np.unique(np.concatenate([np.linspace(0.0, horizon, PORTRAIT_LINEAR_TIMES), logarithmic]))
    return times[times <= horizon]


def drawn_paradigms(study: Study) -> tuple[tuple[str, ...], list[tuple[str, str]]]:
    """The registered paradigms the figures draw -- those with a closed-form trajectory and a fixed-focus
    incentive limit -- and ``(paradigm, reason)`` for each one left out."""
    drawn, skipped = [], []
    loss = _segment_loss(study.setting)
    for paradigm in REGISTRY:
        model = reduced_model(study.for_paradigm(paradigm))
        if not model.has_first_integral:
            skipped.append((paradigm, f"no closed-form trajectory ({model.derivation.message})"))
            continue
        try:
            fixed_focus_of(paradigm, loss, study.setting.classes, study.setting.beta)
        except NotAvailable as missing:
            skipped.append((paradigm, str(missing)))
            continue
        drawn.append(paradigm)
    if not drawn:
        raise NotAvailable("; ".join(f"{name}: {why}" for name, why in skipped))
    return tuple(drawn), skipped


def phase_portrait(study: Study, horizon: float):
    """Per paradigm: level sets of I(u, v) over the whole panel, and the trajectory from dense closed-form points."""
    runs = {}
    for paradigm in drawn_paradigms(study)[0]:
        model = reduced_model(study.for_paradigm(paradigm))
        runs[paradigm] = model, _closed(model, study, horizon, times=portrait_times(horizon))
    v_window = (min(min(run.v.min() for _, run in runs.values()), study.v0) - 0.5,
                max(max(run.v.max() for _, run in runs.values()), study.v0) + 0.5)
    figure, axes = plt.subplots(1, len(drawn_paradigms(study)[0]), figsize=(TEXT_WIDTH, PANEL_HEIGHT + 0.3), sharey=True, layout="constrained")
    for axis, (paradigm, (model, run)) in zip(axes, runs.items(), strict=True):
        u_window = (min(run.u.min(), study.u0) - 1, max(run.u.max(), study.u0) + 1)
        axis.set_xlim(*u_window)
        axis.set_ylim(*v_window)
        _level_sets(axis, model, u_window, v_window)
        u, v = dense_path(model, study, run.u, run.v, (np.ptp(u_window), np.ptp(v_window)))
        axis.plot(u, v, color=colour_of(paradigm), linewidth=1.6, label=REGISTRY[paradigm].display)
        axis.plot([study.u0], [study.v0], "ko", markersize=3)
        axis.set_title(REGISTRY[paradigm].display)
        axis.set_xlabel("focus logit $u$")
    axes[0].set_ylabel("margin $v$")
    figure.suptitle(f"Level sets of I(u, v) and the closed-form trajectory to t = {horizon:g}\n{setting_label(study)}")
    return figure


def _level_sets(axis, model, u_window, v_window) -> None:
    """I(u, v) on a grid over the whole window (only non-finite values masked), drawn at the levels it takes
    at LEVEL_COUNT points spread evenly along the window's edge (so level sets cross the panel evenly)."""
    grid_u, grid_v = np.meshgrid(np.linspace(*u_window, LEVEL_GRID), np.linspace(*v_window, LEVEL_GRID))
    with np.errstate(all="ignore"):
        levels = model.invariant(grid_u, grid_v) * np.ones_like(grid_u)
    finite = np.isfinite(levels)
    edge = np.concatenate([levels[0, :], levels[:, -1], levels[-1, ::-1], levels[::-1, 0]])
    edge = edge[np.isfinite(edge)]
    if edge.size < 2:
        return
    chosen = np.unique(np.quantile(edge, np.linspace(0.02, 0.98, LEVEL_COUNT)))
    if chosen.size > 1:
        axis.contour(grid_u, grid_v, np.where(finite, levels, np.nan), levels=chosen, colors="0.75", linewidths=0.6, linestyles="solid")


def dense_path(model, study: Study, u, v, scale) -> tuple[np.ndarray, np.ndarray]:
    """The trajectory with closed-form points u = U(v) inserted (evenly in v) into every segment longer than
    MAX_SEGMENT of the window (``scale`` = its widths), until none is (v is monotone along a trajectory)."""
    u, v = np.asarray(u, dtype=float), np.asarray(v, dtype=float)
    for _ in range(REFINE_ROUNDS):
        lengths = np.hypot(np.diff(u) / scale[0], np.diff(v) / scale[1])
        long = np.flatnonzero((lengths > MAX_SEGMENT) & (np.diff(v) != 0))
        if long.size == 0:
            break
        inserted = [np.linspace(v[k], v[k + 1], math.ceil(lengths[k] / MAX_SEGMENT) + 1)[1:-1] for k in long]
        with np.errstate(all="ignore"):
            new_u = [closed_focus(model, margins, study.u0, study.v0)[0] for margins in inserted]
        pieces_u, pieces_v = np.split(u, long + 1), np.split(v, long + 1)
        u = np.concatenate([part for k in range(long.size) for part in (pieces_u[k], new_u[k])] + [pieces_u[-1]])
        v = np.concatenate([part for k in range(long.size) for part in (pieces_v[k], inserted[k])] + [pieces_v[-1]])
        keep = np.isfinite(u)
        u, v = u[keep], v[keep]
    return u, v


def attention_curves(study: Study, horizon: float):
    """p(t) of every paradigm and the best soft-then-hard hybrid: the whole run (left) and the late race on a
    1 - p log axis (right, from the first time any curve passes LATE_FROM), milestones marked."""
    figure, (whole, late) = plt.subplots(1, 2, figsize=(TEXT_WIDTH, PANEL_HEIGHT), layout="constrained")
    models = {paradigm: reduced_model(study.for_paradigm(paradigm)) for paradigm in drawn_paradigms(study)[0]}
    reached = {name: milestones(model, study.u0, study.v0, TARGETS, horizon) for name, model in models.items()}
    first = min((m.time for ms in reached.values() for m in ms if m.time), default=None)
    times = _log_times(horizon, first)
    curves = {}
    for paradigm, model in models.items():
        run = closed_trajectory(model, study.u0, study.v0, horizon, times=times)
        curves[paradigm] = (run.t[1:], run.p[1:], dict(color=colour_of(paradigm), label=REGISTRY[paradigm].display))
    best = best_switch(study.for_paradigm(FIRST_STAGE), TARGETS[-1], PAPER_AFTER, study.u0, study.v0)
    hybrid_t, hybrid_p = _hybrid_curve(study, Switch(PAPER_AFTER, attention=best.attention), times, horizon)
    curves["hybrid"] = (hybrid_t, hybrid_p, dict(color=colour_of("hybrid"), linestyle="--",
                                                 label=f"{REGISTRY[FIRST_STAGE].display} then {REGISTRY[PAPER_AFTER].display} at $p_s = {best.attention:.2f}$"))
    for t, p, style in curves.values():
        whole.plot(t, p, **style)
        late.plot(t, 1 - p, **style)
    for paradigm in models:
        for m in reached[paradigm]:
            if m.time is not None and m.time > 0:
                whole.plot([m.time], [m.target], "o", color=colour_of(paradigm), markersize=3)
                late.plot([m.time], [1 - m.target], "o", color=colour_of(paradigm), markersize=3)
    whole.set_ylim(0, 1)
    whole.set_ylabel("foreground attention $p$")
    for level in TARGETS:
        whole.axhline(level, color="0.85", linewidth=0.6, zorder=0)
        late.axhline(1 - level, color="0.85", linewidth=0.6, zorder=0)
    passed = [t[np.argmax(p >= LATE_FROM)] for t, p, _ in curves.values() if np.any(p >= LATE_FROM)]
    late.set_yscale("log")
    late.set_ylabel("$1 - p$ (log scale)")
    if passed:
        late.set_xlim(min(passed) / LATE_MARGIN, horizon)
        remaining = [1 - p[(t >= min(passed)) & (p < 1)] for t, p, _ in curves.values()]
        lowest = min((r.min() for r in remaining if r.size), default=(1 - LATE_FROM) / 10)
        late.set_ylim(lowest / LATE_MARGIN, 1 - LATE_FROM)
    for axis in (whole, late):
        axis.set_xscale("log")
        axis.set_xlabel("time $t$")
    whole.set_title("the whole run")
    late.set_title(f"the late race (from $p = {LATE_FROM:g}$)")
    late.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks of a short log axis collide
    whole.legend(loc="upper left", frameon=False)  # before the rise: no curve there (seen on the rendered page)
    figure.suptitle(f"Attention over time (dots: milestones $p = 0.3, 0.5, 0.9, 0.99$)\n{setting_label(study)}")
    return figure


def _hybrid_curve(study: Study, switch: Switch, times: np.ndarray, horizon: float):
    setting = study.for_paradigm(FIRST_STAGE)
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


def uv_curves(study: Study, horizon: float):
    """u(t) and v(t) of every paradigm from the closed form, for the study's setting over [0, horizon]."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(TEXT_WIDTH, PANEL_HEIGHT + 0.3), layout="constrained")
    for paradigm in drawn_paradigms(study)[0]:
        run = _closed(reduced_model(study.for_paradigm(paradigm)), study, horizon, points=UV_POINTS)
        left.plot(run.t, run.u, color=colour_of(paradigm), label=REGISTRY[paradigm].display)
        right.plot(run.t, run.v, color=colour_of(paradigm), label=REGISTRY[paradigm].display)
    for axis, name in ((left, "focus logit $u(t)$"), (right, "margin $v(t)$")):
        axis.set_xlabel("time $t$")
        axis.set_ylabel(name)
        axis.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    left.legend(frameon=False)
    figure.suptitle(f"Focus logit and margin over time (closed form)\n{setting_label(study)}")
    return figure


def incentive_curves(study: Study) -> dict:
    """The fixed-focus incentive curves of every paradigm (one per attention in DEFAULT_ATTENTIONS)."""
    setting = study.setting
    loss = _segment_loss(setting)
    return {paradigm: incentive_to_limit(paradigm, loss, setting.classes, setting.beta, DEFAULT_ATTENTIONS) for paradigm in drawn_paradigms(study)[0]}


def incentive_figure(study: Study):
    """The fixed-focus incentive over a log time window in which every curve settles at its (dashed) limit."""
    curves = incentive_curves(study)
    low, high = window([curve for row in curves.values() for curve in row])
    figure, axes = plt.subplots(1, len(drawn_paradigms(study)[0]), figsize=(TEXT_WIDTH, PANEL_HEIGHT + 0.6), layout="constrained")
    shades = np.linspace(0.35, 1.0, len(DEFAULT_ATTENTIONS))
    for axis, (paradigm, row) in zip(axes, curves.items(), strict=True):
        for curve, shade in zip(row, shades, strict=True):
            axis.plot(*_thinned(curve, low, high), color=colour_of(paradigm), alpha=shade, label=f"p = {curve.attention:g}")
        axis.set_xscale("log")
        axis.set_xlim(low, high)
        _limit_lines(axis, row, low, study)
        axis.set_title(REGISTRY[paradigm].display)
        axis.set_xlabel("time $t$ (focus frozen)")
    axes[0].set_ylabel(r"incentive $-\partial L/\partial p$")
    handles = [Line2D([], [], color="0.2", alpha=shade) for shade in shades]
    handles.append(Line2D([], [], color="0.3", linestyle="--", linewidth=0.8))
    labels = [f"p = {attention:g}" for attention in DEFAULT_ATTENTIONS] + ["limit as t → ∞"]  # plain text: one mathtext parse fewer each
    axes[0].legend(handles, labels, frameon=False, loc="upper left")
    unsettled = [f"{REGISTRY[c.paradigm].display} at p = {c.attention:g}" for row in curves.values() for c in row if c.settled is None]
    note = f"; not within {SETTLED_FRACTION:.0%} of its limit in float64: {', '.join(unsettled)}" if unsettled else ""
    figure.suptitle(f"Fixed focus from v = 0: what better focus is still worth as the classifier trains{note}\n"
                    f"{setting_label(study, focus=False)}")
    return figure


def _thinned(curve, low: float, high: float):
    """The curve across [low, high] (one point beyond each end where it has one), about INCENTIVE_POINTS points
    evenly in log t; held at its last value up to ``high`` where float64 resolves no later margin (the
    margin is then at its limit to rounding)."""
    inside = np.flatnonzero((curve.t >= low) & (curve.t <= high))
    inside = np.arange(max(inside[0] - 1, 1), min(inside[-1] + 2, curve.t.size))  # t = 0 has no place on a log axis
    log_t = np.log10(curve.t[inside])
    wanted = np.linspace(log_t[0], log_t[-1], INCENTIVE_POINTS)
    chosen = inside[np.unique(np.clip(np.searchsorted(log_t, wanted), 0, inside.size - 1))]
    t, g = curve.t[chosen], curve.incentive[chosen]
    if t[-1] < high and curve.settled is not None:
        t, g = np.append(t, high), np.append(g, g[-1])
    return t, g


def _limit_lines(axis, row, low: float, study: Study) -> None:
    """Each distinct limit as a dashed line, labelled at the left (where the curves have not yet moved),
    labels at least LABEL_GAP of the panel's height apart."""
    limits = sorted({round(curve.limit, 12) for curve in row})
    bottom, top = axis.get_ylim()
    placed = []
    for limit in limits:
        axis.axhline(limit, color="0.3", linestyle="--", linewidth=0.8, zorder=0)
        placed.append(limit if not placed else max(limit, placed[-1] + LABEL_GAP * (top - bottom)))
        axis.text(low * 1.5, placed[-1], _limit_text(limit, study), fontsize=SMALL_FONT, va="bottom", ha="left", color="0.2")
    axis.set_ylim(bottom, max(top, placed[-1] + LABEL_GAP * (top - bottom)))


def _limit_text(limit: float, study: Study) -> str:
    setting = study.setting
    if uses_classes(setting.loss) and abs(limit - math.log(setting.classes)) <= 1e-9 * max(1.0, limit):
        return f"limit log c = {limit:.3g}"  # plain text: a mathtext label costs a parse per format
    return f"limit {0 if limit == 0 else format(limit, '.3g')}"


def gd_schedule(model, horizon: float) -> tuple[float, int]:
    """The overlay's learning rate and steps: GD_STEPS steps over the horizon, a smaller rate where
    lr * max(alpha, beta) would exceed GD_STABILITY, and at most MAX_GD_STEPS steps (then gradient
    descent stops before the horizon)."""
    lr = min(horizon / GD_STEPS, GD_STABILITY / max(model.alpha, model.beta))
    return lr, min(round(horizon / lr), MAX_GD_STEPS)


def overlay(study: Study, horizon: float):
    """Closed form, solve_ivp and gradient descent of u(t), v(t) per paradigm; their differences beneath (log scale)."""
    figure, axes = plt.subplots(2, len(drawn_paradigms(study)[0]), figsize=(TEXT_WIDTH, 2 * PANEL_HEIGHT), sharex="col", layout="constrained",
                                gridspec_kw={"height_ratios": (3, 2)})
    for axis in axes[1, 1:]:
        axis.sharey(axes[1, 0])  # the differences on one scale across paradigms
    for column, paradigm in enumerate(drawn_paradigms(study)[0]):
        model = reduced_model(study.for_paradigm(paradigm))
        lr, steps = gd_schedule(model, horizon)  # the same for every paradigm (it depends on the rates only)
        gd = gradient_descent(model, study.u0, study.v0, lr, steps, record_every=max(1, steps // OVERLAY_RECORDS))
        if not gd.ok:
            raise NotResolved(f"{paradigm} attention: {gd.message}")
        times = np.union1d(gd.t, np.linspace(0.0, horizon, OVERLAY_RECORDS + 1))
        at_gd = np.isin(times, gd.t)
        closed = _closed(model, study, horizon, times=times)
        ode = ode_trajectory(model, study.u0, study.v0, horizon, 2, max_step=stable_max_step(model))
        if not ode.ok:
            raise NotResolved(f"{paradigm} attention: solve_ivp failed: {ode.message}")
        ode_u, ode_v = ode.extras["dense"](times)
        top, bottom = axes[0, column], axes[1, column]
        marks = slice(None, None, max(1, gd.t.size // OVERLAY_MARKERS))
        for name, values, ode_values, gd_values, colour in (("u", closed.u, ode_u, gd.u, colour_of(paradigm)), ("v", closed.v, ode_v, gd.v, "0.35")):
            top.plot(times, values, color=colour, linewidth=1.8, label=f"{name} closed")
            top.plot(times, ode_values, color="k", linewidth=0.7, linestyle=(0, (3, 2)), label=f"{name} ODE")
            top.plot(gd.t[marks], gd_values[marks], "o", color=colour, markersize=3.5, markerfacecolor="none", markeredgewidth=0.8,
                     label=f"{name} GD")
        for name, closed_values, ode_values, gd_values, style in (("u", closed.u, ode_u, gd.u, "-"), ("v", closed.v, ode_v, gd.v, "--")):
            for t, difference, colour, label in ((times, np.abs(closed_values - ode_values), "0.1", "ODE"),
                                                 (gd.t, np.abs(closed_values[at_gd] - gd_values), "#ff7f0e", "GD")):
                bottom.plot(t, np.where(difference > 0, difference, np.nan), color=colour, linestyle=style, linewidth=0.9,
                            label=f"|{name} closed − {name} {label}|")  # plain text: mathtext costs a parse per label
        bottom.set_yscale("log")
        bottom.set_xlabel("time $t$")
        bottom.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
        top.set_title(REGISTRY[paradigm].display)
    axes[0, 0].set_ylabel("u(t) (colour), v(t) (grey)")
    axes[1, 0].set_ylabel("absolute difference")
    handles = [Line2D([], [], color="0.35", linewidth=1.8), Line2D([], [], color="k", linewidth=0.7, linestyle=(0, (3, 2))),
               Line2D([], [], color="0.35", marker="o", linestyle="none", markerfacecolor="none", markersize=3.5)]
    labels = ["closed form", "solve_ivp", "gradient descent"]
    differences, names = axes[1, -1].get_legend_handles_labels()
    figure.legend(handles + differences, labels + names, loc="outside lower center", ncol=4, frameon=False)
    stopped = f", to t = {gd.t[-1]:g}" if gd.t[-1] < horizon else ""
    figure.suptitle(f"Closed form vs solve_ivp (DOP853, rtol {DEFAULT_RTOL:g}) vs gradient descent (η = {lr:g}{stopped})\n"
                    f"{setting_label(study)}")
    return figure


def _segment_loss(setting):
    """A built-in loss by name, a custom one with the setting's parameter values in place."""
    return setting.bound_loss


#: the study's figures, in the order the document shows them: name -> function(study, horizon)
FIGURES = {
    "attention": lambda study, horizon: attention_curves(study, horizon),
    "phase_portrait": lambda study, horizon: phase_portrait(study, horizon),
    "paper_uv": lambda study, horizon: uv_curves(study, horizon),
    "fixed_focus_incentive": lambda study, horizon: incentive_figure(study),
    "overlay": lambda study, horizon: overlay(study, horizon),
}


def figure_caption(name: str, study: Study, *, horizon: float | None = None) -> str:
    r"""A LaTeX caption for the figure ``name`` of :data:`FIGURES`: what is plotted, in which setting and loss,
    and what to look at. Needs only amsmath (no macros); ``horizon`` is the one the figure was drawn to.

    Examples
    --------
    >>> figure_caption("paper_uv", Study.from_preset("paper")).startswith("Focus logit")
    True
    """
    if name not in FIGURES:
        raise BadInput(f"`name` must be one of {', '.join(FIGURES)}, got {name!r}")
    check_study(study)
    horizon = horizon or study.horizon or DEFAULT_HORIZON
    setting = setting_label(study, latex=True)
    span = rf"$t \in [0, {_latex_number(horizon)}]$"
    start = f"$(u_0, v_0) = ({study.u0:g}, {study.v0:g})$"
    if name == "attention":
        spoken = [REGISTRY[paradigm].spoken for paradigm in drawn_paradigms(study)[0]]
        drawn = ", ".join(spoken[:-1]) + f" and {spoken[-1]}" if len(spoken) > 1 else spoken[0]
        return (rf"Foreground attention $p(t)$ under {drawn}, and under the fastest "
                rf"soft-then-hard hybrid to $p = 0.99$ (dashed, switching at attention $p_s$), from {start} on a "
                rf"logarithmic time axis; {setting}. Dots mark the first times $p$ reaches 0.3, 0.5, 0.9 and 0.99; "
                rf"left: which paradigm leaves the plateau first; right, $1 - p$ on a logarithmic axis from "
                rf"$p = {LATE_FROM:g}$: the late race, where a paradigm whose curve flattens stalls below high "
                rf"attention; the hybrid is hard attention after its switch, so its curve lies on hard attention's.")
    if name == "phase_portrait":
        return (rf"Level sets of the first integral $I(u, v)$ (grey) and the closed-form trajectory $u = U(v)$ from "
                rf"{start} (dot) over {span}, per paradigm; {setting}. The flow conserves $I$, so each trajectory "
                rf"runs along a level set.")
    if name == "paper_uv":
        return (rf"Focus logit $u(t)$ and margin $v(t)$ of each paradigm from the closed form over {span}; "
                rf"{setting}. Compare when each paradigm's focus and margin leave the plateau and how far they have "
                rf"grown by the end.")
    if name == "fixed_focus_incentive":
        percent = f"{SETTLED_FRACTION:.0%}".replace("%", r"\%")
        curves = incentive_curves(study)
        settled = all(c.settled is not None for row in curves.values() for c in row)
        reach = (rf"each curve within {percent} of its limit by the end of the logarithmic time axis" if settled else
                 rf"not every curve comes within {percent} of its limit where float64 resolves the margin")
        return (rf"Focus incentive $-\partial L/\partial p$ with attention frozen at "
                rf"$p \in \{{{', '.join(f'{p:g}' for p in DEFAULT_ATTENTIONS)}\}}$ while the classifier trains from "
                rf"$v = 0$; {setting_label(study, latex=True, focus=False)} ($T$ and $\alpha$ do not enter). Dashed: the "
                rf"limits as $t \to \infty$, {reach}. {_incentive_reading(curves)}")
    lr, steps = gd_schedule(reduced_model(study.for_paradigm(FIRST_STAGE)), horizon)
    stopped = "" if steps * lr >= horizon * (1 - 1e-12) else f", run to $t = {_latex_number(steps * lr)}$"
    return (rf"Closed form (solid), \texttt{{solve\_ivp}} (DOP853, relative tolerance $10^{{{round(math.log10(DEFAULT_RTOL))}}}$; "
            rf"dashed) and gradient descent (circles, learning rate $\eta = {_latex_number(lr)}${stopped}) of $u(t)$ and "
            rf"$v(t)$ over {span}, per paradigm; {setting}. Beneath, on a "
            rf"logarithmic scale, $|u_{{\mathrm{{closed}}}} - u|$ and $|v_{{\mathrm{{closed}}}} - v|$ against each: the "
            rf"ODE agrees with the closed form to the integrator's tolerance, gradient descent to first order in $\eta$.")


def _incentive_reading(curves: dict) -> str:
    """What the limits say: which paradigm still rewards focus once the classifier has converged."""
    words = []
    for paradigm, row in curves.items():
        low, high = min(c.limit for c in row), max(c.limit for c in row)
        same = math.isclose(low, high, rel_tol=1e-9, abs_tol=1e-12)
        value = f"${_latex_number(low)}$" if same else f"${_latex_number(low)}$ to ${_latex_number(high)}$ (depending on $p$)"
        words.append(f"to {value} under {REGISTRY[paradigm].spoken}")
    listed = ", ".join(words[:-1]) + " and " + words[-1]
    return f"The incentive tends {listed}: a positive limit means better focus is still rewarded once the classifier has converged."


def _latex_number(value: float) -> str:
    """Three significant digits for a caption: ``6.91``, ``1000``, ``4 \\times 10^{5}``."""
    return latex_number(value, 3, math_mode=False, trim=True)


def rendered_figure(name: str, study: Study, horizon: float) -> dict:
    """One of :data:`FIGURES`, rendered (a job for :func:`validation.parallel.run_jobs`)."""
    with plt.rc_context(FIGURE_STYLE):
        return render(FIGURES[name](study, horizon))


def check_study(study: Study) -> None:
    if not isinstance(study, Study):
        raise TypeError(f"`study` must be a Study, got {type(study).__name__}")
    if study.setting.scheme is None or study.setting.scheme.is_custom:
        raise BadInput("`study` must use a registered paradigm: the figures compare the registered paradigms")


def write_figures(directory, study: Study, *, force: bool = False, within: OutputDirectory | None = None, horizon: float | None = None,
                  rendered: dict | None = None) -> list[Path]:
    """Write all figures for ``study`` into ``directory`` (``rendered``: already rendered ones by name); returns the files.

    ``force``, ``within``: as :func:`write_all_rendered`."""
    check_study(study)
    horizon = horizon or study.horizon or DEFAULT_HORIZON
    rendered = rendered or {}
    return write_all_rendered(directory, FIGURES, lambda name: rendered[name] if name in rendered else rendered_figure(name, study, horizon),
                              force=force, within=within)
