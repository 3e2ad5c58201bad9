r"""Derivations as plain data: JSON trees that only the toolkit's own constructors rebuild.

:func:`encode` turns a value into JSON-compatible data and :func:`decode` turns
such data back into the value. Nothing read is ever executed: there is no
pickle and no code string. What can be stored is a closed vocabulary:

- ``None``, ``bool``, ``int``, ``str``, ``float`` (written exactly, as hex), and
  ``tuple``, ``list`` and ``dict`` (string keys) of storable values;
- the toolkit's result dataclasses, each registered by :func:`storable`
  (rebuilt by calling the class with exactly its fields);
- SymPy expressions whose every node is a SymPy class or a function class the
  toolkit registered with :func:`register_function`, symbols and undefined
  functions by a plain name (:data:`NAME`: names are printed into generated code
  by ``lambdify``, so nothing else is accepted).

Decoding an unknown tag, class, field or name raises :class:`DecodeError`, and
so does malformed data; the cache reads that as a miss.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> decode(encode(sp.log(1 + sp.exp(-x)) / 3)) == sp.log(1 + sp.exp(-x)) / 3
True
"""

from __future__ import annotations

import dataclasses
import re

import sympy as sp
from sympy.codegen import cfunctions
from sympy.core.assumptions import _assume_defined
from sympy.core.function import AppliedUndef
from sympy.core.singleton import Singleton
from sympy.functions.elementary.piecewise import ExprCondPair

from .special import WrightOmega

#: A symbol's or an undefined function's name: what ``lambdify`` may print as code.
NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}\Z")
#: The assumptions a stored symbol may carry (the ones SymPy knows, as booleans).
ASSUMPTIONS = frozenset(_assume_defined)


class DecodeError(ValueError):
    """Stored data that is not in the vocabulary of :mod:`analytic.serial`."""


_dataclasses: dict[str, type] = {}
_functions: dict[str, type] = {}


def _class_key(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def storable(cls: type) -> type:
    """Class decorator: let :func:`decode` rebuild this frozen dataclass."""
    if not (dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen):
        raise TypeError(f"`storable` takes a frozen dataclass, got {cls!r}")
    _dataclasses[_class_key(cls)] = cls
    return cls


def register_function(*classes: type) -> None:
    """Let stored expressions contain these SymPy function classes (e.g. the stable forms)."""
    for cls in classes:
        if not (isinstance(cls, type) and issubclass(cls, sp.Basic)):
            raise TypeError(f"`register_function` takes SymPy classes, got {cls!r}")
        _functions[_class_key(cls)] = cls


def _sympy_classes() -> dict[str, type]:
    """Every public SymPy class (and the C functions ``log1p``, ``expm1`` of code generation)."""
    found = {}
    for module in (sp, cfunctions):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, sp.Basic):
                found[_class_key(value)] = value
    for extra in (ExprCondPair, WrightOmega, sp.Add, sp.Mul, sp.Pow, sp.Tuple):
        found[_class_key(extra)] = extra
    return found


_SYMPY = _sympy_classes()


# ---------------------------------------------------------------- encoding


