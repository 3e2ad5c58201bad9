"""The ``compare`` command."""

from __future__ import annotations

from .arguments import add_setting_options, add_state_options, number_option, paradigm_choices
from .model_options import two_parameter_model
from .reporting import json_text


def add_parser(commands) -> None:
    """The ``compare`` command's options."""
    compare_parser = commands.add_parser("compare", help="closed form vs ODE vs gradient descent vs full model")
    compare_parser.add_argument("--paradigm", default=None, help=paradigm_choices(" (or --aggregate / --expr)"))
    compare_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)" (or of the states of --state)')
    add_state_options(compare_parser, start=True)
    add_setting_options(compare_parser)
    compare_parser.add_argument("--t-end", dest="t_end", type=number_option("t-end", 0, False), required=True, help="horizon > 0")
    compare_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    compare_parser.set_defaults(handler=run)


def run(args) -> int:
    if args.state is not None:
        from .state_models import run_state_compare

        return run_state_compare(args)
    values, setting = two_parameter_model(args)
    from validation.compare import compare, comparison_latex, comparison_text

    comparison = compare(setting, values["u0"], values["v0"], float(args.t_end))
    if args.format == "json":
        print(json_text(comparison.to_dict(), indent=2))
    elif args.format == "latex":
        print(comparison_latex(comparison))
    else:
        print(comparison_text(comparison))
    return 0
