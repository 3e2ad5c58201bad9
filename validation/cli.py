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


TRAJECTORY_METHODS = ("closed", "ode", "gd", "full")
DEFAULT_LR = 0.1


def _integer(label: str, minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        return value

    return parse


def _real(label: str):
    def parse(text: str) -> float:
        try:
            value = parse_number(text, label=label)
        except (ValueError, TypeError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        number = float(value)
        if not abs(number) < float("inf"):
            raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
        return number

    return parse


def add_numeric_options(parser: argparse.ArgumentParser) -> None:
    """A numeric setting and start (defaults: the small preset, T = 10, alpha = beta = 1)."""
    parser.add_argument("--paradigm", required=True, help="soft, hard or lvml")
    parser.add_argument("--loss", default="cross-entropy", help="per-segment loss: " + ", ".join(LOSS_NAMES))
    parser.add_argument("--classes", type=_classes, default=2, help="classes of the cross-entropy loss (default 2)")
    parser.add_argument("--segments", type=_number("segments", 2, True), default=sp.Integer(10), help="T >= 2 (default 10)")
    parser.add_argument("--alpha", type=_number("alpha", 0, False), default=sp.Integer(1), help="focus rate > 0 (default 1)")
    parser.add_argument("--beta", type=_number("beta", 0, False), default=sp.Integer(1), help="classifier rate > 0 (default 1)")
    parser.add_argument("--u0", type=_real("u0"), default=0.0, help="start focus logit (default 0)")
    parser.add_argument("--v0", type=_real("v0"), default=0.0, help="start margin (default 0)")
    parser.add_argument("--t-end", dest="t_end", type=_number("t-end", 0, False), required=True, help="horizon > 0")


def numeric_setting(args):
    from trajectories.model import Setting

    _choices(args.paradigm, PARADIGMS, "paradigm")
    _choices(args.loss, LOSS_NAMES, "loss")
    return Setting(args.paradigm, args.loss, args.classes, args.segments, args.alpha, args.beta)


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

    trajectory_parser = commands.add_parser("trajectory", help="one trajectory: closed form, ODE, gradient descent or full model")
    add_numeric_options(trajectory_parser)
    trajectory_parser.add_argument("--points", type=_integer("points", 1), default=101, help="output points (default 101)")
    trajectory_parser.add_argument("--method", choices=TRAJECTORY_METHODS, default="closed")
    trajectory_parser.add_argument("--lr", type=_number("lr", 0, False), default=None, help="learning rate for gd and full (default 0.1)")
    trajectory_parser.add_argument("--sigma", type=_number("sigma", 0, True), default=None, help="noise of the full model (default 0: population loss)")
    trajectory_parser.add_argument("--samples", type=_integer("samples", 1), default=None, help="examples of the full model when sigma > 0")
    trajectory_parser.add_argument("--seed", type=_integer("seed", 0), default=0)
    trajectory_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    trajectory_parser.set_defaults(handler=run_trajectory)

    compare_parser = commands.add_parser("compare", help="closed form vs ODE vs gradient descent vs full model")
    add_numeric_options(compare_parser)
    compare_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    compare_parser.set_defaults(handler=run_compare)
    return parser


def _choices(value: str, allowed: Sequence[str], label: str, allow_all: bool = True) -> list[str]:
    if value == "all" and allow_all:
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


def run_trajectory(args) -> int:
    from trajectories.closed import closed_trajectory
    from trajectories.full import full_trajectory
    from trajectories.gd import gradient_descent
    from trajectories.model import reduced_model
    from trajectories.ode import ode_trajectory, stable_max_step
    from validation.compare import full_variant_for

    setting = numeric_setting(args)
    if args.paradigm == "all":
        raise UsageError("argument --paradigm: must be one of soft, hard, lvml, got 'all'")
    t_end = float(args.t_end)
    lr = DEFAULT_LR if args.lr is None else float(args.lr)
    if args.method in ("gd", "full") and t_end / lr > MAX_STEPS:
        raise UsageError(f"argument --t-end: {t_end:g} / lr {lr:g} is more than {MAX_STEPS:.0e} steps")
    sigma = 0.0 if args.sigma is None else float(args.sigma)
    if args.samples is not None and sigma == 0:
        raise UsageError("argument --samples: needs --sigma > 0 (sigma = 0 uses the population loss)")
    model = reduced_model(setting)
    if args.method == "closed":
        result = closed_trajectory(model, args.u0, args.v0, t_end, args.points)
    elif args.method == "ode":
        result = ode_trajectory(model, args.u0, args.v0, t_end, args.points, max_step=stable_max_step(model))
    else:
        steps = max(1, int(round(t_end / lr)))
        every = max(1, steps // max(1, args.points - 1))
        if args.method == "gd":
            result = gradient_descent(model, args.u0, args.v0, lr, steps, record_every=every)
        else:
            variant = full_variant_for(setting)
            if variant is None:
                raise UsageError(
                    "argument --method: no full model reduces to this setting "
                    "(cross-entropy with c > 2 needs alpha = 1/c and beta = 1/(c - 1))"
                )
            samples = args.samples if sigma > 0 else None
            if sigma > 0 and samples is None:
                raise UsageError("argument --samples: required when --sigma > 0")
            result = full_trajectory(
                args.paradigm, variant=variant, loss=args.loss, classes=args.classes,
                segments=_whole(args.segments, "segments"), alpha=float(args.alpha), beta=float(args.beta),
                u0=args.u0, v0=args.v0, lr=lr, steps=steps, sigma=sigma, samples=samples, seed=args.seed, record_every=every,
            )
    if result.status.name == "DIVERGED":
        raise UsageError(f"argument --lr: {result.message}")
    if not result.ok:
        raise UsageError(f"{args.method}: {result.status.value}: {result.message}")
    if args.format == "json":
        print(json.dumps({"t": result.t.tolist(), "u": result.u.tolist(), "v": result.v.tolist(), "p": result.p.tolist(),
                          "method": result.method, "message": result.message}))
    else:
        print("t,u,v,p")
        for row in result.rows():
            print(",".join(repr(float(x)) for x in row))
    return 0


def _whole(value, label: str) -> int:
    number = float(value)
    if not number.is_integer():
        raise UsageError(f"argument --{label}: the full model needs a whole number, got {value}")
    return int(number)


def run_compare(args) -> int:
    from validation.compare import compare, comparison_latex, comparison_text

    setting = numeric_setting(args)
    comparison = compare(setting, args.u0, args.v0, float(args.t_end))
    if args.format == "json":
        print(json.dumps(comparison.to_dict(), indent=2))
    elif args.format == "latex":
        print(comparison_latex(comparison))
    else:
        print(comparison_text(comparison))
    return 0


MAX_STEPS = 10**8


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
