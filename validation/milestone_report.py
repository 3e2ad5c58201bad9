"""The milestone report: the paradigms side by side, the first time each reaches every attention level.

Closed form, or the log-time ODE where the closed form cannot give it; optionally cross-checked by event detection.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass

from trajectories.checks import finite
from trajectories.choices import check_switches, check_targets, number_label
from trajectories.hybrid import hybrid_milestones
from trajectories.log_time import METHOD as LOG_TIME, METHOD_DETAIL
from trajectories.milestones import Milestone, milestones, ode_milestones
from trajectories.model import Setting, reduced_model

from analytic.budget import OutOfTime
from analytic.errors import BadInput, NotAvailable, NotResolved
from analytic.paradigms import PARADIGMS

from .numbers import latex_number

PARADIGM_NAMES = tuple(PARADIGMS)
CHECK_TOLERANCE = 1e-6  # relative difference of closed-form and event-detection times accepted by --check
NOT_RESOLVED = "not resolved"
ODE_MARK = "*"  # after a time found by the log-time ODE (text); $^{*}$ in LaTeX
LATEX_NOTE_WIDTH = r"0.9\textwidth"


@dataclass(frozen=True)
class MilestoneReport:
    """Milestone times per paradigm (and hybrid) for one setting and start.

    ``rows`` maps a name (``"soft"``, ``"soft:hard@p=0.5"``, ...) to its
    milestones (each says how it was found, or why it is not resolved);
    ``ode_check`` is the largest relative difference from ``solve_ivp`` event
    detection over the resolved times (``None`` when not run).
    """

    setting: Setting
    u0: float
    v0: float
    targets: tuple
    horizon: float
    rows: dict
    ode_check: float | None
    without_closed_form: tuple = ()  # rows whose model has no closed-form trajectory (every time by the ODE)

    @property
    def check_passed(self) -> bool | None:
        """Whether the closed-form times agree with event detection to :data:`CHECK_TOLERANCE` (``None`` if not checked)."""
        return None if self.ode_check is None else bool(self.ode_check <= CHECK_TOLERANCE)

    @property
    def unresolved(self) -> list:
        """``(name, milestone)`` of every cell that is not resolved."""
        return [(name, m) for name, entries in self.rows.items() for m in entries if not m.resolved]

    @property
    def complete(self) -> bool:
        """Whether every cell is resolved (a time, after the horizon, or never)."""
        return not self.unresolved

    def to_dict(self) -> dict:
        def times(entries, beyond=False):
            out = {}
            for m in entries:
                key = format_target(m.target)
                value = m.time_any if beyond else m.time
                out[key] = None if (beyond and m.time is not None) else value
                if not m.resolved:
                    out[f"{key}_reason"] = f"{NOT_RESOLVED}: {m.reason}"
            return out

        methods = {name: {format_target(m.target): m.method if m.resolved else None for m in entries} for name, entries in self.rows.items()}
        record = {
            "targets": list(self.targets),
            "times": {name: times(entries) for name, entries in self.rows.items()},
            "beyond_horizon": {name: times(entries, beyond=True) for name, entries in self.rows.items()},
            "unreachable": {name: [m.target for m in entries if m.reachable is False] for name, entries in self.rows.items()},
            "methods": methods,
            "status": {name: {format_target(m.target): m.status.value for m in entries} for name, entries in self.rows.items()},
            "not_resolved": {name: {format_target(m.target): m.reason for m in entries if not m.resolved}
                             for name, entries in self.rows.items() if any(not m.resolved for m in entries)},
            "complete": self.complete,
            "t_max": self.horizon,
            "ode_check_max_relative_difference": self.ode_check,
        }
        if self._by_ode():
            record["method_details"] = {LOG_TIME: METHOD_DETAIL}
        return record

    def render(self, format: str) -> str:
        if format == "json":
            from analytic.report import strict_json

            return json.dumps(strict_json(self.to_dict()), indent=2, allow_nan=False)
        if format == "latex":
            return self.latex()
        if format == "csv":
            return self.csv()
        return self.text()

    def _by_ode(self) -> bool:
        return any(m.resolved and m.method == LOG_TIME for entries in self.rows.values() for m in entries)

    def _ode_note(self) -> str:
        """Why the marked times come from the log-time ODE: the closed form cannot resolve them, or the row has none."""
        marked = [name for name, entries in self.rows.items() if any(m.resolved and m.method == LOG_TIME for m in entries)]
        none = [name for name in marked if name in self.without_closed_form]
        has_none = f"{' and '.join(none)} {'has' if len(none) == 1 else 'have'} no closed form"
        if len(none) == len(marked):
            why = has_none
        else:
            why = "the closed form cannot resolve these times in float64" + (f"; {has_none}" if none else "")
        return f"by {LOG_TIME}: {why} ({METHOD_DETAIL})"

    def _unresolved_notes(self) -> list[str]:
        """One line per row and reason: which targets, and why."""
        groups = {}
        for name, m in self.unresolved:
            groups.setdefault((name, m.reason), []).append(format_target(m.target))
        return [f"{name} at p = {', '.join(targets)}: {reason}" for (name, reason), targets in groups.items()]

    def text(self) -> str:
        s = self.setting
        headers = [f"p = {format_target(x)}" for x in self.targets]
        w = max([16] + [len(h) + 2 for h in headers])  # a cell: the time in w - 1 characters and the ODE mark
        name_width = max([22] + [len(name) + 1 for name in self.rows])
        lines = [
            f"attention milestones of {', '.join(self.rows)}: {s.loss_text} (c = {s.classes}), T = {s.segments}, alpha = {s.alpha}, beta = {s.beta},"
            f" start ({self.u0:g}, {self.v0:g}), horizon t <= {self.horizon:g}",
            f"{'':>{name_width}}" + "".join(f"{h:>{w}}" for h in headers),
        ]
        notes = []
        for name, entries in self.rows.items():
            cells = []
            for m in entries:
                mark = ODE_MARK if m.resolved and m.method == LOG_TIME else ""
                if not m.resolved:
                    cells.append(f"{NOT_RESOLVED:>{w}}")
                elif m.time is not None:
                    cells.append(f"{m.time:{w - 1}.6g}{mark:1}")
                elif m.reachable:
                    cells.append(f"{'> horizon':>{w - 1}}{mark:1}")
                    notes.append(f"{name} reaches p = {format_target(m.target)} only at t = {m.time_any:.6g}, beyond the horizon {self.horizon:g}")
                else:
                    cells.append(f"{'never':>{w}}")
                    notes.append(f"{name} never reaches p = {format_target(m.target)}: its attention converges below it")
            lines.append((f"{name:>{name_width}}" + "".join(cells)).rstrip())
        lines += [f"  note: {note}" for note in notes]
        if self._by_ode():
            lines.append(f"  {ODE_MARK} {self._ode_note()}")
        lines += [f"  {NOT_RESOLVED}: {note}" for note in self._unresolved_notes()]
        if self.ode_check is not None:
            verdict = "agrees" if self.check_passed else "DISAGREES"
            lines.append(f"  solve_ivp event detection {verdict}: largest relative difference {self.ode_check:.1e} (tolerance {CHECK_TOLERANCE:.0e})")
        return "\n".join(lines)

    def csv(self) -> str:
        """One line per row and target: the time within the horizon, the time, how it was found, and why not."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["row", "target", "time", "time_any", "status", "method", "reason"])
        for name, entries in self.rows.items():
            for m in entries:
                writer.writerow([name, format_target(m.target), _csv_number(m.time), _csv_number(m.time_any), m.status.value,
                                 m.method if m.resolved else "", m.reason or ""])
        return out.getvalue().rstrip("\n")

    def latex(self) -> str:
        header = " & ".join(["paradigm"] + [f"$p = {format_target(x)}$" for x in self.targets])
        body = []
        for name, entries in self.rows.items():
            cells = [_latex_time(m) for m in entries]
            body.append("    " + " & ".join([latex_row_name(name)] + cells) + r" \\")
        columns = "l" + "r" * len(self.targets)
        notes = []
        if self._by_ode():
            notes.append(rf"$^{{*}}$ {self._ode_note()}.")
        notes += [f"-- {NOT_RESOLVED}: {note}." for note in self._unresolved_notes()]
        if any(m.resolved and m.time is None and m.reachable for entries in self.rows.values() for m in entries):
            notes.append("Two times in a cell: the level is not reached by the horizon (the first), but later, at the second.")
        width = len(self.targets) + 1
        note_rows = [rf"    \multicolumn{{{width}}}{{p{{{LATEX_NOTE_WIDTH}}}}}{{\footnotesize {_latex_text(note)}}} \\" for note in notes]
        return "\n".join(
            [rf"\begin{{tabular}}{{{columns}}}", r"    \hline", f"    {header} \\\\", r"    \hline", *body, r"    \hline",
             *note_rows, r"\end{tabular}"]
        )


