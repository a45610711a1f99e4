r"""Narrow chains of any piecewise-linear activations: vertex dictionaries.

A *narrow chain* of depth ``L`` is a unit made of ``L − 1`` width-1 layers, each
with its own positively homogeneous activation ``σ_l`` (ReLU, leaky ReLU or
absolute value), scalar weights, free biases and an output weight ``α``:

.. math::

    h_1 = x,\qquad h_{l+1} = \sigma_l(w_l h_l + b_l),\qquad \text{unit} = \alpha\, h_L ,

penalized by ``(β/L)(|w_1|^L + ⋯ + |w_{L−1}|^L + |α|^L)``; a network is a sum of
units plus a free output bias (the *parallel* architecture).  The deep narrow
ReLU chains of :mod:`lassobook.paper.deep_narrow` (all ``σ_l`` = ReLU) and the
three-layer absolute-value units of :mod:`lassobook.paper.abs_three_layer`
(``σ_1 = σ_2 = |·|``) are two members; this module treats every mix.

**Normalized shapes.**  Each ``σ_l`` is positively homogeneous, so
``σ(w h + b) = |w| σ(s (h − t))`` with ``s = sign(w)`` and the *threshold*
``t = −b/w``.  By AM–GM a unit is ``c · g`` at cost ``β|c|`` with

.. math:: f_1(x) = x,\qquad f_{l+1}(x) = \sigma_l\bigl(s_l (f_l(x) - t_l)\bigr),\qquad g = f_L ,

signs ``s ∈ {±1}^{L−1}`` and thresholds ``t ∈ R^{L−1}`` (``t_1`` is an input-space
point, ``t_l`` for ``l ≥ 2`` a value of the hidden layer).  For the absolute value the
sign is irrelevant (``|−u| = |u|``); :class:`NarrowChain` fixes it to ``+1``.

**The vertex dictionary** (the paper's vertex argument, made exact).  Write
``u_{l,n}(t) = f_l(x_n) − t_l`` for the pre-activation of layer ``l`` at the data
point ``x_n``.  Where no ``u_{l,n}`` changes sign, each ``f_l(x_n)`` is affine in
``t``: going through a layer multiplies by the *local slope* ``e_l`` of
``u ↦ σ_l(s_l u)`` (``e ∈ {0, ±1}`` for ReLU, ``{±1, ±ρ}`` for leaky ReLU, ``±1`` for
``|·|``), so

.. math:: f_l(x_n) = E_{1..l−1}\,x_n - \sum_{k<l} E_{k..l−1}\, t_k ,\qquad E_{k..l−1} = e_k e_{k+1}\cdots e_{l−1} .

The cells of the arrangement of the hyperplanes ``u_{l,n} = 0`` ("a data point sits
on the kink of layer ``l``", one hyperplane per choice of the slopes before it)
are polyhedra on which the data vector ``g(X)`` — hence the dual correlation
``λᵀg(X)`` — is affine in ``t``.  Add the *gauge* hyperplanes ``t_l = 0``
(``l ≥ 2``): the normals of ``t_1 = x_n`` and of the gauges span ``R^{L−1}``, so every
cell is pointed, and a linear function bounded on a pointed polyhedron attains its
maximum at a vertex.  (``|λᵀg|`` is bounded: ``1ᵀλ = 0`` kills constants and the
slopes are bounded.)  A vertex solves ``L − 1`` independent equations from the
pool, with slopes consistent with the activations *at* the vertex.  So

    ``max_{all units} |λᵀg(X)| = max_{vertices} |λᵀg(X)|`` for every dual vector ``λ``,

and the finite set of vertex shapes is a complete Lasso dictionary.
:func:`vertex_thresholds` enumerates it by brute force (every ``(L−1)``-subset of
the pool, solved and checked); :meth:`NarrowChain.raw_dictionary` evaluates every
sign vector at every vertex.  The argument is checked, not trusted:
:meth:`NarrowChain.candidate_params` and :func:`continuous_search` probe the
continuous family away from the vertices, and the tests compare with the
hand-derived dictionaries of the paper (ReLU ``L = 3, 4``, abs ``L = 3``).

What the vertices are, by depth (worked out in the chapter "The library of
mirrors" and checked there):

* ``L = 2``: ``t_1 = x_n`` — the two-layer dictionaries.
* ``L = 3``, absolute value: the two-layer, reflection and midpoint features of
  :mod:`lassobook.paper.abs_three_layer`.  Leaky ReLU is strictly monotone, so a layer's
  kink is the preimage of one point: all kinks sit at data points.
* ``L = 4``, absolute value: kinks at *reflections of reflections* such as
  ``2x_i − (2x_j − x_k)`` and mirrors of midpoints.
"""

