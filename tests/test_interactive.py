"""The interactive β path (lassobook.interactive): certified frames, an offline HTML block."""

import re

import numpy as np
import pytest

import lassobook as lb
from lassobook.plotting import input_grid

from lassobook import interactive as ia

needs_plotly = pytest.mark.skipif(not ia.available(), reason="plotly is not installed")


@pytest.fixture(scope="module")
def fig3():
    return lb.paper_dataset("fig3")


@pytest.fixture(scope="module")
def paths(fig3):
    grid = input_grid(fig3.x, num=201)
    betas = np.logspace(-3, np.log10(1.2 * ia.beta_max(fig3, lb.get_family("relu"))), 6)
    fams = {"depth 2": lb.get_family("relu"), "depth 4": lb.get_family("relu", depth=4)}
    return grid, betas, {name: ia.beta_path(fig3, fam, betas, grid) for name, fam in fams.items()}


def test_frames_are_certified_optima_drawn_exactly(fig3, paths):
    grid, betas, by_name = paths
    for name, frames in by_name.items():
        assert [f.beta for f in frames] == pytest.approx(betas)
        l1 = [f.l1 for f in frames]
        assert all(f.certified for f in frames)
        assert np.all(np.diff(l1) <= 1e-6 * max(l1))       # the l1 norm falls along the path
        assert frames[-1].units == 0 and frames[-1].kinks.size == 0   # past beta_max
        for f in frames:
            # the line through the knots is the network on the whole grid
            assert np.allclose(np.interp(grid, f.knots, f.knot_values), f.values, atol=1e-8)
            assert np.isin(f.reflections, f.kinks).all()
            assert not np.isin(f.reflections, fig3.x).any()


def test_sparsest_vertex_has_the_same_objective(fig3):
    grid = input_grid(fig3.x, num=101)
    fam = lb.get_family("relu", depth=4)
    dense = ia.beta_path(fig3, fam, [1e-3], grid, solver="dense", sparsest=False)[0]
    sparse = ia.beta_path(fig3, fam, [1e-3], grid, solver="dense", sparsest=True)[0]
    assert sparse.units <= dense.units
    assert sparse.l1 == pytest.approx(dense.l1, rel=1e-6)
    # optimal networks share their fitted values (on the data, not between data points)
    on_data = [np.interp(fig3.x, f.knots, f.knot_values) for f in (sparse, dense)]
    assert np.allclose(*on_data, atol=1e-6)


@needs_plotly
def test_slider_has_one_step_per_beta_and_shows_one_beta_at_a_time(fig3, paths):
    grid, betas, by_name = paths
    fig = ia.beta_slider(fig3, by_name, grid, start=2)
    (slider,) = fig.layout.sliders
    assert len(slider.steps) == len(betas) and slider.active == 2
    per_beta = len(fig.data) // len(betas)
    for i, step in enumerate(slider.steps):
        visible = np.array(step.args[0]["visible"])
        assert visible.sum() == per_beta and visible[i * per_beta:(i + 1) * per_beta].all()
        titles = [a["text"] for a in step.args[1]["annotations"]]
        assert titles[0].startswith("depth 2<br>")
        assert f"{by_name['depth 2'][i].units} units" in titles[0]
    assert sum(bool(tr.visible) for tr in fig.data) == per_beta
    with pytest.raises(ValueError, match="one to three"):
        ia.beta_slider(fig3, {str(k): by_name["depth 2"] for k in range(4)}, grid)


@needs_plotly
def test_offline_html_inlines_plotly_and_loads_nothing(fig3, paths):
    grid, _, by_name = paths
    html = ia.offline_html(ia.beta_slider(fig3, by_name, grid))
    assert re.search(r"<script[^>]*\bsrc=", html) is None     # no CDN (or any) script file
    assert "<link" not in html and "require(" not in html.split("plotly.js v")[0]
    assert len(html) > 1_000_000                               # the bundle itself is inside
    assert "Plotly.newPlot" in html and 'id="lassobook-beta-path"' in html
    shown = ia.show(ia.beta_slider(fig3, by_name, grid))   # text/html only, no plotly MIME
    assert type(shown).__name__ == "HTML" and "Plotly.newPlot" in shown.data


def test_without_plotly_the_page_still_draws_the_figure(fig3, paths, monkeypatch):
    import sys

    import matplotlib

    matplotlib.use("Agg")
    grid, _, by_name = paths
    monkeypatch.setitem(sys.modules, "plotly", None)       # import plotly -> ImportError
    assert not ia.available()
    assert ia.show_slider(fig3, by_name, grid, start=1) is None
    fig = ia.plot_static(fig3, by_name, grid, 1)
    assert len(fig.axes) == 2 and fig.axes[0].get_title().startswith("depth 2: ")
