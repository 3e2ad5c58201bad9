"""The ``signature`` command."""

from __future__ import annotations

from analytic.paradigms import FIRST_STAGE

from .arguments import add_setting_options, NUMERIC_PRESET
from .model_options import numeric_setting, resolve
from .reporting import json_text, skipped_notes


def add_parser(commands) -> None:
    """The ``signature`` command's options."""
    signature_parser = commands.add_parser("signature", help="fixed-focus incentive table over p in {0.2, 0.4, 0.6, 0.8}")
    add_setting_options(signature_parser, start=False)
    signature_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    signature_parser.set_defaults(handler=run)


def run(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss",))
    from validation.signature import signature

    loss = values["loss"] if isinstance(setting.loss, str) else setting.bound_loss  # an alias keeps its name (logistic)
    table = signature(loss, values["classes"], values["beta"])
    print(json_text(table.to_dict(), indent=2) if args.format == "json" else table.latex() if args.format == "latex" else table.text())
    skipped_notes(table.skipped)
    return 0
