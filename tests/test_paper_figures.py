"""The paper's figures: panel layout as in the paper, and the drawn curves are the networks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lassobook as lb  # noqa: E402
from lassobook.paper.authors import FIG3_THEORETICAL
from lassobook.families.deep_narrow import capped_ramp  # noqa: E402
from lassobook.paper.figures import PAPER_NETWORKS, PanelNetwork, chain_params, paper_figure_2, paper_figure_3, paper_figure_18, paper_figure_19, sparsest_units, unit_label


def _lasso(data, L, beta):
    fam = lb.get_family("relu", depth=L)
    return lb.fit_dense(data, family=fam, beta=beta, dictionary=lb.build_dictionary(data, fam))


def _curve_is(ax, values_of, index=None):
    """Some line of ``ax`` (or line ``index``) equals ``values_of(its x data)``."""
    lines = ax.get_lines() if index is None else [ax.get_lines()[index]]
    return any(np.allclose(line.get_ydata(), values_of(np.asarray(line.get_xdata())),
                           atol=1e-12) for line in lines)


def test_unit_label():
    assert unit_label(1.0, 5.0, 8.0) == "1 · ramp(5, 8)"
    assert unit_label(2 / 3, 5.0, 7.0) == "2/3 · ramp(5, 7)"
    assert unit_label(-2.5, 2.0, np.inf) == "−2.5 · (x − 2)₊"
    assert unit_label(3.25, 6.0, 7.0) == "3.25 · ramp(6, 7)"
    assert "inf" not in unit_label(1.0, 5.0, np.inf)


@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("p, q", [(5.0, 8.0), (2.0, np.inf), (-1.0, 0.5)])
def test_chain_params_is_the_ramp(depth, p, q):
    fam = lb.get_family("relu", depth=depth)
    params = {k: v[0] for k, v in chain_params(p, q, depth).items()}
    sigma, p2, q2 = fam.canonical(params)
    assert (sigma, p2, q2) == (1.0, p, q)


@pytest.mark.parametrize("L", [2, 3, 4])
def test_panel_network_is_the_formula_and_costs_beta_l1(L):
    data = lb.paper_dataset("fig3")
    net = PanelNetwork(FIG3_THEORETICAL[L], L, data)
    grid = np.linspace(-2, 13, 301)
    assert np.allclose(net.predict(grid), net.shape_sum(grid) + net.xi, atol=1e-12)
    assert np.abs(net.predict(data.x) - data.y).max() < 1e-12          # interpolates
    assert net.objective(1e-7) == pytest.approx(1e-7 * net.l1, rel=1e-9)


def test_figure_3_layout_and_curves():
    data = lb.paper_dataset("fig3")
    nets = {L: PanelNetwork(FIG3_THEORETICAL[L], L, data) for L in (2, 3, 4)}
    adam = {L: (lambda g, L=L: nets[L].predict(g) + 0.01 * L) for L in (2, 3, 4)}
    fig, axes = paper_figure_3(data, nets, adam)
    assert axes.shape == (3, 3)                                          # rows x depths
    assert [ax.get_title() for ax in axes[0]] == ["L = 2", "L = 3", "L = 4"]
    assert [axes[i, 0].get_ylabel() for i in range(3)] == ["features", "Lasso", "Adam"]
    for j, L in enumerate((2, 3, 4)):
        assert len(axes[0, j].get_lines()) == len(FIG3_THEORETICAL[L])
        for (c, p, q), line in zip(FIG3_THEORETICAL[L], axes[0, j].get_lines()):
            assert np.allclose(line.get_ydata(), capped_ramp(p, q, line.get_xdata()))
        assert _curve_is(axes[1, j], nets[L].predict)
        assert _curve_is(axes[2, j], adam[L])
    legend = [t.get_text() for t in axes[0, 2].get_legend().get_texts()]
    assert legend == ["1 · ramp(5, 8)"]
    assert fig.get_size_inches()[0] <= 7.5
    plt.close(fig)


def test_figure_18_paper_network_and_certified_optimum():
    data, beta = lb.paper_dataset("fig18"), 1e-8
    lasso = {}
    for L in (3, 4):
        fit = _lasso(data, L, beta)
        lasso[L] = PanelNetwork(sparsest_units(fit), L, data)
        assert lasso[L].objective(beta) == pytest.approx(fit.objective, rel=1e-5)
    lasso[2] = PanelNetwork([(0.75, 2.0, np.inf), (3.25, 6.0, np.inf)], 2, data)
    paper = PanelNetwork(PAPER_NETWORKS["fig18", 4], 4, data)
    assert paper.predict(np.array([4.0]))[0] == pytest.approx(-5.0)     # the dip at the mirror
    assert np.abs(paper.predict(data.x) - data.y).max() < 1e-12
    assert paper.l1 == 9.0 and lasso[4].l1 == pytest.approx(4.0, rel=1e-6)
    assert paper.objective(beta) / lasso[4].objective(beta) == pytest.approx(9 / 4, rel=1e-6)
    fig, axes = paper_figure_18(data, lasso, {4: paper})
    assert axes.shape == (2, 3)
    for j, L in enumerate((2, 3, 4)):
        assert _curve_is(axes[1, j], lasso[L].predict)
    assert _curve_is(axes[1, 2], paper.predict, index=0)
    plt.close(fig)


def test_figure_19_and_2_layout():
    data, beta = lb.paper_dataset("fig19"), 1e-8
    lasso = {L: PanelNetwork(sparsest_units(_lasso(data, L, beta)), L, data) for L in (3, 4)}
    assert len(lasso[4].units) == 1 and lasso[4].units[0] == pytest.approx((0.75, 2.0, 6.0))
    paper = PanelNetwork(PAPER_NETWORKS["fig19", 4], 4, data)
    assert paper.objective(beta) / lasso[4].objective(beta) == pytest.approx(2.0, rel=1e-6)
    adam = {L: lasso[L].predict for L in (3, 4)}
    fig, axes = paper_figure_19(data, lasso, adam, {4: paper})
    assert axes.shape == (2, 2)
    assert [ax.get_title() for ax in axes[0]] == ["L = 3", "L = 4"]
    assert _curve_is(axes[0, 1], paper.predict, index=0)
    assert _curve_is(axes[0, 1], lasso[4].predict)
    plt.close(fig)
    panels = [dict(data=data, adam=paper.predict, optimum=lasso[4].predict, mirror=4.0,
                   kink=4.0)] * 2
    fig, axes = paper_figure_2(panels)
    assert axes.shape == (2,)
    assert _curve_is(axes[0], paper.predict) and _curve_is(axes[0], lasso[4].predict)
    plt.close(fig)
