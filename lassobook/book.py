"""Build the executable book, and rerun any of its notebooks with new parameters.

The book's notebooks live under ``book/`` as MyST-markdown notebooks (jupytext
``md:myst``) *without outputs*. Each has one code cell tagged ``parameters``;
``book/parameters.yml`` overrides those defaults per build *profile*::

    profiles:
      quick:   # CI
        two_layer: {n_seeds: 4, epochs: 1500}
      full:    # published book
        two_layer: {n_seeds: 50, epochs: 20000}

Two entry points (also exposed as ``lassobook build`` and ``lassobook run``):

:func:`build_book`
    Converts every notebook of ``_toc.yml`` to ``.ipynb`` (jupytext), executes
    it with papermill (profile parameters, kernel ``python3``, working directory
    = the notebook's folder), assembles a staging copy of the book in
    ``_build/staging/`` (config, TOC, executed notebooks, every other file of
    ``book/``) and runs ``jupyter-book build _build/staging --path-output <root>``
    so the HTML lands in ``<root>/_build/html/``. Executed notebooks are cached
    in ``_build/executed/<profile>/``: a notebook whose source, resolved
    parameters, profile and ``lassobook`` package source are unchanged is reused.

:func:`run_notebook`
    Executes one notebook with the profile's parameters overridden by the
    caller's, into ``runs/<stem>-<YYYYmmdd-HHMMSS>/`` together with every PNG
    figure it drew (``figure-01.png``, ...).

Errors: a failing cell raises :class:`NotebookError` (names notebook, cell,
error); a failing Sphinx build raises :class:`BookBuildError`; bad input
(unknown profile, unknown notebook, unknown or malformed parameter) raises a
subclass of :class:`BookInputError`.
"""

from __future__ import annotations

import ast
import base64
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

__all__ = [
    "BOOK_DIR",
    "KERNEL_NAME",
    "PROFILES_FILE",
    "BookBuildError",
    "BookInputError",
    "NotebookError",
    "ParameterError",
    "RunResult",
    "StageReport",
    "UnknownNotebookError",
    "UnknownProfileError",
    "build_book",
    "declared_parameters",
    "execute_notebook",
    "extract_figures",
    "find_root",
    "is_myst_notebook",
    "load_profiles",
    "notebook_key",
    "notebooks_in_toc",
    "package_hash",
    "parse_parameter_value",
    "parse_parameters",
    "profile_parameters",
    "read_notebook",
    "resolve_notebook",
    "run_jupyter_book",
    "run_notebook",
    "stage_book",
    "toc_documents",
]

BOOK_DIR = "book"
"""Folder (relative to the repository root) holding pages and notebooks."""

PROFILES_FILE = "book/parameters.yml"
"""Build parameters by profile, relative to the repository root."""

KERNEL_NAME = "python3"
"""Jupyter kernel every notebook is executed with."""

STAGING_DIR = "_build/staging"
EXECUTED_DIR = "_build/executed"
RUNS_DIR = "runs"
NOTEBOOK_SUFFIXES = (".md", ".ipynb")

# Bump to invalidate every cached notebook (e.g. when the execution recipe changes).
_CACHE_FORMAT = 1
_PACKAGE_DIR = Path(__file__).resolve().parent
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


# --------------------------------------------------------------------------- errors
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


class BookBuildError(RuntimeError):
    """``jupyter-book build`` (Sphinx) failed; the message holds its warnings and output tail."""


# --------------------------------------------------------------------------- results
@dataclass(frozen=True)
class StageReport:
    """What :func:`stage_book` did.

    Attributes
    ----------
    staging : Path
        The staging copy of the book (``<root>/_build/staging``).
    executed : list of Path
        Notebook sources that were (re-)executed.
    reused : list of Path
        Notebook sources whose cached executed notebook was reused.
    """

    staging: Path
    executed: list[Path] = field(default_factory=list)
    reused: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class RunResult:
    """Outcome of :func:`run_notebook`.

    Attributes
    ----------
    notebook : Path
        The executed notebook (``<out_dir>/<stem>.ipynb``).
    figures : list of Path
        PNG figures extracted from its outputs, in order (``figure-01.png``, ...).
    out_dir : Path
        Folder holding both, plus ``parameters.yml`` (the parameters used).
    parameters : dict
        Parameters passed to the notebook (profile values overridden by the caller's).
    seconds : float
        Wall-clock execution time.
    """

    notebook: Path
    figures: list[Path]
    out_dir: Path
    parameters: dict[str, Any]
    seconds: float


# --------------------------------------------------------------------------- locations
def find_root(root: str | os.PathLike | None = None) -> Path:
    """Return the repository root holding ``_config.yml`` and ``_toc.yml``.

    With ``root`` given, check and return it. Otherwise search the current
    directory and its parents, then the folder above the installed package.
    """
    if root is not None:
        path = Path(root).expanduser().resolve()
        if not (path / "_toc.yml").is_file():
            raise BookInputError(f"{path} is not a book root (no _toc.yml)")
        return path
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents, _PACKAGE_DIR.parent):
        if (candidate / "_toc.yml").is_file() and (candidate / "_config.yml").is_file():
            return candidate
    raise BookInputError(
        "cannot find the book (no _toc.yml and _config.yml in the current directory or its parents)"
    )


