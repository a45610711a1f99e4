"""The optimal set of a Lasso: every extreme point is optimal; the β path behaves as theory says."""

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import lassobook as lb
from lassobook.analysis.interpolation import min_l1_interpolation
from lassobook.analysis.landscape import optimal_set, regularization_path

from conftest import datasets


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "sign"])
@given(xy=datasets(min_n=3, max_n=8), beta=st.sampled_from([1e-2, 0.1, 1.0]))
def test_every_extreme_point_is_optimal_and_uses_only_the_equicorrelation_set(activation, xy, beta):
    x, y = xy
    fit = lb.fit_dense(x, y, family=lb.get_family(activation), beta=beta)
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
    fit = lb.fit_dense(x, y, family=lb.get_family("relu"), beta=beta)
    full = optimal_set(fit, n_random=0)
    by_lp = optimal_set(fit, n_random=40, max_bases=0)
    assert full.exhaustive
    for v in by_lp.vertices:
        assert np.min(np.abs(full.vertices - v).max(axis=1)) <= 1e-6 * max(1, np.abs(v).max())


@given(xy=datasets(min_n=3, max_n=8))
def test_min_norm_solution_lies_in_the_optimal_polytope(xy):
    x, y = xy
    fam = lb.get_family("relu")
    fit = lb.fit_dense(x, y, family=fam, beta=0.05)
    mn = lb.fit_dense(x, y, family=fam, beta=0.05, min_norm=True)
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
        assert np.isclose(p.objective, lb.fit_dense(data, family=lb.get_family(activation), beta=beta).objective, rtol=1e-7)


def test_beta_to_zero_tends_to_minimum_l1_interpolation():
    data = lb.paper_dataset("fig3")
    fam = lb.get_family("relu")
    limit = min_l1_interpolation(data, family=fam)
    assert limit.training_error <= 1e-18
    small = regularization_path(data, family=fam, betas=[1e-6])[0]
    assert np.isclose(small.l1_norm, limit.l1_norm, rtol=1e-4)
    assert small.training_error <= 1e-8


# ---------------------------------------------------------------------- β → 0 polytope, Adam classes
from lassobook.paper.authors import FIG3_THEORETICAL, theoretical_coefficients  # noqa: E402
from lassobook.analysis.landscape import RUN_CLASSES, classify_runs, path_sparsity
from lassobook.analysis.interpolation import interpolation_set, off_data_columns
from lassobook.analysis.kinks import tight_kinks


@pytest.mark.parametrize("activation", ["relu", "abs"])
@given(xy=datasets(min_n=3, max_n=7))
@example(xy=(np.array([0.0, 0.05, 0.45, -0.5]), np.array([0.0, -1e-9, 1.0, 0.0])))   # near-tied labels
@example(xy=(np.array([0.0, 0.05, 0.1, 2.35]), np.array([0.0, 0.0, 1.0, 1.0])))
@example(xy=(np.array([0.0, 0.05, 0.1]), np.array([0.0, 0.0, 1.1920929e-07])))      # tiny labels
@example(xy=(np.array([0.0, 0.5, 1.0]), np.array([2.0, 2.0, 2.0])))                 # constant labels
def test_interpolation_set_vertices_interpolate_with_the_minimum_l1_norm(activation, xy):
    x, y = xy
    fam = lb.get_family(activation)
    S = interpolation_set(x, y, family=fam, n_random=20)
    limit = min_l1_interpolation(x, y, family=fam)
    assert np.isclose(S.l1, limit.l1_norm, rtol=1e-8, atol=1e-10)
    assert len(S) >= 1 and S.exhaustive
    for z, f in zip(S.vertices, S.fits(beta=1.0)):
        assert S.contains(z)
        assert np.abs(f.predict(x) - y).max() <= 1e-7 * max(1, np.abs(y).max())
        assert f.support.size <= S.rank
    mn = S.min_norm()
    assert S.contains(mn, atol=1e-6)
    assert np.sum(mn**2) <= np.min(np.sum(S.vertices**2, axis=1)) * (1 + 1e-6) + 1e-9


