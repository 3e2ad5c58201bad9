"""The ``attention-dynamics`` command line (also ``python -m validation``).

Every problem with the input is reported as one line on stderr naming the
argument and the value, with exit status 2 and no traceback.

Start-up: building the parser, ``--help`` and argument errors import SymPy and
the light modules of :mod:`analytic` only (symbols, losses, parsing, cache).
The derivation engine, and NumPy, SciPy and matplotlib (through
:mod:`trajectories` and the report modules), are imported inside the handlers,
after the command line's own checks; keep imports of them out of module level
and out of the argument types (tests/test_startup.py checks this).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import os
import sys
import time
from collections.abc import Sequence

import sympy as sp

from analytic import cache
from analytic.budget import OutOfTime
from analytic.errors import NotAvailable, NotResolved
from analytic import symbols as sym
from analytic.losses import CLASS_LOSS, LOSS_ALIASES, LOSS_NAMES, by_name, custom, loss_names, uses_classes  # issue 17 registry
from analytic.paradigms import FIRST_STAGE, PAPER_AFTER, switch_targets  # issue 17 registry
from analytic.parsing import parse_expression, parse_integer, parse_number
from trajectories.limits import MAX_POINTS, MAX_STEPS  # the Python API's limits too (a module free of NumPy)
from validation.launch import PROGRAM, interrupted
from validation.document_class import DEFAULT_CLASS, DOCUMENT_CLASSES  # a module free of imports

# analytic.derivation (the engine), analytic.paradigms and analytic.report, and everything
# numeric, are imported where they are used: see "Start-up" in the docstring.

USAGE_ERROR = 2
CHECK_RTOL = 1e-6  # sweep --check: relative difference allowed against event detection
CHECK_FAILED = 1  # a verification the user asked for (--check, certification) did not pass
MILESTONES_INCOMPLETE = 1  # milestones printed with some cell "not resolved"
NOT_AVAILABLE = 1  # a result the method cannot give (a singularity of the loss on the path, a derivation past its budget), said with its reason
TRAJECTORY_METHODS = ("closed", "ode", "gd", "full")
DEFAULT_LR = 0.1
NUMERIC_PRESET = "small"  # numeric commands default to the small preset
DEFAULT_TARGETS = "0.3,0.5,0.9,0.99"
SWEEP_TARGETS = "0.3,0.9,0.99"


STDOUT_FAILED = 1  # the output could not be written to stdout (closed, a full disk, a reader that left)


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit status 2."""


class StdoutFailed(Exception):
    """Writing to stdout failed (``OSError`` from the stream): one line on stderr, exit status :data:`STDOUT_FAILED`."""


class _CheckedStdout:
    """``sys.stdout`` whose write errors (EPIPE, ENOSPC, EIO, ...) raise :class:`StdoutFailed`: never a traceback,
    never exit status 0 with the output lost."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except OSError as error:
            raise StdoutFailed(error.strerror or str(error)) from None

    def flush(self):
        try:
            self._stream.flush()
        except OSError as error:
            raise StdoutFailed(error.strerror or str(error)) from None

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _stdout_problem() -> str | None:
    """Why nothing can be written to stdout (closed), before any work is done; ``None`` when it can be."""
    if sys.stdout is None:
        return "stdout is closed"
    try:
        descriptor = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return None  # not a file (a test's capture): its writes are checked as they happen
    try:
        os.fstat(descriptor)
    except OSError as error:
        return f"stdout is not usable ({error.strerror})"
    return None


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit; we want one line
        raise UsageError(message)


# --- argument types --------------------------------------------------------------------
def _classes(text: str):
    if text == sym.c.name:
        return sym.c  # kept symbolic by derive; numeric commands refuse it
    return _integer("classes", 2)(text)


LATEX_PIECES = ("loss", "flow", "invariant", "trajectory", "fixed-focus", "growth")  # analytic.latex.PIECES (import-free here)
LATEX_WIDTH, LATEX_MIN_WIDTH = 62, 20  # analytic.latex.LINE_WIDTH and MIN_WIDTH
_LABEL_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]*")


def _label_prefix(text: str) -> str:
    if not _LABEL_PREFIX.fullmatch(text) or len(text) > 100:
        raise argparse.ArgumentTypeError(f"must be letters, digits and ':._-' (starting with a letter or digit), got {text[:100]!r}")
    return text


def add_latex_options(parser) -> None:
    """``--width`` and ``--label-prefix`` of the LaTeX outputs."""
    parser.add_argument("--width", type=_integer("width", LATEX_MIN_WIDTH, 10_000), default=None,
                        help=f"characters per display line (default {LATEX_WIDTH}: a one-column article, or for paper its --class; about 40: a two-column page)")
    parser.add_argument("--label-prefix", dest="label_prefix", type=_label_prefix, default=None,
                        help="prefix of every equation label, e.g. 'a2' gives eq:a2-hard-ce-flow-u")


def _integer(label: str, minimum: int, maximum: int | None = None):
    def parse(text: str) -> int:
        if len(text) > 30:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text[:30]!r}...")
        try:
            value = parse_integer(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be an integer >= {minimum}, got {text!r}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:.0e} (memory), got {text!r}")
        return value

    return parse


def _number(label: str, minimum: float, inclusive: bool):
    """An exact number (fractions allowed) above ``minimum``."""

    def parse(text: str) -> sp.Expr:
        own = SYMBOL_OPTIONS.get(label)
        if own is not None and text == own.name:
            return own  # kept symbolic by derive; numeric commands refuse it
        try:
            value = parse_number(text, label=label)
        except (ValueError, TypeError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        ok = value >= minimum if inclusive else value > minimum
        if not ok:
            relation = ">=" if inclusive else ">"
            raise argparse.ArgumentTypeError(f"must be {relation} {minimum}, got {text!r}")
        if label in FLOAT_OPTIONS:
            _fits_a_float(value, text)
        return value

    return parse


FLOAT_OPTIONS = ("t-end", "t-max", "lr", "sigma", "target")  # used as floats only (rates and T stay exact for derive)


def _fits_a_float(value, text: str) -> None:
    """An exact number that becomes inf or 0 as a float is refused, saying which (not "got inf" later)."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"is too large for a float (the largest is about 1.8e308), got {text!r}")
    if number == 0 and value != 0:
        raise argparse.ArgumentTypeError(f"underflows to 0 as a float (the smallest positive float is about 5e-324), got {text!r}")


