"""On-disk cache of certified derivations.

A derivation is stored as a pickle under a key that hashes its inputs
(``srepr`` of every SymPy object), the toolkit's version and SymPy's version,
so a change of either is a miss. The directory is ``$ATTENTION_DYNAMICS_CACHE``
or ``~/.cache/attention-dynamics``; :func:`set_enabled` (the command line's
``--no-cache``) or ``ATTENTION_DYNAMICS_CACHE=off`` bypasses it. Only
derivations with status ``ok`` are stored (a "not found" may depend on a
SymPy step's time budget or on the hash seed, and must not become permanent); writes are atomic
(temporary file, then rename), and an unreadable entry is a miss.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import sympy as sp

ENVIRONMENT = "ATTENTION_DYNAMICS_CACHE"
FORMAT = 2  # bump when the pickled Derivation's shape or the derivation rules change
_enabled = True


def set_enabled(enabled: bool) -> None:
    """Turn the disk cache on or off for this process."""
    global _enabled
    _enabled = bool(enabled)


def enabled() -> bool:
    return _enabled and os.environ.get(ENVIRONMENT, "").lower() not in ("off", "0", "no")


def directory() -> Path:
    configured = os.environ.get(ENVIRONMENT)
    if configured and configured.lower() not in ("off", "0", "no"):
        return Path(configured)
    return Path.home() / ".cache" / "attention-dynamics"


def key(*inputs) -> str:
    """A stable hash of ``inputs`` (SymPy objects by ``srepr``), the version and SymPy's version."""
    from . import __version__

    parts = [f"format {FORMAT}", f"toolkit {__version__}", f"sympy {sp.__version__}"]
    parts += [sp.srepr(item) if isinstance(item, sp.Basic) else repr(item) for item in inputs]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def load(name: str):
    """The stored object, or ``None`` (missing, disabled or unreadable)."""
    if not enabled():
        return None
    path = directory() / f"{name}.pickle"
    try:
        # the stored expressions are already in canonical form: rebuilding them without
        # evaluation skips e.g. polylog's automatic simplification (seconds per derivation)
        with open(path, "rb") as handle, sp.evaluate(False):
            return pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def store(name: str, value) -> None:
    """Store ``value`` atomically; a cache that cannot be written is skipped silently (it is only a cache)."""
    if not enabled():
        return
    folder = directory()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as stream:
                pickle.dump(value, stream, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, folder / f"{name}.pickle")
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return
