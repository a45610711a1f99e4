r"""Switching patterns of sign and threshold units: counts, enumeration, and the exact DP.

On ``n`` sorted points a deep sign/threshold unit outputs a pattern with at most
``K`` switches.  This module holds

* the architecture words (:func:`check_sign_architecture`, :func:`max_switches`);
* the switching dictionary: ``Σ_{k=1}^{K} C(n − 1, k)`` patterns up to sign
  (:func:`dictionary_size`), generated from combinations of gaps
  (:func:`switching_gaps`, :func:`patterns_from_gaps`);
* an independent check of the ``≤ K`` switches theorem: the patterns a unit
  realizes, enumerated from first principles through linear threshold functions
  (:func:`enumerate_unit_patterns`, :func:`threshold_functions`);
* the switching dynamic program (numba): ``max |λᵀg|`` over all patterns
  (:func:`max_switching_correlation`, :func:`max_switching_value`), the best
  pattern through each boundary (:func:`switch_profile`, :func:`trace_through`),
  which the oracle of :mod:`lassobook.families.sign` turns into working-set
  candidates.

Patterns are int8 arrays on the activation's levels (``±1`` sign, ``0/1`` threshold).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from lassobook.core.activations import activation as activation_record
from lassobook.core.compiled import njit_cached

#: Wirings of a sign unit.
ARCHITECTURES = ("rectangular", "tree")


#: Activations of this module.
SIGN_ACTIVATIONS = ("sign", "threshold")


#: Number of linear threshold functions of m Boolean inputs (OEIS A000609).
KNOWN_THRESHOLD_COUNTS = {0: 2, 1: 4, 2: 14, 3: 104, 4: 1882}


#: Integer weight range that reaches all of them (checked against the counts).
_LTF_WEIGHT_RANGE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3}


# ============================================================================ checks
def check_sign_architecture(activation, depth, architecture, widths) -> tuple[str, int, str, tuple[int, ...]]:
    """Validate the words describing a deep sign/threshold family; return them normalized.

    ``architecture=None`` means ``"rectangular"``; ``widths=None`` means all ones
    (``L − 2`` hidden layers of width 1).

    Raises
    ------
    ValueError
        Unknown activation or architecture, depth not an integer ≥ 3, widths
        not ``depth − 2`` positive integers.
    """
    if activation not in SIGN_ACTIVATIONS:
        raise ValueError(f"deep switching families are for {' and '.join(SIGN_ACTIVATIONS)} "
                         f"activations, got {activation!r}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 3:
        raise ValueError(f"depth must be an integer >= 3 for a deep sign network, got {depth!r}")
    depth = int(depth)
    if architecture is None:
        architecture = "rectangular"
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture {architecture!r} is not supported for {activation} networks; "
                         f"choose one of {', '.join(map(repr, ARCHITECTURES))}")
    if widths is None:
        widths = (1,) * (depth - 2)
    if isinstance(widths, (int, np.integer)) and not isinstance(widths, bool):
        widths = (widths,)
    try:
        widths = tuple(widths)
    except TypeError:
        raise ValueError(f"widths must be a tuple of depth - 2 = {depth - 2} positive integers, "
                         f"got {widths!r}") from None
    if len(widths) != depth - 2:
        raise ValueError(f"a depth-{depth} network has {depth - 2} hidden layer(s) before the unit "
                         f"neuron, so widths needs {depth - 2} entries (m_1, ..., m_{{L-2}}), "
                         f"got {len(widths)}: {widths!r}")
    bad = [w for w in widths
           if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or int(w) < 1]
    if bad:
        raise ValueError(f"widths must be positive integers (each hidden layer has at least one "
                         f"neuron), got {widths!r}")
    return activation, depth, architecture, tuple(int(w) for w in widths)


def max_switches(architecture: str, widths) -> int:
    """Switches a unit can realize: ``m_1`` (rectangular) or ``m_1 m_2 ⋯ m_{L−2}`` (tree)."""
    widths = tuple(int(w) for w in widths)
    if architecture == "rectangular":
        return widths[0]
    if architecture == "tree":
        return math.prod(widths)
    raise ValueError(f"unknown architecture {architecture!r}; choose one of {ARCHITECTURES}")


# ============================================================================ patterns
def dictionary_size(n: int, K: int) -> int:
    """``Σ_{k=1}^{min(K, n−1)} C(n−1, k)``: patterns on ``n`` points with 1..K switches, up to sign."""
    n, K = int(n), int(K)
    return sum(math.comb(n - 1, k) for k in range(1, min(K, n - 1) + 1))


def switching_gaps(n: int, K: int, *, max_columns: int = 2_000_000) -> np.ndarray:
    """Switch positions of every pattern with ``1 ≤ k ≤ min(K, n − 1)`` switches.

    Generated directly from the combinations of gaps (never from the ``2^n``
    patterns).  Gap ``i`` (``0 ≤ i ≤ n − 2``) lies between sorted points ``i`` and
    ``i + 1``.

    Returns
    -------
    ndarray of int, shape (p, min(K, n − 1))
        Row ``r`` lists the gaps of pattern ``r`` in increasing order, padded
        with ``n − 1`` (no switch).  Patterns come by number of switches, then
        lexicographically.
    """
    n, K = int(n), int(K)
    kmax = min(K, n - 1)
    p = dictionary_size(n, K)
    if p > max_columns:
        raise ValueError(f"the switching dictionary would have {p} columns (n = {n}, K = {K}), more "
                         f"than max_columns = {max_columns}; use a closed form or a smaller K")
    out = np.full((p, kmax), n - 1, dtype=np.int64)
    row = 0
    for k in range(1, kmax + 1):
        c = math.comb(n - 1, k)
        flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n - 1), k)),
                           dtype=np.int64, count=c * k)
        out[row:row + c, :k] = flat.reshape(c, k)
        row += c
    return out


def patterns_from_gaps(gaps: np.ndarray, n: int) -> np.ndarray:
    """±1 patterns (shape (p, n), starting at +1) with switches after the given gaps (padding ``n − 1``)."""
    gaps = np.atleast_2d(np.asarray(gaps, dtype=np.int64))
    flips = np.zeros((gaps.shape[0], n + 1), dtype=np.int64)
    rows = np.repeat(np.arange(gaps.shape[0]), gaps.shape[1])
    np.add.at(flips, (rows, gaps.ravel() + 1), 1)
    parity = np.cumsum(flips[:, :n], axis=1) % 2
    return (1 - 2 * parity).astype(np.int8)


def switching_patterns(n: int, K: int, activation: str = "sign", *, both_signs: bool = False,
                       constants: bool = False) -> np.ndarray:
    """All patterns on ``n`` sorted points with at most ``K`` switches.

    Parameters
    ----------
    n, K : int
    activation : {"sign", "threshold"}
        ±1 patterns or their 0/1 versions ``(g + 1)/2``.
    both_signs : bool
        Include ``−g`` (for threshold: ``1 − h``) next to each ``g``.
    constants : bool
        Include the constant pattern(s) (0 switches).

    Returns
    -------
    ndarray of int8, shape (p, n)
    """
    g = patterns_from_gaps(switching_gaps(n, K), n) if min(K, n - 1) >= 1 else np.zeros((0, n), np.int8)
    if constants:
        g = np.concatenate([np.ones((1, n), np.int8), g])
    if both_signs:
        g = np.concatenate([g, -g])
    return _to_activation(g, activation)


def _to_activation(g: np.ndarray, activation: str) -> np.ndarray:
    off, on = _int_levels(activation)
    return (off + (on - off) * ((g.astype(np.int64) + 1) // 2)).astype(np.int8)


def _int_levels(activation: str) -> tuple[int, int]:
    """The (off, on) levels of a step activation as integers (patterns are stored as int8)."""
    off, on = activation_record(activation).levels
    return int(off), int(on)


def count_switches(patterns) -> np.ndarray:
    """Number of value changes along the last axis (the sorted data)."""
    p = np.asarray(patterns)
    return (np.diff(p, axis=-1) != 0).sum(axis=-1)


def normalize_patterns(patterns, activation: str = "sign") -> np.ndarray:
    """Flip each pattern (``g → −g``, or ``h → 1 − h``) so that it starts at its 'on' value (+1 / 1)."""
    p = np.asarray(patterns)
    off, on = _int_levels(activation)
    return np.where(p[..., :1] == on, p, on + off - p).astype(np.int8)


def gaps_to_switch_params(gaps: np.ndarray, x_sorted: np.ndarray, n_params: int | None = None) -> dict:
    """``switch_l`` arrays (location ``x_{i+1}`` for gap ``i``, ``+inf`` for padding) from gap rows."""
    gaps = np.atleast_2d(np.asarray(gaps, dtype=np.int64))
    n = x_sorted.size
    k = gaps.shape[1] if n_params is None else int(n_params)
    ext = np.append(np.asarray(x_sorted, dtype=np.float64), np.inf)  # gap n−1 = padding → +inf
    padded = np.full((gaps.shape[0], k), n - 1, dtype=np.int64)
    padded[:, :gaps.shape[1]] = gaps[:, :k]
    loc = ext[np.minimum(padded + 1, n)]
    loc[padded >= n - 1] = np.inf
    return {f"switch_{l}": loc[:, l].copy() for l in range(k)}


def pattern_gaps(patterns) -> list[np.ndarray]:
    """Gap indices of the switches of each pattern (rows of shape (n,))."""
    p = np.atleast_2d(np.asarray(patterns))
    changes = np.diff(p, axis=1) != 0
    return [np.flatnonzero(row) for row in changes]


# ============================================================================ enumeration
@lru_cache(maxsize=None)
def threshold_functions(m: int, activation: str = "sign") -> np.ndarray:
    """Truth tables of all linear threshold functions ``σ(w·u + b)`` of ``m`` inputs ``u``.

    Inputs ``u`` range over ``{−1, +1}^m`` (sign) or ``{0, 1}^m`` (threshold);
    input ``r`` (``0 ≤ r < 2^m``) has ``u_j`` 'on' iff bit ``j`` of ``r`` is set.
    Found by enumerating small integer weights and all half-integer biases in
    range, and checked against the known counts 2, 4, 14, 104, 1882 (m = 0..4).

    Returns
    -------
    ndarray of int8, shape (count, 2^m), values in the activation's range
    """
    if m not in KNOWN_THRESHOLD_COUNTS:
        raise ValueError(f"threshold functions are enumerated for m <= 4 inputs, got m = {m}")
    off, on = _int_levels(activation)
    bits = (np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1
    inputs = np.where(bits == 1, on, off)                              # (2^m, m)
    W = _LTF_WEIGHT_RANGE[m]
    weights = list(itertools.product(range(-W, W + 1), repeat=m))
    ws = np.array(weights, dtype=np.float64).reshape(len(weights), m)
    B = m * W + 1
    bs = np.arange(-2 * B, 2 * B + 1) / 2.0
    pre = (ws @ inputs.T)[:, None, :] + bs[None, :, None]
    tables = np.unique((pre >= 0).reshape(-1, 2**m), axis=0).astype(np.int8)
    if tables.shape[0] != KNOWN_THRESHOLD_COUNTS[m]:  # pragma: no cover - would be a bug
        raise RuntimeError(f"found {tables.shape[0]} threshold functions of {m} inputs, "
                           f"expected {KNOWN_THRESHOLD_COUNTS[m]}")
    return (off + (on - off) * tables).astype(np.int8)


def first_layer_patterns(n: int, activation: str = "sign") -> np.ndarray:
    """All patterns ``σ(w x + b)`` of one neuron on ``n`` sorted points (unique rows, int8).

    The output on the data depends only on the orientation of ``w`` and on which
    cell of the data (below all, between two points, at a point, above all)
    holds ``−b/w``; ``w = 0`` gives the constants.
    """
    x = np.arange(n, dtype=np.float64)
    cuts = np.concatenate([[-1.0], x, x[:-1] + 0.5, [n]])
    pats = [np.where(o * (x - c) >= 0, 1, -1) for o in (1.0, -1.0) for c in cuts]
    pats += [np.ones(n, int), -np.ones(n, int)]
    g = np.unique(np.array(pats, dtype=np.int8), axis=0)
    return _to_activation(g, activation)


def _apply_all(tables: np.ndarray, children: np.ndarray, activation: str) -> np.ndarray:
    """Every threshold function applied to every tuple of children.

    children : (C, m, n) patterns (n <= 62); returns the unique resulting rows (sorted by bit code).
    """
    C, m, n = children.shape
    on = children == 1
    idx = (on.astype(np.int64) << np.arange(m)[None, :, None]).sum(axis=1)  # (C, n)
    out_on = (tables == 1)[:, idx]                                          # (F, C, n)
    codes = np.unique(out_on.reshape(-1, n).astype(np.int64) @ (1 << np.arange(n, dtype=np.int64)))
    return _decode(codes, n, activation)


def _decode(codes: np.ndarray, n: int, activation: str) -> np.ndarray:
    """Patterns (rows, int8) from their bit codes (bit ``i`` set = point ``i`` is 'on')."""
    on = (codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1
    off, hi = _int_levels(activation)
    return (off + (hi - off) * on).astype(np.int8)


def _closure(patterns: np.ndarray, m: int, activation: str, chunk: int = 20000) -> np.ndarray:
    """Patterns of one neuron whose ``m`` inputs are any multiset of ``patterns``."""
    tables = threshold_functions(m, activation)
    combos = np.array(list(itertools.combinations_with_replacement(range(patterns.shape[0]), m)),
                      dtype=np.int64).reshape(-1, m)
    parts = [_apply_all(tables, patterns[combos[s:s + chunk]], activation)
             for s in range(0, combos.shape[0], chunk)]
    return _unique_rows(np.concatenate(parts), activation)


def _unique_rows(patterns: np.ndarray, activation: str) -> np.ndarray:
    n = patterns.shape[1]
    codes = (patterns == 1).astype(np.int64) @ (1 << np.arange(n, dtype=np.int64))
    return _decode(np.unique(codes), n, activation)


def enumerate_unit_patterns(n: int, depth: int, widths, architecture: str = "rectangular",
                            activation: str = "sign") -> np.ndarray:
    """The set of patterns a unit realizes on ``n`` sorted points, from first principles.

    Independent of the switching dictionary: level-1 patterns come from
    :func:`first_layer_patterns`; a neuron with ``m`` inputs realizes every
    threshold function (:func:`threshold_functions`) of every choice of its
    inputs.  Tree: level ``l`` patterns are the closure of level ``l − 1``
    patterns (children are independent subtrees).  Rectangular: neurons of a
    layer share the previous layer, so the recursion runs over every tuple of
    the previous layer (exact, memoized).  Needs every width ≤ 4.

    Returns
    -------
    ndarray of int8, shape (p, n): unique rows, both signs and constants included.
    """
    activation, depth, architecture, widths = check_sign_architecture(activation, depth, architecture, widths)
    if not 2 <= int(n) <= 62:
        raise ValueError(f"enumeration needs 2 <= n <= 62 points (patterns are coded as 64-bit integers), got {n}")
    if max(widths) > 4:
        raise ValueError(f"enumeration needs widths <= 4 (threshold functions of at most 4 inputs), got {widths}")
    P1 = first_layer_patterns(int(n), activation)
    if architecture == "tree" or depth == 3:
        level = P1
        for m in widths:
            level = _closure(level, m, activation)
        return np.unique(level, axis=0)  # lexicographic rows

    memo: dict = {}

    def rect(layer: np.ndarray, rest: tuple[int, ...]) -> np.ndarray:
        key = (layer.tobytes(), layer.shape, rest)
        if key in memo:
            return memo[key]
        options = _apply_all(threshold_functions(layer.shape[0], activation), layer[None], activation)
        if len(rest) == 1:
            result = _closure(options, rest[0], activation)  # the unit neuron on any tuple of options
        else:
            combos = itertools.combinations_with_replacement(range(options.shape[0]), rest[0])
            result = _unique_rows(np.concatenate([rect(options[list(c)], rest[1:]) for c in combos]),
                                  activation)
        memo[key] = result
        return result

    # level 1 tuples: multisets of m_1 first-layer patterns; the rest of the unit is `rect`
    combos = itertools.combinations_with_replacement(range(P1.shape[0]), widths[0])
    out = [rect(P1[list(c)], widths[1:]) for c in combos]
    return np.unique(np.concatenate(out), axis=0)  # lexicographic rows


# ============================================================================ certificates
def max_switching_correlation(lam, K: int) -> tuple[float, np.ndarray]:
    """``max |λᵀg|`` over ±1 patterns ``g`` with at most ``K`` switches, exactly (dynamic programming).

    ``O(n K)`` time (:func:`forward_table`).  ``lam`` is indexed by *sorted* position.

    Returns
    -------
    value : float
    pattern : ndarray of int8, shape (n,)
        A maximizer (starting at +1 if ``K ≥ 0``; flip it for the other sign).
    """
    lam = np.ascontiguousarray(lam, dtype=np.float64).reshape(-1)
    n = lam.size
    K = max(0, min(int(K), n - 1))
    value, gaps = best_pattern_gaps(*forward_table(lam, K))
    return abs(value), patterns_from_gaps(gaps[None, :], n)[0]


# The switching DP.  A pattern s ∈ {±1}ⁿ on the sorted points has ``k`` switches if
# ``s_i ≠ s_{i−1}`` for exactly ``k`` indices ``i`` ("boundaries"; boundary ``b`` is
# gap ``b − 1``).  F[i, k, σ] is the largest ``Σ_{j≤i} s_j λ_j`` over prefixes with
# at most ``k`` switches and ``s_i = (+1, −1)[σ]``; B[i, k, σ] the same over suffixes
# ``j ≥ i``.  Both are monotone in ``k``.  The best pattern with a switch at
# boundary ``b`` joins a prefix ending at ``b − 1`` and a suffix starting at ``b``
# of opposite signs: ``max_{σ, k₁ + k₂ = K − 1} F[b−1, k₁, σ] + B[b, k₂, 1−σ]``.
# The set of patterns is closed under ``s → −s``, so every maximum is a maximum of
# ``|λᵀs|``.  Next to each table a pointer table: the boundary of the last switch
# of the best prefix (0: none), the first of the best suffix (n: none), so a
# maximizer is traced in ``O(K)`` jumps.  Memory ``O(N K)`` per table.
@njit_cached
def forward_table(lam, K):
    """F[i, k, σ] of the switching DP (see above), shape (n, K + 1, 2), and its pointers."""
    n = lam.size
    F = np.empty((n, K + 1, 2))
    P = np.zeros((n, K + 1, 2), np.int32)
    for k in range(K + 1):
        F[0, k, 0] = lam[0]
        F[0, k, 1] = -lam[0]
    for i in range(1, n):
        a = lam[i]
        for k in range(K + 1):
            for s in range(2):
                best, at = F[i - 1, k, s], P[i - 1, k, s]
                if k > 0 and F[i - 1, k - 1, 1 - s] > best:
                    best, at = F[i - 1, k - 1, 1 - s], i
                F[i, k, s] = best + a if s == 0 else best - a
                P[i, k, s] = at
    return F, P


@njit_cached
def backward_table(lam, K):
    """B[i, k, σ] of the switching DP (suffixes ``j ≥ i``), shape (n, K + 1, 2), and its pointers."""
    n = lam.size
    B = np.empty((n, K + 1, 2))
    P = np.full((n, K + 1, 2), n, np.int32)
    for k in range(K + 1):
        B[n - 1, k, 0] = lam[n - 1]
        B[n - 1, k, 1] = -lam[n - 1]
    for i in range(n - 2, -1, -1):
        a = lam[i]
        for k in range(K + 1):
            for s in range(2):
                best, at = B[i + 1, k, s], P[i + 1, k, s]
                if k > 0 and B[i + 1, k - 1, 1 - s] > best:
                    best, at = B[i + 1, k - 1, 1 - s], i + 1
                B[i, k, s] = best + a if s == 0 else best - a
                P[i, k, s] = at
    return B, P


@njit_cached
def max_switching_value(lam, K):
    """``max_s λᵀs`` over patterns with at most ``K`` switches (= ``max |λᵀs|``), ``O(K)`` memory."""
    n = lam.size
    cur = np.empty((K + 1, 2))
    for k in range(K + 1):
        cur[k, 0] = lam[0]
        cur[k, 1] = -lam[0]
    for i in range(1, n):
        a = lam[i]
        for k in range(K, -1, -1):          # downwards: cur[k − 1] is still row i − 1
            s0 = cur[k, 0]
            s1 = cur[k, 1]
            if k > 0:
                if cur[k - 1, 1] > s0:
                    s0 = cur[k - 1, 1]
                if cur[k - 1, 0] > s1:
                    s1 = cur[k - 1, 0]
            cur[k, 0] = s0 + a
            cur[k, 1] = s1 - a
    return max(cur[K, 0], cur[K, 1])


@njit_cached
def _trace_left(P, i, k, s, out):
    """Boundaries of the best prefix in state (i, k, s) into ``out`` (decreasing); their count."""
    m = 0
    while k > 0:
        b = P[i, k, s]
        if b == 0:
            break
        out[m] = b
        m += 1
        i, k, s = b - 1, k - 1, 1 - s
    return m


@njit_cached
def _trace_right(P, i, k, s, out):
    """Boundaries of the best suffix in state (i, k, s) into ``out`` (increasing); their count."""
    n = P.shape[0]
    m = 0
    while k > 0:
        b = P[i, k, s]
        if b == n:
            break
        out[m] = b
        m += 1
        i, k, s = b, k - 1, 1 - s
    return m


@njit_cached
def best_pattern_gaps(F, P):
    """``(max_s λᵀs, gaps of a maximizer padded with n − 1)`` from the forward table."""
    n, K = F.shape[0], F.shape[1] - 1
    s = 0 if F[n - 1, K, 0] >= F[n - 1, K, 1] else 1
    bounds = np.empty(K, np.int64)
    m = _trace_left(P, n - 1, K, s, bounds)
    gaps = np.full(K, n - 1, np.int64)
    for j in range(m):
        gaps[j] = bounds[m - 1 - j] - 1
    return F[n - 1, K, s], gaps


@njit_cached
def switch_profile(F, B):
    """``v[b − 1]``: the best ``λᵀs`` over patterns with a switch at boundary ``b`` (b = 1..n−1),
    and the state ``2 k₁ + σ`` of its prefix."""
    n, K = F.shape[0], F.shape[1] - 1
    v = np.full(n - 1, -np.inf)
    arg = np.zeros(n - 1, np.int64)
    for b in range(1, n):
        best, code = -np.inf, 0
        for k1 in range(K):
            for s in range(2):
                val = F[b - 1, k1, s] + B[b, K - 1 - k1, 1 - s]
                if val > best:
                    best, code = val, 2 * k1 + s
        v[b - 1] = best
        arg[b - 1] = code
    return v, arg


@njit_cached
def trace_through(PF, PB, boundaries, codes):
    """Gap rows (padded with n − 1) of the best pattern through each boundary, given its state."""
    n, K = PF.shape[0], PF.shape[1] - 1
    out = np.full((boundaries.size, K), n - 1, np.int64)
    left = np.empty(K, np.int64)
    right = np.empty(K, np.int64)
    for r in range(boundaries.size):
        b, k1, s = boundaries[r], codes[r] // 2, codes[r] % 2
        m = _trace_left(PF, b - 1, k1, s, left)
        for j in range(m):
            out[r, j] = left[m - 1 - j] - 1
        out[r, m] = b - 1
        q = _trace_right(PB, b, K - 1 - k1, 1 - s, right)
        for j in range(q):
            out[r, m + 1 + j] = right[j] - 1
    return out
