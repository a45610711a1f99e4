"""Shared test helpers: hypothesis strategies for small 1-D datasets."""

import os

# the same numbers on any x86-64 CPU, as `lassobook build` pins them (lassobook.book.record):
# set before torch is imported, which reads it once
os.environ.setdefault("MKL_CBWR", "AVX2")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "lassobook", deadline=None, max_examples=int(os.environ.get("LASSOBOOK_EXAMPLES", 25)),
    suppress_health_check=[HealthCheck.too_slow], derandomize=True,
)
settings.load_profile("lassobook")


@st.composite
def datasets(draw, min_n=2, max_n=12):
    """Distinct x in [-5, 5] (at least 0.05 apart) and y in [-3, 3], shuffled."""
    n = draw(st.integers(min_n, max_n))
    grid = draw(st.lists(st.integers(-100, 100), min_size=n, max_size=n, unique=True))
    x = np.array(grid, dtype=float) / 20.0
    y = np.array(draw(st.lists(st.floats(-3, 3, allow_nan=False, allow_infinity=False),
                               min_size=n, max_size=n)))
    return x, y


def without_support(fit):
    """The same Lasso on the dictionary minus the columns ``fit``'s optimum uses (a negative control).

    Returns None when there is nothing to drop or nothing left.
    """
    import lassobook as lb

    rest = np.setdiff1d(np.arange(fit.dictionary.size), fit.support)
    if fit.support.size == 0 or rest.size == 0:
        return None
    return lb.fit_lasso(fit.data, family=fit.family, beta=fit.beta, dictionary=fit.dictionary.subset(rest))


# --------------------------------------------------------------------------- the real book, built once
BOOK_SOURCES = ("_config.yml", "_toc.yml", "book", "requirements.lock")


def copy_book_sources(target):
    """Copy what ``lassobook build`` reads (config, TOC, ``book/``, the lock) into ``target``.

    A build there never touches the repository's own ``_build/``.
    """
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for name in BOOK_SOURCES:
        source = repo / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.is_file():
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="session")
def quick_book(tmp_path_factory):
    """The real book built once per session with the quick profile (``force=True``: every
    notebook executed) in a temporary copy of its sources; returns that root.

    Shared by the build test, the browser check and the determinism test
    (tests/test_book.py, tests/test_reproducible.py), so a test run builds it once.
    """
    from lassobook import book

    root = copy_book_sources(tmp_path_factory.mktemp("quick-book"))
    book.build_book("quick", root=root, warnings_as_errors=True, force=True, progress=False)
    return root


# --------------------------------------------------------------------------- the fit contract
from contract import register as _register_contract  # noqa: E402

_register_contract()
