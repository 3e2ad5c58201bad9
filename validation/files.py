"""Output files: written atomically, and never over a file this toolkit did not write.

A file is written to a temporary name in its directory (``.<name>.<8 random
characters>.part``) and renamed into place, so an interrupted run never leaves a
half-written file under its final name. The temporaries of a run that was
killed (SIGKILL: no ``finally`` runs) are removed by the next run that prepares
the directory, and so are the scratch directories of an interrupted LaTeX
compilation (``.latex-<8 random characters>``); nothing else is ever removed.

Each output directory holds a manifest, ``.attention-dynamics`` (JSON): the
files the toolkit wrote there, each with the SHA-256 of what it wrote. A run
overwrites a file only if the manifest lists it and its content is unchanged
since; otherwise it stops with a one-line ``ValueError`` naming the file. A
non-empty directory without a manifest is refused as a whole.

``force`` lifts both refusals for one run only: it is a property of the call
that prepared the directory (``prepare_directory(..., force=True)``), held while
that call is executing, and never stored on disk. Directories prepared inside a
run (a paper's ``snippets/`` and ``figures/``) belong to the enclosing run and
take its ``force``. A later run without ``force`` therefore still refuses to
overwrite files the user created or edited, even in a directory an earlier
forced run wrote into.

Paths that cannot be output directories (an empty string, a regular file, a
path through a regular file, a dangling symbolic link, a read-only directory,
a place such as ``/proc`` that accepts no new files) raise a one-line
``ValueError`` naming the path and the reason.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

MARKER = ".attention-dynamics"
MANIFEST_FORMAT = 1
FILE_MODE = 0o644
#: the names :func:`atomic_path` gives (``tempfile.mkstemp``: 8 characters of ``[a-z0-9_]``)
TEMPORARY_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.part")
#: the scratch directories of :func:`validation.paper.run_latex` (``tempfile.mkdtemp(prefix=".latex-")``)
LATEX_SCRATCH_NAME = re.compile(r"\.latex-[a-z0-9_]{8}")
FORCE_HINT = "use --force to overwrite"


# --- messages ---------------------------------------------------------------------------
def shown_path(path) -> str:
    """A path for a one-line message (control characters escaped)."""
    text = os.fsdecode(path) if not isinstance(path, str) else path
    return text if text.isprintable() else repr(text)[1:-1]


def _reason(error: OSError) -> str:
    """The operating system's one-line reason (``Permission denied``)."""
    if error.strerror:
        return error.strerror
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- runs: which directories the executing calls prepared, and with which ``force`` -------
@dataclass(frozen=True)
class _Run:
    directory: Path  # resolved
    force: bool
    frame: object  # the frame of the call that prepared ``directory``; the run lasts while it executes


_state = threading.local()


def _live_runs() -> list[_Run]:
    """The runs whose preparing call is still executing in this thread (finished ones are dropped).

    Each run holds its frame, so no other object can share the frame's ``id``
    while the run is listed: an ``id`` on the current stack is that very call.
    """
    runs = getattr(_state, "runs", [])
    if not runs:
        return []
    on_stack = set()
    frame = sys._getframe(1)
    while frame is not None:
        on_stack.add(id(frame))
        frame = frame.f_back
    live = [run for run in runs if id(run.frame) in on_stack]
    _state.runs = live
    return live


def _enclosing_run(directory: Path, runs) -> _Run | None:
    """The innermost live run whose directory is ``directory`` or one of its ancestors."""
    best = None
    for run in runs:
        if (directory == run.directory or directory.is_relative_to(run.directory)) and (
            best is None or len(run.directory.parts) >= len(best.directory.parts)
        ):
            best = run
    return best


def _resolved(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):  # pragma: no cover - realpath does not raise on POSIX
        return Path(os.path.abspath(path))


# --- the manifest ------------------------------------------------------------------------
def digest(path) -> str | None:
    """SHA-256 of a file's content (``None`` if it cannot be read)."""
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        return None
    return sha.hexdigest()


def read_manifest(directory) -> dict[str, str] | None:
    """``{file name: sha256}`` of the files this toolkit wrote in ``directory``.

    ``None`` when the directory has no manifest; ``{}`` for an unreadable one or
    the empty marker of older versions (which claims no file).
    """
    marker = Path(directory) / MARKER
    if not os.path.lexists(marker):
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return {}
    return {name: value for name, value in files.items() if isinstance(name, str) and isinstance(value, str)}


def _write_manifest(directory: Path, files: dict[str, str]) -> None:
    text = json.dumps(
        {"attention-dynamics": MANIFEST_FORMAT,
         "note": "files this toolkit wrote here (SHA-256); a later run overwrites only these, and only if unchanged",
         "files": files},
        indent=2, sort_keys=True, allow_nan=False,
    ) + "\n"
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{MARKER}.", suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, directory / MARKER)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)