from __future__ import annotations

from itertools import product
from math import comb

import numpy as np

from lassobook.analysis.kinks import KINK_CLASSES, kink_census, piecewise_kinks
from lassobook.core.activations import (
    HOMOGENEOUS,
    activation,
    check_activation,
    rho_for,
)
from lassobook.core.family import Family, breakpoint_candidates
from lassobook.core.networks import ChainNet, ChainParams, chain_function


# ---------------------------------------------------------------------- slopes and equations
def local_slopes(name: str, rho: float = 0.1) -> tuple[float, ...]:
    """The slopes ``e`` of ``u ↦ σ(s·u)`` over both signs ``s`` and both sides of the kink, sorted.

    With σ's (left, right) slopes ``(l, r)``: ``l, r`` for ``s = +1`` and ``−r, −l`` for
    ``s = −1`` (ReLU ``(−1, 0, 1)``, leaky ReLU ``(−1, −ρ, ρ, 1)``, absolute value ``(−1, 1)``).
    """
    record = activation(name)
    if not record.homogeneous:
        raise ValueError(f"narrow chains take positively homogeneous layers "
                         f"({', '.join(HOMOGENEOUS)}), got {name!r}")
    left, right = record.slopes(rho)
    return tuple(sorted({e + 0.0 for e in (left, right, -left, -right)}))   # + 0.0: −0 is 0


def kink_equations(x_sorted, activations, rho: float = 0.1):
    """The pool of hyperplanes ``u_{l,n}(t) = 0`` and the gauges ``t_l = 0`` (module docstring).

    Returns
    -------
    rows : ndarray of shape (q, D)
        Coefficients ``r`` of the equation ``r·t = rhs`` (``D = L − 1``).
    rhs : ndarray of shape (q,)
    layer : ndarray of int, shape (q,)
        The layer ``l`` (0-based) whose kink the equation pins; −1 for a gauge.
    point : ndarray of int, shape (q,)
        The data point (0-based, sorted order); −1 for a gauge.
    slopes : ndarray of shape (q, D)
        The local slopes ``e_k`` assumed for layers ``k < l`` (1 elsewhere).
    """
    x = np.asarray(x_sorted, dtype=np.float64)
    D = len(activations)
    rows, rhs, layer, point, slopes = [], [], [], [], []
    for l in range(D):
        for e in product(*(local_slopes(a, rho) for a in activations[:l])):
            e_full = np.ones(D)
            e_full[:l] = e
            r = np.zeros(D)
            r[l] = 1.0
            for k in range(l):
                r[k] = np.prod(e[k:])                   # E_{k..l−1}
            lead = np.prod(e) if l else 1.0             # E_{1..l−1}
            for n in range(x.size):
                rows.append(r)
                rhs.append(lead * x[n])
                layer.append(l)
                point.append(n)
                slopes.append(e_full)
        if l:
            gauge = np.zeros(D)
            gauge[l] = 1.0
            rows.append(gauge)
            rhs.append(0.0)
            layer.append(-1)
            point.append(-1)
            slopes.append(np.ones(D))
    rows, rhs = np.array(rows), np.array(rhs)
    # equations that coincide (e.g. ReLU slopes 0 make every point give the same row)
    _, keep = np.unique(np.round(np.column_stack([rows, rhs]), 12), axis=0, return_index=True)
    keep = np.sort(keep)
    return (rows[keep], rhs[keep], np.array(layer)[keep], np.array(point)[keep],
            np.array(slopes)[keep])


