"""The ``milestones`` command."""

from __future__ import annotations

import sys

from analytic.paradigms import FIRST_STAGE
from validation.program import PROGRAM

from .arguments import (
    add_setting_options, DEFAULT_TARGETS, number_option, NUMERIC_PRESET, parsed_hybrids, switch_option, targets_option,
)
from .model_options import numeric_setting, resolve
from .status import CHECK_FAILED, MILESTONES_INCOMPLETE


def add_parser(commands) -> None:
    """The ``milestones`` command's options."""
    milestones_parser = commands.add_parser(
        "milestones", help="when attention first reaches each target, per paradigm",
        epilog="A time the closed form cannot resolve in float64 comes from the ODE in log time (marked, the method named); "
               "one that neither resolves is printed as 'not resolved' with the reason. Exit status: 0 when every cell is "
               f"resolved, {MILESTONES_INCOMPLETE} when some cell is not resolved or --check fails, 2 for bad input.")
    add_setting_options(milestones_parser)
    # a string default goes through type=targets_option only when --targets is not given (nothing computed at build time)
    milestones_parser.add_argument("--targets", type=targets_option, default=DEFAULT_TARGETS, help=f"increasing, in (0, 1) (default {DEFAULT_TARGETS})")
    milestones_parser.add_argument("--hybrid", type=switch_option, nargs="+", action="extend", default=[],
                                   help="switched hybrids, e.g. soft:hard@p=0.5 soft:lvml@t=100 (repeatable; they accumulate)")
    milestones_parser.add_argument("--t-max", dest="t_max", type=number_option("t-max", 0, False), default=None, help="horizon (default: the preset's)")
    milestones_parser.add_argument("--check", action="store_true", help="cross-check with solve_ivp event detection")
    milestones_parser.add_argument("--format", choices=("text", "json", "latex", "csv"), default="text")
    milestones_parser.set_defaults(handler=run)


def run(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values)
    from validation.milestone_report import milestone_report

    hybrids = parsed_hybrids(args.hybrid)
    t_max = float(args.t_max) if args.t_max is not None else values["horizon"]
    report = milestone_report(setting, values["u0"], values["v0"], args.targets, t_max, hybrids, check=args.check)
    print(report.render(args.format))
    status = 0
    if not report.complete:
        cells = len(report.unresolved)
        print(f"{PROGRAM}: {cells} milestone{'s' if cells > 1 else ''} not resolved (see the notes): the table is incomplete", file=sys.stderr)
        status = MILESTONES_INCOMPLETE
    if report.check_passed is False:
        print(f"{PROGRAM}: --check failed: closed form and event detection differ by {report.ode_check:.1e} (relative)", file=sys.stderr)
        status = CHECK_FAILED
    return status
