r"""Autoregressive time series: one-step-ahead prediction as a 1-D certified Lasso.

A network that predicts :math:`x_{t+1}` from :math:`x_t` is a one-dimensional
regression on the *lag pairs* :math:`(x_t, x_{t+1})`, so every family of this book
trains it to a certified global optimum (:func:`lassobook.solvers.working_set.fit_structured`)
and Adam can be run on exactly the same regularized objective for comparison.

The pipeline, one function per noun:

* :func:`load_series` — a real series shipped inside statsmodels (no download):
  ``"sunspots"`` (yearly ``SUNACTIVITY`` 1700–2008, 309 values) and ``"nile"``
  (yearly ``volume`` at Aswan 1871–1970, 100 values, in 1e8 m³);
* :func:`lag_pairs` — ``(x_t, x_{t+1})`` for ``t = 0 … n − 2``;
* :func:`chronological_split` — the first ``floor(train_fraction · pairs)`` pairs
  train, the rest test; no shuffling;
* :func:`prepare` — all of the above plus a fixed rescaling, as an :class:`ARData`;
* :func:`rolling_origin_folds`, :func:`validate_beta` — β chosen on the
  training span only;
* :func:`compare` — the certified Lasso and seeded Adam runs at one β, an
  :class:`ARComparison` with the numbers of the chapter's table.

Units
-----
The series is divided by ``scale`` = the largest ``|x_t|`` of the training pairs,
so inputs lie in ``[0, 1]`` (both the Lasso solver and Adam are better conditioned
there). Objectives and β are in these scaled units; mean squared errors are
reported back in the series' own units (``× scale²``).

Duplicate inputs
----------------
Real series repeat values: 41 of the 246 sunspot training inputs equal an
earlier one, 12 of the 79 Nile ones. They are kept as they are, every pair with
its own target. :func:`lassobook.core.data.as_dataset` merges repeated inputs
exactly: with ``n_g`` pairs at the input ``x_g`` and ``ȳ_g`` their mean target,

``½Σ_i (f(x_i) − y_i)² = ½Σ_g n_g (f(x_g) − ȳ_g)² + ½Σ_i (y_i − ȳ_{g(i)})²``,

a weighted least-squares term on the distinct inputs plus a constant that no
network can fit (the dataset's ``offset``). So the Lasso solves, and Adam
trains on, exactly the network's regularized objective over all training pairs,
and the reported objectives (``offset`` included) are those of the raw pairs.
Nothing is perturbed; ``ARData.n_ties`` counts the repeats.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from lassobook.analysis.kinks import reflection_mirrors
from lassobook.core.data import _as_1d_float
from lassobook.solvers.lasso import SolverError

#: name -> (statsmodels dataset, time column, value column, number of values, description)
SERIES = {
    "sunspots": ("sunspots", "YEAR", "SUNACTIVITY", 309, "yearly sunspot activity, 1700-2008"),
    "nile": ("nile", "year", "volume", 100, "yearly Nile flow at Aswan in 1e8 m^3, 1871-1970"),
}


#: how the text names each series
TITLES = {"sunspots": "yearly sunspot activity (1700–2008)",
          "nile": "yearly flow of the Nile at Aswan (1871–1970)"}


#: axis label of each series, in its own units
LABELS = {"sunspots": "sunspot activity", "nile": "Nile flow (10⁸ m³)"}


def load_series(name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(time, values)`` of a series shipped inside statsmodels, both of shape (n,), float64.

    ``name`` is a key of :data:`SERIES` (``"sunspots"``: n = 309, ``"nile"``: n = 100).
    """
    if name not in SERIES:
        raise ValueError(f"unknown series {name!r}; available: {', '.join(SERIES)}")
    import statsmodels.api as sm

    module, tcol, vcol, n, _ = SERIES[name]
    frame = getattr(sm.datasets, module).load_pandas().data
    t = frame[tcol].to_numpy(dtype=np.float64)
    v = frame[vcol].to_numpy(dtype=np.float64)
    if v.size != n or np.isnan(v).any() or np.isnan(t).any():
        raise RuntimeError(f"statsmodels' {name} data is not the documented {n} complete values")
    return t, v


