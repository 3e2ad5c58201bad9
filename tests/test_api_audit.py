"""Hostile arguments to the public API: each call fails with TypeError/ValueError naming the parameter, in one line.

Wrong types, None, strings, bools, NumPy booleans, NaN/inf, sizes beyond memory, 0-d and n-d arrays,
numbers beyond float range; NumPy scalars are accepted where Python numbers are.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from analytic import derive, derive_custom
from analytic import symbols as sym
from trajectories.choices import Switch, check_targets, parse_switch
from trajectories.closed import closed_trajectory
from trajectories.full import binary_data, full_trajectory, symmetric_data
from trajectories.gd import gradient_descent
from trajectories.hybrid import best_switch, hybrid_milestones, mixture_trajectory
from trajectories.log_time import log_time_milestones
from trajectories.milestones import milestones, ode_milestones
from trajectories.model import Setting, reduced_model
from trajectories.ode import ode_trajectory
from trajectories.sweep import BatchModel, sweep_hybrid, sweep_milestones

HUGE = 10**12  # a size that would need terabytes
BEYOND_FLOAT = 10**400


@pytest.fixture(scope="module")
def model():
    return reduced_model(Setting("hard", "cross-entropy"))


@pytest.fixture(scope="module")
def batch():
    return BatchModel(Setting("hard", "cross-entropy"), 10, 2, 1, 1)


SETTING = Setting("hard", "cross-entropy")
SWITCH = Switch("hard", attention=0.2)
MATRIX = np.zeros((2, 2))

# (call, parameter named in the message, value, expected exception)
CASES = [
    # sizes: the command line's limits (1e7 points, 1e7 steps), before any allocation
    (lambda m, b, x: closed_trajectory(m, 0, 0, 1, x), "points", HUGE, ValueError),
    (lambda m, b, x: ode_trajectory(m, 0, 0, 1, x), "points", HUGE, ValueError),
    (lambda m, b, x: gradient_descent(m, 0, 0, 0.1, x), "steps", HUGE, ValueError),
    (lambda m, b, x: gradient_descent(m, 0, 0, 0.1, x), "steps", BEYOND_FLOAT, ValueError),
    (lambda m, b, x: full_trajectory("hard", steps=x), "steps", HUGE, ValueError),
    (lambda m, b, x: mixture_trajectory(SETTING, 0.5, 0, 0, 1, x), "points", HUGE, ValueError),
    (lambda m, b, x: gradient_descent(m, np.zeros(10**4), 0, 0.1, 10**4, record_every=x), "record_every", 1, ValueError),
    (lambda m, b, x: symmetric_data(x, 4), "classes", HUGE, ValueError),
    (lambda m, b, x: symmetric_data(3, x), "segments", BEYOND_FLOAT, ValueError),
    (lambda m, b, x: binary_data(1.0, 1.0, x), "segments", HUGE, ValueError),
    (lambda m, b, x: full_trajectory("hard", classes=x, steps=2), "classes", BEYOND_FLOAT, ValueError),
    (lambda m, b, x: closed_trajectory(m, 0, 0, 1, 3, times=x), "times", [BEYOND_FLOAT], ValueError),
    # the model, setting and switch arguments
    (lambda m, b, x: closed_trajectory(x, 0, 0, 1, 3), "model", None, TypeError),
    (lambda m, b, x: ode_trajectory(x, 0, 0, 1, 3), "model", "hard", TypeError),
    (lambda m, b, x: gradient_descent(x, 0, 0, 0.1, 3), "model", SETTING, TypeError),
    (lambda m, b, x: milestones(x, 0, 0, [0.3], 100), "model", 1.5, TypeError),
    (lambda m, b, x: ode_milestones(x, 0, 0, [0.3], 100), "model", object(), TypeError),
    (lambda m, b, x: log_time_milestones(x, 0, 0, [0.3]), "model", np.zeros(()), TypeError),
    (lambda m, b, x: sweep_milestones(x, 0, 0, [0.3]), "model", None, TypeError),
    (lambda m, b, x: sweep_hybrid(x, b, 0.5, 0, 0, [0.3]), "soft", SETTING, TypeError),
    (lambda m, b, x: BatchModel(x, 10, 2, 1, 1), "template", "hard", TypeError),
    (lambda m, b, x: hybrid_milestones(x, SWITCH, 0, 0, [0.3], 100), "setting", None, TypeError),
    (lambda m, b, x: hybrid_milestones(SETTING, x, 0, 0, [0.3], 100), "switch", "soft:hard@p=0.5", TypeError),
    (lambda m, b, x: best_switch(x, 0.9), "setting", "hard", TypeError),
    (lambda m, b, x: best_switch(SETTING, 0.9, after=x), "after", MATRIX, ValueError),
    (lambda m, b, x: parse_switch(x), "hybrid", None, TypeError),
    (lambda m, b, x: Switch("hard", attention=x), "p_s", "0.5", TypeError),
    (lambda m, b, x: Switch("hard", time=x), "tau", float("nan"), ValueError),
    (lambda m, b, x: Switch(x, attention=0.5), "after", MATRIX, ValueError),
    # horizons, targets and starts
    (lambda m, b, x: milestones(m, 0, 0, [0.3], x), "t_max", None, TypeError),
    (lambda m, b, x: milestones(m, 0, 0, [0.3], x), "t_max", BEYOND_FLOAT, ValueError),
    (lambda m, b, x: ode_milestones(m, 0, 0, [0.3], x), "t_max", float("nan"), ValueError),
    (lambda m, b, x: ode_milestones(m, 0, 0, [0.3], x), "t_max", -1, ValueError),
    (lambda m, b, x: hybrid_milestones(SETTING, SWITCH, 0, 0, [0.3], x), "t_max", MATRIX, TypeError),
    (lambda m, b, x: milestones(m, 0, 0, [0.3], 100, unresolved=x), "unresolved", MATRIX, ValueError),
    (lambda m, b, x: sweep_milestones(b, 0, 0, [0.3], x), "horizon", "long", TypeError),
    (lambda m, b, x: sweep_milestones(b, 0, 0, [0.3], stop=x), "stop", [1.0, 2.0], ValueError),
    (lambda m, b, x: sweep_milestones(b, x, 0, [0.3]), "u0", "x", TypeError),
    (lambda m, b, x: sweep_milestones(b, x, 0, [0.3]), "u0", BEYOND_FLOAT, ValueError),
    (lambda m, b, x: BatchModel(SETTING, x, 2, 1, 1), "segments", sp.Symbol("q"), TypeError),
    (lambda m, b, x: check_targets(x), "targets", 0.3, TypeError),
    (lambda m, b, x: milestones(m, 0, 0, x, 100), "targets", None, TypeError),
    (lambda m, b, x: gradient_descent(m, x, 0, 0.1, 3), "u0", None, TypeError),
    (lambda m, b, x: gradient_descent(m, x, 0, 0.1, 3), "u0", BEYOND_FLOAT, ValueError),
    (lambda m, b, x: gradient_descent(m, x, 0, 0.1, 3), "u0", MATRIX, ValueError),
    (lambda m, b, x: closed_trajectory(m, x, 0, 1, 3), "u0", "0", TypeError),
    (lambda m, b, x: ode_trajectory(m, 0, x, 1, 3), "v0", MATRIX, TypeError),
    (lambda m, b, x: ode_trajectory(m, 0, 0, 1, 3, method=x), "method", MATRIX, ValueError),
    # the full model and its data
    (lambda m, b, x: binary_data(x, 1.0, 4), "alpha", float("nan"), ValueError),
    (lambda m, b, x: binary_data(x, 1.0, 4), "alpha", -1, ValueError),
    (lambda m, b, x: full_trajectory("hard", steps=2, sigma=0.1, samples=4, seed=x), "seed", "x", TypeError),
    (lambda m, b, x: full_trajectory("hard", steps=2, variant=x), "variant", MATRIX, ValueError),
    (lambda m, b, x: full_trajectory("hard", steps=2, variant="binary", loss=x), "loss", MATRIX, ValueError),
    (lambda m, b, x: Setting("hard", x), "loss", MATRIX, ValueError),
    # the derivation engine
    (lambda m, b, x: derive("hard", "square", segments=10, alpha=1, beta=1, budget=x), "budget", float("inf"), ValueError),
    (lambda m, b, x: derive("hard", "square", segments=10, alpha=1, beta=1, budget=x), "budget", HUGE, ValueError),
    (lambda m, b, x: derive("hard", "square", segments=10, alpha=1, beta=1, budget=x), "budget", None, TypeError),
    (lambda m, b, x: derive_custom(sym.u**2 + sym.v**2, budget=x), "budget", np.bool_(True), TypeError),
    (lambda m, b, x: derive("hard", "cross-entropy", classes=x), "classes", np.bool_(True), TypeError),
    (lambda m, b, x: derive("hard", x), "loss", MATRIX, TypeError),
    (lambda m, b, x: derive("hard", "square", alpha=x), "alpha", MATRIX, TypeError),
]


@pytest.mark.parametrize("call, name, value, error", CASES, ids=[f"{name}={str(value)[:12]}-{k}" for k, (_, name, value, _) in enumerate(CASES)])
def test_hostile_arguments_are_named(model, batch, call, name, value, error):
    with pytest.raises(error) as caught:
        call(model, batch, value)
    text = str(caught.value)
    assert f"`{name}`" in text and "\n" not in text and len(text) < 400, text


def test_numpy_integers_are_accepted_where_ints_are():
    derived = derive("hard", "cross-entropy", classes=np.int64(3), segments=np.int32(10), alpha=1, beta=1)
    assert derived.certified and derived.loss.classes == 3
    assert derive("hard", "cross-entropy", classes=3, segments=10, alpha=1, beta=1).flow == derived.flow


def test_numpy_floats_are_accepted_where_floats_are(model, batch):
    ode = ode_trajectory(model, np.float32(0.0), np.float64(0.0), np.float32(1.0), np.int16(3))
    python = ode_trajectory(model, 0.0, 0.0, 1.0, 3)
    assert np.array_equal(ode.u, python.u)
    assert milestones(model, np.float32(0), 0, [np.float64(0.3)], np.float32(100))[0].time == milestones(model, 0, 0, [0.3], 100)[0].time
    assert Switch("hard", attention=np.float32(0.5)).attention == np.float32(0.5)


def test_the_limits_are_the_command_lines():
    from trajectories import limits
    from validation import cli

    assert (cli.MAX_POINTS, cli.MAX_STEPS) == (limits.MAX_POINTS, limits.MAX_STEPS) == (10**7, 10**7)


def test_multi_start_results_print_one_line(model):
    result = gradient_descent(model, [1.0, 2.0], 0.0, 0.1, 3)
    assert repr(result) == "<Trajectory gd: 4 points, t in [0, 0.3], final 2 starts; ok>"
