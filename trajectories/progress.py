"""A progress bar on a terminal (tqdm), nothing when output is not a terminal."""

from __future__ import annotations

import sys

MIN_INTERVAL = 2.0  # seconds before a bar appears: short runs stay silent


def progress(iterable, description: str, total: int | None = None):
    """Wrap ``iterable`` in a tqdm bar when stderr is a terminal."""
    if not sys.stderr.isatty():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=description, total=total, delay=MIN_INTERVAL, leave=False)
