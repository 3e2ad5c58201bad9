r"""The words of the generated paper: the setting, one proposition per paradigm, findings, figure captions.

:func:`document` assembles ``paper.tex`` from the parts :mod:`validation.paper` writes
(snippets, tables, figures). The setting is stated in the toolkit's own words and the
documentation it cites is the project's (``docs/setting.rst``). Each paradigm's section
opens with a proposition for any segment loss :math:`\ell` (:mod:`analytic.propositions`,
certified), then gives, per loss, the certified formulas symbolic in
:math:`T, c, \alpha, \beta` and their instance at the study's setting.
"""

from __future__ import annotations

import sympy as sp

from analytic import __version__
from analytic import symbols as sym
from analytic.latex import LINE_WIDTH, align_block, expression_latex, labelled, piece_of, visible_width
from analytic.losses import LOSSES, loss_names
from analytic.paradigms import FIRST_STAGE, PAPER_AFTER, PAPER_PARADIGMS, paradigm_names
from analytic.paradigms import PARADIGMS as REGISTRY
from analytic.propositions import EllPrime, GeneralResults
from trajectories.choices import number_label
from trajectories.presets import Study

from .milestone_report import latex_row_name
from .document_class import DEFAULT_CLASS, DOCUMENT_CLASSES, DocumentClass
from .numbers import latex_number

NUMBER_WORDS = ("No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten")
DIGITS = 4  # significant digits of the times quoted in the findings


def paradigm_title(paradigm: str) -> str:
    return REGISTRY[paradigm].heading


def loss_title(loss) -> str:
    if isinstance(loss, str):
        return LOSSES[loss].title
    return f"Custom loss $\\ell(v) = {expression_latex(loss.expr)}$"


def loss_formula(loss) -> str:
    r"""``\ell(v) = ...`` of a registered loss (its entry's LaTeX) or a custom one."""
    if isinstance(loss, str):
        return LOSSES[loss].latex
    return rf"\ell(v) = {expression_latex(getattr(loss, 'expr', sp.S.Zero))}"


def _counted(count: int) -> str:
    return NUMBER_WORDS[count] if count < len(NUMBER_WORDS) else str(count)


def _listed(items: list[str]) -> str:
    """``a, b and c`` (``a`` alone; ``a and b``)."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _paradigm_words(name: str) -> str:
    r"""``\emph{soft attention} classifies ...`` (``(LVML)`` kept outside the emphasis)."""
    entry = REGISTRY[name]
    title = entry.heading
    words = title[:1].lower() + title[1:] if title[1:2].islower() else title
    head, _, abbreviation = words.partition(" (")
    text = rf"\emph{{{head}}}" + (f" ({abbreviation}" if abbreviation else "")
    return text + (f" {entry.description}" if entry.description else rf" aggregates them as ${loss_name(name)} = {entry.formula_latex()}$")


def loss_words(study: Study) -> str:
    """The studied setting's loss in words: its name (and classes), or a custom loss's formula with the values in place."""
    s = study.setting
    if not isinstance(s.loss, str):
        return rf"the custom segment loss $\ell(v) = {expression_latex(s.bound_loss.expr)}$"
    entry = LOSSES[s.loss]
    return f"the {entry.noun}" + (rf" with $c = {s.classes}$ classes" if entry.classes else "")


def loss_name(paradigm: str) -> str:
    r"""The reduced loss's symbol, written out (``L_{\mathrm{hard}}``: no macro a preamble could redefine)."""
    return r"L_{%s}" % REGISTRY[paradigm].latex


def _show(value) -> str:
    return expression_latex(sp.nsimplify(value) if isinstance(value, float) else sp.sympify(value))


