"""Output files: written atomically, and never over a file this toolkit did not write.

A file is written to a temporary name in its directory (``.<name>.<8 hex digits>.part``)
and renamed into place, so an interrupted run never leaves a half-written file
under its final name. A directory that does not exist yet is built whole in a
hidden sibling (``.<name>.<8 hex digits>.staging``) and renamed into place at the
end (:func:`staged_directory`): it appears complete or not at all, Ctrl-C included.

Each output directory holds a manifest, ``.attention-dynamics`` (JSON): the
files the toolkit wrote there, each with the SHA-256 of what it wrote, the
temporaries it is writing, and the SHA-256 of that content (its checksum). Only
a manifest whose checksum verifies counts: a user's own file of that name, an
edited manifest or one of an older format makes the directory not the
toolkit's. A run overwrites a file only if the manifest lists it and its content
is unchanged since; otherwise it stops with a one-line ``BadInput`` naming the
file. A non-empty directory without a verified manifest is refused as a whole.

A temporary (a ``.part`` file, a staging directory, a LaTeX scratch directory)
is listed in the manifest before it is created; the temporaries of a run that
was killed (SIGKILL: no ``finally`` runs) are removed by the next run that
prepares the directory -- those listed, and nothing else: a user's file that
merely looks like a temporary is never touched.

A run holds what it may do in an :class:`OutputDirectory`, returned by
:func:`prepare_directory` (or yielded by :func:`open_output`) and passed to every
writer (:func:`write_text`, :func:`write_bytes`, :func:`write_json`,
:func:`commit`, :func:`check_writable`, :func:`scratch_directory`): whether a file
may be replaced is decided from the object the caller holds. ``force`` lifts both
refusals for that object only, and is never stored on disk. Directories prepared
inside a run (a paper's ``snippets/`` and ``figures/``: ``within=`` the enclosing
object) belong to the enclosing run and take its ``force``. A later run without
``force`` therefore still refuses to overwrite files the user created or edited,
even in a directory an earlier forced run wrote into. A file written through
:meth:`OutputDirectory.unmanaged` (outside any run: a user's own ``.tex``
compiled) replaces what is there and is listed only where a manifest exists.

Paths that cannot be output directories (an empty string, a regular file, a
path through a regular file, a dangling symbolic link, a read-only directory,
a place such as ``/proc`` that accepts no new files) raise a one-line
``BadInput`` naming the path and the reason; :func:`check_directory` finds them
before a long run starts (it tries to create an entry there, and removes it).
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analytic.errors import BadInput

MARKER = ".attention-dynamics"
MANIFEST_FORMAT = 2  # 1 (no checksum, no temporaries) no longer counts as the toolkit's
MANIFEST_MAX_BYTES = 16 << 20  # a larger file of the marker's name is not a manifest (not read)
FILE_MODE = 0o644
#: the temporaries this toolkit creates (each listed in the manifest first): a file being written,
#: a directory being built, a LaTeX compilation's scratch directory
TEMPORARY_NAME = re.compile(r"\..+\.[0-9a-f]{8}\.(part|staging)|\.latex-[0-9a-f]{8}")
FORCE_HINT = "use --force to overwrite"
_SHA256 = re.compile(r"[0-9a-f]{64}")


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


# --- runs: the directory a run writes into, and whether it may overwrite -----------------
@dataclass(frozen=True)
class OutputDirectory:
    """A directory a run writes into (``path``), and whether that run may overwrite what it did not write.

    Made by :func:`prepare_directory` (a run) or :meth:`unmanaged` (no run: nothing is
    refused but a directory, and a manifest is written only where one exists).
    ``path`` is where the files go now: a staging sibling while a new directory is
    built (:func:`open_output`).
    """

    path: Path
    force: bool = False
    managed: bool = True  # a run's directory: refuses files it did not write (unless force) and keeps a manifest

    @classmethod
    def unmanaged(cls, directory) -> "OutputDirectory":
        """``directory`` written outside any run (e.g. a LaTeX file the user compiles)."""
        return cls(Path(directory), force=False, managed=False)

    def file(self, name) -> Path:
        """The path of ``name`` (a file name, or a relative path below this directory)."""
        relative = Path(name)
        if relative.is_absolute() or ".." in relative.parts or relative.parts in ((), (".",)):
            raise RuntimeError(f"{shown_path(name)} is not a path inside {shown_path(self.path)}")  # a bug in the caller
        return self.path / relative


def _within(out: OutputDirectory) -> OutputDirectory:
    if not isinstance(out, OutputDirectory):
        raise TypeError(f"expected the OutputDirectory of a run (from prepare_directory), got {type(out).__name__}")
    return out


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


@dataclass(frozen=True)
class _Manifest:
    files: dict  # name -> sha256 of the content the toolkit wrote
    temporaries: tuple  # names of temporaries being written (left behind by a killed run)


def _checksum(files: dict, temporaries) -> str:
    body = json.dumps({"attention-dynamics": MANIFEST_FORMAT, "files": files, "temporaries": sorted(temporaries)},
                      sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _plain_name(name) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..", MARKER) and "/" not in name and "\0" not in name


def _read(directory) -> _Manifest | None:
    """The verified manifest of ``directory``; ``None`` when there is none, or the file of that name is not one
    this toolkit wrote (not a regular file, not its JSON, a checksum that does not match)."""
    marker = os.path.join(os.fspath(directory), MARKER)
    try:
        info = os.lstat(marker)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MANIFEST_MAX_BYTES:
            return None  # a FIFO, a directory, a link: never opened
        with open(marker, "rb") as handle:
            data = json.loads(handle.read(MANIFEST_MAX_BYTES + 1).decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("attention-dynamics") != MANIFEST_FORMAT:
        return None
    files, temporaries = data.get("files"), data.get("temporaries")
    if not isinstance(files, dict) or not isinstance(temporaries, list):
        return None
    if not all(_plain_name(name) and isinstance(value, str) and _SHA256.fullmatch(value) for name, value in files.items()):
        return None
    if not all(_plain_name(name) and TEMPORARY_NAME.fullmatch(name) for name in temporaries):
        return None
    if data.get("checksum") != _checksum(files, temporaries):
        return None
    return _Manifest(dict(files), tuple(temporaries))


def read_manifest(directory) -> dict[str, str] | None:
    """``{file name: sha256}`` of the files this toolkit wrote in ``directory``.

    ``None`` when the directory has no verified manifest (none, or a file of
    that name this toolkit did not write: see the module docstring).
    """
    manifest = _read(directory)
    return None if manifest is None else manifest.files


def is_ours(directory) -> bool:
    """Whether ``directory`` holds a manifest this toolkit wrote (verified)."""
    return _read(directory) is not None


def _write_manifest(directory: Path, files: dict[str, str], temporaries=()) -> None:
    temporaries = sorted(set(temporaries))
    text = json.dumps(
        {"attention-dynamics": MANIFEST_FORMAT,
         "note": "files this toolkit wrote here (SHA-256); a later run overwrites only these, and only if unchanged",
         "files": files, "temporaries": temporaries, "checksum": _checksum(files, temporaries)},
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


def _list_temporary(directory: Path, name: str, listed: bool) -> bool:
    """Add ``name`` to (``listed``) or drop it from the temporaries of ``directory``'s manifest; ``False``: no manifest."""
    manifest = _read(directory)
    if manifest is None:
        return False
    names = set(manifest.temporaries) | {name} if listed else set(manifest.temporaries) - {name}
    try:
        _write_manifest(directory, manifest.files, names)
    except OSError as error:
        raise BadInput(f"could not record {shown_path(directory / name)} in {shown_path(directory / MARKER)}: {_reason(error)}") from None
    return True


