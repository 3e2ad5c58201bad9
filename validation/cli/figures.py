"""The ``figures`` command."""

from __future__ import annotations

from analytic.errors import NotResolved
from analytic.paradigms import FIRST_STAGE

from .arguments import add_setting_options, NUMERIC_PRESET
from .model_options import numeric_setting, resolve, study_of
from .reporting import skipped_notes


def add_parser(commands) -> None:
    """The ``figures`` command's options."""
    figures_parser = commands.add_parser("figures", help="phase portraits, attention curves, u(t) and v(t), fixed-focus incentive, closed form vs ODE vs GD overlay (PDF and PNG)")
    figures_parser.add_argument("--out", required=True, help="output directory")
    add_setting_options(figures_parser)
    figures_parser.add_argument("--force", action="store_true", help="write into an existing directory that is not ours")
    figures_parser.set_defaults(handler=run)


def run(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    # validated before any directory is created
    study = study_of(args, values, numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss", "attention")))
    from validation.figures import drawn_paradigms, write_figures  # matplotlib

    try:
        written = write_figures(args.out, study, force=args.force)  # a new directory appears complete or not at all
    except NotResolved as error:  # a number the figures need is not resolved here: say for which rates and start (exit 1)
        s = study.setting
        raise NotResolved(f"the figures cannot be drawn at --alpha {float(s.alpha):g}, --beta {float(s.beta):g}, "
                          f"--u0 {study.u0:g}, --v0 {study.v0:g}: {error}", error.status) from None
    print("\n".join(str(path) for path in written))
    skipped_notes(drawn_paradigms(study)[1], "the figures")
    return 0
