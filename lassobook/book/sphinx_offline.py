"""A small Sphinx extension for the offline book: drop the Thebe (live code) scripts, add the
book's stylesheet (``lassobook/static/lassobook.css``: code cells fit their box at 88 characters).

Jupyter Book 1.x always loads sphinx-thebe, which adds its configuration script
to every page twice (a ``SyntaxError`` in the browser console) and points at a
CDN.  The book is read offline and its notebooks are rerun with ``lassobook
run``, so the pages carry no Thebe scripts at all.  Listed in ``_config.yml``
under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

from pathlib import Path

#: The book's own static files (shipped with the package).
STATIC = Path(__file__).resolve().parents[1] / "static"


def _is_thebe(script) -> bool:
    filename = str(getattr(script, "filename", "") or "")
    body = str(getattr(script, "attributes", {}).get("body", ""))
    return "thebe" in filename.lower() or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        context["script_files"] = [s for s in scripts if not _is_thebe(s)]


def _add_static(app, config):
    config.html_static_path.append(str(STATIC))


def setup(app):
    app.connect("config-inited", _add_static)
    app.add_css_file("lassobook.css")
    app.connect("html-page-context", _drop_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
