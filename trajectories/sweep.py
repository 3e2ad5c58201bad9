r"""Milestone times for many settings at once, from the compiled closed form.

For a paradigm model whose first integral has the softmax focus part
:math:`A(u) = u + e^{u - o}` (every built-in paradigm), put :math:`x = u - o`,
:math:`p = \sigma(x)`. Along a trajectory

.. math:: z(s) = x + e^{x} = z_0 + B(v(s)) - B(v_0),

so :math:`p` first reaches :math:`p^*` where :math:`z` first reaches
:math:`Z^* = x^* + e^{x^*}`, :math:`x^* = \log(p^*/(1 - p^*))`: a comparison of
closed forms, with the state there exactly :math:`u^* = o + x^*`,
:math:`v^* = v(s^*)`. The time is

.. math:: t(s^*) = \int_{s_0}^{s^*} g(\sigma)\,d\sigma, \qquad g = \frac{dt}{ds},

marched in Gauss–Legendre panels (16 nodes, checked against 8, and :math:`g` at
both ends of each panel checked against the panel's interpolant, so a spike at
an end cannot slip between the nodes), every setting with its own panel width
(halved where a check fails, doubled where all pass), *all settings in one
vectorised call per step*. The rules must agree to :data:`~trajectories.tuning.PANEL_TOLERANCE` relative to
the time, or to the rounding noise of :math:`g` (the rounding of
:math:`B(v) - B(v_0)`). Inside the panel where :math:`z` crosses :math:`Z^*`,
:math:`s^*` is bisected on the closed form and the time is the exact
antiderivative of the panel's Legendre interpolant; a stop time (the switch of a
hybrid) is found the same way by Newton's method on that antiderivative.

Every setting ends each target with a :class:`Outcome`: a time, or the reason
there is none (the attention's limit stays below the target; the time leaves the
horizon or float64; the closed form cannot resolve the state in float64).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

import numpy as np

from analytic.errors import BadInput, NotAvailable
from analytic.status import Status
from scipy.special import wrightomega

from analytic.paradigms import FIRST_STAGE
from analytic.setting import shown

from .checks import finite, finite_array
from .checks import horizon as time_bound
from .choices import Switch, check_targets
from .compiled import compiled_model
from .model import Setting, check_setting, model_derivation, numeric_minimiser
from .quadrature import COARSE_NODES, COARSE_WEIGHTS, NODES, WEIGHTS
from .stable import log_wright_omega
from .timeline import PROJECTION, antiderivative_and_value, panel_time_inverse
from .tuning import FIRST_WIDTH, MAX_WIDTH, MIN_RELATIVE_WIDTH, PANEL_TOLERANCE, RESOLUTION, ROUNDING_FACTOR, UNREACHABLE_RANGE

PANELS = 8  # panels per setting per step
NOISE_FACTOR = 16.0  # a panel is accepted when its rules agree to 16x the relative rounding noise of dt/ds
EDGE_TOLERANCE = 1e-6  # |interpolant - dt/ds| at a panel's ends, relative
ALTERNATING = (-1.0) ** np.arange(len(NODES))  # P_k(-1)
TIME_TOLERANCE = 1e-7  # a milestone time whose error estimate exceeds this (relative) is not resolved (the sweep claims 1e-6)
MAX_STEPS = 20_000
BISECTION_STEPS = 200
SCAN_POINTS = 65  # samples of z per scanned range when checking which targets are reachable
UNDERFLOW_Z = math.log(np.finfo(float).tiny)  # below this z = x + e^x the attention p ~ e^x underflows
PROBE = 1e-3  # past an end of the trajectory, dt/ds is looked at again this far on (relative to the range scanned)


class Outcome(enum.IntEnum):
    """Why a milestone time is what it is."""

    REACHED = 0
    UNREACHABLE = 1  # the attention's limit stays below the target
    BEYOND_HORIZON = 2  # reached after the horizon (or after t leaves float64)
    UNRESOLVED = 3  # the closed form cannot resolve the state or the time in float64 (rounding of B, overflow)
    NOT_FINITE = 4  # dt/ds overflowed or lost its sign before the target


#: the reason each outcome other than REACHED is said with (the text lives in the shared status vocabulary)
REASONS = {outcome: Status[outcome.name].reason for outcome in Outcome if outcome is not Outcome.REACHED}


@dataclass(frozen=True)
class SweepTimes:
    """Milestone times of one model over settings (rows) and targets (columns).

    ``time`` is NaN where ``outcome`` is not :attr:`Outcome.REACHED`; ``u``, ``v`` the state
    at each milestone; ``error`` the quadrature's error estimate of each time.
    """

    targets: tuple
    time: np.ndarray
    error: np.ndarray
    outcome: np.ndarray
    u: np.ndarray
    v: np.ndarray
    stop_u: np.ndarray | None = None  # the state at the stop time, when one was asked for (NaN: not resolved)
    stop_v: np.ndarray | None = None
    by_ode: np.ndarray | None = None  # True where the time came from the log-time ODE (None: the closed form throughout)

    @classmethod
    def empty(cls, targets, n: int, *, stop: bool = False) -> SweepTimes:
        """No target reached yet for ``n`` settings (and no stop state yet, when ``stop``)."""
        k = len(targets)
        return cls(tuple(targets), np.full((n, k), np.nan), np.zeros((n, k)), np.full((n, k), Outcome.REACHED, dtype=np.int8),
                   np.full((n, k), np.nan), np.full((n, k), np.nan), np.full(n, np.nan) if stop else None,
                   np.full(n, np.nan) if stop else None)

    def reached(self, j: int) -> np.ndarray:
        """Times to target ``j`` with ``inf`` where it is not reached (for comparisons)."""
        return np.where(self.outcome[:, j] == Outcome.REACHED, self.time[:, j], np.inf)


def _as_column(values, n: int | None, label: str) -> np.ndarray:
    """One finite float per setting (``n`` of them; a scalar is repeated; ``None``: any number of values)."""
    array = finite_array(values, label).ravel()
    if n is None:
        return array
    if array.size == 1:
        array = np.full(n, array[0])
    if array.shape != (n,):
        raise BadInput(f"`{label}` must have one value per setting ({n}), got {array.size}")
    return array


class BatchModel:
    """A compiled model bound to arrays of settings (the batched counterpart of :class:`~trajectories.model.ReducedModel`).

    ``template`` fixes the model (paradigm, loss, attention, parameters); ``segments``,
    ``classes``, ``alpha``, ``beta`` are arrays (or scalars) of the settings' numbers.
    """

    def __init__(self, template: Setting, segments, classes, alpha, beta):
        if check_setting(template, "template").scheme is None:
            raise BadInput("a whole loss L(u, v) has no attention, so no attention milestones")
        compiled = compiled_model(model_derivation(template))
        if not compiled.softmax_focus or compiled.derivation.invariant.quadrature:
            raise NotAvailable(f"{template.model_text}: the batched closed form needs the focus part A(u) = u + e^(u - o) "
                             "and B(v) in closed form; use `milestones` for this model")
        if template.scheme.margin_scale is None:
            # the margin's limit under this aggregation is not known in advance, so the coordinate s = v cannot
            # follow an approach to a finite minimiser: "at rest" there could be a target still ahead
            raise NotAvailable(f"{template.model_text}: the batched closed form needs the margin's scale under the aggregation "
                             "(unknown for a custom one); use `milestones` for this model")
        columns = {label: _as_column(x, None, label) for label, x in (("segments", segments), ("classes", classes), ("alpha", alpha), ("beta", beta))}
        n = max(x.size for x in columns.values())
        segments, classes, alpha, beta = (_as_column(x, n, label) for label, x in columns.items())
        for label, values, ok in (("segments", segments, segments >= 2), ("classes", classes, classes >= 2),
                                  ("alpha", alpha, alpha > 0), ("beta", beta, beta > 0)):
            if not np.all(ok):
                raise BadInput(f"`{label}` must be {'>= 2' if label in ('segments', 'classes') else '> 0'}, got {values[~ok][0]!r}")
        self.template, self.compiled, self.size = template, compiled, n
        self.numbers = (segments, classes, alpha, beta)
        values = dict(template.params)
        self.theta = (segments - 1, classes - 1, alpha, beta) + tuple(np.full(n, float(values[s.name])) for s in compiled.parameters)
        with np.errstate(all="ignore"):
            self.offset = np.broadcast_to(np.asarray(compiled.functions["offset"](*self.theta), dtype=float), (n,)).copy()
        if not np.all(np.isfinite(self.offset)):
            raise BadInput(f"`attention` {template.attention} must lie strictly between 0 and 1 at u = 0 for these values")
        self.limit = self._limits(template)

    def _limits(self, template: Setting) -> np.ndarray:
        """The margin's own limit per setting (``inf`` when not known in advance, e.g. soft attention)."""
        if template.scheme.margin_scale != 1:
            return np.full(self.size, np.inf)
        minimiser = self.compiled.functions["minimiser"]
        if minimiser is not None and not minimiser.free_symbols:
            return np.full(self.size, float(minimiser))
        # per distinct setting (a symbolic minimiser or a numeric search)
        rows = np.stack(self.theta, axis=1)
        distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
        found = np.array([numeric_minimiser(self.compiled, tuple(float(x) for x in row)) for row in distinct])
        return found[inverse.ravel()]

    def subset(self, rows) -> BatchModel:
        """The same model for the settings ``rows`` only."""
        return BatchModel(self.template, *(x[rows] for x in self.numbers))

    def flow_v(self, u, v, rows):
        """:math:`\\dot v` at (u, v) for the settings ``rows``."""
        x = u - self.offset[rows]
        p, q = 1 / (1 + np.exp(-x)), 1 / (1 + np.exp(x))
        return self.compiled.functions["rates"][1](p, q, v, *(t[rows] for t in self.theta))


