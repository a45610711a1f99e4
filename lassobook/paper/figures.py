r"""The paper's Figures 2, 3, 18 and 19, laid out like the authors' renderings.

A network of one-dimensional ReLU units is written here as a list of *units*
``(c, p, q)``, each ``c · ramp(p, q, x)`` (:func:`lassobook.families.deep_narrow.capped_ramp`;
``q = inf`` is the ReLU ``(x − p)_+``), plus an output bias.  :class:`PanelNetwork`
turns such a list into the torch network of a given depth (one unit per chain,
weights balanced so that a unit costs ``β|c|``); the figures draw that network's
own ``predict`` — never a formula beside it — so a panel shows exactly the network
whose objective is reported.

Layouts (as in the paper):

* Figure 2: one row, two panels (Fig. 2 left and right), 4 layers, Adam.
* Figure 3: columns = depths ``L = 2, 3, 4``; rows = Lasso features, Lasso
  prediction, Adam (the authors' protocol).
* Figure 18: columns = ``L = 2, 3, 4``; rows = Lasso features, Lasso prediction.
* Figure 19: columns = ``L = 3, 4``; rows = Lasso prediction, Adam.
"""

from __future__ import annotations

from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np

from lassobook.families.deep_narrow import DeepNarrowReLU, capped_ramp
from lassobook.paper.deep_narrow import optimal_supports
from lassobook.plotting import STYLE, input_grid

#: Networks the paper draws that differ from the book's certified optima, read off
#: the authors' renderings: Fig. 18 L = 4 ``−2.5 (x − 2)_+ + 6.5 (x − 4)_+`` (it dips
#: to −5 at the mirror 4 = 2·2 − 0) and Fig. 19 L = 4 ``(3/2)·ramp(2, 4)``.
PAPER_NETWORKS = {
    ("fig18", 4): [(-2.5, 2.0, np.inf), (6.5, 4.0, np.inf)],
    ("fig19", 4): [(1.5, 2.0, 4.0)],
}


#: colours of the selected features (the paper: one colour per feature)
FEATURE_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:purple"]


def _number(c: float) -> str:
    """``0.75`` when 3 significant digits are exact, ``2/3`` for simple fractions, else 3 digits."""
    if abs(float(f"{c:.3g}") - c) < 1e-6 * max(1.0, abs(c)):
        return f"{c:.3g}"
    f = Fraction(float(c)).limit_denominator(12)
    if abs(float(f) - c) < 1e-6 * max(1.0, abs(c)):
        return str(f.numerator) if f.denominator == 1 else f"{f.numerator}/{f.denominator}"
    return f"{c:.3g}"


def unit_label(c: float, p: float, q: float) -> str:
    """A readable name: ``"2/3 · ramp(5, 7)"`` or ``"−1/3 · (x − 10)₊"``."""
    shape = f"ramp({p:g}, {q:g})" if np.isfinite(q) else f"(x − {p:g})₊"
    return f"{_number(c)} · {shape}".replace("-", "−")


def chain_params(p: float, q: float, depth: int) -> dict:
    """Parameters of a ``depth``-layer chain (``depth ≥ 3``) whose shape is ``ramp(p, q, x)``.

    ``q = inf``: all signs ``+1``, all breakpoints ``p``.  Finite ``q``: signs
    ``(−1, −1, +1, …)``, breakpoints ``(q, p, p, …)``: ``((3 − (q − x)_+))_+`` is the ramp.
    """
    n = depth - 1
    if np.isfinite(q):
        s, a = [-1.0, -1.0] + [1.0] * (n - 2), [q, p] + [p] * (n - 2)
    else:
        s, a = [1.0] * n, [p] * n
    out = {}
    for i in range(n):
        out[f"s{i + 1}"] = np.array([s[i]])
        out[f"a{i + 1}"] = np.array([a[i]])
    return out


