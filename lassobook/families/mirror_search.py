r"""Compiled exact searches over pair and triple columns whose kinks are data points, midpoints or mirrors.

The three-layer absolute value (:class:`lassobook.families.abs3.AbsThreeLayerOracle`)
and the symmetrized ReLU (:mod:`lassobook.families.symmetrized_relu_oracle`) have
dictionary columns built from two data points ``x_p < x_q`` and a third kink placed
by them: their midpoint or the mirror of one about the other.  With the prefix sums
of :class:`lassobook.core.oracle.ResidualSums`, ``F(t) = Σ λ_n (x_n − t)_+`` and
``L(t) = Σ λ_n (t − x_n)_+``, each such correlation is a *three-point sum*

.. math:: c(u, a, v) = G(u) + c_A F(a) + c_V F(v),\qquad G = c_L L + F,\quad u < a < v,

(the abs unit ``||x − a| − c|``: ``c_L = 1, c_A = −2, c_V = 2``; a tent
``(x − u)_+ − 2(x − a)_+ + (x − v)_+``: ``c_L = 0, c_A = −2, c_V = 1``) in one of three
*modes*:

* mode 0, midpoint: ``u = x_p``, ``v = x_q``, ``a = (x_p + x_q)/2``;
* mode 1, left mirror: ``a = x_p``, ``v = x_q``, ``u = 2x_p − x_q``;
* mode 2, right mirror: ``u = x_p``, ``a = x_q``, ``v = 2x_q − x_p``.

There are ``N(N − 1)/2`` pairs per mode; evaluating them all is ``O(N²)`` per
oracle call.  :func:`three_point_search` is a *branch and bound* over rectangles
``[p₀, p₁] × [q₀, q₁]`` of the pair triangle ``p < q``: on a rectangle, each of
``u``, ``a``, ``v`` runs over an interval (an index range of data points, or a
real interval ``[t₀, t₁]`` for the midpoint or the mirror), and ``G`` and ``F`` are
piecewise linear with kinks at the data points only, so their extremes on the
interval are at its ends or at the data points inside — an ``O(1)`` range query
in a sparse table, plus two evaluations.  That gives an upper bound of ``|c|`` on
the rectangle; a rectangle whose bound cannot beat the ``k``-th best value found
so far is dropped, the others are split in four (the larger bound searched
first), and small ones (``leaf × leaf`` pairs) are evaluated pair by pair, with
pointers that walk along the sorted data as the midpoint or mirror moves.  The
search is *exact*: a rectangle is dropped only if its bound, plus a margin for
rounding, is at most the current threshold.  Each value is computed with the same
floating-point operations, in the same order, as the oracles' vectorized
``correlations``, so the kernel's maximum is bit for bit theirs.

The symmetrized ReLU's asymmetric hats (three data points ``x_n < x_i < x_j``:
feet and peak), ``C(N, 3)`` columns, have two exact searches.  :func:`hat_search`
is ``O(N)`` per peak: for the peak ``i`` and a left foot at distance ``w_l``, every
right foot at distance ``w_r ≥ w_l`` gives ``(F_n − F_i) + w_l·s_j`` with the chord
slope ``s_j = (F_j − F_i)/(x_j − x_i)``, so the best right foot is a suffix maximum
(or minimum) of the chord slopes, found for all left feet in one sweep (and
symmetrically for ``w_r < w_l``).  :func:`hat_search_bb`, the one the oracle uses,
is a branch and bound per peak over (left foot, right foot) rectangles, bounded
by the ranges of ``F`` over the feet and of the ratio ``w_l/w_r``; near the
optimum it evaluates a few per cent of what :func:`hat_search` does.

The *top-k* list (the working set's candidates) is a small array heap shared by
the calls: ``values`` (signed), ``keys`` (``(code, p, q, r)`` rows) and ``count``.
"""

from __future__ import annotations

import numpy as np

from lassobook.core.compiled import njit_cached

#: Side of a leaf rectangle of :func:`three_point_search` (pairs evaluated one by one).
LEAF = 16