@dataclass
class _Group:
    """Settings sharing the margin coordinate's form (finite limit or not) and side."""

    rows: np.ndarray
    functions: dict
    limit: tuple  # () or (limit array,)
    theta: tuple


def sweep_milestones(model: BatchModel, u0, v0, targets, horizon: float = math.inf, *, stop=None) -> SweepTimes:
    """Milestone times of every setting of ``model`` for each target (see the module docstring).

    ``u0``, ``v0``: scalars or one value per setting. ``stop`` (a time, or one per setting):
    also the state at that time, in :attr:`SweepTimes.stop_u`, :attr:`SweepTimes.stop_v`
    (targets not reached by then are reported as after the horizon).
    """
    targets = tuple(check_targets(targets))
    n = _check_batch(model, "model").size
    u0, v0 = _as_column(u0, n, "u0"), _as_column(v0, n, "v0")
    horizon = time_bound(horizon, "horizon")
    stops = np.full(n, np.inf) if stop is None else _stop_times(stop, n)
    k = len(targets)
    result = SweepTimes.empty(targets, n, stop=stop is not None)
    levels = np.log(np.array(targets) / (1 - np.array(targets)))  # x* per target
    x0 = u0 - model.offset
    with np.errstate(all="ignore"):
        falling = np.asarray(model.flow_v(u0, v0, np.arange(n)), dtype=float) < 0
    finite_limit = np.isfinite(model.limit)
    side = np.where(finite_limit, np.where(v0 <= model.limit, 1, -1), np.where(falling, -1, 1))
    for has_limit in (True, False):
        for direction in (1, -1):
            rows = np.nonzero((finite_limit == has_limit) & (side == direction))[0]
            if rows.size == 0:
                continue
            functions = model.compiled.side_functions(has_limit)[direction]
            group = _Group(rows, functions, (model.limit[rows],) if has_limit else (), tuple(t[rows] for t in model.theta))
            _march(group, model.offset[rows], x0[rows], u0[rows], v0[rows], levels, horizon, stops[rows], result)
    return result


