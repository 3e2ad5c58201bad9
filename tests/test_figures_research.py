"""The figures researchers use, read from the matplotlib Figure objects and checked against hand formulas.

Hand formulas (docs/setting.rst section 2, cross-entropy with c classes, focus frozen at p, v(0) = 0):

- soft:  dv/dt = beta p (c-1) / (e^{pv} + c - 1),  t(v) = ((e^{pv} - 1)/p + (c-1) v) / (beta p (c-1)),
         incentive g = v (c-1) / (e^{pv} + c - 1) -> 0;
- hard:  dv/dt = beta p (c-1) / (e^v + c - 1),     t(v) = (e^v - 1 + (c-1) v) / (beta p (c-1)),
         g = log c - log(1 + (c-1) e^{-v}) -> log c;
- LVML:  with q = e^{-l(v)} = e^v / (e^v + c - 1), q0 = 1/c, D = p q + (1-p) q0:
         g = (q - q0) / D -> (c-1)/(pc + 1 - p),  dv/dt = beta p q (c-1)/(e^v + c - 1) / D (t by quadrature).

First integrals (du/dv = (alpha/beta) ... separated by hand): soft attention with any loss conserves
(beta/alpha)(u + e^u/(T-1)) - v^2/2; hard attention with the square loss conserves
(beta/alpha)(u + e^u/(T-1)) - (v-1)^2/4 + log|v-1|/2.
"""

from __future__ import annotations

import math
import shutil
import subprocess

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp
from scipy.optimize import brentq

from trajectories.presets import Study
from validation.figures import FIGURES, figure_caption, incentive_figure, overlay, phase_portrait, uv_curves

PAPER = Study.from_preset("paper")
SMALL = Study.from_preset("small")
SMALL_SQUARE = Study.from_preset("small", loss="square")
SETTLED = 0.01  # the figure promises every incentive curve within 1% of its scale of its limit


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _soft_time(v, p, c, beta):
    return (math.expm1(p * v) / p + (c - 1) * v) / (beta * p * (c - 1))


def _soft_incentive(v, p, c):
    return v * (c - 1) / (math.exp(p * v) + c - 1)


def _hard_time(v, p, c, beta):
    return (math.expm1(v) + (c - 1) * v) / (beta * p * (c - 1))


def _hard_incentive(v, c):
    return math.log(c) - math.log1p((c - 1) * math.exp(-v))


def _lvml_parts(v, p, c):
    q = 1 / (1 + (c - 1) * math.exp(-v))
    return q, p * q + (1 - p) / c


def _lvml_incentive(v, p, c):
    q, d = _lvml_parts(v, p, c)
    return (q - 1 / c) / d


def _lvml_time(v, p, c, beta):
    def dt_dv(x):
        q, d = _lvml_parts(x, p, c)
        return d * (math.exp(x) + c - 1) / (beta * p * q * (c - 1))

    return quad(dt_dv, 0, v, epsabs=0, epsrel=1e-12, limit=200)[0]


def _margin_at(time_of, t):
    """v with t(v) = t, by bisection on [0, 200] (t(v) is increasing)."""
    return brentq(lambda v: time_of(v) - t, 0.0, 200.0, xtol=1e-14, rtol=1e-15)


def _panels(figure):
    return {axis.get_title(): axis for axis in figure.axes if axis.get_title()}


def _curves(axis):
    return {line.get_label(): (np.asarray(line.get_xdata()), np.asarray(line.get_ydata())) for line in axis.lines
            if not line.get_label().startswith("_")}