def _real(label: str):
    def parse(text: str) -> float:
        try:
            return float(parse_number(text, label=label))
        except (ValueError, TypeError) as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _targets(text: str) -> list[float]:
    from trajectories.choices import check_targets, number_label  # plain Python: no NumPy or SciPy

    parts = text.split(",")
    try:
        values = [float(parse_number(part, label="targets")) for part in parts]
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(f"{error} (from {text!r})") from None
    seen = {}
    for part, value in zip(parts, values):
        if value in seen:  # one key per target: two equal as floats would share it
            raise argparse.ArgumentTypeError(f"{seen[value].strip()} and {part.strip()} are the same float "
                                             f"({number_label(value)}): give each target once")
        seen[value] = part
    try:
        return check_targets(values)
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(f"{error} (from {text!r})") from None


def _grid(label: str):
    def parse(text: str) -> tuple:
        from validation.grids import grid  # plain Python

        try:
            return grid(text, label)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return parse


def _switch(text: str) -> str:
    """A hybrid spelled like ``soft:hard@p=0.5``, checked here (no SciPy); :func:`run_milestones` parses it again."""
    from trajectories.choices import parse_switch

    try:
        parse_switch(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _hybrids(texts) -> tuple:
    """The ``--hybrid`` switches, each already checked by :func:`_switch`; two equal as floats are refused, naming both."""
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


def _param(text: str):
    name, equals, value = text.partition("=")
    name = name.strip()
    if not equals or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"must be NAME=VALUE (e.g. tau=1/2), got {text!r}")
    if name in sym.BY_NAME:
        raise argparse.ArgumentTypeError(f"{name} is a setting symbol, not a parameter (use its own option), got {text!r}")
    try:
        number = parse_number(value.strip(), label=f"param {name}")
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return name, number


SYMBOL_OPTIONS = {"segments": sym.T, "alpha": sym.alpha, "beta": sym.beta}


def _states(text: str):
    """``--state q=alpha,k,v=beta``: names and rates (analytic.states, no eval)."""
    from analytic.states import parse_states

    try:
        return parse_states(text, "state")
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _start(text: str) -> dict:
    """``--start q=0.5,k=1/4``: state -> number (states not given start at 0)."""
    start = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise argparse.ArgumentTypeError(f"must be NAME=VALUE,... (e.g. q=0.5,k=0.25), got {text[:80]!r}")
        if name in start:
            raise argparse.ArgumentTypeError(f"gives {name} more than once, got {text[:80]!r}")
        start[name] = _real(f"start {name}")(value.strip())
    return start


def add_state_options(parser: argparse.ArgumentParser, *, start: bool) -> None:
    """``--state`` (a model of any number of states, with ``--expr``) and, for numeric commands, ``--start``."""
    parser.add_argument("--state", type=_states, default=None, metavar="NAME[=RATE],...",
                        help="states of a loss --expr of any number of variables, e.g. q=alpha,k=alpha,v=beta (rates default to 1)")
    if start:
        parser.add_argument("--start", type=_start, default=None, metavar="NAME=VALUE,...",
                            help="start of the states given by --state, e.g. q=0.5,k=0.25 (zero where not given)")


# --- shared options -------------------------------------------------------------------
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
    parser.add_argument("--param", type=_param, action="append", default=[], metavar="NAME=VALUE",
                        help="value of a parameter of a custom expression (repeatable; fractions allowed)")


def add_setting_options(parser: argparse.ArgumentParser, *, start: bool = True, custom: bool = True) -> None:
    """--preset and the setting; explicit options override the preset's values."""
    parser.add_argument("--preset", choices=("paper", "small"), default=None, help="paper or small (see docs/setting.rst)")
    parser.add_argument("--loss", default=None, help="per-segment loss: " + ", ".join(LOSS_NAMES + tuple(LOSS_ALIASES)))
    if custom:
        add_custom_options(parser)
    parser.add_argument("--classes", type=_classes, default=None, help="classes of the cross-entropy loss")
    parser.add_argument("--segments", type=_number("segments", 2, True), default=None, help="T >= 2")
    parser.add_argument("--alpha", type=_number("alpha", 0, False), default=None, help="focus rate > 0, e.g. 1/1000")
    parser.add_argument("--beta", type=_number("beta", 0, False), default=None, help="classifier rate > 0")
    if start:
        parser.add_argument("--u0", type=_real("u0"), default=None, help="start focus logit")
        parser.add_argument("--v0", type=_real("v0"), default=None, help="start margin")