def _check_batch(model, label: str) -> BatchModel:
    if not isinstance(model, BatchModel):
        raise TypeError(f"`{label}` must be a BatchModel, got {type(model).__name__}")
    return model


def _stop_times(stop, n: int) -> np.ndarray:
    """Times >= 0 (``inf``: no stop), a scalar or one per setting."""
    if np.ndim(stop) == 0:
        return np.full(n, time_bound(stop, "stop", strict=False))
    array = np.asarray(stop, dtype=float).ravel() if np.ndim(stop) == 1 else None
    if array is None or array.size != n:
        raise BadInput(f"`stop` must be a time or one time per setting ({n}), got {shown(stop)}")
    for value in array:
        time_bound(value, "stop", strict=False)
    return array


def _march(group: _Group, offset, x0, u0, v0, levels, horizon, stop, result: SweepTimes):
    """Fill ``result`` for the settings of ``group`` (see the module docstring); ``stop``: times at which to record the state."""
    m, k = group.rows.size, levels.size
    functions, theta, limit = group.functions, group.theta, group.limit
    with np.errstate(all="ignore"):
        s0 = np.asarray(functions["s_of_v"](v0, *limit), dtype=float) * np.ones(m)
        b0 = np.asarray(functions["margin"](s0, *limit, *theta), dtype=float) * np.ones(m)
        z0 = x0 + np.exp(x0)
    goals = levels + np.exp(levels)  # Z* per target
    rows = group.rows
    # targets already reached at the start
    following = np.sum(x0[:, None] >= levels[None, :], axis=1)
    for j in range(k):
        at_start = following > j
        result.time[rows[at_start], j] = 0.0
        result.u[rows[at_start], j] = u0[at_start]
        result.v[rows[at_start], j] = v0[at_start]
    bad_start = ~(np.isfinite(s0) & np.isfinite(b0) & np.isfinite(z0)) & (following < k)
    _close(result, rows, bad_start, following, Outcome.UNRESOLVED)
    following[bad_start] = k
    s_left, t_left, e_left = s0.copy(), np.zeros(m), np.zeros(m)
    width = np.full(m, FIRST_WIDTH)
    steps = 0
    # the state at the stop time is wanted while some target is still ahead (else the stop changes nothing)
    stopping = np.isfinite(stop) & (following < k) & ~bad_start
    stopped_at = np.full(m, np.nan)
    at_once = stopping & (stop == 0)
    stopped_at[at_once], stopping[at_once] = s0[at_once], False

    def at(index):
        return tuple(t[index] for t in theta), tuple(x[index] for x in limit)

    def z_of(s, index, shape_tail=()):
        th, li = at(index)
        expand = (slice(None),) + (None,) * len(shape_tail)
        value = functions["margin"](s, *(x[expand] for x in li), *(t[expand] for t in th))
        return z0[index][expand] + (value - b0[index][expand])

    def g_of(s, index):
        """dt/ds at coordinates s (rows: settings ``index``; trailing axes: points)."""
        th, li = at(index)
        expand = (slice(None),) + (None,) * (s.ndim - 1)
        z = z_of(s, index, s.shape[1:])
        omega = wrightomega(z)
        p, q = omega / (1 + omega), 1 / (1 + omega)
        value = functions["time"](p, q, s, *(x[expand] for x in li), *(t[expand] for t in th))
        return np.asarray(value, dtype=float) * np.ones(s.shape), z

    def rounding_of(s, index):
        """How far the rounding of B(v) - B(v0) can move z = x + e^x at coordinates s."""
        th, li = at(index)
        value = functions["margin"](s, *li, *th)
        return ROUNDING_FACTOR * np.finfo(float).eps * (np.abs(value) + np.abs(b0[index]))

    reachable, why_not = _reachable(following, goals, s0, z_of, g_of, rounding_of, bool(limit))
    unreachable = (following < k) & (reachable < k)
    for where in np.nonzero(unreachable)[0]:
        result.outcome[rows[where], max(following[where], reachable[where]):k] = why_not[where]
    last = np.maximum(following, reachable)
    while True:
        active = np.nonzero((following < last) | stopping)[0]
        if active.size == 0:
            break
        steps += 1
        if steps > MAX_STEPS:
            _close(result, rows, (following < last) | stopping, following, Outcome.UNRESOLVED)
            break
        w = width[active]
        starts = s_left[active, None] + w[:, None] * np.arange(PANELS)[None, :]
        with np.errstate(all="ignore"):
            fine_points = starts[..., None] + w[:, None, None] * (NODES + 1) / 2
            coarse_points = starts[..., None] + w[:, None, None] * (COARSE_NODES + 1) / 2
            values, z_nodes = g_of(fine_points, active)
            coarse_values, _ = g_of(coarse_points, active)
            edges = np.concatenate([starts, starts[:, -1:] + w[:, None]], axis=1)
            edge_values, z_edges = g_of(edges, active)
            z_right = z_edges[:, 1:]
        fine = (values @ WEIGHTS) * w[:, None] / 2
        coarse = (coarse_values @ COARSE_WEIGHTS) * w[:, None] / 2
        usable = np.all(np.isfinite(values) & (values > 0), axis=2) & np.all(np.isfinite(coarse_values) & (coarse_values > 0), axis=2)
        # neither rule samples a panel's ends: dt/ds there must be a number and match the panel's
        # interpolant (a spike at an end -- e.g. attention underflowing at the start -- fails this)
        with np.errstate(all="ignore"):
            coefficients = values @ PROJECTION  # (m, PANELS, 16)
            at_left = coefficients @ ALTERNATING
            at_right = np.sum(coefficients, axis=2)
            left_ok = np.abs(at_left - edge_values[:, :-1]) <= EDGE_TOLERANCE * np.maximum(np.abs(at_left), np.abs(edge_values[:, :-1]))
            right_ok = np.abs(at_right - edge_values[:, 1:]) <= EDGE_TOLERANCE * np.maximum(np.abs(at_right), np.abs(edge_values[:, 1:]))
        usable &= np.isfinite(edge_values[:, :-1]) & (edge_values[:, :-1] > 0) & np.isfinite(edge_values[:, 1:]) & (edge_values[:, 1:] > 0)
        usable &= left_ok & right_ok
        with np.errstate(all="ignore"):
            reached = t_left[active, None] + np.cumsum(np.where(np.isfinite(fine), np.abs(fine), np.inf), axis=1)
            # the rules agree to the tolerance, or to the noise of dt/ds: the rounding of B(v) - B(v0) is an
            # absolute noise in z, and dt/ds varies with z like p or 1 - p (relative noise of the same size)
            noise = NOISE_FACTOR * rounding_of(s_left[active], active)
            accurate = np.abs(fine - coarse) <= np.maximum(PANEL_TOLERANCE * np.maximum(1.0, reached), noise[:, None] * np.abs(fine))
        accepted = _leading(usable & accurate)
        at_rounding = w <= MIN_RELATIVE_WIDTH * np.maximum(1.0, np.abs(s_left[active]))
        forced = (accepted == 0) & at_rounding & usable[:, 0]
        accepted = np.where(forced, _leading(usable), accepted)
        goal = goals[np.minimum(following[active], k - 1)]
        crossed = (np.max(z_nodes, axis=2) >= goal[:, None]) | (z_right >= goal[:, None])
        crossing = np.where(following[active] < k, _leading(~crossed), PANELS)  # first panel that crosses (PANELS if none)
        # 0. the stop time inside an accepted panel, before any crossing
        passing = _leading(reached < stop[active, None])
        stops_here = stopping[active] & (passing < accepted) & (passing <= crossing)
        if np.any(stops_here):
            here = np.nonzero(stops_here)[0]
            s_stop = _time_inside(values[here, passing[here]], starts[here, passing[here]], w[here],
                                  t_left[active[here]] + np.sum(np.where(np.arange(PANELS)[None, :] < passing[here, None], fine[here], 0.0), axis=1),
                                  stop[active[here]])
            with np.errstate(all="ignore"):
                crossed_first = z_of(s_stop, active[here]) >= goal[here]  # the target falls before the stop in this panel
            here, s_stop = here[~crossed_first], s_stop[~crossed_first]
            stopped_at[active[here]] = s_stop
            stopping[active[here]] = False
            _close(result, rows, _mask(m, active[here]), following, Outcome.BEYOND_HORIZON)
            following[active[here]] = k
            stops_here[:] = False
            stops_here[here] = True
        # 1. a target crossed inside an accepted panel
        hit = (crossing < accepted) & ~stops_here
        if np.any(hit):
            _record_crossings(active[hit], crossing[hit], starts[hit], w[hit], values[hit], fine[hit], coarse[hit], z_nodes[hit],
                              z_right[hit], goal[hit], z_of, rounding_of, functions, levels, offset, s_left, t_left, e_left,
                              following, result, rows, limit, horizon)
        # 2. panels accepted without a crossing
        moved = ~hit & ~stops_here & (accepted > 0)
        if np.any(moved):
            index = active[moved]
            count = accepted[moved]
            mask = np.arange(PANELS)[None, :] < count[:, None]
            s_left[index] = s_left[index] + count * w[moved]
            t_left[index] = t_left[index] + np.sum(np.where(mask, fine[moved], 0.0), axis=1)
            with np.errstate(invalid="ignore"):  # a panel with a non-finite rule: its error is NaN, never accepted
                e_left[index] = e_left[index] + np.sum(np.where(mask, np.abs(fine[moved] - coarse[moved]), 0.0), axis=1)
            widest = np.maximum(MAX_WIDTH, np.abs(s_left[index]) / 8)  # far out, g varies on the scale of |s|
            width[index] = np.where(count == PANELS, np.minimum(2 * w[moved], widest), w[moved] / 2)
            late = (t_left[index] > horizon) & ~stopping[index]
            if np.any(late):
                _close(result, rows, _mask(m, index[late]), following, Outcome.BEYOND_HORIZON)
                following[index[late]] = k
        # 3. nothing accepted: narrower panels, or the end of the trajectory at the rounding of s
        stuck = ~hit & ~stops_here & (accepted == 0)
        if np.any(stuck):
            index = active[stuck]
            ended = at_rounding[stuck]
            width[index[~ended]] /= 2
            if np.any(ended):
                ends = index[ended]
                with np.errstate(all="ignore"):
                    here, _ = g_of(s_left[ends, None], ends)
                    noise = rounding_of(s_left[ends], ends)
                # dt/ds finite and positive where s stands, no panel beyond: at rest -- unless the rounding of
                # B(v) - B(v0) alone moves z there, or the scan saw z reach a target further on (then the motion
                # lies below the panels' rounding floor, e.g. alpha/beta = 1e30 near v = 0): the closed form cannot tell
                pinned = np.isfinite(here[:, 0]) & (here[:, 0] > 0)
                at_rest = pinned & (noise <= RESOLUTION) & (following[ends] >= last[ends])
                _close(result, rows, _mask(m, ends[at_rest]), following, Outcome.UNREACHABLE)
                _close(result, rows, _mask(m, ends[pinned & ~at_rest]), following, Outcome.UNRESOLVED)
                _close(result, rows, _mask(m, ends[~pinned]), following, Outcome.NOT_FINITE)
                following[ends] = k
                resting = ends[at_rest & stopping[ends]]  # the state rests at its limit until the stop time
                stopped_at[resting] = s_left[resting]
                stopping[ends] = False
    if result.stop_u is not None:
        done = np.isfinite(stopped_at)
        with np.errstate(all="ignore"):
            z = z_of(stopped_at[done], np.nonzero(done)[0])
            v_stop = np.asarray(functions["v_of_s"](stopped_at[done], *(x[done] for x in limit)), dtype=float) * np.ones(z.shape)
        result.stop_u[rows[done]] = offset[done] + log_wright_omega(z)
        result.stop_v[rows[done]] = v_stop


