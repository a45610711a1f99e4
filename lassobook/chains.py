r"""Narrow chains of any piecewise-linear activations: vertex dictionaries.

A *narrow chain* of depth ``L`` is a unit made of ``L − 1`` width-1 layers, each
with its own positively homogeneous activation ``σ_l`` (ReLU, leaky ReLU or
absolute value), scalar weights, free biases and an output weight ``α``:

.. math::

    h_1 = x,\qquad h_{l+1} = \sigma_l(w_l h_l + b_l),\qquad \text{unit} = \alpha\, h_L ,

penalized by ``(β/L)(|w_1|^L + ⋯ + |w_{L−1}|^L + |α|^L)``; a network is a sum of
units plus a free output bias (the *parallel* architecture).  The deep narrow
ReLU chains of :mod:`lassobook.deep_narrow` (all ``σ_l`` = ReLU) and the
three-layer absolute-value units of :mod:`lassobook.absolute_value`
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
  :mod:`lassobook.absolute_value`.  Leaky ReLU is strictly monotone, so a layer's
  kink is the preimage of one point: all kinks sit at data points.
* ``L = 4``, absolute value: kinks at *reflections of reflections* such as
  ``2x_i − (2x_j − x_k)`` and mirrors of midpoints.
"""

from __future__ import annotations

from itertools import product
from math import comb

import numpy as np
import torch
from torch import nn

from .activations import HOMOGENEOUS, check_activation, numpy_activation, torch_activation
from .families import Family, breakpoint_candidates
from .networks import DTYPE, ParallelNetwork

__all__ = ["NarrowChain", "ChainNet", "local_slopes", "kink_equations", "vertex_thresholds",
           "chain_function", "piecewise_kinks", "classify_kinks", "kink_census", "continuous_search",
           "check_dictionary", "first_order_columns", "mirror_order", "DEEPEST_KINK",
           "KINK_CLASSES", "DEPTH_EXAMPLE", "SECOND_ORDER_EXAMPLE", "recipe_table",
           "census_table", "plot_kink_panels", "check_table", "activation_depth_table",
           "chain_name", "spread_selection", "activation_depth_rows", "check_mirror_order",
           "second_order_study", "plot_adam_summary"]


#: Four-layer abs networks beat three-layer ones here: the optimum drops by 30 %
#: (the three-layer optimum is 42 % higher).  Found by a seeded search over datasets
#: of 4–6 points on the grid 0, 0.1, …, 3 with labels in {0, 1}, β ∈ {0.05, 0.1, 0.2}
#: (the largest relative gap of 3000 draws; no 4-point dataset gave more than 0.1 %).
DEPTH_EXAMPLE = {"x": (0.1, 0.6, 1.1, 1.7, 2.1, 3.0), "y": (1.0, 0.0, 1.0, 0.0, 1.0, 0.0), "beta": 0.05}

#: Second-order mirrors cannot be dropped from the four-layer abs dictionary here:
#: keeping only the columns whose kinks inside the data range are data points,
#: midpoints or reflections (:func:`kink_census`) raises the optimum by 2.1 %.  Found
#: by the same search (the 5-point dataset with the largest gap).
SECOND_ORDER_EXAMPLE = {"x": (0.0, 0.9, 1.2, 1.3, 2.9), "y": (1.0, 0.0, 1.0, 0.0, 0.0), "beta": 0.2}


# ---------------------------------------------------------------------- slopes and equations
def local_slopes(activation: str, rho: float = 0.1) -> tuple[float, ...]:
    """The slopes ``e`` of ``u ↦ σ(s·u)`` over both signs ``s`` and both sides of the kink."""
    if activation == "relu":
        return (-1.0, 0.0, 1.0)
    if activation == "leaky_relu":
        return (-1.0, -rho, rho, 1.0)
    if activation == "abs":
        return (-1.0, 1.0)
    raise ValueError(f"narrow chains take relu, leaky_relu or abs layers, got {activation!r}")


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
    return [(1.0,) if a == "abs" else (-1.0, 1.0) for a in activations]


def _consistent(activation, rho, s, e, u, tol):
    """Is ``e`` the slope of ``u ↦ σ(s·u)`` at ``u`` (either side when ``|u| ≤ tol``)? Broadcasting."""
    if activation == "abs":
        return (np.abs(e) == 1) & ((e * u >= -tol))
    on_side = np.where(np.abs(e) == 1, s * u >= -tol, s * u <= tol)
    lower = 0.0 if activation == "relu" else rho
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