def _unlist_temporary(directory: Path, name: str) -> None:
    """Drop a removed temporary from the manifest, in a clean-up (a failure leaves a listed name that is gone:
    harmless, the next run drops it; it must not hide the error being cleaned up after)."""
    try:
        _list_temporary(directory, name, False)
    except ValueError:
        pass


def _temporary_name(final_name: str, suffix: str) -> str:
    return f".{final_name}.{secrets.token_hex(4)}.{suffix}"


def _record(final: Path, content_digest: str | None, create: bool, temporary: str | None = None) -> None:
    """List ``final`` in its directory's manifest (created only if ``create``), dropping ``temporary`` from it."""
    manifest = _read(final.parent)
    if manifest is None and not create:
        return
    files = dict(manifest.files) if manifest is not None else {}
    temporaries = set(manifest.temporaries if manifest is not None else ()) - {temporary}
    if content_digest is None:
        files.pop(final.name, None)
    else:
        files[final.name] = content_digest
    try:
        _write_manifest(final.parent, files, temporaries)
    except OSError as error:
        raise BadInput(f"could not record {shown_path(final)} in {shown_path(final.parent / MARKER)}: {_reason(error)}") from None


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


def _guard(out: OutputDirectory, final: Path) -> None:
    """Refuse to replace ``final`` (in ``out``) unless ``out``'s run may."""
    if final.is_dir() and not final.is_symlink():
        raise BadInput(f"cannot write {shown_path(final)}: it is a directory")
    if out.managed and not out.force:
        why = why_not_ours(final)
        if why is not None:
            raise BadInput(f"{shown_path(final)} {why}: refusing to overwrite it ({FORCE_HINT})")


