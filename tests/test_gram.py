"""Closed-form Gram matrices (lassobook.solvers.gram) equal the ones of the evaluated columns."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.core.oracle import ResidualSums
from lassobook.solvers.gram import PrefixGram, PWLForm
from lassobook.solvers.working_set import structured_oracle


@st.composite
def forms(draw, k, x):
    m, q = draw(st.integers(0, 3)), draw(st.integers(0, 2))
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    pick = lambda shape: rng.choice(np.concatenate([x, x + 0.25, x - 0.5]), shape)   # noqa: E731
    return PWLForm(rng.standard_normal(k), rng.standard_normal(k), pick((k, m)),
                   rng.standard_normal((k, m)), pick((k, q)), rng.standard_normal((k, q)))


@settings(max_examples=30)
@given(data=st.data(), offset=st.sampled_from([0.0, 1e3, -1e6]), n=st.integers(3, 40))
def test_prefix_gram_equals_evaluated_columns(data, offset, n):
    rng = np.random.default_rng(n)
    x = np.sort(np.round(rng.uniform(0, 10, n), 1)) + offset      # ties included
    w = rng.uniform(0.1, 3.0, n)
    y = rng.standard_normal(n)
    y -= (w @ y) / w.sum()
    A, B = data.draw(forms(4, x)), data.draw(forms(3, x))
    pg = PrefixGram(x, w, y)
    EA, EB = A.evaluate(x), B.evaluate(x)
    ma, mb = w @ EA / w.sum(), w @ EB / w.sum()
    G, mean, b = pg.centred(A, B)
    ref = (EA - ma).T @ ((EB - mb) * w[:, None])
    scale = 1 + np.abs(EA).max() * np.abs(EB).max() * w.sum()
    assert np.abs(G - ref).max() <= 1e-9 * scale
    assert np.allclose(mean, ma, rtol=1e-9, atol=1e-9 * (1 + np.abs(EA).max()))
    assert np.abs(b - (EA - ma).T @ (w * y)).max() <= 1e-9 * scale
    z = rng.standard_normal(4)
    assert np.abs(pg.combination(A, z) - EA @ z).max() <= 1e-9 * (1 + np.abs(EA).max() * 4)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "threshold", "sign"])
def test_two_layer_forms_and_all_correlations(activation):
    data = lb.random_dataset(30, 1)
    oracle = structured_oracle(lb.get_family(activation), data)
    keys = oracle.all_keys()
    assert np.allclose(oracle.form(keys).evaluate(data.x_sorted), oracle.matrix(keys), atol=1e-12)
    lam = data.y_sorted - data.y_sorted.mean()
    sums = ResidualSums(data.x_sorted, lam)
    assert np.allclose(oracle._every(sums), oracle.correlations(sums, keys), atol=1e-12)


@pytest.mark.parametrize("activation, depth", [("relu", 3), ("relu", 4), ("abs", 3)])
def test_deep_forms_equal_the_columns(activation, depth):
    data = lb.random_dataset(14, 3)
    oracle = structured_oracle(lb.get_family(activation, depth), data)
    keys = oracle.all_keys()
    assert np.allclose(oracle.form(keys).evaluate(data.x_sorted), oracle.matrix(keys), atol=1e-12)


@pytest.mark.parametrize("activation, depth", [("relu", 2), ("abs", 2), ("relu", 3), ("abs", 3)])
def test_forms_path_certifies_and_matches_evaluated_columns(activation, depth, monkeypatch):
    """Past the column cache (forced small here) the working set builds its Gram from forms; the
    fit certifies and matches the evaluated-column path to the solver's tolerance."""
    from lassobook.solvers import working_set

    rng = np.random.default_rng(0)
    n = 3000 if depth == 2 else 400
    x = np.sort(rng.uniform(0, 10, n))
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    fam = lb.get_family(activation, depth)
    ref = lb.fit(x, y, family=fam, beta=0.01 * n)                 # evaluated columns (cached)
    seen = []
    original = working_set._WorkingSet.__init__

    def small_cache(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "cache": 1000})
        seen.append(self.pg is not None)

    monkeypatch.setattr(working_set._WorkingSet, "__init__", small_cache)
    fit = lb.fit(x, y, family=fam, beta=0.01 * n)
    assert seen == [True] and fit.certificate().certified
    assert fit.objective == pytest.approx(ref.objective, rel=1e-7)


# --------------------------------------------------------------------------- compiled sweeps (issue 16)
from lassobook.core.oracle import peak_positions  # noqa: E402
from lassobook.solvers.gram import (  # noqa: E402
    peak_indices,
    ramp_partners,
    ramp_sums,
    suffix_moments,
)


def _sorted_data(n, seed, offset=0.0):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, n)) + offset
    lam = rng.standard_normal(n)
    return x, lam - lam.mean(), rng