def custom_parts(args) -> dict:
    """The custom expressions of the command line, parsed (no eval) and checked for contradictions."""
    parts = {"segment_loss": None, "aggregate": None, "expr": None, "attention": None,
             "params": dict(getattr(args, "param", []) or [])}
    names = [name for name, _ in getattr(args, "param", []) or []]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"argument --param: {repeated[0]} is given more than once")
    expr_text = getattr(args, "expr", None)
    if expr_text is not None:
        for option, given in (("--paradigm", getattr(args, "paradigm", None) not in (None, "all")),
                              ("--aggregate", getattr(args, "aggregate", None) is not None),
                              ("--segment-loss", getattr(args, "segment_loss", None) is not None),
                              ("--loss", getattr(args, "loss", None) is not None)):
            if given:
                raise UsageError(f"argument --expr: a whole loss L(u, v) cannot be combined with {option}")
        try:
            parts["expr"] = sym.canonical_symbols(_parsed(expr_text, EXPR_SYMBOLS, "--expr"), "--expr", forbidden=("p", "u0", "v0", "t"))
        except ValueError as error:
            raise UsageError(f"argument {error}") from None
    if getattr(args, "aggregate", None) is not None:
        if getattr(args, "paradigm", None) not in (None, "all"):
            raise UsageError("argument --aggregate: a custom paradigm cannot be combined with --paradigm")
        from analytic.paradigms import SEGMENT, custom_paradigm

        try:
            parts["aggregate"] = custom_paradigm(
                _parsed(args.aggregate, {"p": sym.p, "v": sym.v}, "--aggregate", applied={"l": SEGMENT}), args.aggregate
            )
        except ValueError as error:
            raise UsageError(f"argument --aggregate: {error}") from None
    if getattr(args, "attention", None) is not None:
        if parts["expr"] is not None:
            raise UsageError("argument --attention: a whole loss L(u, v) has no attention map")
        from analytic.derivation import check_attention

        try:
            parts["attention"] = check_attention(_parsed(args.attention, {"u": sym.u, "T": sym.T}, "--attention"))
        except ValueError as error:
            raise UsageError(f"argument --attention: {error}") from None
    if getattr(args, "segment_loss", None) is not None:
        if getattr(args, "loss", None) is not None:
            raise UsageError("argument --segment-loss: a custom segment loss cannot be combined with --loss")
        try:
            parts["segment_loss"] = custom(_parsed(args.segment_loss, LOSS_SYMBOLS, "--segment-loss"))
        except ValueError as error:
            raise UsageError(f"argument --segment-loss: {error}") from None
    return parts


EXPR_SYMBOLS = {s.name: s for s in (sym.u, sym.v, sym.T, sym.c, sym.alpha, sym.beta)}
LOSS_SYMBOLS = {s.name: s for s in (sym.v, sym.T, sym.c, sym.alpha, sym.beta)}


def _parsed(text: str, names: dict, label: str, applied=None) -> sp.Expr:
    try:
        return parse_expression(text, names, label=label, parameters=True, applied=applied)
    except (ValueError, TypeError) as error:
        raise UsageError(f"argument {error}") from None


SYMBOLIC_DEFAULTS = {"loss": CLASS_LOSS, "classes": 2, "segments": sym.T, "alpha": sym.alpha, "beta": sym.beta,
                     "u0": 0.0, "v0": 0.0, "horizon": None}


def resolve(args, default_preset: str | None) -> dict:
    """The setting's values: explicit options, else the preset's, else symbolic (derive) defaults."""
    from trajectories.presets import preset_values

    name = args.preset or default_preset
    values = preset_values(name) if name else dict(SYMBOLIC_DEFAULTS)
    for key in ("loss", "classes", "segments", "alpha", "beta", "u0", "v0"):
        given = getattr(args, key, None)
        if given is not None:
            values[key] = given
    if not hasattr(args, "u0"):  # commands without a start point
        values.pop("u0")
        values.pop("v0")
    return values


CUSTOM_OPTIONS = {"segment_loss": "--segment-loss", "aggregate": "--aggregate", "expr": "--expr", "attention": "--attention"}


def numeric_setting(args, paradigm: str | None, values: dict, *, custom_allowed=tuple(CUSTOM_OPTIONS)):
    """The typed numeric Setting of the command line (custom expressions included).

    ``custom_allowed`` names the custom parts the command can run (others are refused in one line).
    """
    from analytic.paradigms import Paradigm, paradigm_names

    parts = custom_parts(args)
    for key, option in CUSTOM_OPTIONS.items():
        if parts[key] is not None and key not in custom_allowed:
            allowed = ", ".join(CUSTOM_OPTIONS[k] for k in custom_allowed) or "none"
            raise UsageError(f"argument {option}: `{args.command}` cannot run it (custom options it takes: {allowed}; "
                             "trajectory, compare and milestones take all)")
    for label, symbol in (("classes", sym.c), ("segments", sym.T), ("alpha", sym.alpha), ("beta", sym.beta)):
        if values.get(label) is symbol:
            raise UsageError(f"argument --{label}: `{args.command}` needs a number, got the symbol {symbol}")
    if parts["expr"] is None:
        scheme = parts["aggregate"] if parts["aggregate"] is not None else paradigm
        if not isinstance(scheme, Paradigm):
            _choices(scheme, paradigm_names(), "paradigm", allow_all=False)  # issue 17 registry
        loss = parts["segment_loss"]
        if loss is None:
            _choices(values["loss"], loss_names(aliases=True), "loss", allow_all=False)  # issue 17 registry
    # the command line's own checks are done: only now NumPy and SciPy (start-up, see the module docstring)
    from trajectories.model import Setting, UnusableSetting, compiled_parameters
    from trajectories.presets import setting_from

    try:
        if parts["expr"] is not None:
            setting = Setting(None, None, values["classes"], values["segments"], values["alpha"], values["beta"],
                              parts["params"], expr=parts["expr"])
        else:
            setting = setting_from(values, scheme, loss, parts["params"], parts["attention"])
    except UnusableSetting as error:
        option = {"params": "--param", "loss": "--segment-loss", "paradigm": "--aggregate"}.get(error.field, f"--{error.field}")
        raise UsageError(f"argument {option}: {error.reason}") from None
    missing = [s.name for s in compiled_parameters(setting) if s.name not in dict(setting.params)]
    if missing:
        raise UsageError(f"argument --param: no value for the parameter {missing[0]} (add --param {missing[0]}=VALUE)")
    unused = sorted(set(dict(setting.params)) - {s.name for s in compiled_parameters(setting)})
    if unused:
        raise UsageError(f"argument --param: {unused[0]} is not a parameter of this model")
    return setting


def _choices(value: str, allowed: Sequence[str], label: str, allow_all: bool = True) -> list[str]:
    if value == "all" and allow_all:
        return list(allowed)
    if value not in allowed:
        extra = " or all" if allow_all else ""
        raise UsageError(f"argument --{label}: must be one of {', '.join(allowed)}{extra}, got {value!r}")
    return [value]


