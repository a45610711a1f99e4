r"""Deep sign and threshold networks (depth ``L ≥ 3``): the family, its exact oracle, its certificate.

A unit of depth ``L`` (rectangular widths ``(m_1, …)`` or a tree) outputs, on sorted
data, a ±1 pattern (``{0, 1}`` for threshold) with at most ``K`` switches
(``K = m_1`` rectangular, ``Π m_l`` tree), and every such pattern is a unit
(:func:`lassobook.families.sign_network.unit_weights`).  So the training problem is
the Lasso over the switching dictionary, ``Σ_{k ≤ K} C(N − 1, k)`` columns
(:class:`DeepSign`).

The oracle (:class:`SwitchingOracle`) never forms it.  With ``R`` the prefix sums
of the dual vector ``λ`` on the sorted data and ``1ᵀλ = 0``, a ±1 pattern ``g``
switching at boundaries ``b_1 < … < b_k`` has

.. math:: λᵀg = ±2 \sum_j (−1)^{j+1} R[b_j] ,

an alternating sum of ``k ≤ K`` prefix sums, and a pattern on levels
``(off, on)`` is ``h = off + (on − off)(g + 1)/2``.  The maximum over all patterns
is a dynamic program over (point, switches used, current sign), ``O(NK)``
(:func:`lassobook.families.sign_patterns.forward_table`); as every unit's output is
one of these patterns, it is the maximum over the *continuous* family and the
certificate covers networks of any width.  (For ``K = 2`` the dual constraint is
``max R − min R ≤ β/2``: the Lasso is TV denoising with the penalty
``(β/4)(TV(u) + |u_N − u_1|)``.)

:func:`exact_certificate` is the same exact check for a dense fit.
"""

from __future__ import annotations

import numpy as np
import torch

from lassobook.core.activations import activation
from lassobook.core.certificate import Certificate, certify
from lassobook.core.compiled import njit_cached
from lassobook.core.data import Dataset, as_dataset
from lassobook.core.family import Family
from lassobook.core.oracle import StructuredOracle
from lassobook.families.sign_network import (
    DeepSignNet,
    sample_unit_patterns,
    unit_weights,
)
from lassobook.families.sign_patterns import (
    SIGN_ACTIVATIONS,
    backward_table,
    best_pattern_gaps,
    check_sign_architecture,
    dictionary_size,
    forward_table,
    gaps_to_switch_params,
    max_switches,
    max_switching_value,
    pattern_gaps,
    switch_profile,
    switching_gaps,
    trace_through,
)
from lassobook.solvers.gram import PWLForm