def test_figure3_library_contains_the_papers_networks_and_the_l4_min_norm_is_spread():
    data = lb.paper_dataset("fig3")
    sizes = {}
    for L in (2, 3, 4):
        S = interpolation_set(data, family=lb.get_family("relu", depth=L))
        zt = theoretical_coefficients(S.dictionary, FIG3_THEORETICAL[L])
        assert np.abs(S.vertices - zt).max(axis=1).min() <= 1e-9
        sizes[L] = len(S)
        if L == 4:
            fam = S.dictionary.family
            mn = S.min_norm()
            cols = np.flatnonzero(np.abs(mn) > 1e-7)
            canon = sorted(((fam.canonical({k: v[c] for k, v in S.dictionary.params.items()}), mn[c])
                            for c in cols), key=lambda t: t[0][1:])
            assert [c[0][1:] for c in canon] == [(5.0, 7.0), (5.0, 8.0), (5.0, 9.0), (5.0, 10.0)]
            assert np.allclose([c[0][0] * c[1] for c in canon], [0.4, 0.3, 0.2, 0.1], atol=1e-6)
            assert (S.vertices[S.sparsest()] != 0).sum() == 1
    assert sizes == {2: 4, 3: 1, 4: 3}


def test_interpolation_set_is_the_small_beta_limit_of_the_optimal_set():
    data = lb.paper_dataset("fig3")
    for L in (2, 4):
        fam = lb.get_family("relu", depth=L)
        S0 = interpolation_set(data, family=fam)
        S = optimal_set(lb.fit_dense(data, family=fam, beta=1e-7))
        for v in S0.vertices:  # every vertex of the limit is the limit of a vertex
            assert np.abs(S.vertices - v).max(axis=1).min() <= 1e-5


@pytest.mark.parametrize("name", ["fig3", "fig19"])
def test_off_data_columns_are_the_reflection_columns_of_the_four_layer_chain(name):
    data = lb.paper_dataset(name)
    D4 = lb.build_dictionary(data, lb.get_family("relu", depth=4))
    assert np.array_equal(off_data_columns(D4), D4.params["k"] == 1)
    for fam in (lb.get_family("relu"), lb.get_family("relu", depth=3)):
        assert not off_data_columns(lb.build_dictionary(data, fam)).any()


def test_path_sparsity_is_at_most_the_interior_point_count_and_zero_past_beta_max():
    data = lb.random_dataset(7, 3)
    fam = lb.get_family("relu")
    D = lb.build_dictionary(data, fam)
    Ac = D.matrix - D.matrix.mean(axis=0)
    beta_max = np.abs(Ac.T @ (data.y - data.y.mean())).max()
    pts = regularization_path(data, family=fam, betas=[1e-3, 1e-1, 1.0, 2 * beta_max])
    sp = path_sparsity(pts, data, family=fam)
    assert np.all(sp <= [p.n_neurons for p in pts])
    assert np.all(sp[:-1] >= 1) and np.all(sp <= data.n - 1) and sp[-1] == 0


def test_tight_kinks_cover_every_kink_of_the_optimal_vertices():
    data = lb.paper_dataset("fig3")
    for L in (2, 3, 4):
        fit = lb.fit_dense(data, family=lb.get_family("relu", depth=L), beta=0.1)
        T = tight_kinks(fit)
        if L == 2:
            assert T.intervals.tolist() == [[4.0, 5.0], [7.0, 10.0]]
        else:  # λ = (β/2)(0, 0, −1, 1, 0, 0): every ramp rising by 2 over [5, 7] is tight
            assert np.isclose(fit.objective, 0.1 - 0.1**2 / 4, rtol=1e-8)
            assert T.intervals.tolist() == [[0.0, 4.0], [4.0, 5.0], [7.0, 10.0], [10.0, 11.0]]
            assert not T.near([5.5, 6.0, 6.5], 0.1).any()
        for vf in optimal_set(fit, n_random=20).fits():
            k = np.concatenate([n["kinks"] for n in vf.neurons()])
            k = k[(k >= 0) & (k <= 11)]
            assert T.near(k, 1e-9).all()