def _rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when possible (for messages)."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _display(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


# --------------------------------------------------------------------------- parameters
class _ScalarLoader(yaml.SafeLoader):
    """YAML safe loader closer to YAML 1.2: only ``true``/``false`` are booleans,
    dates stay strings and ``1e-3`` is a float, so ``-p activation off``,
    ``-p tag 2024-01-01`` and ``-p lr 1e-3`` mean what they say. Used for
    ``-p`` values and for ``book/parameters.yml``."""


_ScalarLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers
            if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ScalarLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
_ScalarLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def parse_parameter_value(text: str) -> Any:
    """Parse a command-line parameter value as a YAML scalar (or flow collection).

    >>> parse_parameter_value("0.01"), parse_parameter_value("relu"), parse_parameter_value("[1,2]")
    (0.01, 'relu', [1, 2])

    ``1e-3`` is read as a float (YAML 1.1 would read a string); only
    ``true``/``false`` are booleans; ``null``/``~`` is ``None``.
    """
    if not isinstance(text, str):
        return text
    if text.strip() == "":
        return ""
    try:
        return yaml.load(text, Loader=_ScalarLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ParameterError(f"cannot parse parameter value {text!r} as YAML ({first})") from None


def parse_parameters(pairs: Iterable[tuple[str, str]] | None) -> dict[str, Any]:
    """Turn ``[(NAME, VALUE-TEXT), ...]`` (from ``-p NAME VALUE``) into a dict.

    Values are parsed with :func:`parse_parameter_value`; names must be Python
    identifiers. A later pair overrides an earlier one with the same name.
    """
    params: dict[str, Any] = {}
    for name, value in pairs or ():
        if not str(name).isidentifier():
            raise ParameterError(f"parameter name {name!r} is not a Python identifier")
        params[name] = parse_parameter_value(value)
    return params


def load_profiles(root: str | os.PathLike | None = None) -> dict[str, dict[str, dict[str, Any]]]:
    """Read ``book/parameters.yml``: ``{profile: {notebook-key: {name: value}}}``.

    Notebook keys are paths relative to ``book/`` without suffix. A missing file
    means no profiles beyond an empty ``quick`` and ``full``.
    """
    root = find_root(root)
    path = root / PROFILES_FILE
    if not path.is_file():
        return {"quick": {}, "full": {}}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_ScalarLoader) or {}  # noqa: S506
    except yaml.YAMLError as exc:
        raise BookInputError(f"{PROFILES_FILE} is not valid YAML: {exc}") from None
    profiles = data.get("profiles") if isinstance(data, dict) else None
    if not isinstance(profiles, dict) or not profiles:
        raise BookInputError(f"{PROFILES_FILE} must contain a non-empty mapping 'profiles:'")
    result: dict[str, dict[str, dict[str, Any]]] = {}
    for profile, notebooks in profiles.items():
        notebooks = notebooks or {}
        if not isinstance(notebooks, dict):
            raise BookInputError(f"{PROFILES_FILE}: profile {profile!r} must map notebooks to parameters")
        result[str(profile)] = {}
        for key, params in notebooks.items():
            params = params or {}
            if not isinstance(params, dict):
                raise BookInputError(
                    f"{PROFILES_FILE}: {profile}.{key} must be a mapping of parameter names to values"
                )
            result[str(profile)][str(key).strip("/")] = dict(params)
    return result


def profile_parameters(
    profile: str, notebook: str | os.PathLike, root: str | os.PathLike | None = None
) -> dict[str, Any]:
    """Parameters of ``profile`` for one notebook (a key like ``two_layer``, or a path).

    Raises :class:`UnknownProfileError` for an undeclared profile; returns ``{}``
    for a notebook the profile does not mention.
    """
    root = find_root(root)
    profiles = load_profiles(root)
    if profile not in profiles:
        raise UnknownProfileError(
            f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))}; see {PROFILES_FILE})"
        )
    key = str(notebook)
    if isinstance(notebook, Path) or key.endswith(NOTEBOOK_SUFFIXES) or os.sep in key:
        path = Path(notebook)
        key = notebook_key(path if path.is_absolute() else root / path, root) or ""
    return dict(profiles[profile].get(key, {}))


