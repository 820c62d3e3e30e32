"""Sphinx configuration of the nnedu course website (build: see README.md, "The course as a website").

The site is built from the *executed* notebooks (their stored outputs; nothing
is executed here) and works with no network: MathJax, the theme's scripts,
styles and icons, and the search index are all served from the site itself.
``_ext/nnedu_site.py`` writes the generated pages (``lessons/``, ``_readme/``)
before Sphinx reads anything; autosummary writes ``reference/``.
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import nnedu  # noqa: E402  (the installed package: the API reference documents it)

project = "nnedu"
author = "the nnedu authors"
copyright = "the nnedu authors, MIT licence"
release = version = nnedu.__version__

extensions = [
    "nnedu_site",                 # lessons/ and _readme/ (see _ext/nnedu_site.py)
    "myst_nb",                    # executed .ipynb notebooks and MyST Markdown pages
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",        # numpydoc-style docstrings
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",     # MathJax 3 copied into _static/, never a CDN
    "sphinxarg.ext",              # the CLI page, generated from nnedu's argparse parser
]

root_doc = "index"
exclude_patterns = ["README.md", "_build", "_readme", "_templates", "**.ipynb_checkpoints"]
templates_path = ["_templates"]

# --- notebooks: read the executed .ipynb (stored outputs), never run them ---
nb_execution_mode = "off"
nb_ipywidgets_js = {}             # no widget manager from a CDN; _ext/nnedu_site.py makes widgets static
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
myst_dmath_double_inline = True  # $$...$$ inside a paragraph is display maths, as in JupyterLab
suppress_warnings = ["mystnb.unknown_mime_type"]

# --- API reference ---
autosummary_generate = True
autosummary_imported_members = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False

# --- HTML: Furo uses the system's fonts and ships its assets; nothing is loaded from elsewhere ---
html_theme = "furo"
html_title = "nnedu: neural networks from scratch"
html_short_title = "nnedu"
html_static_path = ["_static"]
html_css_files = ["nnedu.css"]
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None


def setup(app):
    # MathJax from the copy sphinx-mathjax-offline puts in _static/, with SVG output: it draws the
    # glyphs itself (no font files to fetch, crisp at any zoom). Set once the extension has set its own.
    def svg_output(app, config):
        config.mathjax_path = "mathjax/tex-svg.js"
    app.connect("config-inited", svg_output)
    # MathJax on every page, not only on pages with formulas: lesson titles in the sidebar have maths too
    app.set_html_assets_policy("always")