# --- parser ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROGRAM, description="Exact learning dynamics of soft, hard and LVML attention.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    derive_parser = commands.add_parser("derive", help="derive loss, flow, first integral, trajectory, fixed focus")
    derive_parser.add_argument("--paradigm", default="all", help="soft, hard, lvml or all (default all)")
    add_setting_options(derive_parser, start=False)
    derive_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)" (or of the states of --state)')
    add_state_options(derive_parser, start=False)
    derive_parser.add_argument("--budget", type=_number("budget", 0, False), default=None, help="seconds per derivation (default 60)")
    derive_parser.add_argument("--format", choices=("text", "latex", "json"), default="text")
    add_latex_options(derive_parser)
    derive_parser.add_argument("--only", action="append", choices=LATEX_PIECES, default=None,
                               help="LaTeX of one piece (repeatable): " + ", ".join(LATEX_PIECES))
    derive_parser.set_defaults(handler=run_derive)

    trajectory_parser = commands.add_parser("trajectory", help="one trajectory: closed form, ODE, gradient descent or full model")
    trajectory_parser.add_argument("--paradigm", default=None, help="soft, hard or lvml (or --aggregate / --expr)")
    trajectory_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)" (or of the states of --state)')
    add_state_options(trajectory_parser, start=True)
    add_setting_options(trajectory_parser)
    trajectory_parser.add_argument("--t-end", dest="t_end", type=_number("t-end", 0, False), required=True, help="horizon > 0")
    trajectory_parser.add_argument("--points", type=_integer("points", 1, MAX_POINTS), default=101, help=f"output points (default 101, at most {MAX_POINTS:.0e})")
    trajectory_parser.add_argument("--method", choices=TRAJECTORY_METHODS, default=None,
                                   help="closed (default), ode, gd or full; with --state: ode (default) or gd")
    trajectory_parser.add_argument("--lr", type=_number("lr", 0, False), default=None, help="learning rate for gd and full (default 0.1)")
    trajectory_parser.add_argument("--sigma", type=_number("sigma", 0, True), default=None, help="noise of the full model (default 0)")
    trajectory_parser.add_argument("--samples", type=_integer("samples", 1), default=None, help="examples of the full model when sigma > 0")
    trajectory_parser.add_argument("--seed", type=_integer("seed", 0), default=0)
    trajectory_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    trajectory_parser.set_defaults(handler=run_trajectory)

    compare_parser = commands.add_parser("compare", help="closed form vs ODE vs gradient descent vs full model")
    compare_parser.add_argument("--paradigm", default=None, help="soft, hard or lvml (or --aggregate / --expr)")
    compare_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)" (or of the states of --state)')
    add_state_options(compare_parser, start=True)
    add_setting_options(compare_parser)
    compare_parser.add_argument("--t-end", dest="t_end", type=_number("t-end", 0, False), required=True, help="horizon > 0")
    compare_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    compare_parser.set_defaults(handler=run_compare)

    milestones_parser = commands.add_parser(
        "milestones", help="when attention first reaches each target, per paradigm",
        epilog="A time the closed form cannot resolve in float64 comes from the ODE in log time (marked, the method named); "
               "one that neither resolves is printed as 'not resolved' with the reason. Exit status: 0 when every cell is "
               f"resolved, {MILESTONES_INCOMPLETE} when some cell is not resolved or --check fails, 2 for bad input.")
    add_setting_options(milestones_parser)
    # a string default goes through type=_targets only when --targets is not given (nothing computed at build time)
    milestones_parser.add_argument("--targets", type=_targets, default=DEFAULT_TARGETS, help=f"increasing, in (0, 1) (default {DEFAULT_TARGETS})")
    milestones_parser.add_argument("--hybrid", type=_switch, nargs="+", action="extend", default=[],
                                   help="switched hybrids, e.g. soft:hard@p=0.5 soft:lvml@t=100 (repeatable; they accumulate)")
    milestones_parser.add_argument("--t-max", dest="t_max", type=_number("t-max", 0, False), default=None, help="horizon (default: the preset's)")
    milestones_parser.add_argument("--check", action="store_true", help="cross-check with solve_ivp event detection")
    milestones_parser.add_argument("--format", choices=("text", "json", "latex", "csv"), default="text")
    milestones_parser.set_defaults(handler=run_milestones)

    sweep_parser = commands.add_parser("sweep", help="milestone times over a grid of settings, every paradigm; phase diagrams")
    sweep_parser.add_argument("--loss", default=None, help="per-segment loss: " + ", ".join(LOSS_NAMES + tuple(LOSS_ALIASES)))
    add_custom_options(sweep_parser)
    for label, text in (("segments", "T (default 10)"), ("classes", "c (default 2)"),
                        ("alpha", "focus rate (default 1/c)"), ("beta", "classifier rate (default 1/(c - 1))"),
                        ("u0", "start focus logit (default 0)"), ("v0", "start margin (default 0)")):
        spacing = "evenly spaced" if label in ("u0", "v0") else "log-spaced"
        sweep_parser.add_argument(f"--{label}", type=_grid(label), default=None, metavar="START:STOP:N|LIST",
                                  help=f"{text}: START:STOP:N ({spacing}) or a comma list")
    sweep_parser.add_argument("--targets", type=_targets, default=SWEEP_TARGETS, help=f"increasing, in (0, 1) (default {SWEEP_TARGETS})")
    sweep_parser.add_argument("--hybrid", type=_switch, nargs="+", action="extend", default=[],
                              help="switched hybrids, e.g. soft:hard@p=0.5 soft:lvml@t=100 (repeatable; they accumulate)")
    sweep_parser.add_argument("--t-max", dest="t_max", type=_number("t-max", 0, False), default=None, help="horizon (default: none)")
    sweep_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    sweep_parser.add_argument("--figures", default=None, metavar="DIR", help="also draw the phase diagrams into DIR")
    sweep_parser.add_argument("--force", action="store_true", help="write the figures into an existing directory that is not ours")
    sweep_parser.add_argument("--check", type=_integer("check", 0, 1000), default=0, metavar="N",
                              help=f"cross-check N random settings per paradigm with solve_ivp event detection (to {1e-6:g} relative)")
    sweep_parser.add_argument("--workers", type=_integer("workers", 1, 256), default=None, help="processes (default: every core)")
    sweep_parser.set_defaults(handler=run_sweep)

    switch_parser = commands.add_parser("best-switch", help="the soft-to-hard switch level that reaches a target fastest")
    switch_parser.add_argument("--target", type=_number("target", 0, False), required=True, help="attention to reach, in (0, 1)")
    switch_parser.add_argument("--after", choices=switch_targets(), default=PAPER_AFTER)  # issue 17 registry: from the registry
    add_setting_options(switch_parser)
    switch_parser.add_argument("--format", choices=("text", "json"), default="text")
    switch_parser.set_defaults(handler=run_best_switch)

    growth_parser = commands.add_parser("growth", help="large-time growth laws of u(t) and v(t), checked to t = 1e8")
    add_setting_options(growth_parser)
    growth_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    growth_parser.set_defaults(handler=run_growth)

    signature_parser = commands.add_parser("signature", help="fixed-focus incentive table over p in {0.2, 0.4, 0.6, 0.8}")
    add_setting_options(signature_parser, start=False)
    signature_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    signature_parser.set_defaults(handler=run_signature)

    paper_parser = commands.add_parser("paper", help="a LaTeX document with every formula, the cross-checks and the figures")
    paper_parser.add_argument("--out", required=True, help="output directory")
    paper_parser.add_argument("--pdf", action="store_true", help="compile it (latexmk or pdflatex)")
    add_setting_options(paper_parser)
    paper_parser.add_argument("--force", action="store_true", help="write into an existing directory that is not ours")
    add_latex_options(paper_parser)
    paper_parser.add_argument("--class", dest="document_class", choices=tuple(DOCUMENT_CLASSES), default=DEFAULT_CLASS,
                              help=f"document class (default {DEFAULT_CLASS}); ieeetran and revtex are two-column: "
                                   "displays broken for a column, figures and tables across both")
    paper_parser.set_defaults(handler=run_paper)

    reproduce_parser = commands.add_parser("reproduce", help="the main job: everything, on the presets paper and small")
    reproduce_parser.add_argument("--out", default="attention-dynamics-output", help="output directory (default ./attention-dynamics-output)")
    reproduce_parser.add_argument("--force", action="store_true", help="write into an existing directory that is not ours")
    reproduce_parser.add_argument("--sweep-axis", type=_grid("sweep-axis"), default=None, metavar="START:STOP:N|LIST",
                                  help="the values of T and of c the sweep covers (default 2:10000:24, log-spaced; the paper preset's are added)")
    reproduce_parser.set_defaults(handler=run_reproduce)

    laws_parser = commands.add_parser("laws", help="conservation laws of a parametrisation phi(theta): Lie rank, count, polynomial laws, certified")
    laws_parser.add_argument("--state", type=_states, required=True, metavar="NAME[=RATE],...", help="the states, e.g. q,k (rates default to 1)")
    laws_parser.add_argument("--map", required=True, help='comma-separated components of phi, e.g. "q*k" or "u1*w1 + u2*w2"')
    laws_parser.add_argument("--degree", type=_integer("degree", 1, 8), default=4, help="largest degree of the polynomial laws searched (default 4, at most 8)")
    laws_parser.add_argument("--format", choices=("text", "json"), default="text")
    laws_parser.set_defaults(handler=run_laws)

    figures_parser = commands.add_parser("figures", help="phase portraits, attention curves, u(t) and v(t), fixed-focus incentive, closed form vs ODE vs GD overlay (PDF and PNG)")
    figures_parser.add_argument("--out", required=True, help="output directory")
    add_setting_options(figures_parser)
    figures_parser.add_argument("--force", action="store_true", help="write into an existing directory that is not ours")
    figures_parser.set_defaults(handler=run_figures)
    return parser


