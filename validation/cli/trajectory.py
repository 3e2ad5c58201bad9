"""The ``trajectory`` command."""

from __future__ import annotations

import math
import sys

from trajectories.limits import MAX_POINTS, MAX_STEPS
from validation.program import PROGRAM

from .arguments import (
    add_setting_options, add_state_options, DEFAULT_LR, integer_option, number_option, paradigm_choices,
    TRAJECTORY_METHODS,
)
from .model_options import model_description, two_parameter_model, whole_number
from .reporting import json_text
from .status import NOT_AVAILABLE, UsageError


def add_parser(commands) -> None:
    """The ``trajectory`` command's options."""
    trajectory_parser = commands.add_parser("trajectory", help="one trajectory: closed form, ODE, gradient descent or full model")
    trajectory_parser.add_argument("--paradigm", default=None, help=paradigm_choices(" (or --aggregate / --expr)"))
    trajectory_parser.add_argument("--expr", default=None, help='a custom two-parameter loss "L(u, v)" (or of the states of --state)')
    add_state_options(trajectory_parser, start=True)
    add_setting_options(trajectory_parser)
    trajectory_parser.add_argument("--t-end", dest="t_end", type=number_option("t-end", 0, False), required=True, help="horizon > 0")
    trajectory_parser.add_argument("--points", type=integer_option("points", 1, MAX_POINTS), default=101, help=f"output points (default 101, at most {MAX_POINTS:.0e})")
    trajectory_parser.add_argument("--method", choices=TRAJECTORY_METHODS, default=None,
                                   help="closed (default), ode, gd or full; with --state: ode (default) or gd")
    trajectory_parser.add_argument("--lr", type=number_option("lr", 0, False), default=None, help="learning rate for gd and full (default 0.1)")
    trajectory_parser.add_argument("--sigma", type=number_option("sigma", 0, True), default=None, help="noise of the full model (default 0)")
    trajectory_parser.add_argument("--samples", type=integer_option("samples", 1), default=None, help="examples of the full model when sigma > 0")
    trajectory_parser.add_argument("--seed", type=integer_option("seed", 0), default=0)
    trajectory_parser.add_argument("--format", choices=("csv", "json"), default="csv")
    trajectory_parser.set_defaults(handler=run)


def run(args) -> int:
    if args.state is not None:
        from .state_models import run_state_trajectory

        return run_state_trajectory(args)
    values, setting = two_parameter_model(args)
    args.method = args.method or "closed"
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
                segments=whole_number(setting.segments, "segments"), alpha=float(setting.alpha), beta=float(setting.beta),
                u0=u0, v0=v0, lr=lr, steps=steps, sigma=sigma, samples=args.samples if sigma > 0 else None,
                seed=args.seed, record_every=every,
            )
    if result.status.name == "DIVERGED":
        raise UsageError(f"argument --lr: {result.message}")
    # name the numbers the method could not follow (the rates and the start), not only the integrator's words
    where = f"--alpha {float(setting.alpha):g}, --beta {float(setting.beta):g}, --u0 {u0:g}, --v0 {v0:g}"
    if result.status.degenerate:  # the loss, not the input: a result not available, with its reason
        fault = loss_fault(model, v0)
        print(f"{PROGRAM}: the {args.method} method gives no trajectory at {where}: {result.status.reason}: {result.message}"
              + (f" ({fault})" if fault else ""), file=sys.stderr)
        return NOT_AVAILABLE
    if not result.ok:
        fault = loss_fault(model, v0)
        if fault is not None:
            raise UsageError(f"argument --segment-loss: {fault}: the flow is not defined or not smooth there "
                             f"(the {args.method} method stopped: {result.message})")
        raise UsageError(f"argument --method {args.method}: {result.status.reason} at {where}: {result.message}")
    if args.format == "json":
        record = {"t": result.t.tolist(), "u": result.u.tolist(), "v": result.v.tolist()}
        if result.p is not None:
            record["p"] = result.p.tolist()
        record.update({"method": result.method, "message": result.message, "model": model_description(setting)})
        print(json_text(record))
    else:
        # rows from another method than the one asked for (the closed form's log-time fallback) say so in a column
        marked = args.method == "closed" and result.method != "closed"
        print(("t,u,v,p" if result.p is not None else "t,u,v") + (",method" if marked else ""))
        for row in result.rows():
            print(",".join(repr(float(x)) for x in row) + (f",{result.method}" if marked else ""))
    return 0


def loss_fault(model, v0: float) -> str | None:
    """What is wrong with a custom segment loss on the margin's way (between v0 and the loss's descent
    limit): not real, not finite or a kink -- so that a failed method says that, not only "overflow" or
    the integrator's words; ``None`` when nothing is."""
    from analytic.losses import fault_near, real_domain

    setting = model.setting
    if setting.loss_name != "custom" or setting.segment_loss is None:
        return None
    loss = setting.bound_loss.expr
    # on the margin's way: the ends of the loss's real domain between v0 and the descent limit, and the limit itself
    low, high = sorted((v0, model.loss_minimiser))
    ends = {float(x) for piece in real_domain(loss) for x in (piece.start, piece.end) if x.is_finite and low <= x <= high}
    for where in sorted(ends | ({model.loss_minimiser} if math.isfinite(model.loss_minimiser) else set())):
        fault = fault_near(loss, where)
        if fault is not None:
            return fault
    return None