def check_writable(out: OutputDirectory, *names, directories=()) -> None:
    """Raise the error :func:`commit` would raise for any of ``names``, and the error
    :func:`prepare_directory` would raise for any of ``directories`` (paths relative to
    ``out``; checked with ``out``'s ``force``) -- before a long run starts."""
    out = _within(out)
    for directory in map(out.file, directories):
        if not out.managed or out.force or not directory.is_dir() or is_ours(directory):
            continue
        names = sorted(os.listdir(directory))
        if names:
            raise BadInput(
                f"`out` {shown_path(directory)} exists and holds files this toolkit did not write (such as "
                f"{shown_path(directory / names[0])}): use --force to write there anyway"
            )
    for name in names:
        _guard(out, out.file(name))


# --- directories -------------------------------------------------------------------------
def _as_path(directory) -> Path:
    if isinstance(directory, bytes):
        directory = os.fsdecode(directory)
    if isinstance(directory, str):
        if directory == "":
            raise BadInput("`out` is empty: give the path of a directory to write into")
    elif not isinstance(directory, os.PathLike):
        raise TypeError(f"`out` must be a path, got {type(directory).__name__}")
    text = os.fspath(directory)
    if "\0" in text:
        raise BadInput(f"`out` {shown_path(text)} contains a NUL character")
    return Path(directory)


def _check_place(path: Path) -> None:
    """Refuse a path that is not, and cannot become, a directory."""
    shown = shown_path(path)
    if path.is_symlink() and not path.exists():
        raise BadInput(f"`out` {shown} is a dangling symbolic link (to {shown_path(os.readlink(path))})")
    if path.exists():
        if not path.is_dir():
            raise BadInput(f"`out` {shown} is not a directory (a file of that name exists)")
        return
    for ancestor in path.parents:
        if os.path.lexists(ancestor):
            if ancestor.is_symlink() and not ancestor.exists():
                raise BadInput(f"`out` {shown}: {shown_path(ancestor)} is a dangling symbolic link")
            if not ancestor.is_dir():
                raise BadInput(f"`out` {shown}: {shown_path(ancestor)} is a file, not a directory")
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
        raise BadInput(f"`out` {shown_path(path)} cannot be created{where}: {reason}") from None


def remove_stale_temporaries(directory) -> list[Path]:
    """Remove the temporaries a killed run left in ``directory``: those its verified manifest lists, nothing else.

    A listed ``.part`` name is removed only if it is a regular file, a listed directory
    only if it is a directory (never through a symbolic link).
    """
    directory = Path(directory)
    manifest = _read(directory)
    if manifest is None or not manifest.temporaries:
        return []
    removed, kept = [], []
    for name in manifest.temporaries:
        path = directory / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue  # gone: drop it from the list
        except OSError:
            kept.append(name)
            continue
        try:
            if name.endswith(".part") and stat.S_ISREG(info.st_mode):
                os.unlink(path)
            elif not name.endswith(".part") and stat.S_ISDIR(info.st_mode):
                shutil.rmtree(path)
            else:
                continue  # not what the toolkit created under that name: left alone, and no longer listed
        except OSError:
            kept.append(name)
            continue
        removed.append(path)
    try:
        _write_manifest(directory, manifest.files, kept)
    except OSError:
        pass  # the directory cannot be written: prepare_directory says so
    return removed


def prepare_directory(directory, *, force: bool = False, within: OutputDirectory | None = None) -> OutputDirectory:
    """Create ``directory`` (or check it) for a run, and return the run's :class:`OutputDirectory`.

    Refuses (one-line ``ValueError``) a path that cannot be a writable directory,
    and an existing non-empty directory without this toolkit's manifest unless
    ``force``. Removes temporaries a killed run left there. ``within``: the run this
    directory is part of (it lies inside ``within.path``); the directory then takes
    that run's ``force`` (see the module docstring).
    """
    path = _as_path(directory)
    if within is not None:
        _within(within)
        if force:
            raise TypeError("a directory prepared `within` a run takes that run's force: give one of `force` and `within`")
        if not within.managed or not _resolved(path).is_relative_to(_resolved(within.path)):
            raise RuntimeError(f"{shown_path(path)} is not inside the run's directory {shown_path(within.path)}")  # a bug
        force = within.force
    try:
        _prepare(path, force)
    except OSError as error:  # e.g. a parent that cannot be searched
        raise BadInput(f"`out` {shown_path(path)} cannot be used: {_reason(error)}") from None
    return OutputDirectory(path, bool(force))