def test_classify_runs_optimal_network_and_a_scaled_copy():
    from lassobook.training import AdamRuns

    data = lb.paper_dataset("fig3")
    fit = lb.fit_dense(data, family=lb.get_family("relu"), beta=0.1)
    S = optimal_set(fit, n_random=10)
    net = S.fits()[0].network()
    obj = net.objective(data.x, data.y, 0.1).detach().numpy()
    rc = classify_runs(AdamRuns(seeds=np.array([0]), objectives=obj, history=obj[None], network=net), fit)
    assert list(rc.labels) == ["optimal"] and not rc.stray[0]
    assert set(rc.counts()) == set(RUN_CLASSES) and sum(rc.counts().values()) == 1
    with __import__("torch").no_grad():
        net.alpha.mul_(0.5)  # half the output: far from optimal, same kinks
    obj = net.objective(data.x, data.y, 0.1).detach().numpy()
    rc = classify_runs(AdamRuns(seeds=np.array([0]), objectives=obj, history=obj[None], network=net), fit)
    assert list(rc.labels) == ["stuck"] and rc.gaps[0] > 0.05


def test_landscape_plots_draw():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lassobook.paper.landscape import plot_optimal_network, plot_path

    data = lb.paper_dataset("fig3")
    S = interpolation_set(data, family=lb.get_family("relu", depth=4))
    ax = plot_optimal_network(S.fits()[S.sparsest()[0]], title="ramp(5, 8)")
    assert len(ax.collections) >= 3  # data, kinks, the mirror 8
    pts = regularization_path(data, family=lb.get_family("relu"), betas=[0.01, 0.1])
    fig, axes = plt.subplots(1, 4)
    plot_path(pts, axes, label="relu", neurons=path_sparsity(pts, data, family=lb.get_family("relu")))
    plt.close("all")


def test_chapter_helpers_name_tabulate_and_draw_the_library():
    import matplotlib

    matplotlib.use("Agg")
    from lassobook.analysis import interpolation
    from lassobook.paper import landscape as ls

    data = lb.paper_dataset("fig3")
    S = interpolation.interpolation_set(data, family=lb.get_family("relu", depth=4))
    i = int(S.sparsest()[0])
    assert ls.network_name(S.dictionary, S.vertices[i]).startswith("+1·ramp(5, 8)")
    mn = S.min_norm()
    mn[np.abs(mn) < 1e-9] = 0.0
    ramps = ls.ramp_coefficients(S.dictionary, mn)
    assert np.allclose(list(ramps.values()), [0.4, 0.3, 0.2, 0.1], atol=1e-6)
    table = ls.library_table({4: S}, {4: i}, {4: mn})
    assert len(table) == len(S) + 1 and table["units"].min() == 1
    fig = ls.plot_library(S, mn, i)
    visible = [ax for ax in fig.axes if ax.axison]
    assert len(visible) == len(S) + 1
    assert max(len({round(ax.get_position().x0, 3) for ax in fig.axes}), 0) <= 3
    betas, beta_max = ls.beta_grid(data, lb.get_family("relu"), 5)
    assert betas[-1] == pytest.approx(2 * beta_max)


def test_chapter_checks_on_figure_3():
    from lassobook.analysis import interpolation
    from lassobook.paper import landscape as ls
    from lassobook.paper.authors import FIG3_THEORETICAL

    data = lb.paper_dataset("fig3")
    fams = {L: lb.get_family("relu", depth=L) for L in (2, 3, 4)}
    library = {L: interpolation.interpolation_set(data, family=f) for L, f in fams.items()}
    found = ls.check_library(library)
    assert found == {"vertices": {2: 4, 3: 1, 4: 3}, "same_fit": True, "exhaustive": True}
    index, worst = ls.theory_vertices(library, FIG3_THEORETICAL)
    assert worst <= 1e-9 and index[4] == int(library[4].sparsest()[0])
    mn = ls.min_norm_points(library)
    w = ls.as_mixture(library[4], mn[4])
    assert np.allclose(np.sort(w), [0.3, 0.3, 0.4], atol=1e-6)
    assert ls.mirror_network(library[2], fams[2]) <= 1 + 1e-9
    with pytest.raises(AssertionError):          # (x-5)_+ - (x-7)_+ does not interpolate
        ls.mirror_network(library[2], fams[2], breakpoints=(5.0, 7.0))
