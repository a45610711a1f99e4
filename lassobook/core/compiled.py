"""Compiled kernels: :func:`njit_cached`, numba's ``njit`` with its on-disk cache where one can be written.

Every compiled loop of the package (the taut string, the oracles' sweeps, the active-set
method, the network evaluations) is decorated with it, so a process loads the machine code
compiled by an earlier one instead of compiling again.
"""

from __future__ import annotations

import warnings

import numba


def njit_cached(func=None, **options):
    """``numba.njit(cache=True, **options)``, or without ``cache`` if no cache dir is writable.

    numba caches next to the source (``__pycache__``), else in the user's
    cache directory; if neither is writable (read-only install and home),
    ``cache=True`` raises at import.  Then compile in every process instead.
    Use as ``@njit_cached`` or ``@njit_cached(error_model="numpy")``.
    """
    if func is None:
        return lambda f: njit_cached(f, **options)
    try:
        return numba.njit(cache=True, **options)(func)
    except RuntimeError as exc:
        if "cannot cache" not in str(exc):
            raise
        warnings.warn(
            f"{exc}; {func.__name__} is compiled anew in every process "
            "(set NUMBA_CACHE_DIR to a writable directory to cache it)",
            RuntimeWarning,
            stacklevel=2,
        )
        return numba.njit(**options)(func)
