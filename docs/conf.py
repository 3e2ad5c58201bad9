"""Sphinx configuration. The paradigm pages are generated from the package at build time."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

project = "attention-dynamics"
author = "attention-dynamics contributors"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "*.md"]
html_theme = "alabaster"
html_static_path = []
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
nitpicky = False
suppress_warnings = ["autodoc.import_object"]


def setup(app):
    from generate_pages import generate

    app.connect("builder-inited", lambda app: generate(Path(app.srcdir) / "generated"))