@settings(max_examples=40)
@given(n=st.integers(2, 60), seed=st.integers(0, 10**6), offset=st.sampled_from([0.0, 1e4]))
def test_ramp_sums_are_the_prefix_sums_bit_for_bit(n, seed, offset):
    x, lam, _ = _sorted_data(n, seed, offset)
    sums = ResidualSums(x, lam)
    right, left = np.empty(n), np.empty(n)
    total, total_x = ramp_sums(sums.x, lam, right, left)
    assert np.array_equal(right, sums.SQ[1:] - sums.x * sums.RQ[1:])      # F(x_j)
    assert np.array_equal(left, sums.x * sums.RP[:n] - sums.SP[:n])       # L(x_j)
    assert total == sums.total and total_x == sums.total_x


@settings(max_examples=40)
@given(n=st.integers(2, 60), seed=st.integers(0, 10**6), ties=st.booleans())
def test_ramp_partners_find_the_best_partner_of_every_point(n, seed, ties):
    x, lam, _ = _sorted_data(n, seed)
    if ties:                                   # equal F values: the later partner wins
        lam = np.round(lam)
    F, corr, partner = np.empty(n), np.empty(n - 1), np.empty(n - 1, dtype=np.int64)
    fmax, fmin = ramp_partners(x, lam, F, corr, partner)
    sums = ResidualSums(x, lam, center=0.0)
    assert np.array_equal(F, sums.SQ[1:] - sums.x * sums.RQ[1:])
    assert (fmax, fmin) == (F.max(), F.min())
    for i in range(n - 1):                     # brute force over j > i, ties to the larger j
        gaps = np.abs(F[i] - F[i + 1:])
        assert abs(corr[i]) == gaps.max() and corr[i] == F[i] - F[partner[i]]
        assert partner[i] > i
    if n > 1:
        assert np.abs(corr).max() <= fmax - fmin


@given(st.lists(st.floats(-3, 3), min_size=1, max_size=40))
def test_peak_indices_are_the_local_maxima(values):
    v = np.array(values)
    assert np.array_equal(peak_indices(v), peak_positions(v))


@settings(max_examples=30)
@given(data=st.data(), n=st.integers(3, 40), offset=st.sampled_from([0.0, 1e3]))
def test_residual_sweep_and_suffix_moments(data, n, offset):
    rng = np.random.default_rng(n)
    x = np.sort(np.round(rng.uniform(0, 10, n), 1)) + offset
    w, y = rng.uniform(0.1, 3.0, n), rng.standard_normal(n)
    pg = PrefixGram(x, w, y)
    cols = np.stack([w, w * pg.x, w * pg.x * pg.x, w * y, w * y * pg.x])
    ref = np.concatenate([np.cumsum(cols[:, ::-1], axis=1)[:, ::-1], np.zeros((5, 1))], axis=1)
    S = np.empty((5, n + 1))
    suffix_moments(pg.x, w, y, S)
    assert np.array_equal(S, ref)
    A = data.draw(forms(3, x))
    z = rng.standard_normal(3)
    lam, half = pg.residual(A, z, 0.7, y, w)
    fitted = A.evaluate(x) @ z - 0.7
    scale = 1 + np.abs(A.evaluate(x)).max() * np.abs(z).sum()
    assert np.abs(lam - w * (y - fitted)).max() <= 1e-9 * scale * w.max()
    assert half == pytest.approx(0.5 * w @ (y - fitted) ** 2, rel=1e-9, abs=1e-9 * scale ** 2)


@pytest.mark.parametrize("depth", [3, 4])
def test_deep_narrow_columns_at_any_x_are_the_chains(depth):
    data = lb.random_dataset(30, 3)
    fam = lb.get_family("relu", depth)
    oracle = structured_oracle(fam, data)
    keys = oracle.all_keys()
    x = np.concatenate([data.x, np.linspace(-2, 2, 41)])   # data in the caller's order and beyond
    from lassobook.core.dictionary import evaluate_shapes
    assert np.array_equal(oracle.matrix(keys, x), evaluate_shapes(fam, x, oracle.params(keys)))


def test_a_cycling_active_set_is_checked_not_discarded():
    """Four exactly dependent ReLU columns (both orientations at two breakpoints): whatever the
    active-set method ends on, at the step limit too, solve_gram_lasso returns a point that meets
    the optimality conditions (its own check), and it is sparse (not Clarabel's interior point)."""
    from lassobook.solvers.gram_lasso import _is_optimal, solve_gram_lasso

    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 1, 400))
    y = np.sin(6 * x) + 0.1 * rng.standard_normal(x.size)
    a = x[rng.choice(x.size, 30, replace=False)]
    cols = np.concatenate([np.maximum(x[:, None] - a, 0), np.maximum(a - x[:, None], 0)], axis=1)
    cols -= cols.mean(axis=0)
    yc = y - y.mean()
    G, b = cols.T @ cols, cols.T @ yc
    for beta in (1e-3, 1e-2, 1e-1):
        z, method = solve_gram_lasso(G, b, beta)
        d = np.sqrt(np.diag(G))
        assert _is_optimal(G, b, beta, z, scale=d)
        assert np.count_nonzero(z) <= np.linalg.matrix_rank(G)


