"""Where the book is and what it runs with: the root, profiles, parameters, the TOC's notebooks.

* :func:`find_root` finds the repository root (``_config.yml`` and ``_toc.yml``);
* :func:`load_profiles` reads ``book/parameters.yml`` (parameters by profile and
  notebook), :func:`profile_parameters` one notebook's;
* :func:`parse_parameter_value` / :func:`parse_parameters` read ``-p NAME VALUE``;
* :func:`toc_documents` / :func:`notebooks_in_toc` list the documents of
  ``_toc.yml``; :func:`resolve_notebook` finds a notebook from a loose name;
  :func:`read_notebook` reads a MyST ``.md`` or ``.ipynb``; :func:`declared_parameters`
  lists the names of its ``parameters`` cell.

This module imports no other module of :mod:`lassobook.book` except
:mod:`lassobook.book.errors`.
"""

from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from .errors import BookInputError, ParameterError, UnknownNotebookError, UnknownProfileError

__all__ = [
    "BOOK_DIR", "EXECUTED_DIR", "KERNEL_NAME", "NOTEBOOK_SUFFIXES", "PROFILES_FILE", "RUNS_DIR",
    "STAGING_DIR", "declared_parameters", "find_root", "is_myst_notebook", "load_profiles",
    "notebook_key", "notebooks_in_toc", "parse_parameter_value", "parse_parameters",
    "profile_parameters", "read_notebook", "resolve_notebook", "toc_documents",
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

#: The ``lassobook`` package folder (its parent is the repository root of a source checkout).
PACKAGE_DIR = Path(__file__).resolve().parents[1]


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
    for candidate in (here, *here.parents, PACKAGE_DIR.parent):
        if (candidate / "_toc.yml").is_file() and (candidate / "_config.yml").is_file():
            return candidate
    raise BookInputError(
        "cannot find the book (no _toc.yml and _config.yml in the current directory or its parents)"
    )


def rel(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when possible (for messages)."""
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def display(path: Path) -> str:
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
    profile_of(profile, profiles)
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


def parameters_cells(nb) -> list[int]:
    return [
        i for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", [])
    ]


def declared_parameters(nb) -> list[str]:
    """Names assigned at top level of the notebook's first cell tagged ``parameters``
    (``[]`` if there is none). ``nb`` is a notebook node or a path."""
    if isinstance(nb, (str, os.PathLike)):
        nb = read_notebook(nb)
    cells = parameters_cells(nb)
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


def check_parameters(nb, parameters: Mapping[str, Any], label: str) -> None:
    """Every parameter passed must be declared in the notebook's parameters cell."""
    if not parameters:
        return
    declared = declared_parameters(nb)
    if not parameters_cells(nb):
        raise ParameterError(f"{label} has no cell tagged 'parameters', so it takes no parameters")
    unknown = [name for name in parameters if name not in declared]
    if unknown:
        raise ParameterError(
            f"{label} has no parameter {', '.join(map(repr, unknown))} "
            f"(its parameters cell declares: {', '.join(declared) or 'nothing'})"
        )

def profile_of(profile: str, profiles: Mapping[str, dict]) -> dict[str, dict[str, Any]]:
    """``profiles[profile]``, or :class:`UnknownProfileError` naming the known profiles."""
    if profile not in profiles:
        raise UnknownProfileError(
            f"unknown profile {profile!r} (known: {', '.join(sorted(profiles))}; see {PROFILES_FILE})"
        )
    return profiles[profile]


def validate_profile(profile: str, profiles: dict, root: Path) -> dict[str, dict[str, Any]]:
    """``profiles[profile]``, after checking that every notebook it names exists."""
    profile_of(profile, profiles)
    for key in profiles[profile]:
        base = root / BOOK_DIR / key
        if not any(base.with_name(base.name + s).is_file() for s in NOTEBOOK_SUFFIXES):
            raise ParameterError(
                f"{PROFILES_FILE}: profile {profile!r} sets parameters of {key!r}, "
                f"but there is no {BOOK_DIR}/{key}.md or .ipynb"
            )
    return profiles[profile]

