r"""Interactive figures that work offline: the β path as a slider.

:func:`beta_path` fits a family at its certified optimum on a grid of β
(:func:`lassobook.fit`), and keeps, per β, what a reader wants to see: the
network on a fine grid, its kinks, the kinks that are not data points
(reflections), ``‖z‖₁`` and the number of units.  :func:`beta_slider` draws one
panel per family (at most three in a row) with a slider over β, in plotly;
:func:`offline_html` turns it into one ``text/html`` block with the plotly.js
bundle inlined, so the figure needs no network and no require.js — it renders
wherever the HTML goes (a Jupyter Book page, a file opened from disk).

Only the notebook's *output* is plotly: the fits are ordinary certified
:class:`~lassobook.solvers.lasso.LassoFit` objects, checked before they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# the book's matplotlib style (lassobook.plotting.STYLE), as plotly colours
_RED, _BLUE, _BLACK, _GREEN = "#d62728", "#1f77b4", "#000000", "#2ca02c"


@dataclass
class PathFrame:
    """One certified optimum of a β path, reduced to what the slider shows.

    Attributes
    ----------
    beta : float
    values : ndarray of shape (G,)
        The network on the figure's input grid.
    knots, knot_values : ndarray
        The grid's ends and the kinks, and the network there: a continuous
        piecewise-linear network is exactly the line through these points (what
        the slider draws, a few numbers per β instead of the whole grid).
    kinks, reflections : ndarray
        Kinks inside the grid; the subset that are not data points.
    l1 : float
        ``‖z‖₁`` of the optimum (its penalty over β).
    units : int
        Units (columns) of the optimal network.
    certified : bool
        The fit's certificate over the continuous family.
    """

    beta: float
    values: np.ndarray = field(repr=False)
    knots: np.ndarray = field(repr=False)
    knot_values: np.ndarray = field(repr=False)
    kinks: np.ndarray = field(repr=False)
    reflections: np.ndarray = field(repr=False)
    l1: float
    units: int
    certified: bool


def beta_max(data, family) -> float:
    r"""``‖A_cᵀ y_c‖_∞`` of the family's dictionary: beyond it the optimum is constant."""
    from lassobook.core.dictionary import build_dictionary

    A = build_dictionary(data, family).matrix
    yc = data.y - data.y.mean()
    return float(np.abs((A - A.mean(axis=0)).T @ yc).max())


def _sparsest_vertex(fit, n_random: int):
    """The optimal network with the fewest units among ``n_random`` vertices of the optimal set."""
    from lassobook.analysis.landscape import optimal_set

    S = optimal_set(fit, n_random=n_random, max_bases=0)
    if not len(S.vertices):
        return fit
    best = S.fits()[int(S.sparsest()[0])]
    return best if best.support.size < fit.support.size else fit


def beta_path(data, family, betas, grid, *, solver: str = "auto", sparsest: bool = False,
              n_random: int = 20) -> list[PathFrame]:
    """Certified fits of ``family`` at every β of ``betas``, evaluated on ``grid``.

    Each β is solved by :func:`lassobook.fit` (``solver``) and certified over the
    continuous family.  With ``sparsest`` (dense solver only) the network drawn is
    the sparsest vertex of the optimal set found by ``n_random`` random linear
    programs (:func:`~lassobook.analysis.landscape.optimal_set`) when it has fewer units:
    the same fitted values and objective.

    Raises AssertionError if a fit is not certified, a vertex is not optimal, or a
    rebuilt network disagrees with its Lasso model on the grid (the figure never
    shows a network other than a certified optimum).
    """
    from lassobook.fitting import fit as lasso_fit

    grid = np.asarray(grid, dtype=np.float64)
    xs = data.x_sorted
    frames = []
    for beta in np.asarray(betas, dtype=np.float64):
        solved = lasso_fit(data, family=family, beta=float(beta), solver=solver)
        cert = solved.certificate()
        assert cert.certified, (beta, cert)
        f = _sparsest_vertex(solved, n_random) if sparsest else solved
        gap = abs(f.objective - solved.objective)
        assert gap <= 1e-7 * solved.objective + 1e-12, (beta, gap)
        values = f.network().predict(grid)
        scale = max(1.0, float(np.abs(values).max()))
        assert np.allclose(values, f.predict(grid), atol=1e-6 * scale), beta
        t = np.unique(np.concatenate([n["kinks"] for n in f.neurons()] or [np.empty(0)]))
        t = t[(t >= grid[0]) & (t <= grid[-1])]
        inside = (t > xs[0] + 1e-9) & (t < xs[-1] - 1e-9)
        off = np.array([np.abs(xs - k).min() > 1e-9 for k in t], dtype=bool)
        knots = np.unique(np.r_[grid[0], grid[-1], t])
        frames.append(PathFrame(float(beta), values, knots, f.network().predict(knots),
                                t, t[inside & off],
                                float(np.abs(f.solution.z).sum()), int(f.support.size),
                                bool(cert.certified)))
    return frames


def _panel_traces(data, grid, frame: PathFrame, *, legend: bool, mirror_legend: bool):
    import plotly.graph_objects as go

    at = np.interp(frame.kinks, grid, frame.values)
    at_r = np.interp(frame.reflections, grid, frame.values)
    return [
        go.Scatter(x=data.x, y=data.y, mode="markers", name="training data",
                   showlegend=legend, legendgroup="data",
                   marker=dict(color=_RED, size=9)),
        go.Scatter(x=frame.knots, y=frame.knot_values, mode="lines", line=dict(color=_BLUE, width=2.5),
                   name="optimal network", showlegend=legend, legendgroup="net"),
        go.Scatter(x=frame.kinks, y=at, mode="markers", name="kinks", showlegend=legend,
                   legendgroup="kinks",
                   marker=dict(symbol="line-ns-open", size=16, color=_BLACK,
                               line=dict(width=2, color=_BLACK))),
        go.Scatter(x=frame.reflections, y=at_r, mode="markers", name="reflection",
                   showlegend=mirror_legend, legendgroup="mirror",
                   marker=dict(symbol="diamond", size=10, color=_GREEN)),
    ]