@pytest.mark.parametrize("activation, depth", [("relu", 2), ("relu", 3)])
def test_working_set_switches_to_forms_when_it_outgrows_the_cache(activation, depth, monkeypatch):
    """A working set that starts with evaluated columns and outgrows the cache switches to Gram
    entries from forms (not re-evaluating its columns at every step); the fit certifies and equals
    the all-cached fit to the solver's tolerance."""
    from lassobook.solvers import working_set

    rng = np.random.default_rng(1)
    n = 2000
    x = np.sort(rng.uniform(0, 10, n))
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    fam = lb.get_family(activation, depth)
    ref = lb.fit(x, y, family=fam, beta=0.003 * n)
    made = []
    original = working_set._WorkingSet.__init__

    def mid_cache(self, *args, **kwargs):
        original(self, *args, **{**kwargs, "cache": 64 * n})    # columns kept up to 64 of them
        made.append((self, self.pg is None))

    monkeypatch.setattr(working_set._WorkingSet, "__init__", mid_cache)
    fit = lb.fit(x, y, family=fam, beta=0.003 * n)
    (W, cached_at_start), = made
    assert cached_at_start and W.pg is not None and W.raw is None     # started cached, switched
    assert fit.history[0]["working_set"] <= 64 < fit.working_set_size
    assert fit.certificate().certified
    assert fit.objective == pytest.approx(ref.objective, rel=1e-7)



# --------------------------------------------------------------------------- working-set storage (issue 16)
@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 30), q=st.data(), seed=st.integers(0, 10**6))
def test_cholesky_downdate_is_the_factor_of_the_smaller_matrix(m, q, seed):
    """_chol_delete removes a row and column of the factored matrix: L'L'ᵀ is the matrix without
    them, L' lower triangular with a positive diagonal."""
    from lassobook.solvers.gram_lasso import _chol_delete

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m + 3, m))
    G = A.T @ A
    L = np.linalg.cholesky(G)
    j = q.draw(st.integers(0, m - 1))
    _chol_delete(L, m, j)
    keep = np.delete(np.arange(m), j)
    small = L[:m - 1, :m - 1]
    assert np.allclose(small @ small.T, G[np.ix_(keep, keep)], rtol=1e-10, atol=1e-10 * np.abs(G).max())
    assert np.all(np.triu(small, 1) == 0) and np.all(np.diag(small) > 0)
    assert np.all(L[m - 1] == 0) and np.all(L[:, m - 1] == 0)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6), steps=st.lists(st.tuples(st.integers(1, 25), st.floats(0.0, 0.9)),
                                                   min_size=1, max_size=6))
def test_working_set_gram_grows_and_shrinks_in_place(seed, steps):
    """The working set's Gram matrix, grown in place (regrid) and shrunk in place (compact) through
    any sequence of additions and removals, is the Gram matrix of its centred columns."""
    from lassobook.solvers.gram import _WorkingSet

    rng = np.random.default_rng(seed)
    n = 30                                                   # 27 841 columns with K = 4
    x = np.sort(rng.uniform(-3, 3, n))
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    fam = lb.get_family("sign", depth=4, architecture="tree", widths=(2, 2))
    oracle = structured_oracle(fam, (x, y))
    w = rng.uniform(0.5, 2.0, n)
    yc = y - (w @ y) / w.sum()
    W = _WorkingSet(oracle, yc, w, cache=0)                  # Gram entries from forms
    assert W.pg is not None
    pool = oracle.all_keys()
    for add, drop in steps:
        W.add(pool[rng.choice(pool.shape[0], add, replace=False)])
        mask = rng.uniform(size=len(W)) >= drop
        mask[0] = True
        W.keep(mask)
        cols = oracle.matrix(W.keys)
        cols = cols - (w @ cols) / w.sum()
        ref = cols.T @ (cols * w[:, None])
        assert W.G.flags.c_contiguous and W.G.shape == (len(W), len(W))
        assert np.abs(W.G - ref).max() <= 1e-9 * (1 + np.abs(ref).max())
        assert np.abs(W.b - cols.T @ (w * yc)).max() <= 1e-9 * (1 + np.abs(ref).max())


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(2, 60), cap=st.integers(1, 60))
def test_keep_mask_keeps_the_support_and_the_most_correlated(seed, k, cap):
    """_keep_mask: every support column, nothing below the floor, at most max(cap, support) columns,
    and no dropped column above the floor more correlated than a kept one outside the support."""
    from types import SimpleNamespace

    from lassobook.solvers.working_set import _keep_mask

    rng = np.random.default_rng(seed)
    A = rng.standard_normal((k + 5, k))
    G, b = A.T @ A, rng.standard_normal(k) * 3
    z = np.where(rng.uniform(size=k) < 0.2, rng.standard_normal(k), 0.0)
    big = z != 0
    corr = np.abs(b - G @ z)
    floor = float(np.median(corr))
    mask = _keep_mask(SimpleNamespace(G=G, b=b), z, big, floor, cap)
    assert mask[big].all()
    assert not (mask & ~big & (corr < floor * (1 - 1e-12))).any()
    assert mask.sum() <= max(cap, int(big.sum()))
    kept, dropped = corr[mask & ~big], corr[~mask & (corr >= floor)]
    if kept.size and dropped.size:
        assert kept.min() >= dropped.max() * (1 - 1e-12)