def _sign_sets(activations) -> list[tuple[float, ...]]:
    """The signs each layer can take: ``±1``, or ``+1`` alone for an absolute value (``|−u| = |u|``)."""
    return [(1.0,) if activation(a).even else (-1.0, 1.0) for a in activations]


def _consistent(name, rho, s, e, u, tol):
    """Is ``e`` the slope of ``u ↦ σ(s·u)`` at ``u`` (either side when ``|u| ≤ tol``)? Broadcasting.

    Even σ (absolute value, slopes ``∓1``): ``e = sign(u)`` whatever ``s``.  Otherwise σ has
    slope 1 on the right and ``lower`` (0 or ρ) on the left: ``e = s`` where ``s·u ≥ 0`` and
    ``e = s·lower`` where ``s·u ≤ 0``.
    """
    record = activation(name)
    if record.even:
        return (np.abs(e) == 1) & ((e * u >= -tol))
    on_side = np.where(np.abs(e) == 1, s * u >= -tol, s * u <= tol)
    lower = record.slopes(rho)[0]
    allowed = (e == s) | (e == s * lower)
    return allowed & on_side


def _subsets(q: int, k: int, chunk: int):
    """All ``k``-subsets of ``range(q)`` in increasing order, as int arrays of at most ~``chunk`` rows."""
    if k == 1:
        for start in range(0, q, chunk):
            yield np.arange(start, min(q, start + chunk))[:, None]
        return
    block = []
    size = 0
    for i in range(q - k + 1):                       # first index fixed: the rest by recursion
        for rest in _subsets(q - i - 1, k - 1, chunk):
            block.append(np.column_stack([np.full(rest.shape[0], i), rest + i + 1]))
            size += rest.shape[0]
            if size >= chunk:
                yield np.concatenate(block)
                block, size = [], 0
    if block:
        yield np.concatenate(block)


def vertex_thresholds(x_sorted, activations, rho: float = 0.1, *, chunk: int = 200_000,
                      decimals: int = 10, max_systems: float = 5e7):
    """Every vertex ``(t, s)`` of the arrangement of :func:`kink_equations` (module docstring).

    Each ``(L−1)``-subset of the pool is solved (in blocks of ``chunk``); a solution is
    kept for the sign vectors ``s`` under which every equation's assumed slopes are the
    true ones at that point (on the kink either side counts).  Gauge-only coordinates are 0.
    The pool has ``N·Σ_l Π_{k<l}|slopes_k|`` equations (plus gauges), so the work grows
    like ``N^{L−1}``: 1.6·10⁶ systems for a four-layer leaky-ReLU chain at ``N = 10``.

    Raises
    ------
    ValueError
        If more than ``max_systems`` systems would be solved (too many points for this
        depth: use fewer points, or a family with a structured solver).

    Returns
    -------
    t : ndarray of shape (p, D)
    s : ndarray of shape (p, D), entries ±1 (``+1`` on absolute-value layers)
    """
    activations = tuple(activations)
    D = len(activations)
    x = np.asarray(x_sorted, dtype=np.float64)
    rows, rhs, layer, point, slopes = kink_equations(x, activations, rho)
    scale = float(np.ptp(x)) or 1.0      # relative to the data's span: units never matter
    tol = 1e-9 * max(scale, float(np.abs(x).max()) * 1e-6)
    signs = np.array(list(product(*_sign_sets(activations))))           # (S, D)
    n_systems = comb(rows.shape[0], D)
    if n_systems > max_systems:
        raise ValueError(
            f"the vertex dictionary of a {'-'.join(activations)} chain (depth {D + 1}) on {x.size} points "
            f"needs {n_systems:.2g} linear systems (more than max_systems={max_systems:.2g}); "
            "use fewer points or a shallower chain")
    found_t, found_s = [], []
    for c in _subsets(rows.shape[0], D, chunk):                         # (C, D) equation indices
        M = rows[c]                                                    # (C, D, D)
        b = rhs[c]
        det = np.linalg.det(M)
        ok = np.abs(det) > 1e-9
        c, M, b = c[ok], M[ok], b[ok]
        if not c.size:
            continue
        t = np.linalg.solve(M, b[..., None])[..., 0]                   # (C, D)
        good = np.ones((c.shape[0], signs.shape[0]), dtype=bool)
        for q in range(D):                                             # each equation of the subset
            eq = c[:, q]
            v = x[np.maximum(point[eq], 0)]                            # f_1(x_n)
            for k in range(D):
                active = (layer[eq] > k)                               # layers before the pinned one
                u = v - t[:, k]
                e = slopes[eq, k]
                cons = _consistent(activations[k], rho, signs[None, :, k], e[:, None], u[:, None], tol)
                good &= cons | ~active[:, None]
                v = e * u
        ci, si = np.nonzero(good)
        found_t.append(t[ci])
        found_s.append(signs[si])
    if not found_t:
        return np.zeros((0, D)), np.zeros((0, D))
    t, s = np.concatenate(found_t), np.concatenate(found_s)
    key = np.round(np.column_stack([t, s]) / scale, decimals)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    return t[first], s[first]


