r"""On-disk cache of certified derivations, stored as data and trusted only after checks.

An entry is a JSON file (:mod:`analytic.serial`: no pickle, no code string) under a
name that hashes its inputs (``srepr`` of every SymPy object), the derivation rules (the
source of :mod:`analytic`), the toolkit's version and SymPy's version, so a change of any
is a miss. The directory is
``$ATTENTION_DYNAMICS_CACHE`` or ``~/.cache/attention-dynamics``; :func:`set_enabled`
(the command line's ``--no-cache``) or ``ATTENTION_DYNAMICS_CACHE=off`` bypasses it.

Nothing read is believed. An entry is used only when

1. the directory is the user's own and not writable by others (else the cache is off,
   with one warning), the entry a regular file of the user's, at most :data:`MAX_BYTES`;
2. it names its own key and kind (a file copied under another entry's name is refused),
   and the SHA-256 of its content matches (a flipped bit is refused);
3. it decodes in the closed vocabulary of :mod:`analytic.serial`, and
4. the caller's ``verify`` accepts it: a derivation must have the loss and flow its
   inputs give and pass numeric spot checks of its first integral, trajectory and
   fixed-focus formulas (:mod:`analytic.recheck`).

Any failure is a miss (the value is derived again), never an error and never a hang.
Only derivations with status ``ok`` are stored (a "not found" may depend on a SymPy
step's time budget or on the hash seed, and must not become permanent); writes are
atomic (temporary file, then rename) and verified by reading back.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import stat
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import sympy as sp

from . import serial

ENVIRONMENT = "ATTENTION_DYNAMICS_CACHE"
FORMAT = 4  # bump when a stored class's shape, the data format or the derivation rules change
SUFFIX = ".json"
MAX_BYTES = 32 * 2**20  # an entry larger than this is not read (the largest built-in is ~100 KiB)
_enabled = True
_refused: set[str] = set()  # directories already warned about


class CacheWarning(UserWarning):
    """The cache directory cannot be trusted, so the cache is not used."""


def _warn(text: str) -> None:
    warnings.warn(text, CacheWarning, stacklevel=4)


_report: Callable[[str], None] = _warn


def set_reporter(report: Callable[[str], None] | None) -> None:
    """Say why a cache directory is not used through ``report(text)`` (``None``: a :class:`CacheWarning`)."""
    global _report
    _report = _warn if report is None else report


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


@functools.lru_cache(maxsize=1)
def rules() -> str:
    """A digest of the derivation rules: the source of every module of :mod:`analytic` (a change is a miss)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(*inputs) -> str:
    """A stable hash of ``inputs`` (SymPy objects by ``srepr``), the derivation rules, the version and SymPy's version."""
    from . import __version__

    parts = [f"format {FORMAT}", f"rules {rules()}", f"toolkit {__version__}", f"sympy {sp.__version__}"]
    parts += [sp.srepr(item) if isinstance(item, sp.Basic) else repr(item) for item in inputs]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def distrust(folder: Path) -> str | None:
    """Why ``folder`` must not be used as a cache (``None``: it is the user's own, private to them)."""
    try:
        info = os.stat(folder, follow_symlinks=False)
    except FileNotFoundError:
        return None  # created by :func:`store`, private
    except OSError as error:
        return f"it cannot be inspected ({error.strerror})"
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a directory"
    if info.st_uid != os.getuid():
        return f"it belongs to user id {info.st_uid}, not to you ({os.getuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"others may write to it (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _trusted_directory() -> Path | None:
    folder = directory()
    reason = distrust(folder)
    if reason is None:
        return folder
    if str(folder) not in _refused:
        _refused.add(str(folder))
        _report(f"the derivation cache {folder} is not used: {reason}")
    return None


def _digest(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def load(name: str, kind: str, verify: Callable[[object], bool]):
    """The stored ``kind`` under ``name`` if every check passes and ``verify(value)`` accepts it, else ``None``."""
    if not enabled():
        return None
    folder = _trusted_directory()
    if folder is None:
        return None
    try:
        text = _read_entry(folder / f"{name}{SUFFIX}")
        if text is None:
            return None
        entry = json.loads(text)
        if not (isinstance(entry, dict) and set(entry) == {"format", "kind", "key", "sha256", "payload"}):
            return None
        if entry["format"] != FORMAT or entry["kind"] != kind or entry["key"] != name:
            return None
        if entry["sha256"] != _digest(entry["payload"]):
            return None
        value = serial.decode(entry["payload"])
        return value if verify(value) else None
    except Exception:  # noqa: BLE001 -- whatever a corrupted entry provokes, it is a miss
        return None


def _read_entry(path: Path) -> str | None:
    """The text of a regular file the user owns (never follows a link, never blocks on a FIFO)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as stream:
        info = os.fstat(stream.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_size > MAX_BYTES:
            return None
        data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        return None
    return data.decode("utf-8")


def store(name: str, kind: str, value) -> None:
    """Store ``value`` atomically; skipped silently when it cannot be written or would not read back equal."""
    if not enabled():
        return
    try:
        payload = serial.encode(value)
        if serial.decode(json.loads(json.dumps(payload))) != value:
            return  # not faithfully storable: better derived again than stored wrong
    except (TypeError, ValueError, RecursionError):
        return
    entry = {"format": FORMAT, "kind": kind, "key": name, "sha256": _digest(payload), "payload": payload}
    folder = directory()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if _trusted_directory() is None:
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(entry, stream, separators=(",", ":"))
            os.replace(temporary, folder / f"{name}{SUFFIX}")
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    except OSError:
        return


__all__ = ["CacheWarning", "directory", "distrust", "enabled", "key", "load", "set_enabled", "set_reporter", "store"]
