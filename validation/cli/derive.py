"""The ``derive`` command."""

from __future__ import annotations

import sys

from analytic import symbols as sym
from analytic.losses import by_name, custom, LOSS_ALIASES, loss_names
from validation.program import PROGRAM

from .arguments import add_latex_options, add_setting_options, add_state_options, LATEX_PIECES, number_option, paradigm_choices
from .model_options import choices_of, custom_parts, resolve
from .reporting import json_text
from .status import CHECK_FAILED, UsageError


def add_parser(commands) -> None:
    """The ``derive`` command's options."""
    derive_parser = commands.add_parser("derive", help="derive loss, flow, first integral, trajectory, fixed focus")
    derive_parser.add_argument("--paradigm", default="all", help=paradigm_choices(" or all (default all)"))
    add_setting_options(derive_parser, start=False)
    derive_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)" (or of the states of --state)')
    add_state_options(derive_parser, start=False)
    derive_parser.add_argument("--budget", type=number_option("budget", 0, False), default=None, help="seconds per derivation (default 60)")
    derive_parser.add_argument("--format", choices=("text", "latex", "json"), default="text")
    add_latex_options(derive_parser)
    derive_parser.add_argument("--only", action="append", choices=LATEX_PIECES, default=None,
                               help="LaTeX of one piece (repeatable): " + ", ".join(LATEX_PIECES))
    derive_parser.set_defaults(handler=run)


def run(args) -> int:
    if args.state is not None:
        from .state_models import run_state_derive

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
    # an unused --param is refused as by `trajectory` (same one-line text); a parameter of one part only is fine
    used = {s.name for key, get in (("expr", lambda x: x), ("aggregate", lambda x: x.aggregation),
                                    ("segment_loss", lambda x: x.expr), ("attention", lambda x: x))
            if parts[key] is not None for s in sym.parameters_of(get(parts[key]))}
    for symbol in given:
        if symbol.name not in used:
            raise UsageError(f"argument --param: {symbol.name} is not a parameter of this model")
    if parts["expr"] is not None:
        expr = parts["expr"].subs(given)
        expr = expr.subs({s: values[key] for key, s in (("classes", sym.c), ("segments", sym.T)) if values.get(key) is not None})
        derivations = [derive_custom(expr, **rates, **options)]
    else:
        if parts["aggregate"] is not None:
            scheme = parts["aggregate"]
            paradigms = [custom_paradigm(scheme.aggregation.subs(given), scheme.text)]
        else:
            paradigms = choices_of(args.paradigm, paradigm_names(), "paradigm")  # issue 17 registry
        if parts["segment_loss"] is not None:
            ell = parts["segment_loss"].expr.subs(sym.c, values["classes"])
            losses = [custom(ell.subs(given))]
        else:
            names = choices_of(values["loss"], loss_names(aliases=True), "loss")  # issue 17 registry
            losses = [by_name(name, values["classes"]) for name in names if name not in LOSS_ALIASES or len(names) == 1]
        if parts["attention"] is not None:
            options["attention"] = parts["attention"].subs(given)
        derivations = [
            derive(paradigm, loss, segments=values["segments"], **rates, **options) for loss in losses for paradigm in paradigms
        ]
    if args.format == "json":
        print(json_text([d.to_dict() for d in derivations], indent=2))
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
