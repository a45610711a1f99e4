r"""Deep narrow ReLU networks (L = 3, 4): chains of width-1 layers, and reflections.

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
broadcasting; :func:`lassobook.dictionaries.build_dictionary` prunes it.

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

**The authors' architecture** (:class:`AuthorsNet`, Figures 2, 3, 19 of the paper):
``L − 2`` *shared* width-1 ReLU layers, then one wide ReLU layer and a linear
output, ``f(x) = Σ_k α_k (u_k h(x) + c_k)_+ + ξ`` with ``h`` the shared chain.  It
is **not** a sum of independent chains: the shared weights are paid once.  With
the same penalty ``(β/L)Σ|w|^L`` its objective can go *below* the parallel
network's optimum (:func:`authors_split_network`: one chain spread evenly over
``m`` wide units costs ``β|c|/√m`` at ``L = 4`` instead of ``β|c|``), so the
Lasso describes neither its optimum nor its optimal networks.  Statements about
the Lasso below are about the parallel architecture unless said otherwise.

See Also
--------
lassobook.families.TwoLayer : the ``L = 2`` family (ReLU ramps).
lassobook.certificate.certify : the dual search over the continuous chain family.
"""

from __future__ import annotations

from collections.abc import Sequence

import time
from itertools import combinations

import numpy as np
import torch
from torch import nn

from .datasets import as_dataset
from .landscape import basis_pursuit  # noqa: F401  (the β → 0 LP lives with the landscape)
from .families import Family, breakpoint_candidates
from .chains import ChainNet, ChainParams
from .networks import DTYPE, ParallelNetwork, as_tensor

__all__ = [
    "DeepNarrowReLU", "DeepNarrowNet", "AuthorsNet", "chain_thresholds", "chain_shape",
    "capped_ramp", "reflection", "AUTHORS_PROTOCOL", "authors_init", "authors_split_network",
    "train_network", "function_kinks", "authors_kink", "reflection_hits", "ReflectionHits",
    "FIG3_THEORETICAL", "theoretical_coefficients", "basis_pursuit", "optimal_supports",
    "chapter_family", "chapter_dictionary", "chapter_lasso", "dictionary_table", "certify_cases",
    "same_optimum_table", "smallest_table", "fig3_theory_table", "min_norm_units",
    "authors_protocol_runs", "random_init_runs", "representative",
]