# --- handlers -------------------------------------------------------------------------
def run_derive(args) -> int:
    if args.state is not None:
        from validation.state_commands import run_state_derive

        return run_state_derive(args)
    from analytic import derive, derive_custom
    from analytic.paradigms import custom_paradigm, paradigm_names
    from analytic.report import derivation_text

    latex_only = [name for name, value in (("--only", args.only), ("--width", args.width), ("--label-prefix", args.label_prefix))
                  if value is not None]
    if latex_only and args.format != "latex":
        raise UsageError(f"{', '.join(latex_only)}: only with --format latex (got --format {args.format})")
    values = resolve(args, None)
    rates = {"alpha": values["alpha"], "beta": values["beta"]}
    options = {"use_cache": not args.no_cache}
    if args.budget is not None:
        options["budget"] = float(args.budget)
    parts = custom_parts(args)
    given = {sym.parameter(name): value for name, value in parts["params"].items()}
    # spec-status (issue 17 item 3): an unused --param is refused as by `trajectory` (same one-line text)
    used = {s.name for key, get in (("expr", lambda x: x), ("aggregate", lambda x: x.aggregation),
                                    ("segment_loss", lambda x: x.expr), ("attention", lambda x: x))
            if parts[key] is not None for s in sym.parameters_of(get(parts[key]))}
    for symbol in given:
        if symbol.name not in used:
            raise UsageError(f"argument --param: {symbol.name} is not a parameter of this model")
    # end spec-status
    if parts["expr"] is not None:
        expr = _with_values(parts["expr"], given, "--expr")
        expr = expr.subs({s: values[key] for key, s in (("classes", sym.c), ("segments", sym.T)) if values.get(key) is not None})
        derivations = [derive_custom(expr, **rates, **options)]
    else:
        if parts["aggregate"] is not None:
            scheme = parts["aggregate"]
            paradigms = [custom_paradigm(_with_values(scheme.aggregation, given, "--aggregate"), scheme.text)]
        else:
            paradigms = _choices(args.paradigm, paradigm_names(), "paradigm")  # issue 17 registry
        if parts["segment_loss"] is not None:
            ell = parts["segment_loss"].expr.subs(sym.c, values["classes"])
            losses = [custom(_with_values(ell, given, "--segment-loss"))]
        else:
            names = _choices(values["loss"], loss_names(aliases=True), "loss")  # issue 17 registry
            losses = [by_name(name, values["classes"]) for name in names if name not in LOSS_ALIASES or len(names) == 1]
        if parts["attention"] is not None:
            options["attention"] = _with_values(parts["attention"], given, "--attention", strict=False)
        derivations = [
            derive(paradigm, loss, segments=values["segments"], **rates, **options) for loss in losses for paradigm in paradigms
        ]
    if args.format == "json":
        print(_json([d.to_dict() for d in derivations], indent=2))
    elif args.format == "latex":
        print("\n\n".join(d.to_latex(width=args.width, label_prefix=args.label_prefix or "", only=args.only, growth=True)
                            for d in derivations))
    else:
        print("\n\n".join(derivation_text(d) for d in derivations))
    failed = [f"{d.label}: " + ("its time budget ran out" if d.status == "timeout"
                                else ", ".join(c.name for c in d.certificate.failures()) or "no check could be made")
              for d in derivations if not d.certified]
    if failed:
        print(f"{PROGRAM}: not certified ({'; '.join(failed)}): do not use these formulas unchecked", file=sys.stderr)
        return CHECK_FAILED
    return 0


