"""The Sphinx site builds with warnings treated as errors, works offline, and its paradigm pages come from the package."""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
sys.path.insert(0, str(DOCS))

import local_mathjax  # noqa: E402

REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
# what MathJax 2 fetches to typeset this site's TeX as SVG: the loader, the combined TeX + AMS + SVG
# configuration, the table layout behind aligned/split, the TeX font data and the AMS macros
MATHJAX_FILES = (
    "MathJax.js",
    "config/TeX-AMS_SVG.js",
    "jax/output/SVG/autoload/mtable.js",
    "jax/output/SVG/fonts/TeX/fontdata.js",
    "extensions/TeX/AMSmath.js",
)


def sphinx_build(out: Path, **environment) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True, text=True, env={**os.environ, **environment},
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    try:
        local_mathjax.source()
    except Exception as missing:  # sphinx's ConfigError, naming the package to install
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: .ci/run must install libjs-mathjax")
        pytest.skip(str(missing))
    out = tmp_path_factory.mktemp("docs") / "html"
    result = sphinx_build(out)
    assert result.returncode == 0, result.stderr
    return out


class Assets(HTMLParser):
    """The scripts and stylesheets a page loads, and whether it has math."""

    def __init__(self):
        super().__init__()
        self.scripts, self.stylesheets, self.inline_scripts, self.math = [], [], [], 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if attrs.get("src"):
                self.scripts.append(attrs["src"])
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or ""):
            self.stylesheets.append(attrs.get("href", ""))
        if "math" in (attrs.get("class") or "").split():
            self.math += 1

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def assets(page: Path) -> Assets:
    parser = Assets()
    parser.feed(page.read_text())
    return parser


def local_file(page: Path, reference: str) -> Path:
    return (page.parent / reference.split("?")[0]).resolve()


def test_docs_build_without_warnings(site):
    hard = (site / "generated" / "hard.html").read_text()
    # generated at build time from derive(): the dilogarithm of the hard cross-entropy invariant
    assert r"\operatorname{Li}_{2}" in hard and "Wright omega" in hard


def test_pages_load_nothing_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        found = assets(page)
        for reference in found.scripts + found.stylesheets:
            assert not REMOTE.match(reference), f"{page.name} loads {reference}"
            assert local_file(page, reference).is_file(), f"{page.name} loads the missing {reference}"
    for sheet in (site / "_static").glob("*.css"):
        text = sheet.read_text()
        assert not re.search(r"(@import|url\()\s*['\"]?(https?:)?//", text), sheet.name


def test_math_is_typeset_by_the_local_mathjax(site):
    with_math = 0
    for page in sorted(site.rglob("*.html")):
        found = assets(page)
        if not found.math:
            continue
        with_math += 1
        loaders = [s for s in found.scripts if s.split("?")[0].endswith("_static/mathjax/MathJax.js")]
        assert len(loaders) == 1, f"{page.name} has math but loads {found.scripts}"
        assert local_file(page, loaders[0]) == (site / "_static" / "mathjax" / "MathJax.js").resolve()
        # the in-page configuration asks for TeX input and SVG output (no web fonts needed)
        assert any("TeX-AMS_SVG.js" in script for script in found.inline_scripts), page.name
    assert with_math >= 8  # setting, derivations, custom models, the three paradigm pages, API, ...
    for name in MATHJAX_FILES:
        assert (site / "_static" / "mathjax" / name).is_file(), name


def test_derivations_page_is_built_with_its_math(site):
    page = site / "derivations.html"
    text = page.read_text()
    assert assets(page).math >= 20
    # the hand-derived B(v) of hard attention with cross-entropy, inside a display block
    assert re.search(r'<div class="math[^"]*">[^<]*\\operatorname\{Li\}_2\(-a e\^\{-v\}\)', text)
    index = (site / "index.html").read_text()
    for linked in ("derivations.html", "custom_models.html"):
        assert f'href="{linked}"' in index, linked


def test_wide_formulas_scroll_inside_their_box(site):
    css = (site / "_static" / "formulas.css").read_text()
    assert re.search(r"div\.math\s*\{[^}]*overflow-x:\s*auto", css)
    assert any(s.startswith("_static/formulas.css") for s in assets(site / "derivations.html").stylesheets)


def test_missing_mathjax_is_one_clear_error(tmp_path):
    result = sphinx_build(tmp_path / "html", **{local_mathjax.SOURCE_VARIABLE: str(tmp_path / "nowhere")})
    assert result.returncode != 0
    assert "libjs-mathjax" in result.stderr and str(tmp_path / "nowhere") in result.stderr


def test_example_notebook_is_a_download(site):
    copies = list((site / "_downloads").rglob("quickstart.ipynb"))
    assert len(copies) == 1
    assert copies[0].read_bytes() == (DOCS / "examples" / "quickstart.ipynb").read_bytes()
    link = copies[0].relative_to(site).as_posix()
    for page in ("tutorial.html", "custom_models.html"):
        assert f'href="{link}"' in (site / page).read_text(), page


def test_ci_runs_exactly_the_readmes_test_command_in_parallel():
    root = DOCS.parent
    commands = [line for line in (root / "README.md").read_text().splitlines() if "python3 -m pytest" in line]
    # pytest-xdist on the two cores; tests sharing a session-wide build in one worker (tests/conftest.py)
    assert len(commands) == 1 and " -n 2" in commands[0] and "--dist loadgroup" in commands[0], commands
    ci = (root / ".ci" / "run").read_text()
    assert ci.count(commands[0]) == 1  # the very command, once
    assert '"$status" -eq 5' in ci  # pytest's "no tests collected" still fails CI
    assert "pytest-xdist" in (root / "setup.cfg").read_text().split("test =")[1].split("[")[0]  # in the test extra


CONSOLE_WIDTH = 79  # characters of a console line that fit the docs' column (alabaster, 1200 px page)


def test_console_commands_fit_the_column():
    """Every command in a console block is at most 79 characters a line (long ones continue after a backslash);
    output lines wrap in the page (formulas.css), they are not cut off behind a scrollbar."""
    too_wide = []
    for path in sorted(DOCS.glob("*.rst")):
        lines = path.read_text().splitlines()
        for k, line in enumerate(lines):
            if not line.strip().startswith(".. code-block:: console"):
                continue
            block = []
            for text in lines[k + 1:]:
                if text.strip() and not text.startswith(" "):
                    break
                block.append(text.strip())
            continuing = False
            for text in block:
                if (text.startswith("$ ") or continuing) and len(text) > CONSOLE_WIDTH:
                    too_wide.append(f"{path.name}: {text[:60]}")
                continuing = (text.startswith("$ ") or continuing) and text.endswith("\\")
    assert not too_wide, too_wide
    assert "white-space: pre-wrap" in (DOCS / "_static" / "formulas.css").read_text()
