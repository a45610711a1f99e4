"""Helpers of the chapter on the optimal landscape: regularization paths, the β → 0 polytope, Adam.

Plots of optimal networks and of the regularization path (objective, ℓ1 norm,
number of units against β), names of dictionary columns as ramps, the library of
minimum-norm interpolating networks (:mod:`lassobook.analysis.interpolation`) with
its checks against the paper's Figure 3 theory, and where Adam's trained networks
land relative to that library.  The chapter shows statements and verdicts; the
computations and the drawing code live here.
"""

from __future__ import annotations

import numpy as np

from lassobook.analysis.interpolation import min_l1_interpolation, off_data_columns
from lassobook.analysis.landscape import RUN_CLASSES, optimal_set
from lassobook.core.dictionary import build_dictionary


# ---------------------------------------------------------------------- figures
def plot_optimal_network(fit, ax=None, *, title: str | None = None):
    """One optimal network (a :class:`LassoFit`): the network, the data, its kinks, and the
    kinks that are not data points (reflections, midpoints) as mirror diamonds."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import STYLE, input_grid, plot_fit

    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 2.4))
    plot_fit(fit, ax, title=title, legend=False)
    xs = fit.data.x_sorted
    off = [t for n in fit.neurons() for t in n["kinks"]
           if xs[0] < t < xs[-1] and np.abs(xs - t).min() > 1e-9]
    if off:
        off = np.unique(off)
        grid = input_grid(fit.data.x)
        ax.scatter(off, np.interp(off, grid, fit.predict(grid)), **STYLE["mirror"])
    ax.set_xlabel("")
    return ax


def plot_path(points, axes, *, label: str | None = None, neurons=None, **line):
    """A β path on four axes: neurons, objective, training error ``½‖f − y‖²``, ``‖z‖₁`` vs β.

    ``neurons`` (e.g. from :func:`path_sparsity`) replaces ``PathPoint.n_neurons`` in the first panel.
    """
    from lassobook.plotting import STYLE

    betas = np.array([p.beta for p in points])
    n = np.array([p.n_neurons for p in points]) if neurons is None else np.asarray(neurons)
    series = [(n, "neurons (sparsest optimal)" if neurons is not None else "neurons", False),
              (np.array([p.objective for p in points]), "objective", True),
              (np.array([p.training_error for p in points]), "training error ½‖f − y‖²", True),
              (np.array([p.l1_norm for p in points]), "‖z‖₁ (= penalty / β)", False)]
    style = {"lw": STYLE["network"]["lw"] * 0.7, **line}
    for ax, (values, name, logy) in zip(axes, series):
        ax.plot(betas, values, label=label, **style)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_ylabel(name)
        ax.set_xlabel("β")
    return axes


# ---------------------------------------------------------------------- the chapter's helpers
def describe_column(dictionary, column: int) -> str:
    """A readable name of one column: its label at depth 2, the capped ramp from depth 3 on."""
    fam = dictionary.family
    if getattr(fam, "depth", 2) == 2:
        return dictionary.labels[column]
    return fam.describe({k: v[column] for k, v in dictionary.params.items()})


def network_name(dictionary, z, digits: int = 3) -> str:
    """``+0.667·ramp(5, 7) …``: the network ``z`` of a dictionary in words.

    From depth 3 on each column is written ``σ·ramp(p, q)`` (plus a constant), so
    the coefficient shown is ``σ·z`` (a reflection column also says which points it
    reflects)."""
    fam = dictionary.family
    cols = np.flatnonzero(z)
    if getattr(fam, "depth", 2) == 2:
        return " ".join(f"{z[c]:+.{digits}g}·{dictionary.labels[c]}" for c in cols)
    parts = []
    for c in cols:
        params = {k: v[c] for k, v in dictionary.params.items()}
        sigma, p, q = fam.canonical(params)
        note = fam.describe(params).partition(" [")[2]
        parts.append(f"{sigma * z[c]:+.{digits}g}·ramp({p:g}, {q:g})"
                     + (f" [{note}" if note else ""))
    return " ".join(parts)


def ramp_coefficients(dictionary, z) -> dict:
    """``{(p, q): coefficient}`` of a deep narrow network ``z``: its chains as capped ramps."""
    fam = dictionary.family
    out = {}
    for c in np.flatnonzero(z):
        sigma, p, q = fam.canonical({k: v[c] for k, v in dictionary.params.items()})
        out[(float(p), float(q))] = out.get((float(p), float(q)), 0.0) + float(sigma * z[c])
    return dict(sorted(out.items()))


def library_table(library: dict, theory_index: dict, min_norm: dict):
    """The library of optimal networks as a DataFrame: one row per vertex and per depth's
    minimum-norm point (units, reflection, sparsest, the paper's network, the network)."""
    import pandas as pd

    rows = []
    for L, S in library.items():
        D = S.dictionary
        off = off_data_columns(D)
        sparsest = set(S.sparsest().tolist())
        for i, z in enumerate(S.vertices):
            rows.append({"depth": L, "network": f"vertex {i}", "units": int((z != 0).sum()),
                         "reflection": "yes" if off[z != 0].any() else "",
                         "sparsest": "yes" if i in sparsest else "",
                         "paper's": "yes" if i == theory_index.get(L) else "",
                         "coefficients": network_name(D, z)})
        mn = min_norm[L]
        rows.append({"depth": L, "network": "minimum norm", "units": int((mn != 0).sum()),
                     "reflection": "yes" if off[mn != 0].any() else "", "sparsest": "",
                     "paper's": "", "coefficients": network_name(D, mn)})
    return pd.DataFrame(rows).set_index(["depth", "network"])


def plot_library(S, min_norm, theory_index: int, *, ncols: int = 3, beta: float = 1e-7,
                 panel=(2.5, 2.3)):
    """One depth of the library: every vertex of ``S``, then the minimum-norm network, on a
    grid of at most ``ncols`` columns (shared axes).  Returns the figure."""
    import matplotlib.pyplot as plt

    fits = S.fits(beta=beta)
    mn_fit = S.fit_of(min_norm, beta)
    sparsest = set(S.sparsest().tolist())
    panels = []
    for i, f in enumerate(fits):
        tags = [t for t, on in (("sparsest", i in sparsest), ("paper's", i == theory_index))
                if on]
        panels.append((f, f"vertex {i}: {f.support.size} units\n{', '.join(tags)}"))
    panels.append((mn_fit, f"minimum norm: {mn_fit.support.size} units\n"))
    n = len(panels)
    cols = min(ncols, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(panel[0] * cols, panel[1] * rows + 0.3),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (f, title) in zip(axes.flat, panels):
        plot_optimal_network(f, ax, title=title)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for k, ax in enumerate(axes.flat[:n]):
        if k + cols >= n:                        # nothing drawn below it: label its axis
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("x")
    fig.tight_layout()
    return fig


def beta_grid(data, family, n: int, low: float = 1e-4, factor: float = 2.0):
    """``(betas, beta_max)``: a log grid from ``low`` to ``factor·β_max``, where
    ``β_max = ‖A_cᵀy_c‖_∞`` of the family's dictionary (beyond it ``z* = 0``)."""
    A = build_dictionary(data, family).matrix
    Ac = A - A.mean(axis=0)
    beta_max = float(np.abs(Ac.T @ (data.y - data.y.mean())).max())
    return np.logspace(np.log10(low), np.log10(factor * beta_max), n), beta_max


def check_path(points, neurons, betas, beta_max, data, family) -> dict:
    """Assert what theory says of a β path; return its summary (one table row).

    Along the path ``‖z‖₁`` does not increase and the training error and objective do
    not decrease; past ``β_max`` the network is constant; the small-β end is the cheapest
    interpolation (:func:`min_l1_interpolation`, to 1 %)."""
    l1 = np.array([p.l1_norm for p in points])
    err = np.array([p.training_error for p in points])
    obj = np.array([p.objective for p in points])
    assert np.all(np.diff(l1) <= 1e-6 * max(1.0, l1.max()))
    assert np.all(np.diff(err) >= -1e-7 * max(1.0, err.max()))
    assert np.all(np.diff(obj) >= -1e-9)
    past = np.asarray(betas) >= beta_max * (1 + 1e-6)
    assert all(p.n_neurons == 0 for p, b in zip(points, past) if b)
    assert past.any() and np.all(neurons[~past] >= 1) and np.all(neurons <= data.n - 1)
    limit = min_l1_interpolation(data, family=family)
    assert abs(points[0].l1_norm - limit.l1_norm) <= 1e-2 * limit.l1_norm
    return {"β_max": beta_max, "‖z‖₁ at the smallest β": points[0].l1_norm,
            "cheapest interpolation ‖z‖₁": limit.l1_norm,
            "most neurons (sparsest optimum)": int(neurons.max())}


def adam_table(adam: dict, radius: float):
    """Adam runs per class, per depth, as a DataFrame (``adam``: depth -> (fit, runs,
    classes)); also the median gap and the share of runs bending at the mirror 8."""
    import pandas as pd

    rows = {}
    for L, (fit, runs, classes) in adam.items():
        at8 = np.mean([bool(k.size and np.abs(k - 8).min() <= radius) for k in classes.kinks])
        rows[L] = {"optimum": fit.objective, **classes.counts(),
                   "median gap": float(np.median(classes.gaps)), "kink at 8": at8}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "depth"
    return df


#: colour of each class of :func:`classify_runs` in the chapter's figure
RUN_COLOURS = dict(zip(RUN_CLASSES, ["tab:green", "tab:blue", "tab:purple", "tab:gray"]))


def plot_runs(adam: dict, data, *, panel=(2.5, 3.1)):
    """Each Adam run in the colour of its class, one panel per depth (≤ 3), the optimal
    fitted values as black dots on the data.  Returns the figure."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import input_grid, plot_data

    fig, axes = plt.subplots(1, len(adam), figsize=(panel[0] * len(adam), panel[1]),
                             sharey=True, squeeze=False)
    grid = input_grid(data.x)
    for ax, (L, (fit, runs, classes)) in zip(axes[0], adam.items()):
        for k, label in enumerate(classes.labels):
            ax.plot(grid, runs.network.predict(grid, model=k), color=RUN_COLOURS[label],
                    lw=1, alpha=0.7)
        plot_data(data, ax)
        ax.scatter(data.x, fit.predict(data.x), color="black", s=12, zorder=6)
        ax.set_title(f"depth {L}")
        ax.set_xlabel("x")
    handles = [plt.Line2D([], [], color=c, label=name) for name, c in RUN_COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig


# ---------------------------------------------------------------------- the chapter's checks
def check_library(library: dict) -> dict:
    """Assert that every vertex of each β → 0 set (``library``: depth -> InterpolationSet)
    interpolates at the minimum cost, that every basis was enumerated, and that exactly
    the reflection columns (flag ``k = 1`` of the deep narrow dictionary) bend off the
    data.  Returns ``{"vertices": {depth: count}, "same_fit": bool, "exhaustive": bool}``:
    ``same_fit`` says every vertex has the same fitted values (up to the free bias)."""
    same_fit = True
    for L, S in library.items():
        off = off_data_columns(S.dictionary)
        assert S.exhaustive and all(S.contains(z) for z in S.vertices), L
        flagged = (S.dictionary.params["k"] == 1) if "k" in S.dictionary.params else False
        assert np.array_equal(off, np.broadcast_to(flagged, off.shape)), L
        F = S.vertices @ S.dictionary.matrix.T
        F -= F.mean(axis=1, keepdims=True)
        same_fit &= bool(np.allclose(F, F[0], atol=1e-9))
    return {"vertices": {L: len(S) for L, S in library.items()}, "same_fit": same_fit,
            "exhaustive": all(S.exhaustive for S in library.values())}


def theory_vertices(library: dict, theory: dict) -> tuple[dict, float]:
    """Which vertex of each depth's set is the paper's network (``theory``: depth -> units,
    as :data:`lassobook.paper.authors.FIG3_THEORETICAL`), and the largest coefficient
    difference; asserts it is a vertex (to 1e-9)."""
    from lassobook.paper.authors import theoretical_coefficients

    index, worst = {}, 0.0
    for L, S in library.items():
        dist = np.abs(S.vertices - theoretical_coefficients(S.dictionary, theory[L])).max(1)
        index[L], worst = int(np.argmin(dist)), max(worst, float(dist.min()))
    assert worst <= 1e-9, worst
    return index, worst


def distance_to_small_beta(library: dict, beta: float = 1e-7) -> float:
    """Largest distance from a vertex of the β → 0 set to the nearest vertex of the optimal
    set of the Lasso at ``beta`` (same dictionary); asserts it is at most 1e-5."""
    from lassobook.solvers.lasso import fit_dense

    worst = 0.0
    for S in library.values():
        fit = fit_dense(S.dictionary.data, family=S.dictionary.family, beta=beta)
        V = optimal_set(fit).vertices
        worst = max([worst] + [float(np.abs(V - v).max(1).min()) for v in S.vertices])
    assert worst <= 1e-5, worst
    return worst


def min_norm_points(library: dict) -> dict:
    """The minimum-ℓ2-norm point of each depth's set (entries below 1e-9 set to 0)."""
    out = {}
    for L, S in library.items():
        mn = S.min_norm()
        mn[np.abs(mn) < 1e-9] = 0.0
        assert S.contains(mn, atol=1e-7), L
        out[L] = mn
    return out


def lasso_min_norm_gap(library: dict, min_norm: dict, beta: float = 1e-7) -> float:
    """Largest difference between each minimum-norm point and the Lasso's own
    minimum-norm solution at ``beta``; asserts it is at most 1e-3."""
    from lassobook.solvers.lasso import fit_dense

    gaps = [np.abs(fit_dense(S.dictionary.data, family=S.dictionary.family, beta=beta,
                             min_norm=True).solution.z - min_norm[L]).max()
            for L, S in library.items()]
    assert max(gaps) <= 1e-3, gaps
    return float(max(gaps))


def as_mixture(S, z) -> np.ndarray:
    """Weights ``w`` with ``z = Σ_v w_v · vertex_v`` (least squares over the vertices)."""
    weights, *_ = np.linalg.lstsq(S.vertices.T, z, rcond=None)
    assert np.allclose(S.vertices.T @ weights, z, atol=1e-8)
    return weights


def mirror_network(S, family, breakpoints=(5.0, 8.0), coefficients=(1.0, -1.0)) -> float:
    """Check that the two-layer network ``Σ c·(x − b)_+`` interpolates at the minimum cost
    of ``S`` (the β → 0 set of the two-layer ReLU dictionary) with every unit tight, and
    that no unit of the continuous family is more than tight; returns
    ``max |λᵀg(X)|`` over the family (≤ 1)."""
    from lassobook.core.certificate import dual_correlations
    from lassobook.core.dictionary import evaluate_shapes

    data, lam = S.dictionary.data, S.dual
    units = {"breakpoint": np.asarray(breakpoints, dtype=np.float64),
             "orientation": np.ones(len(breakpoints))}
    coef = np.asarray(coefficients, dtype=np.float64)
    net = family.reconstruct(units, coef, 0.0)
    assert np.abs(net.predict(data.x) - data.y).max() < 1e-12
    assert abs(S.l1 - np.abs(coef).sum()) < 1e-9
    signed = (lam @ evaluate_shapes(family, data.x, units)) * np.sign(coef)
    sup = float(dual_correlations(family, data.x, lam, family.candidate_params(data)).max())
    assert np.allclose(signed, 1) and sup <= 1 + 1e-9
    return sup


def plot_paths(paths: dict, *, figsize=(7.5, 5.6)):
    """Several β paths (``name -> (points, neurons)``) on a 2×2 grid of :func:`plot_path`
    panels, one line style per path, the legend below.  Returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=figsize, sharex=True)
    styles = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))]
    for (name, (points, neurons)), style in zip(paths.items(), styles * len(paths)):
        plot_path(points, axes.flat, label=name, neurons=neurons, ls=style)
    for ax in axes[0]:
        ax.set_xlabel("")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=3,
               frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
