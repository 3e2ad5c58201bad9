"""The disk cache runs no code and believes nothing it reads unchecked.

Every test writes its own cache directory and compares what a command or call
gives from a planted, swapped, corrupted or foreign entry with a derivation made
afresh (``use_cache=False``): they must be equal, and no planted code may run
(a canary file that the planted payload would create must not appear).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import random
import re
import warnings
from pathlib import Path

import pytest
import sympy as sp

from analytic import cache, derive, serial
from analytic import derivation as derivation_module
from analytic.losses import LOSS_NAMES
from analytic.paradigms import PARADIGMS
from analytic.symbols import T, c, u, v
from trajectories import stable

PARADIGM_NAMES = list(PARADIGMS)


class Canary:
    """``pickle.load`` of this object runs ``os.system('touch <path>')``."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return os.system, (f"touch {self.path}",)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A private cache directory of this test, and no derivation remembered in memory."""
    directory = tmp_path / "cache"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv(cache.ENVIRONMENT, str(directory))
    monkeypatch.setattr(derivation_module, "_remembered", {})
    monkeypatch.setattr(cache, "_enabled", True)
    monkeypatch.setattr(cache, "_report", cache._warn)  # a command line run may have set its own
    return directory


def same(a, b) -> bool:
    """Equal formulas; the certificates may differ (a budgeted simplification of a check can run out on a
    loaded machine, which changes its record, not a formula)."""
    return dataclasses.replace(a, certificate=None) == dataclasses.replace(b, certificate=None)


def fresh(paradigm, loss, **setting):
    return derive(paradigm, loss, use_cache=False, **setting)


def stored_entry(folder: Path, paradigm, loss, **setting) -> Path:
    """Derive (writing the cache) and return the one entry file it wrote."""
    before = set(folder.glob("*.json"))
    derive(paradigm, loss, **setting)
    derivation_module._remembered.clear()
    (entry,) = set(folder.glob("*.json")) - before
    return entry


def rewrite(entry: Path, change) -> None:
    """Apply ``change`` to the entry's payload and store it with a correct checksum (a deliberate edit)."""
    data = json.loads(entry.read_text())
    data["payload"] = change(data["payload"])
    data["sha256"] = cache._digest(data["payload"])
    entry.write_text(json.dumps(data))


def loaded_from_disk(monkeypatch) -> list:
    """Record which derivations were read from disk (not derived) from now on."""
    derived = []
    original = derivation_module._derive
    monkeypatch.setattr(derivation_module, "_derive", lambda *a: derived.append(a) or original(*a))
    return derived


# --- the round trip, for every registry entry ---------------------------------------------
@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("paradigm", PARADIGM_NAMES)
def test_every_builtin_derivation_reads_back_equal_and_is_believed(folder, monkeypatch, paradigm, loss):
    expected = fresh(paradigm, loss)  # symbolic in T, c, alpha, beta
    stored_entry(folder, paradigm, loss)
    derived = loaded_from_disk(monkeypatch)
    loaded = derive(paradigm, loss)
    assert derived == []  # read from disk, its checks passed
    assert same(loaded, expected)
    assert loaded.to_latex() == expected.to_latex()


@pytest.mark.parametrize("paradigm", PARADIGM_NAMES)
def test_a_numeric_setting_reads_back_equal(folder, monkeypatch, paradigm):
    setting = dict(classes=1000, segments=100, alpha=sp.Rational(1, 1000), beta=sp.Rational(1, 999))
    expected = fresh(paradigm, "cross-entropy", **setting)
    stored_entry(folder, paradigm, "cross-entropy", **setting)
    derived = loaded_from_disk(monkeypatch)
    assert same(derive(paradigm, "cross-entropy", **setting), expected)
    assert derived == []


def test_entries_are_json_data_not_pickles(folder):
    entry = stored_entry(folder, "hard", "exponential", segments=10, alpha=1, beta=1)
    data = json.loads(entry.read_text())
    assert set(data) == {"format", "kind", "key", "sha256", "payload"}
    assert data["key"] == entry.stem and data["kind"] == "derivation"
    assert not list(folder.glob("*.pickle"))


# --- planted code ---------------------------------------------------------------------------
def test_a_planted_pickle_runs_nothing(folder, tmp_path):
    entry = stored_entry(folder, "hard", "exponential", segments=10, alpha=1, beta=1)
    canary = tmp_path / "canary"
    payload = pickle.dumps(Canary(canary))
    entry.write_bytes(payload)  # under the entry's own name
    entry.with_suffix(".pickle").write_bytes(payload)  # and under the old format's name
    result = derive("hard", "exponential", segments=10, alpha=1, beta=1)
    assert not canary.exists()
    assert same(result, fresh("hard", "exponential", segments=10, alpha=1, beta=1))


