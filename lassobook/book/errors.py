"""The errors of the book tooling (``lassobook build`` and ``lassobook run``).

Bad input (unknown profile, unknown notebook, unknown or malformed parameter)
raises a subclass of :class:`BookInputError` (the CLI prints one line and exits
with code 2); a failing cell raises :class:`NotebookError` (names notebook,
cell and error); a failing Sphinx build raises :class:`BookBuildError`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["BookBuildError", "BookInputError", "NotebookError", "ParameterError",
           "UnknownNotebookError", "UnknownProfileError"]


class BookInputError(ValueError):
    """Bad input from the user (the CLI reports it in one line, exit code 2)."""


class UnknownProfileError(BookInputError):
    """The requested profile is not declared in ``book/parameters.yml``."""


class UnknownNotebookError(BookInputError):
    """No notebook matches the name or path given."""


class ParameterError(BookInputError):
    """A parameter is malformed, or not declared in the notebook's parameters cell."""


class NotebookError(RuntimeError):
    """A notebook failed to execute.

    Attributes
    ----------
    notebook : Path
        Source file of the notebook (``.md`` or ``.ipynb``).
    cell_index : int or None
        Index of the failing cell in the *source* notebook (0-based, markdown
        cells included; papermill's injected-parameters cell not counted).
    line : int or None
        1-based line of the source file where the failing cell's code starts.
    source : str
        Source of the failing cell.
    ename, evalue : str
        Exception type and message raised in the kernel.
    executed : Path or None
        Where the partially executed notebook (with the full traceback) was saved.
    """

    def __init__(
        self,
        message: str,
        *,
        notebook: Path,
        cell_index: int | None = None,
        line: int | None = None,
        source: str = "",
        ename: str = "",
        evalue: str = "",
        executed: Path | None = None,
    ):
        super().__init__(message)
        self.notebook = notebook
        self.cell_index = cell_index
        self.line = line
        self.source = source
        self.ename = ename
        self.evalue = evalue
        self.executed = executed

    def __reduce__(self):
        # Keyword-only attributes: rebuilt explicitly, so the error survives the trip from a
        # worker process of ``lassobook build --jobs N`` back to the build.
        return _rebuild_notebook_error, (str(self), dict(self.__dict__))


class BookBuildError(RuntimeError):
    """``jupyter-book build`` (Sphinx) failed; the message holds its warnings and output tail."""


def _rebuild_notebook_error(message: str, state: dict) -> NotebookError:
    error = NotebookError(message, notebook=state.get("notebook"))
    error.__dict__.update(state)
    return error
