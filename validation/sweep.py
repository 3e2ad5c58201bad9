r"""``sweep``: milestone times over a grid of settings, every paradigm and hybrid.

The grid is the product of the axes (segments, classes, alpha, beta, u0, v0);
without explicit rates they follow the classes, :math:`\alpha = 1/c`,
:math:`\beta = 1/(c - 1)` (the class-symmetric model). Each column — a
paradigm, or a soft-then-``after`` hybrid switched at an attention level or a time — is
computed by :mod:`trajectories.sweep` on chunks of settings, the chunks spread
over the machine's cores by :class:`concurrent.futures.ProcessPoolExecutor`. A paradigm
the batched closed form cannot run (a quadrature part, no first integral, an aggregation
whose margin scale is unknown) is computed setting by setting
(:mod:`trajectories.sweep_by_setting`: its closed form, else the log-time ODE), its
ODE times marked "by ODE (log time)".
"""

from __future__ import annotations

import dataclasses
import io
import math
from dataclasses import dataclass

import numpy as np

from analytic.errors import BadInput, NotAvailable
from analytic.paradigms import FIRST_STAGE, PARADIGMS
from trajectories.choices import Switch, check_switches, check_targets, number_label
from trajectories.log_time import METHOD as LOG_TIME, METHOD_DETAIL
from trajectories.model import Setting, reduced_model
from trajectories.sweep import REASONS, BatchModel, Outcome, SweepTimes, sweep_hybrid, sweep_milestones
from trajectories.sweep_by_setting import milestones_by_setting, setting_at

from .parallel import cores, run_jobs

AXES = ("segments", "classes", "alpha", "beta", "u0", "v0")
MAX_SETTINGS = 4_000_000  # settings of one sweep (about an hour on 2 cores for the three paradigms)
MIN_CHUNK, MAX_CHUNK = 256, 4096  # settings per task: small enough to balance the cores, large enough to vectorise
CHECK_RTOL = 1e-6  # --check: closed-form sweep vs solve_ivp event detection, relative


@dataclass(frozen=True)
class SweepRequest:
    """What to sweep: a model (``template``; its numbers are ignored), the grid axes, targets and hybrids.

    ``by_setting``: a registered paradigm the batched closed form cannot run is computed setting by
    setting (:mod:`trajectories.sweep_by_setting`); ``False`` leaves it out, with a note (:meth:`skipped`).
    """

    template: Setting
    axes: dict
    targets: tuple
    hybrids: tuple = ()
    horizon: float = math.inf
    by_setting: bool = True

    def __post_init__(self):
        if not isinstance(self.template, Setting):
            raise TypeError(f"`template` must be a Setting, got {type(self.template).__name__}")
        unknown = set(self.axes) - set(AXES)
        if unknown:
            raise BadInput(f"`axes` has unknown names {sorted(unknown)} (known: {', '.join(AXES)})")
        object.__setattr__(self, "targets", tuple(check_targets(self.targets)))
        object.__setattr__(self, "hybrids", check_switches(self.hybrids))
        if not self.horizon > 0:
            raise BadInput(f"`horizon` must be > 0, got {self.horizon!r}")
        size = self.size
        if size > MAX_SETTINGS:
            raise BadInput(f"the grid has {size} settings, more than {MAX_SETTINGS}: use fewer values per axis")

    @property
    def rates_follow_classes(self) -> tuple:
        """Which of alpha, beta follow the classes (not given as axes)."""
        return tuple(name for name in ("alpha", "beta") if name not in self.axes)

    def skipped(self) -> list[str]:
        """One line per registered paradigm left out (without ``by_setting``, those the batched engine cannot run)."""
        return [] if self.by_setting else [
            f"{name}: left out of the sweep: the batched closed form needs the margin's scale under its aggregation "
            "(`sweep` computes it setting by setting)" for name, entry in PARADIGMS.items() if not entry.batched]

    @property
    def size(self) -> int:
        return math.prod(len(values) for values in self.axes.values())

    def settings(self) -> dict:
        """Per-setting values of every axis (the product grid, the first axis outermost)."""
        names = [name for name in AXES if name in self.axes]
        mesh = np.meshgrid(*(np.asarray(self.axes[name], dtype=float) for name in names), indexing="ij")
        columns = {name: values.ravel() for name, values in zip(names, mesh)}
        n = self.size
        defaults = {"segments": float(self.template.segments), "classes": float(self.template.classes), "u0": 0.0, "v0": 0.0}
        for name, value in defaults.items():
            columns.setdefault(name, np.full(n, value))
        classes = columns["classes"]
        columns.setdefault("alpha", 1 / classes)
        columns.setdefault("beta", 1 / (classes - 1))
        return {name: columns[name] for name in AXES}

    def columns(self) -> list[str]:
        """The columns of the result: the registered paradigms (those the batched engine runs, unless ``by_setting``), the
        template's custom one, then the hybrids."""
        names = [name for name, entry in PARADIGMS.items() if self.by_setting or entry.batched]
        if self.template.scheme.is_custom:
            names.append("custom")
        return names + [switch.label for switch in self.hybrids]


