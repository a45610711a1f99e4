r"""Three-layer absolute-value networks: the library of mirrors.

A *unit* of the parallel three-layer absolute-value network is

.. math:: \alpha\,\bigl|\,w_2\,|w_1 x + b_1| + b_2\bigr| ,

penalized by ``(β/3)(|w_1|³ + |w_2|³ + |α|³)``; biases are free.  Write
``a = −b_1/w_1`` and ``c = −b_2/(w_2|w_1|)``: the unit equals
``α|w_1 w_2| · ||x − a| − c|``, and by AM–GM its penalty is at least
``β|α w_1 w_2|``, with equality when ``|w_1| = |w_2| = |α|``.  So, after
rescaling, a unit adds ``z · g_{a,c}(x)`` at cost ``β|z|`` with the normalized shape

.. math:: g_{a,c}(x) = \bigl|\,|x - a| - c\,\bigr| ,\qquad c \ge 0,

whose kinks are ``a − c, a, a + c`` (just ``a`` when ``c = 0``).  A negative
``c`` gives ``|x − a| + |c|``, the two-layer shape plus a constant the output
bias absorbs, so ``c ≥ 0`` loses nothing.

On the data the shape is piecewise linear in ``(a, c)``; the pieces are the
cells of the arrangement of the lines ``a = x_n`` and ``a ± c = x_n`` ("a data
point sits on a kink") in the half-plane ``c ≥ 0``.  The Lasso dual is linear
on each cell and every cell is pointed, so its maximum over the continuous
family is attained at a *vertex*.  The vertices are exactly the three kinds of
columns of :meth:`ThreeLayerAbs.raw_dictionary`:

* ``kind 0`` — **two-layer** features ``|x − x_j|`` (``a = x_j``, ``c = 0``:
  the lines meet the boundary ``c = 0``);
* ``kind 1`` — **reflection** features ``a = x_i``, ``c = |x_j − x_i|``
  (``a = x_i`` meets ``a ± c = x_j``), kinks ``x_i, x_j`` and the mirror
  ``2x_i − x_j`` of ``x_j`` about ``x_i``;
* ``kind 2`` — **midpoint** features ``a = (x_i + x_j)/2``, ``c = |x_i − x_j|/2``
  (``a − c = x_i`` meets ``a + c = x_j``), i.e. ``min(|x − x_i|, |x − x_j|)``:
  a "V" with two bottoms, one at each data point.

See Also
--------
lassobook.families.TwoLayer : the two-layer families (``|x − x_j|`` only).
lassobook.core.certificate.certify : the dual search over the continuous ``(a, c)`` family.
"""

from __future__ import annotations

import numpy as np

from lassobook.analysis.kinks import MirrorKinks, dual_tight_fraction, tight_set
from lassobook.families.abs3 import FEATURE_KINDS, ThreeLayerAbs
from lassobook.paper.abs_plots import _kinks_text

#: A dataset on which reflection features alone are not enough: the optimal
#: network is two midpoint units, ``z·(min(|x|, |x − 3|) − min(|x − 2|, |x − 5|))``,
#: and the reflection-only Lasso has a strictly larger optimum.  It was the only
#: hit of an exhaustive search over four points ``0 = x_1 < … < x_4 ≤ 6`` (integers)
#: with labels in {0, 1} (``y_1 = 0``) at β = 0.1; β = 0.5 gives the largest
#: relative gap among the β tried (0.01 … 0.8).
COUNTEREXAMPLE = {"x": (0.0, 2.0, 3.0, 5.0), "y": (0.0, 1.0, 0.0, 1.0), "beta": 0.5}


#: A dataset whose optimal network is *unique* on the data (:func:`tight_set`)
#: and has a kink at a mirror strictly inside the data: the unit
#: ``mirror(x4=0.02 about x3=-0.19)`` with kinks −0.4 (the mirror, between the
#: data points −0.64 and −0.2), −0.19 and 0.02.  It is ``random_dataset(6, 36,
#: noise=1.0)`` rounded to two decimals, found by a search over seeded random
#: datasets for a unique optimum with an inside mirror kink.
MIRROR_EXAMPLE = {"x": (-0.64, -0.2, -0.19, 0.02, 0.37, 0.79),
                  "y": (-0.58, -0.57, -1.45, 0.24, 1.62, 0.82), "beta": 0.03}


def library_table(dictionary):
    """One row per column of a three-layer abs dictionary: feature, kind, kinks, mirror."""
    import pandas as pd

    rows = []
    for k in range(dictionary.size):
        kind = int(dictionary.params["kind"][k])
        mirror = (2 * dictionary.params["center"][k] - dictionary.params["source"][k]
                  if kind == 1 else np.nan)
        rows.append({"feature": dictionary.labels[k],
                     "kind": FEATURE_KINDS[kind].replace("_", "-"),
                     "kinks": _kinks_text(dictionary.kinks(k)),
                     "mirror 2x_i − x_j": mirror})
    return pd.DataFrame(rows)


