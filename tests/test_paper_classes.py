r"""``paper --class``: the generated document and every paper snippet in article, IEEEtran and revtex4-2.

Each class's document is compiled with the hostile preamble of :mod:`test_latex_preambles` (``\Li`` with
its own subscript, a one-argument ``\Lhard``, ``\Lsoft``): no error, no overfull box wider than 1 pt.
"""

from __future__ import annotations

import re

import pytest

from analytic.latex import LINE_WIDTH, TWO_COLUMN_WIDTH, visible_width
from trajectories.presets import Study
from validation.document import (FIXED_FOCUS_WORDS, gather_display, packed_lines, paradigm_section, piece_words,
                                 proposition)
from validation.document_class import DOCUMENT_CLASSES
from analytic.paradigms import PARADIGMS
from validation.paper import GENERAL, certified_proposition, run_latex, snippet, study_losses, write_paper

from test_latex_preambles import CLASSES, HOSTILE, OVERFULL_BOUND, assert_clean
from test_latex_snippets import cli, need_tex

THEOREMS = "\n".join([r"\usepackage{amsthm}", r"\newtheorem{proposition}{Proposition}"])


def test_the_classes_are_the_ones_the_preamble_test_compiles():
    assert set(DOCUMENT_CLASSES) == set(CLASSES)
    for name, target in DOCUMENT_CLASSES.items():
        assert target.header[0] == CLASSES[name][0]  # the same class line
        assert target.display_width == CLASSES[name][1]  # and the same display width


@pytest.fixture(scope="module")
def paper_parts():
    """Every snippet of the paper preset at both widths, and the three certified propositions."""
    study = Study.from_preset("paper")
    made = {(width, kind, paradigm, loss): snippet(paradigm, loss, study, kind, width)
            for width in (LINE_WIDTH, TWO_COLUMN_WIDTH) for kind in ("instance", GENERAL)
            for paradigm in PARADIGMS for loss in study_losses(study)}
    return study, made, {paradigm: certified_proposition(paradigm, study) for paradigm in PARADIGMS}


@pytest.mark.parametrize("document_class", list(DOCUMENT_CLASSES))
def test_every_paper_snippet_compiles_in_each_class(tmp_path, paper_parts, document_class):
    """The paper preset's sections as the paper prints them (propositions, one display per loss) and every
    snippet file as an author would ``\\input`` it, in the class with the hostile preamble."""
    need_tex()
    study, made, propositions = paper_parts
    width = DOCUMENT_CLASSES[document_class].display_width
    (tmp_path / "snippets" / GENERAL).mkdir(parents=True)
    body = []
    for paradigm in PARADIGMS:
        own = {(kind, loss): s for (w, kind, p, loss), s in made.items() if w == width and p == paradigm}
        for (kind, loss), piece in own.items():
            name = f"snippets/{GENERAL}/{piece.label}" if kind == GENERAL else f"snippets/{piece.label}"
            (tmp_path / f"{name}.tex").write_text(piece.text)
            if kind == GENERAL:
                body.append(rf"\input{{{name}}}")
        body += paradigm_section(paradigm, propositions[paradigm], study_losses(study), own, study, "", width)
    tex = tmp_path / "doc.tex"
    tex.write_text("\n".join([CLASSES[document_class][0], HOSTILE, THEOREMS, r"\begin{document}", *body, r"\end{document}", ""]))
    report = run_latex(tex)
    assert_clean(report)  # no error, no overfull box over 1 pt
    # every snippet was typeset: its last equation's label is defined (a \label is written to the .aux)
    aux = (tmp_path / "doc.aux").read_text()
    assert aux.count(r"\newlabel{eq:") >= 18 * 10


@pytest.mark.parametrize("document_class", ["ieeetran", "revtex"])
def test_the_paper_compiles_in_a_two_column_class(tmp_path, document_class):
    """The whole document (figures and tables included) in a two-column class: widths set for a column."""
    need_tex()
    study = Study.from_preset("small")
    result = write_paper(tmp_path / "out", study, horizon=study.horizon, document_class=document_class, pdf=True)
    assert result.pdf is not None, result.message
    text = (result.directory / "paper.tex").read_text()
    target = DOCUMENT_CLASSES[document_class]
    assert text.startswith(target.header[0])
    assert r"\raggedbottom" in text  # a flush bottom spread the leftover height over display skips (seen on the page)
    assert r"\begin{figure}" not in text and text.count(r"\begin{figure*}") >= 5  # across both columns ...
    assert r"\includegraphics[scale=1]" in text  # ... at the size drawn (fonts 8-10 pt)
    assert r"\begin{table*}" in (result.directory / "crosscheck.tex").read_text()
    assert_clean(run_latex(result.directory / "paper.tex"))  # 1 pt
    snippet_text = (result.directory / "snippets" / "hard-ce.tex").read_text()
    widths = [visible_width(line.split("&", 1)[-1].split(r"\label")[0].replace(r"\nonumber \\", "").replace(r"\\", ""))
              for line in snippet_text.splitlines() if "&" in line]
    assert max(widths) <= TWO_COLUMN_WIDTH  # broken for a column (the left-hand side in its own column)


