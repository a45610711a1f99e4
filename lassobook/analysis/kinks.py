r"""Where networks bend: kinks of unit shapes, of optimal networks and of trained ones.

The paper's point is *where* optimal 1-D networks put their kinks: at data points,
midpoints and reflections ``2x_i − x_j`` (:mod:`lassobook.core.points`), and, for
deeper absolute-value chains, at mirrors of those.  This module measures it:

* **kinks of shapes** — :func:`piecewise_kinks` finds the input-space kinks of a
  normalized chain exactly, layer by layer (a kink of ``f_{l+1}`` is a kink of ``f_l``
  or a point where ``f_l`` crosses the threshold ``t_l``; ``f_l`` is linear between its
  knots, so crossings are found by interpolation); :func:`classify_kinks` and
  :func:`kink_census` name each kink by the simplest point set containing it
  (:data:`KINK_CLASSES`), and :func:`mirror_order` predicts the deepest class from
  the activations;
* **optimal networks** — :func:`tight_set`, :func:`dual_tight_fraction` and
  :func:`tight_kinks`: the shapes on which the dual constraint ``|λᵀg(X)| ≤ β`` is
  tight are the only ones an optimal network of any width may use (KKT over unit
  measures), so they say where optimal networks can bend and whether the optimal
  network is unique; :func:`reflection_mirrors` lists a fit's mirror points;
* **trained networks** — :func:`function_kinks` reads kinks off a sampled function;
  :func:`mirror_kinks` and :func:`found_units` compare the units of Adam-trained
  three-layer absolute-value networks (:func:`abs_unit_shapes`) with the data's
  mirrors and with the units of an optimal network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lassobook.core.activations import activation
from lassobook.core.networks import ChainNet, chain_function
from lassobook.core.points import mirror_set, reflect, second_order_points
from lassobook.families.abs3 import ThreeLayerAbs


# ---------------------------------------------------------------------- sparse optima
def dual_tight_fraction(fit, *, num: int = 201, rtol: float = 1e-6) -> float:
    """Share of a ``num × num`` grid over the ``(a, c)`` plane where ``|λᵀg_{a,c}(X)| ≥ β(1 − rtol)``.

    The grid spans centers ``[x_1 − span, x_N + span]`` and offsets ``[0, 2·span]``.
    Every tight shape may carry weight in an optimal network, so a positive share
    means the optimal networks form a continuum: their kinks are not pinned to the
    vertices (data points, mirrors, midpoints).  For a generic residual the tight
    set is a few vertices and the share is 0.
    """
    from lassobook.core.certificate import dual_correlations

    x = fit.data.x_sorted
    span = x[-1] - x[0]
    A, C = np.meshgrid(np.linspace(x[0] - span, x[-1] + span, num), np.linspace(0, 2 * span, num))
    corr = dual_correlations(ThreeLayerAbs(), fit.data.x, fit.solution.residual,
                             {"center": A.ravel(), "offset": C.ravel()})
    return float(np.mean(corr >= fit.beta * (1 - rtol)))


@dataclass
class TightSet:
    """The shapes ``g_{a,c}`` on which the dual constraint of a Lasso solution is tight.

    Every optimal network of any width is made of units with tight shapes
    (``|λᵀg(X)| = β``, sign matching the coefficient).  Within each cell of the
    arrangement the tight set is a face of the cell, and every face contains a
    vertex; so the tight set is finite, up to moves that change a shape on the
    data only by a constant (kinks sliding outside the data), exactly when each
    tight vertex is isolated in that sense.  That is checked by stepping a
    little from it along every arrangement line through it.

    Attributes
    ----------
    labels : list of str
        Raw dictionary labels of the tight vertices.
    params : dict of ndarray
        Their parameters (``center``, ``offset``, ``kind``, ``source``).
    isolated : ndarray of bool
        Per tight vertex: no tight shape on any arrangement line leaving it.
    independent : bool
        The tight vertices' data vectors, centered and counted once up to sign,
        are linearly independent (so the optimal fitted combination of them is unique).
    """

    labels: list
    params: dict
    isolated: np.ndarray
    independent: bool

    @property
    def finite(self) -> bool:
        """The tight set is these vertices (no tight edge, ray or region that changes the data vector)."""
        return bool(self.isolated.all())

    @property
    def unique_network(self) -> bool:
        """The optimal network is unique on the data (up to splitting units and to moving
        kinks in ways the data cannot see)."""
        return self.finite and self.independent


def tight_set(fit, *, rtol: float = 1e-7) -> TightSet:
    """The tight vertices of ``fit``'s dual vector and whether optimal networks are unique (see :class:`TightSet`)."""
    from lassobook.core.certificate import dual_correlations

    fam = ThreeLayerAbs()
    data, beta, lam = fit.data, fit.beta, fit.solution.residual
    params, labels = fam.raw_dictionary(data)
    corr = dual_correlations(fam, data.x, lam, params)
    tight = np.flatnonzero(corr >= beta * (1 - rtol))
    x = data.x_sorted
    gaps = np.diff(x)
    step = 1e-3 * (gaps.min() if gaps.size else 1.0)
    directions = np.array([[0, 1], [0, -1], [1, 1], [-1, -1], [1, -1], [-1, 1], [1, 0], [-1, 0]],
                          dtype=np.float64)
    isolated = np.ones(tight.size, dtype=bool)
    for n, k in enumerate(tight):
        a = params["center"][k] + step * directions[:, 0]
        c = params["offset"][k] + step * directions[:, 1]
        ok = c >= 0
        a, c = a[ok], c[ok]
        moved = dual_correlations(fam, data.x, lam, {"center": a, "offset": c})
        # a move that changes the shape on the data only by a constant (kinks moving
        # outside the data) gives the same network on the data: it does not count
        before = fam.shape(data.x[:, None], params["center"][k], params["offset"][k])
        after = fam.shape(data.x[:, None], a[None, :], c[None, :])
        change = after - before
        visible = np.ptp(change, axis=0) > 1e-6 * step
        isolated[n] = not ((moved >= beta * (1 - rtol)) & visible).any()
    cols = fam.shape(data.x[:, None], params["center"][None, tight], params["offset"][None, tight])
    cols = cols - cols.mean(axis=0)
    independent = True
    if tight.size:
        # shapes equal on the data up to a constant and a sign are one column of the Lasso
        scale = max(1.0, np.abs(cols).max())
        first = np.argmax(np.abs(cols) > 1e-9 * scale, axis=0)
        signed = cols * np.sign(cols[first, np.arange(cols.shape[1])])
        _, keep = np.unique(np.round(signed / (1e-9 * scale)), axis=1, return_index=True)
        distinct = signed[:, keep]
        independent = bool(np.linalg.matrix_rank(distinct, tol=1e-8 * scale) == distinct.shape[1])
    return TightSet(labels=[labels[k] for k in tight],
                    params={name: v[tight] for name, v in params.items()},
                    isolated=isolated, independent=independent)


