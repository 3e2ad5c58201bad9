"""Snippets that drop into anyone's paper: standalone, prefixed labels, chosen widths, one piece at a time.

Every compilation runs pdflatex on a document that loads only amsmath and amssymb
(the issue's bound: no error, no overfull box wider than 5pt).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
import sympy as sp

from analytic import derive
from analytic import symbols as sym
from analytic.growth import growth_law
from analytic.latex import PIECES, TWO_COLUMN_WIDTH, derivation_latex, rows
from analytic.linebreak import break_lines, visible_width
from validation.latex_read import read_latex
from validation.paper import OVERFULL_LIMIT, check_rows, run_latex

PARADIGMS = ("soft", "hard", "lvml")
LOSSES = ("cross-entropy", "square", "exponential")
PLAIN = r"\usepackage{amsmath,amssymb}"
# a two-column page as at most ML venues: 6.75 in of text, 0.25 in between the columns (3.25 in each)
TWO_COLUMN = r"\documentclass[10pt,twocolumn]{article}" "\n" r"\usepackage[textwidth=6.75in,columnsep=0.25in]{geometry}"
ONE_COLUMN = r"\documentclass[10pt]{article}"


def need_tex():
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing in CI: .ci/run must install texlive")
        pytest.skip("pdflatex not installed (Debian: texlive-latex-recommended)")


def symbolic(paradigm, loss):
    return derive(paradigm, loss, classes=sym.c, segments=sym.T, alpha=sym.alpha, beta=sym.beta)


def compile_body(tmp_path, header: str, body: str, name: str = "doc"):
    tex = tmp_path / f"{name}.tex"
    tex.write_text("\n".join([header, PLAIN, r"\begin{document}", body, r"\end{document}", ""]))
    return run_latex(tex)


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "validation", *args], capture_output=True, text=True, timeout=600)


def test_nine_symbolic_cases_fit_a_two_column_page(tmp_path):
    """The issue's bar: --width 40 snippets of all nine cases, symbolic in T, c, alpha, beta, in one two-column document."""
    need_tex()
    body = []
    for paradigm in PARADIGMS:
        for loss in LOSSES:
            derivation = symbolic(paradigm, loss)
            body.append(derivation_latex(derivation, width=TWO_COLUMN_WIDTH, growth=growth_law(derivation)))
    report = compile_body(tmp_path, TWO_COLUMN, "\n".join(body))
    assert report.ok, report.errors
    assert all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull  # the 5pt
    assert "Overfull \\vbox" not in report.log  # every block fits a column: one align per piece
    assert "multiply defined" not in report.log


@pytest.mark.parametrize("header", [ONE_COLUMN, r"\documentclass[10pt]{article}" "\n" r"\usepackage[margin=2.5cm]{geometry}"])
def test_default_width_fits_a_one_column_article(tmp_path, header):
    need_tex()
    body = [derivation_latex(symbolic(paradigm, loss)) for paradigm in PARADIGMS for loss in LOSSES]
    report = compile_body(tmp_path, header, "\n".join(body))
    assert report.ok, report.errors
    assert all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull  # the 5pt


def test_the_overfull_check_can_fail(tmp_path):
    """The same symbolic hard x cross-entropy snippet on one line per formula overflows the two-column page."""
    need_tex()
    wide = derivation_latex(symbolic("hard", "cross-entropy"), width=10_000)
    report = compile_body(tmp_path, TWO_COLUMN, wide)
    assert report.ok and max(report.overfull) > 100  # pt: the unbroken first integral is far wider than a column


def test_derive_outputs_with_two_prefixes_in_one_document(tmp_path):
    """Default and --alpha 2 both label hard-ce-*: prefixes keep them apart; nothing beyond amsmath/amssymb is needed."""
    need_tex()
    first = cli("derive", "--paradigm", "hard", "--loss", "cross-entropy", "--format", "latex", "--label-prefix", "base",
                "--width", str(TWO_COLUMN_WIDTH))
    second = cli("derive", "--paradigm", "hard", "--loss", "cross-entropy", "--alpha", "2", "--format", "latex",
                 "--label-prefix", "a2", "--width", str(TWO_COLUMN_WIDTH))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert r"\label{eq:base-hard-ce-invariant}" in first.stdout and r"\label{eq:a2-hard-ce-invariant}" in second.stdout
    body = rf"See \eqref{{eq:base-hard-ce-invariant}} and \eqref{{eq:a2-hard-ce-invariant}}." + "\n" + first.stdout + second.stdout
    report = compile_body(tmp_path, TWO_COLUMN, body)
    assert report.ok, report.errors
    assert "multiply defined" not in report.log and "undefined" not in report.log.lower().replace("undefined references", "")
    assert all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull  # 5pt