def _reachable(following, goals, s0, z_of, g_of, rounding_of, has_limit: bool) -> tuple[np.ndarray, np.ndarray]:
    """How many targets each setting's trajectory reaches (a scan of z over growing ranges of s).

    From ``s0`` the range ``[s0, s0 + w]`` doubles from ``w = 1`` until ``z`` reaches the
    largest goal, ``dt/ds`` stops being finite and positive (the end of the trajectory,
    bisected), or ``w`` passes :data:`~trajectories.tuning.UNREACHABLE_RANGE`; the targets whose goal lies above the
    largest ``z`` seen are unreachable -- unless dt/ds stopped being a number rather than
    changing sign, or the rounding of B alone moves z there (those targets are then not
    resolved), or dt/ds is infinite because the attention underflows there or, without a
    finite limit of the margin, stays infinite beyond the end (the margin's rate underflows:
    not computed, the time leaves float64). Returns the count and, per setting, the outcome
    of the rest.
    """
    m, k = s0.size, goals.size
    z_max = np.full(m, -np.inf)
    why_not = np.full(m, Outcome.UNREACHABLE, dtype=np.int8)
    open_ = following < k
    width = np.ones(m)
    lower = s0.copy()
    while np.any(open_):
        index = np.nonzero(open_)[0]
        upper = s0[index] + width[index]
        grid = lower[index, None] + (upper - lower[index])[:, None] * np.linspace(0.0, 1.0, SCAN_POINTS)[None, :]
        with np.errstate(all="ignore"):
            g, z = g_of(grid, index)
        usable = np.isfinite(g) & (g > 0)
        ends = ~np.all(usable, axis=1)
        if np.any(ends):  # the trajectory ends inside the scan: bisect between the last usable sample and the next
            first_bad = np.argmin(usable[ends], axis=1)
            rows_ = np.arange(index.size)[ends]
            lo = grid[rows_, np.maximum(first_bad - 1, 0)]
            hi = grid[rows_, first_bad]
            at = index[ends]
            for _ in range(BISECTION_STEPS):
                middle = (lo + hi) / 2
                if np.all((middle == lo) | (middle == hi)):
                    break
                with np.errstate(all="ignore"):
                    value, _ = g_of(middle[:, None], at)
                good = np.isfinite(value[:, 0]) & (value[:, 0] > 0)
                lo, hi = np.where(good, middle, lo), np.where(good, hi, middle)
            with np.errstate(all="ignore"):
                _, z_end = g_of(lo[:, None], at)
                beyond, _ = g_of(hi[:, None], at)
                further, _ = g_of((hi + PROBE * np.maximum(np.abs(hi - s0[at]), 1.0))[:, None], at)
                noise = rounding_of(hi, at)
            # a trajectory that comes to rest has dt/ds -> +inf at its end and a negative dt/ds beyond
            # (the margin would move back); a value that is not a number there is an overflow, not a rest,
            # and so is an end where the rounding of B(v) - B(v0) alone moves z by more than the resolution
            # -- or, with the attention underflowing (z below log of the smallest float), an overflow of the time
            # -- or, without a finite limit, dt/ds infinite on past the end: the rate underflowed, the motion goes on
            overflow = (~(beyond[:, 0] <= 0) & ~(beyond[:, 0] == np.inf)) | ~(noise <= RESOLUTION)
            underflow = (z_end[:, 0] < UNDERFLOW_Z) | ((beyond[:, 0] == np.inf) & (further[:, 0] == np.inf) & (not has_limit))
            why_not[at] = np.where(underflow, Outcome.NOT_FINITE,
                                   np.where(overflow, Outcome.UNRESOLVED, Outcome.UNREACHABLE))
            z = z.copy()
            z[~usable] = -np.inf
            z[ends, 0] = np.maximum(z[ends, 0], z_end[:, 0])
        seen = np.max(np.where(np.isfinite(z), z, -np.inf), axis=1)
        z_max[index] = np.maximum(z_max[index], seen)
        done = ends | (z_max[index] >= goals[-1]) | (width[index] >= UNREACHABLE_RANGE)
        open_[index[done]] = False
        lower[index] = upper
        width[index] *= 2
    return np.sum(z_max[:, None] >= goals[None, :], axis=1), why_not