def _title(name: str, frame: PathFrame) -> str:
    return f"{name}<br>{frame.units} units, ‖z‖₁ = {frame.l1:.3g}"


def beta_slider(data, paths: dict, grid, *, height: int = 470, start: int | None = None):
    """A plotly figure: one panel per entry of ``paths`` (≤ 3 in a row), a slider over β.

    Parameters
    ----------
    data : Dataset
    paths : dict name -> list[PathFrame]
        The same β grid for every entry (from :func:`beta_path`).
    grid : ndarray
        The input grid the frames were evaluated on.
    start : int, optional
        Index of the β shown first (default: the middle of the grid).

    Every β is one slider step; a step shows that β's traces and panel titles
    (the data travel with each β, so nothing else is redrawn).
    """
    from plotly.subplots import make_subplots

    names = list(paths)
    if not names or len(names) > 3:
        raise ValueError(f"give one to three paths, got {len(names)}")
    betas = [fr.beta for fr in paths[names[0]]]
    for name in names:
        if not np.allclose([fr.beta for fr in paths[name]], betas):
            raise ValueError("every path must use the same β grid")
    start = len(betas) // 2 if start is None else int(start)
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True,
                        horizontal_spacing=0.04,
                        subplot_titles=[_title(n, paths[n][start]) for n in names])
    per_beta = None
    for i, beta in enumerate(betas):
        for col, name in enumerate(names, start=1):
            traces = _panel_traces(data, grid, paths[name][i], legend=(col == 1),
                                   mirror_legend=(col == len(names)))
            for tr in traces:
                tr.visible = i == start
                fig.add_trace(tr, row=1, col=col)
            per_beta = len(traces) * len(names)
    steps = []
    for i, beta in enumerate(betas):
        visible = [False] * (per_beta * len(betas))
        visible[i * per_beta:(i + 1) * per_beta] = [True] * per_beta
        titles = [_title(n, paths[n][i]) for n in names]
        annotations = [dict(a.to_plotly_json(), text=t)
                       for a, t in zip(fig.layout.annotations, titles)]
        steps.append(dict(method="update", label=f"{beta:.3g}",
                          args=[{"visible": visible}, {"annotations": annotations}]))
    y = np.concatenate([fr.values for name in names for fr in paths[name]] + [data.y])
    pad = 0.08 * (y.max() - y.min() or 1.0)
    fig.update_yaxes(range=[float(y.min() - pad), float(y.max() + pad)])
    fig.update_xaxes(title_text="x", range=[float(grid[0]), float(grid[-1])])
    fig.update_layout(
        height=height, template="simple_white", margin=dict(l=40, r=10, t=110, b=10),
        legend=dict(orientation="h", y=1.3, x=0.5, xanchor="center", yanchor="bottom"),
        font=dict(size=13),
        # the step labels would overlap: hidden on the rail, shown as the current value
        sliders=[dict(active=start, steps=steps, pad=dict(t=50), ticklen=4,
                      font=dict(color="rgba(0,0,0,0)"),
                      currentvalue=dict(prefix="β = ", font=dict(size=14, color="#000")))],
    )
    return fig


def offline_html(fig, *, div_id: str = "lassobook-beta-path") -> str:
    """The figure as one HTML fragment with the plotly.js bundle inlined (no CDN, no require.js)."""
    return fig.to_html(full_html=False, include_plotlyjs=True, include_mathjax=False,
                       div_id=div_id, config={"displaylogo": False, "responsive": True,
                                               "displayModeBar": False})


def show(fig, **kwargs):
    """Display the figure in a notebook as ``text/html`` only (see :func:`offline_html`)."""
    from IPython.display import HTML

    return HTML(offline_html(fig, **kwargs))


def available() -> bool:
    """Is plotly installed (the interactive figures need it; nothing else does)?"""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def plot_static(data, paths: dict, grid, index: int, *, panel=(2.5, 2.6)):
    """The frame ``index`` of every path as a matplotlib figure (one panel per path, at
    most three): the same content as one step of :func:`beta_slider`."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import STYLE, plot_data

    names = list(paths)
    fig, axes = plt.subplots(1, len(names), figsize=(panel[0] * len(names), panel[1]),
                             sharey=True, squeeze=False)
    for ax, name in zip(axes[0], names):
        fr = paths[name][index]
        ax.plot(fr.knots, fr.knot_values, **STYLE["network"])
        plot_data(data, ax)
        ax.scatter(fr.kinks, np.interp(fr.kinks, fr.knots, fr.knot_values), **STYLE["kink"])
        if fr.reflections.size:
            ax.scatter(fr.reflections, np.interp(fr.reflections, fr.knots, fr.knot_values),
                       **STYLE["mirror"])
        ax.set_title(f"{name}: {fr.units} units")
        ax.set_xlabel("x")
    fig.tight_layout()
    return fig


def show_slider(data, paths: dict, grid, *, start: int | None = None):
    """The slider of :func:`beta_slider` as offline HTML; without plotly, the figure at
    β index ``start`` drawn with matplotlib (shown, returns None), so a page that uses
    it executes either way."""
    start = len(next(iter(paths.values()))) // 2 if start is None else int(start)
    if available():
        return show(beta_slider(data, paths, grid, start=start))
    import matplotlib.pyplot as plt

    plot_static(data, paths, grid, start)
    plt.show()
    return None