@dataclass(frozen=True)
class SweepReport:
    """The times of every column at every setting (``results[column]``: a :class:`~trajectories.sweep.SweepTimes`)."""

    request: SweepRequest
    settings: dict
    results: dict
    check: float | None = None  # worst relative difference against event detection, if checked

    @property
    def by_setting(self) -> tuple:
        """The columns the batched closed form cannot run, computed setting by setting (they mark their ODE times)."""
        return tuple(column for column, result in self.results.items() if result.by_ode is not None)

    def notes(self) -> list[str]:
        """One line per column computed setting by setting, and what its marked times mean."""
        return [f"{column}: computed setting by setting (the batched closed form cannot run it): its closed form where one "
                f"exists, else {LOG_TIME} ({METHOD_DETAIL})" for column in self.by_setting]

    def _by_ode(self, column: str, i: int, j: int) -> bool:
        marks = self.results[column].by_ode
        return marks is not None and bool(marks[i, j]) and self.results[column].outcome[i, j] == Outcome.REACHED

    def to_dict(self) -> dict:
        keys = [number_label(x) for x in self.request.targets]
        rows = []
        for i in range(self.request.size):
            row = {name: _plain(self.settings[name][i], name) for name in AXES}
            times, notes = {}, {}
            for column, result in self.results.items():
                times[column] = {key: _time(result, i, j) for j, key in enumerate(keys)}
                reasons = {key: REASONS[Outcome(result.outcome[i, j])] if result.outcome[i, j] else f"by {LOG_TIME}"
                           for j, key in enumerate(keys) if result.outcome[i, j] or self._by_ode(column, i, j)}
                if reasons:
                    notes[column] = reasons
            row["times"] = times
            if notes:
                row["notes"] = notes
            rows.append(row)
        return {
            "model": self.request.template.loss_text,
            "columns": list(self.results),  # the paradigms and hybrids tabulated
            "rates_follow_classes": list(self.request.rates_follow_classes),
            "targets": list(self.request.targets),
            "horizon": None if math.isinf(self.request.horizon) else self.request.horizon,
            "settings": self.request.size,
            "check_worst_relative": self.check,
            "computed_by_setting": list(self.by_setting),
            **({"method_details": {LOG_TIME: METHOD_DETAIL}} if self.by_setting else {}),
            "rows": rows,
        }

    def to_csv(self) -> str:
        keys = [number_label(x) for x in self.request.targets]
        header = list(AXES)
        for column in self.results:
            header += [f"{column} t({key})" for key in keys] + [f"{column} note({key})" for key in keys]
        out = io.StringIO()
        out.write(",".join(header) + "\n")
        for i in range(self.request.size):
            cells = [repr(_plain(self.settings[name][i], name)) for name in AXES]
            for column, result in self.results.items():
                cells += ["" if (t := _time(result, i, j)) is None else repr(t) for j in range(len(keys))]
                cells += [REASONS[Outcome(result.outcome[i, j])].split(":")[0] if result.outcome[i, j]
                          else f"by {LOG_TIME}" if self._by_ode(column, i, j) else "" for j in range(len(keys))]
            out.write(",".join(cells) + "\n")
        return out.getvalue()


def plane_of(axes: dict) -> tuple[str, str]:
    """The two grid axes with several values (a phase diagram's x and y); a ``ValueError`` otherwise."""
    varying = [name for name in AXES if len(axes.get(name, ())) > 1]
    if len(varying) != 2:
        raise BadInput(f"phase diagrams need exactly two grid axes with several values, got {len(varying)}"
                         f"{' (' + ', '.join(varying) + ')' if varying else ''}")
    return varying[0], varying[1]


def _plain(value, name: str):
    return int(value) if name in ("segments", "classes") and float(value).is_integer() else float(value)


def _time(result: SweepTimes, i: int, j: int):
    return float(result.time[i, j]) if result.outcome[i, j] == Outcome.REACHED else None


# --- running ------------------------------------------------------------------------------
def _column_setting(template: Setting, column: str) -> Setting:
    return template if column == "custom" else template.with_paradigm(column)


def _model(template: Setting, column: str, numbers) -> BatchModel:
    return BatchModel(_column_setting(template, column), *numbers)


def _batched(template: Setting, column: str, numbers) -> bool:
    """Whether the batched closed form runs ``column`` (compiled here on the first setting, so forked workers inherit it)."""
    try:
        _model(template, column, tuple(x[:1] for x in numbers))
    except NotAvailable:
        reduced_model(setting_at(_column_setting(template, column), numbers, 0))
        return False
    return True