def lag_pairs(series) -> tuple[np.ndarray, np.ndarray]:
    """``(x_t, x_{t+1})``: inputs ``series[:-1]`` and targets ``series[1:]``, shape (n − 1,) each."""
    s = _as_1d_float(series, "series")
    if s.size < 3:
        raise ValueError(f"a series needs at least 3 values for lag pairs, got {s.size}")
    return s[:-1].copy(), s[1:].copy()


def chronological_split(x, y, train_fraction: float = 0.8):
    """``(x_train, y_train, x_test, y_test)``: the first ``floor(train_fraction · n)`` pairs, then the rest.

    No shuffling: every test pair comes after every training pair in time.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be 1-D of the same length, got shapes {x.shape} and {y.shape}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction!r}")
    m = int(np.floor(train_fraction * x.size))
    if m < 2 or m >= x.size:
        raise ValueError(f"train_fraction {train_fraction} leaves {m} training pairs of {x.size}")
    return x[:m], y[:m], x[m:], y[m:]


@dataclass
class ARData:
    """Lag pairs of one series, split chronologically and rescaled (inputs kept as they are).

    Attributes
    ----------
    name : str
    time, series : ndarray of shape (n,)
        The raw series (own units).
    scale : float
        Divisor of the series (largest ``|x_t|`` of the training inputs).
    x_train, y_train : ndarray of shape (m,)
        Scaled training pairs, repeated inputs included (merged exactly by the
        solvers, see the module docstring).
    x_test, y_test : ndarray of shape (n − 1 − m,)
        Scaled test pairs.
    t_train, t_test : ndarray
        Time of each *target* ``x_{t+1}``.
    n_ties : int
        Training inputs that equal an earlier one.
    """

    name: str
    time: np.ndarray = field(repr=False)
    series: np.ndarray = field(repr=False)
    scale: float
    x_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    x_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    t_train: np.ndarray = field(repr=False)
    t_test: np.ndarray = field(repr=False)
    n_ties: int

    @property
    def n_train(self) -> int:
        return self.x_train.size

    @property
    def n_test(self) -> int:
        return self.x_test.size

    def mse(self, predicted, y) -> float:
        """Mean squared error in the series' own units (inputs in scaled units)."""
        return float(np.mean((np.asarray(predicted) - np.asarray(y)) ** 2) * self.scale ** 2)


def prepare(name: str, *, train_fraction: float = 0.8, n_values: int | None = None) -> ARData:
    """Load ``name``, form lag pairs, split and rescale (see the module docstring).

    Every pair is kept unchanged (repeated inputs included). ``n_values`` keeps
    only the first values of the series (tests: a small slice).
    """
    t, v = load_series(name)
    if n_values is not None:
        t, v = t[:n_values], v[:n_values]
    x, y = lag_pairs(v)
    x_tr, y_tr, x_te, y_te = chronological_split(x, y, train_fraction)
    scale = float(np.abs(x_tr).max()) or 1.0
    m = x_tr.size
    return ARData(name=name, time=t, series=v, scale=scale, x_train=x_tr / scale, y_train=y_tr / scale,
                  x_test=x_te / scale, y_test=y_te / scale, t_train=t[1:m + 1], t_test=t[m + 1:],
                  n_ties=int(m - np.unique(x_tr).size))