def test_a_planted_code_string_for_lambdify_runs_nothing(folder, tmp_path, monkeypatch):
    canary = tmp_path / "canary"
    code = f"__import__('os').system('touch {canary}')"
    expr = sp.log(1 + sp.exp(-v))
    name = "stable-" + cache.key(stable._SOURCE, expr)
    # the code as a bare string, as a symbol's name, and as an undefined function's name
    plants = [code, {"sympy": ["symbol", code, {}]}, {"sympy": ["undefined", code, [["symbol", "v", {"real": True}]]]}]
    for plant in plants:
        entry = {"format": cache.FORMAT, "kind": stable.CACHE_KIND, "key": name, "sha256": cache._digest(plant), "payload": plant}
        (folder / f"{name}.json").write_text(json.dumps(entry))
        monkeypatch.setattr(stable, "_stabilised", {})
        found = stable.stabilised(expr)
        value = stable.lambdify([v], expr)(2.0)
        assert not canary.exists()
        assert found == stable.stabilise(expr)
        assert abs(value - float(sp.log(1 + sp.exp(-2)))) < 1e-15  # float64 of log(1 + e^-2)


def test_a_symbol_name_that_is_code_cannot_be_stored_or_read():
    with pytest.raises(TypeError, match="name"):
        serial.encode(sp.Symbol("__import__('os')"))
    with pytest.raises(serial.DecodeError):
        serial.decode({"sympy": ["symbol", "os.system", {}]})
    with pytest.raises(serial.DecodeError):
        serial.decode({"data": "os.system", "fields": {}})
    with pytest.raises(serial.DecodeError):
        serial.decode({"sympy": ["node", "builtins.eval", []]})


# --- swapped and edited entries -------------------------------------------------------------
def test_a_swapped_entry_is_detected(folder):
    setting = dict(segments=10, alpha=1, beta=1)
    soft = stored_entry(folder, "soft", "cross-entropy", **setting)
    hard = stored_entry(folder, "hard", "cross-entropy", **setting)
    hard.write_bytes(soft.read_bytes())  # soft's entry under hard's name
    assert same(derive("hard", "cross-entropy", **setting), fresh("hard", "cross-entropy", **setting))
    # the same with the key rewritten to match: the loss it holds is not hard attention's
    rewrite(hard, lambda payload: payload)
    data = json.loads(hard.read_text())
    data["key"] = hard.stem
    hard.write_text(json.dumps(data))
    derivation_module._remembered.clear()
    result = derive("hard", "cross-entropy", **setting)
    assert result.paradigm == "hard" and same(result, fresh("hard", "cross-entropy", **setting))


def replace_expression(payload, path, new: sp.Expr):
    """The payload with the expression at ``path`` (field names) replaced by ``new``."""
    node = payload
    for name in path[:-1]:
        node = node["fields"][name]
    node["fields"][path[-1]] = serial.encode(new)
    return payload


def test_an_edited_first_integral_with_a_valid_checksum_is_refused(folder, monkeypatch):
    setting = dict(classes=c, segments=T)
    entry = stored_entry(folder, "hard", "cross-entropy", **setting)
    # the flipped first integral: u + e^u/(T-1)^log(c), checksum recomputed
    rewrite(entry, lambda payload: replace_expression(payload, ["invariant", "focus_part"], u + sp.exp(u) / (T - 1) ** sp.log(c)))
    expected = fresh("hard", "cross-entropy", **setting)
    derived = loaded_from_disk(monkeypatch)
    result = derive("hard", "cross-entropy", **setting)
    assert len(derived) == 1  # refused, derived again
    assert same(result, expected)


@pytest.mark.parametrize("field_path, replacement", [
    (["trajectory", "focus_of_level"], sp.Symbol("S", real=True) / 2),
    (["fixed_focus", "time_of_margin"], v),
    (["fixed_focus", "incentive_limit"], sp.Integer(3)),
    (["loss_expr"], sp.exp(-v)),
])
def test_other_edited_formulas_are_refused(folder, monkeypatch, field_path, replacement):
    setting = dict(segments=10, alpha=1, beta=1)
    entry = stored_entry(folder, "lvml", "exponential", **setting)
    rewrite(entry, lambda payload: replace_expression(payload, field_path, replacement))
    expected = fresh("lvml", "exponential", **setting)
    derived = loaded_from_disk(monkeypatch)
    assert same(derive("lvml", "exponential", **setting), expected)
    assert len(derived) == 1  # refused, derived again


