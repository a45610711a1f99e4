"""Shared test helpers: hypothesis strategies for small 1-D datasets."""

import os

import numpy as np
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