def _cross_entropy_hand(c, beta, p):
    """Per paradigm: (t(v), g(v), limit, the time after which g stays within SETTLED of its limit)."""
    peak_v = brentq(lambda v: math.exp(p * v) * (1 - p * v) + c - 1, 1 / p, (math.log(c) + 50) / p)
    soft_scale = _soft_incentive(peak_v, p, c)  # the soft curve rises to this peak and falls back to 0
    soft_settle_v = brentq(lambda v: _soft_incentive(v, p, c) - SETTLED * soft_scale, peak_v, 700 / p)
    hard_settle_v = -math.log(math.expm1(SETTLED * math.log(c)) / (c - 1))  # log(1 + (c-1)e^{-v}) = 1% of log c
    lvml_limit = (c - 1) / (p * c + 1 - p)
    lvml_settle_v = brentq(lambda v: _lvml_incentive(v, p, c) - (1 - SETTLED) * lvml_limit, 0.0, 200.0)
    return {
        "soft": (lambda v: _soft_time(v, p, c, beta), lambda v: _soft_incentive(v, p, c), 0.0, soft_scale,
                 _soft_time(soft_settle_v, p, c, beta)),
        "hard": (lambda v: _hard_time(v, p, c, beta), lambda v: _hard_incentive(v, c), math.log(c), math.log(c),
                 _hard_time(hard_settle_v, p, c, beta)),
        "LVML": (lambda v: _lvml_time(v, p, c, beta), lambda v: _lvml_incentive(v, p, c), lvml_limit, lvml_limit,
                 _lvml_time(lvml_settle_v, p, c, beta)),
    }


@pytest.mark.parametrize("study", [PAPER, SMALL], ids=["paper", "small"])
def test_the_incentive_axis_is_long_enough_for_every_curve_to_reach_its_limit(study):
    setting = study.setting
    c, beta = setting.classes, float(setting.beta)
    figure = incentive_figure(study)
    panels = _panels(figure)
    settle_times = []
    for attention in (0.2, 0.4, 0.6, 0.8):
        hand = _cross_entropy_hand(c, beta, attention)
        for name, (time_of, incentive, limit, scale, settles) in hand.items():
            axis = panels[name]
            end = axis.get_xlim()[1]
            settle_times.append(settles)
            # long enough: at the axis' end the hand incentive is within 1% of its scale of the limit ...
            assert abs(incentive(_margin_at(time_of, end)) - limit) <= SETTLED * scale, (name, attention)
            assert end >= settles, (name, attention)  # ... and stays there (the hand curves are monotone after settling)
            # the limit is drawn as a dashed line at the hand value (1e-12: a float from the exact limit)
            dashed = [line.get_ydata()[0] for line in axis.lines if line.get_linestyle() == "--"]
            assert any(abs(y - limit) <= 1e-12 * max(1.0, limit) for y in dashed), (name, attention, dashed)
            labels = [text.get_text() for text in axis.texts]
            assert any(f"{limit:.3g}" in label for label in labels), (name, labels)
            t, g = _curves(axis)[f"p = {attention:g}"]
            assert t[0] <= axis.get_xlim()[0] and t[-1] >= end  # the curve spans the axis
            if name != "LVML":  # the drawn values are the hand incentive at the hand margin (1e-8 of the curve's scale)
                for k in np.linspace(0, t.size - 1, 15).astype(int):
                    assert abs(g[k] - incentive(_margin_at(time_of, t[k]))) <= 1e-8 * scale, (name, attention, t[k])
    # and not absurdly long: the axis ends within two decades of the last hand settling time (whole decades, one to spare)
    assert max(panel.get_xlim()[1] for panel in panels.values()) <= 100 * max(settle_times)


def test_the_paper_incentive_axis_goes_past_where_it_used_to_stop():
    """At the old end, t = 1e4, soft attention's incentive at p = 0.8 is still ~5 of a peak of ~5.5: not at its limit 0."""
    c, beta = 1000, 1 / 999
    assert _soft_incentive(_margin_at(lambda v: _soft_time(v, 0.8, c, beta), 1e4), 0.8, c) > 4.5
    assert _panels(incentive_figure(PAPER))["soft"].get_xlim()[1] >= 1e7


