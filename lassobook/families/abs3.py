r"""Three-layer absolute-value networks: the family whose dictionary needs reflections.

A unit of the parallel three-layer network ``α |w_2 |w_1 x + b_1| + b_2|`` is, after
balancing its three weights (AM–GM, ``|w_1| = |w_2| = |α| = |z|^{1/3}``), ``z·g_{a,c}``
with penalty ``β|z|`` and the shape

.. math:: g_{a,c}(x) = \bigl||x - a| - c\bigr|,\qquad c \ge 0,

which bends at ``a − c``, ``a`` and ``a + c``.  The paper's theorem for this
architecture: the dual correlation ``λᵀg_{a,c}(X)`` is piecewise linear over the
arrangement of lines in the ``(a, c)`` plane on which a data point sits on a kink
(``a ± c = x_j``, ``a = x_j``), so its maximum is at a vertex of that arrangement:

* ``c = 0``, ``a = x_j``: the two-layer columns ``|x − x_j|``;
* ``a = x_i``, ``c = |x_j − x_i|``: *reflections* — kinks at ``x_j``, ``x_i`` and the
  mirror ``2x_i − x_j`` (:func:`lassobook.core.points.reflect`);
* ``a = (x_i + x_j)/2``, ``c = (x_j − x_i)/2``: *midpoints* — kinks at ``x_i``, the
  midpoint and ``x_j``.

Those three kinds together are the complete dictionary (:class:`ThreeLayerAbs`);
without the midpoints it is the incomplete "reflection-only" dictionary kept as a
counterexample.  The network is the generic
:class:`~lassobook.core.networks.ChainNet` with two absolute-value layers, and
:class:`AbsThreeLayerOracle` finds the most correlated vertex exactly: a compiled
branch and bound over pairs of data points (:mod:`lassobook.families.mirror_search`)
that drops whole blocks of pairs whose bound cannot win — ``O(N²)`` in the worst
case, far less in practice (N = 10⁴ in seconds).
"""

from __future__ import annotations

import numpy as np
import torch

from lassobook.core.family import Family, breakpoint_candidates
from lassobook.core.networks import ChainNet
from lassobook.core.oracle import StructuredOracle, peak_positions, top_indices
from lassobook.families.mirror_search import (
    LEAF,
    TopK,
    abs3_columns,
    three_point_search,
)
from lassobook.solvers.gram import PWLForm


