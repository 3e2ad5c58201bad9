"""Progress: a bar on a terminal (tqdm); a line on stderr every few seconds otherwise."""

from __future__ import annotations

import sys
import time

MIN_INTERVAL = 2.0  # seconds before a bar appears: short runs stay silent
LINE_INTERVAL = 5.0  # seconds between progress lines when stderr is not a terminal


def progress(iterable, description: str, total: int | None = None):
    """Wrap ``iterable``: a tqdm bar when stderr is a terminal, else periodic lines."""
    if not sys.stderr.isatty():
        return _lines(iterable, description, total)
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, delay=MIN_INTERVAL, leave=False)


def _lines(iterable, description: str, total: int | None):
    started = time.monotonic()
    last = started
    if total is None and hasattr(iterable, "__len__"):
        total = len(iterable)
    for done, item in enumerate(iterable):
        now = time.monotonic()
        if now - last >= LINE_INTERVAL:
            of = f"/{total}" if total else ""
            print(f"{description}: {done}{of} after {now - started:.0f} s", file=sys.stderr, flush=True)
            last = now
        yield item
