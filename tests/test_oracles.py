"""The compiled exact oracles: three-layer abs (branch and bound) and symmetrized ReLU (vertex dictionary).

Each oracle's maximum is checked against a slow reference on random data and
random dual vectors (zero-sum, as in a fit, and not): the former ``O(N² log N)``
scan for the three-layer abs (the same floating-point operations, so the same
number), the dense dictionary's ``max |Aᵀλ|`` for both; the candidates it returns
must be real columns with the correlations it says; and the structured fit of the
symmetrized ReLU must certify with the dense solver's objective.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lassobook as lb
from lassobook.core.data import as_dataset
from lassobook.core.dictionary import evaluate_shapes
from lassobook.families.abs3 import ThreeLayerAbs
from lassobook.families.mirror_search import TopK, hat_search, hat_search_bb
from lassobook.families.symmetrized_relu import SymmetrizedReLU
from lassobook.families.symmetrized_relu_oracle import SymmetrizedReLUOracle

from conftest import datasets

SYM = SymmetrizedReLU()


def _dual(draw, n):
    """A random dual vector: any scale, zero-sum (a fit's residual) or not, sometimes sparse."""
    lam = np.array(draw(st.lists(st.floats(-1, 1, allow_nan=False), min_size=n, max_size=n)))
    lam *= 10.0 ** draw(st.integers(-3, 3))
    if draw(st.booleans()):
        lam -= lam.mean()
    return lam


@st.composite
def problems(draw, max_n=30):
    x, _ = draw(datasets(min_n=2, max_n=max_n))
    x = x * 10.0 ** draw(st.integers(-2, 2)) + draw(st.sampled_from([0.0, 3.0, -1e3]))
    data = as_dataset(x, np.zeros(x.size))
    return data, _dual(draw, x.size), draw(st.integers(1, 40))


def _dense_max(family, oracle, lam):
    """``max |Aᵀλ|`` over the family's raw dictionary, evaluated column by column."""
    params, _ = family.raw_dictionary(oracle.data)
    A = np.asarray(evaluate_shapes(family, oracle.xs, params))
    return float(np.abs(A.T @ lam).max())


def _check_candidates(oracle, sums, lam, keys, vals, value):
    """Candidates: their correlations exactly as stated, the first attains the maximum, and the
    columns (evaluated from their parameters) have those correlations up to rounding."""
    assert keys.shape[0] >= 1
    assert np.array_equal(vals, oracle.correlations(sums, keys))
    assert abs(vals[0]) == value
    assert np.all(np.abs(vals) <= value)
    direct = oracle.matrix(keys).T @ lam
    scale = np.abs(lam).sum() * (np.abs(oracle.xs).max() + np.ptp(oracle.xs))
    assert np.allclose(direct, vals, rtol=0, atol=1e-11 * scale)


# ---------------------------------------------------------------------- three-layer abs
@given(problems(), st.sampled_from([("two_layer", "reflection", "midpoint"), ("two_layer", "reflection"),
                                    ("reflection",), ("midpoint",)]))
def test_abs3_search_equals_the_former_scan_and_the_dense_dictionary(problem, features):
    data, lam, k = problem
    fam = ThreeLayerAbs(features)
    oracle = fam.oracle(data)
    sums = oracle.sums(lam)
    ref_value, _, ref_vals = oracle._reference_search(sums, k)
    value, keys, vals = oracle.search(sums, k)
    assert value == ref_value                     # the same operations: the same number
    exact_value, _, exact_vals = oracle.search(sums, k, peaks=False)
    assert exact_value == ref_value
    assert np.allclose(np.abs(exact_vals), np.abs(ref_vals), rtol=1e-12, atol=0)   # the same top k
    dense = _dense_max(fam, oracle, lam)
    assert value == pytest.approx(dense, rel=1e-9, abs=1e-300)
    _check_candidates(oracle, sums, lam, keys, vals, value)


def test_abs3_search_is_exact_on_a_fit_dual_at_n_400():
    """A near-optimal dual (many nearly tight columns: the hard case for the bounds)."""
    data = lb.random_dataset(400, 7)
    fam = lb.get_family("abs", 3)
    fit = lb.fit(data, family=fam, beta=2.0)
    oracle = fam.oracle(fit.data)
    lam = fit.solution.residual[fit.data.order]
    sums = oracle.sums(lam)
    assert oracle.search(sums, 20)[0] == oracle._reference_search(sums, 20)[0]
    assert fit.certificate().certified


# ---------------------------------------------------------------------- symmetrized ReLU
@given(problems(max_n=11))
def test_symrelu_search_equals_the_dense_vertex_dictionary(problem):
    data, lam, k = problem
    oracle = SYM.oracle(data)
    sums = oracle.sums(lam)
    value, keys, vals = oracle.search(sums, k)
    dense = _dense_max(SYM, oracle, lam)
    scale = np.abs(lam).sum() * (np.abs(oracle.xs).max() + np.ptp(oracle.xs))
    assert value == pytest.approx(dense, rel=1e-10, abs=1e-13 * scale)
    every = oracle.correlations(sums, oracle.all_keys())
    assert value == np.abs(every).max()           # the search misses no column of its own set
    assert oracle.search(sums, k, peaks=False)[0] == value
    _check_candidates(oracle, sums, lam, keys, vals, value)


def test_symrelu_oracle_only_for_the_max_norm():
    assert SYM.has_oracle and isinstance(SYM.oracle(lb.random_dataset(5, 0)), SymmetrizedReLUOracle)
    l2 = SymmetrizedReLU("l2")
    assert not l2.has_oracle
    with pytest.raises(ValueError, match="norm='l2'"):
        l2.oracle(lb.random_dataset(5, 0))
    fit = lb.fit(lb.random_dataset(6, 1), family=l2, beta=0.1)      # auto: the dense solver
    assert not hasattr(fit, "oracle")


def test_symrelu_vertex_columns_are_the_dense_dictionary_columns():
    """Every key's column (from its parameters) is a column of the raw dictionary on the data
    (hats up to rounding of their angle), and the counts match."""
    data = lb.random_dataset(7, 3)
    oracle = SYM.oracle(data)
    keys = oracle.all_keys()
    mine = oracle.matrix(keys)
    params, _ = SYM.raw_dictionary(data)
    dense = np.asarray(evaluate_shapes(SYM, oracle.xs, params))
    dist = np.abs(mine[:, :, None] - dense[:, None, :]).max(axis=0).min(axis=1)
    assert dist.max() < 1e-12
    n = data.n
    assert oracle.n_columns == len(params["t1"]) == 8 * n + 9 * n * (n - 1) + n * (n - 1) * (n - 2) // 6


@pytest.mark.parametrize("seed", range(20))
def test_symrelu_structured_fit_certifies_with_the_dense_objective(seed):
    data = lb.random_dataset(5 + seed % 7, 500 + seed, noise=0.5)
    beta = (0.01, 0.03, 0.1, 0.3)[seed % 4]
    fit = lb.fit(data.x, data.y, family="symmetrized_relu", depth=3, beta=beta)
    assert type(fit).__name__ == "StructuredFit"
    cert = fit.certificate()
    assert cert.certified and cert.exact, cert
    dense = lb.fit(data, family=SYM, beta=beta, solver="dense")
    assert fit.objective == pytest.approx(dense.objective, rel=1e-8)
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-8)


@given(problems(max_n=40))
def test_hat_branch_and_bound_equals_the_sweep(problem):
    """The oracle's hat search (branch and bound) against the O(N) per peak sweep: same maximum."""
    data, lam, _ = problem
    sums = SYM.oracle(data).sums(lam)
    F = sums.F_all()
    best = []
    for search, extra in ((hat_search, (False,)), (hat_search_bb, (16,))):
        top, state = TopK(5), np.zeros(2)
        search(sums.x, F, 9, top.values, top.keys, top.count, 1e-12, state, *extra)
        best.append(state[0])
    assert best[0] == best[1]


# ---------------------------------------------------------------------- the heap
def test_topk_keeps_the_k_largest_magnitudes():
    rng = np.random.default_rng(0)
    v = rng.normal(size=200)
    top = TopK(7)
    for start in range(0, 200, 30):
        top.offer(3, v[start:start + 30], np.arange(start, min(200, start + 30)))
    keys, vals = top.result()
    assert np.array_equal(np.abs(vals), np.sort(np.abs(v))[::-1][:7])
    assert np.array_equal(v[keys[:, 1]], vals) and np.all(keys[:, 0] == 3)