def setting_section(study: Study, width: int = LINE_WIDTH) -> list[str]:
    """The setting in words, with the values every instance below uses."""
    s = study.setting
    names = paradigm_names()
    described = [_paradigm_words(name) for name in names]
    losses = [f"the {LOSSES[name].noun}" + (" with $c$ classes," if LOSSES[name].classes else "") + f" ${LOSSES[name].latex}$"
              for name in loss_names()]
    return [
        r"\section{Setting}",
        r"An input has $T$ segments, one of which (the foreground) carries the label; the other $T - 1$ are background. "
        r"A focus model scores the segments and attends to them with a softmax; a classification model labels them. "
        + _counted(len(names)) + r" training paradigms aggregate the segments differently: " + ", ".join(described[:-1])
        + (", and " if len(described) > 1 else "") + described[-1] + r". From a symmetric start gradient flow keeps two coordinates "
        r"(the toolkit's documentation of the setting, \texttt{docs/setting.rst}): the focus logit $u$ of the foreground "
        r"and the classifier's margin $v$ on it. The foreground attention is $p = e^u/(e^u + T - 1)$, a segment with "
        r"margin $x$ costs $\ell(x)$, and the reduced losses are",
        r"\begin{gather*}",
        r" \\ ".join(packed_lines([f"{loss_name(name)} = {REGISTRY[name].formula_latex()}" + ("," if k == len(names) - 1 else "")
                                    for k, name in enumerate(names)], width)),
        r"\end{gather*}",
        r"trained by gradient flow $\dot u = -\alpha\,\partial_u L$, $\dot v = -\beta\,\partial_v L$ with rates "
        r"$\alpha, \beta > 0$ (the class-symmetric full model has $\alpha = 1/c$, $\beta = 1/(c - 1)$). "
        r"The segment losses are " + _listed(losses) + ".",
        "",
        rf"Each paradigm's section states its general results for any segment loss, then the formulas for each loss "
        rf"symbolic in $T, c, \alpha, \beta$, then their instance in the setting this document studies: "
        rf"$T = {_show(s.segments)}$, {loss_words(study)}, $\alpha = {_show(s.alpha)}$, $\beta = {_show(s.beta)}$, "
        rf"start $(u_0, v_0) = ({_show(study.u0)}, {_show(study.v0)})$. "
        r"Every formula was derived with SymPy and certified by symbolic differentiation and a 40-digit numeric "
        r"check; every printed right-hand side of the instances was read back from this \LaTeX{} and compared with "
        r"the expression it came from. $\omega$ is the Wright omega function ($\omega + \log\omega = z$). "
        r"Each subsection's formulas are also standalone files to \texttt{\string\input} in a paper: "
        + _file_name("snippets/general/<paradigm>-<loss>.tex") + r" (symbolic) and "
        + _file_name("snippets/<paradigm>-<loss>.tex") + " (the studied setting).",
        "",
    ]


LIST = (r", \qquad ", ",")  # equations side by side: (between them, at the end of a broken line)
ARROW = (r" \;", "")


def packed_lines(parts, width: int, joiner=LIST) -> list[str]:
    """``parts`` joined by ``joiner`` on as few lines as fit ``width`` visible characters (a part is never cut)."""
    between, line_end = joiner
    lines, current = [], parts[0]
    for part in parts[1:]:
        if visible_width(current + between + part) <= width:
            current += between + part
        else:
            lines.append(current + line_end)
            current = part
    return lines + [current]


def gather_display(groups, width: int) -> list[str]:
    r"""A numbered ``gather``: per group ``(label, parts, joiner)`` its parts packed into lines (:func:`packed_lines`),
    the label and number on the group's last line."""
    lines = [r"\begin{gather}"]
    for index, (label, parts, joiner) in enumerate(groups):
        packed = packed_lines(parts, width, joiner)
        lines += [f"  {text} \\nonumber \\\\" for text in packed[:-1]]
        lines.append(f"  {packed[-1]} \\label{{{label}}}" + ("" if index == len(groups) - 1 else r" \\"))
    return lines + [r"\end{gather}"]


def proposition(results: GeneralResults, label: str, width: int = LINE_WIDTH) -> list[str]:
    """The paradigm's general results as a proposition (equations labelled ``eq:<label>-...``), displays broken to ``width``."""
    name = loss_name(results.paradigm)
    show = expression_latex
    if results.margin_part is not None:
        integral = [
            rf"The flow conserves $I(u, v) = A(u) - B(v)$, with, along every trajectory,",
            *gather_display([
                (f"eq:{label}-invariant", [f"A(u) = {show(results.focus_part)}", f"B(v) = {_margin_part(results)},"], LIST),
                (f"eq:{label}-trajectory", [f"u = {show(results.trajectory)}", "S = A(u_0) + B(v) - B(v_0),"], LIST),
            ], width),
            r"so $p = \omega/(1 + \omega)$ with $\omega = \omega(S - \log(T - 1))$, and the time to reach a margin $v$ is "
            r"the one-dimensional integral $t(v) = \int_{v_0}^{v} ds / \dot v(u(s), s)$.",
        ]
    else:
        integral = [r"Its flow does not separate in $u$ and $v$: no first integral of the form $A(u) - B(v)$."]
    incentive = [rf"-\frac{{\partial {name}}}{{\partial p}} = {show(results.incentive)}", rf"\longrightarrow {show(results.incentive_limit)}"]
    return [
        rf"\begin{{proposition}}[{paradigm_title(results.paradigm)}, any segment loss]\label{{prop:{label}}}",
        rf"For a differentiable segment loss $\ell$ with infimum $\ell_*$, the reduced loss and its gradient flow are",
        *gather_display([
            (f"eq:{label}-loss", [f"{name} = {show(results.loss)},"], LIST),
            (f"eq:{label}-flow", [rf"\dot u = {show(results.du)}", rf"\dot v = {show(results.dv)}."], LIST),
        ], width),
        *integral,
        rf"With the focus frozen at $p$, the margin follows $t(v) = \int_{{v_0}}^{{v}} ds / \bigl({show(results.fixed_rate.subs(sym.v, sp.Symbol('s')))}\bigr)$ "
        rf"and the incentive to improve the focus is",
        *gather_display([(f"eq:{label}-incentive", incentive, ARROW)], width),
        _limit_condition(results),
        r"\end{proposition}",
        "",
    ]


