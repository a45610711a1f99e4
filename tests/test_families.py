"""The family contract: every row of :data:`lassobook.families.FAMILIES`, held to the same five properties.

Each family row has examples below (adding a row without one fails
:func:`test_every_row_has_examples`).  On random small datasets (hypothesis):

1. the Lasso optimum equals the rebuilt network's own training objective;
2. the fit is certified (dual feasibility over the continuous family, relative
   duality gap, rebuilt network) — or says that β is at the interpolation limit;
3. no sampled unit of the continuous family beats the dual bound: every
   ``|λᵀg(X)|`` over the family's dense sample is at most β (1 + DUAL_TOL);
4. Adam, from random initializations, never reaches a lower objective;
5. where the family declares a structured oracle, its maximum correlation equals
   the maximum over the dense dictionary, and both solvers reach the same optimum.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.core.certificate import DUAL_TOL, sampled_maximum
from lassobook.families import FAMILIES

#: family row key -> examples (activation, depth, keyword arguments of get_family)
EXAMPLES = {
    "two_layer": [("relu", 2, {}), ("leaky_relu", 2, {}), ("abs", 2, {}), ("sign", 2, {}),
                  ("threshold", 2, {})],
    "deep_narrow": [("relu", 3, {}), ("relu", 4, {})],
    "abs3": [("abs", 3, {})],
    "symmetrized_relu": [("symmetrized_relu", 3, {})],
    "chains": [("leaky_relu", 3, {}), ("relu,abs", None, {}), ("abs", 4, {})],
    "sign": [("sign", 3, dict(architecture="rectangular", widths=(2,))),
             ("threshold", 4, dict(architecture="tree", widths=(2, 2)))],
}
CASES = [(key, example) for key, examples in EXAMPLES.items() for example in examples]
IDS = [f"{key}:{a}-{d}" for key, (a, d, _) in CASES]
ROWS = {row.key: row for row in FAMILIES}


def _family(example):
    activation, depth, kwargs = example
    return lb.get_family(activation, depth, **kwargs)


def test_every_row_has_examples():
    assert set(EXAMPLES) == set(ROWS), "every FAMILIES row needs an example in EXAMPLES"
    for key, example in CASES:
        assert isinstance(_family(example), ROWS[key].family_class()), (key, example)


@st.composite
def datasets(draw):
    """5–8 distinct points on a half-integer grid, labels in [−2, 2], β a fraction of β_max."""
    n = draw(st.integers(5, 8))
    grid = draw(st.lists(st.integers(-10, 10), min_size=n, max_size=n, unique=True))
    x = np.array(sorted(grid), dtype=float) / 2
    y = np.array(draw(st.lists(st.integers(-8, 8), min_size=n, max_size=n)), dtype=float) / 4
    fraction = draw(st.sampled_from([0.05, 0.2, 0.5]))
    return x, y, fraction


def _fit(family, x, y, fraction, **kwargs):
    base = lb.fit(x, y, family=family, beta=1.0, **kwargs)
    beta_max = base.beta_max()
    if not beta_max > 0:
        return None, None
    return lb.fit(x, y, family=family, beta=fraction * beta_max, **kwargs), fraction * beta_max


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=datasets())
def test_family_contract(case, d):
    key, example = case
    family = _family(example)
    x, y, fraction = d
    fit, beta = _fit(family, x, y, fraction)
    if fit is None:                    # constant labels: nothing to fit
        return
    cert = fit.certificate()
    # 1. the rebuilt network has the optimum as its own objective
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-8)
    # 2. certified (or, at tiny β, the interpolation limit said plainly)
    assert cert.certified or "interpolation limit" in cert.note, cert
    # 3. no sampled unit of the continuous family beats the dual bound
    lam = fit.solution.residual
    sampled, worst, _ = sampled_maximum(family, fit.data, lam, resolution=60)
    assert sampled <= beta * (1 + DUAL_TOL), (sampled / beta, worst)
    # 4. Adam never beats the certified optimum
    runs = lb.train_adam(fit.data, family=family, beta=beta, width=6, seeds=range(2), epochs=300,
                         lr=1e-2, progress=False)
    assert np.min(runs.history) >= fit.objective * (1 - 1e-9)
    # 5. the structured oracle agrees with the dense dictionary, and so do the optima
    if ROWS[key].has_oracle:
        oracle = family.oracle(fit.data)
        value, _, _ = oracle.search(oracle.sums(lam[fit.data.order]), 1)
        dense = np.abs(lam @ lb.build_dictionary(fit.data, family).matrix).max()
        assert value == pytest.approx(dense, rel=1e-9, abs=1e-12 * beta)
        other = lb.fit(x, y, family=family, beta=beta, solver="dense")
        assert other.objective == pytest.approx(fit.objective, rel=1e-6)
