"""Closed-form Gram matrices (lassobook.solvers.gram) equal the ones of the evaluated columns."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.solvers.gram import PrefixGram, PWLForm
from lassobook.core.oracle import ResidualSums
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
