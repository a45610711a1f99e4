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
lassobook.certificate.certify : the dual search over the continuous ``(a, c)`` family.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .families import Family, breakpoint_candidates
from .networks import DTYPE, ParallelNetwork

__all__ = ["ThreeLayerAbs", "ThreeLayerAbsNet", "FEATURE_KINDS", "COUNTEREXAMPLE",
           "MIRROR_EXAMPLE", "mirror_points", "dual_tight_fraction",
           "TightSet", "tight_set", "MirrorKinks", "mirror_kinks", "found_units",
           "plot_mirror_library", "plot_parameter_arrangement", "library_table",
           "library_selection", "check_library", "fit_table", "units_table",
           "reflection_mirrors", "plot_fit_with_mirrors", "completeness_study",
           "completeness_summary", "depth_table", "adam_table", "tight_table",
           "found_units_table", "mirror_kinks_table", "compare_table",
           "blind_grid_ratio", "vertex_maximum", "check_consistency",
           "inside_mirror_units", "plot_fits", "plot_gap_pair", "plot_arrangement_pair",
           "train_cases", "format_table", "TABLE_FORMATS", "glue_numbers",
           "sparse_optima", "is_midpoint_shape"]

#: Names of the three kinds of dictionary columns, by their ``kind`` parameter.
FEATURE_KINDS = {0: "two_layer", 1: "reflection", 2: "midpoint"}
_KIND_CODE = {name: code for code, name in FEATURE_KINDS.items()}

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


def mirror_points(x_sorted) -> np.ndarray:
    """All reflections ``2x_i − x_j`` (``i ≠ j``) of one data point about another, sorted, unique."""
    x = np.asarray(x_sorted, dtype=np.float64)
    refl = 2 * x[:, None] - x[None, :]
    return np.unique(refl[~np.eye(x.size, dtype=bool)])