class SwitchingOracle(StructuredOracle):
    r"""Sign and threshold networks of depth ``L ≥ 3``: ±1 patterns with ``≤ K`` switches.

    Keys are the gap indices of the switches (a switch after sorted point ``g``),
    increasing, padded with ``N − 1``, width ``min(K, N − 1)``; the column starts
    at the activation's 'on' level.  ``λᵀh`` is a sum of segment sums of ``λ``
    weighted by the levels (``O(K)`` per column).

    :meth:`search` runs the switching dynamic program of
    :mod:`lassobook.families.sign_patterns` forwards and backwards (``O(NK)``
    time and memory): its maximum is the exact maximum of ``|λᵀh|`` over every
    pattern a unit can output, so over the continuous family
    (:attr:`continuous`), and its *profile* ``v(b)`` — the best pattern with a
    switch at boundary ``b`` — gives the candidates: the best pattern through
    each of the highest local maxima of ``v`` (distinct patterns, spread over
    the places where the fit is wrong).

    Large data: :meth:`form` writes a column as ``on + Σ_j d_j 1[x ≥ s_j]``
    (steps at the switch locations), so the working set's Gram matrix comes from
    prefix sums (:class:`lassobook.solvers.gram.PrefixGram`) and no column is stored.
    """

    def __init__(self, family, data):
        super().__init__(family, data)
        self.K = family.switch_budget(data.n)
        self.key_width = self.K
        self.off, self.on = (float(v) for v in activation(family.activation).levels)
        # PrefixGram compares shifted switch locations with the shifted data: exact only if
        # the shift keeps the points distinct (it does unless two points are ~1e-16 apart)
        xc = self.xs - 0.5 * (self.xs[0] + self.xs[-1])
        if self.K >= 1 and np.all(np.diff(xc) > 0):
            self.form = self._form

    @property
    def n_columns(self):
        return int(dictionary_size(self.data.n, self.K))

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        n = self.data.n
        bounds = np.concatenate([np.zeros((keys.shape[0], 1), np.int64), keys + 1,
                                 np.full((keys.shape[0], 1), n, np.int64)], axis=1)
        bounds = np.minimum(bounds, n)
        seg = sums.RP[bounds[:, 1:]] - sums.RP[bounds[:, :-1]]
        levels = np.where(np.arange(seg.shape[1]) % 2 == 0, self.on, self.off)
        return seg @ levels

    def all_keys(self):
        return switching_gaps(self.data.n, self.K)

    def value(self, sums, best: float) -> float:
        r"""``max |λᵀh|`` from ``M = max_g λᵀg`` over ±1 patterns: ``h = off + (on − off)(g + 1)/2``
        and the set of ``g`` is symmetric, so it is ``|on + off|/2·|1ᵀλ| + (on − off)/2·M``."""
        return 0.5 * abs(self.on + self.off) * abs(sums.total) + 0.5 * (self.on - self.off) * best

    def maximum(self, sums):
        lam = np.ascontiguousarray(sums.lam, dtype=np.float64)
        return float(self.value(sums, max_switching_value(lam, self.K)))

    def search(self, sums, k):
        lam = np.ascontiguousarray(sums.lam, dtype=np.float64)
        F, PF = forward_table(lam, self.K)
        best, gaps = best_pattern_gaps(F, PF)
        keys = gaps[None, :]
        if int(k) > 1:
            keys = self._candidates(sums, lam, F, PF, keys, int(k))
        return float(self.value(sums, best)), keys, self.correlations(sums, keys)

    def _candidates(self, sums, lam, F, PF, first, k) -> np.ndarray:
        """``first`` and up to ``k − 1`` more distinct patterns, taken in turn from several pools.

        Pool 0: the best pattern through each of the most prominent peaks of the
        switch profile (:func:`~lassobook.families.sign_patterns.switch_profile`,
        :func:`~lassobook.families.sign_patterns.peak_prominence`): one per place
        where a switch would help, not a cluster of neighbours of the best one.
        Pools 1, 2, …: the turning points of the prefix sums ``R`` of ``λ`` at
        halving scales (:func:`~lassobook.families.sign_patterns.zigzag`), ``K``
        consecutive ones per pattern, most correlated first: the large-scale
        structure the fit still misses, cut into patterns that fit together
        (neighbouring windows share switches) rather than all pairing with the
        one global extreme.
        """
        B, PB = backward_table(lam, self.K)
        v, codes = switch_profile(F, B)
        prom = peak_prominence(v)
        peaks = np.flatnonzero(prom > 0)
        peaks = peaks[np.argsort(-prom[peaks], kind="stable")][:k]
        pools = [trace_through(PF, PB, peaks + 1, codes[peaks])]
        for turns in multiscale_turns(sums.RP, k):
            rows = turning_windows(turns, self.K, self.data.n)
            corr = np.abs(self.correlations(sums, rows))
            pools.append(rows[np.argsort(-corr, kind="stable")])
        return _take_in_turn(first, pools, k)

    def _form(self, keys) -> PWLForm:
        """Columns as step forms: ``on`` before the first switch, ``±(on − off)`` at each switch."""
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        n, k = self.data.n, keys.shape[0]
        real = keys < n - 1
        s = np.where(real, np.append(self.xs, np.inf)[np.minimum(keys + 1, n)], np.inf)
        jump = np.where(np.arange(keys.shape[1]) % 2 == 0, self.off - self.on, self.on - self.off)
        d = np.where(real, jump[None, :], 0.0)
        empty = np.zeros((k, 0))
        return PWLForm(np.full(k, self.on), np.zeros(k), empty, empty, s, d)

    def matrix(self, keys, x=None):
        if x is not None:
            return super().matrix(keys, x)
        keys = np.ascontiguousarray(np.atleast_2d(keys), dtype=np.int64)
        return pattern_columns(keys, self.data.n, self.off, self.on)

    def params(self, keys):
        return gaps_to_switch_params(np.atleast_2d(keys), self.xs, self.K)

    def labels(self, keys):
        return [self.family._label(self.xs, row) for row in np.atleast_2d(keys)]