def test_the_paper_command_takes_a_class(tmp_path):
    result = cli("paper", "--preset", "small", "--class", "ieeetran", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "paper.tex").read_text().startswith(r"\documentclass[conference]{IEEEtran}")
    bad = cli("paper", "--preset", "small", "--class", "amsart", "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "--class" in bad.stderr and "amsart" in bad.stderr
    assert not (tmp_path / "bad").exists()  # nothing written


def test_packed_lines_fit_the_width_and_keep_every_part():
    parts = [r"\dot u = \alpha p (1 - p)", r"\dot v = \beta p \ell'(v)", r"A(u) = u + \frac{e^{u}}{T - 1}"]
    one = packed_lines(parts, 200)
    assert one == [r", \qquad ".join(parts)]  # wide enough: one line
    narrow = packed_lines(parts, 20)
    assert narrow == [parts[0] + ",", parts[1] + ",", parts[2]]  # each line ends in the list's comma
    assert all(visible_width(line) <= 20 for line in narrow)


def test_a_broken_group_is_numbered_once_on_its_last_line():
    lines = gather_display([("eq:a", ["x = 1", "y = 2"], (r", \qquad ", ",")), ("eq:b", ["z = 3"], (" ", ""))], 5)
    assert lines == [r"\begin{gather}", r"  x = 1, \nonumber \\", r"  y = 2 \label{eq:a} \\", r"  z = 3 \label{eq:b}",
                     r"\end{gather}"]


@pytest.mark.parametrize("paradigm", PARADIGMS)
def test_a_proposition_fits_a_column(paradigm):
    """Each display line of a proposition at the two-column width fits it (the compile tests check the page)."""
    text = "\n".join(proposition(certified_proposition(paradigm, Study.from_preset("small")), "x", TWO_COLUMN_WIDTH))
    displays = re.findall(r"\\begin\{gather\}(.*?)\\end\{gather\}", text, re.S)
    lines = [re.sub(r"\\label\{[^}]*\}|\\nonumber|\\\\$", "", line).strip() for d in displays for line in d.strip().splitlines()]
    assert lines and all(visible_width(line) <= TWO_COLUMN_WIDTH for line in lines), lines


def test_the_fixed_focus_words_name_exactly_the_formulas_printed(paper_parts):
    """LVML x cross-entropy with symbolic c has no closed v(t): the words do not announce one."""
    _, made, _ = paper_parts
    for (width, kind, paradigm, loss), piece in made.items():
        words = piece_words(piece.rows)["fixed-focus"]
        suffixes = {r.suffix for r in piece.rows}
        for suffix, phrase in FIXED_FOCUS_WORDS.items():
            assert (phrase in words) == (suffix in suffixes), (piece.label, kind, suffix)


def test_an_empty_full_model_column_is_left_out_and_explained():
    """At the paper preset (c = 1000, T = 100) no full model runs: c^2 T = 10^8 numbers, over 5 x 10^6."""
    from validation.paper import crosscheck_table

    study = Study.from_preset("paper")
    cells = [("soft", "1", "2", "3", "0.990", None), ("hard", "1", "2", "3", "0.990", None)]
    table = crosscheck_table(study, 1e5, cells)
    assert "full vs reduced" not in table and "---" not in table and r"\begin{tabular}{lrrrr}" in table
    assert r"$c^2 T = 1.00 \times 10^{8}$" in table and "is not compared at this setting" in table
    shown = crosscheck_table(study, 1e5, [cells[0], ("hard", "1", "2", "3", "0.990", "4")])
    assert "full vs reduced" in shown and r"0.990 & --- \\" in shown and r"0.990 & 4 \\" in shown


def test_a_time_after_the_horizon_is_explained_under_the_milestone_table():
    """Small preset: soft attention reaches p = 0.99 only at t = 1.78e6, after the horizon 1e3; 1e7 leaves no such cell."""
    from validation.milestone_report import milestone_report

    setting = Study.from_preset("small").setting
    late = milestone_report(setting, 0.0, 0.0, (0.3, 0.99), 1e3)
    assert any(m.time is None and m.reachable for m in late.rows["soft"])
    assert "Two times in a cell" in late.latex()
    assert "Two times in a cell" not in milestone_report(setting, 0.0, 0.0, (0.3, 0.99), 1e7).latex()