def _json(data, indent=None) -> str:
    """Strict JSON: NaN and infinities become null with a reason (never invalid JSON)."""
    from analytic.report import strict_json

    return json.dumps(strict_json(data), indent=indent, allow_nan=False)


def _with_values(expr: sp.Expr, given: dict, label: str, strict: bool = True) -> sp.Expr:
    """``expr`` with the --param values in place; a value for a name it does not use is an error (``strict``)."""
    names = {s.name for s in sym.parameters_of(expr)}
    for symbol in given:
        if strict and symbol.name not in names:
            raise UsageError(f"argument --param: {symbol.name} is not a parameter of {label} (its parameters: {', '.join(sorted(names)) or 'none'})")
    return expr.subs(given)


def run_trajectory(args) -> int:
    if args.state is not None:
        from validation.state_commands import run_state_trajectory

        return run_state_trajectory(args)
    if args.start is not None:
        raise UsageError("argument --start: only with --state (the two-parameter start is --u0, --v0)")
    args.method = args.method or "closed"
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, _paradigm_or_custom(args), values)
    u0, v0 = values["u0"], values["v0"]
    t_end = float(args.t_end)
    lr = DEFAULT_LR if args.lr is None else float(args.lr)
    if args.method in ("gd", "full") and t_end / lr > MAX_STEPS:
        raise UsageError(f"argument --t-end: {t_end:g} / lr {lr:g} is {t_end / lr:.1e} steps, more than the limit {MAX_STEPS:.0e} "
                         "(about 15 min): raise --lr or lower --t-end")
    sigma = 0.0 if args.sigma is None else float(args.sigma)
    if args.samples is not None and sigma == 0:
        raise UsageError("argument --samples: needs --sigma > 0 (sigma = 0 uses the population loss)")
    from trajectories.closed import closed_trajectory
    from trajectories.full import full_trajectory
    from trajectories.gd import gradient_descent
    from trajectories.model import reduced_model
    from trajectories.ode import ode_trajectory, stable_max_step
    from validation.compare import full_variant_for

    model = reduced_model(setting)
    if args.method == "closed":
        result = closed_trajectory(model, u0, v0, t_end, args.points, fallback=True)
    elif args.method == "ode":
        result = ode_trajectory(model, u0, v0, t_end, args.points, max_step=stable_max_step(model))
    else:
        steps = max(1, int(round(t_end / lr)))
        every = max(1, steps // max(1, args.points - 1))
        if args.method == "gd":
            result = gradient_descent(model, u0, v0, lr, steps, record_every=every)
        else:
            variant = full_variant_for(setting)
            if variant is None:
                raise UsageError(
                    "argument --method: no full model reduces to this setting "
                    "(cross-entropy with c > 2 needs alpha = 1/c and beta = 1/(c - 1))"
                )
            if sigma > 0 and args.samples is None:
                raise UsageError("argument --samples: required when --sigma > 0")
            result = full_trajectory(
                args.paradigm, variant=variant, loss=setting.loss, classes=setting.classes,
                segments=_whole(setting.segments, "segments"), alpha=float(setting.alpha), beta=float(setting.beta),
                u0=u0, v0=v0, lr=lr, steps=steps, sigma=sigma, samples=args.samples if sigma > 0 else None,
                seed=args.seed, record_every=every,
            )
    if result.status.name == "DIVERGED":
        raise UsageError(f"argument --lr: {result.message}")
    # name the numbers the method could not follow (the rates and the start), not only the integrator's words
    where = f"--alpha {float(setting.alpha):g}, --beta {float(setting.beta):g}, --u0 {u0:g}, --v0 {v0:g}"
    if result.status.degenerate:  # the loss, not the input: a result not available, with its reason
        fault = _loss_fault(model, v0)
        print(f"{PROGRAM}: the {args.method} method gives no trajectory at {where}: {result.status.value}: {result.message}"
              + (f" ({fault})" if fault else ""), file=sys.stderr)
        return NOT_AVAILABLE
    if not result.ok:
        fault = _loss_fault(model, v0)
        if fault is not None:
            raise UsageError(f"argument --segment-loss: {fault}: the flow is not defined or not smooth there "
                             f"(the {args.method} method stopped: {result.message})")
        raise UsageError(f"argument --method {args.method}: {result.status.value} at {where}: {result.message}")
    if args.format == "json":
        record = {"t": result.t.tolist(), "u": result.u.tolist(), "v": result.v.tolist()}
        if result.p is not None:
            record["p"] = result.p.tolist()
        record.update({"method": result.method, "message": result.message, "model": model_description(setting)})
        print(_json(record))
    else:
        # rows from another method than the one asked for (the closed form's log-time fallback) say so in a column
        marked = args.method == "closed" and result.method != "closed"
        print(("t,u,v,p" if result.p is not None else "t,u,v") + (",method" if marked else ""))
        for row in result.rows():
            print(",".join(repr(float(x)) for x in row) + (f",{result.method}" if marked else ""))
    return 0


def _loss_fault(model, v0: float) -> str | None:
    """What is wrong with a custom segment loss on the margin's way (between v0 and the loss's descent
    limit): not real, not finite or a kink -- so that a failed method says that, not only "overflow" or
    the integrator's words; ``None`` when nothing is."""
    from analytic.losses import fault_near, real_domain

    setting = model.setting
    if setting.loss_name != "custom" or setting.segment_loss is None:
        return None
    loss = setting.segment_loss.expr.subs(setting.values)
    # on the margin's way: the ends of the loss's real domain between v0 and the descent limit, and the limit itself
    low, high = sorted((v0, model.loss_minimiser))
    ends = {float(x) for piece in real_domain(loss) for x in (piece.start, piece.end) if x.is_finite and low <= x <= high}
    for where in sorted(ends | ({model.loss_minimiser} if math.isfinite(model.loss_minimiser) else set())):
        fault = fault_near(loss, where)
        if fault is not None:
            return fault
    return None


def model_description(setting) -> dict:
    """Names and expressions of a setting's model, for JSON output (custom models show their expression)."""
    description = {"paradigm": setting.paradigm_name, "loss": setting.loss_name}
    if setting.expr is not None:
        description["expression"] = str(setting.expr)
    else:
        if setting.scheme.is_custom:
            description["aggregate"] = setting.scheme.text
        if setting.loss_name == "custom":
            description["segment_loss"] = str(setting.segment_loss.expr)
    if setting.params:
        description["params"] = {name: float(value) for name, value in setting.params}
    return description


def study_of(args, values: dict, setting):
    """The typed study (setting, start, horizon) of the command line."""
    from trajectories.presets import Study

    return Study(setting, values["u0"], values["v0"], values.get("horizon"), getattr(args, "preset", None))


def _paradigm_or_custom(args):
    if args.paradigm is None and args.aggregate is None and args.expr is None:
        raise UsageError("argument --paradigm: required (or a custom model with --aggregate or --expr)")
    return args.paradigm


def _whole(value, label: str) -> int:
    number = float(value)
    if not number.is_integer():
        raise UsageError(f"argument --{label}: the full model needs a whole number, got {value}")
    return int(number)


def run_compare(args) -> int:
    if args.state is not None:
        from validation.state_commands import run_state_compare

        return run_state_compare(args)
    if args.start is not None:
        raise UsageError("argument --start: only with --state (the two-parameter start is --u0, --v0)")
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, _paradigm_or_custom(args), values)
    from validation.compare import compare, comparison_latex, comparison_text

    comparison = compare(setting, values["u0"], values["v0"], float(args.t_end))
    if args.format == "json":
        print(_json(comparison.to_dict(), indent=2))
    elif args.format == "latex":
        print(comparison_latex(comparison))
    else:
        print(comparison_text(comparison))
    return 0


