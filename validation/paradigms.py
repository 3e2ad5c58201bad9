"""The paradigms side by side: attention milestones (closed form, optionally cross-checked)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from trajectories.hybrid import hybrid_milestones
from trajectories.milestones import Milestone, milestones, ode_milestones
from trajectories.model import Setting, reduced_model

from analytic.paradigms import PARADIGMS

from .numbers import latex_number

PARADIGM_NAMES = tuple(PARADIGMS)
CHECK_TOLERANCE = 1e-6  # relative difference of closed-form and event-detection times accepted by --check


@dataclass(frozen=True)
class MilestoneReport:
    """Milestone times per paradigm (and hybrid) for one setting and start.

    ``rows`` maps a name (``"soft"``, ``"soft:hard@p=0.5"``, ...) to its
    milestones; ``ode_check`` is the largest relative difference from
    ``solve_ivp`` event detection (``None`` when not run).
    """

    setting: Setting
    u0: float
    v0: float
    targets: tuple
    horizon: float
    rows: dict
    ode_check: float | None

    @property
    def check_passed(self) -> bool | None:
        """Whether the closed-form times agree with event detection to :data:`CHECK_TOLERANCE` (``None`` if not checked)."""
        return None if self.ode_check is None else bool(self.ode_check <= CHECK_TOLERANCE)

    def to_dict(self) -> dict:
        def times(entries, beyond=False):
            out = {}
            for m in entries:
                value = m.time_any if beyond else m.time
                out[format_target(m.target)] = None if (beyond and m.time is not None) else value
            return out

        return {
            "targets": list(self.targets),
            "times": {name: times(entries) for name, entries in self.rows.items()},
            "beyond_horizon": {name: times(entries, beyond=True) for name, entries in self.rows.items()},
            "unreachable": {name: [m.target for m in entries if not m.reachable] for name, entries in self.rows.items()},
            "t_max": self.horizon,
            "ode_check_max_relative_difference": self.ode_check,
        }

    def render(self, format: str) -> str:
        if format == "json":
            return json.dumps(self.to_dict(), indent=2)
        if format == "latex":
            return self.latex()
        return self.text()

    def text(self) -> str:
        s = self.setting
        lines = [
            f"attention milestones: {s.model_text} (c = {s.classes}), T = {s.segments}, alpha = {s.alpha}, beta = {s.beta},"
            f" start ({self.u0:g}, {self.v0:g}), horizon t <= {self.horizon:g}",
            f"{'':>22}" + "".join(f"{'p = ' + format_target(x):>16}" for x in self.targets),
        ]
        notes = []
        for name, entries in self.rows.items():
            cells = []
            for m in entries:
                if m.time is not None:
                    cells.append(f"{m.time:16.6g}")
                elif m.reachable:
                    cells.append(f"{'> horizon':>16}")
                    notes.append(f"{name} reaches p = {format_target(m.target)} only at t = {m.time_any:.6g}, beyond the horizon {self.horizon:g}")
                else:
                    cells.append(f"{'never':>16}")
                    notes.append(f"{name} never reaches p = {format_target(m.target)}: its attention converges below it")
            lines.append(f"{name:>22}" + "".join(cells))
        lines += [f"  note: {note}" for note in notes]
        if self.ode_check is not None:
            verdict = "agrees" if self.check_passed else "DISAGREES"
            lines.append(f"  solve_ivp event detection {verdict}: largest relative difference {self.ode_check:.1e} (tolerance {CHECK_TOLERANCE:.0e})")
        return "\n".join(lines)

    def latex(self) -> str:
        header = " & ".join(["paradigm"] + [f"$p = {format_target(x)}$" for x in self.targets])
        body = []
        for name, entries in self.rows.items():
            cells = [_latex_time(m) for m in entries]
            body.append("    " + " & ".join([_latex_name(name)] + cells) + r" \\")
        columns = "l" + "r" * len(self.targets)
        return "\n".join(
            [rf"\begin{{tabular}}{{{columns}}}", r"    \toprule", f"    {header} \\\\", r"    \midrule", *body, r"    \bottomrule", r"\end{tabular}"]
        )


def format_target(target: float) -> str:
    return f"{target:g}"


def _latex_time(m: Milestone) -> str:
    if m.time is not None:
        return latex_number(m.time, 4)
    if m.reachable:
        return rf"$> {latex_number(m.horizon, 3, math_mode=False)}$ (${latex_number(m.time_any, 3, math_mode=False)}$)"
    return r"never"


def _latex_name(name: str) -> str:
    return name.replace("lvml", "LVML").replace("@", " at ").replace("_", r"\_")


def milestone_report(setting: Setting, u0: float, v0: float, targets, horizon: float, hybrids=(), *, check: bool = False) -> MilestoneReport:
    """Milestones of every registered paradigm (and the setting's custom one), and the given hybrids (closed form)."""
    if setting.scheme is None:
        raise ValueError("`setting` is a whole loss L(u, v): it has no attention, so no attention milestones")
    schemes = {name: setting.with_paradigm(name) for name in PARADIGMS}
    if setting.scheme.is_custom:
        schemes["custom"] = setting
    rows = {}
    for name, each in schemes.items():
        rows[name] = milestones(reduced_model(each), u0, v0, targets, horizon)
    for switch in hybrids:
        rows[switch.label] = hybrid_milestones(setting, switch, u0, v0, targets, horizon)
    worst = None
    if check:
        worst = 0.0
        for name, each in schemes.items():
            model = reduced_model(each)
            for closed, event in zip(rows[name], ode_milestones(model, u0, v0, targets, horizon)):
                if closed.time is None or event is None:
                    if (closed.time is None) != (event is None):
                        worst = float("inf")
                    continue
                worst = max(worst, abs(closed.time - event) / abs(event) if event else abs(closed.time))
    return MilestoneReport(setting, u0, v0, tuple(targets), horizon, rows, worst)
