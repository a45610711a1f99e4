r"""Deep narrow ReLU networks (L = 3, 4): chains of width-1 layers, their dictionary and oracle.

**The parallel architecture** (what the Lasso theorem is about).  A *deep narrow
unit* is a chain of width-1 ReLU layers with scalar weights ``w_1, …, w_{L−1}``,
free biases and an output weight ``α``; a network is a sum of ``m`` such units
plus an output bias ``ξ``:

.. math::

    f(x) = \sum_{k=1}^m \alpha_k\, h_{L,k}(x) + \xi,\qquad
    h_{1,k}(x) = x,\quad h_{l+1,k}(x) = \bigl(w_{l,k} h_{l,k}(x) + b_{l,k}\bigr)_+ ,

trained on ``½‖f(X) − y‖² + (β/L) Σ_k (|w_{1,k}|^L + ⋯ + |w_{L−1,k}|^L + |α_k|^L)``.
The penalty uses *absolute values*.  (The authors' script raises the signed weights
to the power ``L``; for odd ``L`` that penalty is unbounded below — a weight driven
to ``−∞`` "pays" ``−∞`` — so it is not the problem the theorem is about.)

By AM–GM, ``(1/L) Σ_i |w_i|^L ≥ Π_i |w_i|`` with equality when all ``|w_i|`` are
equal, and a unit equals ``|α w_1 ⋯ w_{L−1}| · (±g(x))`` with a *normalized shape*
``g`` whose slopes are ``0`` or ``±1``.  Every unit therefore adds ``c·g(x)`` at
cost ``β|c|``.  The normalized shapes are

.. math::

    f_1(x) = x,\qquad f_{l+1}(x) = \bigl(s_l\,(f_l(x) - f_l(a_l))\bigr)_+ ,\qquad g = f_L ,

with signs ``s_l = ±1`` and breakpoints ``a_l`` (input-space points: the bias of
layer ``l`` puts the threshold at the value the chain takes at ``a_l``).

**The paper's dictionary** (index ``(s, j, k)``): ``s ∈ {−1,+1}^{L−1}``,
``j ∈ {1..N}^{L−1}`` and, for ``L = 4``, ``k ∈ {0, 1}``; ``a_l = x_{j_l}``, except
``L = 4, k = 1``: ``a_1 = 2x_{j_2} − x_{j_1}``, the **reflection** of ``x_{j_1}``
about ``x_{j_2}``.  Raw size ``(2N)^{L−1}``, doubled for ``L = 4``.
:meth:`DeepNarrowReLU.raw_dictionary` builds all of it at once with numpy
broadcasting; :func:`lassobook.core.dictionary.build_dictionary` prunes it.

**What the shapes are** (derived here, and checked in the tests and the chapter).
Each ``f_l`` is monotone with slopes in ``{0, ±1}`` and a nonzero slope on one
interval only, so every chain shape, at any depth ``L ≥ 3``, is ``±`` a *capped
ramp* plus a constant,

.. math:: \operatorname{ramp}(p, q, x) = \min\bigl(\max(x - p, 0),\ q - p\bigr),\qquad -\infty \le p < q \le \infty ,

and ``L = 3`` already reaches every one (``L = 4`` reaches the ``L = 3`` shapes with
``a_3 = a_2, s_3 = +1``).  So the *continuous* unit families of ``L = 3`` and
``L = 4`` coincide and the two networks have the same optimal objective.  On the
data, ``ramp(p, q, ·)`` is linear in ``(p, q)`` between data points, so the dual
is maximized with ``p, q`` at data points: the ``L = 3`` data-point dictionary is
already complete.  The ``L = 4`` reflection columns are extra points of the same
family; they never lower the optimum, but when the optimal dual is flat along an
edge (``|λᵀg| = β`` for ``ramp(p, x_i)`` and ``ramp(p, x_{i'})``) a reflection
``q`` between ``x_i`` and ``x_{i'}`` can be a *single* optimal unit where the
data-point dictionary needs two (Figure 3: ``ramp(5, 8, x)``, ``8 = 2·4 − 0``).

**The oracle** (:class:`DeepNarrowOracle`).  Up to sign and a constant the pruned
columns are the data-point ramps ``ramp(x_i, x_j, ·)``, whose correlation is
``F(x_i) − F(x_j)`` with the residual sums ``F`` of :class:`~lassobook.core.oracle.ResidualSums`;
the maximum over every capped ramp is ``max F − min F``, an ``O(N)`` search.

The chapter helpers and the authors' shared-layer architecture are in
:mod:`lassobook.paper.deep_narrow` and :mod:`lassobook.paper.authors`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lassobook.core.family import Family, breakpoint_candidates
from lassobook.core.networks import ChainNet, ChainParams
from lassobook.core.oracle import StructuredOracle, top_indices
from lassobook.core.points import pair_points, reflect
from lassobook.solvers.gram import PWLForm, peak_indices, ramp_partners


class DeepNarrowOracle(StructuredOracle):
    r"""Deep narrow ReLU chains, ``L = 3`` and ``4``: capped ramps, keys ``(i, j)``, ``i < j``.

    Column ``(i, j)`` is ``ramp(x_i, x_j, x) = (x − x_i)_+ − (x − x_j)_+`` (for
    ``j = N − 1`` the uncapped ReLU ``(x − x_i)_+``, equal on the data), written as
    a chain with ``s = (−1, −1)``, ``a = (x_j, x_i)`` (``L = 4``: ``s_3 = +1``,
    ``a_3 = a_2``, which leaves the chain unchanged).  Its correlation is
    ``F(x_i) − F(x_j)``.  Up to sign and a constant (absorbed by ``ξ`` since
    ``1ᵀλ = 0``) these are all the columns of the pruned ``L = 3`` dictionary.

    Because ``F`` is linear between data points and constant outside them, the
    maximum over *every* capped ramp ``ramp(p, q, ·)``, ``p < q`` real — the
    continuous chain family of ``L = 3`` and ``L = 4``, whose dictionary columns
    (reflections ``2x_{j_2} − x_{j_1}`` included) are some of them — is
    ``max_n F(x_n) − min_n F(x_n)``: the search is ``O(N)`` and never looks at the
    ``N(N − 1)/2`` columns, let alone the ``2(2N)³`` raw columns of ``L = 4``.

    The working set therefore holds data-point ramps only: for ``L = 4`` the
    solution is an optimal solution of the ``L = 4`` Lasso (same optimum, the
    certificate covers the reflection columns) but not necessarily the sparsest;
    a reflection column can merge two tight data-point ramps into one unit
    (Figure 3) — that needs the dense dictionary (or a post-processing step).
    """

    key_width = 2

    @property
    def n_columns(self):
        n = self.data.n
        return int(n * (n - 1) // 2)

    def raw_columns(self) -> int:
        """Raw size of the paper's dictionary, ``(2N)^{L−1}`` (doubled for ``L = 4`` with reflections)."""
        n, L = self.data.n, self.family.depth
        return int((2 * n) ** (L - 1) * (2 if getattr(self.family, "reflections", False) else 1))

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        return sums.F_at(keys[:, 0]) - sums.F_at(keys[:, 1])

    def all_keys(self):
        n = self.data.n        # the pairs i < j in the order of np.triu_indices
        return np.argwhere(np.tri(n, n, -1, dtype=bool).T).astype(np.int64, copy=False)

    def matrix(self, keys, x=None):
        """The columns at ``x`` (default: the sorted data), without the chain: bit for bit what the chain gives.

        The chain ``s = (−1, −1)``, ``a = (x_j, x_i)`` is
        ``max(max(x_j − x_i, 0) − max(x_j − x, 0), 0)`` at every ``x`` (the third layer of
        ``L = 4``, ``s_3 = +1``, ``a_3 = x_i``, is the identity on it) and ``s = (+1, +1)``
        is ``max(x − x_i, 0)``: the same floating-point operations as
        :func:`lassobook.families.deep_narrow.chain_shape` (negation and the swap
        ``−(u − v) = v − u`` are exact), one column at a time in ``O(N)`` memory each.
        """
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        xs = self.xs
        X = (xs if x is None else np.asarray(x, dtype=np.float64))[:, None]
        xi, xj = xs[keys[:, 0]], xs[keys[:, 1]]
        ramp = np.maximum(np.maximum(xj - xi, 0.0) - np.maximum(xj - X, 0.0), 0.0)
        relu = keys[:, 1] == xs.size - 1
        if relu.any():
            ramp[:, relu] = np.maximum(X - xi[relu], 0.0)
        return ramp

    def form(self, keys) -> PWLForm:
        """``ramp(x_i, x_j, x) = (x − x_i)_+ − (x − x_j)_+`` (the last point: the ReLU, equal on the data)."""
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        x, k = self.xs, keys.shape[0]
        t = np.stack([x[keys[:, 0]], x[keys[:, 1]]], axis=1)
        coef = np.tile(np.array([1.0, -1.0]), (k, 1))
        return PWLForm(np.zeros(k), np.zeros(k), t, coef, np.zeros((k, 0)), np.zeros((k, 0)))

    fast_maximum = True

    def _sweep(self, sums):
        """``(F, corr, partner, max F, min F)`` of :func:`lassobook.solvers.gram.ramp_partners`:
        one compiled sweep, kept for the last ``sums`` (``maximum`` and ``search`` share it)."""
        cached = getattr(self, "_sweep_cache", None)
        if cached is not None and cached[0] is sums:
            return cached[1]
        n = self.data.n
        F, corr, partner = np.empty(n), np.empty(n - 1), np.empty(n - 1, dtype=np.int64)
        fmax, fmin = ramp_partners(sums.x, sums.lam, F, corr, partner)
        self._sweep_cache = (sums, (F, corr, partner, fmax, fmin))
        return self._sweep_cache[1]

    def maximum(self, sums):
        _, _, _, fmax, fmin = self._sweep(sums)
        return float(fmax - fmin)

    def search(self, sums, k):
        """The maximum ``max F − min F`` over every capped ramp; candidates: for each ``i`` its best
        partner ``j > i``, the top ``k`` local maxima of ``|F_i − F_j|`` along ``i``."""
        n = self.data.n
        F, corr, partner, fmax, fmin = self._sweep(sums)
        if int(k) <= 1:         # the maximum only: the pair (argmax F, argmin F)
            a, b = int(np.argmax(F)), int(np.argmin(F))
            if a == b:
                a, b = 0, n - 1
            key = np.array([[min(a, b), max(a, b)]], dtype=np.int64)
            return float(F[a] - F[b]), key, F[key[:, 0]] - F[key[:, 1]]
        peaks = peak_indices(corr)
        idx = peaks[top_indices(corr[peaks], k)]
        keys = np.stack([idx, partner[idx]], axis=1)
        return float(fmax - fmin), keys, corr[idx]

    def params(self, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        i, j = keys[:, 0], keys[:, 1]
        x = self.xs
        relu = j == x.size - 1
        s = np.where(relu, 1.0, -1.0)
        out = {"s1": s, "s2": s.copy(), "a1": np.where(relu, x[i], x[j]), "a2": x[i].copy()}
        j1 = np.where(relu, i, j)
        if self.family.depth == 4:
            out.update({"s3": np.ones(i.size), "a3": x[i].copy()})
        out.update({"j1": j1.astype(np.int64), "j2": i.astype(np.int64)})
        if self.family.depth == 4:
            out.update({"j3": i.astype(np.int64), "k": np.zeros(i.size, np.int64)})
        return out

    def labels(self, keys):
        p = self.params(keys)
        sign = {1.0: "+", -1.0: "-"}
        out = []
        for r in range(len(p["s1"])):
            s = sign[p["s1"][r]] + sign[p["s2"][r]]
            if self.family.depth == 4:
                out.append(f"s={s}+ j=({p['j1'][r] + 1},{p['j2'][r] + 1},{p['j3'][r] + 1}) k=0")
            else:
                out.append(f"s={s} j=({p['j1'][r] + 1},{p['j2'][r] + 1})")
        return out


# ---------------------------------------------------------------------- shapes
def capped_ramp(a, b, x):
    """``ramp(a, b, x)``: 0 for ``x ≤ a``, ``x − a`` on ``[a, b]``, ``b − a`` after.

    ``b = inf`` gives the ReLU ``(x − a)_+``; ``a = −inf`` gives ``min(x, b)`` (the
    infinite constant dropped).
    """
    x = np.asarray(x, dtype=np.float64)
    return np.clip(x, a, b) - (a if np.isfinite(a) else 0.0)


def _chain(z, signs, thresholds, upto):
    """``f_upto(z)`` given the signs and thresholds of layers ``1..upto−1`` (broadcasting)."""
    h = z
    for s, t in zip(signs[:upto - 1], thresholds[:upto - 1]):
        h = np.maximum(s * (h - t), 0.0)
    return h


def chain_thresholds(signs, breakpoints):
    """Hidden-space thresholds ``t_l = f_l(a_l)`` of a chain (``t_1 = a_1``); broadcasting arrays."""
    t = []
    for l, a in enumerate(breakpoints, start=1):
        t.append(_chain(np.asarray(a, dtype=np.float64), signs, t, l))
    return t


def chain_shape(x, signs, breakpoints):
    """The normalized chain ``f_L(x)``, ``L = len(signs) + 1``, broadcasting over all arguments."""
    t = chain_thresholds(signs, breakpoints)
    return _chain(np.asarray(x, dtype=np.float64), signs, t, len(signs) + 1)


# ---------------------------------------------------------------------- the family
class DeepNarrowReLU(ChainParams, Family):
    r"""Parallel deep narrow ReLU networks of depth ``L ∈ {3, 4}`` (see the module docstring).

    Parameters
    ----------
    depth : {3, 4}
    reflections : bool
        For ``L = 4``: include the ``k = 1`` (reflection) columns.  ``False`` gives
        the data-point-only dictionary (ignored for ``L = 3``, which has none).

    Dictionary parameters (per column, arrays of shape (p,))
    -------------------------------------------------------
    s1, …, s{L−1} : float (±1)
        Signs of the layers.
    a1, …, a{L−1} : float
        Breakpoints (input-space points; ``a1`` is the reflection when ``k = 1``).
    j1, …, j{L−1} : int
        0-based positions in the *sorted* data of the raw column (−1 for shapes
        that do not come from the dictionary, e.g. certificate samples).
    k : int
        1 for a reflection column (``L = 4``), else 0.
    """

    activation = "relu"
    architecture = "parallel"
    threshold = "a"      # columns are parametrized by input-space breakpoints a1, …

    def __init__(self, depth: int = 4, reflections: bool = True):
        if isinstance(depth, bool) or depth not in (3, 4):
            raise ValueError(f"deep narrow ReLU networks are implemented for depth 3 and 4, got {depth!r}")
        self.depth = int(depth)
        self.reflections = bool(reflections) and self.depth == 4
        self.complete = self.depth == 3 or self.reflections

    # ------------------------------------------------------------------ shapes
    def shape(self, x, **params):
        signs, breaks = self._split(params)
        return chain_shape(x, signs, breaks)

    def kinks(self, params):
        """Kinks of one shape (scalar params), sorted.

        Every kink of the chain is one of its breakpoints ``a_l`` (the level sets
        of a monotone slope-±1 function are points or flat pieces that end at an
        earlier kink); a breakpoint is a kink iff the slope changes there.  For
        ``L = 4, k = 1`` the reflection ``a_1 = 2x_{j2} − x_{j1}`` is a kink
        whenever the shape bends there (e.g. the cap of ``ramp(5, 8, x)``).
        """
        signs, breaks = self._split({k: float(np.asarray(v)) for k, v in params.items()
                                     if k.startswith(("s", "a"))})
        cand = np.unique(np.asarray(breaks, dtype=np.float64))
        gaps = np.diff(cand)
        delta = 0.25 * (gaps.min() if gaps.size else 1.0)
        delta = min(delta, 1e-3 * (1.0 + np.abs(cand).max()))
        left = chain_shape(cand - delta, signs, breaks)
        mid = chain_shape(cand, signs, breaks)
        right = chain_shape(cand + delta, signs, breaks)
        change = np.abs((right - mid) - (mid - left)) / delta
        return cand[change > 0.5]

    def canonical(self, params) -> tuple[float, float, float]:
        """``(σ, p, q)`` with ``shape = σ · ramp(p, q, x) + const`` (``p = −inf`` / ``q = inf`` allowed; ``σ = 0`` for a constant)."""
        signs, breaks = self._split({k: float(np.asarray(v)) for k, v in params.items()
                                     if k.startswith(("s", "a"))})
        kinks = self.kinks(params)
        lo = (kinks.min() if kinks.size else 0.0) - 1.0
        hi = (kinks.max() if kinks.size else 0.0) + 1.0
        slope_lo = chain_shape(lo, signs, breaks) - chain_shape(lo - 1, signs, breaks)
        slope_hi = chain_shape(hi + 1, signs, breaks) - chain_shape(hi, signs, breaks)
        if kinks.size == 0:
            return float(np.sign(slope_lo)), (-np.inf if slope_lo else 0.0), (np.inf if slope_lo else 0.0)
        if kinks.size == 1:
            if slope_lo != 0:
                return float(slope_lo), -np.inf, float(kinks[0])
            return float(slope_hi), float(kinks[0]), np.inf
        mid = 0.5 * (kinks[0] + kinks[1])
        slope = chain_shape(mid + 1e-3 * (kinks[1] - kinks[0]), signs, breaks) - chain_shape(mid, signs, breaks)
        return float(np.sign(slope)), float(kinks[0]), float(kinks[1])

    def describe(self, params) -> str:
        """A readable name of one shape, e.g. ``"+ramp(5, 8) [8 = 2·4 − 0]"``."""
        sigma, p, q = self.canonical(params)
        if sigma == 0:
            return "constant"
        sgn = "+" if sigma > 0 else "−"
        name = f"{sgn}ramp({p:g}, {q:g})" if np.isfinite(p) and np.isfinite(q) else (
            f"{sgn}relu(x − {p:g})" if np.isfinite(p) else f"{sgn}(min(x − {q:g}, 0))")
        if int(np.asarray(params.get("k", 0))) == 1:
            j1, j2 = int(np.asarray(params["j1"])), int(np.asarray(params["j2"]))
            a1 = float(np.asarray(params["a1"]))
            name += f" [a1 = {a1:g}: mirror of x{j1 + 1} about x{j2 + 1}]"
        return name

    def mirror(self, params) -> float:
        """The reflection point ``a_1`` of a ``k = 1`` column (NaN otherwise)."""
        return float(np.asarray(params["a1"])) if int(np.asarray(params.get("k", 0))) == 1 else np.nan

    # ------------------------------------------------------------------ dictionary
    def raw_index(self, n: int):
        """All raw index tuples, vectorized: ``signs (D, p)``, ``j (D, p)``, ``k (p,)``, ``D = L − 1``.

        Order: ``k`` slowest, then ``s_1..s_D``, then ``j_1..j_D`` fastest.
        """
        D = self.layers
        K = 2 if self.reflections else 1
        grid = np.indices((K,) + (2,) * D + (n,) * D).reshape(1 + 2 * D, -1)
        k = grid[0]
        signs = np.where(grid[1:1 + D] == 0, -1.0, 1.0)
        j = grid[1 + D:]
        return signs, j, k

    def raw_dictionary(self, data):
        """The paper's ``(s, j, k)`` columns, all at once (no loop over entries).

        Returns ``({"s1", …, "a1", …, "j1", …, "k"}, labels)``; labels read
        ``"s=+-+ j=(1,2,2) k=1"`` (1-based positions in the sorted data).
        """
        xs = data.x_sorted
        D = self.layers
        signs, j, k = self.raw_index(xs.size)
        a = xs[j]                                           # (D, p)
        if self.reflections:
            a[0] = np.where(k == 1, reflect(xs[j[0]], about=xs[j[1]]), a[0])
        params = {}
        for l in range(D):
            params[f"s{l + 1}"] = signs[l]
            params[f"a{l + 1}"] = a[l]
        for l in range(D):
            params[f"j{l + 1}"] = j[l].astype(np.int64)
        params["k"] = k.astype(np.int64)
        return params, _labels(signs, j, k, self.depth)

    # ------------------------------------------------------------------ certificate
    def candidate_params(self, data, resolution=2000):
        """A dense sample of the continuous chain family (for :func:`lassobook.core.certificate.certify`).

        ``B`` = :func:`breakpoint_candidates` (data, midpoints, reflections and a grid
        of ``max(40, resolution // 20)`` points over the widened range).

        * ``L = 3``: every sign pair and every ``(a1, a2) ∈ B × B``.
        * ``L = 4``: (i) the same ``L = 3`` sample embedded as 4-layer chains
          (``a3 = a2``, ``s3 = +1``, which leaves ``f_3`` unchanged);
          (ii) genuine 4-layer chains, all signs, ``a1 ∈`` data ∪ midpoints ∪
          reflections, ``a2 ∈`` data, ``a3 ∈`` data ∪ midpoints (this contains
          every dictionary column, reflections included); (iii) 40,000 seeded
          uniform random chains over the widened range.

        At ``N = 8`` and the default resolution: about 1.6×10⁵ shapes (``L = 3``),
        4×10⁵ (``L = 4``).
        """
        xs = data.x_sorted
        B = breakpoint_candidates(xs, max(40, int(resolution) // 20))
        S = np.array([-1.0, 1.0])
        s1, s2, a1, a2 = (v.ravel() for v in np.meshgrid(S, S, B, B, indexing="ij"))
        if self.depth == 3:
            return {"s1": s1, "s2": s2, "a1": a1, "a2": a2}
        blocks = [(s1, s2, np.ones_like(s1), a1, a2, a2)]
        mids, refl = pair_points(xs)
        mids = np.unique(mids)
        special = np.unique(np.concatenate([xs, mids, refl]))
        second = np.unique(np.concatenate([xs, mids]))
        g = np.meshgrid(S, S, S, special, xs, second, indexing="ij")
        blocks.append(tuple(v.ravel() for v in g))
        rng = np.random.default_rng(0)
        span = xs[-1] - xs[0]
        r = 40_000
        lo, hi = xs[0] - 0.5 * span, xs[-1] + 0.5 * span
        blocks.append((rng.choice(S, r), rng.choice(S, r), rng.choice(S, r),
                       rng.uniform(lo, hi, r), rng.uniform(lo, hi, r), rng.uniform(lo, hi, r)))
        cols = [np.concatenate([b[i] for b in blocks]) for i in range(6)]
        return dict(zip(["s1", "s2", "s3", "a1", "a2", "a3"], cols))

    # ------------------------------------------------------------------ networks
    def network(self, width, n_models=1):
        return DeepNarrowNet(self.depth, width, n_models=n_models)

    def unit_weights(self, params, coefficients):
        r"""Weights of one chain per coefficient: ``t = |c|^{1/L}``, ``w_l = s_l t``,
        ``b_l = −s_l t^l f_l(a_l)``, ``α = sign(c) t``.

        Then the hidden value of layer ``l + 1`` is ``t^l f_{l+1}(x)`` (induction),
        the unit is ``sign(c) t^L f_L = c f_L`` and its penalty
        ``(β/L)·L·t^L = β|c|``.  Returns ``(w, b, alpha)``: lists of arrays of shape (m,).
        """
        c = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        signs, breaks = self._split({k: np.asarray(v, dtype=np.float64).reshape(-1)
                                     for k, v in params.items() if k.startswith(("s", "a"))})
        thresholds = chain_thresholds(signs, breaks)
        L = self.depth
        t = np.abs(c) ** (1.0 / L)
        w = [s * t for s in signs]
        b = [-s * t ** (l + 1) * th for l, (s, th) in enumerate(zip(signs, thresholds))]
        return w, b, np.sign(c) * t

    def reconstruct(self, params, coefficients, xi):
        """The parallel network with one chain per Lasso coefficient (see :meth:`unit_weights`)."""
        c, params = self.units(params, coefficients,
                               [f"{p}{l}" for p in "sa" for l in range(1, self.depth)])
        w, b, alpha = self.unit_weights(params, c)
        return self._load(w, b, alpha, xi)

    def __repr__(self):
        extra = "" if self.depth == 3 or self.reflections else ", reflections=False"
        return f"DeepNarrowReLU(depth={self.depth}{extra})"

    def oracle(self, data):
        """The exact dual oracle (:class:`DeepNarrowOracle`)."""
        return DeepNarrowOracle(self, data)


class _ChainLabels(Sequence):
    """Labels ``"s=+-+ j=(1,2,2) k=1"`` of the raw columns, made on demand (there are (2N)^(L-1)·2)."""

    def __init__(self, signs, j, k, depth):
        self._signs, self._j, self._k, self._depth = signs, j, k, depth

    def __len__(self) -> int:
        return self._j.shape[1]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        signs = "".join("+" if s > 0 else "-" for s in self._signs[:, i])
        label = f"s={signs} j=({','.join(str(int(q) + 1) for q in self._j[:, i])})"
        return f"{label} k={int(self._k[i])}" if self._depth == 4 else label


def _labels(signs, j, k, depth) -> Sequence:
    """The raw columns' labels (a lazy sequence)."""
    return _ChainLabels(signs, j, k, depth)


# ---------------------------------------------------------------------- parallel network
class DeepNarrowNet(ChainNet):
    r"""The parallel deep narrow ReLU network (the architecture of the Lasso theorem).

    ``f(x) = Σ_k α_k h_{L,k}(x) + ξ`` with ``h_{l+1,k} = (w_{l,k} h_{l,k} + b_{l,k})_+``,
    ``h_{1,k} = x``: the :class:`~lassobook.core.networks.ChainNet` whose layers are all ReLU.
    Parameters ``w1, b1, …, w{L−1}, b{L−1}, alpha`` have shape (n_models, width);
    ``xi`` has shape (n_models,).  Penalty ``(β/L) Σ_k (Σ_l |w_{l,k}|^L + |α_k|^L)``
    per copy.  :meth:`breakpoints` gives the first layer's only: a chain's other
    kinks depend on all its layers; for the kinks of a trained network's function
    use :func:`function_kinks` / :func:`reflection_hits`.
    """

    def __init__(self, depth: int, width: int, n_models: int = 1):
        if depth < 2:
            raise ValueError(f"depth must be at least 2, got {depth!r}")
        super().__init__(("relu",) * (int(depth) - 1), width, n_models=n_models)
