"""Figures drawn at the size they are printed, with 8-10 pt text, and an attention figure whose late panel shows the race.

Read from the matplotlib Figure objects (sizes, every text's font size, the plotted curves in display pixels) and
from the rendered PNG (its pixel width).
"""

from __future__ import annotations

import io
import struct

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text

from analytic.paradigms import PARADIGMS as REGISTRY
from trajectories.choices import Switch
from trajectories.model import Setting
from trajectories.presets import Study
from validation.figures import FIGURE_STYLE, FIGURES, STYLE, TEXT_WIDTH, render
from validation.grids import grid
from validation.phase_diagrams import DIAGRAMS
from validation.sweep import SweepRequest, run_sweep

PAPER = Study.from_preset("paper")
FONT_RANGE = (8.0, 10.0)  # pt: the bound, beside a 10 pt body
SEPARATION = 5.0  # pixels (at the figure's dpi): "more than a few pixels" between two paradigms' late curves


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def texts(figure) -> list[Text]:
    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def check_layout(figure, style):
    width, _ = figure.get_size_inches()
    assert width == pytest.approx(TEXT_WIDTH, abs=1e-9)  # drawn at the printed width: no scaling on the page
    figure.canvas.draw()  # tick labels exist once drawn
    sizes = {round(t.get_fontsize(), 2) for t in texts(figure)}
    assert sizes and all(FONT_RANGE[0] <= size <= FONT_RANGE[1] for size in sizes), sizes  # 8-10 pt
    png = render(figure)["png"]
    assert png_size(png)[0] == round(TEXT_WIDTH * style["figure.dpi"])  # exactly: no tight bounding box crops it


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_is_drawn_at_the_text_width_with_8_to_10_pt_text(name):
    with plt.rc_context(FIGURE_STYLE):
        check_layout(FIGURES[name](PAPER, PAPER.horizon), FIGURE_STYLE)


@pytest.fixture(scope="module")
def small_sweep():
    request = SweepRequest(Setting("soft", "cross-entropy"), {"segments": grid("3:300:4", "segments"), "classes": grid("2:50:4", "classes")},
                           (0.3, 0.9, 0.99), (Switch("hard", attention=0.5),))
    return run_sweep(request, workers=1, show_progress=False)


@pytest.mark.parametrize("name", list(DIAGRAMS))
def test_every_phase_diagram_is_drawn_at_the_text_width_with_8_to_10_pt_text(name, small_sweep):
    with plt.rc_context(STYLE | {"savefig.bbox": None}):
        check_layout(DIAGRAMS[name](small_sweep), STYLE)


def _late_pixels(axis, t, y, times):
    """Display y (pixels) of the curve (t, y) at ``times``, interpolated in log t and log y as the axes draw it."""
    values = 10 ** np.interp(np.log10(times), np.log10(t), np.log10(y))
    return axis.transData.transform(np.column_stack([times, values]))[:, 1]


def test_the_attention_figures_late_panel_separates_the_paradigms():
    """At the paper preset soft stalls below p = 0.99 while hard and LVML go on: their 1 - p curves lie apart."""
    with plt.rc_context(FIGURE_STYLE):
        figure = FIGURES["attention"](PAPER, PAPER.horizon)
        figure.canvas.draw()
    late = next(axis for axis in figure.axes if axis.get_yscale() == "log")
    assert late.get_ylabel().startswith("$1 - p$")
    low, high = late.get_xlim()
    times = np.geomspace(low * (high / low) ** 0.5, high, 20)  # the later half of the panel (log t)
    names = {name: entry.display for name, entry in REGISTRY.items()}  # the registry's display names label the curves
    curves = {line.get_label(): line.get_data() for line in late.lines if line.get_label() in names.values()}
    assert set(curves) == set(names.values())
    pixels = {label: _late_pixels(late, np.asarray(t, float), np.asarray(y, float), times) for label, (t, y) in curves.items()}
    labels = sorted(pixels)
    for i, first in enumerate(labels):
        for second in labels[i + 1:]:
            gap = np.max(np.abs(pixels[first] - pixels[second]))
            assert gap > SEPARATION, (first, second, gap)  # pixels at 150 dpi
    # the measure can fail: the hybrid is hard attention after its switch, 0.1% ahead, and lies on hard's curve
    hybrid = next(line for line in late.lines if line.get_label().startswith("soft then hard"))
    gap = np.max(np.abs(_late_pixels(late, *map(np.asarray, hybrid.get_data()), times) - pixels[names["hard"]]))
    assert gap < SEPARATION  # pixels