# ---------------------------------------------------------------------- Adam's kinks

@dataclass
class MirrorKinks:
    """Where the kinks of trained networks land, relative to the data and its mirrors.

    Only *active* units count (``|α w1 w2| ≥ active · max`` over the run's units)
    and only kinks inside the data range ``[x_1, x_N]`` (outside it a kink does
    not change the fit on the data).  A kink is *at a data point* if within
    ``radius`` of one; otherwise it is *at a mirror* if within ``radius`` of a
    reflection ``2x_i − x_j`` that is not a data point.

    Attributes
    ----------
    inside : ndarray of shape (S,)
        Per run: active kinks inside the data range that are not at a data point.
    at_mirror : ndarray of shape (S,)
        Per run: how many of those are at a mirror.
    chance : float
        The fraction of the data range (minus the data points' ``radius``
        neighbourhoods) within ``radius`` of a non-data mirror: the rate at which
        kinks placed uniformly at random would land "at a mirror".
    mirrors : ndarray
        The non-data reflection points inside the data range.
    radius, active : float
    """

    inside: np.ndarray
    at_mirror: np.ndarray
    chance: float
    mirrors: np.ndarray
    radius: float
    active: float

    @property
    def fraction(self) -> float:
        """Share of all counted kinks (all runs) that are at a mirror (NaN if none counted)."""
        total = self.inside.sum()
        return float(self.at_mirror.sum() / total) if total else float("nan")

    @property
    def runs_with_mirror(self) -> float:
        """Share of runs with at least one kink at a mirror."""
        return float(np.mean(self.at_mirror > 0))


