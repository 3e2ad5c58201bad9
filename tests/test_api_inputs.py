"""API inputs at the edges: NumPy scalars, numbers beyond float range, tolerances, noisy data without samples."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

from analytic.setting import check_rate, check_segments, shown, to_sympy_number
from trajectories.checks import count, finite, nonnegative, positive
from trajectories.full import binary_data, full_trajectory, symmetric_data
from trajectories.model import Setting, reduced_model
from trajectories.ode import ode_trajectory
from validation.cli import main


def one_line(error: pytest.ExceptionInfo) -> str:
    text = str(error.value)
    assert "\n" not in text
    return text


# --- NumPy scalars ----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [5, 5.0, np.int64(5), np.int32(5), np.uint8(5), np.float64(5.0), np.float32(5.0), sp.Integer(5), Fraction(5)])
def test_count_accepts_integers_of_any_kind(value):
    assert count(value, "points") == 5 and type(count(value, "points")) is int


@pytest.mark.parametrize("value", [True, np.bool_(True), 2.5, np.float32(2.5), "5", None, float("nan"), float("inf")])
def test_count_refuses_what_is_no_integer(value):
    with pytest.raises(TypeError, match="`points` must be an integer") as error:
        count(value, "points")
    one_line(error)


def test_count_keeps_its_minimum():
    with pytest.raises(ValueError, match="`segments` must be >= 2"):
        count(np.int64(1), "segments", 2)


@pytest.mark.parametrize("value", [np.float64(0.25), np.float32(0.25), np.float16(0.25), np.int64(3), Fraction(1, 4)])
def test_finite_and_positive_accept_numpy_scalars(value):
    assert finite(value, "lr") == float(value) and positive(value, "lr") == float(value) and nonnegative(value, "sigma") == float(value)
    assert type(finite(value, "lr")) is float


def test_finite_refuses_numpy_bool_and_nan():
    with pytest.raises(TypeError, match="`u0` must be a number"):
        finite(np.bool_(True), "u0")
    with pytest.raises(ValueError, match="`u0` must be finite"):
        finite(np.float32("nan"), "u0")


@pytest.mark.parametrize(
    "value, exact",
    [(np.float64(0.1), sp.Rational(1, 10)), (np.float32(0.1), sp.Rational(1, 10)), (np.float16(0.5), sp.Rational(1, 2)),
     (np.int64(7), sp.Integer(7)), (np.uint16(7), sp.Integer(7)), (0.1, sp.Rational(1, 10))],
)
def test_to_sympy_number_takes_numpy_scalars_by_their_shortest_decimal(value, exact):
    assert to_sympy_number(value, "alpha") == exact


def test_to_sympy_number_refuses_numpy_bool_and_infinity():
    with pytest.raises(TypeError, match="`alpha` must be a number"):
        to_sympy_number(np.bool_(False), "alpha")
    with pytest.raises(ValueError, match="`alpha` must be finite"):
        to_sympy_number(np.float32("inf"), "alpha")


def test_a_setting_of_numpy_scalars_equals_the_python_one():
    numpy_setting = Setting("hard", "cross-entropy", classes=np.int64(3), segments=np.int64(10), alpha=np.float32(0.5), beta=np.float64(0.25))
    python_setting = Setting("hard", "cross-entropy", classes=3, segments=10, alpha=0.5, beta=0.25)
    a, b = reduced_model(numpy_setting), reduced_model(python_setting)
    assert (a.alpha, a.beta, a.log_others) == (b.alpha, b.beta, b.log_others)
    assert np.allclose(a.flow(0.3, 0.7), b.flow(0.3, 0.7), rtol=0, atol=0)


def test_derive_takes_numpy_scalars():
    from analytic import derive

    plain = derive("hard", "cross-entropy", segments=10, alpha=1, beta=0.5)
    numpy = derive("hard", "cross-entropy", segments=np.int64(10), alpha=np.int32(1), beta=np.float64(0.5))
    assert numpy.certified and (numpy.segments, numpy.alpha, numpy.beta) == (plain.segments, plain.alpha, plain.beta)
    assert sp.simplify(numpy.flow.du - plain.flow.du) == 0


def test_trajectory_methods_take_numpy_scalars():
    model = reduced_model(Setting("hard", "cross-entropy"))
    ode = ode_trajectory(model, np.float32(0.0), np.float64(0.0), np.int64(10), np.int64(5), rtol=np.float64(1e-9), atol=np.float32(1e-12))
    assert ode.t.size == 5 and np.isfinite(ode.u).all()
    full = full_trajectory("soft", classes=np.int64(3), segments=np.int32(4), lr=np.float32(0.1), steps=np.int64(3),
                           sigma=np.float64(0.1), samples=np.int64(8), record_every=np.int64(1))
    assert full.t.size == 4 and np.isfinite(full.u).all()


# --- numbers beyond the range of a float ------------------------------------------------------
def test_huge_segments_is_a_one_line_value_error():
    with pytest.raises(ValueError, match="`segments` is too large for a float") as error:
        Setting("hard", "cross-entropy", segments=10**309)
    assert len(one_line(error)) < 200
    with pytest.raises(ValueError, match="`segments` is too large for a float"):
        check_segments(10**309)
    with pytest.raises(ValueError, match="`segments` is too large"):
        check_segments(sp.Integer(10) ** 400)
    assert check_segments(10**300) == sp.Integer(10) ** 300  # still a float: accepted


def test_huge_segments_in_derive_names_segments():
    from analytic import derive

    with pytest.raises(ValueError, match="`segments` is too large for a float.*symbol T"):
        derive("hard", "cross-entropy", segments=10**309)


@pytest.mark.parametrize("tiny", [sp.Rational(1, 10**400), Fraction(1, 10**400), sp.Float("1e-400")])
def test_a_rate_that_underflows_says_so(tiny):
    with pytest.raises(ValueError, match="`alpha` underflows to 0 as a float") as error:
        Setting("hard", "cross-entropy", alpha=tiny)
    assert "must be > 0" not in one_line(error)
    with pytest.raises(ValueError, match="`beta` underflows to 0 as a float"):
        check_rate(tiny, "beta")
    with pytest.raises(ValueError, match="`alpha` underflows"):
        finite(tiny, "alpha")


def test_a_rate_that_overflows_says_so():
    with pytest.raises(ValueError, match="`alpha` is too large for a float"):
        check_rate(10**400, "alpha")
    with pytest.raises(ValueError, match="`beta` is too large for a float"):
        Setting("hard", "cross-entropy", beta=10**400)


def test_zero_and_negative_rates_keep_their_message():
    with pytest.raises(ValueError, match="`alpha` must be > 0, got 0"):
        check_rate(0, "alpha")
    with pytest.raises(ValueError, match="`alpha` must be > 0"):
        Setting("hard", "cross-entropy", alpha=-1e-400)  # a float: -0.0


def test_long_exact_numbers_are_shown_in_scientific_notation():
    assert shown(sp.Rational(1, 10**400)) == "~1.000e-400"
    assert shown(10**309) == "~1.000e+309"
    assert shown("x" * 100).endswith("...")


@pytest.mark.parametrize("option, value, words", [("--alpha", "1e-400", "underflows to 0"), ("--segments", "1e309", "too large")])
def test_the_command_line_names_the_real_problem(capsys, option, value, words):
    status = main(["trajectory", "--paradigm", "hard", "--t-end", "10", option, value])
    captured = capsys.readouterr()
    assert status == 2 and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert option.lstrip("-") in captured.err and words in captured.err


# --- solve_ivp tolerances ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "keyword, value, words",
    [("rtol", float("nan"), "must be finite"), ("atol", float("nan"), "must be finite"), ("rtol", 0.0, "must be > 0"),
     ("atol", -1e-12, "must be > 0"), ("rtol", float("inf"), "must be finite"), ("atol", np.float32("nan"), "must be finite"),
     ("rtol", "tight", "must be a number"), ("max_step", float("nan"), "must be > 0"), ("max_step", 0, "must be > 0")],
)
def test_bad_tolerances_are_named(keyword, value, words):
    model = reduced_model(Setting("hard", "cross-entropy"))
    with pytest.raises((ValueError, TypeError), match=f"`{keyword}` {words}") as error:
        ode_trajectory(model, 0.0, 0.0, 10.0, 5, **{keyword: value})
    one_line(error)


def test_tolerance_arrays_are_checked_too():
    model = reduced_model(Setting("hard", "cross-entropy"))
    with pytest.raises(ValueError, match="`atol` must be finite"):
        ode_trajectory(model, 0.0, 0.0, 10.0, 5, atol=[1e-12, float("nan")])
    result = ode_trajectory(model, 0.0, 0.0, 10.0, 5, atol=[1e-12, 1e-12])
    assert result.t.size == 5


# --- the full model's noisy data ----------------------------------------------------------------
@pytest.mark.parametrize("variant", ["symmetric", "binary"])
def test_noise_without_samples_names_samples(variant):
    with pytest.raises(ValueError, match="`samples` is required when sigma > 0") as error:
        full_trajectory("hard", variant=variant, sigma=0.1, steps=2)
    one_line(error)


def test_the_data_builders_name_samples_too():
    with pytest.raises(ValueError, match="`samples`"):
        symmetric_data(3, 4, sigma=0.5)
    with pytest.raises(ValueError, match="`samples`"):
        binary_data(1.0, 1.0, 4, sigma=0.5)
    assert symmetric_data(3, 4).labels.size == 3 and binary_data(1.0, 1.0, 4).labels.size == 2  # population: no samples needed