class ThreeLayerAbs(Family):
    r"""Parallel three-layer absolute-value networks.

    ``f(x) = Σ_k α_k |w_{2k} |w_{1k} x + b_{1k}| + b_{2k}| + ξ``, penalty
    ``(β/3) Σ_k (|w_{1k}|³ + |w_{2k}|³ + |α_k|³)``.  Unit shapes
    ``g_{a,c}(x) = ||x − a| − c|`` with parameters ``center`` ``a`` and
    ``offset`` ``c ≥ 0``.

    Parameters
    ----------
    features : tuple of {"two_layer", "reflection", "midpoint"}
        Which kinds of columns :meth:`raw_dictionary` builds.  The default is the
        complete dictionary; ``("two_layer", "reflection")`` is the
        reflection-only dictionary, which is *not* complete.

    Dictionary parameters (per column, arrays of shape (p,))
    -------------------------------------------------------
    center, offset : float
        ``a`` and ``c`` of the shape.
    kind : int
        0 = two-layer, 1 = reflection, 2 = midpoint (see :data:`FEATURE_KINDS`).
    source : float
        For a reflection: the data point ``x_j`` that is mirrored about
        ``x_i = center`` (the mirror is ``2·center − source``); NaN otherwise.
    """

    activation = "abs"
    depth = 3
    architecture = "parallel"

    def __init__(self, features=("two_layer", "reflection", "midpoint")):
        if isinstance(features, str):
            features = (features,)
        features = tuple(features)
        unknown = [f for f in features if f not in _KIND_CODE]
        if unknown or not features:
            raise ValueError(
                f"features must be a non-empty subset of {tuple(_KIND_CODE)}, got {features!r}")
        self.features = tuple(f for f in _KIND_CODE if f in features)
        self.complete = len(self.features) == len(_KIND_CODE)

    # ------------------------------------------------------------------ shapes
    def shape(self, x, center, offset, **_):
        return np.abs(np.abs(x - center) - offset)

    def kinks(self, params):
        a, c = float(params["center"]), float(params["offset"])
        if c <= 0:
            return np.array([a])
        return np.array([a - c, a, a + c])

    def raw_dictionary(self, data):
        """The paper's columns before pruning (see the module docstring).

        Returns ``({"center", "offset", "kind", "source"}, labels)``: two-layer
        columns (one per point), reflections (every ordered pair ``i ≠ j``),
        midpoints (every pair ``i < j``), in that order, restricted to
        :attr:`features`.  Labels name sorted points ``x1 < x2 < …`` with their
        values, e.g. ``"mirror(x1=0 about x2=2)"`` (kinks 0, 2 and 4).
        """
        x = data.x_sorted
        n = x.size
        idx = np.arange(n)
        blocks = []  # (center, offset, kind, source, labels)
        if "two_layer" in self.features:
            blocks.append((x, np.zeros(n), np.zeros(n, dtype=np.int64), np.full(n, np.nan),
                           [f"abs(x - {v:g})" for v in x]))
        if "reflection" in self.features:
            I, J = np.meshgrid(idx, idx, indexing="ij")
            off = I != J
            i, j = I[off], J[off]
            blocks.append((x[i], np.abs(x[j] - x[i]), np.ones(i.size, dtype=np.int64), x[j],
                           [f"mirror(x{q + 1}={x[q]:g} about x{p + 1}={x[p]:g})"
                            for p, q in zip(i, j)]))
        if "midpoint" in self.features:
            i, j = np.triu_indices(n, k=1)
            blocks.append(((x[i] + x[j]) / 2, (x[j] - x[i]) / 2, np.full(i.size, 2, dtype=np.int64),
                           np.full(i.size, np.nan),
                           [f"mid(x{p + 1}={x[p]:g}, x{q + 1}={x[q]:g})" for p, q in zip(i, j)]))
        params = {
            "center": np.concatenate([b[0] for b in blocks]),
            "offset": np.concatenate([b[1] for b in blocks]),
            "kind": np.concatenate([b[2] for b in blocks]),
            "source": np.concatenate([b[3] for b in blocks]),
        }
        labels = [label for b in blocks for label in b[4]]
        return params, labels

    def candidate_params(self, data, resolution=2000):
        """A dense sample of the continuous ``(a, c)`` family, ``c ≥ 0``.

        Centers ``a``: :func:`breakpoint_candidates` with a grid of
        ``resolution // 5`` points (data points, midpoints, reflections, grid).
        For every center, offsets ``c``: ``0``; every ``|a − x_j|`` (a data point
        on the outer kinks: an edge of the arrangement); every pairwise
        distance ``|x_i − x_j|`` and half-distance; and a uniform grid of
        ``resolution // 5`` points over ``[0, 2·span]``.  This contains every
        vertex of the arrangement (the complete dictionary) and, around it,
        about ``(resolution/5)²`` shapes that are none of them.  For ``N = 10``
        and the default resolution: about 2×10⁵ shapes.
        """
        x = data.x_sorted
        span = float(x[-1] - x[0])
        m = max(10, int(resolution) // 5)
        a = breakpoint_candidates(x, m)
        d = np.abs(x[:, None] - x[None, :])
        shared = np.unique(np.concatenate([[0.0], d.ravel(), d.ravel() / 2,
                                           np.linspace(0.0, 2 * span, m)]))
        edges = np.abs(a[:, None] - x[None, :])                      # (|a|, N)
        centers = np.concatenate([np.repeat(a, x.size), np.repeat(a, shared.size)])
        offsets = np.concatenate([edges.ravel(), np.tile(shared, a.size)])
        return {"center": centers, "offset": offsets}

    # ------------------------------------------------------------------ networks
    def network(self, width, n_models=1):
        return ThreeLayerAbsNet(width, n_models=n_models)

    def reconstruct(self, params, coefficients, xi):
        r"""One unit per coefficient ``z_k`` on the shape ``||x − a_k| − c_k|``.

        With ``t = |z|^{1/3}``: ``w_1 = t``, ``b_1 = −t a``, ``w_2 = t``,
        ``b_2 = −t² c``, ``α = sign(z) t``.  Then
        ``|w_1 x + b_1| = t|x − a|``, ``|w_2·t|x − a| + b_2| = t²||x − a| − c|`` and
        the unit is ``sign(z) t³ g = z g``; its penalty is ``(β/3)·3t³ = β|z|``, so
        the network's objective equals the Lasso objective.
        """
        z = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        a = np.asarray(params["center"], dtype=np.float64).reshape(-1)
        c = np.asarray(params["offset"], dtype=np.float64).reshape(-1)
        if z.size == 0:  # the constant network: one unit with zero weights
            z, a, c = np.zeros(1), np.zeros(1), np.zeros(1)
        t = np.cbrt(np.abs(z))
        net = self.network(width=z.size)
        with torch.no_grad():
            net.w1.copy_(torch.as_tensor(t)[None])
            net.b1.copy_(torch.as_tensor(-t * a)[None])
            net.w2.copy_(torch.as_tensor(t)[None])
            net.b2.copy_(torch.as_tensor(-t**2 * c)[None])
            net.alpha.copy_(torch.as_tensor(np.sign(z) * t)[None])
            net.xi.fill_(float(xi))
        return net

    @property
    def penalty_formula(self):
        return r"\frac{\beta}{3}\sum_k \bigl(|w_{1k}|^3 + |w_{2k}|^3 + |\alpha_k|^3\bigr)"

    def __repr__(self):
        if self.features == tuple(_KIND_CODE):
            return "ThreeLayerAbs()"
        return f"ThreeLayerAbs(features={self.features!r})"


class ThreeLayerAbsNet(ParallelNetwork):
    r"""``f(x) = Σ_k α_k |w_{2k} |w_{1k} x + b_{1k}| + b_{2k}| + ξ``, ``n_models`` copies.

    Parameters ``w1, b1, w2, b2, alpha`` have shape (n_models, width); ``xi`` has
    shape (n_models,).  Penalty ``(β/3) Σ (|w1|³ + |w2|³ + |α|³)`` per copy.
    """

    def __init__(self, width: int, n_models: int = 1):
        super().__init__(width, n_models)
        shape = (self.n_models, self.width)
        self.w1 = nn.Parameter(torch.ones(shape, dtype=DTYPE))
        self.b1 = nn.Parameter(torch.zeros(shape, dtype=DTYPE))
        self.w2 = nn.Parameter(torch.ones(shape, dtype=DTYPE))
        self.b2 = nn.Parameter(torch.zeros(shape, dtype=DTYPE))
        self.alpha = nn.Parameter(torch.zeros(shape, dtype=DTYPE))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h1 = torch.abs(self.w1[:, :, None] * x[None, None, :] + self.b1[:, :, None])
        h2 = torch.abs(self.w2[:, :, None] * h1 + self.b2[:, :, None])
        return torch.einsum("sm,smn->sn", self.alpha, h2) + self.xi[:, None]

    def penalty(self, beta: float) -> torch.Tensor:
        cubes = self.w1.abs() ** 3 + self.w2.abs() ** 3 + self.alpha.abs() ** 3
        return (beta / 3.0) * cubes.sum(dim=1)

    def init_copy(self, k, generator, lo, hi):
        """``w1, w2 ~ N(0, 1)``; centers ``a = −b1/w1`` uniform over the data range;
        offsets ``c = −b2/(w2|w1|)`` uniform on ``[0, span/2]`` (so every unit
        starts with three kinks near the data); ``α ~ N(0, 1/width)``."""
        m, g = self.width, generator
        w1 = torch.randn(m, generator=g, dtype=DTYPE)
        w2 = torch.randn(m, generator=g, dtype=DTYPE)
        a = lo + (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE)
        c = 0.5 * (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE)
        self.w1[k] = w1
        self.b1[k] = -w1 * a
        self.w2[k] = w2
        self.b2[k] = -w2 * w1.abs() * c
        self.alpha[k] = torch.randn(m, generator=g, dtype=DTYPE) / np.sqrt(m)

    def shape_params(self) -> tuple[np.ndarray, np.ndarray]:
        """Each unit's center ``a = −b1/w1`` and offset ``c = −b2/(w2|w1|)``, shape (n_models, width) each.

        NaN for a unit whose ``w1`` or ``w2`` is zero (a constant unit).  A
        negative ``c`` means the unit is ``|x − a|`` plus a constant.
        """
        with torch.no_grad():
            w1, b1, w2, b2 = (p.numpy() for p in (self.w1, self.b1, self.w2, self.b2))
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(w1 != 0, -b1 / w1, np.nan)
            denom = w2 * np.abs(w1)
            c = np.where(denom != 0, -b2 / denom, np.nan)
        return a, c

    def breakpoints(self) -> np.ndarray:
        """Kinks ``(a − c, a, a + c)`` of every unit, shape (n_models, width, 3).

        A unit with ``c ≤ 0`` has one kink, ``a``; its other two entries are NaN.
        """
        a, c = self.shape_params()
        with np.errstate(invalid="ignore"):
            outer = np.where(c > 0, c, np.nan)
        return np.stack([a - outer, a, a + outer], axis=-1)

    def unit_coefficients(self) -> np.ndarray:
        """Each unit's coefficient ``α|w1 w2|`` on its normalized shape, shape (n_models, width)."""
        with torch.no_grad():
            return (self.alpha * (self.w1 * self.w2).abs()).numpy().copy()


# ---------------------------------------------------------------------- sparse optima
def dual_tight_fraction(fit, *, num: int = 201, rtol: float = 1e-6) -> float:
    """Share of a ``num × num`` grid over the ``(a, c)`` plane where ``|λᵀg_{a,c}(X)| ≥ β(1 − rtol)``.

    The grid spans centers ``[x_1 − span, x_N + span]`` and offsets ``[0, 2·span]``.
    Every tight shape may carry weight in an optimal network, so a positive share
    means the optimal networks form a continuum: their kinks are not pinned to the
    vertices (data points, mirrors, midpoints).  For a generic residual the tight
    set is a few vertices and the share is 0.
    """
    from .certificate import dual_correlations

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
    from .certificate import dual_correlations

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


def mirror_kinks(network: ThreeLayerAbsNet, x_sorted, *, radius: float = 0.1,
                 active: float = 0.05) -> MirrorKinks:
    """Count the active kinks of every copy of ``network`` that sit at mirrors (see :class:`MirrorKinks`)."""
    x = np.sort(np.asarray(x_sorted, dtype=np.float64))
    lo, hi = x[0], x[-1]
    refl = mirror_points(x)
    mirrors = refl[(np.abs(refl[:, None] - x[None, :]).min(axis=1) > 1e-9 * max(1.0, hi - lo))
                   & (refl >= lo) & (refl <= hi)]
    coef = np.abs(network.unit_coefficients())                          # (S, m)
    keep = coef >= active * coef.max(axis=1, keepdims=True)
    kinks = network.breakpoints()                                       # (S, m, 3)
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


def found_units(network: ThreeLayerAbsNet, params: dict, x_sorted, *, radius: float,
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
    network : ThreeLayerAbsNet with S copies
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
    a, c = network.shape_params()                                    # (S, m)
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

    from .plotting import STYLE, input_grid

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

    from .certificate import dual_correlations
    from .plotting import STYLE

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


def reflection_mirrors(fit) -> list:
    """The mirrors ``2x_i − x_j`` of a fit's reflection units."""
    return [2 * n["params"]["center"] - n["params"]["source"] for n in fit.neurons()
            if n["params"]["kind"] == 1]


def plot_fit_with_mirrors(fit, ax, *, title=None, legend=True):
    """:func:`lassobook.plotting.plot_fit` plus a green diamond at every mirror of a
    reflection unit that falls in view."""
    from .plotting import STYLE, plot_fit

    plot_fit(fit, ax, title=title, legend=False)
    lo, hi = ax.get_xlim()
    shown = [m for m in reflection_mirrors(fit) if lo <= m <= hi]
    if shown:
        ax.scatter(shown, np.interp(shown, *ax.lines[0].get_data()), **STYLE["mirror"])
    if legend:
        ax.legend()
    return ax


def completeness_study(n_datasets: int, n_points: int, *, noise: float, beta: float,
                       features=("two_layer", "reflection")):
    """Fit the full and a restricted dictionary on seeded random datasets and certify both.

    Returns a DataFrame with one row per seed: both optima, the restricted
    optimum's relative excess, both certificate ratios and verdicts.
    """
    import pandas as pd

    from .datasets import random_dataset
    from .lasso import fit_dense

    full_family, restricted = ThreeLayerAbs(), ThreeLayerAbs(features=tuple(features))
    rows = []
    for seed in range(n_datasets):
        data = random_dataset(n_points, seed, noise=noise)
        full = fit_dense(data, family=full_family, beta=beta)
        part = fit_dense(data, family=restricted, beta=beta)
        c_full, c_part = full.certificate(), part.certificate()
        rows.append({"seed": seed, "full optimum": full.objective,
                     "restricted optimum": part.objective,
                     "excess": (part.objective - full.objective) / full.objective,
                     "ratio full": c_full.ratio, "ratio restricted": c_part.ratio,
                     "certified full": c_full.certified,
                     "certified restricted": c_part.certified})
    return pd.DataFrame(rows).set_index("seed")


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

    from .families import get_family
    from .landscape import vertex_solution
    from .lasso import fit_dense

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
    from .certificate import dual_correlations

    A, C = np.meshgrid(np.linspace(*a_range, shape[0]), np.linspace(*c_range, shape[1]))
    corr = dual_correlations(ThreeLayerAbs(), fit.data.x, fit.solution.residual,
                             {"center": A.ravel(), "offset": C.ravel()})
    return float(corr.max() / fit.beta)


def vertex_maximum(fit):
    """The largest ``|λᵀg|/β`` over every vertex of the arrangement, for ``fit``'s
    residual, and the labels and kinds of the vertices that attain it."""
    from .certificate import dual_correlations

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


def plot_fits(fits, *, runs=None, mirrors: bool = False, sharey: bool = False,
              figsize=(7.5, 3.2)):
    """Fits side by side (at most 3), optionally with the mirrors of reflection units
    and, if ``runs`` (one :class:`~lassobook.training.AdamRuns` per fit) is given, the
    best Adam run of each in orange.  Returns the figure."""
    import matplotlib.pyplot as plt

    from .plotting import plot_fit, plot_network

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

    from .plotting import plot_gaps

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


def train_cases(cases: dict, *, width: int, seeds, epochs: int, lr: float):
    """Lasso fit and Adam runs of the three-layer abs network on ``{name: (data, β)}``.

    Returns ``(fits, runs)``, two dicts keyed like ``cases``.
    """
    from .lasso import fit_dense
    from .training import train_adam

    family = ThreeLayerAbs()
    fits = {name: fit_dense(d, family=family, beta=b) for name, (d, b) in cases.items()}
    runs = {name: train_adam(d, family=family, beta=b, width=width, seeds=seeds,
                             epochs=epochs, lr=lr)
            for name, (d, b) in cases.items()}
    return fits, runs


#: Number formats of :func:`format_table`, by a word in the column name (first match).
TABLE_FORMATS = (
    (("share", "within", "lower by", "excess", "chance", "found in", "decrease",
      "runs with"), "{:.1%}"),
    (("gap", "difference"), "{:.1e}"),
    (("time",), "{:.1f}"),
    (("ratio",), "{:.6f}"),
    (("optimum", "objective"), "{:.10f}"),
    (("coefficient",), "{:+.6f}"),
)


def format_table(df):
    """A DataFrame as the book shows it: floats formatted by what their column holds
    (percentages, relative gaps in scientific notation, ratios, optima to 10 digits;
    :data:`TABLE_FORMATS`), other floats to 6 significant digits, NaN blank."""
    from pandas.api.types import is_float_dtype

    formats = {}
    for col in df.columns:
        if not is_float_dtype(df[col].dtype):
            continue
        name = str(col).lower()
        formats[col] = next((f for words, f in TABLE_FORMATS
                             if any(w in name for w in words)), "{:.6g}")
    return df.style.format(formats, na_rep="")


def glue_numbers(values: dict) -> None:
    """``myst_nb.glue(name, value, display=False)`` for every item: numbers the
    page's prose quotes with ``{glue:text}`name```."""
    from myst_nb import glue

    for name, value in values.items():
        if isinstance(value, np.generic):  # "np.float64(0.1)" would not format in prose
            value = value.item()
        glue(name, value, display=False)


def sparse_optima(fits: dict, *, tol: float = 1e-6) -> dict:
    """A vertex solution (sparse optimal network) of every fit; asserts it has the
    fit's objective and at most ``N − 1`` units."""
    from .landscape import vertex_solution

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
