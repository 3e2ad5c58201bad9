"""Benchmark: one derivation per model, cached on disk, compiled once, bound per setting.

Measures, in one run, with a fresh temporary cache directory:

(a) derivation of a few built-in models (hard / cross-entropy symbolic in c,
    LVML / square, soft / exponential; T, alpha, beta symbolic): cold (derived
    and stored), ``derive(..., use_cache=False)``, and loaded from the disk cache
    in a *fresh* process (plus the in-memory repeat there);
(b) the first ``reduced_model(Setting(...))`` of each model in a fresh process,
    with the disk cache off (derived afresh) and warm (loaded), and the median /
    maximum over 20 *new* settings of the same model afterwards (different T, c,
    alpha, beta);
(c) the same for the custom segment loss ``log(1 + exp(-v/tau))`` under soft
    and hard attention, first with tau = 1/2, then for the new settings (tau
    cycling through 1/2, 1, 2) and for tau = 1/2, 1, 2 at one more setting.
    Soft attention has a first integral symbolic in tau; hard attention has
    none symbolically, so each of its settings is derived again with its numbers
    in place (column ``symbolic I(u,v)``), which may or may not find one.

Timings are wall-clock and single-shot: on a loaded machine they vary by a factor
of about two (the load average is printed).

Run from the repository root: ``python3 benchmarks/bench_compiled.py``
(the temporary cache directory is removed at the end).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = tempfile.mkdtemp(prefix="attention-dynamics-bench-")
os.environ["ATTENTION_DYNAMICS_CACHE"] = CACHE  # before the toolkit is imported
sys.path.insert(0, str(ROOT))

import sympy as sp  # noqa: E402
from sympy.core.cache import clear_cache  # noqa: E402

from analytic import derive  # noqa: E402
from analytic import symbols as sym  # noqa: E402

# (label, paradigm, loss, classes) — classes None = the symbol c
BUILT_IN = [
    ("hard / cross-entropy (c)", "hard", "cross-entropy", None),
    ("lvml / square", "lvml", "square", 2),
    ("soft / exponential", "soft", "exponential", 2),
]
NEW_SETTINGS = 20

# Child process: loads the derivations of BUILT_IN from the disk cache (mode "load"),
# or builds reduced models (mode "models"); prints JSON.
CHILD = r"""
import json, statistics, sys, time
started = time.perf_counter()
import sympy as sp
from analytic import derive
from analytic import symbols as sym
from analytic.losses import custom
from trajectories.model import Setting, reduced_model, model_derivation
imported = time.perf_counter() - started
mode, cases, new_settings = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
out = {"import": imported, "rows": []}

def timed(function, *arguments, **options):
    t0 = time.perf_counter()
    value = function(*arguments, **options)
    return value, time.perf_counter() - t0

if mode == "load":
    for label, paradigm, loss, classes in cases:
        classes = sym.c if classes is None else classes
        d, first = timed(derive, paradigm, loss, classes=classes)
        _, again = timed(derive, paradigm, loss, classes=classes)
        out["rows"].append([label, first, again, d.status, d.certified])
else:
    # new settings: T, c, alpha, beta all different from the first (T = 10, c = 2, alpha = beta = 1)
    grid = [dict(segments=5 + 7 * k, classes=3 + 50 * k, alpha=sp.Rational(1, 2 + k), beta=sp.Rational(3, 4 + k))
            for k in range(new_settings)]
    tau = sp.Symbol("tau")
    for label, paradigm, loss, classes in cases:
        if loss == "custom":
            segment = custom(sp.log(1 + sp.exp(-sym.v / tau)))
            first_setting = Setting(paradigm, segment, params={"tau": sp.Rational(1, 2)})
            taus = [sp.Rational(1, 2), sp.Integer(1), sp.Integer(2)]
            make = lambda k: Setting(paradigm, segment, params={"tau": taus[k % 3]}, **grid[k])
        else:
            first_setting = Setting(paradigm, loss, classes or 2)
            make = lambda k: Setting(paradigm, loss, **grid[k])
        model, first = timed(reduced_model, first_setting)
        symbolic = model_derivation(first_setting)
        row = {"label": label, "first": first, "symbolic_integral": symbolic.invariant is not None}
        times, closed = [], 0
        for k in range(new_settings):
            setting = make(k)
            model, seconds = timed(reduced_model, setting)
            times.append(seconds)
            closed += model.has_first_integral
        row.update(median=statistics.median(times), max=max(times), closed=closed)
        if loss == "custom":
            other = dict(segments=17, alpha=sp.Rational(1, 3), beta=sp.Rational(2, 3))
            by_tau = []
            for value in taus:
                model, seconds = timed(reduced_model, Setting(paradigm, segment, params={"tau": value}, **other))
                by_tau.append([str(value), seconds, model.has_first_integral])
            row["by_tau"] = by_tau
        out["rows"].append(row)
