"""Phase diagrams of a sweep over two axes (matplotlib, PDF and PNG, written atomically).

- ``sweep_first``: per target, which column (paradigm or hybrid) reaches it first;
- ``sweep_ratios``: per target, :math:`\\log_{10}` of each paradigm's time over hard attention's;
- ``sweep_claims``: where each of the paper's four claims holds (:mod:`validation.claims`).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402


from analytic.paradigms import PAPER_AFTER, PAPER_PARADIGMS, colour_of  # noqa: E402
from analytic.paradigms import PARADIGMS as REGISTRY  # noqa: E402
from trajectories.choices import number_label  # noqa: E402

from .claims import CLAIMS, claim_maps  # noqa: E402
from .figures import PANEL_HEIGHT, STYLE, TEXT_WIDTH, render, write_all_rendered  # noqa: E402
from .grids import LOG_AXES  # noqa: E402
from .sweep import SweepReport, plane_of  # noqa: E402

LABELS = {"segments": "segments $T$", "classes": "classes $c$", "alpha": r"$\alpha$", "beta": r"$\beta$", "u0": "$u_0$", "v0": "$v_0$"}
HYBRID_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#17becf")
NONE_COLOUR = "#bbbbbb"
TIE = 1e-9  # relative: times this close reach the target together
RATIO_ROW_HEIGHT = 1.9  # inches per target of the ratio figure (drawn at the text width, like every figure)


def plane_axes(report: SweepReport) -> tuple[str, str]:
    """The two axes with several values (the diagram's x and y); a ``BadInput`` otherwise."""
    return plane_of(report.request.axes)


def _grid(report: SweepReport, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y (the grid's values) and ``values`` reshaped to (y, x)."""
    x_name, y_name = plane_axes(report)
    xs, ys = np.asarray(report.request.axes[x_name], float), np.asarray(report.request.axes[y_name], float)
    return xs, ys, np.asarray(values).reshape(xs.size, ys.size).T  # the product grid has x outer


def _edges(values: np.ndarray, log: bool) -> np.ndarray:
    """Cell edges around grid values (geometric midpoints on a log axis)."""
    if values.size == 1:
        return np.array([values[0] * 0.9, values[0] * 1.1]) if log else np.array([values[0] - 0.5, values[0] + 0.5])
    points = np.log(values) if log else values
    middle = (points[1:] + points[:-1]) / 2
    edges = np.concatenate([[2 * points[0] - middle[0]], middle, [2 * points[-1] - middle[-1]]])
    return np.exp(edges) if log else edges


def _mesh(axis, report: SweepReport, values, **options):
    """``values`` on the (x, y) grid; a log axis is drawn in log10 coordinates with 10^k ticks
    (matplotlib's log scale transforms every cell of a mesh one by one: seconds per figure)."""
    x_name, y_name = plane_axes(report)
    xs, ys, grid = _grid(report, values)
    x_log, y_log = x_name in LOG_AXES, y_name in LOG_AXES
    x_edges, y_edges = _edges(xs, x_log), _edges(ys, y_log)
    x_edges, y_edges = (np.log10(x_edges) if x_log else x_edges), (np.log10(y_edges) if y_log else y_edges)
    mesh = axis.pcolormesh(x_edges, y_edges, grid, shading="flat", rasterized=True, **options)
    for log, which in ((x_log, axis.xaxis), (y_log, axis.yaxis)):
        if log:
            which.set_major_locator(MaxNLocator(integer=True))
            which.set_major_formatter(FuncFormatter(lambda k, _: f"$10^{{{k:g}}}$"))
    axis.set_xlabel(LABELS[x_name])
    axis.set_ylabel(LABELS[y_name])
    return mesh


def first_figure(report: SweepReport):
    """Which column reaches each target first."""
    columns = list(report.results)
    colours = [colour_of(name) if name in REGISTRY else HYBRID_COLOURS[k % len(HYBRID_COLOURS)] for k, name in enumerate(columns)] + [NONE_COLOUR, "white"]
    names = [REGISTRY[name].display if name in REGISTRY else name for name in columns] + ["none", "tie"]
    targets = report.request.targets
    figure, axes = plt.subplots(1, len(targets), figsize=(TEXT_WIDTH, PANEL_HEIGHT), layout="constrained", squeeze=False)
    colour_map = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, len(colours))
    for axis, (j, target) in zip(axes[0], enumerate(targets)):
        times = np.stack([report.results[column].reached(j) for column in columns], axis=1)
        # a hybrid counts as first only when it beats every paradigm (before its switch it *is* soft)
        pure = np.array([column in REGISTRY or column == "custom" for column in columns])
        best_pure = np.min(times[:, pure], axis=1)
        times = np.where(pure[None, :] | (times < best_pure[:, None] * (1 - TIE)), times, np.inf)
        best = np.min(times, axis=1)
        winner = np.argmin(times, axis=1).astype(float)
        close = np.sum(times <= best[:, None] * (1 + TIE), axis=1)
        winner[close > 1] = len(columns) + 1
        winner[~np.isfinite(best)] = len(columns)
        mesh = _mesh(axis, report, winner, cmap=colour_map, norm=norm)
        axis.set_title(f"first to $p = {number_label(target)}$")
    bar = figure.colorbar(mesh, ax=axes[0, -1], ticks=np.arange(len(colours)))
    bar.ax.set_yticklabels(names)
    return figure


def ratio_figure(report: SweepReport):
    r""":math:`\log_{10}(t_k / t_{\mathrm{hard}})` per target and column."""
    others = [name for name in report.results if name != PAPER_AFTER]
    targets = report.request.targets
    figure, axes = plt.subplots(len(targets), len(others), figsize=(TEXT_WIDTH, RATIO_ROW_HEIGHT * len(targets) + 0.4),
                                layout="constrained", squeeze=False)
    with np.errstate(all="ignore"):
        ratios = {(name, j): np.log10(report.results[name].reached(j) / report.results[PAPER_AFTER].reached(j)) for name in others for j in range(len(targets))}
    for row, target in enumerate(targets):
        finite = np.concatenate([ratios[name, row][np.isfinite(ratios[name, row])] for name in others] + [np.zeros(1)])
        bound = max(float(np.max(np.abs(finite))), 1e-3)  # one symmetric scale per target (row)
        for col, name in enumerate(others):
            axis = axes[row, col]
            mesh = _mesh(axis, report, np.where(np.isfinite(ratios[name, row]), ratios[name, row], np.nan), cmap="RdBu_r",
                         vmin=-bound, vmax=bound)
            axis.set_title(f"{REGISTRY[name].display if name in REGISTRY else name} / {REGISTRY[PAPER_AFTER].display}, $p = {number_label(target)}$", fontsize=8)
        figure.colorbar(mesh, ax=axes[row, :], label=r"$\log_{10}(t / t_{\mathrm{hard}})$")
    figure.suptitle("Time to each target relative to hard attention\n(blue: faster than hard; white: not reached, or reached at the start)")
    return figure


def claims_figure(report: SweepReport):
    """Where each of the paper's claims holds (green), fails (orange) or is undecided (grey)."""
    claims = claim_maps(report)
    names = list(claims.maps)
    figure, axes = plt.subplots(1, len(names), figsize=(TEXT_WIDTH, PANEL_HEIGHT + 0.4), layout="constrained", squeeze=False)
    colour_map = ListedColormap([NONE_COLOUR, "#ff7f0e", "#2ca02c"])
    norm = BoundaryNorm([-1.5, -0.5, 0.5, 1.5], 3)
    for axis, name in zip(axes[0], names):
        mesh = _mesh(axis, report, claims.maps[name], cmap=colour_map, norm=norm)
        held, decided = claims.share(name)
        axis.set_title(f"{CLAIMS[name]}\n({held}/{decided} settings)", fontsize=8)
    bar = figure.colorbar(mesh, ax=axes[0, -1], ticks=[-1, 0, 1])
    bar.ax.set_yticklabels(["undecided", "fails", "holds"])
    return figure


#: the phase diagrams: name -> function(report) returning a figure
DIAGRAMS = {"sweep_first": first_figure, "sweep_ratios": ratio_figure, "sweep_claims": claims_figure}


def rendered_diagram(name: str, report: SweepReport) -> dict:
    """One of :data:`DIAGRAMS`, rendered (a job for :func:`validation.parallel.run_jobs`)."""
    with plt.rc_context(STYLE):
        return render(DIAGRAMS[name](report))


def diagram_names(report: SweepReport) -> list[str]:
    """The diagrams ``report`` can show (the claims need soft, hard and LVML columns)."""
    plane_axes(report)
    return [name for name in DIAGRAMS if name != "sweep_claims" or all(k in report.results for k in PAPER_PARADIGMS)]


def write_phase_diagrams(directory, report: SweepReport, *, force: bool = False, within=None, rendered: dict | None = None) -> list[Path]:
    """Write the phase diagrams of ``report`` into ``directory`` (``rendered``: already rendered ones); returns the files.

    Complete or not at all; ``force``, ``within`` (the enclosing run): as :func:`validation.figures.write_all_rendered`.
    """
    names = diagram_names(report)  # refuse before creating anything
    rendered = rendered or {}
    return write_all_rendered(directory, names, lambda name: rendered[name] if name in rendered else rendered_diagram(name, report),
                              force=force, within=within)