# ---------------------------------------------------------------------- shapes and kinks
def chain_function(x, activations, signs, thresholds, rho: float = 0.1):
    """``f_L(x)`` of the normalized chain, broadcasting over ``x`` and the parameter arrays."""
    h = np.asarray(x, dtype=np.float64)
    for a, s, t in zip(activations, signs, thresholds):
        h = numpy_activation(a, rho)(s * (h - t))
    return h


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


def _second_order_points(x: np.ndarray) -> dict[str, np.ndarray]:
    xi, xj = np.meshgrid(x, x, indexing="ij")
    mids = np.unique(((xi + xj) / 2).ravel())
    refl = np.unique((2 * xi - xj).ravel())
    first = np.unique(np.concatenate([x, mids, refl]))
    p, q = np.meshgrid(first, first, indexing="ij")
    second = np.unique(np.concatenate([(2 * p - q).ravel(), ((p + q) / 2).ravel()]))
    return {"data": x, "midpoint": mids, "reflection": refl, "second order": second}


def classify_kinks(kinks, x_sorted, *, rtol: float = 1e-9, sets=None) -> list[str]:
    """The simplest class of each kink: a data point ``x_i``, a midpoint ``(x_i + x_j)/2``,
    a reflection ``2x_i − x_j``, a *second-order* point (a midpoint or a reflection of
    two first-order points, e.g. ``2x_i − (2x_j − x_k)``), or ``"other"``."""
    x = np.asarray(x_sorted, dtype=np.float64)
    sets = sets if sets is not None else _second_order_points(x)
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
    sets = _second_order_points(x)
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
    folds = [l for l, a in enumerate(acts[:-1]) if a == "abs"]
    return len(acts) - 1 - folds[0] if folds else 0


#: The deepest kink class :func:`kink_census` finds, by :func:`mirror_order`.
DEEPEST_KINK = {0: "data", 1: "reflection", 2: "second order"}


def first_order_columns(dictionary) -> np.ndarray:
    """Columns whose kinks inside the data range are data points, midpoints or reflections."""
    return np.flatnonzero(np.isin(kink_census(dictionary), KINK_CLASSES[:3]))


