"""The ``best-switch`` command."""

from __future__ import annotations

from analytic.paradigms import FIRST_STAGE, PAPER_AFTER, switch_targets

from .arguments import add_setting_options, number_option, NUMERIC_PRESET
from .model_options import numeric_setting, resolve
from .reporting import json_text
from .status import UsageError


def add_parser(commands) -> None:
    """The ``best-switch`` command's options."""
    switch_parser = commands.add_parser("best-switch", help="the soft-to-hard switch level that reaches a target fastest")
    switch_parser.add_argument("--target", type=number_option("target", 0, False), required=True, help="attention to reach, in (0, 1)")
    switch_parser.add_argument("--after", choices=switch_targets(), default=PAPER_AFTER)  # issue 17 registry: from the registry
    add_setting_options(switch_parser)
    switch_parser.add_argument("--format", choices=("text", "json"), default="text")
    switch_parser.set_defaults(handler=run)


def run(args) -> int:
    target = float(args.target)
    if not target < 1:
        raise UsageError(f"argument --target: must lie in (0, 1), got {args.target}")
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss", "attention"))
    from trajectories.choices import number_label
    from trajectories.hybrid import best_switch

    best = best_switch(setting, target, args.after, values["u0"], values["v0"])
    record = {
        "p_s": best.attention, "time": best.time, "soft_time": best.soft_time,
        "hard_time": best.hard_time, "lvml_time": best.lvml_time, "after": best.after, "target": best.target,
    }
    if args.format == "json":
        print(json_text(record, indent=2))
    else:
        print(
            f"fastest to p = {number_label(target)}: soft until p_s = {best.attention:.6g}, then {best.after}: t = {best.time:.6g}\n"
            f"  pure soft {time_text(best.soft_time)}, pure hard {time_text(best.hard_time)}, pure LVML {time_text(best.lvml_time)}"
        )
    return 0


def time_text(value) -> str:
    return "never" if value is None else f"t = {value:.6g}"