@contextmanager
def open_output(directory, *, force: bool = False, within: OutputDirectory | None = None):
    """:func:`staged_directory` and :func:`prepare_directory` in one: the :class:`OutputDirectory` to write
    ``directory``'s files into (a new directory appears complete or not at all)."""
    with staged_directory(directory) as place:
        yield prepare_directory(place, force=force, within=within)


def check_directory(directory, *, force: bool = False) -> None:
    """The refusals of :func:`prepare_directory` that need no writing, before a long run starts."""
    path = _as_path(directory)
    _check_place(path)
    if path.is_dir() and not force and not is_ours(path):
        try:
            names = sorted(entry.name for entry in os.scandir(path))
        except OSError as error:
            raise BadInput(f"`out` {shown_path(path)} cannot be read: {_reason(error)}") from None
        if names:
            raise BadInput(f"`out` {shown_path(path)} exists and holds files this toolkit did not write (such as "
                             f"{shown_path(path / names[0])}): use --force to write there anyway")
    _probe(path)


def _probe(path: Path) -> None:
    """Create (and at once remove) an entry where ``path``'s files would go: a place that takes none is refused now."""
    place = path if path.is_dir() else next((a for a in path.parents if os.path.lexists(a)), None)
    if place is None:  # pragma: no cover - the root always exists
        return
    try:
        os.rmdir(tempfile.mkdtemp(dir=place, prefix=".attention-dynamics-probe."))
    except OSError as error:
        if path.is_dir():
            reason = f"its file system accepts no new files ({_reason(error)})" if error.errno == errno.ENOENT else _reason(error)
            raise BadInput(f"`out` {shown_path(path)} is not writable: {reason}") from None
        reason = f"{shown_path(place)} accepts no new directories ({_reason(error)})" if error.errno == errno.ENOENT else _reason(error)
        raise BadInput(f"`out` {shown_path(path)} cannot be created in {shown_path(place)}: {reason}") from None


def _prepare(path: Path, forced: bool) -> None:
    """Check or create ``path`` and write its manifest (``forced``: the run's ``force``)."""
    _check_place(path)
    shown = shown_path(path)
    existed = path.is_dir()
    if not existed:
        _create(path)
    if existed:
        has_manifest = is_ours(path)
        if has_manifest:
            remove_stale_temporaries(path)
        try:
            names = sorted(entry.name for entry in os.scandir(path))
        except OSError as error:
            raise BadInput(f"`out` {shown} cannot be read: {_reason(error)}") from None
        if names and not has_manifest and not forced:
            raise BadInput(
                f"`out` {shown} exists and holds files this toolkit did not write (such as "
                f"{shown_path(path / names[0])}): use --force to write there anyway"
            )
    manifest = _read(path)
    files, temporaries = (manifest.files, manifest.temporaries) if manifest is not None else ({}, ())
    try:
        _write_manifest(path, files, temporaries)
    except OSError as error:
        reason = _reason(error)
        if error.errno == errno.ENOENT:  # the directory exists: its file system takes no new files (/proc)
            reason = f"its file system accepts no new files ({reason})"
        raise BadInput(f"`out` {shown} is not writable: {reason}") from None