def rolling_origin_folds(n: int, n_folds: int = 3, first: float = 0.5) -> list[tuple[slice, slice]]:
    """Rolling-origin folds on ``n`` training pairs: ``[(fit, validate), …]`` as slices.

    Fold ``k`` fits on the pairs ``[0, e_k)`` and validates one step ahead on the
    next block ``[e_k, e_{k+1})``; ``e_0 = floor(first · n)``, the blocks split the
    rest evenly. The origin only moves forward: no pair validates a model fitted on
    later pairs.
    """
    if n_folds < 1:
        raise ValueError(f"n_folds must be at least 1, got {n_folds!r}")
    ends = np.linspace(int(np.floor(first * n)), n, n_folds + 1).round().astype(int)
    if ends[0] < 3 or np.any(np.diff(ends) < 1):
        raise ValueError(f"{n} pairs are too few for {n_folds} folds starting at {first}")
    return [(slice(0, int(a)), slice(int(a), int(b))) for a, b in zip(ends[:-1], ends[1:])]


def fit_certified(x, y, *, family, beta: float, tol: float = 1e-6):
    """:func:`~lassobook.solvers.working_set.fit_structured`, retried at ``tol = 1e-5`` if the restricted solve
    cannot reach ``tol`` (near-collinear columns at small β). The returned fit's own
    certificate says which tolerance holds."""
    from lassobook.solvers.working_set import fit_structured

    try:
        return fit_structured(x, y, family=family, beta=beta, tol=tol)
    except SolverError:
        return fit_structured(x, y, family=family, beta=beta, tol=max(1e-5, 10 * tol))


def _adam(x, y, *, family, beta, seeds, epochs, width, lr):
    from lassobook.training import train_adam

    return train_adam(x, y, family=family, beta=beta, width=width, seeds=seeds, epochs=epochs, lr=lr,
                      progress=False)


@dataclass
class Validation:
    """Rolling-origin validation of β for one family.

    ``lasso_mse`` and ``adam_mse`` have shape ``(len(betas), n_folds)`` (own units);
    Adam's model in a fold is its run with the lowest *training* objective.
    ``beta`` is the grid value with the smallest mean Lasso validation MSE;
    ``beta_adam`` the one Adam's validation would pick.
    """

    betas: np.ndarray
    lasso_mse: np.ndarray
    adam_mse: np.ndarray
    wall_time: float

    @property
    def beta(self) -> float:
        return float(self.betas[np.argmin(self.lasso_mse.mean(axis=1))])

    @property
    def beta_adam(self) -> float:
        return float(self.betas[np.argmin(self.adam_mse.mean(axis=1))])


def validate_beta(data: ARData, family, betas, *, n_folds: int = 3, adam_seeds=range(2),
                  adam_epochs: int = 500, width: int = 30, lr: float = 2e-2) -> Validation:
    """Score every β of ``betas`` by rolling-origin one-step-ahead MSE on the training span, both methods alike."""
    t0 = time.perf_counter()
    betas = np.asarray(betas, dtype=np.float64)
    folds = rolling_origin_folds(data.n_train, n_folds)
    lasso = np.empty((betas.size, len(folds)))
    adam = np.empty_like(lasso)
    for i, beta in enumerate(betas):
        for k, (fit_part, val_part) in enumerate(folds):
            x, y = data.x_train[fit_part], data.y_train[fit_part]
            xv, yv = data.x_train[val_part], data.y_train[val_part]
            fit = fit_certified(x, y, family=family, beta=beta)
            lasso[i, k] = data.mse(fit.predict(xv), yv)
            runs = _adam(x, y, family=family, beta=beta, seeds=adam_seeds, epochs=adam_epochs,
                         width=width, lr=lr)
            adam[i, k] = data.mse(runs.network.predict(xv, model=runs.best()), yv)
    return Validation(betas, lasso, adam, time.perf_counter() - t0)


