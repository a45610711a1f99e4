"""Peak resident memory of a process and its descendants, polled in a background thread.

``lassobook build`` measures each notebook's kernel with :class:`PeakMemory`
(the kernel's pid is known only once papermill has started it, so ``pid`` may
be a callable returning ``None`` until then); ``benchmarks/build_times.py``
measures the whole build (its own process and every child: kernels, worker
processes of ``--jobs N``, Sphinx).

The peak is the larger of

* the highest sum of resident set sizes (RSS) of the process and its
  descendants over the polls (every ``interval`` seconds), and
* on Linux, the root process's own high-water mark ``VmHWM`` of
  ``/proc/<pid>/status``, which the kernel keeps exactly, so a spike between
  two polls of a single-process kernel is not missed. Its last reading is the
  last poll before the process ended: growth in the final ``interval`` of a
  notebook is not seen.
"""

from __future__ import annotations

import threading
from typing import Callable

__all__ = ["PeakMemory", "vm_hwm_bytes"]

MB = 1024 * 1024


def vm_hwm_bytes(pid: int) -> int | None:
    """Peak resident memory (``VmHWM``) of process ``pid`` in bytes, from ``/proc`` (Linux only)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


class PeakMemory:
    """Context manager polling the memory of process ``pid`` (and its descendants).

    Parameters
    ----------
    pid : int or callable
        The root process, or a function returning its pid (``None`` while it
        does not exist yet; polled again at the next interval).
    interval : float
        Seconds between polls.

    After the ``with`` block, :attr:`peak_mb` is the peak in MiB (``None`` if
    the process was never seen).
    """

    def __init__(self, pid: int | Callable[[], int | None], interval: float = 0.25):
        self._pid = pid if callable(pid) else (lambda: pid)
        self.interval = interval
        self.peak_bytes = 0
        self._seen = False
        self._process = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lassobook-peak-memory", daemon=True)

    @property
    def peak_mb(self) -> float | None:
        """Peak resident memory in MiB, rounded to 0.1 (``None`` if nothing was measured)."""
        return round(self.peak_bytes / MB, 1) if self._seen else None

    def __enter__(self) -> "PeakMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(self.interval):
                return

    def sample(self) -> None:
        """Take one reading now (the thread calls this every ``interval``)."""
        try:
            pid = self._pid()
        except Exception:  # the pid source is not ready (e.g. no provisioner yet)
            pid = None
        if pid is None:
            return
        total = self._tree_rss(pid)
        hwm = vm_hwm_bytes(pid)
        if total is None and hwm is None:
            return
        self._seen = True
        self.peak_bytes = max(self.peak_bytes, total or 0, hwm or 0)

    def _tree_rss(self, pid: int) -> int | None:
        """Sum of the RSS of ``pid`` and its descendants (``None`` without psutil or process)."""
        try:
            import psutil
        except ImportError:  # pragma: no cover - psutil comes with ipykernel
            return None
        try:
            if self._process is None or self._process.pid != pid:
                self._process = psutil.Process(pid)
            processes = [self._process, *self._process.children(recursive=True)]
        except psutil.Error:
            return None
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.Error:
                pass
        return total
