"""User files stay safe: --force for one run only, stale temporaries, bad output paths, strict JSON."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analytic.report import finite_or_none, json_number, strict_json
from validation.cli import main
from validation.files import MARKER, OutputDirectory, prepare_directory, read_manifest, write_json, write_text


def run(directory, force=False, names=("a.txt",), nested=()):
    """A toolkit run in miniature: prepare, write files, prepare nested directories within the run (as the paper does)."""
    root = prepare_directory(directory, force=force)
    for name in names:
        write_text(root, name, f"written by the toolkit: {name}\n")
    for sub, files in nested:
        inner = prepare_directory(root.path / sub, within=root)
        for name in files:
            write_text(inner, name, f"written by the toolkit: {sub}/{name}\n")
    return root.path


def one_line_error(capsys, argv) -> str:
    status = main(argv)
    captured = capsys.readouterr()
    assert status == 2, (argv, captured)
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
    return captured.err


# --- --force applies to one run only ----------------------------------------------------
def test_a_forced_figures_run_does_not_make_the_directory_ours_for_reproduce(tmp_path, capsys):
    out = tmp_path / "results"
    out.mkdir()
    (out / "notes.txt").write_text("my notes\n")
    assert main(["figures", "--out", str(out)]) == 2  # not ours: refused
    capsys.readouterr()
    assert main(["figures", "--out", str(out), "--force"]) == 0
    capsys.readouterr()
    assert (out / "attention.png").exists() and (out / "notes.txt").read_text() == "my notes\n"

    (out / "summary.json").write_text('{"mine": true}\n')
    err = one_line_error(capsys, ["reproduce", "--out", str(out)])
    assert str(out / "summary.json") in err and "--force" in err
    assert (out / "summary.json").read_text() == '{"mine": true}\n'

    (out / "summary.json").unlink()
    (out / "paper").mkdir()
    (out / "paper" / "paper.tex").write_text("% my paper\n")
    err = one_line_error(capsys, ["reproduce", "--out", str(out)])
    assert str(out / "paper") in err and "--force" in err
    assert (out / "paper" / "paper.tex").read_text() == "% my paper\n"
    assert not (out / "paper" / MARKER).exists()  # refused before anything was written there
    assert (out / "notes.txt").read_text() == "my notes\n"


def test_force_holds_for_the_run_that_asked_for_it_only(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user\n")
    with pytest.raises(ValueError, match="did not write.*--force"):
        run(out)
    run(out, force=True, names=("a.txt", "mine.txt"))  # the user asked: their file is overwritten
    assert (out / "mine.txt").read_text().startswith("written by the toolkit")
    (out / "b.txt").write_text("user's b\n")
    with pytest.raises(ValueError) as error:
        run(out, names=("a.txt", "b.txt"))  # the next run has no force
    assert str(out / "b.txt") in str(error.value) and "--force" in str(error.value) and "\n" not in str(error.value)
    assert (out / "b.txt").read_text() == "user's b\n"


def test_a_rerun_overwrites_its_own_files_and_leaves_the_users_alone(tmp_path):
    out = tmp_path / "out"
    run(out, nested=[("snippets", ["s.tex"])])
    (out / "notes.txt").write_text("mine\n")
    run(out, nested=[("snippets", ["s.tex"])])  # own, unchanged files: overwritten without --force
    assert (out / "notes.txt").read_text() == "mine\n"
    manifest = read_manifest(out)
    assert set(manifest) == {"a.txt"} and "notes.txt" not in manifest
    assert set(read_manifest(out / "snippets")) == {"s.tex"}


def test_an_edited_file_is_not_overwritten(tmp_path):
    out = tmp_path / "out"
    run(out)
    (out / "a.txt").write_text("edited by the user\n")
    with pytest.raises(ValueError, match="changed since"):
        run(out)
    assert (out / "a.txt").read_text() == "edited by the user\n"
    run(out, force=True)
    assert (out / "a.txt").read_text().startswith("written by the toolkit")
    run(out)  # written by the forced run: ours again


def test_nested_directories_take_the_force_of_the_enclosing_run(tmp_path):
    out = tmp_path / "out"
    run(out, nested=[("snippets", ["s.tex"])])
    (out / "snippets" / "user.tex").write_text("% mine\n")
    # the nested directory is prepared within the run (as validation.paper does), and the run has no force
    with pytest.raises(ValueError, match="user.tex"):
        run(out, nested=[("snippets", ["s.tex", "user.tex"])])
    assert (out / "snippets" / "user.tex").read_text() == "% mine\n"
    run(out, force=True, nested=[("snippets", ["s.tex", "user.tex"])])
    assert (out / "snippets" / "user.tex").read_text().startswith("written by the toolkit")


def test_force_is_decided_by_the_object_the_writer_is_given(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("user\n")
    forced = prepare_directory(out, force=True)
    plain = OutputDirectory(out, force=False)  # the same directory, held without force (as by another run)
    with pytest.raises(ValueError, match="mine.txt was not written by this toolkit.*--force"):
        write_text(plain, "mine.txt", "toolkit\n")  # the forced object, still alive, lends it nothing
    assert (out / "mine.txt").read_text() == "user\n"
    write_text(forced, "mine.txt", "toolkit\n")
    assert (out / "mine.txt").read_text() == "toolkit\n" and set(read_manifest(out)) == {"mine.txt"}
    inner = prepare_directory(out / "sub", within=plain)  # takes the enclosing object's force (none)
    (out / "sub" / "user.tex").write_text("% mine\n")
    assert not inner.force
    with pytest.raises(ValueError, match="user.tex was not written by this toolkit"):
        write_text(inner, "user.tex", "toolkit\n")
    assert prepare_directory(out / "sub", within=forced).force


def test_writers_need_an_output_directory_and_a_name_inside_it(tmp_path):
    root = prepare_directory(tmp_path / "out")
    with pytest.raises(TypeError, match="OutputDirectory"):
        write_text(tmp_path / "out", "a.txt", "x")  # a bare path carries no decision about overwriting
    for name in ("../escape.txt", str(tmp_path / "absolute.txt")):
        with pytest.raises(RuntimeError, match="not a path inside"):
            write_text(root, name, "x")
    with pytest.raises(RuntimeError, match="not inside"):
        prepare_directory(tmp_path / "elsewhere", within=root)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in root.path.iterdir()) == [MARKER]


MARKERS_NOT_OURS = {
    "empty": "",  # what a forced run of an earlier version left
    "the user's notes": "my notes on attention dynamics\n",
    "format 1": json.dumps({"attention-dynamics": 1, "files": {"summary.json": "0" * 64}}),
    "edited": None,  # a real manifest with a file added by hand: the checksum no longer matches
    "a directory": None,
    "a FIFO": None,
}


@pytest.mark.parametrize("kind", MARKERS_NOT_OURS)
def test_a_marker_the_toolkit_did_not_write_does_not_make_the_directory_ours(tmp_path, capsys, kind):
    out = tmp_path / "out"
    if kind == "edited":
        run(out, names=("a.txt",))
        data = json.loads((out / MARKER).read_text())
        data["files"]["summary.json"] = data["files"]["a.txt"]
        (out / MARKER).write_text(json.dumps(data))
    else:
        out.mkdir()
        if kind == "a directory":
            (out / MARKER).mkdir()
        elif kind == "a FIFO":
            os.mkfifo(out / MARKER)  # must not be opened (it would hang)
        else:
            (out / MARKER).write_text(MARKERS_NOT_OURS[kind])
    (out / "summary.json").write_text("{}\n")
    assert read_manifest(out) is None
    with pytest.raises(ValueError, match="did not write"):
        run(out, names=("summary.json",))
    err = one_line_error(capsys, ["figures", "--out", str(out)])
    assert "did not write" in err and "--force" in err
    assert (out / "summary.json").read_text() == "{}\n"
    assert not (out / "attention.png").exists()


def test_the_written_files_and_the_manifest_agree(tmp_path):
    out = run(tmp_path / "out", names=("a.txt", "b.txt"))
    data = json.loads((out / MARKER).read_text())
    assert set(data["files"]) == {"a.txt", "b.txt"}
    assert all(len(value) == 64 for value in data["files"].values())
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


# --- temporaries of a killed run ----------------------------------------------------------
KILLED = {
    "a file being written": ("temporary = atomic_path(root, 'summary.json')\ntemporary.write_text('half a file')\n", ".summary.json."),
    "a LaTeX scratch directory": ("with scratch_directory(root) as scratch:\n    (scratch / 'paper.log').write_text('log')\n"
                                  "    os.kill(os.getpid(), signal.SIGKILL)\n", ".latex-"),
    "a directory being built": ("with staged_directory(root.path / 'figures') as place:\n    inner = prepare_directory(place, within=root)\n"
                                "    write_text(inner, 'a.txt', 'half the figures')\n    os.kill(os.getpid(), signal.SIGKILL)\n",
                                ".figures."),
}
#: names of the toolkit's temporary patterns that the user made: never removed (the manifest does not list them)
USERS_LOOKALIKES = (".notes.part", "draft.part", ".x.toolong123.part", ".draft.abcd1234.part", ".summary.json.0123abcd.part")
USERS_LOOKALIKE_DIRECTORIES = (".latex-myfiles1", ".latex-0123abcd", ".figures.0123abcd.staging")


@pytest.mark.parametrize("kind", KILLED)
def test_temporaries_of_a_killed_run_are_removed_by_the_next_run_and_nothing_else(tmp_path, kind):
    out = tmp_path / "out"
    code, prefix = KILLED[kind]
    script = ("import os, signal, sys\n"
              "from validation.files import atomic_path, prepare_directory, scratch_directory, staged_directory, write_text\n"
              "root = prepare_directory(sys.argv[1])\n" + code + "os.kill(os.getpid(), signal.SIGKILL)\n")
    process = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=120)
    assert process.returncode == -signal.SIGKILL, process.stderr
    left = [p.name for p in out.iterdir() if p.name.startswith(prefix)]
    assert len(left) == 1, left
    for name in USERS_LOOKALIKES:
        (out / name).write_text("user")
    for name in USERS_LOOKALIKE_DIRECTORIES:
        (out / name).mkdir()
        (out / name / "mine.tex").write_text("user")
    run(out, force=True)  # even a forced run removes only what the manifest lists
    names = {p.name for p in out.iterdir()}
    assert left[0] not in names
    assert set(USERS_LOOKALIKES) | set(USERS_LOOKALIKE_DIRECTORIES) <= names
    assert all((out / name / "mine.tex").read_text() == "user" for name in USERS_LOOKALIKE_DIRECTORIES)
    assert not json.loads((out / MARKER).read_text())["temporaries"]


def test_a_refused_write_leaves_no_temporary(tmp_path):
    out = run(tmp_path / "out")
    (out / "b.txt").write_text("user")
    with pytest.raises(ValueError):
        run(out, names=("b.txt",))
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


# --- output paths that cannot be used -------------------------------------------------------
def _bad_paths(tmp_path):
    regular = tmp_path / "regular"
    regular.write_text("x")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    cases = {
        "empty": ("", "empty"),
        "regular file": (str(regular), "not a directory"),
        "below a regular file": (str(regular / "sub"), "not a directory"),
        "dangling symlink": (str(dangling), "dangling symbolic link"),
    }
    if Path("/proc/self").is_dir():
        cases["under /proc"] = ("/proc/attention-dynamics-out", "cannot be created")
    return cases


@pytest.mark.parametrize("case", ["empty", "regular file", "below a regular file", "dangling symlink", "under /proc"])
@pytest.mark.parametrize("command", ["reproduce", "figures"])
def test_unusable_output_paths_give_one_line_errors(tmp_path, capsys, case, command):
    cases = _bad_paths(tmp_path)
    if case not in cases:
        pytest.skip("no /proc here")
    path, reason = cases[case]
    err = one_line_error(capsys, [command, "--out", path])
    assert reason in err, err
    assert "exists and holds files" not in err
    if path:
        assert path in err
    with pytest.raises(ValueError, match=reason):
        prepare_directory(path)


def test_a_read_only_directory_is_refused(tmp_path, capsys):
    out = tmp_path / "read-only"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(out, os.W_OK):
            pytest.skip("running as root: a read-only directory is writable")
        err = one_line_error(capsys, ["reproduce", "--out", str(out)])
        assert str(out) in err and "not writable" in err
        with pytest.raises(ValueError, match="not writable"):
            prepare_directory(out / "sub")
    finally:
        out.chmod(stat.S_IRWXU)


def test_an_existing_directory_of_the_users_still_needs_force(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("%")
    err = one_line_error(capsys, ["reproduce", "--out", str(out)])
    assert "did not write" in err and "--force" in err and str(out / "thesis.tex") in err
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


# --- strict JSON ----------------------------------------------------------------------------
def test_write_json_refuses_nan_and_infinity(tmp_path):
    root = prepare_directory(tmp_path / "out")
    out = root.path
    for bad in (float("nan"), float("inf"), [1.0, -math.inf], {"x": np.float64("nan")}):
        with pytest.raises(ValueError, match="strict JSON"):
            write_json(root, "bad.json", {"value": bad})
    assert not (out / "bad.json").exists()
    write_json(root, "good.json", strict_json({"value": float("nan"), "list": [1.0, math.inf], "n": np.int64(3)}))
    data = json.loads((out / "good.json").read_text())
    assert data["value"] is None and data["value_reason"].startswith("not a number")
    assert data["list"] == [1.0, None] and "[1] infinite" in data["list_reason"]
    assert data["n"] == 3


def test_json_number_has_no_nan_or_infinity():
    assert json_number(float("nan")) is None and json_number(float("inf")) is None and json_number(-math.inf) is None
    assert json_number(0.25) == 0.25 and json_number(7) == 7 and json_number("1/999") == "1/999"
    assert finite_or_none(np.float32(2.5)) == 2.5 and finite_or_none(10**400) is None


def test_strict_json_output_is_accepted_by_a_strict_encoder():
    data = {"a": [np.array([1.0, np.nan]), (np.inf,)], "b": {"c": -np.inf}, "ok": 1.5, "none": None, "flag": np.bool_(True)}
    text = json.dumps(strict_json(data), allow_nan=False)
    back = json.loads(text)
    assert back["a"] == [[1.0, None], [None]] and back["b"] == {"c": None, "c_reason": "negative infinite"}
    assert back["ok"] == 1.5 and back["none"] is None and "none_reason" not in back and back["flag"] is True


def test_growth_ratios_are_null_with_a_reason_when_the_integration_overflows(monkeypatch):
    from validation import growth
    from trajectories.model import Setting

    real_solve_ivp = growth.solve_ivp

    def overflowing(*args, **kwargs):
        result = real_solve_ivp(*args, **kwargs)
        result.y = np.array(result.y, dtype=float)
        result.y[0, -1] = np.inf  # u overflowed at the last time
        return result

    monkeypatch.setattr(growth, "solve_ivp", overflowing)
    check = growth.check_growth(Setting("hard", "cross-entropy", segments=10), times=(1e1, 1e2))
    record = check.to_dict()
    text = json.dumps(record, allow_nan=False)  # strict JSON
    assert record["u_ratio"][-1] is None and math.isfinite(record["u_ratio"][0])
    assert "t = 100" in record["u_ratio_reason"] and "overflowed" in record["u_ratio_reason"]
    assert "v_ratio_reason" not in record
    assert json.loads(text)["u_ratio"][-1] is None


def test_growth_ratios_are_null_with_a_reason_when_the_prediction_overflows(monkeypatch):
    from validation import growth
    from trajectories.model import Setting

    monkeypatch.setattr(growth, "_evaluate", lambda expr, setting, times: np.full(len(times), np.inf))
    check = growth.check_growth(Setting("hard", "cross-entropy", segments=10), times=(1e1, 1e2))
    record = check.to_dict()
    json.dumps(record, allow_nan=False)
    assert record["u_ratio"] == [None, None] and "prediction overflows" in record["u_ratio_reason"]


def test_a_certificate_without_residuals_gives_null_and_a_reason():
    from analytic import derive
    from analytic.certify import Certificate

    derivation = derive("hard", "cross-entropy", segments=10, alpha=1, beta=1)
    record = dataclasses.replace(derivation, certificate=Certificate(())).to_dict()
    json.dumps(record, allow_nan=False)
    assert record["max_residual"] is None and record["max_residual_reason"] == "no identity was checked"
    assert "max_residual_reason" not in derivation.to_dict()


def test_the_summary_table_shows_nulls():
    from validation.reproduce import summary_table

    summary = {
        "derivations": [{"certified": True, "max_residual": None}],
        "crosschecks_small": [{"max_abs_u_closed_vs_ode": None, "max_abs_v_closed_vs_ode": 1e-9, "gd_order": None,
                               "full_zero_noise_max_abs": None}],
        "presets": {},
        "paper": {"message": "LaTeX written", "formulas_read_back": 0},
        "seconds": 1.0,
    }
    text = summary_table(summary)
    assert "max residual n/a" in text and "max error 1.0e-09" in text and "order n/a" in text


# --- a directory complete or not at all: sweep --figures interrupted --------------------------
SWEEP = ["sweep", "--segments", "3:30:3", "--classes", "2:5:2", "--targets", "0.3,0.9", "--workers", "1"]
#: runs the command line with one change: after the first phase diagram is written, it says READY on stderr
#: and waits for a signal (blocked, then sigwait: no sleep, no race); the test sends SIGINT then
PAUSING = """
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as from a shell, even where the test runner ignores SIGINT
# SIGINT blocked before any import starts a thread (numpy's BLAS pool does): every thread inherits the mask, so the
# test's process-directed signal stays pending for the main thread's sigwait; unblocked in one thread only, the kernel
# could hand it to a BLAS thread, sigwait would never see it and the run would hang (seen once in CI)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
import validation.figures as figures
real = figures.write_rendered
def pausing(out, name, rendered):
    written = real(out, name, rendered)
    if not getattr(pausing, "done", False):
        pausing.done = True
        # SIGINT blocked since the start: the test's signal, however early it comes, waits pending for sigwait
        # (signal.pause() would miss one that arrives before it is called), then is delivered to the handler
        print("READY " + str(out.path), file=sys.stderr, flush=True)
        signal.sigwait({signal.SIGINT})
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.raise_signal(signal.SIGINT)
    return written