def test_bit_flips_never_change_a_number(folder, monkeypatch):
    """600 single-bit flips at seeded random offsets: each entry is refused (derived again) or, if it
    still loads, equal to the fresh derivation."""
    setting = dict(segments=10, alpha=1, beta=1)
    expected = fresh("hard", "cross-entropy", **setting)
    entry = stored_entry(folder, "hard", "cross-entropy", **setting)
    original = entry.read_bytes()
    rng = random.Random(24)
    name = entry.stem
    accepted = 0
    for _ in range(600):
        flipped = bytearray(original)
        offset = rng.randrange(len(flipped))
        flipped[offset] ^= 1 << rng.randrange(8)
        entry.write_bytes(bytes(flipped))
        found = cache.load(name, derivation_module.CACHE_KIND, lambda value: isinstance(value, derivation_module.Derivation))
        if found is not None:
            accepted += 1
            assert same(found, expected)
    assert accepted == 0  # every flip breaks the JSON, the checksum or the vocabulary


# --- files that are not the user's regular files ---------------------------------------------
def test_a_fifo_at_an_entry_path_is_a_miss_not_a_hang(folder):
    setting = dict(segments=10, alpha=1, beta=1)
    entry = stored_entry(folder, "soft", "square", **setting)
    entry.unlink()
    os.mkfifo(entry)
    assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is None
    assert same(derive("soft", "square", **setting), fresh("soft", "square", **setting))


def test_a_symbolic_link_and_an_oversized_entry_are_misses(folder, tmp_path, monkeypatch):
    entry = stored_entry(folder, "soft", "square", segments=10, alpha=1, beta=1)
    target = tmp_path / "elsewhere.json"
    target.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)
    assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is None
    entry.unlink()
    entry.write_bytes(target.read_bytes())
    assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is not None
    monkeypatch.setattr(cache, "MAX_BYTES", entry.stat().st_size - 1)
    assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is None


def test_a_directory_others_may_write_is_not_used(folder, monkeypatch):
    entry = stored_entry(folder, "soft", "square", segments=10, alpha=1, beta=1)
    folder.chmod(0o777)
    monkeypatch.setattr(cache, "_refused", set())
    with pytest.warns(cache.CacheWarning, match="others may write"):
        assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is None
    entry.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cache.CacheWarning)
        derive("soft", "exponential", segments=10, alpha=1, beta=1)
    assert not list(folder.glob("*.json"))  # nothing written there either


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_a_directory_or_entry_of_another_user_is_not_used(folder, monkeypatch):
    entry = stored_entry(folder, "soft", "square", segments=10, alpha=1, beta=1)
    os.chown(entry, 65534, 65534)  # an entry planted by another user
    assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is None
    os.chown(entry, os.getuid(), os.getgid())
    assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is not None
    os.chown(folder, 65534, 65534)  # a shared directory another user created
    monkeypatch.setattr(cache, "_refused", set())
    with pytest.warns(cache.CacheWarning, match="belongs to user id 65534"):
        assert cache.load(entry.stem, derivation_module.CACHE_KIND, lambda value: True) is None


def test_a_directory_made_by_the_cache_is_private(tmp_path, monkeypatch):
    directory = tmp_path / "new" / "cache"
    monkeypatch.setenv(cache.ENVIRONMENT, str(directory))
    monkeypatch.setattr(derivation_module, "_remembered", {})
    derive("soft", "square", segments=10, alpha=1, beta=1)
    assert directory.stat().st_mode & 0o077 == 0
    assert cache.distrust(directory) is None


# --- the other stored kinds -----------------------------------------------------------------
def test_a_stable_form_that_is_not_the_expression_is_refused(folder, monkeypatch):
    expr = sp.log(1 + sp.exp(-v)) + sp.polylog(2, -sp.exp(-v))
    monkeypatch.setattr(stable, "_stabilised", {})
    expected = stable.stabilised(expr)  # stored
    name = "stable-" + cache.key(stable._SOURCE, expr)
    entry = folder / f"{name}.json"
    assert entry.exists()
    rewrite(entry, lambda payload: serial.encode(expected + sp.Rational(1, 10**6)))
    monkeypatch.setattr(stable, "_stabilised", {})
    assert stable.stabilised(expr) == expected  # refused, rewritten afresh
    rewrite(entry, lambda payload: serial.encode(expected.subs(v, sp.Symbol("w"))))  # a foreign symbol
    assert cache.load(name, stable.CACHE_KIND, lambda value: stable._is_stable_form_of(value, expr)) is None