@dataclass
class ARComparison:
    """The certified Lasso and seeded Adam runs of one family at one β (scaled units).

    Attributes
    ----------
    name : str
        Family label for tables.
    fit : StructuredFit
    certificate : Certificate
    adam : AdamRuns
    lasso_time : float
        Seconds for the Lasso fit and its certificate.
    lasso_test_mse, adam_test_mse : float, ndarray of shape (S,)
        One-step-ahead test MSE in the series' own units.
    """

    name: str
    beta: float
    fit: object = field(repr=False)
    certificate: object = field(repr=False)
    adam: object = field(repr=False)
    lasso_time: float
    lasso_test_mse: float
    adam_test_mse: np.ndarray = field(repr=False)

    @property
    def gaps(self) -> np.ndarray:
        """Relative gaps of every Adam run to the certified optimum."""
        return self.adam.gaps(self.fit.objective)

    def row(self) -> dict:
        """One row of the chapter's table."""
        best = self.adam.best()
        return {
            "network": self.name, "beta": self.beta,
            "Lasso objective": self.fit.objective, "Adam best objective": float(self.adam.objectives[best]),
            "gap min": float(self.gaps.min()), "gap median": float(np.median(self.gaps)),
            "Lasso test MSE": self.lasso_test_mse, "Adam test MSE (best run)": float(self.adam_test_mse[best]),
            "Adam test MSE median": float(np.median(self.adam_test_mse)),
            "Lasso neurons": int(self.fit.support.size), "Adam width": int(self.adam.width),
            "Lasso s": self.lasso_time, "Adam s": self.adam.wall_time, "Adam runs": int(self.adam.seeds.size),
        }


def compare(data: ARData, family, beta: float, *, name: str | None = None, seeds=range(20),
            epochs: int = 5000, width: int = 30, lr: float = 2e-2) -> ARComparison:
    """Fit the certified Lasso and train Adam from ``seeds`` on the same training pairs and β."""
    t0 = time.perf_counter()
    fit = fit_certified(data.x_train, data.y_train, family=family, beta=beta)
    cert = fit.certificate()
    lasso_time = time.perf_counter() - t0
    runs = _adam(data.x_train, data.y_train, family=family, beta=beta, seeds=seeds, epochs=epochs,
                 width=width, lr=lr)
    adam_mse = np.array([data.mse(runs.network.predict(data.x_test, model=k), data.y_test)
                         for k in range(runs.seeds.size)])
    return ARComparison(name=name or repr(family), beta=float(beta), fit=fit, certificate=cert, adam=runs,
                        lasso_time=lasso_time, lasso_test_mse=data.mse(fit.predict(data.x_test), data.y_test),
                        adam_test_mse=adam_mse)


# ---------------------------------------------------------------------- the chapter's tables
def validation_table(validation: dict, names: dict):
    """Mean validation MSE per β (rows) and network (columns), Lasso and Adam, as a DataFrame.

    ``validation``: key -> :class:`Validation`; ``names``: key -> readable network name."""
    import pandas as pd

    cols = {}
    for key, v in validation.items():
        cols[("Lasso", names[key])] = v.lasso_mse.mean(axis=1)
        cols[("Adam", names[key])] = v.adam_mse.mean(axis=1)
    betas = next(iter(validation.values())).betas
    df = pd.DataFrame(cols, index=pd.Index(betas, name="β"))
    df.columns = pd.MultiIndex.from_tuples(df.columns, names=["method", "network"])
    return df.sort_index(axis=1, level=0, sort_remaining=False)


def choice_table(validation: dict, names: dict):
    """The β each family gets (smallest mean Lasso validation MSE), the one Adam's own
    validation would pick, and the seconds validation took, as a DataFrame."""
    import pandas as pd

    return pd.DataFrame({"chosen β": {names[k]: v.beta for k, v in validation.items()},
                         "Adam would pick": {names[k]: v.beta_adam
                                             for k, v in validation.items()},
                         "seconds": {names[k]: v.wall_time for k, v in validation.items()}})


