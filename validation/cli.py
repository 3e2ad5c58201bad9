"""The ``attention-dynamics`` command line (also ``python -m validation``).

Every problem with the input is reported as one line on stderr naming the
argument and the value, with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import sympy as sp

from analytic import LOSS_NAMES, PARADIGMS, derive, derive_custom
from analytic import symbols as sym
from analytic.losses import by_name, custom
from analytic.parsing import parse_expression, parse_number
from analytic.report import derivation_text

PROGRAM = "attention-dynamics"
USAGE_ERROR = 2


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit; we want one line
        raise UsageError(message)


def _classes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be an integer >= 2, got {text!r}")
    return value


def _number(label: str, minimum: float, inclusive: bool):
    def parse(text: str) -> sp.Expr:
        try:
            value = parse_number(text, label=label)
        except (ValueError, TypeError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        ok = value >= minimum if inclusive else value > minimum
        if not ok:
            relation = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum}, got {text!r}")
        return value

    return parse


def add_setting_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that takes a setting."""
    parser.add_argument("--loss", default="cross-entropy", help="per-segment loss: " + ", ".join(LOSS_NAMES))
    parser.add_argument("--classes", type=_classes, default=2, help="classes of the cross-entropy loss (default 2)")
    parser.add_argument("--segments", type=_number("segments", 2, True), default=None, help="T >= 2 (default: symbolic T)")
    parser.add_argument("--alpha", type=_number("alpha", 0, False), default=None, help="focus rate > 0, e.g. 1/1000 (default: symbolic)")
    parser.add_argument("--beta", type=_number("beta", 0, False), default=None, help="classifier rate > 0 (default: symbolic)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROGRAM, description="Exact learning dynamics of soft, hard and LVML attention.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    derive_parser = commands.add_parser("derive", help="derive loss, flow, first integral, trajectory, fixed focus")
    derive_parser.add_argument("--paradigm", default="all", help="soft, hard, lvml or all (default all)")
    add_setting_options(derive_parser)
    derive_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)"')
    derive_parser.add_argument("--segment-loss", default=None, help='a custom per-segment loss "l(v)" for the paradigms')
    derive_parser.add_argument("--budget", type=_number("budget", 0, False), default=None, help="seconds per derivation (default 60)")
    derive_parser.add_argument("--format", choices=("text", "latex", "json"), default="text")
    derive_parser.set_defaults(handler=run_derive)
    return parser


def _choices(value: str, allowed: Sequence[str], label: str) -> list[str]:
    if value == "all":
        return list(allowed)
    if value not in allowed:
        raise UsageError(f"argument --{label}: must be one of {', '.join(allowed)} or all, got {value!r}")
    return [value]


def run_derive(args) -> int:
    rates = {
        "alpha": sym.alpha if args.alpha is None else args.alpha,
        "beta": sym.beta if args.beta is None else args.beta,
    }
    budget = {} if args.budget is None else {"budget": float(args.budget)}
    if args.expr is not None:
        try:
            expr = parse_expression(args.expr, {"u": sym.u, "v": sym.v}, label="--expr")
        except ValueError as error:
            raise UsageError(f"argument {error}") from None
        derivations = [derive_custom(expr, **rates, **budget)]
    else:
        paradigms = _choices(args.paradigm, PARADIGMS, "paradigm")
        if args.segment_loss is not None:
            try:
                ell = parse_expression(args.segment_loss, {"v": sym.v}, label="--segment-loss")
            except ValueError as error:
                raise UsageError(f"argument {error}") from None
            losses = [custom(ell)]
        else:
            losses = [by_name(name, args.classes) for name in _choices(args.loss, LOSS_NAMES, "loss")]
        segments = sym.T if args.segments is None else args.segments
        derivations = [
            derive(paradigm, loss, segments=segments, **rates, **budget) for loss in losses for paradigm in paradigms
        ]
    if args.format == "json":
        print(json.dumps([d.to_dict() for d in derivations], indent=2))
    elif args.format == "latex":
        print("\n\n".join(d.to_latex() for d in derivations))
    else:
        print("\n\n".join(derivation_text(d) for d in derivations))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except UsageError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except (ValueError, TypeError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
