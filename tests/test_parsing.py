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
    found = parse_expression("Max(0, softplus(k*x)) + l(y)", NAMES, parameters=True, applied={"l": sp.Function("l")})
    assert found == sp.Max(0, sp.log(1 + sp.exp(sp.Symbol("k", real=True) * x))) + sp.Function("l")(y)


def test_parse_number_fractions():
    assert parse_number("1/999", label="alpha") == sp.Rational(1, 999)
    with pytest.raises(ValueError, match="`alpha`"):
        parse_number("x", label="alpha")


u, v = sp.symbols("u v", real=True)
UV = {"u": u, "v": v}
l = sp.Function("l")


def test_max_min_heaviside_structurally():
    assert parse_expression("Max(0, 1 - v)^2", UV) == sp.Max(0, 1 - v) ** 2
    assert parse_expression("Min(u, v, 1)", UV) == sp.Min(u, v, 1)
    assert parse_expression("Heaviside(v - 1)", UV) == sp.Heaviside(v - 1)
    assert parse_expression("Heaviside(v, 0)", UV) == sp.Heaviside(v, 0)
    assert parse_expression("Max(2, 3, -1)", UV) == 3


def test_new_functions_evaluate():
    assert abs(parse_expression("softplus(2)", {}).evalf(30) - sp.log(1 + sp.E**2).evalf(30)) < 1e-15
    assert parse_expression("softplus(v)", UV) == sp.log(1 + sp.exp(v))
    assert abs(parse_expression("sigmoid(2)", {}).evalf(30) - 1 / (1 + sp.exp(-2)).evalf(30)) < 1e-15
    assert abs(float(parse_expression("sigmoid(0)", {})) - 0.5) < 1e-15
    assert parse_expression("sigmoid(-v)", UV) == 1 / (1 + sp.exp(v))
    assert parse_expression("log1p(v^2)", UV) == sp.log(1 + v**2)
    assert abs(float(parse_expression("log1p(1)", {})) - 0.6931471805599453) < 1e-15


@pytest.mark.parametrize(
    "expr",
    [
        sp.Max(u, v),
        sp.Min(u, v),
        sp.Max(0, 1 - v) ** 2,
        sp.Min(0, u * v, v**2) + sp.Abs(u),
        sp.Heaviside(v - u) * sp.exp(-v),
        sp.Heaviside(v, 0),
        sp.log(1 + sp.exp(-u * v)) + 1 / (1 + sp.exp(-v)),
    ],
)
def test_sympy_output_reads_back(expr):
    assert parse_expression(str(expr), UV) == expr


def test_unknown_name_lists_what_is_allowed():
    with pytest.raises(ValueError) as error:
        parse_expression("foo*u", UV)
    message = str(error.value)
    assert message.startswith("`expr` uses the unknown name 'foo' (allowed: symbols u, v; functions Abs, Ei, Heaviside, Max, Min,")
    assert "softplus" in message and "sigmoid" in message and "log1p" in message
    assert message.endswith("; constants E, pi): 'foo*u'") and "\n" not in message
    with pytest.raises(ValueError, match=r"allowed: symbols none; functions .*\bl\b.*; constants E, pi"):
        parse_expression("q", {}, applied={"l": l})


def test_parameters_become_real_symbols():
    tau = sp.Symbol("tau", real=True)
    expr = parse_expression("log(1 + exp(-tau*v)) + tau^2", UV, parameters=True)
    assert expr == sp.log(1 + sp.exp(-tau * v)) + tau**2
    assert expr.free_symbols == {v, tau}
    (found,) = expr.free_symbols - {v}
    assert found.name == "tau" and found.is_real and found == tau
    several = parse_expression("a*u + b*v + a*b + pi + E", UV, parameters=True)
    assert {s.name for s in several.free_symbols - set(UV.values())} == {"a", "b"}
    with pytest.raises(ValueError, match="unknown name 'tau'"):
        parse_expression("tau*v", UV)  # off by default


@pytest.mark.parametrize(
    "text, fragment",
    [
        (" + ".join(f"a{k}" for k in range(17)), "more than 16 parameters"),
        ("a" * 33 + "*v", "parameter name longer than 32 characters"),
        ("exp*u", "uses the function 'exp' without an argument in parentheses"),
        ("Max", "uses the function 'Max' without"),
        ("foo(v)", "unknown name 'foo'"),
        ("Max(v)", "calls Max with 1 arguments instead of at least 2"),
        ("Heaviside(v, 0, 1)", "instead of 1 or 2"),
        ("Max(" + ", ".join(f"v + {k}" for k in range(17)) + ")", "more than 16 arguments of Max/Min"),
    ],
)
def test_parameter_and_function_errors(text, fragment):
    with pytest.raises(ValueError) as error:
        parse_expression(text, UV, label="--expr", parameters=True)
    message = str(error.value)
    assert fragment in message and "`--expr`" in message and "\n" not in message


def test_sixteen_parameters_and_32_characters_are_fine():
    expr = parse_expression(" + ".join(f"a{k}" for k in range(16)), UV, parameters=True)
    assert len(expr.free_symbols) == 16
    assert parse_expression("b" * 32, UV, parameters=True) == sp.Symbol("b" * 32, real=True)


def test_parameter_may_not_reuse_a_symbol_name():
    with pytest.raises(ValueError, match="name of one of its symbols"):
        parse_expression("x + u", {"x": sp.Symbol("u", real=True)}, parameters=True)


def test_applied_undefined_functions():
    p = sp.Symbol("p", real=True)
    soft = parse_expression("-log(p*exp(-l(v)) + (1-p)*exp(-l(0)))", UV, parameters=True, applied={"l": l})
    assert soft == -sp.log(p * sp.exp(-l(v)) + (1 - p) * sp.exp(-l(0)))
    norm = parse_expression("(p*l(v)**2 + (1-p)*l(0)**2)**(1/2)", UV, parameters=True, applied={"l": l})
    assert norm == sp.sqrt(p * l(v) ** 2 + (1 - p) * l(0) ** 2)
    assert parse_expression("l(p*v)", UV, parameters=True, applied={"l": l}) == l(p * v)
    assert soft.free_symbols == {v, p} and soft.atoms(sp.core.function.AppliedUndef) == {l(v), l(0)}


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("l + v", "uses the function 'l' without an argument in parentheses"),
        ("l(u, v)", "calls l with 2 arguments instead of 1"),
        ("l()", "unexpected ')'"),
        ("m(v)", "unknown name 'm'"),
    ],
)
def test_applied_errors(text, fragment):
    with pytest.raises(ValueError) as error:
        parse_expression(text, UV, applied={"l": l})
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_applied_name_may_not_shadow_a_function():
    with pytest.raises(ValueError, match="clashes"):
        parse_expression("exp(v)", UV, applied={"exp": l})


def test_parsed_heaviside_can_be_certified():
    # its derivative holds DiracDelta, which mpmath lacks: 0 at every sample point (never exactly 0)
    from analytic.certify import numeric_residual

    slope = sp.diff(parse_expression("Heaviside(v)*v^2", UV), v)
    assert slope.has(sp.DiracDelta)
    residual, points = numeric_residual(slope, 2 * v * sp.Heaviside(v))
    assert residual == 0 and points >= 20