def _limit_condition(results: GeneralResults) -> str:
    r"""When the incentive tends to its limit, from the terms the paradigm's incentive has: :math:`\ell'` at each
    argument it is evaluated at, and the margin times it where a scaled argument (``p v``) appears."""
    primes = sorted({e.args[0] for e in results.incentive.atoms(EllPrime)}, key=sp.default_sort_key)
    if not primes:
        return r"as $\ell(v(t)) \to \ell_*$."
    terms = ", ".join(rf"$\ell'({expression_latex(x)})$" if x == sym.v else rf"$v\,\ell'({expression_latex(x)})$" for x in primes)
    return rf"as $\ell(v(t)) \to \ell_*$ and {terms} tend{'s' if len(primes) == 1 else ''} to 0."


PIECE_WORDS = {
    "loss": "The segment loss, the reduced loss and the attention:",
    "flow": "The gradient flow:",
    "invariant": r"The first integral, constant along every trajectory:",
    "trajectory": r"The trajectory, with the level $S$ fixed by the start $(u_0, v_0)$:",
    "growth": r"Growth laws as $t \to \infty$:",
}


#: the fixed-focus formulas in words, by row suffix (announced only where printed)
FIXED_FOCUS_WORDS = {
    "fixed-time": "the time to reach a margin $v$",
    "fixed-margin": "the margin over time",
    "fixed-incentive": "the incentive to improve the focus",
    "fixed-incentive-limit": r"its limit as $t \to \infty$",
}


def piece_words(block_rows) -> dict:
    """The words before each piece of ``block_rows``: the fixed focus names exactly the formulas printed."""
    shown = [FIXED_FOCUS_WORDS[r.suffix] for r in block_rows if r.suffix in FIXED_FOCUS_WORDS]
    if not shown:
        return dict(PIECE_WORDS)
    listing = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + (", and " if len(shown) > 2 else " and ") + shown[-1]
    return PIECE_WORDS | {"fixed-focus": rf"With the focus frozen at attention $p$: {listing}:"}


def _file_name(path: str) -> str:
    r"""``path`` in typewriter type, breakable after each ``/`` (a long file name cannot hyphenate)."""
    return r"\texttt{" + path.replace("/", r"/\allowbreak ") + "}"


def _margin_part(results: GeneralResults) -> str:
    r"""``\frac{\alpha}{\beta} \int_0^v r(s)\,ds``, followed by its value where the integral is elementary."""
    rate = expression_latex(results.margin_rate.subs(sym.v, sp.Symbol("s")))
    text = rf"\frac{{\alpha}}{{\beta}} \int_{{0}}^{{v}} {rate} \, ds"
    if not results.margin_part.has(sp.Integral):
        text += " = " + expression_latex(results.margin_part)
    return text