# ---------------------------------------------------------------------- shapes
def reflection(x_i, x_j):
    """``2 x_j − x_i``: the mirror image of ``x_i`` about ``x_j``."""
    return 2 * np.asarray(x_j, dtype=np.float64) - np.asarray(x_i, dtype=np.float64)


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
            a[0] = np.where(k == 1, reflection(xs[j[0]], xs[j[1]]), a[0])
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
        """A dense sample of the continuous chain family (for :func:`lassobook.certificate.certify`).

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
        xi, xj = np.meshgrid(xs, xs, indexing="ij")
        mids = np.unique(((xi + xj) / 2).ravel())
        special = np.unique(np.concatenate([xs, mids, (2 * xi - xj).ravel()]))
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
        c = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        if c.size == 0:  # the constant network: one unit with zero weights
            params = {f"{p}{l}": np.zeros(1) for p in "sa" for l in range(1, self.depth)}
            c = np.zeros(1)
        w, b, alpha = self.unit_weights(params, c)
        return self._load(w, b, alpha, xi)

    def __repr__(self):
        extra = "" if self.depth == 3 or self.reflections else ", reflections=False"
        return f"DeepNarrowReLU(depth={self.depth}{extra})"


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
    ``h_{1,k} = x``: the :class:`~lassobook.chains.ChainNet` whose layers are all ReLU.
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


# ---------------------------------------------------------------------- the authors' network
class AuthorsNet(DeepNarrowNet):
    r"""The authors' deep narrow architecture (``DeepNarrowNet1D`` with ``par=False``).

    ``L − 2`` **shared** width-1 ReLU layers ``h_{l+1} = (v_l h_l + c_l)_+``
    (``h_1 = x``), then a wide ReLU layer and a linear output:

    .. math:: f(x) = \sum_{k=1}^m \alpha_k\,(u_k\, h_{L-1}(x) + d_k)_+ + \xi .

    For ``L = 2`` this is the two-layer network.  Parameters: ``w1, b1, …`` for the
    shared layers, shape (n_models, 1); the wide layer ``w{L−1}, b{L−1}`` and ``alpha``,
    shape (n_models, width); ``xi`` (n_models,).

    Objective (same conventions as every network in lassobook):
    ``½‖f(X) − y‖² + (β/L)(Σ_shared |v_l|^L + Σ_k |u_k|^L + Σ_k |α_k|^L)``.
    :meth:`authors_loss` is the authors' own training loss instead:
    ``‖f(X) − y‖² + (β/L) Σ w^L`` with *signed* powers (their ``MSELoss(reduction='sum')``
    and ``torch.pow(p, L)``).  Neither is equivalent to the Lasso: the shared
    weights are paid once for all ``m`` units (see :func:`authors_split_network`).
    """

    def __init__(self, depth: int, width: int, n_models: int = 1):
        # Same forward pass and penalty as the parallel chains: only the shared
        # layers' shape differs, (n_models, 1), which broadcasts over the units.
        ParallelNetwork.__init__(self, width, n_models)
        if depth < 2:
            raise ValueError(f"depth must be at least 2, got {depth!r}")
        self.depth = int(depth)
        self.activations = ("relu",) * (self.depth - 1)
        self.sigmas = [torch.relu] * (self.depth - 1)
        for l in range(1, self.depth - 1):
            setattr(self, f"w{l}", nn.Parameter(torch.ones((self.n_models, 1), dtype=DTYPE)))
            setattr(self, f"b{l}", nn.Parameter(torch.zeros((self.n_models, 1), dtype=DTYPE)))
        wide = (self.n_models, self.width)
        setattr(self, f"w{self.depth - 1}", nn.Parameter(torch.ones(wide, dtype=DTYPE)))
        setattr(self, f"b{self.depth - 1}", nn.Parameter(torch.zeros(wide, dtype=DTYPE)))
        self.alpha = nn.Parameter(torch.zeros(wide, dtype=DTYPE))

    def authors_loss(self, x, y, beta: float) -> torch.Tensor:
        """The authors' training loss ``‖f − y‖² + (β/L) Σ w^L`` (signed powers), shape (n_models,).

        (Their script also penalizes and decays two layers that never touch the
        output; those only add a constant or, for odd ``L``, a term unbounded
        below.  They are left out here.)
        """
        x, y = as_tensor(x), as_tensor(y)
        r = self(x) - y[None, :]
        L = self.depth
        return (r ** 2).sum(dim=1) + (beta / L) * sum((w ** L).sum(dim=1) for w in self.weights)

    def random_init(self, seeds, x_sorted) -> None:
        """The authors' random initialization without the seeded neurons (see :func:`authors_init`).

        (Overrides the per-copy generator scheme of
        :meth:`~lassobook.networks.ParallelNetwork.random_init` on purpose: it replays
        the authors' ``torch.manual_seed`` draws, one seed per copy.)
        """
        authors_init(self, seeds, x_sorted, seeded=None)


#: The authors' settings per paper figure panel (their notebooks in pilancilab/1d-convex-nn).
#: ``seeded``: the neurons they initialize at a chosen network — for ``L = 4`` one
#: chain given by ``(x_j1, x_j2, x_j3, α)`` with signs ``(−1, −1, +1)`` and
#: ``a1 = 2x_j2 − x_j1`` (their ``initnn``); for ``L = 2`` ReLU units ``α (x − a)_+``.
AUTHORS_PROTOCOL = {
    ("fig2_left", 4): dict(dataset="fig2_left", beta=1e-8, width=100, epochs=1000, seed=8,
                           seeded=dict(xj=(0.0, 2.0, 2.0), alpha=1.5), reflection=4.0),
    ("fig2_right", 4): dict(dataset="fig2_right", beta=1e-8, width=100, epochs=15000, seed=8,
                            seeded=dict(xj=(0.0, 2.0, 2.0), alpha=1.5), reflection=5.0),
    ("fig19", 3): dict(dataset="fig19", beta=1e-8, width=100, epochs=1000, seed=8, seeded=None,
                       reflection=4.0),
    ("fig19", 4): dict(dataset="fig19", beta=1e-8, width=100, epochs=1000, seed=8,
                       seeded=dict(xj=(0.0, 2.0, 2.0), alpha=1.5), reflection=4.0),
    ("fig3", 2): dict(dataset="fig3", beta=1e-7, width=100, epochs=1000, seed=7,
                      seeded=dict(breakpoints=(5.0, 7.0, 10.0), alpha=(1.0, -2 / 3, -1 / 3)),
                      reflection=8.0),
    ("fig3", 3): dict(dataset="fig3", beta=1e-7, width=500, epochs=100000, seed=7, seeded=None,
                      reflection=8.0),
    ("fig3", 4): dict(dataset="fig3", beta=1e-7, width=100, epochs=1000, seed=7,
                      seeded=dict(xj=(0.0, 4.0, 5.0), alpha=1.0), reflection=8.0),
}


def authors_init(net: AuthorsNet, seeds, x_sorted=None, *, seeded: dict | None = None) -> None:
    """Initialize every copy of ``net`` exactly as the authors' ``initnn`` does (in place).

    For copy ``k``: ``torch.manual_seed(seeds[k])`` (inside ``torch.random.fork_rng``,
    so the global generator is untouched), then the six ``nn.Linear`` layers of their
    ``DeepNarrowNet1D`` are created in their order (PyTorch's default uniform
    initialization, float64), which reproduces their random numbers; the used
    layers are copied into ``net``.  Then, if ``seeded`` is given, the neurons they
    place at a chosen network:

    * ``L = 4``, ``seeded = {"xj": (x_j1, x_j2, x_j3), "alpha": α}``: the shared
      layers and wide neuron 0 become the chain with signs ``(−1, −1, +1)``,
      ``a = (2x_j2 − x_j1, x_j2, x_j3)`` and coefficient ``α`` (rescaled to equal
      weights ``|α|^{1/4}``), output bias 0.  Figures 2 and 19 use
      ``(0, 2, 2), α = 3/2``: ``(3/2)·ramp(2, 4, x)``; Figure 3 uses ``(0, 4, 5), α = 1``:
      ``ramp(5, 8, x)``.
    * ``L = 2``, ``seeded = {"breakpoints": a, "alpha": α}``: wide neurons
      ``0..len(a)−1`` become ``α_i (x − a_i)_+`` with equal weights ``|α_i|^{1/2}``.
    """
    seeds = list(seeds)
    if len(seeds) != net.n_models:
        raise ValueError(f"need one seed per model ({net.n_models}), got {len(seeds)}")
    L, m = net.depth, net.width
    with torch.no_grad():
        for k, seed in enumerate(seeds):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                kw = dict(dtype=torch.float64)
                nn.Linear(1, 1, **kw)                 # one2one (unused)
                nn.Linear(m, m, **kw)                 # m2m (unused)
                one2one1 = nn.Linear(1, 1, **kw)
                one2one2 = nn.Linear(1, 1, **kw)
                one2m = nn.Linear(1, m, **kw)
                last = nn.Linear(m, 1, **kw)
            shared = [one2one1, one2one2][:L - 2]
            for l, layer in enumerate(shared, start=1):
                getattr(net, f"w{l}")[k, 0] = layer.weight[0, 0]
                getattr(net, f"b{l}")[k, 0] = layer.bias[0]
            getattr(net, f"w{L - 1}")[k] = one2m.weight[:, 0]
            getattr(net, f"b{L - 1}")[k] = one2m.bias
            net.alpha[k] = last.weight[0]
            net.xi[k] = last.bias[0]
            if seeded is None:
                continue
            if L == 4:
                xj1, xj2, xj3 = seeded["xj"]
                fam = DeepNarrowReLU(4)
                params = {"s1": np.array([-1.0]), "s2": np.array([-1.0]), "s3": np.array([1.0]),
                          "a1": np.array([2 * xj2 - xj1]), "a2": np.array([xj2]), "a3": np.array([xj3])}
                w, b, alpha = fam.unit_weights(params, np.array([seeded["alpha"]]))
                net.w1[k, 0], net.b1[k, 0] = float(w[0][0]), float(b[0][0])
                net.w2[k, 0], net.b2[k, 0] = float(w[1][0]), float(b[1][0])
                net.w3[k, 0], net.b3[k, 0] = float(w[2][0]), float(b[2][0])
                net.alpha[k, 0] = float(alpha[0])
                net.xi[k] = 0.0
            elif L == 2:
                a = np.asarray(seeded["breakpoints"], dtype=np.float64)
                c = np.asarray(seeded["alpha"], dtype=np.float64)
                g = np.sqrt(np.abs(c))
                n0 = a.size
                net.w1[k, :n0] = torch.as_tensor(g)
                net.b1[k, :n0] = torch.as_tensor(-a * g)
                net.alpha[k, :n0] = torch.as_tensor(np.sign(c) * g)
            else:
                raise ValueError(f"the authors seed neurons only for L = 2 and 4, got L = {L}")


def authors_split_network(family: DeepNarrowReLU, params, coefficient: float, xi: float,
                          width: int) -> AuthorsNet:
    r"""One chain ``c·g`` written in :class:`AuthorsNet` with its last layer split over ``width`` units.

    Shared layers with weights ``v``, ``width`` identical wide units with weights
    ``u`` and ``α = sign(c) u``; the function is ``c·g`` whenever
    ``width · u² · v^{L−2} = |c|``.  The weights minimizing the penalty under that
    constraint are used: for ``L = 4`` the penalty is ``β|c|/√width``, for ``L = 3``
    ``β|c|·width^{-1/3}`` — *below* the parallel network's ``β|c|``.  This is why the
    authors' architecture is not described by the Lasso (a computed fact, see the chapter).
    """
    L, m = family.depth, int(width)
    c = float(coefficient)
    # minimize (L−2) v^L + 2 m u^L subject to m u² v^{L−2} = |c|: Lagrange gives v^L = m u^L
    # (each of the L−2 shared weights and each wide/output weight carries the same "marginal" cost).
    u = (abs(c) / (m * m ** ((L - 2) / L))) ** (1.0 / L)
    v = (m ** (1.0 / L)) * u
    signs, breaks = family._split({k: np.asarray(val, dtype=np.float64).reshape(-1)
                                   for k, val in params.items() if k.startswith(("s", "a"))})
    t = chain_thresholds(signs, breaks)
    net = AuthorsNet(L, m)
    with torch.no_grad():
        scale = 1.0                                   # h_l = scale · f_l on the shared chain
        for l in range(1, L - 1):
            s = float(signs[l - 1][0])
            getattr(net, f"w{l}").fill_(s * v)
            getattr(net, f"b{l}").fill_(-s * v * scale * float(t[l - 1][0]))
            scale *= v
        s = float(signs[L - 2][0])
        getattr(net, f"w{L - 1}").fill_(s * u)
        getattr(net, f"b{L - 1}").fill_(-s * u * scale * float(t[L - 2][0]))
        net.alpha.fill_(np.sign(c) * u)
        net.xi.fill_(float(xi))
    return net


# ---------------------------------------------------------------------- training
def train_network(net, data, *, beta: float, epochs: int, lr: float = 5e-3,
                  weight_decay: float = 0.0, authors_loss: bool = False,
                  log_every: int | None = None, seeds=None):
    """Full-batch Adam on every copy of ``net`` (trained together, each independently).

    Parameters
    ----------
    net : ParallelNetwork (already initialized)
    data : Dataset or (x, y)
    beta : float
    epochs : int
    lr : float
        Adam learning rate (the authors: 5e-3).
    weight_decay : float
        Adam's (coupled) weight decay on every parameter, biases included
        (the authors: 1e-4).  0 trains on the exact objective.
    authors_loss : bool
        Train on :meth:`AuthorsNet.authors_loss` instead of the objective.
    seeds : sequence of int, optional
        The seeds ``net`` was initialized with (recorded in the result; default ``0..S−1``).

    Returns
    -------
    lassobook.training.AdamRuns
        ``objectives`` are always the exact objective ``½‖f − y‖² + (β/L)Σ|w|^L``.
    """
    from .training import AdamRuns

    data = data if hasattr(data, "x_sorted") else as_dataset(*data)
    if data.weighted:
        raise ValueError("this Adam loop is unweighted: for weights or repeated x use "
                         "lassobook.train_adam")
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    log_every = int(log_every or max(1, epochs // 200))
    history = []
    t0 = time.perf_counter()
    for epoch in range(int(epochs)):
        opt.zero_grad()
        if epoch % log_every == 0:
            with torch.no_grad():
                history.append(net.objective(xt, yt, beta).numpy().copy())
        loss = net.authors_loss(xt, yt, beta) if authors_loss else net.objective(xt, yt, beta)
        loss.sum().backward()
        opt.step()
    with torch.no_grad():
        final = net.objective(xt, yt, beta).numpy().copy()
    history.append(final)
    seeds = np.arange(net.n_models) if seeds is None else np.asarray(list(seeds), dtype=np.int64)
    return AdamRuns(seeds=seeds, objectives=final, history=np.array(history),
                    network=net, epochs=int(epochs), lr=float(lr), width=net.width,
                    wall_time=time.perf_counter() - t0)


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


def authors_kink(net, data, model: int | None = None) -> np.ndarray:
    """The authors' "kink": the first ``x`` of ``linspace(x_1 − 0.5, x_N + 0.5, 1000)`` where
    ``|f(x) − max(y)| < 10⁻²`` (NaN if never), per copy (their ``plotresults``)."""
    xs = data.x_sorted
    grid = np.linspace(xs[0] - 0.5, xs[-1] + 0.5, 1000)
    with torch.no_grad():
        f = net(as_tensor(grid)).numpy()
    hit = np.abs(f - data.y.max()) < 1e-2
    first = np.where(hit.any(axis=1), grid[np.argmax(hit, axis=1)], np.nan)
    return first if model is None else first[model]


class ReflectionHits:
    """Where trained networks bend, relative to a reflection point (see :func:`reflection_hits`).

    Attributes
    ----------
    authors_kink : ndarray (S,)   the authors' kink measure per run
    kinks : list of ndarrays      slope-change kinks per run inside the widened data range
    at_reflection : ndarray bool (S,)   the authors' kink within ``radius`` of the reflection
    any_at_reflection : ndarray bool (S,)   some kink within ``radius`` of the reflection
    interpolates : ndarray bool (S,)   ``max_n |f(x_n) − y_n| < 1e-2``
    constant : ndarray bool (S,)   the network is constant over the widened data range (a dead chain)
    """

    def __init__(self, authors_kink, kinks, at_reflection, any_at_reflection, interpolates,
                 reflection, radius, constant=None):
        self.authors_kink = authors_kink
        self.kinks = kinks
        self.at_reflection = at_reflection
        self.any_at_reflection = any_at_reflection
        self.interpolates = interpolates
        self.reflection = reflection
        self.radius = radius
        self.constant = np.zeros(len(kinks), dtype=bool) if constant is None else constant

    @property
    def fraction(self) -> float:
        """Share of runs whose (authors') kink is within ``radius`` of the reflection."""
        return float(np.mean(self.at_reflection))

    def __repr__(self):
        return (f"ReflectionHits(reflection={self.reflection:g}, runs={self.at_reflection.size}, "
                f"at reflection={self.at_reflection.sum()}, any kink there={self.any_at_reflection.sum()}, "
                f"interpolating={self.interpolates.sum()}, constant={self.constant.sum()})")


def reflection_hits(net, data, reflection_point: float, radius: float = 0.1,
                    min_change: float = 0.2) -> ReflectionHits:
    """Per run: does the trained network's kink sit at ``reflection_point`` (within ``radius``)?

    Two measures: the authors' kink (:func:`authors_kink`), and any kink whose
    slope change is at least ``min_change`` (the optimal networks of the paper's
    figures bend by 0.75 to 1; trained networks also have many small bends).
    """
    xs = data.x_sorted
    span = xs[-1] - xs[0]
    grid = np.linspace(xs[0] - 0.1 * span, xs[-1] + 0.1 * span, 20001)
    with torch.no_grad():
        values = net(as_tensor(grid)).numpy()
        fitted = net(as_tensor(data.x)).numpy()
    kinks = function_kinks(values, grid, min_change)
    ak = authors_kink(net, data)
    with np.errstate(invalid="ignore"):
        at = np.abs(ak - reflection_point) <= radius
    anyk = np.array([bool(k.size and np.abs(k - reflection_point).min() <= radius) for k in kinks])
    interp = np.abs(fitted - data.y[None, :]).max(axis=1) < 1e-2
    constant = np.ptp(values, axis=1) < 1e-3 * max(1.0, float(np.ptp(data.y)))
    return ReflectionHits(ak, kinks, at, anyk, interp, float(reflection_point), float(radius), constant)


# ---------------------------------------------------------------------- Figure 3's theory
#: The theoretical minimum-norm networks drawn in the paper's Figure 3:
#: lists of ``(coefficient, p, q)`` meaning ``coefficient · ramp(p, q, x)`` (``q = inf``: ReLU).
FIG3_THEORETICAL = {
    2: [(1.0, 5.0, np.inf), (-2 / 3, 7.0, np.inf), (-1 / 3, 10.0, np.inf)],
    3: [(2 / 3, 5.0, 7.0), (1 / 3, 5.0, 10.0)],
    4: [(1.0, 5.0, 8.0)],
}


def theoretical_coefficients(dictionary, units, xi: float = 0.0, atol: float = 1e-9) -> np.ndarray:
    """Express a network ``Σ c·ramp(p, q, x)`` as a coefficient vector on ``dictionary``'s columns.

    Each unit is matched to a column equal to it up to an additive constant and a
    sign (the dictionary keeps one of an increasing/decreasing pair) on a dense
    grid *and* on the data; raises ``ValueError`` if some unit has no column.
    """
    data = dictionary.data
    xs = data.x_sorted
    span = xs[-1] - xs[0]
    grid = np.concatenate([xs, np.linspace(xs[0] - span, xs[-1] + span, 2001)])
    cols = dictionary.evaluate(grid)
    cols = cols - cols.mean(axis=0)
    z = np.zeros(dictionary.size)
    for c, p, q in units:
        g = capped_ramp(p, q, grid)
        g = g - g.mean()
        err = np.abs(cols - g[:, None]).max(axis=0)
        err_neg = np.abs(cols + g[:, None]).max(axis=0)
        sign = np.where(err_neg < err, -1.0, 1.0)
        err = np.minimum(err, err_neg)
        k = int(np.argmin(err))
        if err[k] > atol * max(1.0, np.abs(g).max()):
            raise ValueError(f"no dictionary column equals ramp({p:g}, {q:g}, x)")
        z[k] += sign[k] * c
    return z


def optimal_supports(fit, max_units: int = 3, rtol: float = 1e-6):
    """The smallest supports of optimal Lasso solutions, by exact enumeration over active columns.

    A vector ``z`` supported on ``S`` is optimal iff it reproduces the (unique)
    optimal fitted values and ``sign(z_k) = sign(A_kᵀλ*)`` with ``|A_kᵀλ*| = β``
    on ``S`` (then ``β‖z‖₁ = λ*ᵀAz``, the optimal value).  Tries all subsets of the
    active columns of size ``1, 2, …, max_units``.

    Returns
    -------
    (size, supports) : int and list of (columns, coefficients); ``size = None``
    if no optimal solution has at most ``max_units`` units.
    """
    A = fit.dictionary.matrix
    lam = fit.solution.residual
    corr = A.T @ lam
    active = np.flatnonzero(np.abs(corr) >= fit.beta * (1 - 1e-5))
    Ac = A - A.mean(axis=0)
    target = Ac @ fit.solution.z
    scale = max(1.0, np.abs(target).max())
    for r in range(1, max_units + 1):
        found = []
        for S in combinations(active.tolist(), r):
            M = Ac[:, S]
            z, *_ = np.linalg.lstsq(M, target, rcond=None)
            if np.abs(M @ z - target).max() > rtol * scale:
                continue
            if np.all(z * np.sign(corr[list(S)]) > 0):
                found.append((list(S), z))
        if found:
            return r, found
    return None, []


# ---------------------------------------------------------------------- the chapter's tables
# The deep narrow chapter's computations, each returning a pandas DataFrame (the page
# shows it as a table) and asserting what the chapter states.
def chapter_family(depth: int):
    """The ReLU family of depth ``depth`` (2: two-layer; 3, 4: parallel deep narrow)."""
    from .families import get_family

    return get_family("relu", depth=depth)


def chapter_dictionary(data, depth: int):
    """The pruned dictionary of ``depth`` (one column per pair g, C − g)."""
    from .dictionaries import build_dictionary

    return build_dictionary(data, chapter_family(depth))


def chapter_lasso(data, depth: int, beta: float, **kw):
    """The dense (interior-point) Lasso fit over :func:`chapter_dictionary`."""
    from .lasso import fit_dense

    return fit_dense(data, family=chapter_family(depth), beta=beta,
                     dictionary=chapter_dictionary(data, depth), **kw)


def dictionary_table(data, depth: int):
    """The kept columns of ``depth``'s dictionary: index, shape, reflection breakpoint."""
    import pandas as pd

    fam, D = chapter_family(depth), chapter_dictionary(data, depth)
    rows = []
    for c in range(D.size):
        p = {k: v[c] for k, v in D.params.items()}
        sigma, lo, hi = fam.canonical(p)
        rows.append({"index (s, j, k)": D.labels[c],
                     "shape": ("+" if sigma > 0 else "−") + f"ramp({lo:g}, {hi:g})",
                     "reflection breakpoint": fam.mirror(p)})
    return pd.DataFrame(rows)


def certify_cases(cases, tol: float = 1e-6):
    """Lasso vs rebuilt network and the exact certificate, for every (name, data, beta) and L = 3, 4.

    Asserts: the rebuilt network's objective is the Lasso objective of the
    coefficients it keeps; at ``beta ≥ 0.01`` it is the optimum to ``tol``; the exact
    active-set solution is certified and the interior-point optimum matches it to 1e-5.

    Returns ``(fits, table)``: ``fits[name, L, beta]`` the dense fits.
    """
    import pandas as pd

    from .fitting import fit as exact_fit
    from .lasso import lasso_objective

    fits, rows = {}, []
    for name, data, beta in cases:
        for L in (3, 4):
            fit = chapter_lasso(data, L, beta)
            fits[name, L, beta] = fit
            net_obj = fit.network_objective()
            keep = np.isin(np.arange(fit.dictionary.size), fit.support)
            kept = lasso_objective(fit.dictionary.matrix, data.y,
                                   np.where(keep, fit.solution.z, 0.0), fit.solution.xi, beta)
            rel = abs(net_obj - fit.objective) / fit.objective
            assert abs(net_obj - kept) <= 1e-9 * kept
            if beta >= 0.01:
                assert rel <= tol, (name, L, beta, rel)
            exact = exact_fit(data, family=chapter_family(L), beta=beta, solver="structured")
            cert = exact.certificate()
            assert cert.certified, (name, L, beta, str(cert))
            assert abs(fit.objective - exact.objective) <= 1e-5 * exact.objective
            rows.append({"data": name, "β": beta, "L": L, "Lasso optimum / β": fit.objective / beta,
                         "network objective / β": net_obj / beta, "rel. difference": rel,
                         "certificate ratio": cert.ratio, "units": fit.support.size})
    return fits, pd.DataFrame(rows)


def same_optimum_table(cases, fits, rtol: float = 1e-5):
    """Optimal objectives of L = 3, L = 4 and L = 4 without reflection columns (asserted equal)."""
    import pandas as pd

    from .lasso import fit_dense

    rows = []
    for name, data, beta in cases:
        no_mirrors = fit_dense(data, family=DeepNarrowReLU(4, reflections=False), beta=beta)
        o = [fits[name, 3, beta].objective, fits[name, 4, beta].objective, no_mirrors.objective]
        spread = (max(o) - min(o)) / min(o)
        assert spread <= rtol, name
        rows.append({"data": name, "β": beta, "L = 3": o[0] / beta, "L = 4": o[1] / beta,
                     "L = 4, no reflections": o[2] / beta, "rel. spread": spread})
    return pd.DataFrame(rows)


def smallest_table(cases, fits, max_units: int = 3):
    """The number of units of the smallest optimal networks at L = 3 and 4 (None: more than
    ``max_units``); asserts that the reflections never make it larger."""
    import pandas as pd

    rows = []
    for name, _, beta in cases:
        sizes = [optimal_supports(fits[name, L, beta], max_units=max_units)[0] for L in (3, 4)]
        if sizes[0] is not None:
            assert sizes[1] is not None and sizes[1] <= sizes[0], name
        rows.append({"data": name, "β": beta, "L = 3": sizes[0], "L = 4": sizes[1]})
    df = pd.DataFrame(rows)
    for col in ("L = 3", "L = 4"):
        df[col] = [f"> {max_units}" if v is None or v != v else str(int(v)) for v in df[col]]
    return df


def fig3_theory_table(data, beta: float):
    """Figure 3's theoretical networks: interpolation, ℓ1 norm, the exact minimum ℓ1 of an
    interpolating network (an LP) with its dual certified over the continuous family, and
    the objective at ``beta`` vs the minimum-ℓ2-norm Lasso optimum.  Asserts all of it.

    Returns ``(table, min_norm_fits)``.
    """
    import pandas as pd

    from .certificate import dual_correlations
    from .lasso import lasso_objective

    rows, min_norm = [], {}
    for L in (2, 3, 4):
        D, fam = chapter_dictionary(data, L), chapter_family(L)
        units = FIG3_THEORETICAL[L]
        fitted = sum(c * capped_ramp(p, q, data.x) for c, p, q in units)
        l1 = sum(abs(c) for c, _, _ in units)
        _, _, l1_bp, lam = basis_pursuit(D)
        sup = dual_correlations(fam, data.x, lam, fam.candidate_params(data)).max()
        zt = theoretical_coefficients(D, units)
        xi_t = float(np.mean(data.y - D.matrix @ zt))
        obj_t = lasso_objective(D.matrix, data.y, zt, xi_t, beta)
        mn = chapter_lasso(data, L, beta, min_norm=True)
        min_norm[L] = mn
        err = np.abs(fitted - data.y).max()
        assert err < 1e-12
        assert abs(l1_bp - l1) <= 1e-9 and sup <= 1 + 1e-9
        assert abs(obj_t - mn.objective) <= 1e-5 * mn.objective
        rows.append({"L": L, "max |f(x_n) − y_n|": err, "‖z‖₁ of the drawn network": l1,
                     "least ‖z‖₁ that interpolates": l1_bp, "dual sup over chains": sup,
                     "objective / β (drawn)": obj_t / beta,
                     "Lasso optimum / β": mn.objective / beta})
    return pd.DataFrame(rows), min_norm


def min_norm_units(fit, atol: float = 1e-6):
    """The minimum-ℓ2-norm solution as units ``(c, p, q)`` (L ≥ 3) or labelled ReLUs (L = 2)."""
    D, z = fit.dictionary, fit.solution.z
    out = []
    for c in fit.support:
        if abs(z[c]) <= atol:
            continue
        p = {k: v[c] for k, v in D.params.items()}
        if isinstance(fit.family, DeepNarrowReLU):
            sigma, lo, hi = fit.family.canonical(p)
            out.append((float(sigma * z[c]), lo, hi))
        else:
            out.append((float(z[c]), D.labels[c]))
    return out


def authors_protocol_runs(panels, max_epochs: int, optimum, radius: float = 0.1):
    """One run per paper panel with the authors' protocol (:data:`AUTHORS_PROTOCOL`),
    epochs capped at ``max_epochs``.  ``optimum(name, L, beta)`` gives the parallel optimum.

    Returns ``(runs, table)``: ``runs[name, L] = (net, AdamRuns, ReflectionHits, optimum)``.
    """
    import pandas as pd

    from .datasets import paper_dataset

    runs, rows = {}, []
    for name, L in panels:
        s = AUTHORS_PROTOCOL[name, L]
        data = paper_dataset(s["dataset"])
        epochs = min(s["epochs"], max_epochs)
        net = AuthorsNet(L, s["width"])
        authors_init(net, [s["seed"]], data.x_sorted, seeded=s["seeded"])
        r = train_network(net, data, beta=s["beta"], epochs=epochs, weight_decay=1e-4,
                          authors_loss=True)
        hits = reflection_hits(net, data, s["reflection"], radius)
        opt = optimum(name, L, s["beta"])
        runs[name, L] = (net, r, hits, opt)
        rows.append({"panel": name, "L": L, "epochs": epochs, "authors' kink": hits.authors_kink[0],
                     "reflection": s["reflection"], "interpolates": bool(hits.interpolates[0]),
                     "objective / parallel optimum": r.objectives[0] / opt})
    return runs, pd.DataFrame(rows)


def random_init_runs(panels, seeds, max_epochs: int, fits, radius: float = 0.1, tol=1e-6):
    """Adam from random initializations on each panel, both architectures (parallel chains
    on the exact objective; the authors' network with their loss and weight decay).
    Asserts that no parallel run ends below the Lasso optimum.

    Returns ``(runs, table)``: ``runs[name, L, arch] = (AdamRuns, ReflectionHits, optimum)``.
    """
    import pandas as pd

    from .datasets import paper_dataset
    from .training import train_adam

    seeds = list(seeds)
    runs, rows = {}, []
    for name, L in panels:
        s = AUTHORS_PROTOCOL[name, L]
        data = paper_dataset(s["dataset"])
        epochs = min(s["epochs"], max_epochs)
        opt = fits[name, L, s["beta"]].objective
        parallel = train_adam(data, family=chapter_family(L), beta=s["beta"], width=s["width"],
                              seeds=seeds, epochs=epochs, lr=5e-3, progress=False)
        net = AuthorsNet(L, s["width"], n_models=len(seeds))
        authors_init(net, seeds, data.x_sorted, seeded=None)
        authors = train_network(net, data, beta=s["beta"], epochs=epochs, weight_decay=1e-4,
                                authors_loss=True)
        for arch, r in (("parallel", parallel), ("authors'", authors)):
            hits = reflection_hits(r.network, data, s["reflection"], radius)
            ratio = r.objectives / opt
            runs[name, L, arch] = (r, hits, opt)
            if arch == "parallel":
                assert ratio.min() >= 1 - tol, (name, L)
            rows.append({"panel": name, "L": L, "network": arch,
                         "kink at reflection": hits.fraction,
                         "any kink at reflection": float(np.mean(hits.any_at_reflection)),
                         "interpolating": float(np.mean(hits.interpolates)),
                         "constant": float(np.mean(hits.constant)),
                         "objective / optimum, min": ratio.min(),
                         "median": float(np.median(ratio))})
    return runs, pd.DataFrame(rows)


def representative(runs, hits) -> int:
    """Index of the median-objective run among the interpolating runs (all runs if none)."""
    pool = (np.flatnonzero(hits.interpolates) if hits.interpolates.any()
            else np.arange(runs.objectives.size))
    return int(pool[np.argsort(runs.objectives[pool])[pool.size // 2]])
