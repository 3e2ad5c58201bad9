"""The ``growth`` command."""

from __future__ import annotations

import math

from analytic.paradigms import FIRST_STAGE

from .arguments import add_setting_options, NUMERIC_PRESET
from .model_options import numeric_setting, resolve
from .reporting import json_text, skipped_notes


def add_parser(commands) -> None:
    """The ``growth`` command's options."""
    growth_parser = commands.add_parser("growth", help="large-time growth laws of u(t) and v(t), checked to t = 1e8")
    add_setting_options(growth_parser)
    growth_parser.add_argument("--format", choices=("text", "json", "latex"), default="text")
    growth_parser.set_defaults(handler=run)


def run(args) -> int:
    values = resolve(args, NUMERIC_PRESET)
    setting = numeric_setting(args, FIRST_STAGE, values, custom_allowed=("segment_loss",))
    from validation.growth import growth_table

    checks, skipped = growth_table(setting, values["u0"], values["v0"])
    if args.format == "json":
        print(json_text([check.to_dict() for check in checks] + [{"paradigm": name, "not_available": why} for name, why in skipped],
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
            ratios = ", ".join(f"t = {t:.0e}: {ratio_text(ru)} / {ratio_text(rv)}"
                               for t, ru, rv in zip(check.times, check.focus_ratio, check.margin_ratio))
            lines += [
                f"{check.setting.paradigm}: u(t) ~ {u_text}  [{law.focus_kind}]",
                f"{'':{len(check.setting.paradigm)}}  v(t) ~ {v_text}  [{law.margin_kind}]",
                f"{'':{len(check.setting.paradigm)}}  prediction / integration (u / v): {ratios}",
            ]
            lines += [f"{'':{len(check.setting.paradigm)}}  n/a for {name}: {why}" for name, _, why in check.notes]
        print("\n".join(lines))
    skipped_notes(skipped)
    return 0


def ratio_text(value: float) -> str:
    """A growth ratio, or ``n/a`` where it is not a finite number (the reason is printed below it)."""
    if not math.isfinite(value):
        return "n/a"
    return f"{value:.4f}" if abs(value) >= 1e-3 else f"{value:.2e}"  # a ratio far from 1 shows its size, not -0.0000