def _time_inside(values, left, width, t_before, target) -> np.ndarray:
    """The s in each panel where t = ``target``, from the panel's interpolant through ``values`` (its 16 Gauss nodes)."""
    coefficients = np.ascontiguousarray((values @ PROJECTION).T)
    return left + width * (panel_time_inverse(coefficients, t_before, width, target, np.zeros(left.shape)) + 1) / 2


def _record_crossings(index, panel, starts, w, values, fine, coarse, z_nodes, z_right, goal, z_of, rounding_of, functions, levels,
                      offset, s_left, t_left, e_left, following, result, rows, limit, horizon):
    """Locate s* in the crossing panel, its time from the panel's interpolant, and move each setting's start there."""
    n = index.size
    order = np.arange(n)
    left = starts[order, panel]
    width = w
    # samples of the crossing panel in s order: left edge, 16 nodes, right edge
    points = np.concatenate([left[:, None], left[:, None] + width[:, None] * (NODES + 1) / 2, (left + width)[:, None]], axis=1)
    with np.errstate(all="ignore"):
        z_left = z_of(left, index)
    samples = np.concatenate([z_left[:, None], z_nodes[order, panel], z_right[order, panel][:, None]], axis=1)
    first = _leading(samples < goal[:, None])  # the first sample at or above the goal
    first = np.maximum(first, 1)
    lo, hi = points[order, first - 1], points[order, first]
    for _ in range(BISECTION_STEPS):
        middle = (lo + hi) / 2
        if np.all((middle == lo) | (middle == hi)):
            break
        with np.errstate(all="ignore"):
            below = z_of(middle, index) < goal
        lo, hi = np.where(below, middle, lo), np.where(below, hi, middle)
    crossing = hi
    coefficients = values[order, panel] @ PROJECTION  # (n, 16)
    x = np.clip(2 * (crossing - left) / width - 1, -1.0, 1.0)
    partial, _ = antiderivative_and_value(np.ascontiguousarray(coefficients.T), x)
    before = np.arange(fine.shape[1])[None, :] < panel[:, None]
    time = t_left[index] + np.sum(np.where(before, fine, 0.0), axis=1) + width / 2 * partial
    through = np.arange(fine.shape[1])[None, :] <= panel[:, None]
    with np.errstate(invalid="ignore"):  # as above: a NaN error marks the time as not resolved
        error = e_left[index] + np.sum(np.where(through, np.abs(fine - coarse), 0.0), axis=1)
    target = following[index]
    level = levels[target]
    u_star = offset[index] + level
    with np.errstate(all="ignore"):
        v_star = np.asarray(functions["v_of_s"](crossing, *(x[index] for x in limit)), dtype=float) * np.ones(n)
        rounding = rounding_of(crossing, index) / (1 + np.exp(level))  # through dz/dx = 1 + e^x into x, i.e. u
    resolved = (rounding <= RESOLUTION * np.maximum(1.0, np.abs(u_star))) & (error <= TIME_TOLERANCE * np.abs(time))
    late = time > horizon
    row = rows[index]
    good = resolved & ~late
    result.time[row[good], target[good]] = time[good]
    result.error[row, target] = error
    result.u[row, target] = u_star
    result.v[row, target] = v_star
    result.outcome[row[~resolved], target[~resolved]] = Outcome.UNRESOLVED
    result.outcome[row[resolved & late], target[resolved & late]] = Outcome.BEYOND_HORIZON
    s_left[index], t_left[index], e_left[index] = crossing, time, error
    following[index] = target + 1
    # past an unresolved or late target the later ones are too
    stop = ~good
    if np.any(stop):
        reason = np.where(resolved[stop], Outcome.BEYOND_HORIZON, Outcome.UNRESOLVED)
        for where, why in zip(index[stop], reason):
            later = np.arange(following[where], result.time.shape[1])
            result.outcome[rows[where], later] = why
            following[where] = result.time.shape[1]


