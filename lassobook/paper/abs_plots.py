"""Figures of the chapter on three-layer absolute-value networks (the library of mirrors).

The shapes of the dictionary drawn with their kinks (:func:`plot_mirror_library`),
the arrangement of lines in the ``(a, c)`` parameter plane whose vertices are the
dictionary, with the dual correlation's tight set (:func:`plot_parameter_arrangement`),
optimal networks with their mirror points marked (:func:`plot_fit_with_mirrors`,
:func:`plot_fits`) and Adam's gaps to the certified optimum (:func:`plot_gap_pair`).
The chapter keeps statements and verdicts; the drawing code lives here.
"""

from __future__ import annotations

import numpy as np

from lassobook.analysis.kinks import reflection_mirrors
from lassobook.families.abs3 import FEATURE_KINDS, ThreeLayerAbs


# ---------------------------------------------------------------------- plotting
def plot_mirror_library(dictionary, columns=None, *, ncols: int = 3, panel=(2.5, 2.1),
                        max_columns: int = 36):
    """One small panel per column of a three-layer abs dictionary.

    Each panel draws the feature on a grid, marks the training inputs (red
    ticks on the axis), the feature's kinks (black ticks) and, for a
    reflection, the mirror: a green diamond at ``2x_i − x_j`` and a dotted arc
    from the reflected point ``x_j`` over the center ``x_i``.  The panel title is
    the column's label; its colour says the kind (two-layer, reflection, midpoint).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    from lassobook.plotting import STYLE, input_grid

    cols = np.arange(dictionary.size) if columns is None else np.asarray(columns, dtype=int)
    cols = cols[:max_columns]
    nrows = int(np.ceil(cols.size / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows),
                             sharex=True, squeeze=False)
    x = dictionary.data.x_sorted
    lo, hi = x.min(), x.max()
    refl_all = [2 * dictionary.params["center"][k] - dictionary.params["source"][k]
                for k in cols if dictionary.params["kind"][k] == 1]
    grid_lo = min([lo] + refl_all)
    grid_hi = max([hi] + refl_all)
    grid = input_grid(np.array([grid_lo, grid_hi]), margin=0.08)
    colours = {0: "tab:gray", 1: "tab:green", 2: "tab:purple"}
    values = dictionary.evaluate(grid, cols)
    for ax in axes.ravel()[cols.size:]:
        ax.axis("off")
    for ax, k, v in zip(axes.ravel(), cols, values.T):
        kind = int(dictionary.params["kind"][k])
        ax.plot(grid, v, color=STYLE["network"]["color"], lw=1.4)
        ax.plot(x, np.zeros_like(x), "|", color=STYLE["data"]["color"], ms=9, mew=2)
        kinks = dictionary.kinks(k)
        ax.scatter(kinks, dictionary.evaluate(kinks, [k])[:, 0],
                   **{**STYLE["kink"], "s": 90, "label": None})
        if kind == 1:
            a = dictionary.params["center"][k]
            src = dictionary.params["source"][k]
            mirror = 2 * a - src
            ax.scatter([mirror], [0.0], **{**STYLE["mirror"], "label": None})
            top = 0.35 * max(v.max(), 1e-12)
            arc = np.linspace(0, np.pi, 40)
            ax.plot(a + (src - a) * np.cos(arc), top * np.sin(arc), ":",
                    color=STYLE["mirror"]["color"], lw=1)
        ax.set_title(dictionary.labels[k], color=colours[kind])
    fig.tight_layout()
    return fig


def plot_parameter_arrangement(data, residual=None, *, beta: float | None = None, ax=None,
                               num: int = 301, dictionary=None):
    """The ``(a, c)`` parameter plane of the unit ``||x − a| − c|`` on ``data``.

    Draws the arrangement's lines ``a = x_n`` (solid) and ``a ± c = x_n`` (dashed),
    its vertices by kind (two-layer on ``c = 0``, reflections, midpoints), and,
    if a dual vector ``residual`` (λ) is given, the heat map of ``|λᵀ g_{a,c}(X)| / β``
    over the plane with its maximum starred.  If ``dictionary`` is given, the
    vertices it contains are drawn filled and the others hollow.
    """
    import matplotlib.pyplot as plt

    from lassobook.core.certificate import dual_correlations
    from lassobook.plotting import STYLE

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = data.x_sorted
    span = x[-1] - x[0]
    a_lim = (x[0] - 0.25 * span, x[-1] + 0.25 * span)
    c_lim = (0.0, 1.1 * span)
    fam = ThreeLayerAbs()
    if residual is not None:
        A, C = np.meshgrid(np.linspace(*a_lim, num), np.linspace(*c_lim, num))
        corr = dual_correlations(fam, data.x, np.asarray(residual),
                                 {"center": A.ravel(), "offset": C.ravel()}).reshape(A.shape)
        scale = beta if beta is not None else 1.0
        mesh = ax.pcolormesh(A, C, corr / scale, shading="auto", cmap="Greys", alpha=0.55)
        plt.colorbar(mesh, ax=ax, label=r"$|\lambda^{T} g_{a,c}(X)|/\beta$" if beta else
                     r"$|\lambda^{T} g_{a,c}(X)|$")
        # the maximum over the plane is at a vertex (module docstring): star the best vertex
        params, _ = fam.raw_dictionary(data)
        at_vertices = dual_correlations(fam, data.x, np.asarray(residual), params)
        k = int(np.argmax(at_vertices))
        ax.scatter([params["center"][k]], [params["offset"][k]], marker="*", s=260, color="gold",
                   edgecolor="black", zorder=9,
                   label=f"max = {at_vertices[k] / scale:.6g} (grid: {corr.max() / scale:.6g})")
    cs = np.array(c_lim)
    for xn in x:
        ax.axvline(xn, color="0.4", lw=0.8)
        ax.plot(xn + cs, cs, color="0.4", lw=0.8, ls="--")
        ax.plot(xn - cs, cs, color="0.4", lw=0.8, ls="--")
    params, _ = fam.raw_dictionary(data)
    present = None
    if dictionary is not None:  # a vertex is present if some column equals it on the data
        raw = fam.shape(data.x[:, None], params["center"][None, :], params["offset"][None, :])
        diff = np.abs(raw[:, :, None] - dictionary.matrix[:, None, :]).max(axis=0)
        present = diff.min(axis=1) <= 1e-9 * max(1.0, np.abs(raw).max())
    colours = {0: "tab:gray", 1: STYLE["mirror"]["color"], 2: "tab:purple"}
    markers = {0: "o", 1: "D", 2: "s"}
    for kind, name in FEATURE_KINDS.items():
        sel = params["kind"] == kind
        filled = sel if present is None else sel & present
        hollow = np.zeros_like(sel) if present is None else sel & ~present
        if filled.any():
            ax.scatter(params["center"][filled], params["offset"][filled], marker=markers[kind],
                       color=colours[kind], s=40, zorder=7, label=name.replace("_", "-"))
        if hollow.any():
            ax.scatter(params["center"][hollow], params["offset"][hollow], marker=markers[kind],
                       facecolor="white", edgecolor=colours[kind], s=40, zorder=7,
                       label=f"{name.replace('_', '-')} (not in dictionary)")
    ax.set_xlim(*a_lim)
    ax.set_ylim(-0.03 * span, c_lim[1])
    ax.set_xlabel("center a")
    ax.set_ylabel("offset c")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
    return ax


# ---------------------------------------------------------------------- book helpers
# Tables and checks of the chapter "Three-layer absolute-value networks", kept here so
# that the page shows statements, figures and one-line verdicts.

def _kinks_text(kinks, digits: int = 4) -> str:
    return ", ".join(f"{v:.{digits}g}" for v in np.asarray(kinks, dtype=np.float64))


def plot_fit_with_mirrors(fit, ax, *, title=None, legend=True):
    """:func:`lassobook.plotting.plot_fit` plus a green diamond at every mirror of a
    reflection unit that falls in view."""
    from lassobook.plotting import STYLE, plot_fit

    plot_fit(fit, ax, title=title, legend=False)
    lo, hi = ax.get_xlim()
    shown = [m for m in reflection_mirrors(fit) if lo <= m <= hi]
    if shown:
        ax.scatter(shown, np.interp(shown, *ax.lines[0].get_data()), **STYLE["mirror"])
    if legend:
        ax.legend()
    return ax


def plot_fits(fits, *, runs=None, mirrors: bool = False, sharey: bool = False,
              figsize=(7.5, 3.2)):
    """Fits side by side (at most 3), optionally with the mirrors of reflection units
    and, if ``runs`` (one :class:`~lassobook.training.AdamRuns` per fit) is given, the
    best Adam run of each in orange.  Returns the figure."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import plot_fit, plot_network

    fits = list(fits)
    fig, axes = plt.subplots(1, len(fits), figsize=figsize, sharey=sharey, squeeze=False)
    for k, (ax, fit) in enumerate(zip(axes[0], fits)):
        if mirrors:
            plot_fit_with_mirrors(fit, ax, legend=False)
        else:
            plot_fit(fit, ax, legend=False)
        if runs is not None:
            plot_network(runs[k].network, fit.data, ax, model=runs[k].best())
    fig.tight_layout()
    return fig


def plot_gap_pair(gaps, *, tol: float = 1e-6, figsize=(7.5, 3.2)):
    """Histograms of relative gaps to the optimum, side by side (one per array)."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import plot_gaps

    gaps = list(gaps)
    fig, axes = plt.subplots(1, len(gaps), figsize=figsize, squeeze=False)
    for ax, g in zip(axes[0], gaps):
        plot_gaps(g, ax, tol=tol)
        ax.set_xlabel("relative gap to the optimum")
    fig.tight_layout()
    return fig


def plot_arrangement_pair(data, fits, beta: float, *, figsize=(7.5, 11)):
    """:func:`plot_parameter_arrangement` for the residual of each fit, one above the
    other, marking the vertices each fit's dictionary lacks."""
    import matplotlib.pyplot as plt

    fits = list(fits)
    fig, axes = plt.subplots(len(fits), 1, figsize=figsize, squeeze=False)
    for ax, fit in zip(axes[:, 0], fits):
        plot_parameter_arrangement(data, fit.solution.residual, beta=beta, ax=ax,
                                   dictionary=fit.dictionary)
    fig.tight_layout()
    return fig