figures.write_rendered = pausing
from validation.cli import main
sys.exit(main(sys.argv[1:]))
"""


def interrupted_sweep(figures: Path, extra=()):
    """``sweep --figures`` sent SIGINT while it writes the diagrams; returns (status, stdout, stderr, where it was writing)."""
    process = subprocess.Popen([sys.executable, "-c", PAUSING, *SWEEP, *extra, "--figures", str(figures)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in process.stderr:  # wait for the report that writing has started
            lines.append(line)
            if line.startswith("READY "):
                break
        assert lines and lines[-1].startswith("READY "), lines
        writing = Path(lines[-1].split(" ", 1)[1].strip())
        assert any(writing.iterdir())  # a diagram is already written there
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=300)  # a bound for a broken run, not a time budget
    finally:
        if process.poll() is None:  # never leave the command behind, whatever failed
            process.kill()
            process.wait()
    return process.returncode, out, "".join(lines[:-1]) + err, writing


def test_ctrl_c_during_sweep_figures_leaves_no_directory(tmp_path):
    figures = tmp_path / "diagrams"
    status, out, err, writing = interrupted_sweep(figures)
    assert writing.parent == tmp_path and writing != figures  # it was building a hidden sibling
    assert status == 130 and err.strip().splitlines()[-1] == "attention-dynamics: interrupted" and "Traceback" not in err
    assert out == ""  # the table comes after the figures: nothing printed
    assert list(tmp_path.iterdir()) == []  # no directory, no sibling left


def test_ctrl_c_during_sweep_figures_into_an_existing_directory_waits_until_it_is_complete(tmp_path):
    figures = tmp_path / "diagrams"
    assert main([*SWEEP, "--targets", "0.5", "--figures", str(figures)]) == 0  # an earlier run: other diagrams
    before = {path.name: path.read_bytes() for path in figures.iterdir()}
    status, out, err, writing = interrupted_sweep(figures)
    assert writing == figures
    assert status == 130 and "interrupted" in err and "Traceback" not in err and out == ""
    manifest = read_manifest(figures)
    names = {path.name for path in figures.iterdir()} - {MARKER}
    assert names == set(manifest) == set(before) - {MARKER}  # the same diagrams, no temporary left
    for name in names:  # every one of them from the interrupted run: the batch finished before the interrupt
        content = (figures / name).read_bytes()
        assert content != before[name] and hashlib.sha256(content).hexdigest() == manifest[name], name


@pytest.mark.parametrize("case", ["proc", "read-only", "users-marker"])
def test_sweep_figures_refuses_an_unusable_directory_before_any_output(tmp_path, capsys, case):
    if case == "proc":
        figures = "/proc/x"
    elif case == "read-only":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        (tmp_path / "ro").mkdir(mode=0o500)
        figures = str(tmp_path / "ro" / "diagrams")
    else:
        (tmp_path / "mine").mkdir()
        (tmp_path / "mine" / MARKER).write_text("my own file of that name\n")
        (tmp_path / "mine" / "notes.txt").write_text("mine\n")
        figures = str(tmp_path / "mine")
    status = main([*SWEEP, "--figures", figures])
    captured = capsys.readouterr()
    assert status == 2 and captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert figures in captured.err
    if case == "users-marker":
        assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == sorted([MARKER, "notes.txt"])
        assert (tmp_path / "mine" / MARKER).read_text() == "my own file of that name\n"