class PanelNetwork:
    """A network ``Σ c·ramp(p, q, x) + ξ`` of depth ``L`` as a torch network.

    ``L = 2`` accepts plain ReLUs only (``q = inf``).  ``xi=None`` fits the output
    bias to the data (the mean residual).  Attributes: ``units``, ``xi``, ``depth``,
    ``net`` (the torch network), ``l1`` (``Σ|c|``).
    """

    def __init__(self, units, depth: int, data, xi: float | None = None):
        from lassobook.families import get_family

        self.units = [(float(c), float(p), float(q)) for c, p, q in units]
        self.depth, self.data = int(depth), data
        if xi is None:
            xi = float(np.mean(data.y - self.shape_sum(data.x)))
        self.xi = float(xi)
        coef = np.array([c for c, _, _ in self.units])
        if self.depth == 2:
            if any(np.isfinite(q) for _, _, q in self.units):
                raise ValueError("a two-layer unit is a ReLU (x − p)_+: q must be inf")
            params = {"breakpoint": np.array([p for _, p, _ in self.units]),
                      "orientation": np.ones(len(self.units))}
            self.net = get_family("relu").reconstruct(params, coef, self.xi)
        else:
            fam = DeepNarrowReLU(self.depth)
            per_unit = [chain_params(p, q, self.depth) for _, p, q in self.units]
            params = {k: np.concatenate([u[k] for u in per_unit]) for k in per_unit[0]}
            self.net = fam.reconstruct(params, coef, self.xi)
        self.l1 = float(np.abs(coef).sum())

    def shape_sum(self, x) -> np.ndarray:
        """``Σ c·ramp(p, q, x)`` (without ``ξ``), from the formula."""
        return sum(c * capped_ramp(p, q, x) for c, p, q in self.units)

    def predict(self, x) -> np.ndarray:
        """The torch network's output."""
        return self.net.predict(np.asarray(x, dtype=np.float64))

    def objective(self, beta: float) -> float:
        """The torch network's own training objective (``½‖f − y‖² + penalty``)."""
        d = self.data
        return float(self.net.objective(d.x, d.y, beta)[0].detach())

    def labels(self):
        return [unit_label(*u) for u in self.units]


def sparsest_units(fit, max_units: int = 3):
    """The smallest optimal network of a deep narrow Lasso ``fit`` as units ``(c, p, q)``.

    Uses :func:`~lassobook.paper.deep_narrow.optimal_supports` (the first support found)
    and the columns' canonical form ``σ·ramp(p, q) + const``.
    """
    size, supports = optimal_supports(fit, max_units=max_units)
    if size is None:
        raise ValueError(f"no optimal network with at most {max_units} units")
    cols, coef = supports[0]
    fam, D = fit.family, fit.dictionary
    units = []
    for c, z in zip(cols, coef):
        sigma, p, q = fam.canonical({k: v[c] for k, v in D.params.items()})
        units.append((float(sigma * z), p, q))
    return sorted(units, key=lambda u: (u[1], u[2]))


# ---------------------------------------------------------------------- drawing
def _grid(data, extra=()):
    return input_grid(np.concatenate([np.asarray(data.x, float), np.asarray(extra, float)]),
                      margin=0.08)


def draw_features(ax, network: PanelNetwork, grid, *, legend: bool = True):
    """The units of ``network``, each ``ramp(p, q, x)`` unscaled, labelled with its coefficient."""
    for i, (c, p, q) in enumerate(network.units):
        ax.plot(grid, capped_ramp(p, q, grid), color=FEATURE_COLOURS[i % 4], lw=2,
                label=unit_label(c, p, q))
    top = max(capped_ramp(p, q, grid).max() for _, p, q in network.units)
    ax.set_ylim(-0.06 * top, (1.0 + 0.22 * len(network.units)) * top)
    if legend:
        ax.legend(loc="upper left", handlelength=1.2, frameon=False)


def draw_prediction(ax, data, grid, predict, *, label="net", legend=False, **line):
    """Data (red dots) and a network's output on ``grid`` (blue line)."""
    ax.plot(grid, predict(grid), **{**STYLE["network"], "label": label, **line})
    ax.scatter(data.x, data.y, **{**STYLE["data"], "label": r"$(x_n, y_n)$"})
    if legend:
        ax.legend(loc="upper left", frameon=False)


def _mirror(ax, point, y=0.0):
    ax.scatter([point], [y], **STYLE["mirror"])


def paper_figure_2(panels, *, width: float = 7.5):
    """Paper Figure 2: one row, two panels.

    ``panels``: two dicts with ``data``, ``adam`` (callable grid → values, the network
    trained with the authors' protocol), ``optimum`` (callable), ``mirror`` (float)
    and ``kink`` (the authors' kink measure of the Adam network).
    Returns ``(fig, axes)`` with ``axes.shape == (2,)``.
    """
    fig, axes = plt.subplots(1, 2, figsize=(width, 3.6), sharey=True)
    for i, (ax, p) in enumerate(zip(axes, panels)):
        grid = _grid(p["data"], [p["mirror"]])
        ax.plot(grid, p["optimum"](grid), color="black", ls="--", lw=1.2,
                label="certified optimum")
        draw_prediction(ax, p["data"], grid, p["adam"], label="Adam (authors' protocol)")
        _mirror(ax, p["mirror"])
        ax.text(0.97, 0.25, f"kink {p['kink']:.2f}", transform=ax.transAxes, ha="right")
        ax.set_xticks(np.arange(np.floor(grid[0]), np.ceil(grid[-1])))
        ax.set_xlabel("x")
    axes[0].set_ylabel("4 layers")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig, axes


