"""What trusting nothing read from disk costs: reading a derivation back, four ways, side by side.

For each built-in paradigm x loss at the small preset (T = 10, alpha = beta = 1) and the paper preset
(T = 100, c = 1000, alpha = 1/c, beta = 1/(c - 1)), one run, best of REPEATS, wall and CPU seconds:

- derive:   the derivation done afresh (``use_cache=False``);
- pickle:   ``pickle.loads`` of the same derivation (the former cache format, which runs code: reference only);
- decode:   the JSON entry parsed and rebuilt (:mod:`analytic.serial`), no checks;
- verified: what ``cache.load`` does: the file read, checksum, decoding and every re-check.

Run: ``python3 benchmarks/bench_cache.py``.
"""

from __future__ import annotations

import json
import os
import pickle
import resource
import sys
import tempfile
import time
from pathlib import Path

import sympy as sp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["ATTENTION_DYNAMICS_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")

from analytic import cache, derive, serial  # noqa: E402
from analytic import derivation as derivation_module  # noqa: E402
from analytic.losses import LOSS_NAMES  # noqa: E402
from analytic.paradigms import PARADIGMS  # noqa: E402

REPEATS = 3
PRESETS = {
    "small": dict(classes=2, segments=10, alpha=1, beta=1),
    "paper": dict(classes=1000, segments=100, alpha=sp.Rational(1, 1000), beta=sp.Rational(1, 999)),
}


def cpu_seconds() -> float:
    """CPU of this process and of its finished children (a derivation runs in a worker process)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def best(action) -> tuple[float, float]:
    """Least wall and CPU seconds of ``action()`` over :data:`REPEATS` runs."""
    walls, cpus = [], []
    for _ in range(REPEATS):
        w, c = time.perf_counter(), cpu_seconds()
        action()
        walls.append(time.perf_counter() - w)
        cpus.append(cpu_seconds() - c)
    return min(walls), min(cpus)


def main() -> int:
    folder = Path(os.environ["ATTENTION_DYNAMICS_CACHE"])
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; best of {REPEATS}; wall / CPU seconds")
    print(f"{'preset':6} {'paradigm':8} {'loss':13} {'derive':>13} {'pickle':>15} {'decode':>15} {'verified':>15}  entry KiB")
    totals, cpu_totals = [0.0] * 4, [0.0] * 4
    for preset, setting in PRESETS.items():
        for paradigm in PARADIGMS:
            for loss in LOSS_NAMES:
                if preset == "paper" and loss != "cross-entropy":
                    continue
                kwargs = dict(setting) if loss == "cross-entropy" else {k: x for k, x in setting.items() if k != "classes"}
                derive_time = best(lambda: derive(paradigm, loss, use_cache=False, **kwargs))
                before = set(folder.glob("*.json"))
                derivation_module._remembered.clear()
                fresh = derive(paradigm, loss, **kwargs)
                (entry,) = set(folder.glob("*.json")) - before
                blob = pickle.dumps(fresh)
                text = entry.read_text()

                def unpickle():
                    with sp.evaluate(False):
                        pickle.loads(blob)

                def decode():
                    serial.decode(json.loads(text)["payload"])

                def verified():
                    derivation_module._remembered.clear()
                    assert derive(paradigm, loss, **kwargs) == fresh

                times = [derive_time, best(unpickle), best(decode), best(verified)]
                for k, (wall, cpu) in enumerate(times):
                    totals[k] += wall
                    cpu_totals[k] += cpu
                cells = " ".join(f"{w:6.3f}/{c:6.3f}" for w, c in times)
                print(f"{preset:6} {paradigm:8} {loss:13} {cells}  {entry.stat().st_size / 1024:6.1f}")
    print(f"{'total wall/CPU':29} " + " ".join(f"{w:6.3f}/{c:6.3f}" for w, c in zip(totals, cpu_totals)))
    print(f"CPU: verified / pickle {cpu_totals[3] / cpu_totals[1]:.0f}x; derive / verified {cpu_totals[0] / cpu_totals[3]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
