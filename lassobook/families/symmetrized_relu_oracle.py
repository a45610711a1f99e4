r"""The exact structured oracle of the symmetrized ReLU family (max-norm), over its vertex dictionary.

:class:`~lassobook.families.symmetrized_relu.SymmetrizedReLU` with ``norm="max"`` has a
finite *vertex dictionary* (its module docstring): the vertices V1–V4 of the
``(t₁, t₂)`` arrangement at the eight corner and axis angles ``θ = kπ/4``, and the
asymmetric hats with feet and peak at three data points.  Its maximum of
``|λᵀg|`` is the maximum over the whole continuous unit family.  On the data,
with ``F(t) = Σ λ_n (x_n − t)_+`` and ``L(t) = Σ λ_n (t − x_n)_+``
(:class:`~lassobook.core.oracle.ResidualSums`), its columns are (``p < q`` sorted
indices; key ``(code, p, q, r)``):

====  =========================================  ===========================  ==================
code  column on the data                          ``λᵀg``                      angle (V)
====  =========================================  ===========================  ==================
0     ``(x − x_p)_+``                             ``F_p``                      0, π/4 ± …: V1–V3
1     ``(x_p − x)_+``                             ``L_p``                      π/2, 3π/4: V1–V3
2     ``|x − x_p|``                               ``L_p + F_p``                π/4: V1
3     ``(x − x_p)_+ − (x − x_q)_+``               ``F_p − F_q``                −π/2: V3
4     ``(x_q − x)_+ − (x_p − x)_+``               ``L_q − L_p``                π: V2
5     ``(x_p − x)_+ + (x − x_q)_+``               ``L_p + F_q``                π/4: V4
6     tent, feet ``x_p, x_q``, peak the midpoint  ``F_p − 2F(m) + F_q``        −3π/4: V4
7     tent, peak ``x_p``, feet ``2x_p − x_q, x_q``  ``F(2x_p − x_q) − 2F_p + F_q``  −3π/4: V2
8     tent, peak ``x_q``, feet ``x_p, 2x_q − x_p``  ``F_p − 2F_q + F(2x_q − x_p)``  −3π/4: V3
9     hat, feet ``x_p < x_r``, peak ``x_q``        below                        the hats
====  =========================================  ===========================  ==================

Every other raw column is one of these on the data, or zero (V1 at ``(−1, 0)``,
``(0, −1)``, ``(−1, −1)``, …), or — V2 and V3 at the corner ``â = ĉ = 1``,
``relu(|x − t₁| − t₂) = (x − r)_+ + (l − x)_+`` with one of ``l, r`` a mirror — a
convex combination on the data of columns 0, 1, 2 and 5 (``L`` and ``F`` are linear
between data points, ``L = 0`` left of the data and ``F = 0`` right of it), so
never larger in ``|λᵀg|`` than the best of those.  So the maximum over codes 0–9
is the maximum over the whole raw dictionary, for *any* ``λ``.

A hat of height ``h = min(w_l, w_r)`` (``w_l = x_q − x_p``, ``w_r = x_r − x_q``: its
steeper side has slope 1) is
``h·((x − x_p)_+/w_l − (x − x_q)_+(1/w_l + 1/w_r) + (x − x_r)_+/w_r)``, so
``λᵀg = (F_p − F_q) + w_l·(F_r − F_q)/w_r`` when ``w_r ≥ w_l`` and
``(F_r − F_q) + w_r·(F_p − F_q)/w_l`` otherwise.

**The search.**  Codes 0–2: ``O(N)``.  Codes 3–5: ``A_p + B_q`` over ``p < q``, a
suffix maximum and minimum per ``p`` (:func:`~lassobook.families.mirror_search.pair_extremes`):
``O(N)``.  Codes 6–8: the three-point branch and bound of
:func:`~lassobook.families.mirror_search.three_point_search` (``c_L = 0``, ``c_A = −2``,
``c_V = 1``).  Code 9: :func:`~lassobook.families.mirror_search.hat_search_bb`, a
branch and bound per peak over (left foot, right foot) rectangles
(:func:`~lassobook.families.mirror_search.hat_search`, ``O(N)`` per peak, is its
reference in the tests).  All exact: the maximum is the
dictionary's, to the rounding of the prefix sums.

**Why ``continuous = True``.**  The book's vertex argument
(:mod:`lassobook.families.symmetrized_relu`): for fixed slopes the correlation is
maximized at a vertex of the ``(t₁, t₂)`` arrangement, and along each side of the
max-norm square it is piecewise linear in the slope with breakpoints only where a
third data point lands on a kink (the hats), so the maximum over the continuous
family is attained on this finite set.  The tests check the oracle against the
dense vertex dictionary, and the dictionary against dense samples and line
searches of the continuous family.  The Euclidean norm has no finite exact
dictionary: no oracle (``SymmetrizedReLU.has_oracle`` is False for ``norm="l2"``).
"""

