"""One figure style for the whole book.

Training points are red dots, networks blue lines, kinks black ticks on the
curve, reflection points (mirrors) green diamonds.  Every chapter draws through
these functions so the book looks like one book.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

#: Matplotlib settings of the book, applied when this module is imported: figures at most
#: 7.5 in wide render at 100 dpi, about the width of the book's text column, so every font is
#: at least 11 pt at display size.  (Figures with more than 3 panels per row get too small.)
RC = {
    "font.size": 12, "axes.titlesize": 12, "axes.labelsize": 12, "xtick.labelsize": 11,
    "ytick.labelsize": 11, "legend.fontsize": 11, "figure.titlesize": 13,
    "figure.dpi": 100, "savefig.dpi": 100, "figure.figsize": (6.4, 4.0),
    "axes.spines.top": False, "axes.spines.right": False,
}


mpl.rcParams.update(RC)   # pyplot itself is imported only where a figure is made


STYLE = {
    "data": dict(color="tab:red", marker="o", s=36, zorder=5, label="training data"),
    "network": dict(color="tab:blue", lw=2.0, label="network"),
    "adam": dict(color="tab:orange", lw=1.2, alpha=0.8),
    "feature": dict(lw=1.2, alpha=0.9),
    "kink": dict(color="black", marker="|", s=160, lw=1.5, zorder=6, label="kinks"),
    "mirror": dict(color="tab:green", marker="D", s=40, zorder=6, label="reflection"),
    "hist": dict(color="tab:blue", edgecolor="white"),
}


#: Colour of a kink by its class (:data:`lassobook.analysis.kinks.KINK_CLASSES`).
KINK_COLOURS = {"data": "black", "midpoint": "tab:purple", "reflection": "tab:green",
                "second order": "tab:orange", "other": "tab:gray"}


def input_grid(x, margin: float = 0.15, num: int = 801) -> np.ndarray:
    """A dense grid over the data range widened by ``margin`` of its length on each side."""
    x = np.asarray(x, dtype=np.float64)
    lo, hi = x.min(), x.max()
    pad = margin * (hi - lo)
    return np.linspace(lo - pad, hi + pad, num)


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 4.0))
    return ax


#: At most this many training points are drawn (evenly spaced in x order); more add no ink.
MAX_POINTS = 4000


def plot_data(data, ax=None):
    """Training points as red dots (an evenly spaced subset of :data:`MAX_POINTS` for large data)."""
    ax = _axes(ax)
    style = dict(STYLE["data"])
    x, y = data.x_sorted, data.y_sorted
    if x.size > MAX_POINTS:
        keep = np.linspace(0, x.size - 1, MAX_POINTS).round().astype(int)
        x, y = x[keep], y[keep]
        style.update(s=6, alpha=0.35, zorder=1, label=f"training data ({MAX_POINTS} of {data.n})")
    ax.scatter(x, y, **style)
    return ax


def plot_fit(fit, ax=None, *, kinks: bool = True, title: str | None = None, legend: bool = True):
    """A :class:`~lassobook.solvers.lasso.LassoFit`: data, the Lasso network, its kinks.

    The curve drawn is the *reconstructed torch network* evaluated on a dense
    grid, and the Lasso model is checked to agree with it there, so a figure
    can never show a network other than the one certified.
    """
    ax = _axes(ax)
    grid = input_grid(fit.data.x)
    net_values = fit.network().predict(grid)
    lasso_values = fit.predict(grid)
    if not np.allclose(net_values, lasso_values, rtol=1e-6, atol=1e-6 * max(1.0, np.abs(lasso_values).max())):
        raise RuntimeError("reconstructed network and Lasso model disagree; refusing to plot")
    ax.plot(grid, net_values, **STYLE["network"])
    plot_data(fit.data, ax)
    if kinks:
        points = np.unique(np.concatenate([n["kinks"] for n in fit.neurons()] or [np.empty(0)]))
        points = points[(points >= grid[0]) & (points <= grid[-1])]
        if points.size:
            ax.scatter(points, np.interp(points, grid, net_values), **STYLE["kink"])
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="best")
    ax.set_xlabel("x")
    return ax


def plot_network(network, data, ax=None, model: int = 0, **line):
    """A torch network (copy ``model``) on a dense grid over the data."""
    ax = _axes(ax)
    grid = input_grid(data.x)
    ax.plot(grid, network.predict(grid, model=model), **{**STYLE["adam"], **line})
    return ax


def plot_features(dictionary, ax=None, columns=None, max_columns: int = 24, title: str | None = None):
    """Dictionary columns on a dense grid, the training inputs marked on the axis."""
    ax = _axes(ax)
    cols = np.arange(dictionary.size) if columns is None else np.asarray(columns)
    cols = cols[:max_columns]
    grid = input_grid(dictionary.data.x)
    values = dictionary.evaluate(grid, cols)
    cmap = mpl.colormaps["viridis"]
    for i in range(values.shape[1]):
        ax.plot(grid, values[:, i], color=cmap(i / max(1, values.shape[1] - 1)), **STYLE["feature"])
    ax.plot(dictionary.data.x, np.zeros(dictionary.data.n), "|", color=STYLE["data"]["color"],
            ms=12, mew=2)
    ax.set_title(title or f"{len(cols)} of {dictionary.size} features")
    ax.set_xlabel("x")
    return ax


def plot_gaps(gaps, ax=None, *, tol: float = 1e-6, title: str | None = None):
    """Histogram of Adam's relative objective gaps to the Lasso optimum (log scale).

    Gaps at or below ``tol`` (Adam reached the optimum) are counted in the leftmost bin.
    """
    ax = _axes(ax)
    gaps = np.asarray(gaps, dtype=np.float64)
    shown = np.maximum(gaps, tol)
    hi = max(shown.max() * 1.5, tol * 10)
    bins = np.logspace(np.log10(tol), np.log10(hi), 25)
    ax.hist(shown, bins=bins, **STYLE["hist"])
    ax.set_xscale("log")
    ax.axvline(tol, color="black", ls=":", lw=1)
    ax.set_xlabel("relative gap to the optimum")
    ax.set_ylabel("runs")
    if title:
        ax.set_title(title)
    return ax


def plot_feature_panels(dictionary, columns, *, ncols: int = 3, panel=(2.5, 2.0)):
    """One small panel per column: the feature, the training inputs (red ticks on the
    axis) and the feature's kinks coloured by class (:data:`KINK_COLOURS`: data point,
    midpoint, reflection ``2x_i − x_j``, second-order mirror); the grid covers every kink.

    Returns
    -------
    matplotlib Figure
    """
    from lassobook.analysis.kinks import classify_kinks

    cols = np.asarray(columns, dtype=int)
    x = dictionary.data.x_sorted
    kinks = [np.asarray(dictionary.kinks(k), dtype=np.float64) for k in cols]
    reach = np.concatenate([x] + kinks)
    grid = input_grid(reach, margin=0.05)
    values = dictionary.evaluate(grid, cols)
    nrows = int(np.ceil(cols.size / ncols))
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows), squeeze=False)
    for ax in axes.ravel()[cols.size:]:
        ax.axis("off")
    seen = set()
    for ax, k, v, kk in zip(axes.ravel(), cols, values.T, kinks):
        ax.plot(grid, v, color=STYLE["network"]["color"], lw=1.4)
        ax.plot(x, np.full(x.size, v.min()), "|", color=STYLE["data"]["color"], ms=9, mew=2)
        for point, name in zip(kk, classify_kinks(kk, x)):
            label = None if name in seen else name
            seen.add(name)
            ax.axvline(point, color=KINK_COLOURS[name], lw=1.0, ls="--", label=label)
        ax.set_title(dictionary.labels[k])
    fig.legend(loc="lower center", ncol=len(seen), frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig
