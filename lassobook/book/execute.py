"""Execute notebooks with papermill: one at a time, cached, or several in parallel.

* :func:`execute_notebook` converts a MyST ``.md`` (or ``.ipynb``) notebook
  with jupytext and executes it with papermill in a fresh ``python3`` kernel;
  :func:`execute_measured` also returns its wall time and the kernel's peak
  resident memory (:class:`lassobook.book.memory.PeakMemory`);
* a :class:`Task` is one notebook of a build: it is executed into
  ``_build/executed/<profile>/<key>.ipynb`` unless the ``<key>.hash`` record
  beside it says the same source, parameters, profile and ``lassobook``
  package source ran before; the record also keeps that run's seconds and peak
  memory, so a reused notebook reports the numbers of the run that made it;
* :func:`execute_all` runs the tasks of a build, ``jobs`` at a time, each in
  its own worker process and kernel (``lassobook build --jobs N``).

A failing cell raises :class:`~lassobook.book.errors.NotebookError`, naming the
notebook, the cell (index and source line) and the error.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from .errors import BookInputError, NotebookError
from .memory import PeakMemory
from .profiles import KERNEL_NAME, PACKAGE_DIR, check_parameters, display, read_notebook, rel
from .record import pin_numerics

__all__ = ["Execution", "Task", "execute_all", "execute_measured", "execute_notebook", "package_hash"]

# Bump to invalidate every cached notebook (e.g. when the execution recipe changes).
_CACHE_FORMAT = 1
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_PACKAGE_DIR = PACKAGE_DIR


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
    label = rel(source_file, root) if root else str(source_file)
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
        message += f"\nPartially executed notebook: {display(executed_nb_path)}"
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


def _papermill(converted: Path, output: Path, params: dict, cwd: Path, progress: bool) -> float | None:
    """Execute ``converted`` into ``output`` with papermill; return the kernel's peak MiB."""
    import papermill as pm

    with _kernel_manager() as km:
        pid = (lambda: km.provisioner.pid) if km is not None else (lambda: None)
        with PeakMemory(pid) as memory:
            pm.execute_notebook(
                str(converted),
                str(output),
                parameters=params,
                kernel_name=KERNEL_NAME,
                cwd=str(cwd),
                progress_bar=progress,
                log_output=False,
                **({"km": km} if km is not None else {}),
            )
    return memory.peak_mb


def _make_portable(output: Path, label: str):
    """Hide the parameter cells and record portable paths, not machine-specific absolute ones."""
    import nbformat

    executed = nbformat.read(output, as_version=4)
    _hide_parameter_cells(executed)
    meta = executed.metadata.setdefault("papermill", {})
    meta["input_path"] = label
    meta["output_path"] = output.name
    nbformat.write(executed, output)
    return executed


def execute_measured(
    source: str | os.PathLike,
    output: str | os.PathLike,
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: str | os.PathLike | None = None,
    progress: bool = False,
    root: str | os.PathLike | None = None,
) -> tuple[Any, float, float | None]:
    """:func:`execute_notebook`, returning ``(executed node, wall seconds, kernel peak MiB)``.

    The peak is the kernel process's resident memory (with any processes it
    started), ``None`` where it cannot be measured.
    """
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    source = Path(source).resolve()
    output = Path(output)
    root_path = Path(root).resolve() if root is not None else None
    label = rel(source, root_path) if root_path else str(source)
    nb = read_notebook(source)
    params = dict(parameters or {})
    check_parameters(nb, params, f"notebook {label}")

    output.parent.mkdir(parents=True, exist_ok=True)
    converted = output.with_name(output.stem + ".input.ipynb")
    nbformat.write(nb, converted)
    del nb
    pin_numerics()  # MKL_CBWR=AVX2 for the kernel: same numbers on any x86-64 CPU (build and run)
    start = time.perf_counter()
    try:
        peak_mb = _papermill(converted, output, params, Path(cwd or source.parent), progress)
    except PapermillExecutionError as exc:
        raise _notebook_error(exc, source, output, root_path) from None
    except (KeyboardInterrupt, BookInputError):
        raise
    except Exception as exc:  # kernel died, no such kernel, ...
        raise NotebookError(
            f"notebook {label} could not be executed: {type(exc).__name__}: {exc}",
            notebook=source, ename=type(exc).__name__, evalue=str(exc),
            executed=output if output.is_file() else None,
        ) from exc
    finally:
        converted.unlink(missing_ok=True)
    seconds = time.perf_counter() - start
    return _make_portable(output, label), seconds, peak_mb


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
    nb, _, _ = execute_measured(source, output, parameters, cwd=cwd, progress=progress, root=root)
    return nb


# --------------------------------------------------------------------------- cached, parallel
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


@dataclass(frozen=True)
class Execution:
    """The executed notebook a build uses, and the run that made it.

    Attributes
    ----------
    source : Path
        The notebook's source (``book/<key>.md``).
    key : str
        Its profile key (``two_layer``).
    notebook : Path
        The executed notebook (``_build/executed/<profile>/<key>.ipynb``).
    ran : bool
        Executed in this build (``False``: reused from the cache).
    seconds, peak_mb : float or None
        Wall time and kernel peak resident memory (MiB) of the run that made
        ``notebook`` (for a reused notebook: as recorded then; ``None`` if the
        record predates the measurement).
    """

    source: Path
    key: str
    notebook: Path
    ran: bool
    seconds: float | None
    peak_mb: float | None


def read_run_record(hash_file: Path) -> dict[str, Any]:
    """The ``<key>.hash`` record of a cached run (``{}`` if missing or unreadable)."""
    try:
        record = json.loads(Path(hash_file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


@dataclass(frozen=True)
class Task:
    """One notebook of a build: execute ``source`` into ``cache_dir/<key>.ipynb`` with
    ``params``, unless the cached run is up to date (and not ``force``). Picklable, so
    a worker process of :func:`execute_all` can run it."""

    source: Path
    key: str
    params: Mapping[str, Any]
    profile: str
    cache_dir: Path
    root: Path
    pkg_hash: str
    force: bool = False

    @property
    def output(self) -> Path:
        return self.cache_dir / f"{self.key}.ipynb"

    @property
    def hash_file(self) -> Path:
        return self.cache_dir / f"{self.key}.hash"

    def cached(self) -> Execution | None:
        """The cached run, if its record matches this task (and not ``force``)."""
        if self.force or not self.output.is_file():
            return None
        record = read_run_record(self.hash_file)
        if record.get("hash") != _cache_key(self.source, self.params, self.profile, self.pkg_hash):
            return None
        return Execution(self.source, self.key, self.output, False, record.get("seconds"),
                         record.get("peak_mb"))

    def expected_seconds(self) -> float:
        """Seconds of the last recorded run (0 if none): longest tasks are started first."""
        seconds = read_run_record(self.hash_file).get("seconds")
        return float(seconds) if isinstance(seconds, (int, float)) else 0.0

    def run(self) -> Execution:
        """Execute the notebook and write its ``.hash`` record (only if it succeeded)."""
        digest = _cache_key(self.source, self.params, self.profile, self.pkg_hash)
        self.hash_file.unlink(missing_ok=True)
        _, seconds, peak_mb = execute_measured(self.source, self.output, self.params,
                                               cwd=self.source.parent, root=self.root)
        record = {
            "hash": digest,
            "notebook": rel(self.source, self.root),
            "profile": self.profile,
            "parameters": dict(self.params),
            "package": self.pkg_hash,
            "seconds": round(seconds, 2),
            "peak_mb": peak_mb,
            "executed_at": _dt.datetime.now().isoformat(timespec="seconds"),
        }
        self.hash_file.write_text(json.dumps(record, indent=2, default=repr) + "\n", encoding="utf-8")
        return Execution(self.source, self.key, self.output, True, round(seconds, 2), peak_mb)


def _run_task(task: Task) -> Execution:
    """Worker-process entry point of :func:`execute_all`."""
    return task.run()


def _run_parallel(tasks: list[Task], jobs: int) -> Iterator[Execution]:
    """Run ``tasks`` in ``jobs`` worker processes (spawned: no state inherited but the
    environment); yield each result as it completes. On a failure the tasks not yet
    started are cancelled, the running ones finish, and the first error is raised."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = [pool.submit(_run_task, task) for task in tasks]
        for future in as_completed(futures):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


#: memory one notebook's kernel may need: the full build's largest (deep_narrow, about 1.5 GB)
#: with room to spare; :func:`default_jobs` runs no more notebooks at once than fit
NOTEBOOK_MEMORY = 2 * 1024**3


#: profiles executed one notebook at a time unless ``jobs`` says otherwise: their notebooks compute
#: for minutes on every core themselves (torch, BLAS), so two at a time only share the cores —
#: measured on 2 cores: the full build took 26 min 53 s with one job and 33 min 9 s with two,
#: while the quick build (notebooks of seconds, mostly start-up) took 252 s and 139 s
SERIAL_PROFILES = frozenset({"full"})


def default_jobs(profile: str = "quick") -> int:
    """Notebooks executed at a time when none is asked for: one for :data:`SERIAL_PROFILES`;
    else one per core this process may use, no more than the available memory holds
    (:data:`NOTEBOOK_MEMORY` each), at least one."""
    if profile in SERIAL_PROFILES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    try:
        import psutil

        fit = int(psutil.virtual_memory().available // NOTEBOOK_MEMORY)
    except ImportError:  # pragma: no cover - psutil comes with the [book] extra
        fit = 1
    return max(1, min(cores, fit))


def execute_all(tasks: Iterable[Task], jobs: int | None = None, progress: bool = True,
                desc: str = "notebooks") -> list[Execution]:
    """Execute the tasks not up to date in the cache, ``jobs`` at a time (default
    :func:`default_jobs` of the tasks' profile); return one :class:`Execution` per task, in the order given
    (whatever the completion order).

    With ``jobs == 1`` the notebooks run one after another from this process, in
    the order given, one kernel at a time. With ``jobs > 1`` each runs in a
    worker process with its own kernel, longest first (by the last recorded
    time); the executed notebooks are the same as with one job, but the kernels'
    memory adds up.
    """
    from tqdm.auto import tqdm

    tasks = list(tasks)
    if jobs is None:
        jobs = default_jobs(tasks[0].profile if tasks else "quick")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise BookInputError(f"jobs must be a whole number >= 1, got {jobs!r}")
    done: dict[str, Execution] = {}
    for task in tasks:
        hit = task.cached()
        if hit is not None:
            done[task.key] = hit
    pending = [task for task in tasks if task.key not in done]
    if jobs > 1:  # longest first, so the last one to start is short
        pending.sort(key=lambda task: -task.expected_seconds())
    bar = tqdm(total=len(tasks), desc=desc, unit="nb", disable=not progress, file=sys.stderr)
    with bar:
        for task in tasks:
            if task.key in done:
                bar.update()
                if progress:
                    tqdm.write(f"  {task.key}: unchanged, reusing {display(task.output)}",
                               file=sys.stderr)
        runs = (_run_parallel(pending, min(jobs, len(pending))) if jobs > 1 and len(pending) > 1
                else (task.run() for task in pending))
        for execution in runs:
            done[execution.key] = execution
            bar.update()
            bar.set_postfix_str(execution.key)
            if progress:
                tqdm.write(f"  {execution.key}: executed in {execution.seconds:.1f} s, "
                           f"kernel peak {_mb(execution.peak_mb)}", file=sys.stderr)
    return [done[task.key] for task in tasks]


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MB"