def library_selection(dictionary, per_kind: int = 3) -> np.ndarray:
    """``per_kind`` columns of each kind, evenly spread over the kind's columns."""
    kinds = np.asarray(dictionary.params["kind"])
    chosen = []
    for kind in FEATURE_KINDS:
        cols = np.flatnonzero(kinds == kind)
        if cols.size:
            idx = np.unique(np.linspace(0, cols.size - 1, min(per_kind, cols.size)).astype(int))
            chosen.extend(cols[idx])
    return np.array(chosen, dtype=int)


def check_library(raw, *, lo: float = -10.0, hi: float = 15.0) -> str:
    """Assert that the raw library is what :class:`ThreeLayerAbs` says it is.

    ``N`` two-layer columns, ``N(N−1)`` reflections with kinks exactly at
    ``x_i, x_j, 2x_i − x_j``, and ``N(N−1)/2`` midpoints equal to
    ``min(|x − x_i|, |x − x_j|)`` on a dense grid.  Returns a one-line verdict.
    """
    x = raw.data.x_sorted
    n = x.size
    kinds = np.asarray(raw.params["kind"])
    assert np.array_equal(np.bincount(kinds, minlength=3), [n, n * (n - 1), n * (n - 1) // 2])
    grid = np.linspace(lo, hi, 2001)
    values = raw.evaluate(grid)
    for k in range(raw.size):
        a, c, src = raw.params["center"][k], raw.params["offset"][k], raw.params["source"][k]
        if kinds[k] == 1:
            assert np.allclose(raw.kinks(k), np.sort([a, src, 2 * a - src])), raw.labels[k]
        if kinds[k] == 2:
            assert np.isin([a - c, a + c], x).all()
            expected = np.minimum(np.abs(grid - (a - c)), np.abs(grid - (a + c)))
            assert np.allclose(values[:, k], expected), raw.labels[k]
    return (f"all {raw.size} columns checked: {n} two-layer, {n * (n - 1)} reflections "
            f"with kinks at x_i, x_j, 2x_i − x_j, {n * (n - 1) // 2} midpoints equal to "
            "min(|x − x_i|, |x − x_j|)")


def fit_table(fits: dict, tol: float = 1e-6):
    """Lasso optimum against the rebuilt network's objective, and the certificate.

    ``fits`` maps a dataset name to a fit.  Asserts that both objectives agree to
    ``tol`` (relative) and that every certificate holds; returns
    ``(DataFrame, certificates)``.
    """
    import pandas as pd

    rows, certs = [], {}
    for name, fit in fits.items():
        net = fit.network_objective()
        rel = abs(net - fit.objective) / fit.objective
        cert = certs[name] = fit.certificate()
        assert rel <= tol, (name, rel)
        assert cert.certified, name
        rows.append({"data": name, "β": fit.beta, "Lasso optimum": fit.objective,
                     "network objective": net, "relative difference": rel,
                     "certificate ratio": cert.ratio})
    df = pd.DataFrame(rows).set_index("data")
    return df, certs


def units_table(fit):
    """The units of a fitted network: coefficient, feature and kinks."""
    import pandas as pd

    return pd.DataFrame([{"coefficient z": n["coefficient"], "feature": n["label"],
                          "kinks": _kinks_text(n["kinks"])} for n in fit.neurons()])


def _completeness_row(seed: int, n_points: int, noise: float, beta: float, features) -> dict:
    """One seed of :func:`completeness_study` (a module-level task, so workers can run it)."""
    from lassobook.core.data import random_dataset
    from lassobook.solvers.lasso import fit_dense

    data = random_dataset(n_points, seed, noise=noise)
    full = fit_dense(data, family=ThreeLayerAbs(), beta=beta)
    part = fit_dense(data, family=ThreeLayerAbs(features=tuple(features)), beta=beta)
    c_full, c_part = full.certificate(), part.certificate()
    return {"seed": seed, "full optimum": full.objective, "restricted optimum": part.objective,
            "excess": (part.objective - full.objective) / full.objective,
            "ratio full": c_full.ratio, "ratio restricted": c_part.ratio,
            "certified full": c_full.certified, "certified restricted": c_part.certified}


def completeness_study(n_datasets: int, n_points: int, *, noise: float, beta: float,
                       features=("two_layer", "reflection"), n_jobs: int = 1, backend=None):
    """Fit the full and a restricted dictionary on seeded random datasets and certify both.

    One task per seed through :func:`lassobook.sweeps.sweep` (``n_jobs`` local
    workers, or ``backend="dask"`` on a cluster; the same numbers either way).
    Returns a DataFrame with one row per seed: both optima, the restricted
    optimum's relative excess, both certificate ratios and verdicts.
    """
    import pandas as pd

    from lassobook.sweeps import sweep

    tasks = [dict(seed=seed, n_points=n_points, noise=noise, beta=beta, features=tuple(features))
             for seed in range(n_datasets)]
    return pd.DataFrame(sweep(_completeness_row, tasks, n_jobs=n_jobs, backend=backend)).set_index("seed")


def completeness_summary(study):
    """Two rows (full dictionary, reflection-only) summarizing :func:`completeness_study`."""
    import pandas as pd

    n = len(study)
    return pd.DataFrame(
        {"datasets": [n, n],
         "certified": [int(study["certified full"].sum()),
                       int(study["certified restricted"].sum())],
         "largest dual ratio": [study["ratio full"].max(), study["ratio restricted"].max()],
         "largest optimum excess": [0.0, study["excess"].max()]},
        index=pd.Index(["two-layer + reflection + midpoint", "two-layer + reflection"],
                       name="dictionary"))


def _clean(value: float, eps: float = 1e-12) -> float:
    """0.0 for round-off (|value| < eps), so tables do not show "-0.0%"."""
    return 0.0 if abs(value) < eps else float(value)


def depth_table(cases: dict, *, tol: float = 1e-6):
    """Two-layer against three-layer abs optima (vertex solutions) on ``{name: (data, β)}``.

    Asserts that three layers are never worse; returns a DataFrame.
    """
    import pandas as pd

    from lassobook.analysis.landscape import vertex_solution
    from lassobook.families import get_family
    from lassobook.solvers.lasso import fit_dense

    rows = []
    for name, (data, b) in cases.items():
        f2 = vertex_solution(fit_dense(data, family=get_family("abs"), beta=b))
        f3 = vertex_solution(fit_dense(data, family=ThreeLayerAbs(), beta=b))
        assert f3.objective <= f2.objective * (1 + tol), name
        rows.append({"data": name, "β": b, "2-layer optimum": f2.objective,
                     "2-layer units": f2.support.size, "3-layer optimum": f3.objective,
                     "3-layer units": f3.support.size,
                     "3 layers lower by": _clean((f2.objective - f3.objective)
                                                 / f2.objective)})
    return pd.DataFrame(rows).set_index("data")


def adam_table(runs: dict, optima: dict, *, tol: float = 1e-6):
    """Relative gaps of Adam runs to the Lasso optimum, per dataset.

    ``runs`` maps a dataset name to training runs, ``optima`` to the Lasso
    optimum.  Asserts no run ends below the optimum (beyond ``tol``).
    """
    import pandas as pd

    rows = []
    for name, r in runs.items():
        gaps = r.gaps(optima[name])
        assert gaps.min() >= -tol, (name, gaps.min())
        rows.append({"data": name, "Lasso optimum": optima[name], "runs": gaps.size,
                     "min gap": gaps.min(), "median gap": float(np.median(gaps)),
                     "max gap": gaps.max(), "within 1e-3": float(np.mean(gaps <= 1e-3)),
                     "time (s)": r.wall_time})
    return pd.DataFrame(rows).set_index("data")


def tight_table(fits: dict):
    """Per fit: the tight share of the ``(a, c)`` plane, tight vertices, uniqueness."""
    import pandas as pd

    rows = []
    for name, fit in fits.items():
        share = dual_tight_fraction(fit)
        tight = tight_set(fit)
        if share > 0:  # a tight region contains non-isolated tight vertices
            assert not tight.finite, name
        rows.append({"data": name, "tight share of the plane": share,
                     "tight vertices": len(tight.labels),
                     "isolated": int(tight.isolated.sum()),
                     "optimal network unique": tight.unique_network})
    return pd.DataFrame(rows).set_index("data")


def found_units_table(fit, found: np.ndarray):
    """The units of a (sparse) optimal network and the share of runs that found each."""
    df = units_table(fit)
    df["found in (share of runs)"] = found.mean(axis=0)
    return df


def mirror_kinks_table(stats: MirrorKinks, name: str):
    """One row summarizing :func:`mirror_kinks`: kinks counted, at a mirror, share, chance."""
    import pandas as pd

    assert (stats.at_mirror <= stats.inside).all() and 0 <= stats.chance <= 1
    return pd.DataFrame({"kinks counted": [int(stats.inside.sum())],
                         "at a mirror": [int(stats.at_mirror.sum())],
                         "share": [stats.fraction], "chance": [stats.chance],
                         "runs with a mirror kink": [stats.runs_with_mirror]},
                        index=pd.Index([name], name="data"))


def compare_table(fits: dict):
    """Optima of several dictionaries on the same data: optimum, a nearby fraction
    (denominator ≤ 1000), the excess over the first fit, the certificate ratio."""
    from fractions import Fraction

    import pandas as pd

    first = next(iter(fits.values())).objective
    rows = []
    for name, fit in fits.items():
        cert = fit.certificate()
        rows.append({"dictionary": name, "optimum": fit.objective,
                     "≈ fraction": str(Fraction(fit.objective).limit_denominator(1000)),
                     "excess over the first": (fit.objective - first) / first,
                     "certificate ratio": cert.ratio, "certified": cert.certified})
    return pd.DataFrame(rows).set_index("dictionary")


def blind_grid_ratio(fit, *, a_range=(-3.0, 8.0), c_range=(0.013, 8.0),
                     shape=(221, 161)) -> float:
    """``max |λᵀg_{a,c}(X)| / β`` over a plain grid of the ``(a, c)`` plane (no
    data-derived values), for the residual λ of ``fit``."""
    from lassobook.core.certificate import dual_correlations

    A, C = np.meshgrid(np.linspace(*a_range, shape[0]), np.linspace(*c_range, shape[1]))
    corr = dual_correlations(ThreeLayerAbs(), fit.data.x, fit.solution.residual,
                             {"center": A.ravel(), "offset": C.ravel()})
    return float(corr.max() / fit.beta)


def vertex_maximum(fit):
    """The largest ``|λᵀg|/β`` over every vertex of the arrangement, for ``fit``'s
    residual, and the labels and kinds of the vertices that attain it."""
    from lassobook.core.certificate import dual_correlations

    params, labels = ThreeLayerAbs().raw_dictionary(fit.data)
    at = dual_correlations(ThreeLayerAbs(), fit.data.x, fit.solution.residual, params)
    at = at / fit.beta
    best = np.flatnonzero(at >= at.max() * (1 - 1e-9))
    return float(at.max()), [labels[k] for k in best], params["kind"][best]


def check_consistency(study, tol: float = 1e-6) -> str:
    """Certificates and optima of :func:`completeness_study` agree: a certified
    restricted solution has the full optimum, none is below it, and every clearly
    refuted one (dual ratio > 1 + 1e-3) has a measurably larger optimum."""
    excess = study["excess"].to_numpy()
    certified = study["certified restricted"].to_numpy()
    assert (excess[certified] <= tol).all() and (excess >= -tol).all()
    clear = ~certified & (study["ratio restricted"].to_numpy() > 1 + 1e-3)
    assert (excess[clear] > 1e-9).all()
    return f"consistent: every clearly refuted dataset ({clear.sum()}) has a larger optimum"


def inside_mirror_units(fit) -> list:
    """Indices (in ``fit.neurons()``) of reflection units whose mirror lies strictly
    inside the data range."""
    lo, hi = fit.data.x.min(), fit.data.x.max()
    return [k for k, n in enumerate(fit.neurons()) if n["params"]["kind"] == 1
            and lo < 2 * n["params"]["center"] - n["params"]["source"] < hi]


def train_cases(cases: dict, *, width: int, seeds, epochs: int, lr: float):
    """Lasso fit and Adam runs of the three-layer abs network on ``{name: (data, β)}``.

    Returns ``(fits, runs)``, two dicts keyed like ``cases``.
    """
    from lassobook.solvers.lasso import fit_dense
    from lassobook.training import train_adam

    family = ThreeLayerAbs()
    fits = {name: fit_dense(d, family=family, beta=b) for name, (d, b) in cases.items()}
    runs = {name: train_adam(d, family=family, beta=b, width=width, seeds=seeds,
                             epochs=epochs, lr=lr)
            for name, (d, b) in cases.items()}
    return fits, runs


def sparse_optima(fits: dict, *, tol: float = 1e-6) -> dict:
    """A vertex solution (sparse optimal network) of every fit; asserts it has the
    fit's objective and at most ``N − 1`` units."""
    from lassobook.analysis.landscape import vertex_solution

    sparse = {}
    for name, fit in fits.items():
        s = sparse[name] = vertex_solution(fit)
        assert abs(s.network_objective() - fit.objective) <= tol * fit.objective, name
        assert s.support.size <= s.data.n - 1, name
    return sparse


def is_midpoint_shape(params: dict, x) -> bool:
    """Both outer kinks ``a ± c`` of the shape ``{"center": a, "offset": c}`` are data
    points and its center is not: a midpoint feature."""
    a, c = params["center"], params["offset"]
    return bool(np.isin([a - c, a + c], x).all() and not np.isin(a, x))