def _record(final: Path, content_digest: str | None, create: bool) -> None:
    """List ``final`` in its directory's manifest (created only if ``create``)."""
    files = read_manifest(final.parent)
    if files is None and not create:
        return
    files = dict(files or {})
    if content_digest is None:
        files.pop(final.name, None)
    else:
        files[final.name] = content_digest
    try:
        _write_manifest(final.parent, files)
    except OSError as error:
        raise ValueError(f"could not record {shown_path(final)} in {shown_path(final.parent / MARKER)}: {_reason(error)}") from None


def why_not_ours(final) -> str | None:
    """Why overwriting ``final`` could destroy something this toolkit did not write (``None``: it may)."""
    final = Path(final)
    if not os.path.lexists(final):
        return None
    if final.is_symlink():
        return "is a symbolic link this toolkit did not write"
    if final.is_dir():
        return "is a directory"
    recorded = (read_manifest(final.parent) or {}).get(final.name)
    if recorded is None:
        return "was not written by this toolkit"
    if digest(final) != recorded:
        return "has changed since this toolkit wrote it"
    return None


def _guard(final: Path, runs=None) -> _Run | None:
    """Refuse to replace ``final`` unless the run that owns its directory may; returns that run."""
    run = _enclosing_run(_resolved(final.parent), _live_runs() if runs is None else runs)
    if final.is_dir() and not final.is_symlink():
        raise ValueError(f"cannot write {shown_path(final)}: it is a directory")
    if run is not None and not run.force:
        why = why_not_ours(final)
        if why is not None:
            raise ValueError(f"{shown_path(final)} {why}: refusing to overwrite it ({FORCE_HINT})")
    return run


def check_writable(*finals, directories=()) -> None:
    """Raise the error :func:`commit` would raise for any of ``finals``, and the error
    :func:`prepare_directory` would raise for any of ``directories`` -- before a long run starts."""
    runs = _live_runs()
    for directory in map(Path, directories):
        run = _enclosing_run(_resolved(directory), runs)
        if run is None or run.force or not directory.is_dir() or os.path.lexists(directory / MARKER):
            continue
        names = sorted(os.listdir(directory))
        if names:
            raise ValueError(
                f"`out` {shown_path(directory)} exists and holds files this toolkit did not write (such as "
                f"{shown_path(directory / names[0])}): use --force to write there anyway"
            )
    for final in finals:
        _guard(Path(final), runs)


# --- directories -------------------------------------------------------------------------
def _as_path(directory) -> Path:
    if isinstance(directory, bytes):
        directory = os.fsdecode(directory)
    if isinstance(directory, str):
        if directory == "":
            raise ValueError("`out` is empty: give the path of a directory to write into")
    elif not isinstance(directory, os.PathLike):
        raise TypeError(f"`out` must be a path, got {type(directory).__name__}")
    text = os.fspath(directory)
    if "\0" in text:
        raise ValueError(f"`out` {shown_path(text)} contains a NUL character")
    return Path(directory)


def _check_place(path: Path) -> None:
    """Refuse a path that is not, and cannot become, a directory."""
    shown = shown_path(path)
    if path.is_symlink() and not path.exists():
        raise ValueError(f"`out` {shown} is a dangling symbolic link (to {shown_path(os.readlink(path))})")
    if path.exists():
        if not path.is_dir():
            raise ValueError(f"`out` {shown} is not a directory (a file of that name exists)")
        return
    for ancestor in path.parents:
        if os.path.lexists(ancestor):
            if ancestor.is_symlink() and not ancestor.exists():
                raise ValueError(f"`out` {shown}: {shown_path(ancestor)} is a dangling symbolic link")
            if not ancestor.is_dir():
                raise ValueError(f"`out` {shown}: {shown_path(ancestor)} is a file, not a directory")
            return