def paradigm_section(paradigm: str, results: GeneralResults, losses, snippets: dict, study: Study, prefix: str,
                     width: int = LINE_WIDTH) -> list[str]:
    """A paradigm's proposition, then per loss its symbolic formulas (with words between the pieces) and their instance.

    ``snippets[(kind, loss)]``: the :class:`validation.paper.Snippet` of the ``"general"`` or ``"instance"`` derivation.
    """
    label = labelled(f"{paradigm}-general", prefix)
    lines = [rf"\section{{{paradigm_title(paradigm)}}}", *proposition(results, label, width)]
    for loss in losses:
        formula = loss_formula(loss)
        lines += [rf"\subsection{{{loss_title(loss)}}}"]
        general = snippets.get(("general", loss))
        if general is not None:
            words = piece_words(general.rows)
            first = piece_of(general.rows[0].suffix)
            lines += [rf"With ${formula}$, Proposition~\ref{{prop:{label}}} gives, for any $T$, $c$, $\alpha$ and $\beta$: "
                      + words[first][0].lower() + words[first][1:],
                      align_block(general.prefixed, general.rows, piece_breaks=True, intertext=words)]
        instance = snippets[("instance", loss)]
        lines += [r"In the studied setting these read:",
                  rf"\input{{snippets/{instance.label}}}", ""]
    return lines


def findings(milestones: dict) -> list[str]:
    r"""What the computed milestones say, sentence by sentence (LaTeX), each saying whether the paper's narrative holds.

    ``milestones``: a milestone report as plain data (:meth:`validation.milestone_report.MilestoneReport.to_dict`:
    ``targets``, ``times[name][target]``, ``t_max``). The narrative: soft attention's focus improves first
    (the lowest target), hard attention reaches high attention first (the highest target), and soft-then-hard
    beats both.
    """
    times, targets = milestones["times"], milestones["targets"]
    names = [name for name in PAPER_PARADIGMS if name in times]
    if len(names) < 2 or len(targets) < 2:
        return []
    low, high = targets[0], targets[-1]

    def time(name, target):
        return times[name].get(number_label(target))

    def shown(name):
        return REGISTRY[name].spoken

    sentences = []
    for target, claimed in ((low, FIRST_STAGE), (high, PAPER_AFTER)):
        reached = {name: time(name, target) for name in names if time(name, target) is not None}
        if not reached:
            sentences.append(rf"No paradigm reaches $p = {target:g}$ by $t = {latex_number(milestones['t_max'], 3, math_mode=False)}$.")
            continue
        first = min(reached, key=reached.get)
        listing = ", ".join(rf"{shown(n)} at $t = {latex_number(t, DIGITS, math_mode=False)}$"
                            for n, t in sorted(reached.items(), key=lambda item: item[1]))
        verdict = ("as the paper's narrative has it" if first == claimed
                   else rf"whereas the paper's narrative has {shown(claimed)} first")
        sentences.append(rf"{_capital(shown(first))} reaches $p = {target:g}$ first ({listing}), {verdict}.")
    for name in (n for n in times if n.startswith(f"{FIRST_STAGE}:")):
        mixed, soft, hard = time(name, high), time(FIRST_STAGE, high), time(PAPER_AFTER, high)
        if mixed is None:
            continue
        beats = [n for n, t in ((FIRST_STAGE, soft), (PAPER_AFTER, hard)) if t is None or mixed < t]
        words = "beats both, as the paper's narrative has it" if len(beats) == 2 else (
            f"beats only {beats[0]}" if beats else "beats neither") + ", unlike the paper's narrative"
        sentences.append(rf"The hybrid {latex_row_name(name)} reaches $p = {high:g}$ at $t = {latex_number(mixed, DIGITS, math_mode=False)}$: it {words}.")
    return sentences


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def figure_block(name: str, caption: str, target: DocumentClass = DOCUMENT_CLASSES[DEFAULT_CLASS]) -> list[str]:
    """A figure float for ``target`` (across both columns of a two-column class, at its drawn size)."""
    return [rf"\begin{{{target.figure}}}[{target.placement}]", r"\centering", rf"\includegraphics[{target.graphics_size}]{{figures/{name}.pdf}}",
            rf"\caption{{{caption}}}", rf"\label{{fig:{name}}}", rf"\end{{{target.figure}}}"]


def preamble(title: str, target: DocumentClass = DOCUMENT_CLASSES[DEFAULT_CLASS]) -> list[str]:
    """The class's first lines, the shared packages, the title block."""
    return [
        *target.header,
        r"\usepackage{amsmath,amssymb,amsthm}",
        r"\usepackage{graphicx}",
        r"\newtheorem{proposition}{Proposition}",
        r"\begin{document}",  # revtex reads the title and author only inside the document
        rf"\title{{{title}}}",
        rf"\author{{Generated by \texttt{{attention-dynamics}} {__version__}}}",
        r"\date{}",
        r"\maketitle",
    ]


__all__ = ["setting_section", "proposition", "paradigm_section", "findings", "figure_block", "preamble",
           "paradigm_title", "loss_title"]
