"""Serve MathJax from the built site, so that the pages show their formulas offline.

The pages load ``_static/mathjax/MathJax.js``: MathJax 2 from Debian's ``libjs-mathjax``
(``/usr/share/javascript/mathjax``, or the directory in ``$ATTENTION_DYNAMICS_MATHJAX``),
configured for TeX input and SVG output. SVG output needs no web fonts, so only the
parts of the library that TeX-to-SVG loads (about 3 MB) are copied into the build.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sphinx.errors import ConfigError

DEFAULT_SOURCE = Path("/usr/share/javascript/mathjax")
SOURCE_VARIABLE = "ATTENTION_DYNAMICS_MATHJAX"
TARGET = Path("_static") / "mathjax"
PATH = "mathjax/MathJax.js"  # ``mathjax_path``, relative to ``_static``

#: What TeX input with SVG output loads, relative to MathJax's root (the rest is other
#: input and output formats, web fonts, other languages and unminified sources).
PARTS = (
    "MathJax.js",
    "config/TeX-AMS_SVG.js",
    "extensions",
    "jax/element",
    "jax/input/TeX",
    "jax/output/SVG/config.js",
    "jax/output/SVG/jax.js",
    "jax/output/SVG/autoload",
    "jax/output/SVG/fonts/TeX",
    "jax/output/PreviewHTML",
    "localization/en",
)

#: MathJax 2's in-page configuration: the combined TeX + AMS + SVG configuration, and
#: only Sphinx's math elements processed (code blocks may contain ``\(``).
CONFIG = {
    "config": ["TeX-AMS_SVG.js"],
    "tex2jax": {
        "inlineMath": [["\\(", "\\)"]],
        "displayMath": [["\\[", "\\]"]],
        "processEscapes": False,
        "ignoreClass": "document",
        "processClass": "math",
    },
    "messageStyle": "none",
}


def source() -> Path:
    """The MathJax 2 directory to copy from; a one-line error saying how to install it if absent."""
    directory = Path(os.environ.get(SOURCE_VARIABLE) or DEFAULT_SOURCE)
    if not (directory / "MathJax.js").is_file() or not (directory / PARTS[1]).is_file():
        raise ConfigError(
            f"MathJax 2 not found in {directory} (needed to show formulas offline): "
            f"install Debian's libjs-mathjax, or set {SOURCE_VARIABLE} to a MathJax 2 directory"
        )
    return directory


def copy_parts(origin: Path, outdir: Path) -> None:
    """Copy :data:`PARTS` of the MathJax tree ``origin`` to ``outdir/_static/mathjax``."""
    for part in PARTS:
        here, there = origin / part, outdir / TARGET / part
        if here.is_dir():
            shutil.copytree(here, there, dirs_exist_ok=True)
        else:
            there.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(here, there)


def setup(app):
    """Refuse an HTML build without MathJax at its start; copy it into the site at its end.

    ``conf.py`` sets ``mathjax_path = PATH`` and ``mathjax2_config = CONFIG``.
    """

    def check(app):
        if app.builder.format == "html":
            source()

    def finish(app, exception):
        if exception is None and app.builder.format == "html":
            copy_parts(source(), Path(app.outdir))

    app.connect("builder-inited", check)
    app.connect("build-finished", finish)
    return {"parallel_read_safe": True}