def _create(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        existing = next((a for a in path.parents if a.exists()), None)
        where = f" in {shown_path(existing)}" if existing is not None else ""
        if error.errno == errno.ENOENT and existing is not None:
            reason = f"{shown_path(existing)} accepts no new directories ({_reason(error)})"
        else:
            reason = _reason(error)
        raise ValueError(f"`out` {shown_path(path)} cannot be created{where}: {reason}") from None


def remove_stale_temporaries(directory) -> list[Path]:
    """Remove what a killed run left in ``directory``: ``.*.part`` files and ``.latex-*`` scratch directories.

    Only names of the toolkit's own temporary patterns are touched.
    """
    removed = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        try:
            if TEMPORARY_NAME.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
            elif LATEX_SCRATCH_NAME.fullmatch(entry.name) and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                continue
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def prepare_directory(directory, *, force: bool = False) -> Path:
    """Create ``directory`` (or check it) for the calling run, and return it.

    Refuses (one-line ``ValueError``) a path that cannot be a writable directory,
    and an existing non-empty directory without this toolkit's manifest unless
    ``force``. Removes temporaries a killed run left there. ``force`` holds while
    the calling function executes (see the module docstring).
    """
    path = _as_path(directory)
    try:
        forced = _prepare(path, force)
    except OSError as error:  # e.g. a parent that cannot be searched
        raise ValueError(f"`out` {shown_path(path)} cannot be used: {_reason(error)}") from None
    _state.runs = _live_runs() + [_Run(_resolved(path), forced, sys._getframe(1))]
    return path


def check_directory(directory, *, force: bool = False) -> None:
    """The refusals of :func:`prepare_directory` that need no writing, before a long run starts."""
    path = _as_path(directory)
    _check_place(path)
    if path.is_dir() and not force and not os.path.lexists(path / MARKER):
        try:
            names = sorted(entry.name for entry in os.scandir(path))
        except OSError as error:
            raise ValueError(f"`out` {shown_path(path)} cannot be read: {_reason(error)}") from None
        if names:
            raise ValueError(f"`out` {shown_path(path)} exists and holds files this toolkit did not write (such as "
                             f"{shown_path(path / names[0])}): use --force to write there anyway")


def _prepare(path: Path, force: bool) -> bool:
    """Check or create ``path`` and write its manifest; returns the run's effective ``force``."""
    _check_place(path)
    shown = shown_path(path)
    existed = path.is_dir()
    if not existed:
        _create(path)
    # a directory prepared inside a run (a paper's snippets/) takes that run's force
    enclosing = _enclosing_run(_resolved(path), _live_runs())
    forced = bool(force and (enclosing.force if enclosing is not None else True))
    if existed:
        has_manifest = os.path.lexists(path / MARKER)
        if has_manifest:
            remove_stale_temporaries(path)
        try:
            names = sorted(entry.name for entry in os.scandir(path))
        except OSError as error:
            raise ValueError(f"`out` {shown} cannot be read: {_reason(error)}") from None
        if names and not has_manifest and not forced:
            raise ValueError(
                f"`out` {shown} exists and holds files this toolkit did not write (such as "
                f"{shown_path(path / names[0])}): use --force to write there anyway"
            )
    try:
        _write_manifest(path, read_manifest(path) or {})
    except OSError as error:
        reason = _reason(error)
        if error.errno == errno.ENOENT:  # the directory exists: its file system takes no new files (/proc)
            reason = f"its file system accepts no new files ({reason})"
        raise ValueError(f"`out` {shown} is not writable: {reason}") from None
    return forced


# --- files -------------------------------------------------------------------------------
def atomic_path(final: Path):
    """A temporary path beside ``final``; call :func:`commit` to move it into place."""
    final = Path(final)
    try:
        handle, temporary = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name}.", suffix=".part")
    except OSError as error:
        raise ValueError(f"cannot write {shown_path(final)}: {_reason(error)}") from None
    os.close(handle)
    return Path(temporary)


def commit(temporary: Path, final: Path) -> Path:
    """Move ``temporary`` to ``final`` and list it in the manifest.

    Inside a run (a directory prepared by a call that is still executing) a file
    the toolkit did not write, or that changed since, is not replaced unless the
    run has ``force``.
    """
    final = Path(final)
    run = _guard(final)
    content = digest(temporary)
    try:
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, final)
    except OSError as error:
        raise ValueError(f"cannot write {shown_path(final)}: {_reason(error)}") from None
    _record(final, content, create=run is not None)
    return final


def _write(final, write) -> Path:
    """Write ``final`` atomically: ``write(temporary)`` fills a temporary file beside it, then it is renamed."""
    final = Path(final)
    temporary = atomic_path(final)
    try:
        try:
            write(temporary)
        except OSError as error:
            raise ValueError(f"cannot write {shown_path(final)}: {_reason(error)}") from None
        return commit(temporary, final)
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text(final, text: str) -> Path:
    """Write ``text`` to ``final`` atomically."""
    return _write(final, lambda path: path.write_text(text))


def write_bytes(final, data: bytes) -> Path:
    """Write ``data`` to ``final`` atomically."""
    return _write(final, lambda path: path.write_bytes(data))


def write_json(final, data) -> Path:
    """Write ``data`` as strict JSON (no NaN or Infinity: they raise ``ValueError``)."""
    try:
        text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False)
    except ValueError as error:
        raise ValueError(f"cannot write {shown_path(final)} as strict JSON: {error}") from None
    return write_text(final, text + "\n")
