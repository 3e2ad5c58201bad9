r"""Every LaTeX output in an author's document: article, IEEEtran (conference) and revtex4-2 (twocolumn).

The preamble is hostile on purpose: it defines ``\Li`` (with its own subscript, so ``\Li_{2}`` would be a
double subscript), ``\Lhard`` with one argument and ``\Lsoft`` itself. The toolkit's LaTeX defines and uses
no macro of its own, so none of this can break it. Each output must compile with no error and no overfull
box wider than 1 pt (the issue's bound) at the width for its column.
"""

from __future__ import annotations

import pytest

from analytic.latex import LINE_WIDTH, TWO_COLUMN_WIDTH
from validation.paper import run_latex

from test_latex_snippets import cli, need_tex

OVERFULL_BOUND = 1.0  # pt: the bound for every output in every class
HOSTILE = "\n".join([
    r"\usepackage{amsmath,amssymb}",
    r"\newcommand{\Li}{\operatorname{Li}_2}",
    r"\newcommand{\Lhard}[1]{L^{\mathrm{hard}}_{#1}}",
    r"\newcommand{\Lsoft}{\mathcal{L}_{\mathrm{soft}}}",
    r"\newcommand{\Ei}[1]{\operatorname{Ei}(#1)}",
])
#: document class line and the display width (characters) an output for it is made with
CLASSES = {
    "article": (r"\documentclass[10pt]{article}", LINE_WIDTH),
    "ieeetran": (r"\documentclass[conference]{IEEEtran}", TWO_COLUMN_WIDTH),
    "revtex": (r"\documentclass[twocolumn]{revtex4-2}", TWO_COLUMN_WIDTH),
}
CLI_OUTPUTS = {
    "derive-symbolic": ["derive", "--classes", "c", "--segments", "T", "--alpha", "alpha", "--beta", "beta"],
    "derive-paper": ["derive", "--preset", "paper"],
    "compare": ["compare", "--preset", "small", "--paradigm", "hard", "--t-end", "5"],
    "growth": ["growth", "--preset", "small"],
    "signature": ["signature", "--preset", "paper"],
    "milestones": ["milestones", "--preset", "small"],
}
WIDTH_TAKING = ("derive-symbolic", "derive-paper")
TABLES = ("compare", "signature", "milestones")  # set as a table float: across both columns on a two-column page


def compile_in(tmp_path, document_class: str, body: str, name: str = "doc"):
    r"""``body`` in a document of ``document_class`` with the hostile preamble; the compile report."""
    tex = tmp_path / f"{name}.tex"
    tex.write_text("\n".join([CLASSES[document_class][0], HOSTILE, r"\begin{document}", body, r"\end{document}", ""]))
    return run_latex(tex)


def assert_clean(report):
    assert report.ok, report.errors
    assert all(width <= OVERFULL_BOUND for width in report.overfull), report.overfull  # 1 pt
    assert "Overfull \\vbox" not in report.log


@pytest.mark.parametrize("document_class", list(CLASSES))
@pytest.mark.parametrize("output", list(CLI_OUTPUTS))
def test_cli_latex_output_in_a_hostile_preamble(tmp_path, output, document_class):
    need_tex()
    width = CLASSES[document_class][1]
    extra = ["--width", str(width)] if output in WIDTH_TAKING else []
    result = cli(*CLI_OUTPUTS[output], "--format", "latex", *extra)
    assert result.returncode == 0, result.stderr
    assert r"\providecommand" not in result.stdout and r"\newcommand" not in result.stdout
    body = result.stdout
    if output in TABLES:
        environment = "table" if document_class == "article" else "table*"
        body = rf"\begin{{{environment}}}\centering" + "\n" + body + rf"\end{{{environment}}}"
    assert_clean(compile_in(tmp_path, document_class, body))


def test_the_hostile_preamble_breaks_what_a_macro_would_meet(tmp_path):
    r"""The test can fail: ``\Li_{2}`` and ``\Lhard`` used as the old outputs did stop the compilation."""
    need_tex()
    report = compile_in(tmp_path, "article", r"\begin{align} x &= \Li_{2}\left(v\right) + \Lhard \end{align}")
    assert not report.ok
