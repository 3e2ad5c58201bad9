"""The Sphinx site builds with warnings treated as errors, and its paradigm pages come from the package."""

import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path / "html")],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    hard = (tmp_path / "html" / "generated" / "hard.html").read_text()
    # generated at build time from derive(): the dilogarithm of the hard cross-entropy invariant
    assert r"\operatorname{Li}_{2}" in hard and "Wright omega" in hard
