"""The ``sweep`` command."""

from __future__ import annotations

import math
import sys

from analytic.errors import BadInput
from analytic.losses import CLASS_LOSS, LOSS_ALIASES, LOSS_NAMES, uses_classes
from analytic.paradigms import FIRST_STAGE
from validation.program import PROGRAM

from .arguments import (
    add_custom_options, grid_option, integer_option, number_option, parsed_hybrids, SWEEP_TARGETS, switch_option,
    targets_option,
)
from .model_options import numeric_setting
from .reporting import json_text
from .status import CHECK_FAILED, UsageError


def add_parser(commands) -> None:
    """The ``sweep`` command's options."""
    sweep_parser = commands.add_parser("sweep", help="milestone times over a grid of settings, every paradigm; phase diagrams")
    sweep_parser.add_argument("--loss", default=None, help="per-segment loss: " + ", ".join(LOSS_NAMES + tuple(LOSS_ALIASES)))
    add_custom_options(sweep_parser)
    for label, text in (("segments", "T (default 10)"), ("classes", "c (default 2)"),
                        ("alpha", "focus rate (default 1/c)"), ("beta", "classifier rate (default 1/(c - 1))"),
                        ("u0", "start focus logit (default 0)"), ("v0", "start margin (default 0)")):
        spacing = "evenly spaced" if label in ("u0", "v0") else "log-spaced"
        sweep_parser.add_argument(f"--{label}", type=grid_option(label), default=None, metavar="START:STOP:N|LIST",
                                  help=f"{text}: START:STOP:N ({spacing}) or a comma list")
    sweep_parser.add_argument("--targets", type=targets_option, default=SWEEP_TARGETS, help=f"increasing, in (0, 1) (default {SWEEP_TARGETS})")
    sweep_parser.add_argument("--hybrid", type=switch_option, nargs="+", action="extend", default=[],
                              help="switched hybrids, e.g. soft:hard@p=0.5 soft:lvml@t=100 (repeatable; they accumulate)")
    sweep_parser.add_argument("--t-max", dest="t_max", type=number_option("t-max", 0, False), default=None, help="horizon (default: none)")
    sweep_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    sweep_parser.add_argument("--figures", default=None, metavar="DIR", help="also draw the phase diagrams into DIR")
    sweep_parser.add_argument("--force", action="store_true", help="write the figures into an existing directory that is not ours")
    sweep_parser.add_argument("--check", type=integer_option("check", 0, 1000), default=0, metavar="N",
                              help=f"cross-check N random settings per paradigm with solve_ivp event detection (to {1e-6:g} relative)")
    sweep_parser.add_argument("--workers", type=integer_option("workers", 1, 256), default=None, help="processes (default: every core)")
    sweep_parser.set_defaults(handler=run)


def run(args) -> int:
    hybrids = parsed_hybrids(args.hybrid)
    axes = {name: getattr(args, name) for name in ("segments", "classes", "alpha", "beta", "u0", "v0") if getattr(args, name) is not None}
    first = {name: values[0] for name, values in axes.items()}
    classes = int(first.get("classes", 2))
    values = {"loss": args.loss or CLASS_LOSS, "classes": classes, "segments": first.get("segments", 10),
              "alpha": first.get("alpha", 1 / classes), "beta": first.get("beta", 1 / (classes - 1)), "u0": 0.0, "v0": 0.0}
    if not uses_classes(values["loss"]) and "classes" in axes and len(axes["classes"]) > 1 and {"alpha", "beta"} <= set(axes):
        raise UsageError(f"argument --classes: the {values['loss']} loss has no classes, and the rates are given: the axis changes nothing")
    template = numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss", "aggregate", "attention"))
    if args.figures is not None:
        from validation.files import check_directory

        check_directory(args.figures, force=args.force)
    from validation.sweep import CHECK_RTOL, SweepRequest, check_sweep, plane_of, run_sweep as compute

    if args.figures is not None:
        try:
            plane_of(axes)
        except BadInput as error:
            raise UsageError(f"argument --figures: {error}") from None

    horizon = float(args.t_max) if args.t_max is not None else math.inf
    request = SweepRequest(template, axes, tuple(args.targets), hybrids, horizon)
    report = compute(request, workers=args.workers)
    for line in request.skipped() + report.notes():
        print(f"{PROGRAM}: note: {line}", file=sys.stderr)
    if args.check:
        report = check_sweep(report, args.check)
    if args.figures is not None:  # before the table: a problem with the figures comes before any output
        from validation.phase_diagrams import write_phase_diagrams

        for path in write_phase_diagrams(args.figures, report, force=args.force):
            print(f"{PROGRAM}: wrote {path}", file=sys.stderr)
    print(json_text(report.to_dict(), indent=1) if args.format == "json" else report.to_csv(), end="" if args.format == "csv" else "\n")
    if args.check:  # in every format (the JSON also has it as check_worst_relative; a CSV has no place for it)
        passed = report.check <= CHECK_RTOL
        print(f"{PROGRAM}: --check {'passed' if passed else 'failed'}: {min(args.check, request.size)} random settings of each "
              f"paradigm (the hybrids are not checked) against "
              f"solve_ivp event detection, largest relative difference {report.check:.1e} (tolerance {CHECK_RTOL:.0e})",
              file=sys.stderr)
        if not passed:
            return CHECK_FAILED
    return 0