def run_laws(args) -> int:
    from validation.state_commands import run_laws as laws

    return laws(args)


def run_milestones(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values)
    from validation.paradigms import milestone_report

    hybrids = _hybrids(args.hybrid)
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


def run_sweep(args) -> int:
    hybrids = _hybrids(args.hybrid)
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
    from validation.sweep import SweepRequest, check_sweep, plane_of, run_sweep as compute

    if args.figures is not None:
        try:
            plane_of(axes)
        except ValueError as error:
            raise UsageError(f"argument --figures: {error}") from None

    horizon = float(args.t_max) if args.t_max is not None else math.inf
    request = SweepRequest(template, axes, tuple(args.targets), hybrids, horizon)
    report = compute(request, workers=args.workers)
    for line in request.skipped():
        print(f"{PROGRAM}: note: {line}", file=sys.stderr)
    if args.check:
        report = check_sweep(report, args.check)
    if args.figures is not None:  # before the table: a problem with the figures comes before any output
        from validation.phase_diagrams import write_phase_diagrams

        for path in write_phase_diagrams(args.figures, report, force=args.force):
            print(f"{PROGRAM}: wrote {path}", file=sys.stderr)
    print(_json(report.to_dict(), indent=1) if args.format == "json" else report.to_csv(), end="" if args.format == "csv" else "\n")
    if args.check:  # in every format (the JSON also has it as check_worst_relative; a CSV has no place for it)
        passed = report.check <= CHECK_RTOL
        print(f"{PROGRAM}: --check {'passed' if passed else 'failed'}: {min(args.check, request.size)} random settings of each "
              f"paradigm (the hybrids are not checked) against "
              f"solve_ivp event detection, largest relative difference {report.check:.1e} (tolerance {CHECK_RTOL:.0e})",
              file=sys.stderr)
        if not passed:
            return CHECK_FAILED
    return 0


def run_best_switch(args) -> int:
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
        print(_json(record, indent=2))
    else:
        print(
            f"fastest to p = {number_label(target)}: soft until p_s = {best.attention:.6g}, then {best.after}: t = {best.time:.6g}\n"
            f"  pure soft {_time_text(best.soft_time)}, pure hard {_time_text(best.hard_time)}, pure LVML {_time_text(best.lvml_time)}"
        )
    return 0


def _time_text(value) -> str:
    return "never" if value is None else f"t = {value:.6g}"