def first_order_columns(dictionary) -> np.ndarray:
    """Columns whose kinks inside the data range are data points, midpoints or reflections."""
    return np.flatnonzero(np.isin(kink_census(dictionary), KINK_CLASSES[:3]))


class NarrowChain(ChainParams, Family):
    r"""Parallel narrow chains with per-layer activations (module docstring).

    Parameters
    ----------
    activations : sequence of {"relu", "leaky_relu", "abs"}
        ``σ_1, …, σ_{L−1}`` from the input side; the depth is ``L = len + 1``.
    rho : float
        Slope of the leaky ReLU's negative side.

    Dictionary parameters (per column, arrays of shape (p,))
    -------------------------------------------------------
    s1, …, s{L−1} : float (±1)
        Signs (``+1`` on absolute-value layers).
    t1, …, t{L−1} : float
        Thresholds (``t1`` an input-space point, the others hidden-layer values).
    """

    architecture = "parallel"

    def __init__(self, activations, rho: float = 0.1):
        if isinstance(activations, str):
            raise ValueError("activations must be a sequence of per-layer names, e.g. ('abs', 'abs', 'abs')")
        activations = tuple(activations)
        if not activations:
            raise ValueError("a narrow chain needs at least one hidden layer")
        for a in activations:
            check_activation(a, rho_for(a, rho))
            if not activation(a).homogeneous:
                raise ValueError(f"narrow chains take positively homogeneous layers "
                                 f"({', '.join(HOMOGENEOUS)}), got {a!r}")
        self.activations = activations
        self.rho = float(rho)
        self.depth = len(activations) + 1
        self.activation = activations[0] if len(set(activations)) == 1 else "-".join(activations)

    # ------------------------------------------------------------------ shapes
    def shape(self, x, **params):
        signs, thresholds = self._split(params)
        return chain_function(x, self.activations, signs, thresholds, self.rho)

    def kinks(self, params):
        signs, thresholds = self._split({k: float(np.asarray(v)) for k, v in params.items()})
        return piecewise_kinks(self.activations, signs, thresholds, self.rho)

    # ------------------------------------------------------------------ dictionary
    def raw_dictionary(self, data):
        """Every vertex of the arrangement (:func:`vertex_thresholds`), one column per ``(t, s)``.

        Labels read ``"t=(0, 2, 1) s=+-+"``.
        """
        t, s = vertex_thresholds(data.x_sorted, self.activations, self.rho)
        params = {}
        for l in range(self.layers):
            params[f"s{l + 1}"] = s[:, l]
        for l in range(self.layers):
            params[f"t{l + 1}"] = t[:, l]
        labels = ["t=(" + ", ".join(f"{v:.6g}" for v in tt) + ") s="
                  + "".join("+" if v > 0 else "-" for v in ss) for tt, ss in zip(t, s)]
        return params, labels

    def candidate_params(self, data, resolution=2000):
        """A sample of the continuous family for :func:`lassobook.core.certificate.certify`.

        The vertices themselves, plus ``20·resolution`` seeded random chains (every
        sign vector, ``t_1`` uniform over the data range widened by its length, the
        hidden thresholds uniform over ``[−2·span, 2·span]``), plus a grid with
        ``q ≈ (2·resolution)^{1/(L−1)}`` steps per axis: ``t_1`` over ``4q`` of the
        :func:`breakpoint_candidates` (data, midpoints, reflections, grid) and each
        hidden threshold over ``±`` ``2q`` distances from those points to the data,
        for every sign vector.  At ``N = 8``, ``L = 4`` and the default resolution:
        about 2×10⁵ shapes (abs) to 1.3×10⁶ (leaky ReLU).
        """
        x = data.x_sorted
        span = float(x[-1] - x[0]) or 1.0
        t_v, s_v = vertex_thresholds(x, self.activations, self.rho)
        rng = np.random.default_rng(0)
        r = 20 * int(resolution)
        sign_sets = _sign_sets(self.activations)
        s_r = np.array([rng.choice(np.array(ss), r) for ss in sign_sets]).T
        t_r = np.column_stack([rng.uniform(x[0] - span, x[-1] + span, r)]
                              + [rng.uniform(-2 * span, 2 * span, r) for _ in range(self.layers - 1)])
        per_axis = max(8, int(round((2 * int(resolution)) ** (1.0 / self.layers))))
        B = breakpoint_candidates(x, per_axis)
        B = B[np.linspace(0, B.size - 1, min(B.size, 4 * per_axis)).astype(int)]
        H = np.unique(np.abs(B[:, None] - x[None, :]))
        H = H[np.linspace(0, H.size - 1, min(H.size, 2 * per_axis)).astype(int)]
        grids = [B] + [np.concatenate([-H, H])] * (self.layers - 1)
        g = np.meshgrid(*grids, indexing="ij")
        t_g = np.column_stack([v.ravel() for v in g])
        signs = np.array(list(product(*sign_sets)))
        t_g = np.repeat(t_g, signs.shape[0], axis=0)
        s_g = np.tile(signs, (t_g.shape[0] // signs.shape[0], 1))
        t = np.concatenate([t_v, t_r, t_g])
        s = np.concatenate([s_v, s_r, s_g])
        out = {f"s{l + 1}": s[:, l] for l in range(self.layers)}
        out.update({f"t{l + 1}": t[:, l] for l in range(self.layers)})
        return out

    # ------------------------------------------------------------------ networks
    def network(self, width, n_models=1):
        return ChainNet(self.activations, width, n_models=n_models, rho=self.rho)

    def reconstruct(self, params, coefficients, xi):
        r"""One chain per coefficient: ``τ = |c|^{1/L}``, ``w_l = s_l τ``, ``b_l = −s_l τ^l t_l``,
        ``α = sign(c) τ``.  Then layer ``l + 1`` holds ``τ^l f_{l+1}(x)`` (positive
        homogeneity, by induction), the unit is ``c·g`` and its penalty ``(β/L)·L·τ^L = β|c|``.
        """
        c, params = self.units(params, coefficients,
                               [f"{p}{l}" for p in "st" for l in range(1, self.depth)])
        signs, thresholds = self._split(params)
        tau = np.abs(c) ** (1.0 / self.depth)
        w = [signs[l] * tau for l in range(self.layers)]
        b = [-signs[l] * tau ** (l + 1) * thresholds[l] for l in range(self.layers)]
        return self._load(w, b, np.sign(c) * tau, xi)

    def __repr__(self):
        rho = f", rho={self.rho:g}" if any(activation(a).needs_rho for a in self.activations) else ""
        return f"NarrowChain({self.activations!r}{rho})"


# ---------------------------------------------------------------------- book helpers
# Tables and figures of the chapter "Going further", kept here so that the page shows
# statements, figures and one-line verdicts.

def chain_name(activations) -> str:
    """``("relu", "abs")`` → ``"relu → abs"``."""
    return " → ".join(activations)