def comparison_table(results: dict, *, reached: float = 1e-4):
    """One row per network: β, objectives, Adam's gaps, test MSEs, neurons and times."""
    import pandas as pd

    rows = []
    for r in results.values():
        row = r.row()
        g = r.gaps
        rows.append({"network": r.name, "β": r.beta,
                     "Lasso objective": row["Lasso objective"],
                     "Adam best objective": row["Adam best objective"],
                     f"Adam runs within {reached:g}": f"{int(np.sum(g <= reached))}/{g.size}",
                     "gap min": row["gap min"], "gap median": row["gap median"],
                     "Lasso test MSE": row["Lasso test MSE"],
                     "Adam test MSE (best run)": row["Adam test MSE (best run)"],
                     "Lasso neurons": row["Lasso neurons"],
                     "Lasso s": row["Lasso s"], "Adam s": row["Adam s"]})
    return pd.DataFrame(rows).set_index("network")


def map_kinks(r, data: ARData | None, grid) -> tuple[np.ndarray, np.ndarray]:
    """Kinks and reflection points of the certified network of ``r`` inside ``grid``,
    in the series' own units (scaled units when ``data`` is None)."""
    kinks = np.unique(np.concatenate([n["kinks"] for n in r.fit.neurons()] or [np.empty(0)]))
    kinks = kinks[(kinks >= grid[0]) & (kinks <= grid[-1])]
    mirrors = reflection_mirrors(r.fit)
    mirrors = mirrors[(mirrors >= grid[0]) & (mirrors <= grid[-1])]
    scale = 1.0 if data is None else data.scale
    return kinks * scale, mirrors * scale


# ---------------------------------------------------------------------- the chapter's figures
def plot_predictions(data: ARData, results: dict, ax=None):
    """One-step-ahead predictions over the test span: observed, each Lasso network (solid)
    and Adam's best run (dashed, same colour)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6))
    from matplotlib.ticker import MaxNLocator


    ax.plot(data.t_test, data.y_test * data.scale, "o-", color="black", ms=3,
            lw=0.8, label="observed")
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown"]
    for r, colour in zip(results.values(), colours * len(results)):
        (line,) = ax.plot(data.t_test, r.fit.predict(data.x_test) * data.scale, lw=1.6,
                          color=colour, label=f"{r.name}: Lasso")
        adam = r.adam.network.predict(data.x_test, model=r.adam.best())
        ax.plot(data.t_test, adam * data.scale, ls="--", lw=1, color=line.get_color(),
                label=f"{r.name}: Adam")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("year of the predicted value")
    ax.set_ylabel(LABELS.get(data.name, data.name))
    return ax


def plot_maps(data: ARData, results: dict, *, ncols: int = 2, panel=(3.6, 2.9)):
    """The learned maps ``x_t ↦ x_{t+1}``, one panel per family on a grid of at most
    ``ncols`` (≤ 3) columns: training and test pairs, the certified network with its
    kinks (black) and reflection points (green), Adam's best run.  Returns the figure."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import STYLE, input_grid

    n = len(results)
    cols = min(ncols, 3, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(panel[0] * cols, panel[1] * rows + 0.5),
                             sharex=True, sharey=True, squeeze=False)
    grid = input_grid(np.r_[data.x_train, data.x_test], margin=0.03)
    s = data.scale
    for ax, r in zip(axes.flat, results.values()):
        ax.scatter(data.x_train * s, data.y_train * s, **{**STYLE["data"], "s": 8})
        ax.scatter(data.x_test * s, data.y_test * s, color="gray", s=8, label="test pairs")
        values = r.fit.predict(grid)
        ax.plot(grid * s, values * s, **{**STYLE["network"], "label": "Lasso network"})
        adam = r.adam.network.predict(grid, model=r.adam.best())
        ax.plot(grid * s, adam * s, **{**STYLE["adam"], "label": "Adam best run"})
        kinks, mirrors = map_kinks(r, data, grid)
        ax.scatter(kinks, np.interp(kinks, grid * s, values * s), **STYLE["kink"])
        if mirrors.size:
            ax.scatter(mirrors, np.interp(mirrors, grid * s, values * s), **STYLE["mirror"])
        ax.set_title(f"{r.name}: {r.fit.support.size} neurons")
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("$x_{t+1}$")
    for k, ax in enumerate(axes.flat[:n]):
        if k + cols >= n:
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("$x_t$")
    handles, labels = {}, {}
    for ax in axes.flat[:n]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    fig.legend(list(handles.values()), list(handles), loc="lower center",
               ncol=min(4, len(handles)), frameon=False)
    fig.tight_layout(rect=(0, 0.5 / (panel[1] * rows + 0.5) + 0.03, 1, 1))
    return fig