from __future__ import annotations

import numpy as np

from lassobook.core.oracle import StructuredOracle, peak_positions, top_indices
from lassobook.families.mirror_search import (
    LEAF,
    TopK,
    hat_search_bb,
    pair_extremes,
    symrelu_columns,
    three_point_search,
)

#: Angle ``θ`` of the normalized slopes ``(â, ĉ)`` of each vertex code (hats: their own).
_THETA = np.pi / 4 * np.array([0.0, 2.0, 1.0, -2.0, 4.0, 1.0, -3.0, -3.0, -3.0, np.nan])
#: Its normalized slopes ``(â, ĉ)``, exactly (``slopes(θ)`` snaps them to these).
_A = np.array([1.0, 0.0, 1.0, 0.0, -1.0, 1.0, -1.0, -1.0, -1.0, np.nan])
_C = np.array([0.0, 1.0, 1.0, -1.0, 0.0, 1.0, -1.0, -1.0, -1.0, np.nan])


class SymmetrizedReLUOracle(StructuredOracle):
    """Symmetrized ReLU, max-norm: the vertex dictionary through prefix sums (module docstring).

    Keys ``(code, p, q, r)`` over the sorted data.  Candidates for the working set
    are local maxima of ``|λᵀg|`` (over ``p`` for codes 0–5, over neighbouring pairs
    for 6–8, the best hat of each peak) above :attr:`spread` times the maximum.
    """

    key_width = 4
    continuous = True
    #: Candidates have ``|A_kᵀλ|`` at least this fraction of the maximum.
    spread = 0.9

    @property
    def n_columns(self):
        n = self.data.n
        return int(8 * n + 9 * n * (n - 1) + n * (n - 1) * (n - 2) // 6)

    # ------------------------------------------------------------------ correlations
    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        n, x = self.data.n, sums.x
        Fd = sums.F_all()
        Ld = x * sums.RP[:n] - sums.SP[:n]
        code, p, q, r = keys.T
        out = np.zeros(code.size)
        line = {0: Fd[p], 1: Ld[p], 2: Ld[p] + Fd[p], 3: Fd[p] - Fd[q], 4: Ld[q] - Ld[p], 5: Ld[p] + Fd[q]}
        for c, v in line.items():
            out[code == c] = v[code == c]
        for c in (6, 7, 8):                      # tents (the operations of three_point_search)
            s = code == c
            if not s.any():
                continue
            P, Q = p[s], q[s]
            if c == 6:
                out[s] = (Fd[P] - 2 * sums.F(0.5 * (x[P] + x[Q]))) + Fd[Q]
            elif c == 7:
                out[s] = (sums.F(2 * x[P] - x[Q]) - 2 * Fd[P]) + Fd[Q]
            else:
                out[s] = (Fd[P] - 2 * Fd[Q]) + sums.F(2 * x[Q] - x[P])
        s = code == 9
        if s.any():
            out[s] = _hat_values(x, Fd, p[s], q[s], r[s])
        return out

    # ------------------------------------------------------------------ search
    def search(self, sums, k, *, peaks: bool = True):
        """``(max |A_kᵀλ|, keys, values)``: the exact maximum, and as candidates the ``k``
        largest local maxima above :attr:`spread` times the maximum (``peaks=False``:
        the ``k`` largest values, hats one per peak)."""
        n, x = self.data.n, sums.x
        top = TopK(k)
        state = np.array([0.0, self.spread if peaks else 0.0])      # best so far, spread
        Fd = sums.F_all()
        Ld = x * sums.RP[:n] - sums.SP[:n]
        idx = np.arange(n)
        lines = [(0, Fd, idx, idx), (1, Ld, idx, idx), (2, Ld + Fd, idx, idx)]
        for code, A, B in ((3, Fd, -Fd), (4, -Ld, Ld), (5, Ld, Fd)):
            hi, lo = pair_extremes(A, B)
            lines += [(code, A[:-1] + B[q[:-1]], idx[:-1], q[:-1]) for q in (hi, lo)]
        state[0] = max(float(np.abs(v).max()) for _, v, _, _ in lines)
        for code, v, p, q in lines:
            _offer_line(top, code, v, p, q, peaks, state[1] * state[0])
        margin = 1e-9 * 4.0 * float(np.abs(sums.lam).sum()) * (3.0 * float(np.abs(x).max()) + 1.0)
        for mode, code in ((0, 6), (1, 7), (2, 8)):
            three_point_search(x, Fd, Ld, sums.SQ, sums.RQ, sums.RP, sums.SP, 0.0, -2.0, 1.0, mode, code,
                               top.values, top.keys, top.count, margin, LEAF, peaks, state)
        hat_search_bb(x, Fd, 9, top.values, top.keys, top.count, margin, state, 16)
        keys, vals = top.result()
        keys = keys[np.abs(vals) >= state[1] * state[0]]
        vals = self.correlations(sums, keys)
        order = top_indices(vals, keys.shape[0])
        return float(np.abs(vals[order[0]])), keys[order], vals[order]

    def all_keys(self):
        n = self.data.n
        idx = np.arange(n)
        p, q = np.triu_indices(n, k=1)
        blocks = [np.stack([np.full(n, c), idx, idx, np.zeros(n, np.int64)], axis=1) for c in (0, 1, 2)]
        blocks += [np.stack([np.full(p.size, c), p, q, np.zeros(p.size, np.int64)], axis=1)
                   for c in range(3, 9)]
        trip = np.array([(a, b, c) for a in range(n) for b in range(a + 1, n) for c in range(b + 1, n)],
                        dtype=np.int64).reshape(-1, 3)
        blocks.append(np.concatenate([np.full((trip.shape[0], 1), 9), trip], axis=1))
        return np.concatenate(blocks).astype(np.int64)

    # ------------------------------------------------------------------ columns
    def params(self, keys):
        """``t1, theta, t2`` (and ``kind``: 0 vertex, 1 hat) as in the dense dictionary;
        a hat's ``t2`` is ``−min(w_l, w_r)`` (its steeper side has slope exactly 1)."""
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        code, p, q, r = keys.T
        x = self.xs
        xp, xq, xr = x[p], x[q], x[r]
        d = xq - xp
        t1 = np.select([code <= 2, code == 3, code == 4, code == 5, code == 6, code == 7, code == 8],
                       [xp, xq, xp, (xq + xp) / 2, (-xq - xp) / -2, xp, xq], default=xq)
        t2 = np.select([code <= 2, (code == 3) | (code == 4) | (code == 7) | (code == 8), code == 5,
                        code == 6], [0.0 * d, -d, d / 2, d / -2], default=-np.minimum(d, xr - xq))
        theta = np.where(code == 9, np.arctan2(-(xr - xq), -(xq - xp)), _THETA[np.minimum(code, 9)])
        return {"t1": t1, "theta": theta, "t2": t2, "kind": (code == 9).astype(np.int64)}

    def matrix(self, keys, x=None):
        """The columns at ``x`` (default: the sorted data), compiled; the slopes ``(â, ĉ)`` are
        exact (``±1``, ``0``; a hat's ``−w_l/max(w_l, w_r)``, ``−w_r/max(w_l, w_r)``), so a hat
        column can differ from the family's ``shape`` (slopes from ``θ``) by rounding."""
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        par = self.params(keys)
        code = keys[:, 0]
        a = _A[np.minimum(code, 9)]
        c = _C[np.minimum(code, 9)]
        hat = code == 9
        if hat.any():
            xs = self.xs
            wl, wr = xs[keys[hat, 2]] - xs[keys[hat, 1]], xs[keys[hat, 3]] - xs[keys[hat, 2]]
            M = np.maximum(wl, wr)
            a[hat], c[hat] = -wl / M, -wr / M
        x = self.xs if x is None else np.asarray(x, dtype=np.float64).reshape(-1)
        out = np.empty((x.size, code.size))
        return symrelu_columns(x, par["t1"], a, c, par["t2"], out)

    def labels(self, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        par = self.params(keys)
        out = []
        for row, (c, p, q, r) in enumerate(keys.tolist()):
            if c == 9:
                out.append(f"hat(x{p + 1}, x{q + 1}, x{r + 1})")
            else:
                out.append(f"θ={par['theta'][row]:.4g} t1={par['t1'][row]:.6g} t2={par['t2'][row]:.6g}")
        return out


def _hat_values(x, Fd, p, q, r):
    """``λᵀg`` of the hats ``(p, q, r)`` (the operations of :func:`hat_search`)."""
    f = Fd[q]
    wl, wr = x[q] - x[p], x[r] - x[q]
    right = (Fd[p] - f) + wl * ((Fd[r] - f) / wr)
    left = (Fd[r] - f) + wr * ((Fd[p] - f) / wl)
    return np.where(wr >= wl, right, left)


def _offer_line(top, code, values, p, q, peaks, floor):
    """Offer the columns ``(code, p_m, q_m)``: local maxima of ``|values|`` over ``m`` (``peaks``) above ``floor``."""
    m = peak_positions(values) if peaks else np.arange(values.size)
    m = m[np.abs(values[m]) >= floor]
    top.offer(code, values[m], p[m], q[m])