# --- files -------------------------------------------------------------------------------
def atomic_path(out: OutputDirectory, name) -> Path:
    """A temporary path beside ``out``'s file ``name`` (listed in the manifest, if any, before it is created);
    call :func:`commit` to move it into place."""
    final = _within(out).file(name)
    for _ in range(100):
        temporary = _temporary_name(final.name, "part")
        listed = _list_temporary(final.parent, temporary, True)
        try:
            os.close(os.open(final.parent / temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            return final.parent / temporary
        except FileExistsError:
            if listed:
                _unlist_temporary(final.parent, temporary)
        except OSError as error:
            if listed:
                _unlist_temporary(final.parent, temporary)
            raise BadInput(f"cannot write {shown_path(final)}: {_reason(error)}") from None
    raise BadInput(f"cannot write {shown_path(final)}: no free temporary name")  # pragma: no cover


def commit(out: OutputDirectory, temporary, name) -> Path:
    """Move ``temporary`` to ``out``'s file ``name`` and list it in the manifest (and ``temporary`` no longer).

    In a run's directory a file the toolkit did not write, or that changed since, is
    not replaced unless the run has ``force``.
    """
    final, temporary = _within(out).file(name), Path(temporary)
    _guard(out, final)
    content = digest(temporary)
    try:
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, final)
    except OSError as error:
        raise BadInput(f"cannot write {shown_path(final)}: {_reason(error)}") from None
    _record(final, content, create=out.managed, temporary=temporary.name if temporary.parent == final.parent else None)
    return final


def _write(out: OutputDirectory, name, write) -> Path:
    """Write ``out``'s file ``name`` atomically: ``write(temporary)`` fills a temporary file beside it, then it is renamed."""
    final = _within(out).file(name)
    temporary = atomic_path(out, name)
    try:
        try:
            write(temporary)
        except OSError as error:
            raise BadInput(f"cannot write {shown_path(final)}: {_reason(error)}") from None
        return commit(out, temporary, name)
    finally:
        if os.path.lexists(temporary):
            temporary.unlink()
            _unlist_temporary(final.parent, temporary.name)


def write_text(out: OutputDirectory, name, text: str) -> Path:
    """Write ``text`` to ``out``'s file ``name`` atomically; returns its path."""
    return _write(out, name, lambda path: path.write_text(text))


def write_bytes(out: OutputDirectory, name, data: bytes) -> Path:
    """Write ``data`` to ``out``'s file ``name`` atomically; returns its path."""
    return _write(out, name, lambda path: path.write_bytes(data))


def write_json(out: OutputDirectory, name, data) -> Path:
    """Write ``data`` as strict JSON (no NaN or Infinity: they raise ``ValueError``)."""
    try:
        text = json.dumps(data, indent=2, sort_keys=True, allow_nan=False)
    except ValueError as error:
        raise BadInput(f"cannot write {shown_path(_within(out).file(name))} as strict JSON: {error}") from None
    return write_text(out, name, text + "\n")


# --- whole directories -------------------------------------------------------------------
@contextmanager
def scratch_directory(out: OutputDirectory):
    """A scratch directory in ``out`` (``.latex-<8 hex digits>``), listed in its manifest while it exists."""
    parent = _within(out).path
    name = f".latex-{secrets.token_hex(4)}"
    listed = _list_temporary(parent, name, True)
    try:
        (parent / name).mkdir(mode=0o700)
        try:
            yield parent / name
        finally:
            shutil.rmtree(parent / name, ignore_errors=True)
    finally:
        if listed:
            _unlist_temporary(parent, name)


@contextmanager
def staged_directory(directory):
    """Where to write the files of ``directory`` so that it appears complete or not at all.

    A directory that does not exist yet is built in a hidden sibling
    (``.<name>.<8 hex digits>.staging``, listed in the parent's manifest when the parent
    is the toolkit's), renamed into place when the block ends normally and removed
    if it raises (Ctrl-C included). An existing directory is written in place (each
    file atomically; hold Ctrl-C with :func:`interrupts_held` around a batch of writes).
    The caller prepares the place it is given (:func:`prepare_directory`; both in one:
    :func:`open_output`)::

        with staged_directory(directory) as place:
            out = prepare_directory(place, force=force)
            write_text(out, "summary.json", ...)
    """
    path = _as_path(directory)
    _check_place(path)
    if path.is_dir():
        yield path
        return
    parent = path.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        _create(path)  # fails too, and says which ancestor refuses in the words of the path asked for
    name = _temporary_name(path.name, "staging")
    listed = _list_temporary(parent, name, True)
    staging = parent / name
    try:
        try:
            staging.mkdir()
        except OSError as error:
            reason = f"{shown_path(parent)} accepts no new directories ({_reason(error)})" if error.errno == errno.ENOENT else _reason(error)
            raise BadInput(f"`out` {shown_path(path)} cannot be created in {shown_path(parent)}: {reason}") from None
        try:
            yield staging
            try:
                os.rename(staging, path)
            except OSError as error:
                raise BadInput(f"`out` {shown_path(path)} could not be moved into place: {_reason(error)}") from None
        finally:
            if os.path.lexists(staging):
                shutil.rmtree(staging, ignore_errors=True)
    finally:
        if listed:
            _unlist_temporary(parent, name)


@contextmanager
def interrupts_held():
    """Ctrl-C (SIGINT) during the block takes effect when it ends: a batch of renames is not cut short.

    Only in the main thread (where Python runs signal handlers); elsewhere the block runs as is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        if previous is signal.default_int_handler or previous is None:
            raise KeyboardInterrupt
        if callable(previous):
            previous(signal.SIGINT, received[0])
