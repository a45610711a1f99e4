"""``lassobook run``: execute one notebook with new parameters, into its own folder.

:func:`run_notebook` executes one notebook of the book (or any MyST/ipynb
notebook) with the profile's parameters overridden by the caller's, into
``runs/<stem>-<YYYYmmdd-HHMMSS>/`` together with every PNG figure it drew
(``figure-01.png``, ...) and the parameters used (``parameters.yml``). It never
overwrites or deletes a file it did not write.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from .errors import BookInputError, NotebookError
from .execute import execute_measured
from .profiles import (RUNS_DIR, check_parameters, display, find_root, load_profiles, notebook_key,
                       profile_of, read_notebook, rel, resolve_notebook)

__all__ = ["RUN_MANIFEST", "RunResult", "extract_figures", "run_notebook"]


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
    peak_mb : float or None
        Peak resident memory of the notebook's kernel, in MiB.
    """

    notebook: Path
    figures: list[Path]
    out_dir: Path
    parameters: dict[str, Any]
    seconds: float
    peak_mb: float | None = None



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

    Returns a :class:`RunResult`: ``<out_dir>/<stem>.ipynb``, the extracted
    ``figure-NN.png`` files, ``parameters.yml`` (the parameters used), seconds and peak memory.
    """
    root = find_root(root)
    source = resolve_notebook(notebook, root)
    params = _run_parameters(source, parameters, profile, root)  # validated before any folder is made
    out = _out_dir(root, source.stem, out_dir)
    owned = _run_owned_files(out, source.stem)   # refuses to overwrite files it did not write
    work = _work_dir(out)
    try:
        used = {"notebook": rel(source, root), "profile": profile, "parameters": params}
        (work / "parameters.yml").write_text(yaml.safe_dump(used, sort_keys=False), encoding="utf-8")
        nb, seconds, peak_mb = execute_measured(source, work / f"{source.stem}.ipynb", params,
                                                cwd=source.parent, progress=progress, root=root)
        names = [f"{source.stem}.ipynb", "parameters.yml"] + [p.name for p in extract_figures(nb, work)]
        del nb
        _install_run(work, out, names, owned, source.stem)
    except NotebookError:
        raise                      # keep ``work``: it holds the partially executed notebook named in the error
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return RunResult(notebook=out / names[0], figures=[out / n for n in names[2:]], out_dir=out,
                     parameters=params, seconds=seconds, peak_mb=peak_mb)


def _run_parameters(source: Path, parameters: Mapping[str, Any] | None, profile: str,
                    root: Path) -> dict[str, Any]:
    """The profile's parameters of ``source`` updated with ``parameters``, all checked
    against the notebook's ``parameters`` cell."""
    key = notebook_key(source, root)
    params = dict(profile_of(profile, load_profiles(root)).get(key, {})) if key else {}
    params.update(parameters or {})
    check_parameters(read_notebook(source), params, f"notebook {rel(source, root)}")
    return params


def _work_dir(out: Path) -> Path:
    """A new temporary folder inside ``out`` (created), where the run writes its files."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=out, prefix=".lassobook-run-"))
    except OSError as exc:
        raise BookInputError(f"--out {display(out)} is not a writable folder "
                             f"({exc.strerror or exc}); choose another") from None


def _out_dir(root: Path, stem: str, out_dir: str | os.PathLike | None) -> Path:
    """``out_dir`` (absolute), or a new ``<root>/runs/<stem>-<YYYYmmdd-HHMMSS>[-N]``."""
    if out_dir is not None:
        return Path(out_dir).expanduser().resolve()
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = root / RUNS_DIR / f"{stem}-{stamp}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out.resolve()


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
        raise BookInputError(f"--out {display(out)} is an existing file; give a folder")
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
            f"--out {display(out)} already holds {shown}, not written by lassobook run; "
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