def test_square_loss_incentive_reaches_its_limits():
    """Square loss, beta = 1: hard v(t) = 1 - e^{-pt}, g = (1 - e^{-2pt})/2 -> 1/2; soft 1 - pv = e^{-p^2 t},
    g = v(1 - pv) = (1 - x) x / p with x = e^{-p^2 t}, peak 1/(4p), limit 0."""
    panels = _panels(incentive_figure(SMALL_SQUARE))
    for attention in (0.2, 0.4, 0.6, 0.8):
        end_hard, end_soft = panels["hard"].get_xlim()[1], panels["soft"].get_xlim()[1]
        assert abs((1 - math.exp(-2 * attention * end_hard)) / 2 - 0.5) <= SETTLED * 0.5
        x = math.exp(-attention**2 * end_soft)
        assert (1 - x) * x / attention <= SETTLED / (4 * attention)


@pytest.mark.parametrize("study,loss,constants", [
    (PAPER, "cross-entropy", ("c = 1000", "T = 100", "1/1000", "1/999")),
    (SMALL_SQUARE, "square", ("T = 10", "α = 1", "β = 1")),
], ids=["paper", "small-square"])
def test_paper_uv_and_every_title_name_the_loss_and_setting_plotted(study, loss, constants):
    figure = uv_curves(study, study.horizon)
    title = figure.get_suptitle()
    assert f"{loss} loss" in title and all(constant in title for constant in constants), title
    if study is SMALL_SQUARE:
        assert "1000" not in title and "aper" not in title  # not the paper preset's numbers or name
    assert max(line.get_xdata()[-1] for line in figure.axes[0].lines) == pytest.approx(study.horizon)
    for name, build in FIGURES.items():
        figure = build(study, study.horizon)
        texts = figure.get_suptitle() + " ".join(axis.get_title() for axis in figure.axes)
        assert f"{loss} loss" in texts and constants[-1] in texts, (name, texts)


def _soft_integral(u, v, segments, alpha, beta):
    return beta / alpha * (u + np.exp(u) / (segments - 1)) - v**2 / 2


def _hard_square_integral(u, v, segments, alpha, beta):
    return beta / alpha * (u + np.exp(u) / (segments - 1)) - (v - 1) ** 2 / 4 + np.log(np.abs(v - 1)) / 2


@pytest.mark.parametrize("study,panel,integral", [
    (PAPER, "soft", _soft_integral), (SMALL_SQUARE, "soft", _soft_integral), (SMALL_SQUARE, "hard", _hard_square_integral),
], ids=["paper-soft", "square-soft", "square-hard"])
def test_phase_portrait_points_lie_on_their_level_set(study, panel, integral):
    setting = study.setting
    figure = phase_portrait(study, study.horizon)
    axis = _panels(figure)[panel]
    u, v = _curves(axis)[panel]
    keep = np.abs(v - 1) >= 1e-6 if integral is _hard_square_integral else np.ones_like(v, dtype=bool)
    # log|v - 1| turns the rounding of v (1e-16) into 1e-16/|v - 1|: points within 1e-6 of v* = 1 are left out
    constants = float(setting.segments), float(setting.alpha), float(setting.beta)
    values = integral(u[keep], v[keep], *constants)
    start = integral(np.float64(study.u0), np.float64(study.v0), *constants)
    scale = np.maximum(1.0, float(setting.beta) / float(setting.alpha) * np.exp(u[keep]) / (constants[0] - 1))
    assert np.max(np.abs(values - start) / scale) <= 1e-9  # rounding of e^u and of the closed form (its guard is 1e-8)
    assert keep.sum() >= 300 and v[-1] > v[0]


@pytest.mark.parametrize("study", [PAPER, SMALL_SQUARE], ids=["paper", "small-square"])
def test_phase_portrait_is_dense_and_its_level_sets_cover_the_window(study):
    figure = phase_portrait(study, study.horizon)
    for name, axis in _panels(figure).items():
        (left, right), (bottom, top) = axis.get_xlim(), axis.get_ylim()
        u, v = _curves(axis)[name]
        steps = np.hypot(np.diff(u) / (right - left), np.diff(v) / (top - bottom))
        assert steps.max() <= 0.01, name  # no segment longer than 1% of the panel: no polyline cutting across level sets
        vertices = np.concatenate([path.vertices for collection in axis.collections for path in collection.get_paths()])
        cell = 3 / 300  # three cells of the 300 x 300 grid
        assert vertices[:, 1].max() >= top - cell * (top - bottom) and vertices[:, 1].min() <= bottom + cell * (top - bottom), name
        assert vertices[:, 0].max() >= right - cell * (right - left) and vertices[:, 0].min() <= left + cell * (right - left), name