def _close(result: SweepTimes, rows, mask, following, outcome: Outcome):
    """Mark the targets from ``following`` on as ``outcome`` for the settings in ``mask``."""
    k = result.time.shape[1]
    for where in np.nonzero(mask)[0]:
        result.outcome[rows[where], following[where]:k] = outcome


def _mask(m: int, index) -> np.ndarray:
    mask = np.zeros(m, dtype=bool)
    mask[index] = True
    return mask


def _leading(flags: np.ndarray) -> np.ndarray:
    """How many leading entries of each row are True."""
    return np.where(np.all(flags, axis=1), flags.shape[1], np.argmin(flags, axis=1))



def sweep_hybrid(soft: BatchModel, after: BatchModel, switch, u0, v0, targets, horizon: float = math.inf) -> SweepTimes:
    """Milestones of "soft until the switch, then ``after``" for every setting.

    ``switch``: a :class:`~trajectories.choices.Switch` (at an attention level or a time) or
    an attention level :math:`p_s`. At a level: the soft phase's milestones up to the switch,
    then ``after`` from the state at the switch (exactly :math:`u = o + \\operatorname{logit} p_s`);
    a setting whose soft phase never reaches :math:`p_s` stays soft throughout. At a time
    :math:`\\tau`: the targets soft reaches by :math:`\\tau`, then ``after`` from the state at :math:`\\tau`.
    """
    soft, after = _check_batch(soft, FIRST_STAGE), _check_batch(after, "after")
    if isinstance(switch, Switch):
        if switch.time is not None:
            return _hybrid_at_time(soft, after, switch.time, u0, v0, targets, horizon)
        switch = switch.attention
    return _hybrid_at_level(soft, after, finite(switch, "p_s"), u0, v0, targets, horizon)


