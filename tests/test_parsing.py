"""Safe parsing: mathematics in, code rejected, never eval."""

import pytest
import sympy as sp

from analytic.parsing import MAX_DEPTH, parse_expression, parse_number

x, y = sp.symbols("x y")
NAMES = {"x": x, "y": y}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x^2/2 - 3*x", x**2 / 2 - 3 * x),
        ("x**2", x**2),
        ("-x^2", -(x**2)),  # unary minus binds looser than ^
        ("2^3^2", sp.Integer(512)),  # right-associative
        ("log(1 + exp(-x*y))", sp.log(1 + sp.exp(-x * y))),
        ("0.1 + 1e-2", sp.Rational(11, 100)),  # exact decimals
        ("ln(E) + pi", 1 + sp.pi),
        ("abs(x) + sqrt(4)", sp.Abs(x) + 2),
    ],
)
def test_parses_mathematics(text, expected):
    assert sp.simplify(parse_expression(text, NAMES) - expected) == 0


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('true')", "unexpected character"),
        ("x.__class__", "unexpected character '.'"),
        ("lambda: 1", "unexpected character ':'"),
        ('"x"', "unexpected character"),
        ("z + 1", "unknown name 'z'"),
        ("eval(x)", "unknown name 'eval'"),
        ("x +", "ends too early"),
        ("(x", "ends too early"),
        ("x y", "unexpected 'y'"),
        ("1/0", "divides by zero"),
        ("x[0]", "unexpected character '['"),
        ("exp(x, y)", "2 arguments instead of 1"),
        ("x, y", "unexpected ','"),
        ("10^10^10", "exponent larger"),
        ("", "is empty"),
        ("(" * (MAX_DEPTH + 5) + "x" + ")" * (MAX_DEPTH + 5), "nested deeper"),
        ("x" * 5000, "longer than"),
    ],
)
def test_rejects_code_and_malformed_input(text, fragment):
    with pytest.raises(ValueError) as error:
        parse_expression(text, NAMES, label="expr")
    message = str(error.value)
    assert fragment in message and "`expr`" in message and "\n" not in message


def test_never_calls_eval(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("eval was called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(sp, "sympify", forbidden)
    assert parse_expression("exp(x) + y", NAMES) == sp.exp(x) + y


def test_parse_number_fractions():
    assert parse_number("1/999", label="alpha") == sp.Rational(1, 999)
    with pytest.raises(ValueError, match="`alpha`"):
        parse_number("x", label="alpha")
