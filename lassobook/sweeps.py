"""Sweeps: many independent seeded tasks, on one core, several, or a Dask cluster.

The book's Monte Carlo studies (random datasets × β × seeds) and its Adam seed
sweeps are lists of *tasks*, each a function of its own arguments only: every
random number a task uses comes from a seed among those arguments.  :func:`sweep`
runs such a list through joblib, so the same call runs

* in this process (``n_jobs=1``, the default),
* in local worker processes (``n_jobs=2``, ``-1`` for all cores), or
* on a Dask cluster, local or remote, through joblib's Dask backend::

      from dask.distributed import Client
      client = Client("tcp://scheduler:8786")          # or LocalCluster()
      results = sweep(task, tasks, backend="dask")

and returns the results in task order, **bit for bit the same** in all three
cases.  Two things make that true: tasks carry their seeds (nothing depends on
which worker runs a task or in which order), and every task runs with one BLAS
thread and one torch thread, because a floating-point reduction split over a
different number of threads adds in a different order.  ``tests/test_sweeps.py``
checks the identity on a :class:`dask.distributed.LocalCluster` of two worker
processes.  Dask is optional: ``pip install "lassobook[dask]"``.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping


def _single_threaded(fn: Callable, kwargs: Mapping[str, Any]):
    """``fn(**kwargs)`` with one BLAS thread and one torch thread (restored afterwards)."""
    from threadpoolctl import threadpool_limits

    try:
        import torch
    except ImportError:                 # pragma: no cover - torch is a dependency
        torch = None
    threads = torch.get_num_threads() if torch is not None else None
    try:
        if torch is not None:
            torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            return fn(**kwargs)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)


def sweep(fn: Callable, tasks: Iterable[Mapping[str, Any]], *, n_jobs: int | None = 1,
          backend: str | None = None, progress: bool | None = None) -> list:
    """``[fn(**task) for task in tasks]``, run by joblib; the same results for any ``n_jobs``/backend.

    Parameters
    ----------
    fn : callable
        A module-level function (so that worker processes can import it) whose
        randomness comes only from its arguments (pass seeds in the tasks).
    tasks : iterable of mappings
        Keyword arguments of one call each.
    n_jobs : int or None
        joblib workers: 1 (default) runs in this process; -1 uses all cores.
        Ignored by the Dask backend, which uses the cluster's workers.
    backend : str, optional
        A joblib backend: ``None`` (joblib's default, processes), ``"threading"``,
        or ``"dask"`` (needs a ``dask.distributed.Client`` created beforehand).
    progress : bool, optional
        A tqdm bar over finished tasks (default: only when stderr is a terminal).

    Raises
    ------
    ValueError
        If ``n_jobs`` is 0 or ``fn`` is not callable.
    """
    import sys

    from joblib import Parallel, delayed, parallel_config

    if not callable(fn):
        raise ValueError(f"fn must be a function of the task's keyword arguments, got {fn!r}")
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0):
        raise ValueError(f"n_jobs must be a nonzero integer (-1: all cores), got {n_jobs!r}")
    tasks = [dict(t) for t in tasks]
    if progress is None:
        progress = sys.stderr.isatty()
    if backend is None and n_jobs == 1:
        from tqdm.auto import tqdm

        return [_single_threaded(fn, task) for task in tqdm(tasks, disable=not progress, leave=False)]
    config = {"n_jobs": n_jobs} if backend is None else {"backend": backend, "n_jobs": n_jobs}
    calls = (delayed(_single_threaded)(fn, task) for task in tasks)
    with parallel_config(**config):
        return list(Parallel(return_as="list", verbose=5 if progress else 0)(calls))