# --------------------------------------------------------------------------- notebooks
def _front_matter(path: Path) -> dict[str, Any]:
    """YAML front matter of a markdown file (``{}`` if none or unparsable)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return {}
    match = re.match(r"^---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(\r?\n|$)", text, re.S)
    if not match:
        return {}
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}
    return meta if isinstance(meta, dict) else {}


def is_myst_notebook(path: str | os.PathLike) -> bool:
    """True for a ``.md`` file whose front matter declares a ``kernelspec`` (a MyST notebook)."""
    path = Path(path)
    return path.suffix == ".md" and path.is_file() and "kernelspec" in _front_matter(path)


def _is_notebook(path: Path) -> bool:
    return path.suffix == ".ipynb" or is_myst_notebook(path)


def toc_documents(root: str | os.PathLike | None = None) -> list[Path]:
    """Source files of every document in ``_toc.yml`` (root first, in TOC order).

    Handles ``root``, ``file`` entries at any depth (parts, chapters, sections);
    ``glob`` and ``url`` entries are ignored.
    """
    root = find_root(root)
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8")) or {}
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("root", "file"):
                if isinstance(node.get(key), str):
                    names.append(node[key])
            for value in node.values():
                if isinstance(value, (list, dict)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    documents: list[Path] = []
    for name in names:
        base = root / name
        if base.suffix in (".md", ".ipynb", ".rst") and base.is_file():
            found = base
        else:
            candidates = [base.with_name(base.name + s) for s in (".md", ".ipynb", ".rst")]
            existing = [c for c in candidates if c.is_file()]
            if not existing:
                raise BookInputError(f"_toc.yml lists {name!r} but no {name}.md/.ipynb exists")
            if len(existing) > 1:
                raise BookInputError(f"_toc.yml entry {name!r} is ambiguous: {', '.join(map(str, existing))}")
            found = existing[0]
        if found not in documents:
            documents.append(found)
    return documents


def notebooks_in_toc(root: str | os.PathLike | None = None) -> list[Path]:
    """Source files of the notebooks (MyST ``.md`` with a kernelspec, or ``.ipynb``) in ``_toc.yml``."""
    return [doc for doc in toc_documents(root) if _is_notebook(doc)]


def notebook_key(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str | None:
    """Profile key of a notebook: its path relative to ``book/`` without suffix
    (``book/two_layer.md`` -> ``two_layer``), or ``None`` if outside ``book/``."""
    root = find_root(root)
    try:
        rel = Path(path).resolve().relative_to(root / BOOK_DIR)
    except ValueError:
        return None
    return rel.with_suffix("").as_posix()


def resolve_notebook(spec: str | os.PathLike, root: str | os.PathLike | None = None) -> Path:
    """Find a notebook from a loose spec: ``two_layer``, ``two_layer.md``,
    ``book/two_layer.md``, or any (relative or absolute) path to a notebook.

    Raises :class:`UnknownNotebookError` if nothing matches.
    """
    root = find_root(root)
    spec_path = Path(spec).expanduser()
    if spec_path.is_absolute():
        bases = [spec_path]
    else:
        bases = [spec_path, root / spec_path, root / BOOK_DIR / spec_path]
    for base in bases:
        options = [base] if base.suffix in NOTEBOOK_SUFFIXES else []
        options += [base.with_name(base.name + s) for s in NOTEBOOK_SUFFIXES]
        for option in options:
            if option.is_file() and _is_notebook(option):
                return option.resolve()
    try:
        known = ", ".join(notebook_key(p, root) or str(p) for p in notebooks_in_toc(root))
    except BookInputError:
        known = ""
    raise UnknownNotebookError(
        f"unknown notebook {str(spec)!r}" + (f" (notebooks in the book: {known})" if known else "")
    )


def read_notebook(path: str | os.PathLike):
    """Read a MyST ``.md`` or ``.ipynb`` notebook as an nbformat v4 node (kernel ``python3``
    if the file declares none)."""
    import jupytext

    path = Path(path)
    nb = jupytext.read(path)
    nb.metadata.setdefault(
        "kernelspec", {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}
    )
    return nb


def _parameters_cells(nb) -> list[int]:
    return [
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])
    ]


def declared_parameters(nb) -> list[str]:
    """Names assigned at top level of the notebook's first cell tagged ``parameters``
    (``[]`` if there is none). ``nb`` is a notebook node or a path."""
    if isinstance(nb, (str, os.PathLike)):
        nb = read_notebook(nb)
    cells = _parameters_cells(nb)
    if not cells:
        return []
    source = nb.cells[cells[0]].source
    # Drop IPython magics/shell escapes that ast cannot parse.
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    names: list[str] = []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", code, re.M)
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        for target in targets:
            elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            names += [e.id for e in elts if isinstance(e, ast.Name) and e.id not in names]
    return names


def _check_parameters(nb, parameters: Mapping[str, Any], label: str) -> None:
    """Every parameter passed must be declared in the notebook's parameters cell."""
    if not parameters:
        return
    declared = declared_parameters(nb)
    if not _parameters_cells(nb):
        raise ParameterError(f"{label} has no cell tagged 'parameters', so it takes no parameters")
    unknown = [name for name in parameters if name not in declared]
    if unknown:
        raise ParameterError(
            f"{label} has no parameter {', '.join(map(repr, unknown))} "
            f"(its parameters cell declares: {', '.join(declared) or 'nothing'})"
        )