def _take_in_turn(first: np.ndarray, pools: list, k: int) -> np.ndarray:
    """``first``, then the next unseen row of each pool in turn, until ``k`` rows or none is left."""
    rows, seen = [first], {first.tobytes()}
    pos = [0] * len(pools)
    grew = True
    while len(rows) < k and grew:
        grew = False
        for j, pool in enumerate(pools):
            while pos[j] < pool.shape[0] and len(rows) < k:
                row = pool[pos[j]:pos[j] + 1]
                pos[j] += 1
                if row.tobytes() not in seen:
                    seen.add(row.tobytes())
                    rows.append(row)
                    grew = True
                    break
    return np.concatenate(rows)


# ============================================================================ candidate kernels
@njit_cached
def peak_prominence(v):
    """Topographic prominence of every point of ``v`` (``0`` where it is not a local maximum).

    ``v[p]`` minus the higher of its two bases, a base being the lowest ``v``
    between ``p`` and the nearest strictly higher point on that side (on the left;
    higher or equal on the right), or the end of the array.  ``O(n)`` with a
    monotone stack from each side.
    """
    n = v.size
    left = np.empty(n)
    stack = np.empty(n, np.int64)
    low = np.empty(n)          # low[j]: min of v strictly after the stack entry below j, up to j
    top = 0
    for i in range(n):
        m = v[i]
        while top > 0 and v[stack[top - 1]] <= v[i]:
            top -= 1
            if low[stack[top]] < m:
                m = low[stack[top]]
        left[i] = m
        low[i] = m
        stack[top] = i
        top += 1
    out = np.zeros(n)
    top = 0
    for i in range(n - 1, -1, -1):
        m = v[i]
        while top > 0 and v[stack[top - 1]] < v[i]:
            top -= 1
            if low[stack[top]] < m:
                m = low[stack[top]]
        low[i] = m
        stack[top] = i
        top += 1
        is_peak = (i == 0 or v[i - 1] <= v[i]) and (i == n - 1 or v[i + 1] <= v[i])
        if is_peak:
            out[i] = v[i] - max(left[i], m)
    return out


@njit_cached
def zigzag(R, delta):
    """Turning points of ``R[1..n−1]`` (indices into ``R``): alternating local maxima and minima,
    each differing from the next by at least ``delta`` (the classic zigzag filter), ``O(n)``."""
    m = R.size - 1
    out = np.empty(m, np.int64)
    count = 0
    if m < 2:
        return out[:0]
    hi = lo = 1                     # running extremes since the last turning point
    direction = 0                   # +1: looking for a maximum, −1: for a minimum, 0: undecided
    for i in range(1, m):
        r = R[i]
        if direction >= 0 and r > R[hi]:
            hi = i
        if direction <= 0 and r < R[lo]:
            lo = i
        if direction >= 0 and R[hi] - r >= delta:       # a maximum is confirmed
            if direction == 0 or count == 0 or out[count - 1] != hi:
                out[count] = hi
                count += 1
            direction, lo = -1, i
        elif direction <= 0 and r - R[lo] >= delta:     # a minimum is confirmed
            if direction == 0 or count == 0 or out[count - 1] != lo:
                out[count] = lo
                count += 1
            direction, hi = 1, i
    last = hi if direction >= 0 else lo             # the pending extreme
    if count == 0 or out[count - 1] != last:
        out[count] = last
        count += 1
    return out[:count]


def multiscale_turns(R: np.ndarray, k: int, *, max_scales: int = 40) -> list[np.ndarray]:
    """Zigzag turning points of ``R`` (:func:`zigzag`) at ``δ = span, span/2, span/4, …``,
    until a scale has more than ``4k`` of them (or ``max_scales`` scales)."""
    R = np.ascontiguousarray(R, dtype=np.float64)
    span = float(R.max() - R.min()) if R.size else 0.0
    out = []
    delta = span
    for _ in range(max_scales):
        if not delta > 0:
            break
        turns = zigzag(R, delta)
        out.append(turns)
        if turns.size > 4 * k:
            break
        delta /= 2
    return out