def run_growth(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss",))
    from validation.growth import growth_table

    checks, skipped = growth_table(setting, values["u0"], values["v0"])
    if args.format == "json":
        print(_json([check.to_dict() for check in checks] + [{"paradigm": name, "not_available": why} for name, why in skipped],
                    indent=2))
    elif args.format == "latex":
        print("\n\n".join(check.law.to_latex() for check in checks))
    else:
        lines = []
        for check in checks:
            law = check.law
            u_text = str(law.focus) if law.focus is not None else f"finite limit u_inf = {check.limits[0]:.10g}"
            v_text = str(law.margin) if law.margin is not None else (
                f"finite limit v_inf = {check.limits[1]:.10g}" if check.limits else f"-> {law.margin_limit}, |v_inf - v| ~ exp(-{law.margin_rate} t)"
            )
            ratios = ", ".join(f"t = {t:.0e}: {_ratio_text(ru)} / {_ratio_text(rv)}"
                               for t, ru, rv in zip(check.times, check.focus_ratio, check.margin_ratio))
            lines += [
                f"{check.setting.paradigm}: u(t) ~ {u_text}  [{law.focus_kind}]",
                f"{'':{len(check.setting.paradigm)}}  v(t) ~ {v_text}  [{law.margin_kind}]",
                f"{'':{len(check.setting.paradigm)}}  prediction / integration (u / v): {ratios}",
            ]
            lines += [f"{'':{len(check.setting.paradigm)}}  n/a for {name}: {why}" for name, _, why in check.notes]
        print("\n".join(lines))
    _skipped_notes(skipped)
    return 0


def _skipped_notes(skipped, where: str = "the table") -> None:
    """One line on stderr per paradigm a table or the figures leave out, with the reason (the rest stands)."""
    for name, why in skipped:
        print(f"{PROGRAM}: note: {name} is not in {where}: {why}", file=sys.stderr)


def _ratio_text(value: float) -> str:
    """A growth ratio, or ``n/a`` where it is not a finite number (the reason is printed below it)."""
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.4f}" if abs(value) >= 1e-3 else f"{value:.2e}"  # a ratio far from 1 shows its size, not -0.0000


def run_signature(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss",))
    from validation.signature import signature

    loss = values["loss"] if isinstance(setting.loss, str) else custom(setting.segment_loss.expr.subs(setting.values))
    table = signature(loss, values["classes"], values["beta"])
    print(_json(table.to_dict(), indent=2) if args.format == "json" else table.latex() if args.format == "latex" else table.text())
    _skipped_notes(table.skipped)
    return 0


def run_paper(args) -> int:
    values = resolve(args, "paper")
    study = study_of(args, values, numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss",)))
    from validation.paper import float_table, write_paper
    from validation.paradigms import milestone_report

    horizon = study.horizon or 1e3
    report = milestone_report(study.setting, study.u0, study.v0, _targets(DEFAULT_TARGETS), horizon)
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


def run_reproduce(args) -> int:
    from validation.reproduce import reproduce, summary_table

    stages = ["derivations", "cross-checks, milestones, growth laws, sweep, snippets and figures", "sweep report", "paper"]  # reproduce's steps
    bar = None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(stages), desc="reproduce", leave=False)

    started = time.monotonic()

    def step(name):
        if bar is not None:
            bar.set_description(name)
            bar.update(0 if name == stages[0] else 1)
        else:  # not a terminal (piped, CI): one line per stage
            print(f"reproduce: {name} (after {time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

    summary = reproduce(args.out, force=args.force, step=step, sweep_axis=args.sweep_axis)
    if bar is not None:
        bar.close()
    print(summary_table(summary))
    print(f"written to {args.out}/ (summary.json, paper/paper.tex, paper/figures/)")
    return 0


def run_figures(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    # validated before any directory is created
    study = study_of(args, values, numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss", "attention")))
    from validation.figures import drawn_paradigms, write_figures  # matplotlib

    try:
        written = write_figures(args.out, study, force=args.force)  # a new directory appears complete or not at all
    except ValueError as error:
        if "`out`" in str(error) or isinstance(error, (OutOfTime, NotAvailable)):
            raise
        # a number the figures need cannot be computed here: say for which rates and start
        s = study.setting
        raise UsageError(f"the figures cannot be drawn at --alpha {float(s.alpha):g}, --beta {float(s.beta):g}, "
                         f"--u0 {study.u0:g}, --v0 {study.v0:g}: {error}") from None
    print("\n".join(str(path) for path in written))
    _skipped_notes(drawn_paradigms(study)[1], "the figures")
    return 0


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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    from analytic.plugins import PluginError

    try:
        parser = build_parser()  # the registries' choices: entry-point plugins are loaded here
    except PluginError as error:  # an installed package's plugin: one line naming it, not a traceback of ours
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    problem = _stdout_problem()
    if problem is not None:
        print(f"{PROGRAM}: error: {problem}: the output would be lost (redirect it, e.g. > out.txt)", file=sys.stderr)
        return STDOUT_FAILED
    stream = sys.stdout
    sys.stdout = _CheckedStdout(stream)
    try:
        args = parser.parse_args(joined_values(sys.argv[1:] if argv is None else argv))
        cache.set_enabled(not getattr(args, "no_cache", False))
        cache.set_reporter(lambda text: print(f"{PROGRAM}: note: {text}", file=sys.stderr))
        status = args.handler(args)
        sys.stdout.flush()  # a full disk shows here, while the status can still say so
        return status
    except StdoutFailed as error:
        _discard_stdout(stream)
        print(f"{PROGRAM}: error: could not write the output to stdout: {error}", file=sys.stderr)
        return STDOUT_FAILED
    except UsageError as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except OutOfTime as error:  # a result not available (before ValueError: it is one)
        print(f"{PROGRAM}: not computed: {error}", file=sys.stderr)
        return NOT_AVAILABLE
    except (NotAvailable, NotResolved) as error:  # the input is fine; the result is not given here (before ValueError: it is one)
        print(f"{PROGRAM}: {'not resolved' if isinstance(error, NotResolved) else 'not available'}: {error}", file=sys.stderr)
        return NOT_AVAILABLE
    except (ValueError, TypeError) as error:
        print(f"{PROGRAM}: error: {error}", file=sys.stderr)
        return USAGE_ERROR
    except KeyboardInterrupt:  # Ctrl-C: temporary files are removed by the writers' own cleanup
        return interrupted()
    finally:
        sys.stdout = stream


def _discard_stdout(stream) -> None:
    """Point a failed stdout at /dev/null, so the interpreter's last flush of what is left does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass  # not a file descriptor (a test's capture): nothing is flushed at exit


if __name__ == "__main__":
    sys.exit(main())
