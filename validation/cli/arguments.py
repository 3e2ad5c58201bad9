"""Argument types and shared options of the command line (plain Python and SymPy only: start-up stays light)."""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Sequence

import sympy as sp

from analytic import symbols as sym
from analytic.errors import BadInput
from analytic.line_widths import LINE_WIDTH as LATEX_WIDTH, MIN_WIDTH as LATEX_MIN_WIDTH
from analytic.losses import LOSS_ALIASES, LOSS_NAMES
from analytic.paradigms import paradigm_names
from analytic.parsing import parse_integer, parse_number

from .status import UsageError


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit; we want one line
        raise UsageError(message)


TRAJECTORY_METHODS = ("closed", "ode", "gd", "full")
DEFAULT_LR = 0.1
NUMERIC_PRESET = "small"  # numeric commands default to the small preset
DEFAULT_TARGETS = "0.3,0.5,0.9,0.99"
SWEEP_TARGETS = "0.3,0.9,0.99"
LATEX_PIECES = ("loss", "flow", "invariant", "trajectory", "fixed-focus", "growth")  # analytic.latex.PIECES (import-free here)
LABEL_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]*")


def paradigm_choices(tail: str) -> str:
    """``--paradigm``'s help: the registered paradigms (plugins' too), then ``tail``."""
    return ", ".join(paradigm_names()) + tail


def label_prefix_option(text: str) -> str:
    if not LABEL_PREFIX.fullmatch(text) or len(text) > 100:
        raise argparse.ArgumentTypeError(f"must be letters, digits and ':._-' (starting with a letter or digit), got {text[:100]!r}")
    return text


def add_latex_options(parser) -> None:
    """``--width`` and ``--label-prefix`` of the LaTeX outputs."""
    parser.add_argument("--width", type=integer_option("width", LATEX_MIN_WIDTH, 10_000), default=None,
                        help=f"characters per display line (default {LATEX_WIDTH}: a one-column article, or for paper its --class; about 40: a two-column page)")
    parser.add_argument("--label-prefix", dest="label_prefix", type=label_prefix_option, default=None,
                        help="prefix of every equation label, e.g. 'a2' gives eq:a2-hard-ce-flow-u")


def classes_option(text: str):
    if text == sym.c.name:
        return sym.c  # kept symbolic by derive; numeric commands refuse it
    return integer_option("classes", 2)(text)


def integer_option(label: str, minimum: int, maximum: int | None = None):
    def parse(text: str) -> int:
        if len(text) > 30:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text[:30]!r}...")
        try:
            value = parse_integer(text)
        except BadInput:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:.0e} (memory), got {text!r}")
        return value

    return parse


def number_option(label: str, minimum: float, inclusive: bool):
    """An exact number (fractions allowed) above ``minimum``."""

    def parse(text: str) -> sp.Expr:
        own = SYMBOL_OPTIONS.get(label)
        if own is not None and text == own.name:
            return own  # kept symbolic by derive; numeric commands refuse it
        try:
            value = parse_number(text, label=label)
        except BadInput as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        ok = value >= minimum if inclusive else value > minimum
        if not ok:
            relation = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum}, got {text!r}")
        if label in FLOAT_OPTIONS:
            fits_a_float(value, text)
        return value

    return parse


FLOAT_OPTIONS = ("t-end", "t-max", "lr", "sigma", "target")  # used as floats only (rates and T stay exact for derive)


