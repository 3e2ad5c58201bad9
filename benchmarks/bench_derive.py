"""Benchmark: the 12 (paradigm, loss) derivations, certified, in a fresh process.

Target (issue 2): under 10 s in total on the 2-core machine, none over 3 s;
repeating a derivation in the same process is near-instant (cache).

Run: ``python benchmarks/bench_derive.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = r"""
import json, time
started = time.perf_counter()
from analytic import derive
from analytic.paradigms import PARADIGMS
imported = time.perf_counter() - started
rows = []
for loss, classes in [("cross-entropy", 2), ("square", 2), ("exponential", 2), ("cross-entropy", 1000)]:
    for paradigm in PARADIGMS:
        t0 = time.perf_counter()
        d = derive(paradigm, loss, classes=classes)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        derive(paradigm, loss, classes=classes)
        repeat = time.perf_counter() - t0
        rows.append([paradigm, loss, classes, first, repeat, d.certified, d.certificate.max_residual])
print(json.dumps({"import": imported, "rows": rows, "total": time.perf_counter() - started}))
"""


def main() -> int:
    # cold: the disk cache is off in the child, so every first derivation is derived
    environment = {**os.environ, "ATTENTION_DYNAMICS_CACHE": "off"}
    result = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, env=environment)
    data = json.loads(result.stdout)
    print(f"import analytic: {data['import']:.2f} s")
    print(f"{'paradigm':8} {'loss':14} {'c':>5} {'first (s)':>10} {'repeat (s)':>11} certified  max residual")
    for paradigm, loss, classes, first, repeat, certified, residual in data["rows"]:
        print(f"{paradigm:8} {loss:14} {classes:>5} {first:10.3f} {repeat:11.2e} {str(certified):9}  {residual:.1e}")
    slowest = max(row[3] for row in data["rows"])
    print(f"total (fresh process, including import): {data['total']:.2f} s; slowest derivation {slowest:.2f} s")
    ok = data["total"] < 10 and slowest < 3 and all(row[5] for row in data["rows"])
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