def paper_figure_3(data, lasso: dict, adam: dict, *, width: float = 7.5):
    """Paper Figure 3: a 3×3 grid.  Columns ``L = 2, 3, 4``; rows: the Lasso's selected
    features, the Lasso network, the network trained with Adam (authors' protocol).

    ``lasso``: ``{L: PanelNetwork}``; ``adam``: ``{L: callable grid → values}``.
    Returns ``(fig, axes)``, ``axes.shape == (3, 3)``.
    """
    depths = (2, 3, 4)
    fig, axes = plt.subplots(3, 3, figsize=(width, 6.6), sharex=True)
    grid = _grid(data)
    for j, L in enumerate(depths):
        draw_features(axes[0, j], lasso[L], grid)
        draw_prediction(axes[1, j], data, grid, lasso[L].predict, legend=j == 0)
        draw_prediction(axes[2, j], data, grid, adam[L])
        axes[2, j].set_xlabel("x")
        axes[0, j].set_title(f"L = {L}")
    for i, name in enumerate(("features", "Lasso", "Adam")):
        axes[i, 0].set_ylabel(name)
    for ax in axes[1:].ravel():
        ax.set_ylim(-0.6, 4.6)
    fig.tight_layout()
    return fig, axes


def paper_figure_18(data, lasso: dict, paper: dict | None = None, *, width: float = 7.5):
    """Paper Figure 18: a 2×3 grid.  Columns ``L = 2, 3, 4``; rows: selected features,
    Lasso network.  ``paper``: ``{L: PanelNetwork}`` the paper draws where it differs
    (dashed).  Returns ``(fig, axes)``, ``axes.shape == (2, 3)``.
    """
    paper = paper or {}
    fig, axes = plt.subplots(2, 3, figsize=(width, 4.8), sharex=True)
    grid = _grid(data)
    for j, L in enumerate((2, 3, 4)):
        draw_features(axes[0, j], lasso[L], grid)
        ax = axes[1, j]
        if L in paper:
            ax.plot(grid, paper[L].predict(grid), color="tab:gray", ls="--", lw=1.5,
                    label="the paper's")
        draw_prediction(ax, data, grid, lasso[L].predict, legend=j == 0 or L in paper)
        ax.set_xlabel("x")
        axes[0, j].set_title(f"L = {L}")
        ax.set_ylim(-6, 11)
    axes[0, 0].set_ylabel("features")
    axes[1, 0].set_ylabel("Lasso")
    fig.tight_layout()
    return fig, axes


def paper_figure_19(data, lasso: dict, adam: dict, paper: dict | None = None, *,
                    mirror: float = 4.0, width: float = 7.0):
    """Paper Figure 19: a 2×2 grid.  Columns ``L = 3, 4``; rows: Lasso network,
    network trained with Adam (authors' protocol).  ``paper``: ``{L: PanelNetwork}``
    drawn dashed where the paper's Lasso panel differs.  Returns ``(fig, axes)``,
    ``axes.shape == (2, 2)``.
    """
    paper = paper or {}
    fig, axes = plt.subplots(2, 2, figsize=(width, 4.8), sharex=True, sharey=True)
    grid = _grid(data)
    for j, L in enumerate((3, 4)):
        ax = axes[0, j]
        if L in paper:
            ax.plot(grid, paper[L].predict(grid), color="tab:gray", ls="--", lw=1.5,
                    label="the paper's")
        draw_prediction(ax, data, grid, lasso[L].predict, legend=True)
        draw_prediction(axes[1, j], data, grid, adam[L])
        _mirror(axes[1, j], mirror)
        axes[0, j].set_title(f"L = {L}")
        axes[1, j].set_xlabel("x")
    axes[0, 0].set_ylabel("Lasso")
    axes[1, 0].set_ylabel("Adam")
    fig.tight_layout()
    return fig, axes
