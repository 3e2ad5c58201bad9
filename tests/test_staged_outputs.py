"""``paper`` and ``reproduce`` write a new directory completely or not at all.

The interrupt is raised from inside the run at a known point (after some files were written),
so the tests depend on no timing: the directory must not exist afterwards, and no staging
sibling may be left; a run that finishes leaves the directory with its files.
"""

from __future__ import annotations

import pytest

from trajectories.presets import Study
from validation import paper as paper_module
from validation import reproduce as reproduce_module


def leftovers(parent):
    return sorted(p.name for p in parent.iterdir())


def test_an_interrupted_paper_leaves_no_directory(tmp_path, monkeypatch):
    out = tmp_path / "paper"
    calls = []
    original = paper_module.write_text

    def write_then_interrupt(out, name, text):
        calls.append(out.file(name))
        if len(calls) == 3:  # two snippets are written by now
            raise KeyboardInterrupt
        return original(out, name, text)

    monkeypatch.setattr(paper_module, "write_text", write_then_interrupt)
    study = Study.from_preset("small")
    with pytest.raises(KeyboardInterrupt):
        paper_module.write_paper(out, study, horizon=100.0, figures=False)
    assert len(calls) == 3
    assert leftovers(tmp_path) == []  # neither the directory nor a staging sibling


def test_a_finished_paper_reports_its_final_paths(tmp_path):
    out = tmp_path / "paper"
    result = paper_module.write_paper(out, Study.from_preset("small"), horizon=100.0, figures=False)
    assert result.directory == out and (out / "paper.tex").is_file()
    assert all(f.is_file() and out in f.parents for f in result.files)
    assert leftovers(tmp_path) == ["paper"]


def test_an_interrupted_reproduce_leaves_no_directory(tmp_path):
    out = tmp_path / "results"
    stages = []

    def step(name):
        stages.append(name)
        if len(stages) == 2:  # the derivations are done, the directory's manifest is written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reproduce_module.reproduce(out, pdf=False, step=step, workers=1)
    assert stages[0] == "derivations"
    assert leftovers(tmp_path) == []
