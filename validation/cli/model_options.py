"""From the command line's options to the typed setting: presets, explicit values, custom expressions, parameters."""

from __future__ import annotations

from collections.abc import Sequence

import sympy as sp

from analytic import symbols as sym
from analytic.errors import BadInput
from analytic.losses import CLASS_LOSS, custom, loss_names
from analytic.parsing import parse_expression

from .arguments import NUMERIC_PRESET
from .status import UsageError


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
            parts["expr"] = sym.canonical_symbols(parsed(expr_text, EXPR_SYMBOLS, "--expr"), "--expr", forbidden=("p", "u0", "v0", "t"))
        except BadInput as error:
            raise UsageError(f"argument {error}") from None
    if getattr(args, "aggregate", None) is not None:
        if getattr(args, "paradigm", None) not in (None, "all"):
            raise UsageError("argument --aggregate: a custom paradigm cannot be combined with --paradigm")
        from analytic.paradigms import SEGMENT, custom_paradigm

        try:
            parts["aggregate"] = custom_paradigm(
                parsed(args.aggregate, {"p": sym.p, "v": sym.v}, "--aggregate", applied={"l": SEGMENT}), args.aggregate
            )
        except BadInput as error:
            raise UsageError(f"argument --aggregate: {error}") from None
    if getattr(args, "attention", None) is not None:
        if parts["expr"] is not None:
            raise UsageError("argument --attention: a whole loss L(u, v) has no attention map")
        from analytic.derivation import check_attention

        try:
            parts["attention"] = check_attention(parsed(args.attention, {"u": sym.u, "T": sym.T}, "--attention"))
        except BadInput as error:
            raise UsageError(f"argument --attention: {error}") from None
    if getattr(args, "segment_loss", None) is not None:
        if getattr(args, "loss", None) is not None:
            raise UsageError("argument --segment-loss: a custom segment loss cannot be combined with --loss")
        try:
            parts["segment_loss"] = custom(parsed(args.segment_loss, LOSS_SYMBOLS, "--segment-loss"))
        except BadInput as error:
            raise UsageError(f"argument --segment-loss: {error}") from None
    return parts


EXPR_SYMBOLS = {s.name: s for s in (sym.u, sym.v, sym.T, sym.c, sym.alpha, sym.beta)}
LOSS_SYMBOLS = {s.name: s for s in (sym.v, sym.T, sym.c, sym.alpha, sym.beta)}


def parsed(text: str, names: dict, label: str, applied=None) -> sp.Expr:
    try:
        return parse_expression(text, names, label=label, parameters=True, applied=applied)
    except BadInput as error:
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
            choices_of(scheme, paradigm_names(), "paradigm", allow_all=False)  # issue 17 registry
        loss = parts["segment_loss"]
        if loss is None:
            choices_of(values["loss"], loss_names(aliases=True), "loss", allow_all=False)  # issue 17 registry
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


def choices_of(value: str, allowed: Sequence[str], label: str, allow_all: bool = True) -> list[str]:
    if value == "all" and allow_all:
        return list(allowed)
    if value not in allowed:
        extra = " or all" if allow_all else ""
        raise UsageError(f"argument --{label}: must be one of {', '.join(allowed)}{extra}, got {value!r}")
    return [value]


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


def paradigm_or_custom(args):
    if args.paradigm is None and args.aggregate is None and args.expr is None:
        raise UsageError("argument --paradigm: required (or a custom model with --aggregate or --expr)")
    return args.paradigm


def two_parameter_model(args) -> tuple:
    """``(values, setting)`` of ``trajectory`` or ``compare`` without ``--state``: a paradigm (or custom model) in (u, v),
    its values from the options and the small preset (``--start`` belongs to ``--state``)."""
    if args.start is not None:
        raise UsageError("argument --start: only with --state (the two-parameter start is --u0, --v0)")
    values = resolve(args, NUMERIC_PRESET)
    return values, numeric_setting(args, paradigm_or_custom(args), values)


def whole_number(value, label: str) -> int:
    number = float(value)
    if not number.is_integer():
        raise UsageError(f"argument --{label}: the full model needs a whole number, got {value}")
    return int(number)