def abs_unit_shapes(network: ChainNet) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's center ``a = −b1/w1`` and offset ``c = −b2/(w2|w1|)`` in a three-layer
    absolute-value network (:meth:`lassobook.families.abs3.ThreeLayerAbs.network`), shape
    (n_models, width) each: the unit is ``α|w1 w2|·||x − a| − c|`` plus a constant.

    NaN for a unit whose ``w1`` or ``w2`` is zero (a constant unit).  A negative ``c``
    means the unit is ``|x − a|`` plus a constant.
    """
    acts = getattr(network, "activations", ())
    if len(acts) != 2 or not all(activation(a).even for a in acts):
        raise ValueError("abs_unit_shapes needs a ChainNet with two absolute-value layers "
                         "(ThreeLayerAbs().network(...)), got "
                         f"{getattr(network, 'activations', type(network).__name__)!r}")
    with torch.no_grad():
        w1, b1, w2, b2 = (p.numpy() for p in (network.w1, network.b1, network.w2, network.b2))
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(w1 != 0, -b1 / w1, np.nan)
        denom = w2 * np.abs(w1)
        c = np.where(denom != 0, -b2 / denom, np.nan)
    return a, c


def abs_unit_kinks(network: ChainNet) -> np.ndarray:
    """Kinks ``(a − c, a, a + c)`` of every unit of a three-layer absolute-value network,
    shape (n_models, width, 3) (:func:`abs_unit_shapes`); a unit with ``c ≤ 0`` has one
    kink, ``a``, and NaN in the other two entries."""
    a, c = abs_unit_shapes(network)
    with np.errstate(invalid="ignore"):
        outer = np.where(c > 0, c, np.nan)
    return np.stack([a - outer, a, a + outer], axis=-1)


def mirror_kinks(network: ChainNet, x_sorted, *, radius: float = 0.1,
                 active: float = 0.05) -> MirrorKinks:
    """Count the active kinks of every copy of a three-layer absolute-value ``network``
    that sit at mirrors (see :class:`MirrorKinks`)."""
    x = np.sort(np.asarray(x_sorted, dtype=np.float64))
    lo, hi = x[0], x[-1]
    refl = mirror_set(x, distinct=True)
    mirrors = refl[(np.abs(refl[:, None] - x[None, :]).min(axis=1) > 1e-9 * max(1.0, hi - lo))
                   & (refl >= lo) & (refl <= hi)]
    coef = np.abs(network.unit_coefficients())                          # (S, m)
    keep = coef >= active * coef.max(axis=1, keepdims=True)
    kinks = abs_unit_kinks(network)                                     # (S, m, 3)
    valid = keep[:, :, None] & np.isfinite(kinks)
    with np.errstate(invalid="ignore"):
        valid &= (kinks >= lo) & (kinks <= hi)
        near_data = np.abs(kinks[..., None] - x).min(axis=-1) <= radius
        counted = valid & ~near_data
        near_mirror = (np.abs(kinks[..., None] - mirrors).min(axis=-1, initial=np.inf) <= radius
                       if mirrors.size else np.zeros_like(counted))
    inside = counted.sum(axis=(1, 2))
    at_mirror = (counted & near_mirror).sum(axis=(1, 2))
    # chance level: measure of the data range near a mirror but not near a data point
    t = np.linspace(lo, hi, 20001)
    free = np.abs(t[:, None] - x).min(axis=1) > radius
    hit = (np.abs(t[:, None] - mirrors).min(axis=1) <= radius) if mirrors.size else np.zeros_like(free)
    chance = float((free & hit).sum() / max(1, free.sum()))
    return MirrorKinks(inside=inside, at_mirror=at_mirror, chance=chance, mirrors=mirrors,
                       radius=float(radius), active=float(active))


def found_units(network: ChainNet, params: dict, x_sorted, *, radius: float,
                active: float = 0.05, num: int = 400) -> np.ndarray:
    """Which target unit shapes each trained copy of ``network`` contains.

    Two shapes count as the same unit if, on the data range ``[x_1, x_N]``, they
    differ only by a sign and a constant (the output bias absorbs constants;
    e.g. ``mirror(x_i about x_j)`` and ``mirror(x_j about x_i)`` differ only
    outside the data when both mirrors are outside it) — up to ``radius``:

    ``min_{s=±1} max_{t ∈ [x_1, x_N]} |(g_u − mean g_u)(t) − s (g_k − mean g_k)(t)| ≤ radius``,

    means over a grid of ``num`` points.  Shapes have slopes ±1, so moving a
    kink by ``δ`` changes a shape by at most ``2δ``.

    Parameters
    ----------
    network : three-layer absolute-value ChainNet with S copies (``ThreeLayerAbs().network``)
    params : dict with arrays ``center``, ``offset`` of shape (K,)
        The target shapes (e.g. the units of a sparse optimal Lasso network).
    x_sorted : array_like
        The training inputs (their range is compared).
    radius : float
    active : float
        Only units with ``|α w1 w2|`` at least ``active`` times the copy's largest count.

    Returns
    -------
    ndarray of bool, shape (S, K)
    """
    x = np.asarray(x_sorted, dtype=np.float64)
    t = np.linspace(x.min(), x.max(), num)
    a, c = abs_unit_shapes(network)                                  # (S, m)
    coef = np.abs(network.unit_coefficients())
    keep = coef >= active * coef.max(axis=1, keepdims=True)
    keep &= np.isfinite(a) & np.isfinite(c)
    # a unit with c < 0 is |x − a| plus a constant: compare it as c = 0
    c = np.where(np.isfinite(c), np.maximum(c, 0.0), 0.0)
    a = np.where(np.isfinite(a), a, 0.0)
    units = np.abs(np.abs(t - a[..., None]) - c[..., None])           # (S, m, T)
    units -= units.mean(axis=-1, keepdims=True)
    ta = np.asarray(params["center"], dtype=np.float64)
    tc = np.asarray(params["offset"], dtype=np.float64)
    target = np.abs(np.abs(t - ta[:, None]) - tc[:, None])            # (K, T)
    target -= target.mean(axis=-1, keepdims=True)
    diff_plus = np.abs(units[:, :, None, :] - target).max(axis=-1)    # (S, m, K)
    diff_minus = np.abs(units[:, :, None, :] + target).max(axis=-1)
    close = (np.minimum(diff_plus, diff_minus) <= radius) & keep[:, :, None]
    return close.any(axis=1)


def reflection_mirrors(fit) -> np.ndarray:
    """The mirrors ``2x_i − x_j`` among a fit's units, sorted, unique (empty for families
    without reflection columns).

    Depth-4 deep narrow ReLU: ``a_1`` of its ``k = 1`` columns; three-layer absolute
    value: ``2·center − source`` of its reflection columns (``kind = 1``).
    """
    out = []
    for n in fit.neurons():
        p = n["params"]
        if int(p.get("k", 0)) == 1 and "a1" in p:
            out.append(p["a1"])
        elif int(p.get("kind", 0)) == 1 and "source" in p:
            out.append(reflect(p["source"], p["center"]))
    return np.unique(np.asarray(out, dtype=np.float64))


def piecewise_kinks(activations, signs, thresholds, rho: float = 0.1) -> np.ndarray:
    """The input-space kinks of one normalized chain (scalar ``signs``, ``thresholds``), sorted.

    Layer by layer: every kink of ``f_{l+1}`` is a kink of ``f_l`` or a point where
    ``f_l = t_l``; ``f_l`` is linear between its candidate knots and beyond them, so
    those points are found exactly (interpolation between knots, the two rays
    beyond).  The candidates where the slope of ``f_L`` does not change are dropped.
    """
    knots = np.zeros(0)
    for l in range(len(activations)):
        t = float(thresholds[l])
        if l == 0:
            knots = np.array([t])
            continue
        f = lambda z, l=l: chain_function(z, activations[:l], signs[:l], thresholds[:l], rho)  # noqa: E731
        probe = np.concatenate([[knots[0] - 1.0], knots, [knots[-1] + 1.0]])
        g = f(probe) - t
        roots = list(probe[1:-1][g[1:-1] == 0])
        cross = np.flatnonzero(g[:-1] * g[1:] < 0)
        roots += list(probe[cross] + (probe[cross + 1] - probe[cross]) * g[cross] / (g[cross] - g[cross + 1]))
        slope_left, slope_right = g[1] - g[0], g[-1] - g[-2]
        if slope_left != 0 and 0 < g[1] / slope_left:      # the left ray reaches t beyond knots[0]
            roots.append(knots[0] - g[1] / slope_left)
        if slope_right != 0 and g[-2] / slope_right < 0:   # the right ray reaches t beyond knots[-1]
            roots.append(knots[-1] - g[-2] / slope_right)
        knots = np.union1d(knots, np.array(roots, dtype=np.float64))
        close = np.diff(knots) <= 1e-12 * (1.0 + np.abs(knots[1:]))    # one root found twice
        knots = knots[np.concatenate([[True], ~close])]
    gaps = np.diff(knots)
    delta = 0.25 * min(gaps.min() if gaps.size else 1.0, 1.0)
    f = lambda z: chain_function(z, activations, signs, thresholds, rho)  # noqa: E731
    left, mid, right = f(knots - delta), f(knots), f(knots + delta)
    bend = np.abs((right - mid) - (mid - left)) / delta > 1e-9 * (1.0 + np.abs(mid - left) / delta)
    return knots[bend]


#: Kink classes of :func:`classify_kinks`, from the simplest.
KINK_CLASSES = ("data", "midpoint", "reflection", "second order", "other")


def classify_kinks(kinks, x_sorted, *, rtol: float = 1e-9, sets=None) -> list[str]:
    """The simplest class of each kink: a data point ``x_i``, a midpoint ``(x_i + x_j)/2``,
    a reflection ``2x_i − x_j``, a *second-order* point (a midpoint or a reflection of
    two first-order points, e.g. ``2x_i − (2x_j − x_k)``), or ``"other"``."""
    x = np.asarray(x_sorted, dtype=np.float64)
    sets = sets if sets is not None else second_order_points(x)
    tol = rtol * max(1.0, float(np.abs(x).max()))
    out = []
    for k in np.atleast_1d(kinks):
        for name in KINK_CLASSES[:-1]:
            pts = sets[name]
            i = np.searchsorted(pts, k)
            near = [pts[j] for j in (i - 1, i) if 0 <= j < pts.size]
            if near and min(abs(k - p) for p in near) <= tol:
                out.append(name)
                break
        else:
            out.append("other")
    return out


def kink_census(dictionary) -> np.ndarray:
    """For each column, the most complex class (:data:`KINK_CLASSES`) of its kinks strictly
    inside the data range (``"data"`` for a column with none: kinks outside the data do
    not show on it), shape (p,) of str."""
    x = dictionary.data.x_sorted
    sets = second_order_points(x)
    tol = 1e-9 * max(1.0, float(np.abs(x).max()))
    out = []
    for k in range(dictionary.size):
        kinks = np.asarray(dictionary.kinks(k), dtype=np.float64)
        inside = kinks[(kinks > x[0] + tol) & (kinks < x[-1] - tol)]
        classes = classify_kinks(inside, x, sets=sets)
        out.append(max(classes, key=KINK_CLASSES.index, default="data"))
    return np.array(out, dtype=object)


def mirror_order(activations) -> int:
    """How deep the mirrors of a chain's vertex dictionary go (an observation, checked in tests).

    A kink off the data needs a *fold* (an absolute value) followed by more layers, and
    each layer after the first fold can mirror once more: the count of layers after the
    first absolute value that is not the last layer.  0: kinks at data points; 1:
    reflections and midpoints; 2: second-order mirrors.
    """
    acts = tuple(activations)
    folds = [l for l, a in enumerate(acts[:-1]) if activation(a).even]
    return len(acts) - 1 - folds[0] if folds else 0


# ---------------------------------------------------------------------- kinks of trained networks
def function_kinks(values: np.ndarray, grid: np.ndarray, min_change: float = 0.05):
    """Kinks of piecewise-linear functions sampled on a uniform grid.

    Parameters
    ----------
    values : ndarray of shape (S, G)
        Each row one function on ``grid`` (shape (G,)).
    min_change : float
        Report a kink only if the slope changes by at least this much there.

    Returns
    -------
    list (length S) of ndarrays: kink positions (slope-change-weighted centres of
    runs of consecutive grid cells where the slope changes).
    """
    values = np.atleast_2d(values)
    h = grid[1] - grid[0]
    slopes = np.diff(values, axis=1) / h
    change = np.diff(slopes, axis=1)                         # at grid[1:-1]
    where = grid[1:-1]
    tiny = 1e-9 * max(1.0, float(np.abs(slopes).max(initial=0.0)))
    out = []
    for row in np.abs(change):
        hit = np.concatenate([[False], row > tiny, [False]])
        edges = np.flatnonzero(np.diff(hit.astype(np.int8)))
        starts, stops = edges[0::2], edges[1::2]          # runs row[start:stop]
        csum = np.concatenate([[0.0], np.cumsum(row)])
        wsum = np.concatenate([[0.0], np.cumsum(row * where)])
        total = csum[stops] - csum[starts]
        centre = (wsum[stops] - wsum[starts]) / np.where(total > 0, total, 1.0)
        out.append(centre[total >= min_change])
    return out


# ---------------------------------------------------------------------- Adam against the landscape
@dataclass
class TightKinks:
    """Where optimal networks of the *continuous* family can bend (see :func:`tight_kinks`).

    Attributes
    ----------
    points : ndarray
        Data points at which some tight shape bends.
    intervals : ndarray of shape (K, 2)
        Gaps ``(x_i, x_{i+1})`` between consecutive data points inside which some tight
        shape bends — then every point of the gap is a tight kink (the dual is linear
        in the kink position there).
    hull : tuple (x_1, x_N)
        Kinks at or outside the data range are invisible on the data and always allowed.
    """

    points: np.ndarray
    intervals: np.ndarray
    hull: tuple = (-np.inf, np.inf)

    def near(self, t, radius: float) -> np.ndarray:
        """Boolean per position in ``t``: within ``radius`` of a tight point or interval, or of
        the ends of the data range (or outside it)."""
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        hit = (t <= self.hull[0] + radius) | (t >= self.hull[1] - radius)
        if self.points.size:
            hit |= np.abs(t[:, None] - self.points[None, :]).min(axis=1) <= radius
        for lo, hi in self.intervals:
            hit |= (t >= lo - radius) & (t <= hi + radius)
        return hit


def tight_kinks(fit, *, rtol: float = 1e-4, resolution: int = 2000) -> TightKinks:
    r"""Kinks (inside the data range) of the shapes with ``|λᵀg(X)| ≥ β(1 − rtol)``.

    Every unit of an optimal network of *any* width is tight (KKT of the convex problem
    over unit measures), so a network bending where no tight shape bends is not optimal.
    (Tight is necessary, not sufficient.)  The continuous family is sampled with
    ``family.candidate_params``, as in the certificate.
    """
    from lassobook.core.certificate import dual_correlations

    data, fam = fit.data, fit.family
    xs = data.x_sorted
    params = fam.candidate_params(data, resolution)
    corr = dual_correlations(fam, data.x, fit.solution.residual, params)
    tight = np.flatnonzero(corr >= fit.beta * (1 - rtol))
    kinks = [fam.kinks({n: v[k] for n, v in params.items()}) for k in tight]
    t = np.concatenate(kinks) if kinks else np.empty(0)
    t = t[(t >= xs[0] - 1e-9) & (t <= xs[-1] + 1e-9)]
    distance = np.abs(t[:, None] - xs[None, :])                  # (kinks, data points)
    at_data = distance.min(axis=1) <= 1e-9 * max(1.0, np.abs(xs).max())
    points = np.unique(xs[distance[at_data].argmin(axis=1)])
    gaps = np.unique(np.searchsorted(xs, t[~at_data]) - 1)       # t in (x_i, x_{i+1}) -> i
    intervals = np.array([[xs[i], xs[i + 1]] for i in gaps]).reshape(-1, 2)
    return TightKinks(points, intervals, (float(xs[0]), float(xs[-1])))
