"""The handlers of models with ``--state`` and of ``laws`` (called by the commands derive, trajectory, compare, laws).

Every problem with the input is one line naming the argument (exit 2); a flow that
could not be certified, or laws the polynomial search did not find, are said on
stderr with exit status 1.
"""

from __future__ import annotations

import sys

from analytic import symbols as sym
from analytic.errors import BadInput
from analytic.states import StateModel, state_model
from trajectories.limits import MAX_STEPS
from validation.program import PROGRAM

from .arguments import DEFAULT_LR, NUMERIC_PRESET
from .model_options import resolve
from .reporting import json_text as _json
from .status import CHECK_FAILED, NOT_AVAILABLE, UsageError

STATE_METHODS = ("ode", "gd")
#: Options of the two-parameter models that a model of --state does not take.
TWO_PARAMETER_OPTIONS = (("paradigm", "--paradigm"), ("loss", "--loss"), ("segment_loss", "--segment-loss"),
                         ("aggregate", "--aggregate"), ("attention", "--attention"), ("u0", "--u0"), ("v0", "--v0"))
SETTING_SYMBOLS = {"alpha": sym.alpha, "beta": sym.beta, "segments": sym.T, "classes": sym.c}


def model_of(args, numeric: bool) -> StateModel:
    """The model of ``--state`` and ``--expr``, with the setting's and ``--param`` values in place.

    ``numeric`` commands need a number for every parameter (the rates from ``--alpha``,
    ``--beta`` or the preset); ``derive`` keeps the rest symbolic.
    """
    for key, option in TWO_PARAMETER_OPTIONS:
        value = getattr(args, key, None)
        if value is not None and not (key == "paradigm" and value == "all"):
            raise UsageError(f"argument {option}: not with --state (a model of --state is the loss --expr of its states)")
    if args.expr is None:
        raise UsageError("argument --state: needs the loss of the states as --expr \"L(...)\"")
    try:
        model = state_model(args.state, args.expr, label="--expr")
    except BadInput as error:
        raise UsageError(f"argument {error}") from None
    names = [name for name, _ in args.param]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"argument --param: {repeated[0]} is given more than once")
    known = {s.name for s in model.parameters}
    unused = sorted(set(names) - known)
    if unused:
        raise UsageError(f"argument --param: {unused[0]} is not a parameter of this model (its parameters: {', '.join(sorted(known)) or 'none'})")
    values = resolve(args, NUMERIC_PRESET if numeric else None)
    given = {symbol.name: values[key] for key, symbol in SETTING_SYMBOLS.items()
             if symbol.name in known and values.get(key) is not None and values[key] is not symbol}
    given.update(dict(args.param))
    model = model.with_values(given)
    if numeric and model.parameters:
        missing = model.parameters[0].name
        option = next((f"--{key}" for key, symbol in SETTING_SYMBOLS.items() if symbol.name == missing), f"--param {missing}=VALUE")
        raise UsageError(f"argument --param: no value for the parameter {missing} (add {option})")
    return model


def _compiled(args):
    from trajectories.nstate import compile_states

    model = model_of(args, numeric=True)
    unknown = sorted(set(args.start or {}) - set(model.names))
    if unknown:
        raise UsageError(f"argument --start: {unknown[0]} is not a state of --state ({', '.join(model.names)})")
    try:
        return model, compile_states(model)
    except BadInput as error:
        raise UsageError(f"argument --expr: {error}") from None


def description(model: StateModel) -> dict:
    return {"states": list(model.names), "rates": [str(rate) for rate in model.rates], "expression": str(model.loss)}


def run_state_derive(args) -> int:
    from analytic.states import state_flow

    if args.format == "latex":
        raise UsageError("argument --format: latex is not available with --state (text or json)")
    flow = state_flow(model_of(args, numeric=False))
    print(_json(flow.to_dict(), indent=2) if args.format == "json" else flow.text())
    if not flow.certified:
        print(f"{PROGRAM}: not certified ({', '.join(c.name for c in flow.certificate.failures())}): do not use this flow unchecked",
              file=sys.stderr)
        return CHECK_FAILED
    return 0


def run_state_trajectory(args) -> int:
    from trajectories.nstate import state_gradient_descent, state_ode

    method = args.method or "ode"
    if method not in STATE_METHODS:
        raise UsageError(f"argument --method: a model of --state is integrated by {' or '.join(STATE_METHODS)}, got {method!r}")
    for option, value in (("--sigma", args.sigma), ("--samples", args.samples)):
        if value is not None:
            raise UsageError(f"argument {option}: only for --method full, not with --state")
    model, compiled = _compiled(args)
    t_end = float(args.t_end)
    if method == "ode":
        result = state_ode(compiled, args.start, t_end, args.points)
    else:
        lr = DEFAULT_LR if args.lr is None else float(args.lr)
        if t_end / lr > MAX_STEPS:
            raise UsageError(f"argument --t-end: {t_end:g} / lr {lr:g} is {t_end / lr:.1e} steps, more than the limit {MAX_STEPS:.0e}")
        steps = max(1, int(round(t_end / lr)))
        result = state_gradient_descent(compiled, args.start, lr, steps, record_every=max(1, steps // max(1, args.points - 1)))
    if not result.ok:
        print(f"{PROGRAM}: the {method} method gives no trajectory from --start {args.start or {}}: {result.status.reason}: "
              f"{result.message}", file=sys.stderr)
        return NOT_AVAILABLE
    if args.format == "json":
        record = result.to_dict()
        record["model"] = description(model)
        print(_json(record))
    else:
        print(",".join(("t",) + model.names))
        for row in result.rows():
            print(",".join(repr(float(x)) for x in row))
    return 0


def run_state_compare(args) -> int:
    from validation.states import compare_states

    if args.format == "latex":
        raise UsageError("argument --format: latex is not available with --state (text or json)")
    model, compiled = _compiled(args)
    start = {name: float((args.start or {}).get(name, 0.0)) for name in model.names}
    try:
        comparison = compare_states(compiled, start, float(args.t_end))
    except BadInput as error:
        raise UsageError(f"argument --t-end: {error}") from None
    print(_json(comparison.to_dict(), indent=2) if args.format == "json" else comparison.text())
    return 0


def run_laws(args) -> int:
    from analytic.laws import conservation_laws

    names, rates = args.state
    try:
        result = conservation_laws(names, args.map, rates=rates, degree=args.degree)
    except BadInput as error:
        raise UsageError(f"argument --map: {error}") from None
    print(_json(result.to_dict(), indent=2) if args.format == "json" else result.text())
    if not result.certified:
        print(f"{PROGRAM}: a law is not certified: {', '.join(c.name for c in result.certificate.failures())}", file=sys.stderr)
        return CHECK_FAILED
    if not result.complete:
        print(f"{PROGRAM}: {result.note}", file=sys.stderr)
        return NOT_AVAILABLE
    return 0