@pytest.mark.parametrize("piece", list(PIECES))
def test_only_one_piece(piece):
    derivation = derive("hard", "cross-entropy", classes=1000, segments=100)
    text = derivation_latex(derivation, only=piece, growth=growth_law(derivation))
    labels = set(re.findall(r"\\label\{eq:hard-ce1000-([a-z-]+)\}", text))
    assert labels and labels <= set(PIECES[piece])


def test_only_on_the_command_line():
    result = cli("derive", "--paradigm", "soft", "--loss", "square", "--format", "latex", "--only", "flow", "--only", "growth")
    assert result.returncode == 0, result.stderr
    labels = re.findall(r"\\label\{eq:soft-sq-([a-z-]+)\}", result.stdout)
    assert labels == ["flow-u", "flow-v", "growth-u", "growth-v"]


@pytest.mark.parametrize("args, named", [
    (["--format", "latex", "--width", "5"], "--width"),
    (["--format", "latex", "--label-prefix", "a b"], "--label-prefix"),
    (["--format", "latex", "--label-prefix", "x}\\input{y"], "--label-prefix"),
    (["--format", "latex", "--only", "everything"], "--only"),
    (["--only", "flow"], "--only"),
    (["--format", "json", "--width", "40"], "--width"),
])
def test_bad_latex_options_are_one_line_errors(args, named):
    result = cli("derive", "--paradigm", "hard", *args)
    assert result.returncode == 2 and named in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3  # argparse prints usage, then the one-line error


@pytest.mark.parametrize("width", [24, 40, 62])
def test_broken_lines_read_back_and_fit(width):
    """Every broken right-hand side reads back as its expression; lines fit unless a single unbreakable piece is wider."""
    for paradigm in PARADIGMS:
        derivation = symbolic(paradigm, "cross-entropy")
        block = rows(derivation, width=width, growth=growth_law(derivation))
        check = check_rows(block)
        assert check.mismatches == ()
        for row in block:
            for line in row.lines:
                if visible_width(line) > width:
                    # only an unbreakable piece (no top-level + or - outside brackets) may exceed the width
                    assert not re.search(r"(?<![{(^])\s[+-]\s", _outside_brackets(line)), (paradigm, row.suffix, line)


def _outside_brackets(text: str) -> str:
    depth, out = 0, []
    for char in text:
        depth += char in "{("
        depth -= char in "})"
        out.append(char if depth == 0 else "x")
    return "".join(out)


def test_products_and_functions_break_inside_bigl():
    expr = sp.log(sum(sp.exp(k * sym.v) / (k + 2) for k in range(12))) * (sym.alpha + sym.beta) / sym.T
    lines = break_lines(expr, 30)
    assert len(lines) > 3 and any(r"\log\Bigl(" in line for line in lines)
    assert sp.simplify(read_latex(" ".join(lines)) - expr) == 0


def test_the_command_lines_copies_agree():
    """The command line keeps import-free copies of the pieces and widths (start-up without SymPy)."""
    from analytic import latex
    from validation import cli

    assert cli.LATEX_PIECES == tuple(latex.PIECES)
    assert (cli.LATEX_WIDTH, cli.LATEX_MIN_WIDTH) == (latex.LINE_WIDTH, latex.MIN_WIDTH)


@pytest.mark.parametrize("command", [
    ["derive", "--paradigm", "lvml", "--loss", "exponential"],
    ["compare", "--preset", "small", "--paradigm", "hard", "--t-end", "5"],
    ["growth", "--preset", "small"],
    ["signature", "--preset", "small"],
    ["milestones", "--preset", "small"],
])
def test_every_latex_output_compiles_with_amsmath_alone(tmp_path, command):
    """Tables included: plain \\hline rules, no booktabs needed."""
    need_tex()
    result = cli(*command, "--format", "latex")
    assert result.returncode == 0, result.stderr
    report = compile_body(tmp_path, ONE_COLUMN, result.stdout)
    assert report.ok, report.errors
    assert all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull  # 5pt


def test_only_refuses_a_piece_the_model_does_not_have(tmp_path):
    """A custom loss whose margin time grows like e^{2v} has no growth law: asking for it is an error, not a blank."""
    result = cli("derive", "--paradigm", "hard", "--segment-loss", "log(1+exp(-v/tau))", "--param", "tau=1/2",
                 "--format", "latex", "--only", "invariant", "--only", "growth")
    assert result.returncode == 2 and "`only` growth" in result.stderr and "Traceback" not in result.stderr
    custom = cli("derive", "--paradigm", "hard", "--segment-loss", "log(1+exp(-v/tau))", "--param", "tau=1/2",
                 "--format", "latex", "--only", "invariant", "--label-prefix", "x", "--width", "40")
    assert custom.returncode == 0 and r"\label{eq:x-hard-custom-invariant}" in custom.stdout
    need_tex()
    report = compile_body(tmp_path, TWO_COLUMN, custom.stdout)  # a user's model fits a column too
    assert report.ok and all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull  # 5pt