# ---------------------------------------------------------------------- the family
class ChainParams:
    """Per-layer column parameters of a chain family: signs ``s1, …`` and thresholds
    ``{threshold}1, …`` (``t`` here, ``a`` — input-space breakpoints — for
    :class:`~lassobook.deep_narrow.DeepNarrowReLU`)."""

    threshold = "t"

    @property
    def layers(self) -> int:
        """Number of hidden layers, ``L − 1``."""
        return self.depth - 1

    def _split(self, params):
        D = self.layers
        return ([params[f"s{l}"] for l in range(1, D + 1)],
                [params[f"{self.threshold}{l}"] for l in range(1, D + 1)])

    def _load(self, w, b, alpha, xi):
        """The family's network with layer weights ``w[l]``, biases ``b[l]`` and output
        weights ``alpha`` (arrays of shape (m,)), output bias ``xi``."""
        net = self.network(width=np.size(alpha))
        with torch.no_grad():
            for l in range(self.layers):
                getattr(net, f"w{l + 1}").copy_(torch.as_tensor(w[l])[None])
                getattr(net, f"b{l + 1}").copy_(torch.as_tensor(b[l])[None])
            net.alpha.copy_(torch.as_tensor(alpha)[None])
            net.xi.fill_(float(xi))
        return net

    @property
    def penalty_formula(self):
        ws = " + ".join(f"|w_{{{l},k}}|^{self.depth}" for l in range(1, self.depth))
        return rf"\frac{{\beta}}{{{self.depth}}}\sum_k \bigl({ws} + |\alpha_k|^{self.depth}\bigr)"


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
            check_activation(a, rho if a == "leaky_relu" else None)
            if a not in HOMOGENEOUS:
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
        """A sample of the continuous family for :func:`lassobook.certificate.certify`.

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
        c = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        if c.size == 0:  # the constant network: one unit with zero weights
            params = {f"{p}{l}": np.zeros(1) for p in "st" for l in range(1, self.depth)}
            c = np.zeros(1)
        signs, thresholds = self._split({k: np.asarray(v, dtype=np.float64).reshape(-1)
                                         for k, v in params.items()})
        tau = np.abs(c) ** (1.0 / self.depth)
        w = [signs[l] * tau for l in range(self.layers)]
        b = [-signs[l] * tau ** (l + 1) * thresholds[l] for l in range(self.layers)]
        return self._load(w, b, np.sign(c) * tau, xi)

    def __repr__(self):
        rho = f", rho={self.rho:g}" if "leaky_relu" in self.activations else ""
        return f"NarrowChain({self.activations!r}{rho})"


# ---------------------------------------------------------------------- the network
class ChainNet(ParallelNetwork):
    r"""The parallel network of narrow chains: ``f(x) = Σ_k α_k h_{L,k}(x) + ξ``,
    ``h_{l+1,k} = σ_l(w_{l,k} h_{l,k} + b_{l,k})``, ``h_{1,k} = x``.

    Parameters ``w1, b1, …, w{L−1}, b{L−1}, alpha`` have shape (n_models, width);
    ``xi`` has shape (n_models,).  Penalty ``(β/L) Σ_k (Σ_l |w_{l,k}|^L + |α_k|^L)``.
    """

    def __init__(self, activations, width: int, n_models: int = 1, rho: float = 0.1):
        super().__init__(width, n_models)
        self.activations = tuple(activations)
        self.depth = len(self.activations) + 1
        self.sigmas = [torch_activation(a, rho) for a in self.activations]
        shape = (self.n_models, self.width)
        for l in range(1, self.depth):
            setattr(self, f"w{l}", nn.Parameter(torch.ones(shape, dtype=DTYPE)))
            setattr(self, f"b{l}", nn.Parameter(torch.zeros(shape, dtype=DTYPE)))
        self.alpha = nn.Parameter(torch.zeros(shape, dtype=DTYPE))

    @property
    def weights(self) -> list:
        """The penalized weights ``[w1, …, w{L−1}, alpha]``."""
        return [getattr(self, f"w{l}") for l in range(1, self.depth)] + [self.alpha]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x[None, None, :]
        for l, sigma in enumerate(self.sigmas, start=1):
            w, b = getattr(self, f"w{l}"), getattr(self, f"b{l}")
            h = sigma(w[:, :, None] * h + b[:, :, None])
        return torch.einsum("sm,smn->sn", self.alpha, h) + self.xi[:, None]

    def penalty(self, beta: float) -> torch.Tensor:
        L = self.depth
        return (beta / L) * sum((w.abs() ** L).sum(dim=1) for w in self.weights)

    def init_copy(self, k: int, generator: torch.Generator, lo: float, hi: float) -> None:
        """Weights ``w_l ~ N(0, 1)``; every layer's threshold at the value the chain takes
        at a point uniform over the data range ``[lo, hi]`` (kinks start among the data);
        ``α ~ N(0, 1/width)``."""
        m, g = self.width, generator
        w = [torch.randn(m, generator=g, dtype=DTYPE) for _ in self.sigmas]
        a = [lo + (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE) for _ in self.sigmas]
        b = []
        for l in range(len(self.sigmas)):
            h = a[l]
            for q in range(l):
                h = self.sigmas[q](w[q] * h + b[q])
            b.append(-w[l] * h)
        for l in range(len(self.sigmas)):
            getattr(self, f"w{l + 1}")[k] = w[l]
            getattr(self, f"b{l + 1}")[k] = b[l]
        self.alpha[k] = torch.randn(m, generator=g, dtype=DTYPE) / np.sqrt(m)

    def unit_coefficients(self) -> np.ndarray:
        """Each unit's coefficient ``α Π_l |w_l|`` on its normalized shape, shape (n_models, width)."""
        with torch.no_grad():
            prod = self.alpha.clone()
            for w in self.weights[:-1]:
                prod = prod * w.abs()
            return prod.numpy().copy()

    def breakpoints(self) -> np.ndarray:
        """First-layer breakpoints ``−b1/w1`` of every unit, shape (n_models, width, 1)."""
        with torch.no_grad():
            w, b = self.w1.numpy(), self.b1.numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w != 0, -b / w, np.nan)[:, :, None]