def turning_windows(turns: np.ndarray, K: int, n: int) -> np.ndarray:
    """Gap rows of the patterns switching at ``K`` consecutive turning points (``min(K, count)``
    if there are fewer), padded with ``n − 1``; turning point ``b`` (an index into ``R``) is gap ``b − 1``."""
    w = min(int(K), turns.size)
    if w == 0:
        return np.empty((0, K), np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(turns, w) - 1
    rows = np.full((windows.shape[0], K), n - 1, np.int64)
    rows[:, :w] = windows
    return rows


@njit_cached
def pattern_columns(keys, n, off, on):
    """The columns of gap rows ``keys`` (padded with n − 1) on the n sorted points, shape (n, k):
    ``on`` up to the first switch, then alternating."""
    out = np.empty((n, keys.shape[0]))
    for r in range(keys.shape[0]):
        level, j, nxt = on, 0, keys[r, 0] if keys.shape[1] else n - 1
        for i in range(n):
            out[i, r] = level
            while i == nxt and i < n - 1:
                level = off if level == on else on
                j += 1
                nxt = keys[r, j] if j < keys.shape[1] else n - 1
    return out


# ============================================================================ family
class DeepSign(Family):
    r"""Sign or threshold networks of depth ``L ≥ 3`` .

    ``f(x) = Σ_k α_k s_k σ(v_k·h_k(x) + c_k) + ξ`` where ``h_k`` is the last hidden
    layer of unit ``k`` (rectangular or tree wiring, see the module docstring),
    penalty ``(β/2) Σ_k (α_k² + s_k²)``; hidden weights and all biases are free.

    Parameters
    ----------
    activation : {"sign", "threshold"}
    depth : int ≥ 3
    architecture : {"rectangular", "tree"}, default "rectangular"
    widths : tuple of ``depth − 2`` positive ints, default all ones
        Hidden widths ``(m_1, …, m_{L−2})``.  For a tree, ``m_l`` is the number of
        children of each neuron at level ``l + 1``.
    max_columns : int
        Refuse to build a dictionary with more columns than this.

    Attributes
    ----------
    K : int
        Switches a unit realizes: ``m_1`` (rectangular) or ``Π m_l`` (tree);
        on ``N`` points the dictionary uses ``min(K, N − 1)``.
    """

    degree = 0     # a unit only moves its switches when x is rescaled

    def __init__(self, activation: str = "sign", depth: int = 3, architecture: str | None = None,
                 widths=None, *, max_columns: int = 2_000_000):
        (self.activation, self.depth, self.architecture,
         self.widths) = check_sign_architecture(activation, depth, architecture, widths)
        self.K = max_switches(self.architecture, self.widths)
        self.max_columns = int(max_columns)

    # ------------------------------------------------------------------ sizes
    def switch_budget(self, n: int) -> int:
        """``min(K, n − 1)``: switches available on ``n`` points."""
        return min(self.K, int(n) - 1)

    def dictionary_size(self, n: int) -> int:
        """``Σ_{k=1}^{min(K, n−1)} C(n−1, k)``."""
        return dictionary_size(n, self.K)

    # ------------------------------------------------------------------ shapes
    def shape(self, x, **switches):
        """``Π_l (+1 if x < t_l else −1)`` over the ``switch_*`` parameters (``(g + 1)/2`` for threshold)."""
        g = np.ones(np.broadcast_shapes(np.shape(x), *(np.shape(v) for v in switches.values())))
        for key, t in switches.items():
            if key.startswith("switch_"):
                g = g * np.where(x < t, 1.0, -1.0)
        off, on = activation(self.activation).levels
        return off + (on - off) * (g + 1.0) / 2.0

    def kinks(self, params):
        t = np.array([float(v) for k, v in params.items() if k.startswith("switch_")])
        return np.sort(t[np.isfinite(t)])

    def raw_dictionary(self, data):
        """All patterns with ``1..min(K, N−1)`` switches (see :func:`switching_gaps`)."""
        data = data if isinstance(data, Dataset) else as_dataset(*data)
        x = data.x_sorted
        gaps = switching_gaps(x.size, self.K, max_columns=self.max_columns)
        params = gaps_to_switch_params(gaps, x)
        labels = [self._label(x, row) for row in gaps]
        return params, labels

    def _label(self, x, gap_row) -> str:
        locs = [x[g + 1] for g in gap_row if g < x.size - 1]
        return f"{self.activation}: switches at " + ", ".join(f"{v:g}" for v in locs)

    def candidate_params(self, data, resolution=2000):
        """Patterns of ``10 · resolution`` random units of this architecture, plus the dictionary.

        The random units are torch networks with random weights
        (:meth:`DeepSignNet.random_init`, first-layer thresholds spread over the
        data range and a bit beyond), evaluated on the data; nothing about
        switch counts is assumed, so a unit with more than ``K`` switches would
        show up here with as many ``switch_*`` parameters as it needs.
        """
        data = data if isinstance(data, Dataset) else as_dataset(*data)
        x = data.x_sorted
        sampled = sample_unit_patterns(self, x, n_units=10 * int(resolution), seed=0)
        gaps_s = pattern_gaps(sampled)
        gaps_d = switching_gaps(x.size, self.K, max_columns=self.max_columns)
        width = max([self.switch_budget(x.size)] + [g.size for g in gaps_s])
        rows = np.full((len(gaps_s) + gaps_d.shape[0], width), x.size - 1, dtype=np.int64)
        for r, g in enumerate(gaps_s):
            rows[r, :g.size] = g
        rows[len(gaps_s):, :gaps_d.shape[1]] = gaps_d
        return gaps_to_switch_params(rows, x, width)

    # ------------------------------------------------------------------ networks
    def network(self, width, n_models=1):
        return DeepSignNet(self.activation, self.depth, self.architecture, self.widths,
                           width=width, n_models=n_models)

    def reconstruct(self, params, coefficients, xi):
        r"""One unit per coefficient ``z_k`` realizing column ``k`` (:func:`unit_weights`).

        ``α = sign(z)√|z|``, ``s = √|z|``: the unit adds ``z g(x)`` at cost
        ``(β/2)(α² + s²) = β|z|``, so the network objective is the Lasso objective.
        """
        z = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        keys = sorted((k for k in params if k.startswith("switch_")), key=lambda k: int(k[7:]))
        locs = (np.stack([np.asarray(params[k], dtype=np.float64).reshape(-1) for k in keys], axis=1)
                if keys else np.zeros((z.size, 0)))
        if z.size == 0:  # the constant network: one unit with zero output weight
            z, locs = np.zeros(1), np.full((1, 1), np.inf)
        net = self.network(width=z.size)
        units = [unit_weights(row[np.isfinite(row)], self.architecture, self.widths, self.activation)
                 for row in locs]
        net.load_units(units)
        root = np.sqrt(np.abs(z))
        with torch.no_grad():
            net.alpha.copy_(torch.as_tensor(np.sign(z) * root)[None])
            net.amplitude.copy_(torch.as_tensor(root)[None])
            net.xi.fill_(float(xi))
        return net

    @property
    def penalty_formula(self):
        return r"\frac{\beta}{2}\sum_k (\alpha_k^2 + s_k^2)"

    def __repr__(self):
        return (f"DeepSign({self.activation!r}, depth={self.depth}, architecture={self.architecture!r}, "
                f"widths={self.widths})")

    def oracle(self, data):
        """The exact dual oracle (:class:`SwitchingOracle`)."""
        return SwitchingOracle(self, data)


def exact_certificate(fit, *, tol: float = 1e-5) -> Certificate:
    """Exact dual check for a :class:`~lassobook.solvers.lasso.LassoFit` of a sign/threshold family.

    On the data a unit's output is one of finitely many patterns; for a
    :class:`DeepSign` family (or the two-layer sign/threshold family, ``K = 1``)
    these are the patterns with at most ``K`` switches, and the family's oracle
    maximizes ``|λᵀg|`` over all of them exactly.  This is the one certificate of
    the package (:func:`lassobook.core.certificate.certify`) with the exact
    maximum, named for the chapter; the gap and rebuilt-network checks come with it.
    """
    if fit.family.activation not in SIGN_ACTIVATIONS:
        raise ValueError(f"the exact certificate is for sign/threshold families, not {fit.family.activation!r}")
    return certify(fit, tol=tol, sampled=False)