def fits_a_float(value, text: str) -> None:
    """An exact number that becomes inf or 0 as a float is refused, saying which (not "got inf" later)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"is too large for a float (the largest is about 1.8e308), got {text!r}")
    if number == 0 and value != 0:
        raise argparse.ArgumentTypeError(f"underflows to 0 as a float (the smallest positive float is about 5e-324), got {text!r}")


def real_option(label: str):
    def parse(text: str) -> float:
        try:
            return float(parse_number(text, label=label))
        except BadInput as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def targets_option(text: str) -> list[float]:
    from trajectories.choices import check_targets, number_label  # plain Python: no NumPy or SciPy

    parts = text.split(",")
    try:
        values = [float(parse_number(part, label="targets")) for part in parts]
    except BadInput as error:
        raise argparse.ArgumentTypeError(f"{error} (from {text!r})") from None
    seen = {}
    for part, value in zip(parts, values):
        if value in seen:  # one key per target: two equal as floats would share it
            raise argparse.ArgumentTypeError(f"{seen[value].strip()} and {part.strip()} are the same float "
                                             f"({number_label(value)}): give each target once")
        seen[value] = part
    try:
        return check_targets(values)
    except BadInput as error:
        raise argparse.ArgumentTypeError(f"{error} (from {text!r})") from None


def grid_option(label: str):
    def parse(text: str) -> tuple:
        from validation.grids import grid  # plain Python

        try:
            return grid(text, label)
        except BadInput as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def switch_option(text: str) -> str:
    """A hybrid spelled like ``soft:hard@p=0.5``, checked here (no SciPy); :func:`run_milestones` parses it again."""
    from trajectories.choices import parse_switch

    try:
        parse_switch(text)
    except BadInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def parsed_hybrids(texts) -> tuple:
    """The ``--hybrid`` switches, each already checked by :func:`switch_option`; two equal as floats are refused, naming both."""
    from trajectories.choices import parse_switch

    switches, given = [], {}
    for text in texts:
        switch = parse_switch(text)
        key = (switch.after, switch.attention, switch.time)
        if key in given:  # one row per switch: two equal as floats would share it
            raise UsageError(f"argument --hybrid: {given[key]} and {text} are the same switch as floats ({switch.label}): give each once")
        given[key] = text
        switches.append(switch)
    return tuple(switches)


def param_option(text: str):
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"must be NAME=VALUE (e.g. tau=1/2), got {text!r}")
    if name in sym.BY_NAME:
        raise argparse.ArgumentTypeError(f"{name} is a setting symbol, not a parameter (use its own option), got {text!r}")
    try:
        number = parse_number(value.strip(), label=f"param {name}")
    except BadInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name, number


SYMBOL_OPTIONS = {"segments": sym.T, "alpha": sym.alpha, "beta": sym.beta}


def states_option(text: str):
    """``--state q=alpha,k,v=beta``: names and rates (analytic.states, no eval)."""
    from analytic.states import parse_states

    try:
        return parse_states(text, "state")
    except BadInput as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def start_option(text: str) -> dict:
    """``--start q=0.5,k=1/4``: state -> number (states not given start at 0)."""
    start = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise argparse.ArgumentTypeError(f"must be NAME=VALUE,... (e.g. q=0.5,k=0.25), got {text[:80]!r}")
        if name in start:
            raise argparse.ArgumentTypeError(f"gives {name} more than once, got {text[:80]!r}")
        start[name] = real_option(f"start {name}")(value.strip())
    return start


def add_state_options(parser: argparse.ArgumentParser, *, start: bool) -> None:
    """``--state`` (a model of any number of states, with ``--expr``) and, for numeric commands, ``--start``."""
    parser.add_argument("--state", type=states_option, default=None, metavar="NAME[=RATE],...",
                        help="states of a loss --expr of any number of variables, e.g. q=alpha,k=alpha,v=beta (rates default to 1)")
    if start:
        parser.add_argument("--start", type=start_option, default=None, metavar="NAME=VALUE,...",
                            help="start of the states given by --state, e.g. q=0.5,k=0.25 (zero where not given)")


def add_custom_options(parser: argparse.ArgumentParser) -> None:
    """--segment-loss, --aggregate, --no-cache, --attention, --param."""
    parser.add_argument("--segment-loss", dest="segment_loss", default=None,
                        help='a custom per-segment loss "l(v)", e.g. "log(1+exp(-v/tau))" (other names are parameters)')
    parser.add_argument("--aggregate", default=None,
                        help='a custom paradigm: aggregation of l(.) in p and v, e.g. "(p*l(v)^2 + (1-p)*l(0)^2)^(1/2)"')
    parser.add_argument("--no-cache", dest="no_cache", action="store_true",
                        help="derive afresh: neither read nor write the disk cache of derivations")
    parser.add_argument("--attention", default=None,
                        help='attention map p(u) with dp/du = p(1-p), e.g. "k*exp(u)/(k*exp(u) + T - k)" (default exp(u)/(exp(u) + T - 1))')
    parser.add_argument("--param", type=param_option, action="append", default=[], metavar="NAME=VALUE",
                        help="value of a parameter of a custom expression (repeatable; fractions allowed)")


def add_setting_options(parser: argparse.ArgumentParser, *, start: bool = True, custom: bool = True) -> None:
    """--preset and the setting; explicit options override the preset's values."""
    parser.add_argument("--preset", choices=("paper", "small"), default=None, help="paper or small (see docs/setting.rst)")
    parser.add_argument("--loss", default=None, help="per-segment loss: " + ", ".join(LOSS_NAMES + tuple(LOSS_ALIASES)))
    if custom:
        add_custom_options(parser)
    parser.add_argument("--classes", type=classes_option, default=None, help="classes of the cross-entropy loss")
    parser.add_argument("--segments", type=number_option("segments", 2, True), default=None, help="T >= 2")
    parser.add_argument("--alpha", type=number_option("alpha", 0, False), default=None, help="focus rate > 0, e.g. 1/1000")
    parser.add_argument("--beta", type=number_option("beta", 0, False), default=None, help="classifier rate > 0")
    if start:
        parser.add_argument("--u0", type=real_option("u0"), default=None, help="start focus logit")
        parser.add_argument("--v0", type=real_option("v0"), default=None, help="start margin")


NEGATIVE_NUMBER = re.compile(r"^-(\d|\.\d)")
EXPRESSION_OPTIONS = ("--segment-loss", "--aggregate", "--expr", "--attention")  # options whose value is an expression


def joined_values(argv: Sequence[str]) -> list[str]:
    """``--u0 -1e6`` as ``--u0=-1e6`` and ``--segment-loss -v`` as ``--segment-loss=-v``: argparse would take
    a value starting with ``-`` for an option. Every option here takes a value or none, and no command takes
    positional arguments, so a negative number is always a value; after an option taking an expression, so is
    any word starting with a single ``-`` (``--x`` stays an option: a forgotten value is still reported)."""
    out, tokens = [], list(argv)
    k = 0
    while k < len(tokens):
        token = tokens[k]
        following = tokens[k + 1] if k + 1 < len(tokens) else None
        if token.startswith("--") and "=" not in token and following is not None and (
            NEGATIVE_NUMBER.match(following)
            or (token in EXPRESSION_OPTIONS and following.startswith("-") and not following.startswith("--"))
        ):
            out.append(f"{token}={following}")
            k += 2
            continue
        out.append(token)
        k += 1
    return out