def _hybrid_at_time(soft: BatchModel, after: BatchModel, tau: float, u0, v0, targets, horizon: float) -> SweepTimes:
    targets = tuple(check_targets(targets))
    n = soft.size
    u0, v0 = _as_column(u0, n, "u0"), _as_column(v0, n, "v0")
    first = sweep_milestones(soft, u0, v0, targets, horizon, stop=tau)
    result = SweepTimes(targets, first.time.copy(), first.error.copy(), first.outcome.copy(), first.u.copy(), first.v.copy())
    before = (first.outcome == Outcome.REACHED) & (first.time <= tau)
    rows = np.nonzero(~np.all(before, axis=1))[0]  # settings with a target left for the second phase
    if rows.size == 0:
        return result
    start_u, start_v = first.stop_u[rows], first.stop_v[rows]
    known = np.isfinite(start_u) & np.isfinite(start_v)
    result.outcome[rows[~known][:, None], np.arange(len(targets))[None, :]] = np.where(
        before[rows[~known]], Outcome.REACHED, Outcome.UNRESOLVED)
    rows, start_u, start_v = rows[known], start_u[known], start_v[known]
    if rows.size == 0:
        return result
    second = sweep_milestones(after.subset(rows), start_u, start_v, targets)
    total = tau + second.time
    for j in range(len(targets)):
        later = ~before[rows, j]
        where = rows[later]
        outcome = second.outcome[later, j].copy()
        outcome[(outcome == Outcome.REACHED) & (total[later, j] > horizon)] = Outcome.BEYOND_HORIZON
        result.time[where, j] = np.where(outcome == Outcome.REACHED, total[later, j], np.nan)
        result.error[where, j] = second.error[later, j]
        result.outcome[where, j] = outcome
        result.u[where, j], result.v[where, j] = second.u[later, j], second.v[later, j]
    return result