def format_target(target: float) -> str:
    """A target's key and label: exact (:func:`~trajectories.choices.number_label`), never merged with another."""
    return number_label(target)


def _csv_number(value) -> str:
    return "" if value is None or not math.isfinite(value) else repr(float(value))


def _latex_time(m: Milestone) -> str:
    if not m.resolved:
        return "--"
    mark = "$^{*}$" if m.method == LOG_TIME else ""
    if m.time is not None:
        return latex_number(m.time, 4) + mark
    if m.reachable:
        return rf"$> {latex_number(m.horizon, 3, math_mode=False)}$ (${latex_number(m.time_any, 3, math_mode=False)}$){mark}"
    return r"never"


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex_text(text: str) -> str:
    """Plain text for LaTeX: the special characters escaped, except an already-written ``$^{*}$`` mark."""
    mark = "$^{*}$"
    head, found, tail = text.partition(mark) if text.startswith(mark) else ("", "", text)
    return head + found + "".join(LATEX_SPECIAL.get(ch, ch) for ch in tail)


def latex_row_name(name: str) -> str:
    r"""A row's name in LaTeX: a paradigm's display name, anything else (a hybrid) in typewriter type exactly as
    the command line spells it (``\texttt{soft:hard@p=0.5}``): one spelling in tables and text."""
    if name in PARADIGMS:
        return PARADIGMS[name].display
    return r"\texttt{" + _latex_text(name) + "}"