# ---------------------------------------------------------------------- an independent check
def _search_box(family, x_sorted) -> list[tuple[float, float]]:
    """Bounds on ``t`` holding every vertex of the arrangement (and every distinct shape).

    ``t_1`` within the data range widened by its length on both sides; a hidden
    threshold within ``±2·span`` (``[0, 2·span]`` after an absolute value: a negative
    threshold there only adds a constant), stretched by ``1/ρ`` per layer if the
    chain has a leaky ReLU (a leaky layer can shrink distances by ``ρ``).
    """
    span = float(x_sorted[-1] - x_sorted[0]) or 1.0
    box = [(float(x_sorted[0]) - span, float(x_sorted[-1]) + span)]
    stretch = 1.0
    for l in range(1, family.layers):
        if family.activations[l - 1] == "leaky_relu":
            stretch /= family.rho
        reach = 2 * span * stretch
        box.append((0.0, reach) if family.activations[l - 1] == "abs" else (-reach, reach))
    return box


def continuous_search(fit, *, grid_points: int = 1_000_000, n_starts: int = 40, sweeps: int = 12,
                      seed: int = 0) -> dict:
    """Search the continuous unit family for ``max |λᵀg(X)|`` *without* the vertex list.

    A regular grid over the box of :func:`_search_box` (about ``grid_points`` chains,
    every sign vector), then, from the ``n_starts`` best grid points, line searches
    along the coordinate axes and seeded random directions: each line is sampled at
    1001 points, then zoomed four times around its best point (so a maximum at a
    kink of the piecewise-linear ``λᵀg`` is located to ~1e-12 of the box).  If the
    vertex dictionary were incomplete, this finds shapes beating it; it never sees
    the dictionary.  (It is a search, not a proof: a violating cell much smaller
    than the grid step can be missed — the tests measure what it catches.)

    Returns ``{"max_dual", "ratio", "dictionary_ratio", "worst": {"t", "s"}}``.
    """
    family, data, beta = fit.family, fit.data, fit.beta
    lam = fit.solution.residual
    lam = lam - lam.mean()                 # 1ᵀλ = 0 exactly: constants cannot leak in
    x = data.x
    D = family.layers
    box = np.array(_search_box(family, data.x_sorted))
    signs = np.array(list(product(*_sign_sets(family.activations))))
    per_axis = max(4, int((grid_points / signs.shape[0]) ** (1.0 / D)))
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in box]
    t_grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, D)

    def corr(t, s):                        # |λᵀg| for chains t (p, D) with signs s (D,) or (p, D)
        s = np.broadcast_to(s, t.shape)
        g = chain_function(x[:, None], family.activations, s.T[:, None, :], t.T[:, None, :], family.rho)
        return np.abs(lam @ g)

    cand_t, cand_s, cand_v = [], [], []
    for s in signs:
        for start in range(0, t_grid.shape[0], 100_000):
            part = t_grid[start:start + 100_000]
            v = corr(part, s)
            top = np.argsort(v)[::-1][:n_starts]
            cand_t.append(part[top])
            cand_s.append(np.repeat(s[None], top.size, axis=0))
            cand_v.append(v[top])
    cand_t, cand_s, cand_v = np.concatenate(cand_t), np.concatenate(cand_s), np.concatenate(cand_v)
    order = np.argsort(cand_v)[::-1]
    best_val = float(cand_v[order[0]])
    best = (cand_t[order[0]], cand_s[order[0]])
    rng = np.random.default_rng(seed)
    width = box[:, 1] - box[:, 0]
    for i in order[:n_starts]:
        t, s, val = cand_t[i].copy(), cand_s[i], float(cand_v[i])
        for _ in range(sweeps):
            before = val
            dirs = np.concatenate([np.eye(D), rng.normal(size=(D, D))])
            for d in dirs:
                d = d / np.linalg.norm(d / width)          # unit length in box coordinates
                lo, hi, line_val, line_t = -1.0, 1.0, val, t
                for zoom in range(5):
                    h = np.linspace(lo, hi, 1001 if zoom == 0 else 201)
                    pts = np.clip(t[None, :] + h[:, None] * d[None, :], box[:, 0], box[:, 1])
                    v = corr(pts, s)
                    k = int(np.argmax(v))
                    if v[k] > line_val:
                        line_val, line_t = float(v[k]), pts[k]
                    lo, hi = h[k] - (h[1] - h[0]), h[k] + (h[1] - h[0])
                val, t = line_val, line_t
            if val <= before * (1 + 1e-15):
                break
        if val > best_val:
            best_val, best = val, (t, s)
    dict_max = float(np.abs(lam @ fit.dictionary.matrix).max())
    return {"max_dual": best_val, "ratio": best_val / beta, "dictionary_ratio": dict_max / beta,
            "worst": {"t": [float(v) for v in best[0]], "s": [float(v) for v in best[1]]}}