# ---------------------------------------------------------------------- the chapter's checks
def check_data(data: ARData) -> dict:
    """Assert the split is complete, chronological and counts its repeats; return the
    numbers the chapter quotes (values, pairs, years of the targets, repeats)."""
    n_values = SERIES[data.name][3] if data.series.size == SERIES[data.name][3] else None
    assert n_values is not None and not np.isnan(data.series).any()
    assert data.n_train + data.n_test == n_values - 1
    assert data.t_train.max() < data.t_test.min()
    assert data.n_ties == data.n_train - np.unique(data.x_train).size
    return {"values": int(data.series.size), "train": data.n_train, "test": data.n_test,
            "train_from": int(data.t_train[0]), "train_to": int(data.t_train[-1]),
            "test_from": int(data.t_test[0]), "test_to": int(data.t_test[-1]),
            "ties": int(data.n_ties)}


def check_merging(data: ARData, family, beta: float) -> float:
    """Fit once, certified, and evaluate the rebuilt network on every raw training pair
    (no weights, no merging): asserts the objectives agree to 1e-8 and the pairs merged
    into the distinct inputs; returns the relative difference."""
    fit = fit_certified(data.x_train, data.y_train, family=family, beta=beta)
    net = fit.network()
    on_pairs = float(net.objective(data.x_train, data.y_train, beta)[0].detach())
    rel = abs(on_pairs - fit.objective) / fit.objective
    assert fit.certificate().certified and fit.data.n_rows == data.n_train
    assert fit.data.n == data.n_train - data.n_ties and rel < 1e-8, rel
    return float(rel)


def adam_summary(results: dict, *, tol: float = 1e-6, reached: float = 1e-4) -> dict:
    """Over all families: is every fit certified, is every Adam run at or above its
    optimum (to ``tol``), the runs, the smallest and median relative gap, the runs within
    ``reached``, the families whose Lasso network predicts the test span better than
    Adam's best run, and the kinks and reflection points of the certified networks."""
    gaps = np.concatenate([r.gaps for r in results.values()])
    kinks = [map_kinks(r, None, [-np.inf, np.inf]) for r in results.values()]
    return {
        "certified": all(r.certificate.certified for r in results.values()),
        "below": all(bool(np.all(r.adam.objectives >= r.fit.objective * (1 - tol)))
                     for r in results.values()),
        "runs": int(gaps.size), "gap_min": float(gaps.min()),
        "gap_median": float(np.median(gaps)), "reached": int(np.sum(gaps <= reached)),
        "lasso_better": int(sum(r.lasso_test_mse < r.row()["Adam test MSE (best run)"]
                                for r in results.values())),
        "families": len(results),
        "kinks": int(sum(k.size for k, _ in kinks)),
        "mirrors": int(sum(m.size for _, m in kinks)),
    }


#: number formats of :func:`comparison_table`'s columns (``DataFrame.style.format``)
COMPARISON_FORMATS = {
    "β": "{:g}", "Lasso objective": "{:.6f}", "Adam best objective": "{:.6f}",
    "gap min": "{:.2e}", "gap median": "{:.2e}", "Lasso test MSE": "{:.1f}",
    "Adam test MSE (best run)": "{:.1f}", "Lasso s": "{:.3f}", "Adam s": "{:.1f}"}