def _soft_logistic_flow(_, y, segments=10.0):
    """Soft attention, logistic loss, alpha = beta = 1: L = log(1 + e^{-pv}), p = e^u/(e^u + T - 1)."""
    u, v = y
    p = 1 / (1 + (segments - 1) * math.exp(-u))
    sigma = 1 / (1 + math.exp(p * v))  # -dl/dz at z = pv
    return [v * p * (1 - p) * sigma, p * sigma]


def test_overlay_differences_are_small_and_its_curves_are_the_flow():
    figure = overlay(SMALL, SMALL.horizon)
    top = [axis for axis in figure.axes if axis.get_title() == "soft"][0]
    curves = _curves(top)
    t, u = curves["u closed"]
    reference = solve_ivp(_soft_logistic_flow, (0, t[-1]), [0.0, 0.0], method="DOP853", t_eval=t, rtol=1e-12, atol=1e-14)
    assert np.max(np.abs(u - reference.y[0])) <= 1e-8  # closed form vs an integration of the hand-written flow
    assert np.max(np.abs(curves["v closed"][1] - reference.y[1])) <= 1e-8
    lr = float(figure.get_suptitle().split("η = ")[1].split(")")[0])
    state, steps = np.array([0.0, 0.0]), {round(x / lr) for x in curves["u GD"][0]}
    recorded = {}
    for k in range(max(steps) + 1):  # gradient descent by hand on the same flow
        if k in steps:
            recorded[k] = state.copy()
        state = state + lr * np.array(_soft_logistic_flow(0, state))
    gd_t, gd_u = curves["u GD"]
    assert np.max(np.abs(gd_u - [recorded[round(x / lr)][0] for x in gd_t])) <= 1e-10  # same iteration, rounding only
    bottoms = [axis for axis in figure.axes if axis.get_yscale() == "log"]
    assert len(bottoms) == 3
    for axis in bottoms:
        differences = _curves(axis)
        for name in ("u", "v"):
            ode = differences[f"|{name} closed − {name} ODE|"][1]
            gd = differences[f"|{name} closed − {name} GD|"][1]
            assert np.nanmax(ode) <= 1e-8  # closed form vs solve_ivp at rtol 1e-11
            assert 1e-6 <= np.nanmax(gd) <= lr  # gradient descent is first order: visible, and below eta (here about eta / 7)


def _need_tex():
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed (Debian: texlive-latex-recommended)")


def test_every_figure_has_a_caption_that_names_the_setting_and_compiles(tmp_path):
    captions = {name: figure_caption(name, SMALL_SQUARE) for name in FIGURES}
    assert set(captions) == {"attention", "phase_portrait", "paper_uv", "fixed_focus_incentive", "overlay"}
    for name, caption in captions.items():
        assert "square loss" in caption and "$T = 10$" in caption or name == "fixed_focus_incentive", name
        assert "square loss" in caption and r"$\beta = 1$" in caption, name
        assert 1 <= caption.count(". ") + 1 <= 3, caption
    assert "$c = 1000$" in figure_caption("paper_uv", PAPER) and "4 \\times 10^{5}" in figure_caption("paper_uv", PAPER)
    assert "$\\log" not in figure_caption("fixed_focus_incentive", PAPER) and "6.91" in figure_caption("fixed_focus_incentive", PAPER)
    with pytest.raises(ValueError, match="`name`"):
        figure_caption("nope", SMALL)
    _need_tex()
    body = "\n".join(rf"\begin{{figure}}\caption{{{caption}}}\end{{figure}}" for caption in captions.values())
    source = tmp_path / "captions.tex"
    source.write_text("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n" + body + "\n\\end{document}\n")
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", source.name], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:]