print(json.dumps(out))
"""


def child(mode: str, cases, cache: str) -> dict:
    environment = dict(os.environ, ATTENTION_DYNAMICS_CACHE=cache)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), environment.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, json.dumps(cases), str(NEW_SETTINGS)],
        capture_output=True, text=True, cwd=ROOT, env=environment,
    )
    if result.returncode != 0:
        raise SystemExit(f"child process ({mode}) failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def cold_derivations() -> list:
    rows = []
    for label, paradigm, loss, classes in BUILT_IN:
        classes = sym.c if classes is None else classes
        clear_cache()  # SymPy's own cache, so neither timing profits from the other
        t0 = time.perf_counter()
        d = derive(paradigm, loss, classes=classes)
        cold = time.perf_counter() - t0
        clear_cache()
        t0 = time.perf_counter()
        derive(paradigm, loss, classes=classes, use_cache=False)
        uncached = time.perf_counter() - t0
        rows.append([label, cold, uncached, d.status, d.certified])
    return rows


def cache_size(folder: str) -> tuple[int, int]:
    files = list(Path(folder).glob("*.json"))
    return len(files), sum(f.stat().st_size for f in files)


def main() -> int:
    print(f"cache directory: {CACHE} (temporary, fresh); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    started = time.perf_counter()
    cold = cold_derivations()
    files, size = cache_size(CACHE)
    loaded = child("load", BUILT_IN, CACHE)
    print(f"\n(a) derivation, symbolic in T, alpha, beta (seconds); {files} entries, {size / 1024:.0f} KiB on disk")
    print(f"{'model':26} {'cold+store':>10} {'use_cache=False':>15} {'disk (new proc)':>15} {'memory':>9}  status")
    for (label, first, uncached, status, certified), (_, load, again, _, _) in zip(cold, loaded["rows"]):
        print(f"{label:26} {first:10.2f} {uncached:15.2f} {load:15.4f} {again:9.1e}  {status}, certified {certified}")
    print(f"(fresh process: `from analytic import derive` etc. took {loaded['import']:.2f} s, not included)")

    cases = [list(case) for case in BUILT_IN] + [
        ["soft / log(1+exp(-v/tau))", "soft", "custom", None],
        ["hard / log(1+exp(-v/tau))", "hard", "custom", None],
    ]
    no_disk = child("models", cases, "off")  # disk cache off: every derivation is done afresh
    child("models", cases, CACHE)  # stores what (a) did not: the custom models and per-setting derivations
    warm = child("models", cases, CACHE)  # everything from the disk cache
    print(f"\n(b), (c) reduced_model(Setting(...)) in a fresh process (seconds): the first setting, then "
          f"{NEW_SETTINGS} new settings (T, c, alpha, beta, tau all differ); disk cache off / warm")
    print(f"{'model':26} {'first':>13} {'new: median':>15} {'new: max':>13}  symbolic I(u,v)   closed form")
    for a, b in zip(no_disk["rows"], warm["rows"]):
        symbolic = "yes" if a["symbolic_integral"] else "no (per setting)"
        print(f"{a['label']:26} {a['first']:5.2f} / {b['first']:5.2f} {a['median']:7.4f} / {b['median']:6.4f} "
              f"{a['max']:5.2f} / {b['max']:5.2f}  {symbolic:16}  {a['closed']}/{NEW_SETTINGS} new settings")
    for a, b in zip(no_disk["rows"], warm["rows"]):
        if "by_tau" in a:
            print(f"  {a['label']} at T = 17, alpha = 1/3, beta = 2/3 (off / warm):")
            for (tau, seconds_a, closed), (_, seconds_b, _) in zip(a["by_tau"], b["by_tau"]):
                print(f"    tau = {tau:3}: {seconds_a:6.4f} / {seconds_b:6.4f}  {'closed form' if closed else 'no closed form (ode/gd only)'}")
    files, size = cache_size(CACHE)
    print(f"\ncache after the run: {files} entries, {size / 1024:.0f} KiB; total {time.perf_counter() - started:.1f} s; "
          f"load average {os.getloadavg()[0]:.1f}")
    shutil.rmtree(CACHE, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