def check_dictionary(family, datasets, beta: float, *, tol: float = 1e-5, resolution: int = 2000,
                     search: bool = True) -> dict:
    """Fit ``family``'s Lasso on each dataset and try to refute it.

    Runs :func:`lassobook.certificate.certify` (the sampled continuous family) and,
    for a :class:`NarrowChain` with ``search``, :func:`continuous_search` too.

    Returns ``{"n_datasets", "worst_ratio", "certified", "gap"}``: the largest
    ``max |λᵀg| / β`` found over all datasets and both searches, whether it stays
    within ``1 + tol``, and the largest relative gap between the Lasso optimum and
    the rebuilt network's objective.
    """
    from .lasso import fit_dense

    worst, gap, n = 0.0, 0.0, 0
    for data in datasets:
        fit = fit_dense(data, family=family, beta=beta)
        worst = max(worst, fit.certificate(tol=tol, resolution=resolution).ratio)
        if search and isinstance(family, NarrowChain):
            worst = max(worst, continuous_search(fit)["ratio"])
        gap = max(gap, abs(fit.network_objective() - fit.objective) / max(fit.objective, 1e-300))
        n += 1
    return {"n_datasets": n, "worst_ratio": worst, "certified": bool(worst <= 1 + tol), "gap": gap}


# ---------------------------------------------------------------------- book helpers
# Tables and figures of the chapter "Going further", kept here so that the page shows
# statements, figures and one-line verdicts.

def chain_name(activations) -> str:
    """``("relu", "abs")`` → ``"relu → abs"``."""
    return " → ".join(activations)


def recipe_table(datasets, beta: float):
    """Does the vertex recipe reproduce the paper's dictionaries?

    On each dataset: the three-layer abs vertex set against the paper's library
    (as sets of ``(a, c)``), and the optima of the vertex dictionaries of abs
    ``L = 3`` and ReLU ``L = 3, 4`` against the paper's families.  Returns a
    DataFrame with one row per chain: datasets, libraries equal (abs only), largest
    relative gap between the two optima.
    """
    import pandas as pd

    from .absolute_value import ThreeLayerAbs
    from .deep_narrow import DeepNarrowReLU
    from .lasso import fit_dense

    pairs = {("abs", "abs"): ThreeLayerAbs(), ("relu", "relu"): DeepNarrowReLU(3),
             ("relu",) * 3: DeepNarrowReLU(4)}
    equal, gaps = 0, {acts: 0.0 for acts in pairs}
    for data in datasets:
        t, _ = vertex_thresholds(data.x_sorted, ("abs", "abs"))
        params, _ = ThreeLayerAbs().raw_dictionary(data)
        ours = {(round(a, 9), round(c, 9)) for a, c in t}
        paper = {(round(a, 9), round(c, 9))
                 for a, c in zip(params["center"], params["offset"])}
        equal += ours == paper
        for acts, paper_family in pairs.items():
            f_ours = fit_dense(data, family=NarrowChain(acts), beta=beta)
            f_paper = fit_dense(data, family=paper_family, beta=beta)
            gap = abs(f_ours.objective - f_paper.objective) / f_paper.objective
            gaps[acts] = max(gaps[acts], gap)
    n = len(datasets)
    rows = [{"chain": chain_name(acts), "depth": len(acts) + 1, "datasets": n,
             "same columns as the paper": (f"{equal}/{n}" if acts == ("abs", "abs")
                                           else "—"),
             "largest optimum gap": gaps[acts]} for acts in pairs]
    df = pd.DataFrame(rows).set_index("chain")
    df.attrs["libraries_equal"] = equal
    return df