def _task(template: Setting, column: str, switch: Switch | None, numbers, u0, v0, targets, horizon, batched=True) -> SweepTimes:
    """One column on one chunk of settings (runs in a worker process)."""
    if switch is None and not batched:
        return milestones_by_setting(_column_setting(template, column), numbers, u0, v0, targets, horizon)
    if switch is None:
        return sweep_milestones(_model(template, column, numbers), u0, v0, targets, horizon)
    soft, after = _model(template, FIRST_STAGE, numbers), _model(template, switch.after, numbers)
    return sweep_hybrid(soft, after, switch, u0, v0, targets, horizon)


def sweep_jobs(request: SweepRequest, workers: int) -> list:
    """The sweep as independent jobs ``(key, function, arguments)``: each column on chunks of settings.

    Every model is compiled here first, so forked workers inherit it.
    """
    settings = request.settings()
    n = request.size
    numbers = tuple(settings[name] for name in ("segments", "classes", "alpha", "beta"))
    switches = {switch.label: switch for switch in request.hybrids}
    batched = {}
    for column in request.columns():
        if column in switches:
            _model(request.template, FIRST_STAGE, tuple(x[:1] for x in numbers))
            _model(request.template, switches[column].after, tuple(x[:1] for x in numbers))
        else:
            batched[column] = _batched(request.template, column, numbers)
    chunk = int(min(MAX_CHUNK, max(MIN_CHUNK, math.ceil(n / (4 * workers)))))
    jobs = []
    for column in request.columns():
        for start in range(0, n, chunk):
            part = slice(start, start + chunk)
            arguments = (request.template, column, switches.get(column), tuple(x[part] for x in numbers),
                         settings["u0"][part], settings["v0"][part], request.targets, request.horizon, batched.get(column, True))
            jobs.append((("sweep", column, start, start + chunk), _task, arguments))
    return jobs


def collect_sweep(request: SweepRequest, results: dict) -> SweepReport:
    """The report from the results of :func:`sweep_jobs` (keyed as it keys them; other keys ignored)."""
    n = request.size
    columns = {column: SweepTimes.empty(request.targets, n) for column in request.columns()}
    for key, times in results.items():
        if isinstance(key, tuple) and key[0] == "sweep":
            _, column, start, stop = key
            for field in ("time", "error", "outcome", "u", "v"):
                getattr(columns[column], field)[start:stop] = getattr(times, field)
            if times.by_ode is not None:
                if columns[column].by_ode is None:
                    columns[column] = dataclasses.replace(columns[column], by_ode=np.zeros((n, len(request.targets)), dtype=bool))
                columns[column].by_ode[start:stop] = times.by_ode
    return SweepReport(request, request.settings(), columns)


def run_sweep(request: SweepRequest, *, workers: int | None = None, show_progress: bool = True) -> SweepReport:
    """Compute every column of ``request`` at every setting (chunks over ``workers`` processes)."""
    workers = cores() if workers is None else max(1, int(workers))
    results = run_jobs(sweep_jobs(request, workers), workers=workers, label="sweep" if show_progress else None)
    return collect_sweep(request, results)


def check_sweep(report: SweepReport, samples: int = 12, seed: int = 0) -> SweepReport:
    """Compare ``samples`` random settings of each paradigm column with ``solve_ivp`` event detection.

    Returns the report with :attr:`SweepReport.check`, the worst relative difference
    (``inf`` when one side reaches a target the other does not).
    """
    from trajectories.milestones import ode_milestones
    from trajectories.model import reduced_model

    request, settings = report.request, report.settings
    numbers = tuple(settings[name] for name in ("segments", "classes", "alpha", "beta"))
    rng = np.random.default_rng(seed)
    rows = rng.choice(request.size, size=min(samples, request.size), replace=False)
    worst = 0.0
    for column, result in report.results.items():
        if column not in PARADIGMS and column != "custom":
            continue
        for i in rows:
            setting = setting_at(_column_setting(request.template, column), numbers, i)
            horizon = request.horizon if math.isfinite(request.horizon) else _event_horizon(result, i)
            events = ode_milestones(reduced_model(setting), float(settings["u0"][i]), float(settings["v0"][i]), request.targets, horizon)
            for j, event in enumerate(events):
                closed = _time(result, i, j)
                if closed is not None and closed > horizon:
                    continue
                if (closed is None) != (event is None):
                    worst = math.inf
                elif closed is not None:
                    worst = max(worst, abs(closed - event) / max(abs(event), np.finfo(float).tiny) if event else abs(closed))
    return dataclasses.replace(report, check=worst)


def _event_horizon(result: SweepTimes, i: int) -> float:
    """A horizon for event detection: past the latest closed-form time of the row (or 1e6)."""
    reached = result.time[i][result.outcome[i] == Outcome.REACHED]
    return 2 * float(reached.max()) + 1 if reached.size and reached.max() > 0 else 1e6
