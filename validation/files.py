"""Output files: written atomically, into directories this toolkit owns.

A file is written to a temporary name in its directory and renamed into
place, so an interrupted run never leaves a half-written file under its final
name. A directory is marked as ours by a ``.attention-dynamics`` file; an
existing non-empty directory without it is refused unless ``force``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

MARKER = ".attention-dynamics"
FILE_MODE = 0o644


def prepare_directory(directory, *, force: bool = False) -> Path:
    """Create ``directory``; refuse an existing non-empty one that is not ours (unless ``force``)."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(f"`out` is not a directory: {directory}")
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists() and not force:
        raise ValueError(f"`out` {directory} exists and holds files this toolkit did not write (use --force)")
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).touch()
    return path


def atomic_path(final: Path):
    """A temporary path beside ``final``; call :func:`commit` to move it into place."""
    handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    os.close(handle)
    return Path(temporary)


def commit(temporary: Path, final: Path) -> Path:
    os.chmod(temporary, FILE_MODE)
    os.replace(temporary, final)
    return final


def write_text(final, text: str) -> Path:
    """Write ``text`` to ``final`` atomically."""
    final = Path(final)
    temporary = atomic_path(final)
    try:
        temporary.write_text(text)
        return commit(temporary, final)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_json(final, data) -> Path:
    return write_text(final, json.dumps(data, indent=2, sort_keys=True) + "\n")