def package_hash() -> str:
    """SHA-256 over the paths and contents of every ``lassobook/**/*.py`` file."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE_DIR.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(_PACKAGE_DIR).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _cell_line(source_file: Path, cell_source: str) -> int | None:
    """1-based line of ``source_file`` where ``cell_source`` starts (None if not found)."""
    try:
        text = source_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    needle = cell_source.strip("\n")
    if not needle:
        return None
    pos = text.find(needle)
    if pos < 0:
        pos = text.find(needle.splitlines()[0])
    return None if pos < 0 else text.count("\n", 0, pos) + 1


def _notebook_error(
    exc, source_file: Path, executed_nb_path: Path | None, root: Path | None
) -> NotebookError:
    """Translate a papermill ``PapermillExecutionError`` into a readable :class:`NotebookError`."""
    label = _rel(source_file, root) if root else str(source_file)
    index = getattr(exc, "cell_index", None)
    source = getattr(exc, "source", "") or ""
    ename = getattr(exc, "ename", "") or type(exc).__name__
    evalue = _ANSI.sub("", str(getattr(exc, "evalue", "") or ""))
    # papermill's index counts its injected-parameters cell; map back to the source notebook.
    src_index = index
    if index is not None and executed_nb_path is not None and executed_nb_path.is_file():
        try:
            import nbformat

            executed = nbformat.read(executed_nb_path, as_version=4)
            cells = [
                c for c in executed.cells if "papermill-error-cell-tag" not in c.metadata.get("tags", [])
            ]
            injected = sum(
                1 for c in cells[:index] if "injected-parameters" in c.metadata.get("tags", [])
            )
            src_index = index - injected
        except Exception:  # pragma: no cover - best effort only
            pass
    line = _cell_line(source_file, source)
    lines = source.strip("\n").splitlines()
    shown = "\n".join("    " + ln for ln in lines[:3]) + ("\n    ..." if len(lines) > 3 else "")
    where = f"cell {src_index}" if src_index is not None else "a cell"
    if getattr(exc, "exec_count", None) is not None:
        where += f" (In [{exc.exec_count}]"
        where += f", line {line} of {label})" if line else ")"
    elif line:
        where += f" (line {line} of {label})"
    message = f"notebook {label} failed in {where}:\n{shown}\n{ename}: {evalue}"
    traceback = [_ANSI.sub("", t) for t in (getattr(exc, "traceback", None) or [])]
    tail = "\n".join("\n".join(traceback).splitlines()[-12:])
    if tail.strip():
        message += "\n--- traceback (last lines) ---\n" + tail
    if executed_nb_path is not None:
        message += f"\nPartially executed notebook: {_display(executed_nb_path)}"
    return NotebookError(
        message,
        notebook=source_file,
        cell_index=src_index,
        line=line,
        source=source,
        ename=ename,
        evalue=evalue,
        executed=executed_nb_path,
    )


@contextmanager
def _kernel_manager():
    """A ``python3`` kernel manager on IPC transport, in a private temporary folder.

    Over the default TCP transport ipykernel (>= 7) warns on every start that it
    runs unencrypted; local Unix sockets avoid both the warning and the open
    ports. The kernel is shut down and its sockets removed on exit. On Windows
    (no IPC transport) yields ``None``: papermill then starts its own TCP kernel.
    """
    if os.name == "nt":
        yield None
        return
    from jupyter_client.manager import KernelManager

    with tempfile.TemporaryDirectory(prefix="lassobook-kernel-") as tmp:
        km = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=os.path.join(tmp, "kernel"))
        try:
            yield km
        finally:
            if km.has_kernel:
                try:
                    km.shutdown_kernel()
                except Exception:  # pragma: no cover - kernel already gone
                    km.shutdown_kernel(now=True)


def _hide_parameter_cells(nb) -> None:
    """Tag the ``parameters`` and papermill's ``injected-parameters`` cells ``remove-cell``:
    the rendered page shows neither (the build banner and record say which profile ran)."""
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            cell.setdefault("metadata", {})["tags"] = list(tags) + ["remove-cell"]


def execute_notebook(
    source: str | os.PathLike,
    output: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: str | os.PathLike | None = None,
    progress: bool = False,
    root: str | os.PathLike | None = None,
):
    """Convert ``source`` (MyST ``.md`` or ``.ipynb``) with jupytext, execute it with
    papermill into ``output`` (an ``.ipynb`` path) and return the executed node.

    ``parameters`` are injected after the ``parameters`` cell and must all be
    declared there (else :class:`ParameterError`). The kernel is ``python3``;
    the working directory is ``cwd`` (default: the source's folder).
    ``progress`` shows papermill's per-cell bar. A failing cell raises
    :class:`NotebookError`; the partially executed notebook is kept in ``output``.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source = Path(source).resolve()
    output = Path(output)
    root_path = Path(root).resolve() if root is not None else None
    label = _rel(source, root_path) if root_path else str(source)
    nb = read_notebook(source)
    params = dict(parameters or {})
    _check_parameters(nb, params, f"notebook {label}")

    output.parent.mkdir(parents=True, exist_ok=True)
    converted = output.with_name(output.stem + ".input.ipynb")
    nbformat.write(nb, converted)
    from .build_record import pin_numerics

    pin_numerics()  # MKL_CBWR=AVX2 for the kernel: same numbers on any x86-64 CPU (build and run)
    try:
        with _kernel_manager() as km:
            pm.execute_notebook(
                str(converted),
                str(output),
                parameters=params,
                kernel_name=KERNEL_NAME,
                cwd=str(cwd if cwd is not None else source.parent),
                progress_bar=progress,
                log_output=False,
                **({"km": km} if km is not None else {}),
            )
    except PapermillExecutionError as exc:
        raise _notebook_error(exc, source, output, root_path) from None
    except (KeyboardInterrupt, BookInputError):
        raise
    except Exception as exc:  # kernel died, no such kernel, ...
        raise NotebookError(
            f"notebook {label} could not be executed: {type(exc).__name__}: {exc}",
            notebook=source,
            ename=type(exc).__name__,
            evalue=str(exc),
            executed=output if output.is_file() else None,
        ) from exc
    finally:
        converted.unlink(missing_ok=True)

    # Record portable paths instead of machine-specific absolute ones.
    executed = nbformat.read(output, as_version=4)
    _hide_parameter_cells(executed)
    meta = executed.metadata.setdefault("papermill", {})
    meta["input_path"] = label
    meta["output_path"] = output.name
    nbformat.write(executed, output)
    return executed


# --------------------------------------------------------------------------- build
def _cache_key(source: Path, parameters: Mapping[str, Any], profile: str, pkg_hash: str) -> str:
    digest = hashlib.sha256()
    payload = {
        "format": _CACHE_FORMAT,
        "kernel": KERNEL_NAME,
        "profile": profile,
        "parameters": parameters,
        "package": pkg_hash,
        "source": hashlib.sha256(source.read_bytes()).hexdigest(),
    }
    digest.update(json.dumps(payload, sort_keys=True, default=repr).encode())
    return digest.hexdigest()


#: MathJax 3 files served with the book (from the PyPI package django-static-mathjax), so
#: that math renders with no network; ``_config.yml`` points ``mathjax_path`` at them.
MATHJAX_PARTS = ("tex-chtml.js", "input", "output", "ui", "a11y")


def _copy_mathjax(staging: Path) -> None:
    """Copy the MathJax parts the book needs into ``staging/_mathjax/mathjax``.

    Not under ``_static``: Jupyter Book adds every script found there to every page.
    Sphinx copies ``_mathjax/`` (an ``html_static_path``) into the HTML's ``_static/``.
    """
    try:
        import mathjax
    except ImportError:  # pragma: no cover - a dependency in requirements.txt
        raise BookBuildError(
            "MathJax is not installed: pip install django-static-mathjax (see requirements.txt)"
        ) from None
    source = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    target = staging / "_mathjax" / "mathjax"
    target.mkdir(parents=True, exist_ok=True)
    for part in MATHJAX_PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
        else:
            shutil.copy2(source / part, target / part)


def _copy_book_files(root: Path, staging: Path, skip: set[Path]) -> None:
    """Copy ``_config.yml``, ``_toc.yml``, MathJax and every file under ``book/`` except ``skip``."""
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(root / name, staging / name)
    _copy_mathjax(staging)
    book = root / BOOK_DIR
    for path in sorted(book.rglob("*")):
        rel = path.relative_to(root)
        if any(part in (".ipynb_checkpoints", "__pycache__") for part in rel.parts):
            continue
        if path.is_dir() or path.resolve() in skip:
            continue
        target = staging / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _validate_profile(profile: str, profiles: dict, root: Path) -> dict[str, dict[str, Any]]:
    if profile not in profiles:
        raise UnknownProfileError(
            f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))}; see {PROFILES_FILE})"
        )
    for key in profiles[profile]:
        base = root / BOOK_DIR / key
        if not any(base.with_name(base.name + s).is_file() for s in NOTEBOOK_SUFFIXES):
            raise ParameterError(
                f"{PROFILES_FILE}: profile {profile!r} sets parameters of {key!r}, "
                f"but there is no {BOOK_DIR}/{key}.md or .ipynb"
            )
    return profiles[profile]


