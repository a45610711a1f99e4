r"""Symmetrized ReLU networks: a concatenated-ReLU layer feeding a ReLU, and their Lasso.

**The architecture (our definition).**  The paper's abstract says that "in absolute
value and symmetrized ReLU networks, a third layer creates features that represent
reflections"; its text is not available to us, so the definition below is *ours*.
The first hidden layer is a concatenated ReLU, ``z ↦ (relu(z), relu(−z))``, and both
halves feed one ReLU with their own weights.  A unit is

.. math:: \alpha\,\mathrm{relu}\bigl(a\,\mathrm{relu}(wx + b) + c\,\mathrm{relu}(-wx - b) + d\bigr)

and a network sums units plus a free output bias ``ξ``.  With ``a = c`` the inner sum
is ``a|wx + b|``: the abs→ReLU chain (:class:`lassobook.families.chains.NarrowChain`
``("abs", "relu")``), whose kinks mirror each other about ``−b/w``; with ``c = 0`` it
is the three-layer ReLU chain.

**The penalty.**  ``(β/3) Σ_k (|w_k|³ + ‖(a_k, c_k)‖³ + |α_k|³)``, the pair ``(a, c)``
penalized as one vector.  The unit is positively homogeneous of degree 1 in each
of the three groups ``(w, b)``, ``(a, c, d)`` and ``α``: for ``s > 0``,
``relu(s·z) = s·relu(z)``.  Writing ``t₁ = −b/w``, ``r = ‖(a, c)‖``,
``(â, ĉ) = (a, c)/r`` and ``t₂ = −d/(|w| r)``, a unit is

.. math:: \alpha|w|\,r \cdot g(x),\qquad g(x) = \mathrm{relu}\bigl(\hat a\,\mathrm{relu}(x - t_1)
          + \hat c\,\mathrm{relu}(t_1 - x) - t_2\bigr)

(for ``w < 0`` the two halves swap, which is ``(â, ĉ) ↦ (ĉ, â)``: the sign of ``w``
is redundant and the shapes take ``w > 0``).  By AM–GM
``(|w|³ + r³ + |α|³)/3 ≥ |α| |w| r`` with equality when the three are equal, so the
unit is ``c_unit·g`` at cost ``β|c_unit|`` and the training problem is the convex
problem over measures on the normalized shapes ``g``; the network rebuilt with
``|w| = r = |α| = |c_unit|^{1/3}`` has that cost exactly (:meth:`SymmetrizedReLU.reconstruct`).

*Which norm.*  The normalized slopes ``(â, ĉ)`` run over the unit sphere of the
norm, written with an angle ``θ``: ``(â, ĉ) = (cos θ, sin θ)/‖(cos θ, sin θ)‖``.
``â`` is the right slope of the inner function ``p(x) = â relu(x − t₁) + ĉ relu(t₁ − x) − t₂``
and ``−ĉ`` its left slope: ``p`` is *any* function with one kink, and the shape is
``relu(p)``.  We use the **max-norm** ``‖(a, c)‖_∞ = max(|a|, |c|)`` (default,
``norm="max"``): its sphere is a square whose corners ``|a| = |c|`` are the abs→ReLU
chain at equal cost and whose axis points ``c = 0`` are the ReLU chain at equal
cost, so the family contains both (its optimum is at most either's).  With the
Euclidean norm (``norm="l2"``) the abs→ReLU unit costs ``√2`` times more, and — the
point — no finite dictionary is exact (below).

**The vertex dictionary** (the recipe of :mod:`lassobook.families.chains`).  For *fixed*
slopes ``(â, ĉ)`` the unit is a narrow chain in ``(t₁, t₂)``: ``g(x_n)`` is affine on
the cells of the arrangement of the lines ``t₁ = x_n`` (a data point on the first
kink), ``â(x_n − t₁) = t₂`` (a data point on the right crossing ``r = t₁ + t₂/â``),
``ĉ(t₁ − x_n) = t₂`` (on the left crossing ``l = t₁ − t₂/ĉ``) and the gauge ``t₂ = 0``;
every cell is pointed, ``λᵀg`` is bounded (``1ᵀλ = 0``) and so maximized at a
vertex.  The vertices are

* V1 ``t₁ = x_i, t₂ = 0``;  V2 ``t₁ = x_i, t₂ = â(x_j − x_i)``;
  V3 ``t₁ = x_i, t₂ = ĉ(x_i − x_k)``;
* V4 ``â(x_j − t₁) = ĉ(t₁ − x_k) = t₂``: ``t₁ = (â x_j + ĉ x_k)/(â + ĉ)`` (same signs).

*How the slopes enter.*  Move ``(â, ĉ)`` along a side of the square (one of them
``±1``, the other ``s ∈ [−1, 1]``).  On each vertex family, every ``g(x_n)`` is
``relu`` of a function linear in ``s`` (V1, V2, V3), or ``min``/``relu`` of two
such (V4: the two sides of the kink, equal where ``t₁`` crosses ``x_n``), so
``λᵀg`` is piecewise linear in ``s`` and its maximum over a side is at a corner
``|â| = |ĉ| = 1``, at ``s = 0`` or at a breakpoint.  A breakpoint of V2/V3/V4 is a
slope where a *third* data point lands on a kink: ``l = x_n, t₁ = x_i, r = x_j``
(``x_n < x_i < x_j``), which fixes the slope ratio ``|ĉ|/|â| = (x_j − x_i)/(x_i − x_n)``.
V1 has only ``s = 0``.  So the maximum of ``|λᵀg|`` over the continuous family is
attained on the finite set

* every vertex V1–V4 at the eight slopes ``θ ∈ (π/4)·{0, …, 7}`` (corners and axis
  points: the ReLU chain, the abs→ReLU chain with ``a = ±c``), and
* the **three-point shapes** (kinks at three data points).  With ``â, ĉ > 0`` the
  shape is ``â·relu(x − x_j) + ĉ·relu(x_n − x)`` on the data, a convex combination of
  the corner vertex ``relu(x − x_j) + relu(x_n − x)`` and the axis vertex
  ``relu(x − x_j)`` (take ``â = 1``): never needed.  With ``â, ĉ < 0`` it is the
  asymmetric **hat** on ``[x_n, x_j]`` peaking at ``x_i``, its steeper side of slope
  1 (``θ = atan2(−(x_j − x_i), −(x_i − x_n))``): these are new.

and :meth:`SymmetrizedReLU.raw_dictionary` is this set: a complete dictionary
(``complete = True``).  It has ``8N + 9N(N − 1)`` corner and axis vertices (V1–V3 at
each of the eight angles, V4 at the two corners with ``â = ĉ``) and ``C(N, 3)`` hats,
before pruning.

*Where the reflections come from.*  At the corner ``â = ĉ = −1`` the unit is
``relu(d − |x − t₁|)``, a symmetric tent; V2 puts its peak on ``x_i`` and its right
foot on ``x_j``, so its left foot is the reflection ``2x_i − x_j``.  The corner
``â = ĉ = +1`` gives ``relu(|x − t₁| − t₂) = relu(x − r) + relu(l − x)``, which on the
data is a convex combination of shapes with ``l, r`` at data points: its
reflection vertices are never needed.  So the reflection features of this family
are the tents: ``a = c`` with negative inner weights.

**The Euclidean norm has no finite dictionary.**  With ``‖(a, c)‖₂``, at
``â, ĉ > 0`` and ``t₂ > 0`` the shape is ``cos θ·relu(x − r) + sin θ·relu(l − x)``; for
fixed ``l ≤ r`` at data points ``λᵀg = A cos θ + B sin θ`` is maximized at
``θ = atan2(B, A)``, with value ``√(A² + B²)``, and ``θ`` depends on ``λ``: the dual
constraint is a second-order cone, the convex program a group-Lasso-like SOCP,
and no finite set of ``θ`` is exact.  ``norm="l2"`` builds the same vertex set with
the slopes normalized in ``ℓ₂`` (plus ``extra_angles`` uniformly spaced ``θ``) and is
marked ``complete = False``.  It is exact up to a known factor.  Along the circle
a vertex family's data vector is linear in ``(cos θ, sin θ)`` on pieces (the shapes
are homogeneous in ``(â, ĉ)``), so ``λᵀg = R cos(θ − θ*)`` on a piece; a piece spans
a quadrant (its ends are axis angles) or ends at a hat, or it is V2/V3 with
``â, ĉ > 0``, whose data vector is a convex combination of two V4 ones (the crossing
off the data interpolates between its neighbours).  So a maximum inside a piece is
within half the largest angle gap ``δ`` (:meth:`SymmetrizedReLU.angle_gap`) of a
dictionary angle on the same piece, and ``max_g |λᵀg| ≤ max_dictionary |λᵀg| / cos(δ/2)``:
``1/cos(π/8) = 1.0824`` for the eight special angles alone, attained on random data
(the Lasso uses the two columns beside ``θ*`` and makes both tight, which puts
``θ*`` in the middle of the gap).  The certificate's duality gap then bounds how far
the Lasso optimum is above the network optimum.

The argument is checked, not trusted: :meth:`SymmetrizedReLU.candidate_params`
samples the continuous family densely, :func:`angle_sweep` maximizes exactly over
``(t₁, t₂)`` on a fine grid of angles (it tests the new part of the argument, how
``θ`` enters), and :func:`continuous_search` refines random samples by line searches
in ``(t₁, θ, t₂)``; the tests run all three on random datasets.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import torch
from torch import nn

from lassobook.analysis.kinks import classify_kinks
from lassobook.core.family import Family, breakpoint_candidates
from lassobook.core.networks import DTYPE, ParallelNetwork
from lassobook.core.points import second_order_points

#: Penalty norms of the pair ``(a, c)``.
NORMS = ("max", "l2")


#: The eight corner and axis angles of the max-norm square: ``θ = kπ/4``.
SPECIAL_ANGLES = np.pi / 4 * np.arange(-3, 5)


def _norm(a, c, norm):
    if norm == "max":
        return np.maximum(np.abs(a), np.abs(c))
    return np.hypot(a, c)


def slopes(theta, norm: str = "max"):
    """``(â, ĉ) = (cos θ, sin θ)/‖(cos θ, sin θ)‖`` (broadcasting), exact at the special angles."""
    a, c = np.cos(theta), np.sin(theta)
    a = np.where(np.abs(a) < 1e-15, 0.0, a)
    c = np.where(np.abs(c) < 1e-15, 0.0, c)
    r = _norm(a, c, norm)
    a, c = a / r, c / r
    if norm == "max":                      # the corners and sides exactly ±1
        a = np.where(np.abs(np.abs(a) - 1) < 1e-13, np.sign(a), a)
        c = np.where(np.abs(np.abs(c) - 1) < 1e-13, np.sign(c), c)
    return a, c


def symrelu_shape(x, t1, a, c, t2):
    """``relu(a relu(x − t1) + c relu(t1 − x) − t2)`` (broadcasting)."""
    u = x - t1
    return np.maximum(a * np.maximum(u, 0.0) + c * np.maximum(-u, 0.0) - t2, 0.0)


def _vertices(x, a, c):
    """Vertices V1–V4 of the ``(t₁, t₂)`` arrangement at slopes ``(a, c)`` (scalars): (t1, t2)."""
    n = x.size
    i, j = np.triu_indices(n, k=1)                      # x_i < x_j (sorted)
    t1 = [x, x[i], x[j]]
    t2 = [np.zeros(n), a * (x[j] - x[i]), c * (x[j] - x[i])]   # V1, V2 (t1=x_i), V3 (t1=x_j)
    if a * c > 0:                                       # V4: left crossing x_i, right x_j
        t1.append((a * x[j] + c * x[i]) / (a + c))
        t2.append(a * c * (x[j] - x[i]) / (a + c))
    return np.concatenate(t1), np.concatenate(t2)


def _three_point(x):
    """The hats with feet ``x_n < x_j`` and peak ``x_i`` between them: (t1, theta, triples)."""
    trip = np.array(list(combinations(range(x.size), 3)), dtype=int).reshape(-1, 3)
    xn, xi, xj = x[trip[:, 0]], x[trip[:, 1]], x[trip[:, 2]]
    left, right = xi - xn, xj - xi                      # ĉ/â = right/left, both negative
    return xi, np.arctan2(-right, -left), trip


class SymmetrizedReLU(Family):
    r"""Parallel symmetrized ReLU networks (module docstring; the definition is ours).

    ``f(x) = Σ_k α_k relu(a_k relu(w_k x + b_k) + c_k relu(−w_k x − b_k) + d_k) + ξ``,
    penalty ``(β/3) Σ_k (|w_k|³ + ‖(a_k, c_k)‖³ + |α_k|³)``.

    Parameters
    ----------
    norm : {"max", "l2"}
        The norm of ``(a, c)`` in the penalty.  "max" has an exact finite dictionary;
        "l2" has none (``complete = False``).
    extra_angles : int
        Add the vertices at this many uniformly spaced angles ``θ`` (for "l2").

    Dictionary parameters (per column)
    ----------------------------------
    t1 : float
        The first kink (an input-space point).
    theta : float
        The angle of the normalized slopes ``(â, ĉ)`` (:func:`slopes`).
    t2 : float
        The hidden threshold.
    kind : int
        :data:`KINDS`: 0 a vertex at a corner or axis angle, 1 a three-point shape,
        2 a vertex at an extra angle.
    """

    activation = "symmetrized_relu"
    depth = 3
    degree = 1
    architecture = "parallel"

    def __init__(self, norm: str = "max", extra_angles: int = 0):
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        if int(extra_angles) < 0:
            raise ValueError(f"extra_angles must be >= 0, got {extra_angles!r}")
        self.norm = norm
        self.extra_angles = int(extra_angles)
        self.complete = norm == "max"

    # ------------------------------------------------------------------ shapes
    def shape(self, x, t1, theta, t2, **_):
        a, c = slopes(theta, self.norm)
        return symrelu_shape(x, t1, a, c, t2)

    def kinks(self, params):
        """The kinks among ``t₁`` and the crossings ``t₁ + t₂/â``, ``t₁ − t₂/ĉ``, sorted."""
        t1, t2 = float(params["t1"]), float(params["t2"])
        a, c = (float(v) for v in slopes(float(params["theta"]), self.norm))
        cand = [t1]
        if a != 0 and t2 / a > 0:
            cand.append(t1 + t2 / a)
        if c != 0 and t2 / c > 0:
            cand.append(t1 - t2 / c)
        cand = np.unique(cand)
        gaps = np.diff(cand)
        h = 1e-6 * max(1.0, float(np.abs(cand).max()), float(gaps.min()) if gaps.size else 1.0)
        g = lambda z: symrelu_shape(z, t1, a, c, t2)  # noqa: E731
        bend = np.abs(g(cand + h) - 2 * g(cand) + g(cand - h)) > 1e-9 * h
        return cand[bend]

    # ------------------------------------------------------------------ dictionary
    def angles(self) -> np.ndarray:
        """The angles at which every vertex V1–V4 is taken: corners, axes, extra angles."""
        extra = np.linspace(-np.pi, np.pi, self.extra_angles, endpoint=False) + np.pi / 8
        return np.concatenate([SPECIAL_ANGLES, extra])

    def angle_gap(self) -> float:
        """The largest gap between consecutive angles of :meth:`angles` (on the circle)."""
        th = np.sort(np.mod(self.angles() + np.pi, 2 * np.pi))
        return float(np.diff(np.concatenate([th, [th[0] + 2 * np.pi]])).max())

    def raw_dictionary(self, data):
        """Vertices V1–V4 at the special (and extra) angles, then the three-point hats.

        Labels read ``"θ=0.7854 t1=0.1 t2=0.4"`` (vertices) and ``"hat(x2, x4, x7)"``
        (feet at ``x2``, ``x7``, peak at ``x4``; sorted point indices).
        """
        x = data.x_sorted
        T1, TH, T2, K, labels = [], [], [], [], []
        for q, th in enumerate(self.angles()):
            a, c = (float(v) for v in slopes(th, self.norm))
            t1, t2 = _vertices(x, a, c)
            T1.append(t1)
            T2.append(t2)
            TH.append(np.full(t1.size, th))
            K.append(np.full(t1.size, 0 if q < SPECIAL_ANGLES.size else 2))
            labels += [f"θ={th:.4g} t1={u:.6g} t2={v:.6g}" for u, v in zip(t1, t2)]
        xi, th, trip = _three_point(x)
        a, c = slopes(th, self.norm)
        T1.append(xi)
        TH.append(th)
        T2.append(a * (x[trip[:, 2]] - xi))           # the right foot at x_j
        K.append(np.ones(xi.size, dtype=int))
        labels += [f"hat(x{p + 1}, x{q + 1}, x{r + 1})" for p, q, r in trip]
        params = {"t1": np.concatenate(T1), "theta": np.concatenate(TH), "t2": np.concatenate(T2),
                  "kind": np.concatenate(K).astype(np.int64)}
        return params, labels

    def candidate_params(self, data, resolution=2000):
        """A dense sample of the continuous ``(t₁, θ, t₂)`` family for the certificate.

        The raw dictionary itself; ``20·resolution`` seeded random shapes (``t₁``
        uniform over the data range widened by its length, ``θ`` uniform on the
        circle, ``t₂`` uniform on ``[−2·span, 2·span]``); and a grid: ``t₁`` over
        ``q`` of the :func:`breakpoint_candidates`, ``θ`` over ``q`` uniform angles
        plus the eight special ones, ``t₂`` over ``±`` ``q`` distances from those
        points to the data, ``q ≈ (2·resolution)^{1/3}·2``.  About 8×10⁴ shapes at
        the default resolution.
        """
        x = data.x_sorted
        span = float(x[-1] - x[0]) or 1.0
        params, _ = self.raw_dictionary(data)
        rng = np.random.default_rng(0)
        r = 20 * int(resolution)
        t1_r = rng.uniform(x[0] - span, x[-1] + span, r)
        th_r = rng.uniform(-np.pi, np.pi, r)
        t2_r = rng.uniform(-2 * span, 2 * span, r)
        q = max(8, int(round(2 * (2 * int(resolution)) ** (1 / 3))))
        B = breakpoint_candidates(x, q)
        B = B[np.linspace(0, B.size - 1, min(B.size, q)).astype(int)]
        H = np.unique(np.abs(B[:, None] - x[None, :]))
        H = H[np.linspace(0, H.size - 1, min(H.size, q // 2)).astype(int)]
        TH = np.concatenate([SPECIAL_ANGLES, np.linspace(-np.pi, np.pi, q, endpoint=False) + 0.1])
        g1, gth, g2 = np.meshgrid(B, TH, np.concatenate([-H, [0.0], H]), indexing="ij")
        return {"t1": np.concatenate([params["t1"], t1_r, g1.ravel()]),
                "theta": np.concatenate([params["theta"], th_r, gth.ravel()]),
                "t2": np.concatenate([params["t2"], t2_r, g2.ravel()])}

    # ------------------------------------------------------------------ networks
    def network(self, width, n_models=1):
        return SymReLUNet(width, n_models=n_models, norm=self.norm)

    def reconstruct(self, params, coefficients, xi):
        r"""One unit per coefficient ``z``: ``τ = |z|^{1/3}``, ``w = τ``, ``b = −τ t₁``,
        ``(a, c) = τ(â, ĉ)``, ``d = −τ² t₂``, ``α = sign(z) τ``.  Then
        ``relu(wx + b) = τ relu(x − t₁)``, the inner ReLU holds ``τ² g(x)``, the unit is
        ``z·g`` and its penalty ``(β/3)(τ³ + τ³ + τ³) = β|z|`` (balanced weights)."""
        z, p = self.units(params, coefficients, ("t1", "theta", "t2"))
        t1, th, t2 = p["t1"], p["theta"], p["t2"]
        a, c = slopes(th, self.norm)
        tau = np.cbrt(np.abs(z))
        net = self.network(width=z.size)
        with torch.no_grad():
            for name, v in (("w", tau), ("b", -tau * t1), ("a", tau * a), ("c", tau * c),
                            ("d", -tau**2 * t2), ("alpha", np.sign(z) * tau)):
                getattr(net, name).copy_(torch.as_tensor(v)[None])
            net.xi.fill_(float(xi))
        return net

    @property
    def penalty_formula(self):
        n = r"\max(|a_k|, |c_k|)" if self.norm == "max" else r"\|(a_k, c_k)\|_2"
        return rf"\frac{{\beta}}{{3}}\sum_k \bigl(|w_k|^3 + {n}^3 + |\alpha_k|^3\bigr)"

    def __repr__(self):
        extra = f", extra_angles={self.extra_angles}" if self.extra_angles else ""
        return f"SymmetrizedReLU(norm={self.norm!r}{extra})"

    @property
    def has_oracle(self) -> bool:
        """True for the max norm, whose vertex dictionary is exact; ``norm="l2"`` has none."""
        return self.norm == "max"

    def oracle(self, data):
        """The exact dual oracle over the vertex dictionary, max norm only
        (:class:`~lassobook.families.symmetrized_relu_oracle.SymmetrizedReLUOracle`; its
        maximum is the continuous family's, so extra angles change nothing)."""
        if self.norm != "max":
            raise ValueError("no structured oracle for SymmetrizedReLU(norm='l2'): no finite dictionary "
                             "is exact; use solver='dense'")
        from lassobook.families.symmetrized_relu_oracle import SymmetrizedReLUOracle

        return SymmetrizedReLUOracle(self, data)


class SymReLUNet(ParallelNetwork):
    r"""``f(x) = Σ_k α_k relu(a_k relu(w_k x + b_k) + c_k relu(−w_k x − b_k) + d_k) + ξ``.

    Parameters ``w, b, a, c, d, alpha`` have shape (n_models, width); ``xi`` has shape
    (n_models,).  Penalty ``(β/3) Σ_k (|w_k|³ + ‖(a_k, c_k)‖³ + |α_k|³)`` per copy.
    """

    def __init__(self, width: int, n_models: int = 1, norm: str = "max"):
        super().__init__(width, n_models)
        if norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
        self.norm = norm
        shape = (self.n_models, self.width)
        self.w = nn.Parameter(torch.ones(shape, dtype=DTYPE))
        self.b = nn.Parameter(torch.zeros(shape, dtype=DTYPE))
        self.a = nn.Parameter(torch.ones(shape, dtype=DTYPE))
        self.c = nn.Parameter(torch.ones(shape, dtype=DTYPE))
        self.d = nn.Parameter(torch.zeros(shape, dtype=DTYPE))
        self.alpha = nn.Parameter(torch.zeros(shape, dtype=DTYPE))

    def _pair_norm(self) -> torch.Tensor:
        if self.norm == "max":
            return torch.maximum(self.a.abs(), self.c.abs())
        return torch.sqrt(self.a**2 + self.c**2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.w[:, :, None] * x[None, None, :] + self.b[:, :, None]
        h = torch.relu(self.a[:, :, None] * torch.relu(z) + self.c[:, :, None] * torch.relu(-z)
                       + self.d[:, :, None])
        return torch.einsum("sm,smn->sn", self.alpha, h) + self.xi[:, None]

    def penalty(self, beta: float) -> torch.Tensor:
        cubes = self.w.abs() ** 3 + self._pair_norm() ** 3 + self.alpha.abs() ** 3
        return (beta / 3.0) * cubes.sum(dim=1)

    def init_copy(self, k, generator, lo, hi):
        """``w, a, c ~ N(0, 1)``; ``t₁ = −b/w`` uniform over the data range; ``d`` puts the
        inner ReLU's kink at a second point uniform over the range (every unit starts
        with its kinks among the data); ``α ~ N(0, 1/width)``."""
        m, g = self.width, generator
        w, a, c = (torch.randn(m, generator=g, dtype=DTYPE) for _ in range(3))
        t1 = lo + (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE)
        p = lo + (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE)
        z = w * (p - t1)
        self.w[k], self.b[k], self.a[k], self.c[k] = w, -w * t1, a, c
        self.d[k] = -(a * torch.relu(z) + c * torch.relu(-z))
        self.alpha[k] = torch.randn(m, generator=g, dtype=DTYPE) / np.sqrt(m)

    def unit_coefficients(self) -> np.ndarray:
        """Each unit's coefficient ``α |w| ‖(a, c)‖`` on its normalized shape, (n_models, width)."""
        with torch.no_grad():
            return (self.alpha * self.w.abs() * self._pair_norm()).numpy().copy()

    def breakpoints(self) -> np.ndarray:
        """First-layer kinks ``−b/w`` of every unit, shape (n_models, width, 1)."""
        with torch.no_grad():
            w, b = self.w.numpy(), self.b.numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w != 0, -b / w, np.nan)[:, :, None]


def reflection_columns(dictionary) -> np.ndarray:
    """Columns with a kink strictly inside the data range at a reflection ``2x_i − x_j``
    that is neither a data point nor a midpoint (:func:`lassobook.analysis.kinks.classify_kinks`)."""
    x = dictionary.data.x_sorted
    sets = second_order_points(x)
    out = np.zeros(dictionary.size, dtype=bool)
    for k in range(dictionary.size):
        kinks = np.asarray(dictionary.kinks(k), dtype=np.float64)
        inside = kinks[(kinks > x[0]) & (kinks < x[-1])]
        out[k] = "reflection" in classify_kinks(inside, x, sets=sets)
    return out