def census_table(n_values, family, *, noise: float, seed: int = 0):
    """Kinks of the vertex dictionary on random datasets of growing size.

    One row per ``N``: vertices, distinct columns, and the number of columns whose
    deepest kink inside the data range is of each class (:data:`KINK_CLASSES`).
    """
    import pandas as pd

    from .datasets import random_dataset
    from .dictionaries import build_dictionary

    activations = family.activations
    rows = []
    for n in n_values:
        data = random_dataset(n, seed, noise=noise)
        t, _ = vertex_thresholds(data.x_sorted, activations)
        d = build_dictionary(data, family)
        census = list(kink_census(d))
        rows.append({"N": n, "vertices": len(t), "columns": d.size,
                     **{c: census.count(c) for c in KINK_CLASSES}})
    return pd.DataFrame(rows).set_index("N")


def plot_kink_panels(dictionary, columns, *, ncols: int = 3, panel=(2.5, 2.0)):
    """Feature panels (at most ``ncols`` per row) with kinks coloured by class.

    Each panel draws one column on a grid that covers its kinks, the training
    inputs as red ticks, and every kink as a dashed line coloured by its class
    (:data:`lassobook.plotting.KINK_COLOURS`); one legend for the figure.
    """
    import matplotlib.pyplot as plt

    from .plotting import KINK_COLOURS, STYLE, input_grid

    cols = np.asarray(columns, dtype=int)
    x = dictionary.data.x_sorted
    kinks = [np.asarray(dictionary.kinks(k), dtype=np.float64) for k in cols]
    grid = input_grid(np.concatenate([x] + kinks), margin=0.05)
    values = dictionary.evaluate(grid, cols)
    nrows = int(np.ceil(cols.size / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows + 0.6),
                             sharex=True, squeeze=False)
    for ax in axes.ravel()[cols.size:]:
        ax.axis("off")
    seen = {}
    for ax, v, kk in zip(axes.ravel(), values.T, kinks):
        ax.plot(grid, v, color=STYLE["network"]["color"], lw=1.4)
        ax.plot(x, np.full(x.size, v.min()), "|", color=STYLE["data"]["color"], ms=9, mew=2)
        for point, name in zip(kk, classify_kinks(kk, x)):
            seen[name] = ax.axvline(point, color=KINK_COLOURS[name], lw=1.2, ls="--")
    order = [c for c in KINK_CLASSES if c in seen]
    fig.legend([seen[c] for c in order], order, loc="lower center", ncol=len(order),
               frameon=False)
    fig.tight_layout(rect=(0, 0.45 / (panel[1] * nrows + 0.6), 1, 1))
    return fig


def spread_selection(dictionary, columns, k: int = 6) -> np.ndarray:
    """The ``k`` of ``columns`` whose kinks are most spread out (smallest gap between
    neighbouring kinks, largest first): the easiest to read in a small panel."""
    cols = np.asarray(columns, dtype=int)
    def min_gap(c):
        kk = np.unique(np.asarray(dictionary.kinks(c), dtype=np.float64))
        return np.diff(kk).min() if kk.size > 1 else np.inf
    score = np.array([min_gap(c) for c in cols])
    return np.sort(cols[np.argsort(-score, kind="stable")[:k]])


def check_table(checks: dict):
    """``{name: check_dictionary result}`` as a DataFrame (datasets, worst ratio,
    certified, largest Lasso-vs-network gap)."""
    import pandas as pd

    rows = [{"chain": name, "datasets": r["n_datasets"], "worst ratio": r["worst_ratio"],
             "certified": r["certified"], "Lasso vs network gap": r["gap"]}
            for name, r in checks.items()]
    return pd.DataFrame(rows).set_index("chain")