def _execute_cached(
    source: Path,
    key: str,
    params: Mapping[str, Any],
    profile: str,
    cache_dir: Path,
    root: Path,
    pkg_hash: str,
    force: bool,
) -> tuple[Path, bool, float]:
    """Execute ``source`` into ``cache_dir/<key>.ipynb`` unless its ``.hash`` file
    matches; return ``(executed notebook, whether it ran, seconds)``."""
    cached_nb = cache_dir / f"{key}.ipynb"
    hash_file = cache_dir / f"{key}.hash"
    digest = _cache_key(source, params, profile, pkg_hash)
    if not force and hash_file.is_file() and cached_nb.is_file():
        try:
            if json.loads(hash_file.read_text(encoding="utf-8")).get("hash") == digest:
                return cached_nb, False, 0.0
        except (ValueError, OSError, AttributeError):
            pass
    hash_file.unlink(missing_ok=True)  # written again only if the run succeeds
    start = time.perf_counter()
    execute_notebook(source, cached_nb, params, cwd=source.parent, progress=False, root=root)
    seconds = time.perf_counter() - start
    record = {
        "hash": digest,
        "notebook": _rel(source, root),
        "profile": profile,
        "parameters": dict(params),
        "package": pkg_hash,
        "seconds": round(seconds, 2),
        "executed_at": _dt.datetime.now().isoformat(timespec="seconds"),
    }
    hash_file.write_text(json.dumps(record, indent=2, default=repr) + "\n", encoding="utf-8")
    return cached_nb, True, seconds


