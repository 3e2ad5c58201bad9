"""The ``paper`` command."""

from __future__ import annotations

import sys

from analytic.paradigms import FIRST_STAGE
from validation.document_class import DEFAULT_CLASS, DOCUMENT_CLASSES
from validation.program import PROGRAM

from .arguments import add_latex_options, add_setting_options, DEFAULT_TARGETS, targets_option
from .model_options import numeric_setting, resolve, study_of


def add_parser(commands) -> None:
    """The ``paper`` command's options."""
    paper_parser = commands.add_parser("paper", help="a LaTeX document with every formula, the cross-checks and the figures")
    paper_parser.add_argument("--out", required=True, help="output directory")
    paper_parser.add_argument("--pdf", action="store_true", help="compile it (latexmk or pdflatex)")
    add_setting_options(paper_parser)
    paper_parser.add_argument("--force", action="store_true", help="write into an existing directory that is not ours")
    add_latex_options(paper_parser)
    paper_parser.add_argument("--class", dest="document_class", choices=tuple(DOCUMENT_CLASSES), default=DEFAULT_CLASS,
                              help=f"document class (default {DEFAULT_CLASS}); ieeetran and revtex are two-column: "
                                   "displays broken for a column, figures and tables across both")
    paper_parser.set_defaults(handler=run)


def run(args) -> int:
    values = resolve(args, "paper")
    study = study_of(args, values, numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss",)))
    from validation.paper import float_table, write_paper
    from validation.milestone_report import milestone_report

    horizon = study.horizon or 1e3
    report = milestone_report(study.setting, study.u0, study.v0, targets_option(DEFAULT_TARGETS), horizon)
    target = DOCUMENT_CLASSES[args.document_class]
    table = float_table(report.latex(), "Time at which attention first reaches $p$.", "tab:milestones", target)
    result = write_paper(args.out, study, horizon=horizon, pdf=args.pdf, force=args.force, milestones_table=table,
                         milestones=report.to_dict(), width=args.width, label_prefix=args.label_prefix or "",
                         document_class=target.name)
    print(f"{result.directory / 'paper.tex'}: {result.formulas} formulas read back and verified; {result.message}")
    if args.pdf and result.pdf is None:
        print(f"{PROGRAM}: {result.message}", file=sys.stderr)
        return 1
    return 0