def encode(value):
    """``value`` as JSON-compatible data (``TypeError`` for what is not storable)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": value.hex()}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return {"list": [encode(item) for item in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("only dicts with string keys are storable")
        return {"dict": {k: encode(item) for k, item in value.items()}}
    if isinstance(value, sp.Basic):
        return {"sympy": _encode_expr(value)}
    key = _class_key(type(value))
    if key in _dataclasses and type(value) is _dataclasses[key]:
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"data": key, "fields": fields}
    raise TypeError(f"not storable: {type(value).__name__}")


def _encode_expr(expr: sp.Basic):
    if isinstance(expr, sp.Dummy):
        return ["dummy", _name(expr.name), expr.dummy_index, _assumptions(expr)]
    if isinstance(expr, sp.Symbol) and type(expr) is sp.Symbol:
        return ["symbol", _name(expr.name), _assumptions(expr)]
    if isinstance(expr, sp.Integer):
        return ["integer", str(int(expr))]
    if isinstance(expr, sp.Rational):
        return ["rational", str(expr.p), str(expr.q)]
    if isinstance(expr, sp.Float):
        sign, mantissa, exponent, bits = expr._mpf_
        return ["float", [sign, hex(mantissa), exponent, bits], expr._prec]
    if isinstance(type(expr), Singleton):
        return ["singleton", type(expr).__name__]
    if isinstance(expr, AppliedUndef):
        return ["undefined", _name(expr.func.__name__), [_encode_expr(a) for a in expr.args]]
    key = _class_key(type(expr))
    if _known_class(key) is not type(expr):
        raise TypeError(f"not storable: SymPy class {key}")
    return ["node", key, [_encode_expr(a) for a in expr.args]]


def _name(name: str) -> str:
    if not NAME.match(name):
        raise TypeError(f"not storable: the name {name!r}")
    return name


def _assumptions(symbol: sp.Symbol) -> dict:
    return dict(symbol._assumptions_orig)


def _known_class(key: str):
    return _functions.get(key) or _SYMPY.get(key)


# ---------------------------------------------------------------- decoding


def decode(data):
    """The value :func:`encode` wrote (:class:`DecodeError` for anything else)."""
    if data is None or isinstance(data, (bool, str)):
        return data
    if not isinstance(data, dict) or len(data) not in (1, 2):
        raise DecodeError(f"unexpected stored value of type {type(data).__name__}")
    tag = next(iter(data))
    body = data[tag]
    if tag == "int" and len(data) == 1:
        return int(_text(body, r"-?[0-9]{1,4000}"))
    if tag == "float" and len(data) == 1:
        return float.fromhex(_text(body, r"-?(0x[0-9a-f.]+p[-+][0-9]+|inf|nan)"))
    if tag in ("tuple", "list") and len(data) == 1 and isinstance(body, list):
        items = [decode(item) for item in body]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict" and len(data) == 1 and isinstance(body, dict):
        return {k: decode(item) for k, item in body.items()}
    if tag == "sympy" and len(data) == 1:
        with sp.evaluate(False):  # stored expressions are canonical already
            return _decode_expr(body)
    if tag == "data" and set(data) == {"data", "fields"}:
        return _decode_dataclass(body, data["fields"])
    raise DecodeError(f"unknown stored tag {tag!r}")


def _text(value, pattern: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise DecodeError(f"malformed stored number {value!r}")
    return value


def _decode_dataclass(key, fields):
    cls = _dataclasses.get(key) if isinstance(key, str) else None
    if cls is None or not isinstance(fields, dict):
        raise DecodeError(f"unknown stored class {key!r}")
    expected = {f.name for f in dataclasses.fields(cls) if f.init}
    if set(fields) != expected:
        raise DecodeError(f"stored {key} has fields {sorted(fields)}, expected {sorted(expected)}")
    return cls(**{name: decode(item) for name, item in fields.items()})


def _decode_expr(node):
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise DecodeError("malformed stored expression")
    kind, rest = node[0], node[1:]
    if kind == "symbol" and len(rest) == 2:
        return sp.Symbol(_stored_name(rest[0]), **_stored_assumptions(rest[1]))
    if kind == "dummy" and len(rest) == 3 and type(rest[1]) is int:
        return sp.Dummy(_stored_name(rest[0]), dummy_index=rest[1], **_stored_assumptions(rest[2]))
    if kind == "integer" and len(rest) == 1:
        return sp.Integer(int(_text(rest[0], r"-?[0-9]{1,4000}")))
    if kind == "rational" and len(rest) == 2:
        numerator, denominator = (int(_text(x, r"-?[0-9]{1,4000}")) for x in rest)
        if denominator <= 0:
            raise DecodeError("malformed stored rational")
        return sp.Rational(numerator, denominator)
    if kind == "float" and len(rest) == 2:
        return _stored_float(*rest)
    if kind == "singleton" and len(rest) == 1 and isinstance(rest[0], str) and rest[0].isidentifier():
        value = getattr(sp.S, rest[0], None)
        if not isinstance(value, sp.Basic) or type(value).__name__ != rest[0]:
            raise DecodeError(f"unknown stored singleton {rest[0]!r}")
        return value
    if kind == "undefined" and len(rest) == 2 and isinstance(rest[1], list):
        return sp.Function(_stored_name(rest[0]))(*(_decode_expr(a) for a in rest[1]))
    if kind == "node" and len(rest) == 2 and isinstance(rest[0], str) and isinstance(rest[1], list):
        cls = _known_class(rest[0])
        if cls is None:
            raise DecodeError(f"unknown stored SymPy class {rest[0]!r}")
        return _rebuilt(cls, tuple(_decode_expr(a) for a in rest[1]))
    raise DecodeError(f"unknown stored expression node {kind!r}")


def _rebuilt(cls: type, args: tuple) -> sp.Basic:
    """``cls(*args)`` with exactly these arguments: built without evaluation (stored expressions are
    canonical already), else with it (``Integral`` wraps its integrand in ``Mul(1, ...)`` unevaluated)."""
    built = cls(*args)
    if type(built) is not cls or built.args != args:
        with sp.evaluate(True):
            built = cls(*args)
        if type(built) is not cls or built.args != args:
            raise DecodeError(f"stored {cls.__name__} does not rebuild from its arguments")
    return built


def _stored_name(name) -> str:
    if not isinstance(name, str) or not NAME.match(name):
        raise DecodeError(f"stored name {name!r} is not a plain name")
    return name


def _stored_assumptions(assumptions) -> dict:
    if not isinstance(assumptions, dict) or not all(
        k in ASSUMPTIONS and isinstance(value, bool) for k, value in assumptions.items()
    ):
        raise DecodeError(f"malformed stored assumptions {assumptions!r}")
    return assumptions


def _stored_float(parts, precision):
    if not (isinstance(parts, list) and len(parts) == 4 and type(precision) is int and 1 <= precision <= 10_000):
        raise DecodeError("malformed stored float")
    sign, mantissa, exponent, bits = parts
    if sign not in (0, 1) or type(exponent) is not int or type(bits) is not int:
        raise DecodeError("malformed stored float")
    mantissa = int(_text(mantissa, r"0x[0-9a-f]{1,1000}"), 16)
    if bits != mantissa.bit_length():
        raise DecodeError("malformed stored float")
    return sp.Float._new((sign, mantissa, exponent, bits), precision)


__all__ = ["DecodeError", "NAME", "decode", "encode", "register_function", "storable"]