def stage_book(
    profile: str = "quick",
    root: str | os.PathLike | None = None,
    force: bool = False,
    progress: bool = True,
) -> StageReport:
    """Execute the book's notebooks (or reuse cached runs) and assemble ``_build/staging``.

    For every notebook of ``_toc.yml``: parameters are taken from ``profile``
    in ``book/parameters.yml``; if ``_build/executed/<profile>/<key>.hash``
    matches (same source text, parameters, profile and ``lassobook`` package
    source) the cached ``<key>.ipynb`` is reused, else the notebook is executed
    with papermill (``force=True`` executes all). The staging folder is rebuilt
    from scratch: config, TOC, executed notebooks and every other file of ``book/``.
    """
    from tqdm.auto import tqdm

    from .build_record import pin_numerics

    root = find_root(root)
    params_by_key = _validate_profile(profile, load_profiles(root), root)
    pin_numerics()  # same numbers on any x86-64 CPU: MKL_CBWR=AVX2 for the kernels (and the record)
    notebooks = notebooks_in_toc(root)
    cache_dir = root / EXECUTED_DIR / profile
    staging = root / STAGING_DIR
    pkg_hash = package_hash()

    executed: list[Path] = []
    reused: list[Path] = []
    results: dict[Path, Path] = {}
    bar_options = dict(desc=f"notebooks ({profile})", unit="nb", disable=not progress, file=sys.stderr)
    with tqdm(notebooks, **bar_options) as bar:
        for source in bar:
            key = notebook_key(source, root) or source.stem
            bar.set_postfix_str(key)
            cached_nb, ran, seconds = _execute_cached(
                source, key, params_by_key.get(key, {}), profile, cache_dir, root, pkg_hash, force
            )
            (executed if ran else reused).append(source)
            results[source] = cached_nb
            if progress:
                status = (
                    f"executed in {seconds:.1f} s" if ran else f"unchanged, reusing {_display(cached_nb)}"
                )
                tqdm.write(f"  {key}: {status}", file=sys.stderr)

    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    _copy_book_files(root, staging, skip={s.resolve() for s in notebooks})
    import nbformat

    profile_params = load_profiles(root).get(profile, {})
    for source, cached_nb in results.items():
        target = staging / source.relative_to(root).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(cached_nb, as_version=4)
        _add_page_note(nb, profile, profile_params.get(notebook_key(source, root) or source.stem, {}))
        nbformat.write(nb, target)
    _write_claims_page(staging, {source.stem: cached for source, cached in results.items()}, profile)
    from .build_record import write_record  # the appendix page, the banner, build_record.json

    keys = {s: notebook_key(s, root) or s.stem for s in notebooks}
    write_record(staging, root, profile, keys.values(), [keys[s] for s in executed], force=force)
    return StageReport(staging=staging, executed=executed, reused=reused)


#: the line of ``book/claims.md`` replaced by the generated table
CLAIMS_MARKER = "<!-- claims-table: generated by lassobook build -->"
GLANCE_MARKER = "<!-- results-at-a-glance: generated by lassobook build -->"


def _add_page_note(nb, profile: str, params: Mapping[str, Any]) -> None:
    """A note under the page's title: the profile and the parameters this page ran with."""
    import nbformat

    shown = ", ".join(f"{k} = {v}" for k, v in params.items())
    shown = f" ({shown})" if shown else ""
    text = (f":::{{note}}\nThis page was executed with the **{profile}** profile{shown}; the "
            f"{{doc}}`build record <build_record>` lists the versions and times.\n:::")
    cell = nbformat.v4.new_markdown_cell(text)
    cell.metadata["tags"] = ["lassobook-page-note"]
    nb.cells.insert(1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, cell)


def _write_claims_page(staging: Path, executed: dict[str, Path], profile: str | None = None) -> None:
    """Fill the *Claims and checks* page from the claim records of the executed notebooks."""
    page = staging / BOOK_DIR / "claims.md"
    if not page.is_file():
        return
    from .paper.claims import claims_table, collect_claims, glance_table

    records = collect_claims({name: read_notebook(path) for name, path in executed.items()})
    text = page.read_text()
    if CLAIMS_MARKER not in text:
        raise BookBuildError(f"{BOOK_DIR}/claims.md lacks the line {CLAIMS_MARKER!r}")
    page.write_text(text.replace(CLAIMS_MARKER, claims_table(records, profile=profile)))
    intro = staging / BOOK_DIR / "intro.md"
    if intro.is_file() and GLANCE_MARKER in intro.read_text():
        intro.write_text(intro.read_text().replace(GLANCE_MARKER, glance_table(records)))


