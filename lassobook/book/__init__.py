"""The book tooling: ``lassobook build`` and ``lassobook run``, and what the book's Sphinx build loads.

What lives where (every module below imports only modules listed before it):

``errors``
    :class:`BookInputError` (bad input: CLI exit 2) and its subclasses,
    :class:`NotebookError` (a cell failed), :class:`BookBuildError` (Sphinx failed).
``profiles``
    The repository root, ``book/parameters.yml`` profiles, ``-p`` parameter
    parsing, the notebooks of ``_toc.yml`` and their ``parameters`` cells.
``memory``
    :class:`~lassobook.book.memory.PeakMemory`: peak resident memory of a process tree.
``record``
    The build record: versions, machine, commit, timings and memory per notebook
    (the appendix page ``book/build_record.md`` and ``build_record.json``).
``execute``
    Papermill execution of one notebook (wall time and kernel peak memory),
    the cache in ``_build/executed/<profile>/``, and ``--jobs N`` parallel execution.
``build``
    :func:`build_book`: execute, stage (``_build/staging``), run Jupyter Book.
``run``
    :func:`run_notebook`: ``lassobook run`` (one notebook, new parameters, its figures).
``browser``
    The headless-Chromium check of built pages (``python -m lassobook.book.browser``).
``sphinx_offline``, ``sphinx_bib``
    Sphinx extensions listed in ``_config.yml`` (no Thebe scripts; author–year labels).

This package imports nothing when imported: the public names below are loaded
from their module on first use (``from lassobook import book; book.build_book(...)``).
"""

from ..core.lazy import lazy_exports

#: public name -> module of this package that defines it
_EXPORTS = {
    **dict.fromkeys(["BookBuildError", "BookInputError", "NotebookError", "ParameterError",
                     "UnknownNotebookError", "UnknownProfileError"], "errors"),
    **dict.fromkeys(["BOOK_DIR", "KERNEL_NAME", "PROFILES_FILE", "declared_parameters", "find_root",
                     "is_myst_notebook", "load_profiles", "notebook_key", "notebooks_in_toc",
                     "parse_parameter_value", "parse_parameters", "profile_parameters",
                     "read_notebook", "resolve_notebook", "toc_documents", "display"], "profiles"),
    **dict.fromkeys(["execute_notebook", "execute_measured", "package_hash"], "execute"),
    **dict.fromkeys(["StageReport", "build_book", "run_jupyter_book", "stage_book"], "build"),
    **dict.fromkeys(["RunResult", "extract_figures", "run_notebook"], "run"),
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