def activation_depth_table(rows, table_data, datasets, beta: float):
    """The closing table: one row per ``(name, depth, family, source)``.

    Columns: where the dictionary comes from, the kink classes inside the data
    range, raw candidates and distinct columns on ``table_data``, and the result of
    :func:`check_dictionary` on ``datasets``.  Returns ``(DataFrame, deepest)`` with
    ``deepest[name, depth]`` the deepest kink class of the row.
    """
    import pandas as pd

    from .dictionaries import build_dictionary

    out, deepest = [], {}
    for name, depth, fam, source in rows:
        raw = len(fam.raw_dictionary(table_data)[1])
        dic = build_dictionary(table_data, fam)
        classes = [c for c in KINK_CLASSES if c in set(kink_census(dic))]
        result = check_dictionary(fam, datasets, beta)
        deepest[name, depth] = classes[-1]
        out.append({"activations": name, "depth": depth, "dictionary": source,
                    "kinks inside the data": ", ".join(classes),
                    "candidates": raw, "columns": dic.size,
                    "certified": "yes" if result["certified"] else "NO",
                    "worst ratio": result["worst_ratio"]})
    return pd.DataFrame(out).set_index(["activations", "depth"]), deepest


def activation_depth_rows():
    """The rows of the closing table: ``(activations, depth, family, source)`` for
    every homogeneous family of the book, by depth."""
    from .absolute_value import ThreeLayerAbs
    from .deep_narrow import DeepNarrowReLU
    from .families import get_family

    chain = lambda acts: (chain_name(acts), len(acts) + 1, NarrowChain(acts), "vertices")
    return [("relu", 2, get_family("relu"), "paper"),
            ("leaky_relu", 2, get_family("leaky_relu"), "paper"),
            ("abs", 2, get_family("abs"), "paper"),
            ("relu", 3, DeepNarrowReLU(3), "paper"),
            ("leaky_relu", 3, get_family("leaky_relu", 3), "vertices"),
            ("abs", 3, ThreeLayerAbs(), "paper"),
            chain(("relu", "abs")), chain(("abs", "relu")),
            ("relu", 4, DeepNarrowReLU(4), "paper"),
            ("leaky_relu", 4, get_family("leaky_relu", 4), "vertices"),
            ("abs", 4, get_family("abs", 4), "vertices"),
            chain(("relu", "abs", "abs")), chain(("abs", "relu", "abs"))]


def check_mirror_order(rows, deepest) -> str:
    """Every vertex row (and the paper's three-layer abs) has its deepest kink class
    where :func:`mirror_order` predicts it.  Returns a one-line verdict."""
    from .absolute_value import ThreeLayerAbs

    for name, depth, fam, source in rows:
        if source == "vertices" or isinstance(fam, ThreeLayerAbs):
            acts = fam.activations if isinstance(fam, NarrowChain) else ("abs", "abs")
            assert deepest[name, depth] == DEEPEST_KINK[mirror_order(acts)], name
    return "the deepest kinks are where the layers after the first fold predict them"


def second_order_study(data, dictionary, family, beta: float):
    """The full vertex dictionary against its first-order columns only.

    Fits both, runs :func:`continuous_search` on both, and returns
    ``(DataFrame, excess, search)``: columns, optimum and search ratio per
    dictionary, the relative excess of the first-order optimum, and the search
    result against the first-order solution.
    """
    import pandas as pd

    from .lasso import fit_dense

    first = dictionary.subset(first_order_columns(dictionary))
    fits = {name: fit_dense(data, family=family, beta=beta, dictionary=d)
            for name, d in [("all vertices", dictionary), ("first order only", first)]}
    searches = {name: continuous_search(fit) for name, fit in fits.items()}
    full, part = fits["all vertices"].objective, fits["first order only"].objective
    df = pd.DataFrame({"columns": [f.dictionary.size for f in fits.values()],
                       "optimum": [f.objective for f in fits.values()],
                       "search ratio": [s["ratio"] for s in searches.values()]},
                      index=pd.Index(list(fits), name="dictionary"))
    return df, (part - full) / full, searches["first order only"]


def plot_adam_summary(gaps, fit, runs, *, tol: float = 1e-6, figsize=(7.5, 3.2)):
    """Left: histogram of the runs' relative gaps; right: the sparse Lasso network
    (blue) and the best run (orange)."""
    import matplotlib.pyplot as plt

    from .landscape import vertex_solution
    from .plotting import plot_fit, plot_gaps, plot_network

    fig, axes = plt.subplots(1, 2, figsize=figsize)
    plot_gaps(gaps, axes[0], tol=tol)
    axes[0].set_xlabel("relative gap to the optimum")
    plot_fit(vertex_solution(fit), axes[1], legend=False)
    plot_network(runs.network, fit.data, axes[1], model=runs.best())
    fig.tight_layout()
    return fig