def _hybrid_at_level(soft: BatchModel, after: BatchModel, switch_level: float, u0, v0, targets, horizon: float) -> SweepTimes:
    targets = tuple(check_targets(targets))
    if not 0 < switch_level < 1:
        raise BadInput(f"`p_s` must lie in (0, 1), got {switch_level!r}")
    if soft.size != after.size:
        raise BadInput("the soft and the after phase must have the same settings")
    n = soft.size
    u0, v0 = _as_column(u0, n, "u0"), _as_column(v0, n, "v0")
    first = sweep_milestones(soft, u0, v0, targets, horizon)
    switch = sweep_milestones(soft, u0, v0, [switch_level], math.inf)
    switched = switch.outcome[:, 0] == Outcome.REACHED  # at time 0 when the start is already past p_s
    result = SweepTimes(targets, first.time.copy(), first.error.copy(), first.outcome.copy(), first.u.copy(), first.v.copy())
    later = np.array([x > switch_level for x in targets])
    if not np.any(switched) or not np.any(later):
        return result
    rows = np.nonzero(switched)[0]
    t_s = switch.time[rows, 0]
    phase = after.subset(rows)
    second = sweep_milestones(phase, switch.u[rows, 0], switch.v[rows, 0], [x for x in targets if x > switch_level],
                              math.inf)
    columns = np.nonzero(later)[0]
    total = t_s[:, None] + second.time
    for j, column in enumerate(columns):
        outcome = second.outcome[:, j].copy()
        late = (outcome == Outcome.REACHED) & (total[:, j] > horizon)
        outcome[late] = Outcome.BEYOND_HORIZON
        result.time[rows, column] = np.where(outcome == Outcome.REACHED, total[:, j], np.nan)
        result.error[rows, column] = switch.error[rows, 0] + second.error[:, j]
        result.outcome[rows, column] = outcome
        result.u[rows, column] = second.u[:, j]
        result.v[rows, column] = second.v[:, j]
    return result