class AbsThreeLayerOracle(StructuredOracle):
    r"""Three-layer absolute value: ``g_{a,c} = ||x − a| − c|``, keys ``(kind, i, j)``.

    * kind 0, ``(0, j, j)``: ``|x − x_j|``;
    * kind 1, ``(1, i, j)``, ``i ≠ j``: reflection, ``a = x_i``, ``c = |x_j − x_i|``
      (kinks ``x_j``, ``x_i`` and the mirror ``2x_i − x_j``);
    * kind 2, ``(2, i, j)``, ``i < j``: midpoint, ``a = (x_i + x_j)/2``, ``c = (x_j − x_i)/2``.

    On the data ``g = (a − c − x)_+ + (x − a − c)_+ + (c − |x − a|)_+`` and the tent is
    ``(x − a + c)_+ − 2(x − a)_+ + (x − a − c)_+``, so
    ``λᵀg = L(a − c) + F(a − c) − 2F(a) + 2F(a + c)``: ``O(1)`` per column at
    data points, one binary search for the mirror or the midpoint.

    :meth:`search` is exact and compiled: the two-layer columns in ``O(N)``, the
    reflections and midpoints by the branch and bound of
    :func:`lassobook.families.mirror_search.three_point_search` (three-point sums
    ``G(u) − 2F(a) + 2F(v)`` with ``G = L + F``; rectangles of pairs whose bound
    cannot beat the current ``k``-th best are skipped, the rest evaluated with
    the same floating-point operations as :meth:`correlations`), ``O(N)`` memory.
    :meth:`_reference_search` is the former blocked ``O(N² log N)`` scan over every
    pair, kept as the reference of the tests and benchmarks.
    """

    key_width = 3

    def __init__(self, family, data, block: int = 256):
        super().__init__(family, data)
        self.kinds = [k for k, name in ((0, "two_layer"), (1, "reflection"), (2, "midpoint"))
                      if name in family.features]
        self.continuous = len(self.kinds) == 3
        self.block = int(block)

    @property
    def n_columns(self):
        n = self.data.n
        sizes = {0: n, 1: n * (n - 1), 2: n * (n - 1) // 2}
        return int(sum(sizes[k] for k in self.kinds))

    def _corr(self, sums, kind, i, j):
        x = sums.x
        if kind == 0:
            return sums.F_at(j) + sums.L_at(j)
        if kind == 1:        # kinks x_j, x_i, mirror m = 2x_i − x_j
            m = 2 * x[i] - x[j]
            lo_is_j = x[j] < x[i]
            lo = np.where(lo_is_j, x[j], m)
            L_lo = np.where(lo_is_j, sums.L_at(j), sums.L(m))
            F_lo = np.where(lo_is_j, sums.F_at(j), sums.F(m))
            F_hi = np.where(lo_is_j, sums.F(m), sums.F_at(j))
            del lo
            return L_lo + F_lo - 2 * sums.F_at(i) + 2 * F_hi
        # kind 2: kinks x_i < mid < x_j
        mid = 0.5 * (x[i] + x[j])
        return sums.L_at(i) + sums.F_at(i) - 2 * sums.F(mid) + 2 * sums.F_at(j)

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        out = np.empty(keys.shape[0])
        for kind in (0, 1, 2):
            sel = keys[:, 0] == kind
            if sel.any():
                out[sel] = self._corr(sums, kind, keys[sel, 1], keys[sel, 2])
        return out

    def all_keys(self):
        n = self.data.n
        blocks = []
        if 0 in self.kinds:
            j = np.arange(n)
            blocks.append(np.stack([np.zeros(n, np.int64), j, j], axis=1))
        if 1 in self.kinds:
            I, J = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
            off = I != J
            blocks.append(np.stack([np.ones(off.sum(), np.int64), I[off], J[off]], axis=1))
        if 2 in self.kinds:
            i, j = np.triu_indices(n, k=1)
            blocks.append(np.stack([np.full(i.size, 2, np.int64), i, j], axis=1))
        return np.concatenate(blocks).astype(np.int64)

    #: Heap codes of :func:`~lassobook.families.mirror_search.three_point_search` per mode (midpoint,
    #: left mirror ``(1, p, q)``, right mirror ``(1, q, p)``) and the feature kind each belongs to.
    _MODES = ((0, 1, 2), (1, 2, 1), (2, 3, 1))

    #: Candidates are local maxima with ``|A_kᵀλ|`` at least this fraction of the maximum.
    spread = 0.9

    def search(self, sums, k, *, peaks: bool = True):
        """``(max |A_kᵀλ|, keys, values)``: the exact maximum, and as candidates the ``k``
        largest local maxima of ``|A_kᵀλ|`` (over neighbouring pairs) above
        :attr:`spread` times the maximum; ``peaks=False``: the ``k`` largest values
        (as :meth:`_reference_search`)."""
        n = self.data.n
        top = TopK(k)
        state = np.array([0.0, self.spread if peaks else 0.0])      # best so far, spread
        Fd = sums.F_all()
        Ld = sums.x * sums.RP[:n] - sums.SP[:n]          # sums.L_at(j) for every j
        if 0 in self.kinds:
            j = peak_positions(Fd + Ld) if peaks else np.arange(n)
            state[0] = np.abs(Fd + Ld).max()
            j = j[np.abs((Fd + Ld)[j]) >= state[1] * state[0]]
            top.offer(0, (Fd + Ld)[j], j, j)
        # rounding margin: every value is a sum of four terms of at most this size
        scale = 4.0 * float(np.abs(sums.lam).sum()) * (3.0 * float(np.abs(sums.x).max()) + 1.0)
        for mode, code, kind in self._MODES:
            if kind in self.kinds and n >= 2:
                three_point_search(sums.x, Fd, Ld, sums.SQ, sums.RQ, sums.RP, sums.SP, 1.0, -2.0, 2.0,
                                   mode, code, top.values, top.keys, top.count, 1e-9 * scale, LEAF,
                                   peaks, state)
        hk, hv = top.result()
        hk = hk[np.abs(hv) >= state[1] * state[0]]
        if hk.shape[0] == 0:                           # λ = 0 and no two-layer columns
            return 0.0, np.empty((0, 3), np.int64), np.empty(0)
        code, p, q = hk[:, 0], hk[:, 1], hk[:, 2]
        kind = np.array([0, 2, 1, 1])[code]
        left = code == 3                               # right mirror: centre q, source p
        keys = np.stack([kind, np.where(left, q, p), np.where(left, p, q)], axis=1).astype(np.int64)
        vals = self.correlations(sums, keys)
        idx = top_indices(vals, keys.shape[0])
        return float(np.abs(vals[idx[0]])), keys[idx], vals[idx]

    def _reference_search(self, sums, k):
        """The former search: every pair, in blocks of rows (``O(N² log N)`` time); a test reference."""
        n = self.data.n
        k = max(1, int(k))
        best_keys, best_vals = [], []
        if 0 in self.kinds:
            j = np.arange(n)
            c = self._corr(sums, 0, j, j)
            idx = top_indices(c, k)
            best_keys.append(np.stack([np.zeros(idx.size, np.int64), idx, idx], axis=1))
            best_vals.append(c[idx])
        cols = np.arange(n)
        for start in range(0, n, self.block):
            rows = np.arange(start, min(n, start + self.block))
            I = np.repeat(rows, n)
            J = np.tile(cols, rows.size)
            for kind in (1, 2):
                if kind not in self.kinds:
                    continue
                keep = I != J if kind == 1 else I < J
                if not keep.any():
                    continue
                i, j = I[keep], J[keep]
                c = self._corr(sums, kind, i, j)
                idx = top_indices(c, k)
                best_keys.append(np.stack([np.full(idx.size, kind, np.int64), i[idx], j[idx]], axis=1))
                best_vals.append(c[idx])
        keys = np.concatenate(best_keys)
        vals = np.concatenate(best_vals)
        idx = top_indices(vals, k)
        return float(np.abs(vals[idx[0]])), keys[idx], vals[idx]

    def matrix(self, keys, x=None):
        """The columns at ``x`` (default: the sorted data): the operations of
        :meth:`ThreeLayerAbs.shape`, bit for bit, in one compiled pass."""
        p = self.params(keys)
        x = self.xs if x is None else np.asarray(x, dtype=np.float64).reshape(-1)
        out = np.empty((x.size, p["center"].size))
        return abs3_columns(x, p["center"], p["offset"], out)

    def params(self, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        kind, i, j = keys[:, 0], keys[:, 1], keys[:, 2]
        x = self.xs
        center = np.where(kind == 2, 0.5 * (x[i] + x[j]), x[np.where(kind == 0, j, i)])
        offset = np.where(kind == 0, 0.0,
                          np.where(kind == 1, np.abs(x[j] - x[i]), 0.5 * (x[j] - x[i])))
        source = np.where(kind == 1, x[j], np.nan)
        return {"center": center, "offset": offset, "kind": kind.astype(np.int64), "source": source}

    def form(self, keys) -> PWLForm:
        """``||x − a| − c| = (a − c − x) + 2(x − a + c)_+ − 2(x − a)_+ + 2(x − a − c)_+`` (``c ≥ 0``)."""
        p = self.params(keys)
        a, c = p["center"], p["offset"]
        k = a.size
        t = np.stack([a - c, a, a + c], axis=1)
        coef = np.tile(np.array([2.0, -2.0, 2.0]), (k, 1))
        return PWLForm(a - c, -np.ones(k), t, coef, np.zeros((k, 0)), np.zeros((k, 0)))

    def labels(self, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        x = self.xs
        out = []
        for kind, p, q in keys.tolist():
            if kind == 0:
                out.append(f"abs(x - {x[q]:g})")
            elif kind == 1:
                out.append(f"mirror(x{q + 1}={x[q]:g} about x{p + 1}={x[p]:g})")
            else:
                out.append(f"mid(x{p + 1}={x[p]:g}, x{q + 1}={x[q]:g})")
        return out


#: Names of the three kinds of dictionary columns, by their ``kind`` parameter.
FEATURE_KINDS = {0: "two_layer", 1: "reflection", 2: "midpoint"}


_KIND_CODE = {name: code for code, name in FEATURE_KINDS.items()}


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
        """The :class:`~lassobook.core.networks.ChainNet` of two absolute-value layers: parameters
        ``w1, b1, w2, b2, alpha`` (shape (n_models, width)) and ``xi``, penalty
        ``(β/3) Σ_k (|w_{1k}|³ + |w_{2k}|³ + |α_k|³)``."""
        return ChainNet(("abs", "abs"), width, n_models=n_models)

    def reconstruct(self, params, coefficients, xi):
        r"""One unit per coefficient ``z_k`` on the shape ``||x − a_k| − c_k|``.

        With ``t = |z|^{1/3}``: ``w_1 = t``, ``b_1 = −t a``, ``w_2 = t``,
        ``b_2 = −t² c``, ``α = sign(z) t``.  Then
        ``|w_1 x + b_1| = t|x − a|``, ``|w_2·t|x − a| + b_2| = t²||x − a| − c|`` and
        the unit is ``sign(z) t³ g = z g``; its penalty is ``(β/3)·3t³ = β|z|``, so
        the network's objective equals the Lasso objective.
        """
        z, p = self.units(params, coefficients, ("center", "offset"))
        a, c = p["center"], p["offset"]
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

    def oracle(self, data):
        """The exact dual oracle (:class:`AbsThreeLayerOracle`)."""
        return AbsThreeLayerOracle(self, data)
