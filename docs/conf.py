"""Sphinx configuration. The paradigm pages are generated from the package at build time."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import local_mathjax  # noqa: E402

project = "attention-dynamics"
author = "attention-dynamics contributors"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax", "local_mathjax"]
exclude_patterns = ["_build", "*.md"]
html_theme = "alabaster"
html_theme_options = {"page_width": "min(1200px, 96%)"}  # room for wide formulas
html_static_path = ["_static"]
html_css_files = ["formulas.css"]
# MathJax is served from the built site (local_mathjax.py), never from a network
mathjax_path = local_mathjax.PATH
mathjax2_config = local_mathjax.CONFIG
autodoc_member_order = "bysource"
autodoc_typehints = "none"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
nitpicky = False
suppress_warnings = ["autodoc.import_object"]


def setup(app):
    from generate_pages import generate

    app.connect("builder-inited", lambda app: generate(Path(app.srcdir) / "generated"))
