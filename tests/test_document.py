"""The generated paper reads like one: words, propositions, typeset numbers, captioned and referenced figures.

The paper is the session's ``small_paper`` (tests/conftest.py), built once for every test that reads it.
"""

from __future__ import annotations

import re
import shutil

import pytest

from validation.document import findings
from validation.numbers import latex_number
from validation.paper import OVERFULL_LIMIT, run_latex


def test_every_figure_is_captioned_labelled_and_referenced(small_paper):
    text = (small_paper.directory / "paper.tex").read_text()
    figures = re.findall(r"\\begin\{figure\}(.*?)\\end\{figure\}", text, re.S)
    assert len(figures) >= 5  # attention, phase portrait, u and v, incentive, overlay
    for body in figures:
        name = re.search(r"\\includegraphics\[[^]]*\]\{figures/([a-z_]+)\.pdf\}", body).group(1)
        assert r"\caption{" in body and rf"\label{{fig:{name}}}" in body
        assert rf"\ref{{fig:{name}}}" in text.replace(body, "")  # referred to outside its own float
        assert (small_paper.directory / "figures" / f"{name}.pdf").exists()


def test_no_reference_outside_the_project(small_paper):
    for path in small_paper.directory.rglob("*.tex"):
        text = path.read_text()
        assert "SETTING" not in text and "../" not in text and "shared/" not in text, path


def test_general_symbolic_results_are_present(small_paper):
    text = (small_paper.directory / "paper.tex").read_text()
    assert text.count(r"\begin{proposition}") == 3
    assert r"\section{Setting}" in text and "segments" in text
    general = small_paper.directory / "snippets" / "general" / "hard-exp.tex"
    snippet = general.read_text()
    assert r"\label{eq:general-hard-exp-invariant}" in snippet
    assert r"\alpha" in snippet and r"\beta" in snippet and "T - 1" in snippet  # symbolic, not the preset's numbers
    assert r"\label{eq:general-hard-exp-invariant}" in text and r"\begin{proposition}" in text


def test_numbers_are_typeset(small_paper):
    for path in small_paper.directory.rglob("*.tex"):
        assert not re.search(r"\d\.?\d*e[+-]\d", path.read_text()), path  # never "4e+05"


def test_the_paper_compiles_cleanly(small_paper):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex not installed")
    report = run_latex(small_paper.directory / "paper.tex")
    assert report.ok, report.errors
    assert all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull  # 5pt
    assert "undefined" not in report.log.replace("Reference `", "").lower() or "There were undefined" not in report.log


def test_findings_say_where_the_narrative_holds_and_where_not():
    milestones = {"targets": [0.3, 0.99], "t_max": 1e6,
                  "times": {"soft": {"0.3": 10.0, "0.99": 500.0}, "hard": {"0.3": 20.0, "0.99": 100.0},
                            "lvml": {"0.3": 5.0, "0.99": 300.0}, "soft:hard@p=0.5": {"0.3": 10.0, "0.99": 90.0}}}
    sentences = findings(milestones)
    assert sentences[0].startswith("LVML reaches $p = 0.3$ first") and "whereas the paper's narrative has soft attention first" in sentences[0]
    assert sentences[1].startswith("Hard attention reaches $p = 0.99$ first") and "as the paper's narrative has it" in sentences[1]
    assert "beats both" in sentences[2] and "$t = 90.00$" in sentences[2]


@pytest.mark.parametrize("value, digits, expected", [
    (128091.2, 4, r"$1.281 \times 10^{5}$"),
    (400000.0, 3, r"$4.00 \times 10^{5}$"),
    (76720.0, 4, r"$76\,720$"),
    (0.5, 3, r"$0.500$"),
    (4.3e-11, 2, r"$4.3 \times 10^{-11}$"),
    (None, 3, "---"),
    (float("inf"), 3, r"$\infty$"),
])
def test_latex_numbers(value, digits, expected):
    assert latex_number(value, digits) == expected


def test_latex_number_refuses_nan():
    with pytest.raises(ValueError, match="NaN"):
        latex_number(float("nan"))