def test_an_edited_growth_law_is_refused(folder, monkeypatch):
    from analytic import growth

    d = derive("hard", "cross-entropy", classes=1000, segments=100, alpha=sp.Rational(1, 1000), beta=sp.Rational(1, 999))
    law = growth.growth_law(d)  # stored
    assert law is not None and law.incentive == sp.log(1000)
    (entry,) = folder.glob("growth-*.json")
    name = entry.stem
    verify = lambda value: growth._is_growth_law_of(value, d)  # noqa: E731
    assert cache.load(name, growth.CACHE_KIND, verify) == law
    rewrite(entry, lambda payload: replace_expression(payload, ["incentive"], sp.log(999)))
    assert cache.load(name, growth.CACHE_KIND, verify) is None
    rewrite(entry, lambda payload: replace_expression(payload, ["incentive"], sp.log(1000)))
    rewrite(entry, lambda payload: replace_expression(payload, ["margin"], sp.log(2 * growth.t)))
    assert cache.load(name, growth.CACHE_KIND, verify) is None


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("paradigm", PARADIGM_NAMES)
def test_every_builtin_growth_law_and_stable_form_is_believed_on_reading(folder, monkeypatch, paradigm, loss):
    """What the numeric commands read from disk (growth laws, stable forms of the compiled formulas)
    is accepted when it is genuine: nothing is derived or rewritten a second time."""
    from analytic import growth
    from trajectories.closed import closed_trajectory
    from trajectories.compiled import compiled_model
    from trajectories.model import Setting, _build, reduced_model

    d = derive(paradigm, loss, segments=10, alpha=1, beta=1)
    law = growth.growth_law(d)
    rewritten = []
    original = stable.stabilise
    monkeypatch.setattr(stable, "stabilise", lambda expr: rewritten.append(expr) or original(expr))
    monkeypatch.setattr(stable, "_stabilised", {})
    _build.cache_clear()  # the models of this process, so that they are compiled here
    compiled_model.cache_clear()
    closed_trajectory(reduced_model(Setting(paradigm, loss, 2, 10, 1.0, 1.0)), 0.0, 0.0, 5.0, points=3)
    first = list(rewritten)
    assert first  # the compiled model's formulas were stabilised and stored
    rewritten.clear()
    monkeypatch.setattr(stable, "_stabilised", {})
    for expr in first:
        stable.stabilised(expr)
    assert rewritten == []  # every stored stable form was believed
    entries = list(folder.glob("growth-*.json"))
    if law is not None and law.margin_kind != growth.FINITE_LIMIT:  # a stalled law names p_inf: not stored
        (entry,) = entries
        assert cache.load(entry.stem, growth.CACHE_KIND, lambda value: growth._is_growth_law_of(value, d)) == law
    _build.cache_clear()
    compiled_model.cache_clear()


def custom_models():
    from analytic import derive_custom
    from analytic.losses import custom
    from analytic.symbols import parameter

    tau = parameter("tau")
    smoothing = sp.Rational(9, 10) * sp.log(1 + sp.exp(-v)) + sp.Rational(1, 10) * sp.log(1 + sp.exp(v))
    return {
        "label smoothing (B(v) by quadrature)": lambda **k: derive("hard", custom(smoothing), segments=10, alpha=1, beta=1, **k),
        "temperature symbolic": lambda **k: derive("lvml", custom(sp.log(1 + sp.exp(-v / tau))), segments=10, alpha=1, beta=1, **k),
        "whole loss": lambda **k: derive_custom(u**2 / 2 + sp.exp(-v) * (1 + u**2), alpha=1, beta=1, **k),
    }


@pytest.mark.parametrize("name", list(custom_models()))
def test_custom_models_read_back_equal_and_are_believed(folder, monkeypatch, name):
    make = custom_models()[name]
    expected = make(use_cache=False)
    assert expected.status == "ok"
    make()  # written
    derivation_module._remembered.clear()
    derived = loaded_from_disk(monkeypatch)
    assert same(make(), expected)
    assert derived == []  # read from disk, its checks passed


def test_the_command_line_with_a_planted_pickle_prints_the_fresh_derivation(folder, tmp_path, capsys):
    from validation.cli import main

    argv = ["derive", "--paradigm", "hard", "--loss", "cross-entropy", "--segments", "10", "--alpha", "1", "--beta", "1"]
    assert main(argv + ["--no-cache"]) == 0
    expected = capsys.readouterr().out
    cache.set_enabled(True)  # --no-cache turned it off for this process
    entry = stored_entry(folder, "hard", "cross-entropy", segments=10, alpha=1, beta=1)
    canary = tmp_path / "canary"
    entry.write_bytes(pickle.dumps(Canary(canary)))
    assert main(argv) == 0
    seconds = re.compile(r", [0-9.]+ s, status")  # how long the derivation took differs run to run
    assert seconds.sub(", s, status", capsys.readouterr().out) == seconds.sub(", s, status", expected)
    assert not canary.exists()


def test_the_command_line_says_in_one_line_why_a_directory_is_not_used(folder, capsys, monkeypatch):
    from validation.cli import main

    folder.chmod(0o775)
    monkeypatch.setattr(cache, "_refused", set())
    assert main(["derive", "--paradigm", "soft", "--loss", "square", "--segments", "10", "--alpha", "1", "--beta", "1"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "note: the derivation cache" in err and "others may write to it (mode 775)" in err
    assert not list(folder.glob("*.json"))
