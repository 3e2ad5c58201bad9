"""Output helpers shared by the commands: strict JSON and the notes on what a table leaves out."""

from __future__ import annotations

import json
import sys

from validation.program import PROGRAM


def json_text(data, indent=None) -> str:
    """Strict JSON: NaN and infinities become null with a reason (never invalid JSON)."""
    from analytic.report import strict_json

    return json.dumps(strict_json(data), indent=indent, allow_nan=False)


def skipped_notes(skipped, where: str = "the table") -> None:
    """One line on stderr per paradigm a table or the figures leave out, with the reason (the rest stands)."""
    for name, why in skipped:
        print(f"{PROGRAM}: note: {name} is not in {where}: {why}", file=sys.stderr)