def _jupyter_book_command() -> list[str]:
    script = Path(sys.executable).with_name("jupyter-book")
    if script.is_file():
        return [str(script)]
    found = shutil.which("jupyter-book")
    if found:
        return [found]
    return [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def run_jupyter_book(
    staging: str | os.PathLike,
    root: str | os.PathLike,
    warnings_as_errors: bool = True,
    progress: bool = True,
) -> Path:
    """Run ``jupyter-book build <staging> --path-output <root> --all`` (plus
    ``-W --keep-going`` when ``warnings_as_errors``) and return
    ``<root>/_build/html/index.html``.

    The environment is always rebuilt (``--all``) so warnings of unchanged
    pages are reported again. Output is streamed when ``progress``; on failure
    :class:`BookBuildError` carries the warnings and the tail of the output.
    """
    staging, root = Path(staging), Path(root)
    cmd = _jupyter_book_command() + ["build", str(staging), "--path-output", str(root), "--all"]
    if warnings_as_errors:
        cmd += ["-W", "--keep-going"]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    lines: list[str] = []
    with subprocess.Popen(
        cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, bufsize=1
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if progress:
                sys.stdout.write(line)
                sys.stdout.flush()
        code = proc.wait()
    index = root / "_build" / "html" / "index.html"
    if code != 0 or not index.is_file():
        # Plain text, with staging paths shown relative to it (book/intro.md:3: WARNING ...);
        # book/<name>.ipynb there is the executed form of the MyST notebook book/<name>.md.
        lines = [_ANSI.sub("", ln).replace(f"{staging.resolve()}{os.sep}", "") for ln in lines]
        warnings = [ln for ln in lines if re.search(r"\b(WARNING|ERROR|CRITICAL)\b", ln)]
        message = f"jupyter-book build failed (exit code {code}): {' '.join(cmd)}"
        if warnings:
            message += f"\n--- {len(warnings)} warning/error line(s) ---\n" + "\n".join(warnings[:40])
        message += "\n--- last lines of output ---\n" + "\n".join(lines[-30:])
        raise BookBuildError(message)
    return index


def build_book(
    profile: str = "quick",
    root: str | os.PathLike | None = None,
    warnings_as_errors: bool = True,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Execute the notebooks with ``profile``'s parameters and build the HTML book.

    Parameters
    ----------
    profile : str
        Profile of ``book/parameters.yml`` (``"quick"`` for CI, ``"full"`` for the
        published book).
    root : path, optional
        Repository root (holds ``_config.yml``, ``_toc.yml``, ``book/``); found
        from the current directory by default.
    warnings_as_errors : bool
        Pass ``-W --keep-going`` to Sphinx: any warning fails the build.
    force : bool
        Re-execute every notebook even if its cached run is up to date.
    progress : bool
        Show a progress bar over notebooks and the Sphinx output.

    Returns
    -------
    Path
        ``<root>/_build/html/index.html``.

    Raises
    ------
    NotebookError
        A cell failed (the message names notebook, cell and error).
    BookBuildError
        Sphinx failed or warned (with ``warnings_as_errors``).
    BookInputError
        Unknown profile, or a profile parameter the notebook does not declare.
    """
    root = find_root(root)
    from .build_record import finish_record, warn_lock_mismatch

    start = time.perf_counter()
    warn_lock_mismatch(root)  # a warning, not a failure
    report = stage_book(profile, root, force=force, progress=progress)
    index = run_jupyter_book(report.staging, root, warnings_as_errors=warnings_as_errors, progress=progress)
    finish_record(report.staging, index.parent, time.perf_counter() - start)  # _build/html/build_record.json
    return index


# --------------------------------------------------------------------------- run
def extract_figures(nb, out_dir: str | os.PathLike, prefix: str = "figure") -> list[Path]:
    """Write every ``image/png`` output of ``nb`` (a node or an ``.ipynb`` path), in
    order, to ``out_dir/<prefix>-01.png``, ``-02.png``, ... and return the paths."""
    import nbformat

    if isinstance(nb, (str, os.PathLike)):
        nb = nbformat.read(nb, as_version=4)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") not in ("display_data", "execute_result"):
                continue
            png = output.get("data", {}).get("image/png")
            if not png:
                continue
            if isinstance(png, list):
                png = "".join(png)
            path = out_dir / f"{prefix}-{len(paths) + 1:02d}.png"
            path.write_bytes(base64.b64decode(png))
            paths.append(path)
    return paths


def run_notebook(
    notebook: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    profile: str = "quick",
    out_dir: str | os.PathLike | None = None,
    root: str | os.PathLike | None = None,
    progress: bool = False,
) -> RunResult:
    """Execute one notebook with ``profile``'s parameters overridden by ``parameters``.

    Parameters
    ----------
    notebook : str or path
        ``two_layer``, ``two_layer.md``, ``book/two_layer.md`` or a path to any
        MyST/ipynb notebook (see :func:`resolve_notebook`).
    parameters : dict, optional
        Values for names of the notebook's ``parameters`` cell. They override
        the profile's (typed values: parse command-line strings with
        :func:`parse_parameters`).
    profile : str
        Profile of ``book/parameters.yml`` supplying the base parameters.
    out_dir : path, optional
        Output folder; default ``<root>/runs/<stem>-<YYYYmmdd-HHMMSS>/``. The run
        executes in a temporary folder inside it and moves its files into place
        only when it succeeded; it never overwrites or deletes a file it did not
        write (those it wrote are listed in ``.lassobook-run.json``): a folder
        already holding the user's ``figure-01.png``, ``<stem>.ipynb`` or
        ``parameters.yml`` is refused with :class:`BookInputError`.
    root : path, optional
        Repository root; found from the current directory by default.
    progress : bool
        Show papermill's per-cell progress bar.

    Returns
    -------
    RunResult
        ``<out_dir>/<stem>.ipynb``, the extracted ``figure-NN.png`` files, and
        ``parameters.yml`` recording the parameters used.
    """
    root = find_root(root)
    source = resolve_notebook(notebook, root)
    profiles = load_profiles(root)
    if profile not in profiles:
        raise UnknownProfileError(
            f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))}; see {PROFILES_FILE})"
        )
    key = notebook_key(source, root)
    params = dict(profiles[profile].get(key, {})) if key else {}
    params.update(parameters or {})
    # Validate before creating any output folder.
    _check_parameters(read_notebook(source), params, f"notebook {_rel(source, root)}")

    if out_dir is None:
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = root / RUNS_DIR / f"{source.stem}-{stamp}"
        out, n = base, 1
        while out.exists():
            n += 1
            out = base.with_name(f"{base.name}-{n}")
    else:
        out = Path(out_dir).expanduser()
    out = out.resolve()
    owned = _run_owned_files(out, source.stem)   # refuses to overwrite files it did not write
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=out, prefix=".lassobook-run-"))
    except OSError as exc:
        raise BookInputError(f"--out {_display(out)} is not a writable folder "
                             f"({exc.strerror or exc}); choose another") from None
    try:
        (work / "parameters.yml").write_text(
            yaml.safe_dump(
                {"notebook": _rel(source, root), "profile": profile, "parameters": params},
                sort_keys=False,
            ),
            encoding="utf-8",
        )
        start = time.perf_counter()
        nb = execute_notebook(source, work / f"{source.stem}.ipynb", params, cwd=source.parent,
                              progress=progress, root=root)
        seconds = time.perf_counter() - start
        names = [f"{source.stem}.ipynb", "parameters.yml"] + [p.name for p in extract_figures(nb, work)]
        _install_run(work, out, names, owned, source.stem)
    except NotebookError:
        raise                      # keep ``work``: it holds the partially executed notebook named in the error
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    figures = [out / n for n in names[2:]]
    return RunResult(notebook=out / names[0], figures=figures, out_dir=out, parameters=params, seconds=seconds)


#: File in a ``lassobook run`` output folder listing the files that run wrote there.
RUN_MANIFEST = ".lassobook-run.json"


def _run_owned_files(out: Path, stem: str) -> set[str]:
    """Files of ``out`` written by an earlier ``lassobook run`` there (from its manifest).

    A run writes ``<stem>.ipynb``, ``parameters.yml`` and ``figure-NN.png``.
    Such a file already in ``out`` but not listed in :data:`RUN_MANIFEST` is the
    user's: raise :class:`BookInputError` (nothing is touched) instead of
    overwriting or deleting it.
    """
    if out.exists() and not out.is_dir():
        raise BookInputError(f"--out {_display(out)} is an existing file; give a folder")
    owned: set[str] = set()
    try:
        owned = set(json.loads((out / RUN_MANIFEST).read_text(encoding="utf-8"))["files"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    ours = re.compile(rf"{re.escape(stem)}\.ipynb|parameters\.yml|figure-\d+\.png")
    clash = sorted(p.name for p in out.iterdir() if ours.fullmatch(p.name) and p.name not in owned) \
        if out.is_dir() else []
    if clash:
        shown = ", ".join(clash[:3]) + (f" and {len(clash) - 3} more" if len(clash) > 3 else "")
        raise BookInputError(
            f"--out {_display(out)} already holds {shown}, not written by lassobook run; "
            f"choose a new or empty folder (or move those files)")
    return owned


def _install_run(work: Path, out: Path, names: list[str], owned: set[str], stem: str) -> None:
    """Move a finished run's files ``names`` from ``work`` into ``out``.

    Files of an earlier run there (``owned``) that this run does not rewrite
    (e.g. its ``figure-07.png`` when this run made 3 figures) are removed, and
    the manifest is updated first to cover both sets, so an interrupted install
    never leaves a run's file that a later run would refuse to replace.
    """
    owned = _run_owned_files(out, stem) | owned     # the folder may have changed during the run
    manifest = out / RUN_MANIFEST

    def record(files) -> None:
        tmp = work / RUN_MANIFEST
        tmp.write_text(json.dumps({"files": sorted(files)}, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, manifest)

    record(owned | set(names))
    for name in names:
        os.replace(work / name, out / name)
    for name in owned - set(names):
        (out / name).unlink(missing_ok=True)
    record(names)