class TopK:
    """The ``k`` largest ``|value|`` seen, with their keys ``(code, p, q, r)`` (arrays the kernels update)."""

    def __init__(self, k: int):
        self.k = max(1, int(k))
        self.values = np.zeros(self.k)
        self.keys = np.zeros((self.k, 4), dtype=np.int64)
        self.count = np.zeros(1, dtype=np.int64)

    def offer(self, code: int, values, p, q=None, r=None) -> None:
        """Offer the columns ``(code, p, q, r)`` with correlations ``values`` (vectors)."""
        values = np.asarray(values, dtype=np.float64)
        if values.size == 0:
            return
        m = min(self.k, values.size)
        idx = np.argpartition(-np.abs(values), m - 1)[:m] if m < values.size else np.arange(values.size)
        p = np.asarray(p, dtype=np.int64)
        zero = np.zeros_like(p)
        q = zero if q is None else np.asarray(q, dtype=np.int64)
        r = zero if r is None else np.asarray(r, dtype=np.int64)
        keys = np.stack([np.full(idx.size, code, np.int64), p[idx], q[idx], r[idx]], axis=1)
        _offer_many(self.values, self.keys, self.count, values[idx], keys)

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, values)`` in decreasing ``|value|``."""
        c = int(self.count[0])
        order = np.argsort(-np.abs(self.values[:c]), kind="stable")
        return self.keys[:c][order], self.values[:c][order]

    def threshold(self) -> float:
        """The ``k``-th best ``|value|`` (−1 while fewer than ``k`` were offered)."""
        return _threshold(self.values, self.count)


@njit_cached
def _threshold(values, count):
    if count[0] < values.size:
        return -1.0
    return np.abs(values).min()


@njit_cached
def _offer(values, keys, count, value, code, p, q, r):
    """Insert one column if it beats the ``k``-th best; returns the new threshold."""
    k = values.size
    c = count[0]
    if c < k:
        values[c] = value
        keys[c, 0], keys[c, 1], keys[c, 2], keys[c, 3] = code, p, q, r
        count[0] = c + 1
        return _threshold(values, count)
    worst, pos = np.inf, 0
    for m in range(k):
        if abs(values[m]) < worst:
            worst, pos = abs(values[m]), m
    if abs(value) > worst:
        values[pos] = value
        keys[pos, 0], keys[pos, 1], keys[pos, 2], keys[pos, 3] = code, p, q, r
        worst = np.inf
        for m in range(k):
            worst = min(worst, abs(values[m]))
    return worst


@njit_cached
def _offer_many(values, keys, count, new_values, new_keys):
    for m in range(new_values.size):
        _offer(values, keys, count, new_values[m], new_keys[m, 0], new_keys[m, 1], new_keys[m, 2],
               new_keys[m, 3])


# ---------------------------------------------------------------------------- sparse tables
@njit_cached
def _sparse_tables(v):
    """Sparse tables of running max and min: ``T[l, i] = max(v[i : i + 2^l])``."""
    n = v.size
    levels = 1
    while (1 << levels) <= n:
        levels += 1
    hi = np.empty((levels, n))
    lo = np.empty((levels, n))
    hi[0] = v
    lo[0] = v
    for lev in range(1, levels):
        half = 1 << (lev - 1)
        for i in range(n):
            j = i + half
            if j < n:
                hi[lev, i] = max(hi[lev - 1, i], hi[lev - 1, j])
                lo[lev, i] = min(lo[lev - 1, i], lo[lev - 1, j])
            else:
                hi[lev, i] = hi[lev - 1, i]
                lo[lev, i] = lo[lev - 1, i]
    return hi, lo


@njit_cached
def _range(hi, lo, i0, i1):
    """``(max, min)`` of ``v[i0 : i1 + 1]`` (``(-inf, inf)`` when empty)."""
    if i1 < i0:
        return -np.inf, np.inf
    length = i1 - i0 + 1
    lev = 0
    while (2 << lev) <= length:
        lev += 1
    j = i1 - (1 << lev) + 1
    return max(hi[lev, i0], hi[lev, j]), min(lo[lev, i0], lo[lev, j])


@njit_cached
def _right(x, t):
    """``searchsorted(x, t, side="right")``: the first index with ``x > t``."""
    a, b = 0, x.size
    while a < b:
        m = (a + b) >> 1
        if x[m] <= t:
            a = m + 1
        else:
            b = m
    return a


@njit_cached
def _left(x, t):
    """``searchsorted(x, t, side="left")``: the first index with ``x >= t``."""
    a, b = 0, x.size
    while a < b:
        m = (a + b) >> 1
        if x[m] < t:
            a = m + 1
        else:
            b = m
    return a


@njit_cached
def _F(x, SQ, RQ, t):
    m = _right(x, t)
    return SQ[m] - t * RQ[m]


@njit_cached
def _G(x, SQ, RQ, RP, SP, cL, t):
    """``c_L L(t) + F(t)`` (the operations of the vectorized oracles)."""
    m = _right(x, t)
    f = SQ[m] - t * RQ[m]
    if cL == 0.0:
        return f
    m = _left(x, t)
    return cL * (t * RP[m] - SP[m]) + f


@njit_cached
def _interval(x, hi, lo, t0, t1, g0, g1):
    """``(max, min)`` over ``[t0, t1]`` of a function with kinks at ``x``, values ``g0, g1`` at the ends."""
    vmax, vmin = _range(hi, lo, _left(x, t0), _right(x, t1) - 1)
    return max(vmax, g0, g1), min(vmin, g0, g1)


# ---------------------------------------------------------------------------- three-point columns
@njit_cached
def _bound(x, SQ, RQ, RP, SP, cL, cA, cV, mode, tabs, p0, p1, q0, q1):
    """Upper bound of ``|c|`` over the pairs ``p0 ≤ p ≤ p1``, ``q0 ≤ q ≤ q1``, ``p < q``."""
    Fhi, Flo, Ghi, Glo = tabs
    p1 = min(p1, q1 - 1)
    q0 = max(q0, p0 + 1)
    if p1 < p0 or q1 < q0:
        return -1.0
    if mode == 0:
        Umax, Umin = _range(Ghi, Glo, p0, p1)
        t0, t1 = 0.5 * (x[p0] + x[q0]), 0.5 * (x[p1] + x[q1])
        Amax, Amin = _interval(x, Fhi, Flo, t0, t1, _F(x, SQ, RQ, t0), _F(x, SQ, RQ, t1))
        Vmax, Vmin = _range(Fhi, Flo, q0, q1)
    elif mode == 1:
        t0, t1 = 2 * x[p0] - x[q1], 2 * x[p1] - x[q0]
        Umax, Umin = _interval(x, Ghi, Glo, t0, t1, _G(x, SQ, RQ, RP, SP, cL, t0),
                               _G(x, SQ, RQ, RP, SP, cL, t1))
        Amax, Amin = _range(Fhi, Flo, p0, p1)
        Vmax, Vmin = _range(Fhi, Flo, q0, q1)
    else:
        Umax, Umin = _range(Ghi, Glo, p0, p1)
        Amax, Amin = _range(Fhi, Flo, q0, q1)
        t0, t1 = 2 * x[q0] - x[p1], 2 * x[q1] - x[p0]
        Vmax, Vmin = _interval(x, Fhi, Flo, t0, t1, _F(x, SQ, RQ, t0), _F(x, SQ, RQ, t1))
    top = Umax + (cA * Amax if cA > 0 else cA * Amin) + (cV * Vmax if cV > 0 else cV * Vmin)
    bottom = Umin + (cA * Amin if cA > 0 else cA * Amax) + (cV * Vmin if cV > 0 else cV * Vmax)
    return max(top, -bottom)


@njit_cached
def _leaf(x, Fd, Gd, SQ, RQ, RP, SP, cL, cA, cV, mode, code, p0, p1, q0, q1, values, keys, count, tau,
          peaks, buf, state):
    """Every pair of the rectangle, one by one (pointers follow the midpoint or mirror).

    ``peaks``: offer only local maxima of ``|c|`` over the 8 neighbouring pairs (the
    rectangle is evaluated with a border of one pair for that), so that the
    candidates are different places where the dual is violated, not neighbours.
    """
    n = x.size
    h = 1 if peaks else 0
    a0, a1 = max(p0 - h, 0), min(p1 + h, n - 2)
    b0, b1 = max(q0 - h, 1), min(q1 + h, n - 1)
    buf[:] = 0.0                                  # |0| never beats a value
    for p in range(a0, min(a1, b1 - 1) + 1):
        qs = max(b0, p + 1)
        if mode == 0:
            m = _right(x, 0.5 * (x[p] + x[qs]))
        elif mode == 1:
            u = 2 * x[p] - x[qs]
            m, ml = _right(x, u), _left(x, u)
        else:
            m = _right(x, 2 * x[qs] - x[p])
        for q in range(qs, b1 + 1):
            if mode == 0:
                t = 0.5 * (x[p] + x[q])
                while m < n and x[m] <= t:
                    m += 1
                val = (Gd[p] + cA * (SQ[m] - t * RQ[m])) + cV * Fd[q]
            elif mode == 1:
                t = 2 * x[p] - x[q]
                while m > 0 and x[m - 1] > t:
                    m -= 1
                f = SQ[m] - t * RQ[m]
                if cL != 0.0:
                    while ml > 0 and x[ml - 1] >= t:
                        ml -= 1
                    f = cL * (t * RP[ml] - SP[ml]) + f
                val = (f + cA * Fd[p]) + cV * Fd[q]
            else:
                t = 2 * x[q] - x[p]
                while m < n and x[m] <= t:
                    m += 1
                val = (Gd[p] + cA * Fd[q]) + cV * (SQ[m] - t * RQ[m])
            if abs(val) > state[0]:                   # the best so far, and the bar with it
                state[0] = abs(val)
                tau = max(tau, state[1] * state[0])
            if not peaks:
                if abs(val) > tau:
                    tau = max(_offer(values, keys, count, val, code, p, q, 0), state[1] * state[0])
            else:
                buf[p - p0 + 1, q - q0 + 1] = val
    if peaks:
        for p in range(p0, min(p1, q1 - 1) + 1):
            for q in range(max(q0, p + 1), q1 + 1):
                r, c = p - p0 + 1, q - q0 + 1
                v = abs(buf[r, c])
                if v > tau and v >= abs(buf[r - 1, c - 1]) and v >= abs(buf[r - 1, c]) \
                        and v >= abs(buf[r - 1, c + 1]) and v >= abs(buf[r, c - 1]) \
                        and v >= abs(buf[r, c + 1]) and v >= abs(buf[r + 1, c - 1]) \
                        and v >= abs(buf[r + 1, c]) and v >= abs(buf[r + 1, c + 1]):
                    tau = max(_offer(values, keys, count, buf[r, c], code, p, q, 0), state[1] * state[0])
    return tau


@njit_cached
def _put(a, r, p0, p1, q0, q1, bound):
    a[r, 0], a[r, 1], a[r, 2], a[r, 3], a[r, 4] = p0, p1, q0, q1, bound


@njit_cached
def three_point_search(x, Fd, Ld, SQ, RQ, RP, SP, cL, cA, cV, mode, code, values, keys, count,
                       margin, leaf, peaks, state):
    """Branch and bound over the pairs ``p < q`` of one mode (module docstring); updates the top-k heap.

    ``margin`` is added to every bound before it is compared with the threshold
    (rounding).  ``peaks``: offer only pairs whose ``|c|`` is a local maximum among
    their 8 neighbours (the global maximum is one).  ``state = [best, spread]``: the
    largest ``|c|`` seen so far (updated) and the fraction of it below which values
    are not offered (0: the exact top-k; a rectangle whose bound is below
    ``spread·best`` holds nothing above ``best``, so the maximum stays exact).
    Returns the number of pairs evaluated one by one.
    """
    n = x.size
    Gd = cL * Ld + Fd
    Fhi, Flo = _sparse_tables(Fd)
    Ghi, Glo = _sparse_tables(Gd)
    tabs = (Fhi, Flo, Ghi, Glo)
    stack = np.empty((256, 5))
    _put(stack, 0, 0, n - 2, 1, n - 1, np.inf)
    top = 1
    tau = max(_threshold(values, count), state[1] * state[0])
    evaluated = 0
    child = np.empty((4, 5))
    buf = np.empty((leaf + 2, leaf + 2))
    while top > 0:
        top -= 1
        p0, p1, q0, q1 = int(stack[top, 0]), int(stack[top, 1]), int(stack[top, 2]), int(stack[top, 3])
        if stack[top, 4] + margin <= tau:
            continue
        if p1 - p0 < leaf and q1 - q0 < leaf:
            tau = _leaf(x, Fd, Gd, SQ, RQ, RP, SP, cL, cA, cV, mode, code, p0, p1, q0, q1,
                        values, keys, count, tau, peaks, buf, state)
            evaluated += (p1 - p0 + 1) * (q1 - q0 + 1)
            continue
        pm = (p0 + p1) // 2 if p1 - p0 >= leaf else p1
        qm = (q0 + q1) // 2 if q1 - q0 >= leaf else q1
        c = 0
        for a0, a1 in ((p0, pm), (pm + 1, p1)):
            for b0, b1 in ((q0, qm), (qm + 1, q1)):
                if a1 < a0 or b1 < b0 or a0 >= b1:
                    continue
                bnd = _bound(x, SQ, RQ, RP, SP, cL, cA, cV, mode, tabs, a0, a1, b0, b1)
                if bnd + margin > tau:
                    _put(child, c, a0, a1, b0, b1, bnd)
                    c += 1
        order = np.argsort(child[:c, 4])          # the largest bound on top of the stack
        for r in range(c):
            stack[top, :] = child[order[r], :]
            top += 1
    return evaluated


# ---------------------------------------------------------------------------- hats
@njit_cached(error_model="numpy")
def hat_search(x, Fd, code, values, keys, count, margin, state, every):
    """The asymmetric hats ``(n, i, j)``, ``n < i < j`` (module docstring); updates the top-k heap.

    Value (the oracle's ``correlations``): with ``w_l = x_i − x_n``, ``w_r = x_j − x_i``,
    ``(F_n − F_i) + w_l·((F_j − F_i)/w_r)`` if ``w_r ≥ w_l``, else
    ``(F_j − F_i) + w_r·((F_n − F_i)/w_l)``.  Offers the best hat of each peak ``i``
    (``every``: every hat) above ``state[1]·state[0]`` (``state`` as in
    :func:`three_point_search`).  Returns the number of peaks searched.
    """
    n = x.size
    pre_hi, pre_lo = np.empty(n), np.empty(n)        # max/min of F over [0, i)
    suf_hi, suf_lo = np.empty(n), np.empty(n)        # over (i, n)
    hi, lo = -np.inf, np.inf
    for i in range(n):
        pre_hi[i], pre_lo[i] = hi, lo
        hi, lo = max(hi, Fd[i]), min(lo, Fd[i])
    hi, lo = -np.inf, np.inf
    for i in range(n - 1, -1, -1):
        suf_hi[i], suf_lo[i] = hi, lo
        hi, lo = max(hi, Fd[i]), min(lo, Fd[i])
    s_hi, s_lo = np.empty(n), np.empty(n)
    a_hi, a_lo = np.empty(n, np.int64), np.empty(n, np.int64)
    cand = np.empty(4)
    cn, cj = np.empty(4, np.int64), np.empty(4, np.int64)
    tau = max(_threshold(values, count), state[1] * state[0])
    searched = 0
    for i in range(1, n - 1):
        f = Fd[i]
        up = max(pre_hi[i] - f, 0.0) + max(suf_hi[i] - f, 0.0)
        down = max(f - pre_lo[i], 0.0) + max(f - suf_lo[i], 0.0)
        if max(up, down) + margin <= tau:
            continue
        searched += 1
        best, bn, bj = 0.0, -1, -1
        # w_r >= w_l: suffix extremes of the right chord slopes
        hi, lo, ah, al = -np.inf, np.inf, n, n
        for j in range(n - 1, i, -1):
            s = (Fd[j] - f) / (x[j] - x[i])
            if s > hi:
                hi, ah = s, j
            if s < lo:
                lo, al = s, j
            s_hi[j], s_lo[j], a_hi[j], a_lo[j] = hi, lo, ah, al
        k = i + 1
        for m in range(i - 1, -1, -1):
            wl = x[i] - x[m]
            while k < n and (x[k] - x[i]) < wl:
                k += 1
            if k == n:
                break
            d = Fd[m] - f
            cand[0], cand[1] = d + wl * s_hi[k], d + wl * s_lo[k]
            cn[0], cn[1], cj[0], cj[1] = m, m, a_hi[k], a_lo[k]
            for c in range(2):
                if abs(cand[c]) > tau:
                    if abs(cand[c]) > state[0]:
                        state[0] = abs(cand[c])
                        tau = max(tau, state[1] * state[0])
                    if every:
                        tau = max(_offer(values, keys, count, cand[c], code, cn[c], i, cj[c]),
                                  state[1] * state[0])
                    elif abs(cand[c]) > abs(best):
                        best, bn, bj = cand[c], cn[c], cj[c]
        # w_r < w_l: prefix extremes of the left chord slopes
        hi, lo, ah, al = -np.inf, np.inf, -1, -1
        for m in range(0, i):
            s = (Fd[m] - f) / (x[i] - x[m])
            if s > hi:
                hi, ah = s, m
            if s < lo:
                lo, al = s, m
            s_hi[m], s_lo[m], a_hi[m], a_lo[m] = hi, lo, ah, al
        k = i - 1
        for j in range(i + 1, n):
            wr = x[j] - x[i]
            while k >= 0 and (x[i] - x[k]) <= wr:
                k -= 1
            if k < 0:
                break
            d = Fd[j] - f
            cand[0], cand[1] = d + wr * s_hi[k], d + wr * s_lo[k]
            cn[0], cn[1], cj[0], cj[1] = a_hi[k], a_lo[k], j, j
            for c in range(2):
                if abs(cand[c]) > tau:
                    if abs(cand[c]) > state[0]:
                        state[0] = abs(cand[c])
                        tau = max(tau, state[1] * state[0])
                    if every:
                        tau = max(_offer(values, keys, count, cand[c], code, cn[c], i, cj[c]),
                                  state[1] * state[0])
                    elif abs(cand[c]) > abs(best):
                        best, bn, bj = cand[c], cn[c], cj[c]
        if bn >= 0 and abs(best) > tau:
            tau = max(_offer(values, keys, count, best, code, bn, i, bj), state[1] * state[0])
    return searched


@njit_cached
def pair_extremes(A, B):
    """For every ``p``: the ``q > p`` maximizing and minimizing ``A_p + B_q`` (``-1`` for the last ``p``)."""
    n = A.size
    best_hi = np.full(n, -1, np.int64)
    best_lo = np.full(n, -1, np.int64)
    hi, lo = -1, -1
    for p in range(n - 2, -1, -1):
        q = p + 1
        if hi < 0 or B[q] > B[hi]:
            hi = q
        if lo < 0 or B[q] < B[lo]:
            lo = q
        best_hi[p], best_lo[p] = hi, lo
    return best_hi, best_lo


@njit_cached
def abs3_columns(x, a, c, out):
    """``out[n, k] = ||x_n − a_k| − c_k|`` (the operations of ``ThreeLayerAbs.shape``), in one pass."""
    for r in range(x.size):
        for k in range(a.size):
            out[r, k] = abs(abs(x[r] - a[k]) - c[k])
    return out


@njit_cached(error_model="numpy")
def _hat_bound(x, Fhi, Flo, f, xi, n0, n1, j0, j1):
    """Upper bound of ``|hat|`` over the left feet ``n0..n1`` and right feet ``j0..j1`` of the peak at ``xi``."""
    wl0, wl1 = xi - x[n1], xi - x[n0]
    wr0, wr1 = x[j0] - xi, x[j1] - xi
    Nmax, Nmin = _range(Fhi, Flo, n0, n1)
    Jmax, Jmin = _range(Fhi, Flo, j0, j1)
    Nmax, Nmin, Jmax, Jmin = Nmax - f, Nmin - f, Jmax - f, Jmin - f
    out = 0.0
    if wr1 >= wl0:          # w_r ≥ w_l possible: D_n + (w_l/w_r)·D_j
        c0, c1 = wl0 / wr1, min(1.0, wl1 / wr0)
        hi = Nmax + (c1 * Jmax if Jmax >= 0 else c0 * Jmax)
        lo = Nmin + (c1 * Jmin if Jmin <= 0 else c0 * Jmin)
        out = max(out, hi, -lo)
    if wl1 > wr0:           # w_l > w_r possible: D_j + (w_r/w_l)·D_n
        c0, c1 = wr0 / wl1, min(1.0, wr1 / wl0)
        hi = Jmax + (c1 * Nmax if Nmax >= 0 else c0 * Nmax)
        lo = Jmin + (c1 * Nmin if Nmin <= 0 else c0 * Nmin)
        out = max(out, hi, -lo)
    return out


@njit_cached(error_model="numpy")
def hat_search_bb(x, Fd, code, values, keys, count, margin, state, leaf):
    """:func:`hat_search` by branch and bound: per peak ``i`` (largest bound first), rectangles of
    (left foot, right foot) whose bound (:func:`_hat_bound`: the feet's ranges of ``F`` and of
    the ratio ``w_l/w_r``) cannot beat the threshold are dropped; leaves are evaluated hat by
    hat.  Offers the best hat of each peak.  Returns the number of hats evaluated."""
    n = x.size
    Fhi, Flo = _sparse_tables(Fd)
    outer = np.zeros(n)
    for i in range(1, n - 1):
        outer[i] = _hat_bound(x, Fhi, Flo, Fd[i], x[i], 0, i - 1, i + 1, n - 1)
    order = np.argsort(-outer)
    stack = np.empty((256, 5))
    child = np.empty((4, 5))
    tau = max(_threshold(values, count), state[1] * state[0])
    evaluated = 0
    for r in range(n):
        i = order[r]
        if i == 0 or i == n - 1 or outer[i] + margin <= tau:
            continue
        f, xi = Fd[i], x[i]
        best, bn, bj = 0.0, -1, -1
        _put(stack, 0, 0, i - 1, i + 1, n - 1, outer[i])
        top = 1
        while top > 0:
            top -= 1
            n0, n1, j0, j1 = int(stack[top, 0]), int(stack[top, 1]), int(stack[top, 2]), int(stack[top, 3])
            if stack[top, 4] + margin <= tau:
                continue
            if n1 - n0 < leaf and j1 - j0 < leaf:
                for m in range(n0, n1 + 1):
                    wl = xi - x[m]
                    for j in range(j0, j1 + 1):
                        wr = x[j] - xi
                        if wr >= wl:
                            v = (Fd[m] - f) + wl * ((Fd[j] - f) / wr)
                        else:
                            v = (Fd[j] - f) + wr * ((Fd[m] - f) / wl)
                        if abs(v) > tau:
                            if abs(v) > state[0]:
                                state[0] = abs(v)
                                tau = max(tau, state[1] * state[0])
                            if abs(v) > abs(best):
                                best, bn, bj = v, m, j
                evaluated += (n1 - n0 + 1) * (j1 - j0 + 1)
                continue
            nm = (n0 + n1) // 2 if n1 - n0 >= leaf else n1
            jm = (j0 + j1) // 2 if j1 - j0 >= leaf else j1
            c = 0
            for a0, a1 in ((n0, nm), (nm + 1, n1)):
                for b0, b1 in ((j0, jm), (jm + 1, j1)):
                    if a1 < a0 or b1 < b0:
                        continue
                    bnd = _hat_bound(x, Fhi, Flo, f, xi, a0, a1, b0, b1)
                    if bnd + margin > tau:
                        _put(child, c, a0, a1, b0, b1, bnd)
                        c += 1
            idx = np.argsort(child[:c, 4])
            for q in range(c):
                stack[top, :] = child[idx[q], :]
                top += 1
        if bn >= 0 and abs(best) > tau:
            tau = max(_offer(values, keys, count, best, code, bn, i, bj), state[1] * state[0])
    return evaluated


@njit_cached
def symrelu_columns(x, t1, a, c, t2, out):
    """``out[n, k] = relu(a_k relu(x_n − t1_k) + c_k relu(t1_k − x_n) − t2_k)`` in one pass
    (the operations of ``symrelu_shape``)."""
    for r in range(x.size):
        for k in range(t1.size):
            u = x[r] - t1[k]
            out[r, k] = max(a[k] * max(u, 0.0) + c[k] * max(-u, 0.0) - t2[k], 0.0)
    return out