def _not_resolved_row(targets, horizon: float, reason: str) -> list[Milestone]:
    return [Milestone(target, None, None, horizon, None, math.nan, None, reason=reason) for target in targets]


def milestone_report(setting: Setting, u0: float, v0: float, targets, horizon: float, hybrids=(), *, check: bool = False) -> MilestoneReport:
    """Milestones of every registered paradigm (and the setting's custom one), and the given hybrids.

    Every cell is a time (closed form, or the log-time ODE where the closed form cannot resolve
    it), after the horizon, never -- or not resolved, with the reason: one paradigm that cannot
    be resolved does not take the others' times away.
    """
    if setting.scheme is None:
        raise BadInput("`setting` is a whole loss L(u, v): it has no attention, so no attention milestones")
    targets = check_targets(targets)
    hybrids = check_switches(hybrids)
    u0, v0 = finite(u0, "u0"), finite(v0, "v0")
    if not float(horizon) > 0:
        raise BadInput(f"`horizon` must be > 0, got {horizon!r}")
    schemes = {name: setting.with_paradigm(name) for name in PARADIGMS}
    if setting.scheme.is_custom:
        schemes["custom"] = setting
    rows, without_closed_form = {}, []
    for name, each in schemes.items():
        try:
            model = reduced_model(each)
            if not model.has_first_integral:
                without_closed_form.append(name)
            rows[name] = milestones(model, u0, v0, targets, horizon, unresolved="flag")
        except (NotResolved, NotAvailable, OutOfTime) as error:  # the inputs are checked above: the computation's own limit
            rows[name] = _not_resolved_row(targets, horizon, str(error))
    for switch in hybrids:
        try:
            rows[switch.label] = hybrid_milestones(setting, switch, u0, v0, targets, horizon)
        except (NotResolved, NotAvailable, OutOfTime) as error:
            rows[switch.label] = _not_resolved_row(targets, horizon, str(error))
    worst = _event_check(schemes, rows, u0, v0, targets, horizon) if check else None
    return MilestoneReport(setting, u0, v0, tuple(targets), horizon, rows, worst, tuple(without_closed_form))


def _event_check(schemes: dict, rows: dict, u0: float, v0: float, targets, horizon: float) -> float:
    """The largest relative difference between the resolved times and ``solve_ivp`` event detection (``inf``:
    one finds a time within the horizon where the other does not)."""
    worst = 0.0
    for name, each in schemes.items():
        entries = rows[name]
        if not any(m.resolved for m in entries):
            continue
        for found, event in zip(entries, ode_milestones(reduced_model(each), u0, v0, targets, horizon)):
            if not found.resolved:
                continue  # reported as not resolved already
            if found.time is None or event is None:
                if (found.time is None) != (event is None):
                    worst = math.inf
                continue
            worst = max(worst, abs(found.time - event) / abs(event) if event else abs(found.time))
    return worst
