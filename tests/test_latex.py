"""LaTeX output: read back as the same expressions, compiled by a real TeX engine without overfull boxes."""

from __future__ import annotations

import os
import shutil

import pytest
import sympy as sp

from analytic import derive
from analytic.latex import break_lines, rows, visible_width
from analytic.symbols import v
from validation.latex_read import read_latex
from trajectories.model import Setting
from trajectories.presets import Study
from validation.paper import OVERFULL_LIMIT, check_rows, run_latex, write_paper

PAPER_STUDY = Study(Setting("soft", "cross-entropy", 1000, sp.Integer(100), sp.Rational(1, 1000), sp.Rational(1, 999)), 0.0, 0.0)


def need_tex():
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI"):
            pytest.fail("pdflatex is missing in CI: .ci/run must install texlive")
        pytest.skip("pdflatex not installed (Debian: texlive-latex-recommended)")


@pytest.mark.parametrize("loss", ["cross-entropy", "square", "exponential"])
@pytest.mark.parametrize("paradigm", ["soft", "hard", "lvml"])
def test_every_formula_reads_back_as_its_expression(paradigm, loss):
    for derivation in (derive(paradigm, loss), derive(paradigm, loss, classes=1000, segments=100, alpha=sp.Rational(1, 1000), beta=sp.Rational(1, 999))):
        check = check_rows(rows(derivation))
        assert check.mismatches == () and check.checked >= 12


def test_the_reader_catches_a_wrong_formula():
    row = rows(derive("hard", "exponential"))[-2]  # the incentive, 1 - exp(-v)
    tampered = " ".join(row.lines).replace("- e^{- v}", "+ e^{- v}")
    assert tampered != " ".join(row.lines)
    assert sp.simplify(read_latex(tampered) - row.expr) != 0


@pytest.mark.parametrize("text", [r"\input{/etc/passwd}", r"\frac{1}", r"u + \unknown", "x + 1", r"\operatorname{Zeta}\left(v\right)"])
def test_the_reader_rejects_what_it_does_not_know(text):
    with pytest.raises(ValueError):
        read_latex(text)


def test_long_sums_are_broken_into_lines():
    long_sum = sum(sp.exp(k * v) / (k + 1) for k in range(1, 30))
    lines = break_lines(long_sum, width=60)
    assert len(lines) > 2 and all(visible_width(line) <= 62 for line in lines)
    assert sp.simplify(read_latex(" ".join(lines)) - long_sum) == 0


def test_paper_compiles_without_errors_or_overfull_boxes(tmp_path):
    need_tex()
    result = write_paper(tmp_path / "paper", PAPER_STUDY, horizon=4e5, figures=False)
    assert result.formulas >= 120
    report = run_latex(result.directory / "paper.tex")
    assert report.ok, report.errors
    # the bound: no overfull box wider than 5pt
    assert all(width <= OVERFULL_LIMIT for width in report.overfull), report.overfull
    labels = {line for line in (result.directory / "paper.aux").read_text().splitlines() if line.startswith(r"\newlabel{eq:")}
    assert any("eq:hard-ce1000-invariant" in line for line in labels)


def test_snippets_compile_in_a_users_document(tmp_path):
    need_tex()
    result = write_paper(tmp_path / "out", PAPER_STUDY, horizon=4e5, figures=False)
    user = result.directory / "user.tex"
    user.write_text(
        "\\documentclass{article}\n\\usepackage[margin=2.5cm]{geometry}\n\\usepackage{amsmath,amssymb}\n"
        "\\begin{document}\nBy \\eqref{eq:soft-sq-invariant}:\n\\input{snippets/soft-sq}\n\\end{document}\n"
    )
    report = run_latex(user)
    assert report.ok, report.errors


def test_paper_command_without_a_tex_engine(tmp_path, monkeypatch, capsys):
    from validation import paper
    from validation.cli import main

    monkeypatch.setattr(paper, "tex_engine", lambda: None)
    status = main(["paper", "--out", str(tmp_path / "p"), "--preset", "small", "--pdf"])
    captured = capsys.readouterr()
    assert status == 1 and "no TeX engine" in captured.err
    assert (tmp_path / "p" / "paper.tex").exists()


def test_overfull_boxes_are_detected(tmp_path):
    need_tex()
    tex = tmp_path / "wide.tex"
    tex.write_text("\\documentclass{article}\n\\begin{document}\n\\[" + "x + " * 80 + "x\\]\n\\end{document}\n")
    report = run_latex(tex)
    assert report.ok and max(report.overfull) > OVERFULL_LIMIT  # the check can fail


def test_paper_compiles_into_a_relative_directory(tmp_path, monkeypatch):
    need_tex()
    monkeypatch.chdir(tmp_path)
    result = write_paper("relative/out", PAPER_STUDY, horizon=4e5, figures=False, pdf=True)
    assert result.pdf is not None and result.pdf.exists(), result.message


def test_read_back_of_an_unevaluated_integral():
    """The hard-attention first integral of the temperature-2 logistic loss keeps B(v) as an integral (no closed
    antiderivative): read back, it is the same integral, and its value at v = 1 is mpmath's quadrature."""
    import mpmath

    from analytic import symbols as sym
    from validation.latex_read import read_latex

    text = (r"- 2 \int\limits_{0}^{v} \left(e^{\frac{x_{v}}{2}} + 1\right) \left(\log{\left(1 + e^{- \frac{x_{v}}{2}} "
            r"\right)} - \log{\left(2 \right)}\right)\, dx_{v}")
    back = read_latex(text)
    assert isinstance(back, sp.Mul) and back.has(sp.Integral)
    expected = -2 * mpmath.quad(lambda x: (mpmath.e ** (x / 2) + 1) * (mpmath.log(1 + mpmath.e ** (-x / 2)) - mpmath.log(2)), [0, 1])
    assert abs(float(back.subs(sym.v, 1).evalf(30)) - float(expected)) < 1e-14  # both quadratures to ~1e-15
    with pytest.raises(ValueError):
        read_latex(r"\int\limits_{0}^{v} x_{v}\, dy")  # not a quadrature variable: refused, not guessed
