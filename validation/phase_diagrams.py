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

from trajectories.sweep import Outcome  # noqa: E402

from .claims import CLAIMS, claim_maps  # noqa: E402
from .files import prepare_directory  # noqa: E402
from .figures import COLOURS, NAMES, STYLE, save  # noqa: E402
from .grids import LOG_AXES  # noqa: E402
from .sweep import SweepReport, plane_of  # noqa: E402

LABELS = {"segments": "segments $T$", "classes": "classes $c$", "alpha": r"$\alpha$", "beta": r"$\beta$", "u0": "$u_0$", "v0": "$v_0$"}
HYBRID_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#17becf")
NONE_COLOUR = "#bbbbbb"
TIE = 1e-9  # relative: times this close reach the target together


def plane_axes(report: SweepReport) -> tuple[str, str]:
    """The two axes with several values (the diagram's x and y); a ``ValueError`` otherwise."""
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
    x_name, y_name = plane_axes(report)
    xs, ys, grid = _grid(report, values)
    mesh = axis.pcolormesh(_edges(xs, x_name in LOG_AXES), _edges(ys, y_name in LOG_AXES), grid, shading="flat", **options)
    if x_name in LOG_AXES:
        axis.set_xscale("log")
    if y_name in LOG_AXES:
        axis.set_yscale("log")
    axis.set_xlabel(LABELS[x_name])
    axis.set_ylabel(LABELS[y_name])
    return mesh


def _times(report: SweepReport, column: str, j: int) -> np.ndarray:
    result = report.results[column]
    return np.where(result.outcome[:, j] == Outcome.REACHED, result.time[:, j], np.inf)


def first_figure(report: SweepReport):
    """Which column reaches each target first."""
    columns = list(report.results)
    colours = [COLOURS.get(name, HYBRID_COLOURS[k % len(HYBRID_COLOURS)]) for k, name in enumerate(columns)] + [NONE_COLOUR, "white"]
    names = [NAMES.get(name, name) for name in columns] + ["none", "tie"]
    targets = report.request.targets
    figure, axes = plt.subplots(1, len(targets), figsize=(2.6 * len(targets) + 1.2, 2.6), layout="constrained", squeeze=False)
    colour_map = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, len(colours))
    for axis, (j, target) in zip(axes[0], enumerate(targets)):
        times = np.stack([_times(report, column, j) for column in columns], axis=1)
        # a hybrid counts as first only when it beats every paradigm (before its switch it *is* soft)
        pure = np.array([column in NAMES or column == "custom" for column in columns])
        best_pure = np.min(times[:, pure], axis=1)
        times = np.where(pure[None, :] | (times < best_pure[:, None] * (1 - TIE)), times, np.inf)
        best = np.min(times, axis=1)
        winner = np.argmin(times, axis=1).astype(float)
        close = np.sum(times <= best[:, None] * (1 + TIE), axis=1)
        winner[close > 1] = len(columns) + 1
        winner[~np.isfinite(best)] = len(columns)
        mesh = _mesh(axis, report, winner, cmap=colour_map, norm=norm)
        axis.set_title(f"first to $p = {target:g}$")
    bar = figure.colorbar(mesh, ax=axes[0, -1], ticks=np.arange(len(colours)))
    bar.ax.set_yticklabels(names)
    return figure


def ratio_figure(report: SweepReport):
    r""":math:`\log_{10}(t_k / t_{\mathrm{hard}})` per target and column."""
    others = [name for name in report.results if name != "hard"]
    targets = report.request.targets
    figure, axes = plt.subplots(len(targets), len(others), figsize=(2.5 * len(others) + 1, 2.2 * len(targets)),
                                layout="constrained", squeeze=False)
    with np.errstate(all="ignore"):
        ratios = {(name, j): np.log10(_times(report, name, j) / _times(report, "hard", j)) for name in others for j in range(len(targets))}
    finite = np.concatenate([r[np.isfinite(r)] for r in ratios.values()] + [np.zeros(1)])
    bound = max(float(np.max(np.abs(finite))), 1e-3)
    for row, target in enumerate(targets):
        for col, name in enumerate(others):
            axis = axes[row, col]
            mesh = _mesh(axis, report, np.where(np.isfinite(ratios[name, row]), ratios[name, row], np.nan), cmap="RdBu_r",
                         vmin=-bound, vmax=bound)
            axis.set_title(f"{NAMES.get(name, name)} / hard, $p = {target:g}$", fontsize=8)
    figure.colorbar(mesh, ax=axes, label=r"$\log_{10}(t / t_{\mathrm{hard}})$ (blue: faster than hard)")
    return figure


def claims_figure(report: SweepReport):
    """Where each of the paper's claims holds (green), fails (orange) or is undecided (grey)."""
    claims = claim_maps(report)
    names = list(claims.maps)
    figure, axes = plt.subplots(1, len(names), figsize=(2.5 * len(names) + 1, 2.6), layout="constrained", squeeze=False)
    colour_map = ListedColormap([NONE_COLOUR, "#ff7f0e", "#2ca02c"])
    norm = BoundaryNorm([-1.5, -0.5, 0.5, 1.5], 3)
    for axis, name in zip(axes[0], names):
        mesh = _mesh(axis, report, claims.maps[name], cmap=colour_map, norm=norm)
        held, decided = claims.share(name)
        axis.set_title(f"{CLAIMS[name]}\n({held}/{decided} settings)", fontsize=8)
    bar = figure.colorbar(mesh, ax=axes[0, -1], ticks=[-1, 0, 1])
    bar.ax.set_yticklabels(["undecided", "fails", "holds"])
    return figure


def write_phase_diagrams(directory, report: SweepReport, *, force: bool = False) -> list[Path]:
    """Write the phase diagrams of ``report`` into ``directory``; returns the files."""
    plane_axes(report)  # refuse before creating anything
    path = prepare_directory(directory, force=force)
    written = []
    with plt.rc_context(STYLE):
        written += save(first_figure(report), path, "sweep_first")
        written += save(ratio_figure(report), path, "sweep_ratios")
        if all(name in report.results for name in ("soft", "hard", "lvml")):
            written += save(claims_figure(report), path, "sweep_claims")
    return written
