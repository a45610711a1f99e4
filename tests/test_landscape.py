"""The optimal set of a Lasso: every extreme point is optimal; the β path behaves as theory says."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lassobook as lb
from lassobook.landscape import min_l1_interpolation, optimal_set, regularization_path

from conftest import datasets


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "sign"])
@given(xy=datasets(min_n=3, max_n=8), beta=st.sampled_from([1e-2, 0.1, 1.0]))
def test_every_extreme_point_is_optimal_and_uses_only_the_equicorrelation_set(activation, xy, beta):
    x, y = xy
    fit = lb.fit_lasso(x, y, family=lb.get_family(activation), beta=beta)
    S = optimal_set(fit, n_random=30)
    assert len(S.vertices) >= 1
    off = np.setdiff1d(np.arange(fit.dictionary.size), S.equicorrelation)
    for vertex_fit in S.fits():
        assert vertex_fit.objective <= fit.objective * (1 + 1e-7) + 1e-12
        assert vertex_fit.objective >= fit.objective * (1 - 1e-7) - 1e-12
        assert np.allclose(vertex_fit.predict(x), fit.predict(x), atol=1e-6)
        assert np.all(vertex_fit.solution.z[off] == 0)
        # a vertex uses at most rank(A_E) columns: the sparse end of the optimal set
        assert vertex_fit.support.size <= S.rank
        net = vertex_fit.network()
        assert abs(float(net.objective(x, y, beta)[0].detach()) - vertex_fit.objective) <= 1e-6 * fit.objective + 1e-12


@given(xy=datasets(min_n=3, max_n=7), beta=st.sampled_from([1e-2, 0.1]))
def test_linear_programs_find_only_vertices_of_the_enumeration(xy, beta):
    x, y = xy
    fit = lb.fit_lasso(x, y, family=lb.get_family("relu"), beta=beta)
    full = optimal_set(fit, n_random=0)
    by_lp = optimal_set(fit, n_random=40, max_bases=0)
    assert full.exhaustive
    for v in by_lp.vertices:
        assert np.min(np.abs(full.vertices - v).max(axis=1)) <= 1e-6 * max(1, np.abs(v).max())


@given(xy=datasets(min_n=3, max_n=8))
def test_min_norm_solution_lies_in_the_optimal_polytope(xy):
    x, y = xy
    fam = lb.get_family("relu")
    fit = lb.fit_lasso(x, y, family=fam, beta=0.05)
    mn = lb.fit_lasso(x, y, family=fam, beta=0.05, min_norm=True)
    S = optimal_set(fit)
    z = mn.solution.z
    off = np.setdiff1d(np.arange(z.size), S.equicorrelation)
    assert np.abs(z[off]).max(initial=0) <= 1e-6 * max(1, np.abs(z).max())
    assert np.all(z[S.equicorrelation] * S.signs >= -1e-6 * max(1, np.abs(z).max()))


@pytest.mark.parametrize("activation", ["relu", "abs", "threshold"])
def test_path_l1_norm_non_increasing_and_objective_non_decreasing_in_beta(activation):
    data = lb.random_dataset(9, 4)
    betas = np.logspace(-3, 1, 15)
    pts = regularization_path(data, family=lb.get_family(activation), betas=betas)
    l1 = np.array([p.l1_norm for p in pts])
    obj = np.array([p.objective for p in pts])
    err = np.array([p.training_error for p in pts])
    assert np.all(np.diff(l1) <= 1e-6 * l1.max())
    assert np.all(np.diff(obj) >= -1e-9)
    assert np.all(np.diff(err) >= -1e-6 * max(1, err.max()))
    for p, beta in zip(pts, betas):  # the path agrees with independent solves
        assert np.isclose(p.objective, lb.fit_lasso(data, family=lb.get_family(activation), beta=beta).objective, rtol=1e-7)


def test_beta_to_zero_tends_to_minimum_l1_interpolation():
    data = lb.paper_dataset("fig3")
    fam = lb.get_family("relu")
    limit = min_l1_interpolation(data, family=fam)
    assert limit.training_error <= 1e-18
    small = regularization_path(data, family=fam, betas=[1e-6])[0]
    assert np.isclose(small.l1_norm, limit.l1_norm, rtol=1e-4)
    assert small.training_error <= 1e-8
