"""The entry point of ``attention-dynamics`` and ``python -m validation``.

It imports the command line itself, so that Ctrl-C during start-up (SymPy's import takes about a
second) is one line with exit status 130 like Ctrl-C later, not a traceback through the imports.
Nothing heavy is imported at module level here.
"""

from __future__ import annotations

from .program import interrupted


def run() -> int:
    """Import and run the command line; returns the exit status."""
    try:
        from .cli import main
    except KeyboardInterrupt:
        return interrupted()
    return main()
