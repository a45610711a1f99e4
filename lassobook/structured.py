r"""Certified global training at scale: a structured Lasso solver with no dense dictionary.

The dense route (:func:`lassobook.lasso.fit_dense`) builds the whole dictionary
``A``: ``2N`` columns for a two-layer ReLU net, ``O(N²)`` for the three-layer
absolute value, ``(2N)^{L−1}`` raw columns for an ``L``-layer deep narrow chain.
Every column of these families is a piecewise-linear *ramp shape* with kinks at
data points, midpoints or reflections, so for a dual vector (residual) ``λ`` on
the sorted data the correlation ``A_kᵀλ`` is a few look-ups in prefix sums of
``λ`` and ``λ·x``:

.. math::

    F(t) = \sum_n \lambda_n (x_n - t)_+ = \sum_{x_n > t} \lambda_n x_n - t \sum_{x_n > t}\lambda_n ,
    \qquad
    L(t) = \sum_n \lambda_n (t - x_n)_+ ,

``O(N)`` work once, then ``O(1)`` per column at a data point (``O(log N)`` at a
point that is not one: a reflection or a midpoint).  A column ``(x − a)_+`` has
correlation ``F(a)``, a capped ramp ``ramp(p, q, x) = (x − p)_+ − (x − q)_+`` has
``F(p) − F(q)``, the three-layer shape ``||x − a| − c|`` has
``L(a − c) + F(a − c) − 2F(a) + 2F(a + c)``, a ±1 switching pattern a signed sum of
segment sums.  A :class:`StructuredOracle` evaluates these for the *whole*
dictionary (never storing it) and returns its maximum and the most violated
columns.

:func:`fit_structured` is a working-set (column generation) solver:

1. start from the columns most correlated with the centred labels — or, for a
   small problem (:data:`SMALL_PROBLEM`), from the whole dictionary of data-point
   columns (``N(N − 1)/2`` ramps for a deep narrow chain, not its ``(2N)^{L−1}``
   raw columns), which then takes one restricted solve;
2. solve the Lasso restricted to the working set ``W`` *exactly*: written with
   the Gram matrix of the centred columns, by a primal active-set method
   (:func:`solve_gram_lasso`; its answer solves a linear system on its support
   and is accepted only if it passes the optimality conditions to rounding,
   with Clarabel and a polishing step as the fallback);
3. ask the oracle for ``max_k |A_kᵀλ|`` over the **full** dictionary; stop when it
   is at most ``β(1 + tol)`` — the dual certificate of the full Lasso;
   otherwise add the most violated columns and repeat.

It returns a :class:`StructuredFit`, a :class:`~lassobook.lasso.LassoFit` whose
``dictionary`` is the final working set (real parameters and labels, so
``network()``, ``predict`` and ``neurons()`` work) and whose
:meth:`~StructuredFit.certificate` is computed by the oracle over the full
dictionary.

Where the oracle's maximum is also the maximum over the *continuous* unit family
(the certificate of the network problem of any width, not only of the Lasso):

* two-layer ReLU, leaky ReLU, absolute value — ``λᵀσ(±(x − a))`` is linear in
  ``a`` between data points and constant beyond them (``1ᵀλ = 0``);
* two-layer threshold and sign, deep sign (``K`` switches) — a unit's output on
  the data is one of finitely many patterns, all in the dictionary (the DP of
  :func:`lassobook.sign_networks.max_switching_correlation` is exact);
* deep narrow ReLU, ``L = 3`` and ``L = 4`` — every chain is ``±`` a capped ramp
  plus a constant and ``F`` is linear between data points, so
  ``max |F(p) − F(q)|`` over *all* ``p < q`` is ``max_n F(x_n) − min_n F(x_n)``:
  ``O(N)`` for the whole continuous family, reflections included;
* three-layer absolute value with all three feature kinds — the maximum over the
  ``(a, c)`` plane is attained at a vertex of the arrangement, i.e. at a
  two-layer, reflection or midpoint column (:mod:`lassobook.absolute_value`;
  verified numerically by the sampled certificate in the tests).  With a subset of
  the feature kinds the certificate is over that dictionary only.

No structured oracle exists here for the narrow chains of :mod:`lassobook.chains`
(four-layer absolute value, leaky-ReLU and mixed chains): their vertex columns
are not single ramps — a four-layer abs column has up to seven kinks, placed by
three data points at once — so they use the dense route;
:func:`structured_oracle` says so.

See Also
--------
lassobook.lasso.fit_dense : the dense reference (cvxpy + Clarabel on the full dictionary).
lassobook.certificate.certify : the sampled certificate over the continuous family.
lassobook.solvers.tv.tv_denoise : the exact ``O(N)`` route for two-layer threshold and sign.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from .certificate import Certificate
from .datasets import Dataset, as_dataset
from .dictionaries import Dictionary, evaluate_shapes
from .gram import PrefixGram, PWLForm
from .lasso import LassoFit, LassoSolution, SolverError, _sparsify, check_beta, lasso_objective
from .solvers.tv import _njit_cached  # numba.njit(cache=True), uncached with a warning if no cache dir is writable

__all__ = [
    "ResidualSums", "StructuredOracle", "TwoLayerOracle", "AbsThreeLayerOracle",
    "DeepNarrowOracle", "SwitchingOracle", "structured_oracle", "StructuredFit",
    "fit_structured", "dense_fit", "solve_gram_lasso", "train_adam_until", "AdamTrace",
    "SUPPORTED",
]

#: ``fit_structured(initial=None)`` puts the whole dictionary into the first working set when
#: forming its Gram matrix costs at most this many multiply-adds (``N·columns²``; e.g. two-layer
#: ReLU to N = 125, L = 4 chains to N = 32): one exact restricted solve, then the certificate.
#: Measured: faster than column generation up to about there, slower beyond.
SMALL_PROBLEM = 8_000_000

#: What :func:`structured_oracle` supports, as text (also used in its error message).
SUPPORTED = ("two-layer relu, leaky_relu, abs, threshold, sign; three-layer abs (parallel); "
             "deep narrow relu of depth 3 and 4 (parallel); sign and threshold of depth >= 3 "
             "(rectangular or tree, K switches)")


# ============================================================================ prefix sums
class ResidualSums:
    r"""Prefix and suffix sums of a dual vector ``λ`` on the sorted data (``O(N)`` once).

    The inputs are shifted by ``center`` (the middle of the data range) so that
    the sums of ``λ·x`` do not lose digits to a large offset; every formula below
    is shift-invariant.

    Parameters
    ----------
    x_sorted : ndarray of shape (n,), increasing
    lam_sorted : ndarray of shape (n,)
        The dual vector indexed by sorted position.
    """

    def __init__(self, x_sorted: np.ndarray, lam_sorted: np.ndarray, center: float | None = None):
        x = np.asarray(x_sorted, dtype=np.float64)
        lam = np.asarray(lam_sorted, dtype=np.float64)
        self.center = float(0.5 * (x[0] + x[-1])) if center is None else float(center)
        self.x = x - self.center
        self.lam = lam
        zero = np.zeros(1)
        lx = lam * self.x
        # prefix: P[m] = Σ_{n<m};  suffix: Q[m] = Σ_{n≥m}
        self.RP = np.concatenate([zero, np.cumsum(lam)])
        self.SP = np.concatenate([zero, np.cumsum(lx)])
        self.RQ = np.concatenate([np.cumsum(lam[::-1])[::-1], zero])
        self.SQ = np.concatenate([np.cumsum(lx[::-1])[::-1], zero])
        self.total = float(self.RQ[0])          # 1ᵀλ
        self.total_x = float(self.SQ[0])        # Σ λ_n x_n (shifted)

    def shift(self, t) -> np.ndarray:
        """Input-space points ``t`` in the shifted coordinates used by :meth:`F` and :meth:`L`."""
        return np.asarray(t, dtype=np.float64) - self.center

    # ---- ReLUs at arbitrary (shifted) points
    def F(self, t) -> np.ndarray:
        """``Σ_n λ_n (x_n − t)_+`` at shifted points ``t`` (any shape)."""
        t = np.asarray(t, dtype=np.float64)
        m = np.searchsorted(self.x, t, side="right")
        return self.SQ[m] - t * self.RQ[m]

    def L(self, t) -> np.ndarray:
        """``Σ_n λ_n (t − x_n)_+`` at shifted points ``t``."""
        t = np.asarray(t, dtype=np.float64)
        m = np.searchsorted(self.x, t, side="left")
        return t * self.RP[m] - self.SP[m]

    # ---- ReLUs at data points (no search): O(1) each
    def F_at(self, j) -> np.ndarray:
        """``F(x_j)`` for sorted indices ``j``."""
        j = np.asarray(j)
        return self.SQ[j + 1] - self.x[j] * self.RQ[j + 1]

    def F_all(self) -> np.ndarray:
        """``F(x_j)`` at every sorted point (contiguous slices: no gather)."""
        n = self.x.size
        return self.SQ[1:n + 1] - self.x * self.RQ[1:n + 1]

    def L_at(self, j) -> np.ndarray:
        """``L(x_j)`` for sorted indices ``j``."""
        j = np.asarray(j)
        return self.x[j] * self.RP[j] - self.SP[j]

    def segment(self, start, stop) -> np.ndarray:
        """``Σ_{start ≤ n < stop} λ_n`` (index arrays)."""
        return self.RP[np.asarray(stop)] - self.RP[np.asarray(start)]


# ============================================================================ oracles
class StructuredOracle(ABC):
    """The whole dictionary of a family on a dataset, evaluated through prefix sums.

    Columns are named by integer *keys*: an array of shape ``(k, key_width)``
    whose meaning is oracle-specific (for example ``(orientation, j)``).

    Attributes
    ----------
    family : Family
    data : Dataset
    n_columns : int
        Number of columns of the full dictionary the oracle maximizes over.
    continuous : bool
        True if the maximum over the dictionary is also the maximum over the
        continuous unit family (see the module docstring).
    """

    key_width: int = 1
    continuous: bool = True
    #: True if :meth:`maximum` is much cheaper than :meth:`search` (else the fit asks ``search`` once).
    fast_maximum: bool = False

    def __init__(self, family, data: Dataset):
        self.family = family
        self.data = data
        self.xs = data.x_sorted

    @property
    @abstractmethod
    def n_columns(self) -> int:
        """Size of the full dictionary (a Python int; may be huge)."""

    @abstractmethod
    def correlations(self, sums: ResidualSums, keys: np.ndarray) -> np.ndarray:
        """``A_kᵀλ`` for the columns ``keys`` (shape (k, key_width)): shape (k,)."""

    @abstractmethod
    def search(self, sums: ResidualSums, k: int) -> tuple[float, np.ndarray, np.ndarray]:
        """``(max_k |A_kᵀλ| over the full dictionary, keys of up to k candidate columns, their A_kᵀλ)``.

        The first key attains the maximum; the others are large violations
        (for the working set), in decreasing ``|A_kᵀλ|``.
        """

    @abstractmethod
    def params(self, keys: np.ndarray) -> dict[str, np.ndarray]:
        """The family's shape parameters of the columns ``keys``."""

    @abstractmethod
    def labels(self, keys: np.ndarray) -> list[str]:
        """Readable labels (the dense dictionary's format where there is one)."""

    @abstractmethod
    def all_keys(self) -> np.ndarray:
        """Every column's key (small problems only: tests)."""

    def maximum(self, sums: ResidualSums) -> float:
        """``max_k |A_kᵀλ|`` over the full dictionary (the value of :meth:`search`, without candidates)."""
        return self.search(sums, 1)[0]

    def sums(self, lam_sorted) -> ResidualSums:
        """The prefix sums of ``λ`` (sorted order) for this dataset."""
        return ResidualSums(self.xs, lam_sorted)

    def matrix(self, keys: np.ndarray, x=None) -> np.ndarray:
        """The columns ``keys`` evaluated at ``x`` (default: the sorted data), shape (n, k)."""
        x = self.xs if x is None else x
        return np.array(evaluate_shapes(self.family, x, self.params(keys)), dtype=np.float64, order="C")

    def certificate_scope(self) -> str:
        """What the certificate covers, in words."""
        return ("the continuous unit family (its maximum is attained at dictionary columns)"
                if self.continuous else "the full finite dictionary")

    def __repr__(self):
        return f"{type(self).__name__}({self.family}, n={self.data.n}, columns={self.n_columns})"


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``|values|``, in decreasing order."""
    a = np.abs(values)
    k = min(int(k), a.size)
    idx = np.argpartition(-a, k - 1)[:k] if k < a.size else np.arange(a.size)
    return idx[np.argsort(-a[idx], kind="stable")]


def _peaks(values: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of ``|values|`` along the array (plateaus: every point).

    Neighbouring columns (breakpoints at neighbouring data points) are nearly the
    same feature; adding one column per local maximum of the violation spreads a
    batch over the different places where the fit is wrong.
    """
    a = np.abs(values)
    left = np.concatenate([[-np.inf], a[:-1]])
    right = np.concatenate([a[1:], [-np.inf]])
    return np.flatnonzero((a >= left) & (a >= right))


class TwoLayerOracle(StructuredOracle):
    """Two-layer families: columns ``σ(o (x − x_j))``, keys ``(o_index, j)``.

    ``o_index`` indexes :attr:`TwoLayer.orientations` (``(1, −1)`` for ReLU and
    leaky ReLU, ``(1,)`` otherwise).  Correlations, with ``F, L`` of :class:`ResidualSums`:
    ReLU ``F(x_j)``, ``L(x_j)``; leaky ReLU ``ρ·(±(Σλx − x_j Σλ)) + (1 − ρ)·(ReLU)``;
    abs ``F + L``; threshold ``Σ_{n≥j} λ_n``; sign ``2Σ_{n≥j} λ_n − Σλ``.
    """

    key_width = 2

    def __init__(self, family, data):
        super().__init__(family, data)
        self.orients = np.array(family.orientations, dtype=np.float64)

    @property
    def n_columns(self):
        return int(self.orients.size * self.data.n)

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        o, j = self.orients[keys[:, 0]], keys[:, 1]
        act = self.family.activation
        if act in ("threshold", "sign"):
            tail = sums.RQ[j]                          # Σ_{n ≥ j} λ_n
            return tail if act == "threshold" else 2 * tail - sums.total
        right, left = sums.F_at(j), sums.L_at(j)
        if act == "abs":
            return right + left
        relu = np.where(o > 0, right, left)
        if act == "relu":
            return relu
        rho = self.family.rho                           # leaky: ρ t + (1 − ρ) t_+
        linear = o * (sums.total_x - sums.x[j] * sums.total)
        return rho * linear + (1 - rho) * relu

    def all_keys(self):
        n = self.data.n
        return np.stack([np.repeat(np.arange(self.orients.size), n),
                         np.tile(np.arange(n), self.orients.size)], axis=1)

    fast_maximum = True

    def _every(self, sums) -> np.ndarray:
        """All ``2N`` (or ``N``) correlations in key order, from contiguous slices (no gathers);
        kept for the last ``sums`` (``maximum`` and ``search`` ask for the same vector)."""
        cached = getattr(self, "_every_cache", None)
        if cached is not None and cached[0] is sums:
            return cached[1]
        n, act = self.data.n, self.family.activation
        if act in ("threshold", "sign"):
            tail = sums.RQ[:n]
            out = tail if act == "threshold" else 2 * tail - sums.total
        else:
            right = sums.SQ[1:n + 1] - sums.x * sums.RQ[1:n + 1]
            left = sums.x * sums.RP[:n] - sums.SP[:n]
            if act == "abs":
                out = right + left
            else:
                parts = [right if o > 0 else left for o in self.orients]
                if act == "leaky_relu":
                    rho = self.family.rho
                    linear = sums.total_x - sums.x * sums.total
                    parts = [rho * o * linear + (1 - rho) * p for o, p in zip(self.orients, parts)]
                out = np.concatenate(parts)
        self._every_cache = (sums, out)
        return out

    def maximum(self, sums):
        return float(np.abs(self._every(sums)).max())

    @property
    def _all(self):
        if getattr(self, "_all_keys", None) is None:
            self._all_keys = self.all_keys()
        return self._all_keys

    def search(self, sums, k):
        """All ``2N`` (or ``N``) correlations; candidates: the top ``k`` local maxima along ``j``."""
        keys = self._all
        corr = self._every(sums)
        n = self.data.n
        peaks = np.concatenate([o * n + _peaks(corr[o * n:(o + 1) * n])
                                for o in range(self.orients.size)])
        idx = peaks[_top(corr[peaks], k)]
        return float(np.abs(corr).max()), keys[idx], corr[idx]

    def params(self, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        return {"breakpoint": self.xs[keys[:, 1]].copy(), "orientation": self.orients[keys[:, 0]].copy()}

    def form(self, keys) -> PWLForm:
        """The columns as ``α + βx + c (x − a)_+ + d 1[x ≥ a]`` (:mod:`lassobook.gram`).

        ``(a − x)_+ = (x − a)_+ − (x − a)``; leaky ReLU ``ρu + (1 − ρ)u_+``; absolute value
        ``2(x − a)_+ − (x − a)``; threshold ``1[x ≥ a]``; sign ``2·1[x ≥ a] − 1``.
        """
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        o, a = self.orients[keys[:, 0]], self.xs[keys[:, 1]]
        k, act = a.size, self.family.activation
        zero, one = np.zeros(k), np.ones(k)
        if act in ("threshold", "sign"):
            alpha = zero if act == "threshold" else -one
            return PWLForm(alpha, zero, np.zeros((k, 0)), np.zeros((k, 0)), a[:, None],
                           (one if act == "threshold" else 2 * one)[:, None])
        if act == "abs":
            return PWLForm(a.copy(), -one, a[:, None], 2 * one[:, None], np.zeros((k, 0)), np.zeros((k, 0)))
        flip = o < 0                                     # relu(o(x − a)) for o = ±1
        alpha, beta, c = np.where(flip, a, 0.0), np.where(flip, -1.0, 0.0), one
        if act == "leaky_relu":
            rho = self.family.rho
            alpha, beta, c = (1 - rho) * alpha - rho * o * a, (1 - rho) * beta + rho * o, (1 - rho) * c
        return PWLForm(alpha, beta, a[:, None], c[:, None], np.zeros((k, 0)), np.zeros((k, 0)))

    def labels(self, keys):
        from .families import _two_layer_label

        p = self.params(keys)
        return [_two_layer_label(self.family.activation, o, a)
                for o, a in zip(p["orientation"], p["breakpoint"])]


class AbsThreeLayerOracle(StructuredOracle):
    r"""Three-layer absolute value: ``g_{a,c} = ||x − a| − c|``, keys ``(kind, i, j)``.

    * kind 0, ``(0, j, j)``: ``|x − x_j|``;
    * kind 1, ``(1, i, j)``, ``i ≠ j``: reflection, ``a = x_i``, ``c = |x_j − x_i|``
      (kinks ``x_j``, ``x_i`` and the mirror ``2x_i − x_j``);
    * kind 2, ``(2, i, j)``, ``i < j``: midpoint, ``a = (x_i + x_j)/2``, ``c = (x_j − x_i)/2``.

    On the data ``g = (a − c − x)_+ + (x − a − c)_+ + (c − |x − a|)_+`` and the tent is
    ``(x − a + c)_+ − 2(x − a)_+ + (x − a − c)_+``, so
    ``λᵀg = L(a − c) + F(a − c) − 2F(a) + 2F(a + c)``: ``O(1)`` per column at
    data points, one binary search for the mirror or the midpoint.  The search
    runs over blocks of rows ``i`` (``O(N·block)`` memory, ``O(N² log N)`` time).
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

    def search(self, sums, k):
        n = self.data.n
        k = max(1, int(k))
        best_keys, best_vals = [], []
        if 0 in self.kinds:
            j = np.arange(n)
            c = self._corr(sums, 0, j, j)
            idx = _top(c, k)
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
                idx = _top(c, k)
                best_keys.append(np.stack([np.full(idx.size, kind, np.int64), i[idx], j[idx]], axis=1))
                best_vals.append(c[idx])
        keys = np.concatenate(best_keys)
        vals = np.concatenate(best_vals)
        idx = _top(vals, k)
        return float(np.abs(vals[idx[0]])), keys[idx], vals[idx]

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
        """The columns on the sorted data, without the chain: bit for bit what the chain gives there.

        On the data the chain ``s = (−1, −1)``, ``a = (x_j, x_i)`` is
        ``max(max(x_j − x_i, 0) − max(x_j − x, 0), 0)`` (the third layer of ``L = 4``
        is the identity on it) and ``s = (+1, +1)`` is ``max(x − x_i, 0)``: the same
        floating-point operations as :func:`lassobook.deep_narrow.chain_shape`.
        Other inputs ``x`` go through the family's own shape.
        """
        if x is not None:
            return super().matrix(keys, x)
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        xs = self.xs
        X = xs[:, None]
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

    def maximum(self, sums):
        F = sums.F_all()
        return float(F.max() - F.min())

    def search(self, sums, k):
        n = self.data.n
        F = sums.F_all()
        if int(k) <= 1:         # the maximum only: the pair (argmax F, argmin F)
            a, b = int(np.argmax(F)), int(np.argmin(F))
            if a == b:
                a, b = 0, n - 1
            key = np.array([[min(a, b), max(a, b)]], dtype=np.int64)
            return float(F[a] - F[b]), key, F[key[:, 0]] - F[key[:, 1]]
        # best partner j > i of every i: suffix maximum and minimum of F
        suf_max = np.maximum.accumulate(F[::-1])[::-1]
        suf_min = np.minimum.accumulate(F[::-1])[::-1]
        arg_max = _suffix_arg(F, float.__gt__)
        arg_min = _suffix_arg(F, float.__lt__)
        i = np.arange(n - 1)
        down = F[i] - suf_min[i + 1]               # ramp(i, j) with F_j small: positive correlation
        up = suf_max[i + 1] - F[i]                 # negative correlation
        use_down = down >= up
        j = np.where(use_down, arg_min[i + 1], arg_max[i + 1])
        corr = F[i] - F[j]
        peaks = _peaks(corr)
        idx = peaks[_top(corr[peaks], k)]
        keys = np.stack([i[idx], j[idx]], axis=1)
        value = float(F.max() - F.min())
        return value, keys, corr[idx]

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


def _suffix_arg(F: np.ndarray, better) -> np.ndarray:
    """Index of the suffix maximum (``better = np.greater``) or minimum (``np.less``) of ``F``, per start index."""
    n = F.size
    out = np.empty(n, dtype=np.int64)
    best = n - 1
    Fl = F.tolist()   # an O(N) Python loop (10⁵ points: ~20 ms); numpy has no arg-accumulate
    for m in range(n - 1, -1, -1):
        if better(Fl[m], Fl[best]):
            best = m
        out[m] = best
    return out


class SwitchingOracle(StructuredOracle):
    r"""Sign and threshold networks of depth ``L ≥ 3``: ±1 patterns with ``≤ K`` switches.

    Keys are the gap indices of the switches (a switch after sorted point ``g``),
    padded with ``N − 1``, width ``min(K, N − 1)``.  ``λᵀg`` is an alternating sum
    of segment sums of ``λ`` (``O(K)`` per column); the search is the exact
    dynamic program :func:`lassobook.sign_networks.max_switching_correlation`
    (``O(NK)``), run for ``K' = K, K − 1, …`` to offer up to ``k`` distinct
    violated patterns.  Threshold patterns are ``(g + 1)/2``:
    ``λᵀh = (λᵀg + 1ᵀλ)/2``.
    """

    def __init__(self, family, data):
        super().__init__(family, data)
        self.K = family.switch_budget(data.n)
        self.key_width = self.K

    @property
    def n_columns(self):
        from .sign_networks import dictionary_size

        return int(dictionary_size(self.data.n, self.K))

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        n = self.data.n
        bounds = np.concatenate([np.zeros((keys.shape[0], 1), np.int64), keys + 1,
                                 np.full((keys.shape[0], 1), n, np.int64)], axis=1)
        bounds = np.minimum(bounds, n)
        seg = sums.RP[bounds[:, 1:]] - sums.RP[bounds[:, :-1]]
        signs = (-1.0) ** np.arange(seg.shape[1])
        g = seg @ signs
        return g if self.family.activation == "sign" else 0.5 * (g + sums.total)

    def all_keys(self):
        from .sign_networks import switching_gaps

        return switching_gaps(self.data.n, self.K)

    def search(self, sums, k):
        from .sign_networks import max_switching_correlation, pattern_gaps

        lam = sums.lam - sums.lam.mean()
        keys, seen = [], set()
        value = None
        for K in range(self.K, 0, -1):
            v, pattern = max_switching_correlation(lam, K)
            if value is None:
                value = v / 2 if self.family.activation == "threshold" else v
            gaps = pattern_gaps(pattern)[0]
            if gaps.size == 0:
                break
            row = np.full(self.K, self.data.n - 1, dtype=np.int64)
            row[:gaps.size] = gaps
            if tuple(row) not in seen:
                seen.add(tuple(row))
                keys.append(row)
            if len(keys) >= k:
                break
        if not keys:   # λ is constant: no column correlates
            row = np.full(self.K, self.data.n - 1, dtype=np.int64)
            row[0] = 0
            keys.append(row)
        keys = np.array(keys)
        return float(value or 0.0), keys, self.correlations(sums, keys)

    def params(self, keys):
        from .sign_networks import gaps_to_switch_params

        return gaps_to_switch_params(np.atleast_2d(keys), self.xs, self.K)

    def labels(self, keys):
        return [self.family._label(self.xs, row) for row in np.atleast_2d(keys)]


def structured_oracle(family, data) -> StructuredOracle:
    """The structured oracle of ``family`` on ``data``.

    Raises
    ------
    ValueError
        If no structured oracle exists for the family (the message lists the
        supported families).
    """
    from .families import Family, TwoLayer

    data = data if isinstance(data, Dataset) else as_dataset(*data)
    if not isinstance(family, Family):
        raise ValueError(f"family must be a lassobook Family (see lassobook.get_family), got {family!r}")
    if isinstance(family, TwoLayer):
        return TwoLayerOracle(family, data)
    name = type(family).__name__
    if name == "ThreeLayerAbs":
        return AbsThreeLayerOracle(family, data)
    if name == "DeepNarrowReLU" and family.depth in (3, 4):
        return DeepNarrowOracle(family, data)
    if name == "DeepSign":
        return SwitchingOracle(family, data)
    raise ValueError(f"no structured oracle for {family!r}; supported: {SUPPORTED}")


# ============================================================================ restricted solver
def _clarabel_gram_lasso(Gs, bs, w, tol):
    """Clarabel on ``½ zᵀGz − bᵀz + Σ w_k t_k`` subject to ``−t ≤ z ≤ t`` (variables ``(z, t)``)."""
    import clarabel
    import scipy.sparse as sp

    k = Gs.shape[0]
    P = sp.block_diag([sp.csc_matrix(np.triu(Gs)), sp.csc_matrix((k, k))], format="csc")
    q = np.concatenate([-bs, w])
    I = sp.identity(k, format="csc")
    A = sp.vstack([sp.hstack([I, -I]), sp.hstack([-I, -I])], format="csc")
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = tol
    settings.tol_gap_rel = tol
    settings.tol_feas = tol
    settings.max_iter = 500
    solver = clarabel.DefaultSolver(P, q, A, np.zeros(2 * k), [clarabel.NonnegativeConeT(2 * k)], settings)
    sol = solver.solve()
    status = str(sol.status)
    if "Solved" not in status:
        raise SolverError(f"Clarabel did not solve the restricted Lasso ({k} columns): status {status}")
    return np.asarray(sol.x)[:k]


def _kkt_solve(Gs, bs, w, S, s):
    """``z`` with ``G_SS z_S = b_S − w_S s`` and zeros elsewhere (None if it has no solution).

    Working sets often hold exactly dependent columns (``ramp(p, q) + ramp(q, r) =
    ramp(p, r)``; ``(x − a)_+ − (a − x)_+`` is linear), so ``G_SS`` may be singular:
    then a *basic* solution is taken (pivoted QR, the dependent columns set to zero).
    """
    z = np.zeros(bs.size)
    if not S.size:
        return z
    M, rhs = Gs[np.ix_(S, S)], bs[S] - w[S] * s
    try:
        factor = scipy.linalg.cho_factor(M)
        zS = scipy.linalg.cho_solve(factor, rhs)
        if np.all(np.isfinite(zS)) and np.abs(M @ zS - rhs).max() <= 1e-9 * (1 + np.abs(rhs).max()):
            z[S] = zS
            return z
    except (np.linalg.LinAlgError, ValueError):
        pass
    Q, R, piv = scipy.linalg.qr(M, pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > 1e-10 * max(diag.max(initial=0.0), 1e-300)))
    if rank == 0:
        return None
    zS = np.zeros(S.size)
    zS[piv[:rank]] = scipy.linalg.solve_triangular(R[:rank, :rank], (Q.T @ rhs)[:rank])
    if not np.all(np.isfinite(zS)) or np.abs(M @ zS - rhs).max() > 1e-8 * (1 + np.abs(rhs).max()):
        return None
    z[S] = zS
    return z


def _is_optimal(Gs, bs, w, z, rtol=1e-10, scale=None):
    """KKT of ``½ zᵀGz − bᵀz + Σ w|z|``: ``g = b − Gz`` equals ``w·sign(z)`` on the support, ``|g| ≤ w`` off it.

    To ``rtol·(1 + max|b|)``, measured on columns of norm 1: ``scale`` holds the
    column norms ``√G_kk`` when ``G`` is not scaled already.
    """
    g = bs - Gs @ z
    on = z != 0
    dev = np.where(on, np.abs(g - w * np.sign(z)), np.abs(g) - w)
    if scale is not None:
        dev = dev / scale
        bs = bs / scale
    return bool(dev.max(initial=-np.inf) <= rtol * (1.0 + np.abs(bs).max(initial=0.0)))


@_njit_cached
def _chol_active(G, S, m, L, piv_tol):
    """Cholesky factor of ``G[S[:m]][:, S[:m]]`` into ``L[:m, :m]``; False if a pivot² is ≤ ``piv_tol``·diag."""
    for a in range(m):
        for c in range(a + 1):
            acc = G[S[a], S[c]]
            for q in range(c):
                acc -= L[a, q] * L[c, q]
            if a == c:
                if not acc > piv_tol * G[S[a], S[a]] or not acc > 0.0:
                    return False
                L[a, a] = math.sqrt(acc)
            else:
                L[a, c] = acc / L[c, c]
        for c in range(a + 1, m):
            L[a, c] = 0.0
    return True


@_njit_cached
def _forward(L, m, v, out):
    """``out[:m] = L[:m, :m]⁻¹ v[:m]`` (lower triangular)."""
    for a in range(m):
        acc = v[a]
        for q in range(a):
            acc -= L[a, q] * out[q]
        out[a] = acc / L[a, a]


@_njit_cached
def _backward(L, m, v, out):
    """``out[:m] = L[:m, :m]⁻ᵀ v[:m]``."""
    for a in range(m - 1, -1, -1):
        acc = v[a]
        for q in range(a + 1, m):
            acc -= L[q, a] * out[q]
        out[a] = acc / L[a, a]


@_njit_cached
def _active_set_core(G, b, w, z, max_steps, dep_tol, add_tol):
    """The loop of :func:`_active_set_lasso`; ``z`` (the warm start) is updated in place.

    The entering column maximizes ``(|g_k| − w_k)/‖A_k‖`` (``‖A_k‖ = √G_kk``): the
    violation per unit column norm, as if the columns were scaled to norm 1
    (everything else in the method is invariant to column scaling); it must
    exceed ``add_tol·(1 + max_k |b_k|/‖A_k‖)``.  Columns with ``G_kk ≤ 1e-24·max G``
    (zero on the data) never enter.

    Returns 0 (optimal to that tolerance), 1 (step limit) or 2 (the factorization
    broke down).
    """
    k = b.size
    gmax = 1e-300
    for i in range(k):
        if G[i, i] > gmax:
            gmax = G[i, i]
    dinv = np.zeros(k)
    bmax = 0.0
    n0 = 0
    for i in range(k):
        if G[i, i] > 1e-24 * gmax:
            dinv[i] = 1.0 / math.sqrt(G[i, i])
            if abs(b[i]) * dinv[i] > bmax:
                bmax = abs(b[i]) * dinv[i]
            if z[i] != 0.0:
                n0 += 1
        else:
            z[i] = 0.0
    slack = add_tol * (1.0 + bmax)
    S0 = np.empty(n0, dtype=np.int64)
    n0 = 0
    for i in range(k):
        if z[i] != 0.0:
            S0[n0] = i
            n0 += 1
    cap = 64 if k > 64 else (k if k > 0 else 1)   # (no min/max builtins: they slow numba's compile)
    L = np.zeros((cap, cap))
    S = np.empty(k, dtype=np.int64)
    s = np.empty(k)
    r = np.empty(k)                                # b_S − w_S s
    h = np.empty(k)
    y = np.empty(k)
    col = np.empty(k)
    g = np.empty(k)
    active = np.zeros(k, dtype=np.bool_)
    m = 0
    for q in range(S0.size):
        j = S0[q]
        S[m] = j
        s[m] = 1.0 if z[j] > 0 else -1.0
        r[m] = b[j] - w[j] * s[m]
        active[j] = True
        m += 1
    if m > 0:
        if m > cap:
            cap = 2 * m if 2 * m < k else k
            L = np.zeros((cap, cap))
        if not _chol_active(G, S, m, L, dep_tol):  # a dependent warm start: start from zero
            for q in range(m):
                z[S[q]] = 0.0
                active[S[q]] = False
            m = 0
    for _ in range(max_steps):
        if m > 0:
            _forward(L, m, r, y)
            _backward(L, m, y, h)
            gmin = 2.0
            for q in range(m):
                if s[q] * h[q] < 0.0:              # would change sign on the way to h
                    zq = z[S[q]]
                    gam = zq / (zq - h[q])
                    if gam < gmin:
                        gmin = gam
            if gmin < 2.0:                         # stop where the first coefficient reaches 0; drop it
                mm = 0
                for q in range(m):
                    jq = S[q]
                    zq = z[jq]
                    if s[q] * h[q] < 0.0 and zq / (zq - h[q]) <= gmin:
                        z[jq] = 0.0
                        active[jq] = False
                    else:
                        z[jq] = zq + gmin * (h[q] - zq)
                        S[mm] = jq
                        s[mm] = s[q]
                        r[mm] = r[q]
                        mm += 1
                m = mm
                if m > 0 and not _chol_active(G, S, m, L, 0.0):
                    return 2
                continue
            for q in range(m):
                z[S[q]] = h[q]
        for i in range(k):
            g[i] = b[i]
        for q in range(m):                         # g = b − G_{:,S} z_S (rows of the symmetric G)
            zq = h[q]
            row = S[q]
            for i in range(k):
                g[i] -= G[row, i] * zq
        best = slack
        j = -1
        for i in range(k):
            if not active[i] and dinv[i] > 0.0:
                v = (abs(g[i]) - w[i]) * dinv[i]
                if v > best:
                    best = v
                    j = i
        if j < 0:
            return 0
        sj = 1.0 if g[j] > 0.0 else -1.0
        for q in range(m):
            col[q] = G[S[q], j]
        _forward(L, m, col, y)
        schur = G[j, j]
        for q in range(m):
            schur -= y[q] * y[q]
        if schur > dep_tol * G[j, j]:              # independent: extend the factor by one row
            if m == cap:
                cap = 2 * cap if 2 * cap < k else k
                L2 = np.zeros((cap, cap))
                for a in range(m):             # loops: a slice copy triples numba's compile time
                    for c in range(a + 1):
                        L2[a, c] = L[a, c]
                L = L2
            for q in range(m):
                L[m, q] = y[q]
            L[m, m] = math.sqrt(schur)
            S[m] = j
            s[m] = sj
            r[m] = b[j] - w[j] * sj
            active[j] = True
            m += 1
            continue
        # A_j = A_S c: trade coefficients of S for column j at constant fit
        _backward(L, m, y, h)                      # h = c = G_SS⁻¹ G_Sj
        t = np.inf
        qi = -1
        for q in range(m):
            dz = -sj * h[q]
            if s[q] * dz < 0.0:
                tq = -z[S[q]] / dz
                if tq < t:
                    t = tq
                    qi = q
        if qi < 0:
            return 2
        for q in range(m):
            z[S[q]] += t * (-sj * h[q])
        out = S[qi]
        z[out] = 0.0
        active[out] = False
        for q in range(qi, m - 1):
            S[q] = S[q + 1]
            s[q] = s[q + 1]
            r[q] = r[q + 1]
        S[m - 1] = j
        s[m - 1] = sj
        r[m - 1] = b[j] - w[j] * sj
        z[j] = t * sj
        active[j] = True
        if not _chol_active(G, S, m, L, 0.0):
            return 2
    return 1


def _active_set_lasso(G, b, w, z0=None, *, max_steps=None, dep_tol=1e-11, add_tol=1e-13):
    r"""Primal active-set method for ``min ½ zᵀGz − bᵀz + Σ_k w_k|z_k|`` (``G`` PSD).

    The homotopy-type algorithm of Osborne, Presnell and Turlach (2000): keep an
    active set ``S`` of linearly independent columns with signs ``s`` and a
    sign-consistent ``z`` supported on ``S``;

    * move ``z_S`` towards ``h = G_SS⁻¹(b_S − w_S s)``, the minimizer with those
      signs; if a coefficient reaches zero first, stop there and drop it;
    * at ``h`` the conditions ``g_S = w_S s`` hold (``g = b − Gz``); add the column
      of the largest ``|g_k| − w_k > 0`` off ``S`` with sign ``sign g_k``;
    * a column that depends on ``S`` (``A_k = A_S c``, Schur complement of ``G_SS``
      below ``dep_tol``) is swapped in along ``z_k ↦ z_k + t s_k``,
      ``z_S ↦ z_S − t s_k c`` — the fit does not change and the penalty falls at rate
      ``|g_k| − w_k`` — until a coefficient of ``S`` reaches zero and leaves.

    The objective never increases, and it decreases strictly at every step that
    is not degenerate (a zero step length), so barring ties an active set never
    repeats and the method is finite (``max_steps`` guards against cycling on
    ties); it stops when ``|g_k| ≤ w_k`` off ``S`` (to ``add_tol`` relative).  ``G_SS`` is kept as a Cholesky factor, extended by one row per
    added column (refactored when a column leaves).  Warm start: the support of
    ``z0`` if its columns are independent, else zero.

    The loop is compiled with numba (:func:`_active_set_core`, cached on disk
    like :mod:`lassobook.solvers.tv`): at small sizes a step costs microseconds, where the
    same loop in numpy spends ~50 µs per step on call overhead.

    Returns ``z``, or None if the step limit is hit or the factorization breaks
    down (the caller checks the optimality conditions in any case).
    """
    G = np.ascontiguousarray(G, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    k = b.size
    w = np.ascontiguousarray(np.broadcast_to(np.asarray(w, dtype=np.float64), (k,)))
    z = np.zeros(k) if z0 is None else np.array(z0, dtype=np.float64)
    steps = max(50, 10 * k) if max_steps is None else int(max_steps)
    status = _active_set_core(G, b, w, z, steps, float(dep_tol), float(add_tol))
    return z if status == 0 else None


def solve_gram_lasso(G: np.ndarray, b: np.ndarray, beta: float, *, z0: np.ndarray | None = None,
                     tol: float = 1e-11, max_steps: int | None = None) -> tuple[np.ndarray, str]:
    r"""``argmin_z ½ zᵀGz − bᵀz + β‖z‖₁`` for a PSD Gram matrix ``G`` (shape (k, k)), exactly.

    With ``G = A_cᵀA_c`` and ``b = A_cᵀy_c`` (centred columns and labels) this is
    the Lasso restricted to ``k`` columns, the free bias eliminated.  Tolerances
    are measured on columns scaled to norm 1.  Method:

    1. the primal active-set method :func:`_active_set_lasso` (exact: its answer
       solves a linear system on the support), warm-started at ``z0``, accepted
       only when the optimality conditions hold to rounding (``|g_k| = w_k`` with
       the sign of ``z_k`` on the support, ``|g_k| ≤ w_k`` off it, 1e-10 relative);
    2. if that check fails (it has not been seen to), Clarabel (the dense
       reference's solver) on the split QP at tolerance ``tol``, then the same
       closed-form solve on its support ("polishing"), kept if it passes the
       optimality check.

    Returns
    -------
    z : ndarray of shape (k,)
    method : str
        ``"active-set"``, ``"clarabel+polish"`` or ``"clarabel"``.
    """
    G = np.asarray(G, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = np.sqrt(np.maximum(np.diag(G), 0.0))
    d[d == 0] = 1.0
    z = _active_set_lasso(G, b, np.full(b.size, float(beta)), z0, max_steps=max_steps)
    if z is not None and _is_optimal(G, b, float(beta), z, scale=d):
        return z, "active-set"
    Gs = G / np.multiply.outer(d, d)             # columns scaled to norm 1
    bs = b / d
    w = float(beta) / d                          # the penalty on the scaled variables
    zc = _clarabel_gram_lasso(Gs, bs, w, tol)
    # polish: the columns where the restricted dual constraint is tight and z is not tiny
    g = bs - Gs @ zc
    scale = max(1.0, np.abs(zc).max(initial=0.0))
    for thresh in (1e-7, 1e-5, 1e-9):
        S = np.flatnonzero((np.abs(zc) > thresh * scale) & (np.abs(g) >= w * (1 - 1e-6)))
        s = np.sign(zc[S])
        zp = _kkt_solve(Gs, bs, w, S, s)
        if zp is None:
            continue
        on = zp[S] != 0
        if np.all(np.sign(zp[S][on]) == s[on]) and _is_optimal(Gs, bs, w, zp):
            return zp / d, "clarabel+polish"
    return zc / d, "clarabel"


@dataclass
class StructuredFit(LassoFit):
    """A :class:`~lassobook.lasso.LassoFit` found without the full dictionary (:func:`fit_structured`).

    ``dictionary`` is the final working set.  Extra attributes:

    Attributes
    ----------
    oracle : StructuredOracle
        The full dictionary, through prefix sums.
    history : list of dict
        Per iteration: ``iteration``, ``working_set``, ``objective`` (of the restricted
        Lasso: an upper bound of the optimum), ``ratio`` (max over the full
        dictionary of ``|A_kᵀλ|/β`` at that iteration's solution), ``added``, ``time``.
    tol : float
        Relative tolerance the solver stopped at.
    """

    oracle: object = field(default=None, repr=False)
    history: list = field(default_factory=list, repr=False)
    tol: float = 1e-6

    def certificate(self, *, tol: float | None = None, sampled: bool = False, **kwargs) -> Certificate:
        """The certificate with the dual maximum computed by the oracle over the full dictionary.

        ``max_k |A_kᵀλ| ≤ β(1 + tol)`` over *all* columns of the family's
        dictionary (and over the continuous unit family where
        :attr:`StructuredOracle.continuous`), then the duality gap and the rebuilt
        network (:func:`lassobook.certificate.finish`).  ``n_shapes`` is the size of
        the full dictionary.  ``sampled=True`` runs the dense sampled check instead
        (small problems only).
        """
        from .certificate import DUAL_TOL, certify

        if sampled or not self.oracle.continuous:   # the continuous family needs the sample
            return certify(self, tol=DUAL_TOL if tol is None else tol, **kwargs)
        tol = max(self.tol, 1e-9) * 10 if tol is None else float(tol)
        return certify(self, tol=tol, sampled=False, oracle=self.oracle)

    def duality_gap(self, certificate: Certificate | None = None) -> float:
        r"""A certified bound on ``objective − optimum`` (never negative): ``P − D(λ/max(1, ρ))``
        (:func:`lassobook.certificate.finish`; up to rounding in the subtraction)."""
        cert = self.certificate() if certificate is None else certificate
        return max(0.0, cert.primal - cert.dual)

    _keys: np.ndarray = field(default=None, repr=False)

    def __repr__(self):
        return (f"StructuredFit({self.family}, n={self.data.n}, beta={self.beta:g}, "
                f"objective={self.objective:.10g}, neurons={self.support.size}/{self.dictionary.size} "
                f"of {self.oracle.n_columns}, iterations={len(self.history)})")


def _row_ids(keys: np.ndarray) -> list:
    """One hashable id (the bytes) per key row."""
    keys = np.ascontiguousarray(keys, dtype=np.int64)
    return keys.view(np.dtype((np.void, 8 * keys.shape[1]))).ravel().tolist()


class _KeyLabels(Sequence):
    """The labels of the working set's columns, made by the oracle when someone reads one."""

    def __init__(self, oracle, keys):
        self._oracle, self._keys = oracle, keys

    def __len__(self) -> int:
        return self._keys.shape[0]

    def __getitem__(self, i):
        if isinstance(i, slice):
            return list(self._oracle.labels(self._keys[i])) if len(range(*i.indices(len(self)))) else []
        i = range(len(self))[i]                   # bounds and negative indices
        return self._oracle.labels(self._keys[i:i + 1])[0]


class _OwnAliases(Sequence):
    """``aliases[k] = [labels[k]]``: a working-set column stands for itself only."""

    def __init__(self, labels):
        self._labels = labels

    def __len__(self) -> int:
        return len(self._labels)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [[l] for l in self._labels[i]]
        return [self._labels[i]]


class _WorkingSet:
    """The working set of :func:`fit_structured`: keys, Gram matrix of the centred columns, ``A_cᵀy_c``.

    While the working set has at most ``cache`` matrix entries (``N·|W|``) its
    columns on the sorted data are kept (:attr:`raw`); beyond that they are never
    stored all at once but re-evaluated from their keys in chunks of ``chunk``
    columns when needed (default: ``chunk_entries/N`` of them, ``O(chunk_entries)`` memory).
    """

    def __init__(self, oracle, yc, w=None, chunk=None, cache=4_000_000, chunk_entries=4_000_000):
        self.oracle, self.yc, self.cache = oracle, yc, int(cache)
        self.w = np.ones(yc.size) if w is None else np.asarray(w, dtype=np.float64)
        self.wyc = self.w * yc
        # Large data and columns with a piecewise-linear form: Gram entries from prefix sums, no
        # column stored.  Small data keep the evaluated columns (cached): their Gram is formed
        # from the very numbers the certificate sees, which tiny-β problems need.
        use_forms = hasattr(oracle, "form") and yc.size * 64 > self.cache
        self.pg = PrefixGram(oracle.xs, self.w, yc) if use_forms else None
        self.chunk = int(chunk) if chunk is not None else max(1, int(chunk_entries) // max(1, yc.size))
        self.keys = np.empty((0, oracle.key_width), dtype=np.int64)
        self.means = np.empty(0)
        self.G = np.empty((0, 0))
        self.b = np.empty(0)
        self.raw = np.empty((yc.size, 0)) if self.pg is None else None
        self.members: set = set()

    def __len__(self):
        return self.keys.shape[0]

    def centred(self, idx) -> np.ndarray:
        if self.raw is not None:
            return self.raw[:, idx] - self.means[idx]
        cols = self.oracle.matrix(self.keys[idx])
        cols -= self.means[idx]
        return cols

    def add(self, new_keys, *, distinct: bool = False) -> int:
        """Add the columns ``new_keys`` not in the working set yet and not constant on the data.

        ``distinct=True`` promises that the rows of ``new_keys`` are distinct (e.g.
        :meth:`StructuredOracle.all_keys`), which skips looking for repeats among them.
        Returns the number of columns added.
        """
        new = np.atleast_2d(np.asarray(new_keys, dtype=np.int64))
        ids = _row_ids(new)
        if self.members or not distinct:
            fresh = {}
            for r, i in enumerate(ids):
                if i not in self.members and i not in fresh:
                    fresh[i] = r
            if not fresh:
                return 0
            if len(fresh) < len(ids):
                new = new[list(fresh.values())]
                ids = list(fresh)
        if self.pg is not None:
            return self._add_forms(new, ids)
        raw = self.oracle.matrix(new)
        mu = (self.w @ raw) / self.w.sum()               # weighted means: the bias is eliminated
        cols = raw - mu
        spread = np.abs(cols).max(axis=0, initial=0.0)
        useful = spread > 1e-12 * float(spread.max(initial=0.0))   # not constant on the data (relative)
        if not useful.all():
            new, raw, cols, mu = new[useful], raw[:, useful], cols[:, useful], mu[useful]
            ids = [i for i, u in zip(ids, useful.tolist()) if u]
        if new.shape[0] == 0:
            return 0
        k0 = len(self)
        if k0 == 0:
            wcols = cols * self.w[:, None]
            self.G, self.b, self.keys, self.means = cols.T @ wcols, cols.T @ self.wyc, new, mu
            if self.raw is not None:
                self.raw = raw if raw.size <= self.cache else None
            self.members.update(ids)
            return new.shape[0]
        wcols = cols * self.w[:, None]
        if self.raw is not None:
            cross = (self.raw - self.means).T @ wcols
        else:
            cross = np.empty((k0, new.shape[0]))
            for start in range(0, k0, self.chunk):
                idx = np.arange(start, min(k0, start + self.chunk))
                cross[idx] = self.centred(idx).T @ wcols
        k1 = k0 + new.shape[0]
        G = np.empty((k1, k1))
        G[:k0, :k0] = self.G
        G[:k0, k0:] = cross
        G[k0:, :k0] = cross.T
        G[k0:, k0:] = cols.T @ wcols
        self.G = G
        self.b = np.concatenate([self.b, cols.T @ self.wyc])
        self.keys = np.concatenate([self.keys, new])
        self.means = np.concatenate([self.means, mu])
        if self.raw is not None:
            self.raw = np.hstack([self.raw, raw]) if self.yc.size * k1 <= self.cache else None
        self.members.update(ids)
        return new.shape[0]

    def _add_forms(self, new, ids) -> int:
        """:meth:`add` for oracles with piecewise-linear forms: ``O(log N)`` per Gram entry."""
        form = self.oracle.form(new)
        Gnn, mu, bn = self.pg.centred(form)
        rms = np.sqrt(np.maximum(np.diag(Gnn), 0.0) / self.pg.total_w)
        useful = np.flatnonzero(rms > 1e-12 * rms.max(initial=0.0))   # not constant on the data
        if useful.size == 0:
            return 0
        if useful.size < rms.size:
            new, ids = new[useful], [ids[i] for i in useful]
            form = PWLForm(*(np.asarray(v)[useful] for v in vars(form).values()))
            Gnn, mu, bn = Gnn[np.ix_(useful, useful)], mu[useful], bn[useful]
        k0 = len(self)
        if k0 == 0:
            self.G, self.b, self.keys, self.means = Gnn, bn, new, mu
        else:
            cross = self.pg.centred(self.oracle.form(self.keys), form)[0]
            self.G = np.block([[self.G, cross], [cross.T, Gnn]])
            self.b = np.concatenate([self.b, bn])
            self.keys = np.concatenate([self.keys, new])
            self.means = np.concatenate([self.means, mu])
        self.members.update(ids)
        return new.shape[0]

    def keep(self, mask) -> None:
        """Drop the columns where ``mask`` is False."""
        idx = np.flatnonzero(mask)
        self.members.difference_update(_row_ids(self.keys[~mask]))
        self.keys, self.means, self.b = self.keys[idx], self.means[idx], self.b[idx]
        self.G = self.G[np.ix_(idx, idx)]
        if self.raw is not None:
            self.raw = self.raw[:, idx]

    def fitted(self, z) -> np.ndarray:
        """``A_c z`` (sorted order), from the support of ``z`` only."""
        S = np.flatnonzero(z)
        if self.pg is not None:          # one sweep over the data (lassobook.gram)
            return self.pg.combination(self.oracle.form(self.keys[S]), z[S]) - float(self.means[S] @ z[S])
        if self.raw is not None:
            return self.centred(S) @ z[S]
        out = np.zeros(self.yc.size)
        for start in range(0, S.size, self.chunk):
            idx = S[start:start + self.chunk]
            out += self.centred(idx) @ z[idx]
        return out


def fit_structured(x, y=None, *, family, beta: float, tol: float = 1e-6, batch: int = 20,
                   initial: int | None = None, max_iter: int = 200, prune: float = 0.5,
                   time_limit: float | None = None, verbose: bool = False) -> StructuredFit:
    r"""Fit ``family`` to ``(x, y)`` through its Lasso without forming the full dictionary.

    Parameters
    ----------
    x, y : array_like of shape (n,) (or a Dataset as ``x``)
    family : Family
        One with a structured oracle (:data:`SUPPORTED`).
    beta : float > 0
    tol : float > 0
        Stop when ``max_k |A_kᵀλ| ≤ β(1 + tol)`` over the full dictionary.
    batch : int
        Columns added per iteration: the most violated ones the oracle offers
        (at most one per local maximum of the dual correlation, where the oracle
        knows them).  The batch grows with the support (``max(batch, |S|/2)``).
    initial : int, optional
        Size of the first working set: the columns most correlated with the
        centred labels.  Default: the whole dictionary when ``N·columns²`` is at
        most :data:`SMALL_PROBLEM` (small problems: one restricted solve), else
        ``batch``.
    max_iter : int
    prune : float in [0, 1)
        After each restricted solve, drop working-set columns with zero
        coefficient and ``|A_kᵀλ| < prune·β`` (they come back if they become
        violated); 0 keeps every column.
    time_limit : float, optional
        Seconds; raise :class:`~lassobook.lasso.SolverError` when exceeded.
    verbose : bool
        Print one line per iteration.

    Returns
    -------
    StructuredFit

    Raises
    ------
    ValueError
        Bad data, ``beta``, ``tol``, ``batch``, ``prune``, or a family without an oracle.
    SolverError
        No certificate after ``max_iter`` iterations or ``time_limit`` seconds,
        or the restricted solver failed.
    """
    t0 = time.perf_counter()
    data = as_dataset(x, y)
    beta = check_beta(beta)
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not np.isfinite(tol) or tol <= 0:
        raise ValueError(f"tol must be a positive number, got {tol!r}")
    for name, v in (("batch", batch), ("max_iter", max_iter)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if initial is not None and (isinstance(initial, bool) or not isinstance(initial, (int, np.integer))
                                or initial < 1):
        raise ValueError(f"initial must be a positive integer or None, got {initial!r}")
    if isinstance(prune, bool) or not isinstance(prune, (int, float)) or not 0 <= prune < 1:
        raise ValueError(f"prune must be a number in [0, 1), got {prune!r}")
    if time_limit is not None and not time_limit > 0:
        raise ValueError(f"time_limit must be positive seconds or None, got {time_limit!r}")
    oracle = structured_oracle(family, data)      # a family without an oracle: ValueError now
    scaled, (px, py, pw) = _standardized(data, family.degree)
    d = family.degree
    beta_s = math.ldexp(beta, -(pw + py + d * px))
    oracle_s = structured_oracle(family, scaled)
    W, z, ymean, history = _column_generation(oracle_s, scaled, beta_s, tol=tol, batch=batch,
                                              initial=initial, max_iter=max_iter, prune=prune,
                                              time_limit=time_limit, verbose=verbose, t0=t0)
    # back to the caller's units: every factor is a power of two, so this is exact
    for record in history:     # the restricted objectives, in the caller's units
        record["objective"] = math.ldexp(record["objective"], pw + 2 * py)
    keys, means = W.keys, W.means
    raw = W.raw
    if data.n * len(W) > W.cache:   # large: return the solution's columns only (memory ~ N·support)
        cols = np.flatnonzero(z) if np.any(z) else np.arange(min(1, len(W)))
        keys, means, z = keys[cols], means[cols], z[cols]
        raw = None if raw is None else raw[:, cols]
    params = oracle.params(keys)
    labels = _KeyLabels(oracle, keys)
    if raw is not None:      # the same numbers evaluate_shapes gives at data.x, rows in the caller's order
        matrix = np.ldexp(data.to_caller_order(raw), d * px)
    else:                    # column chunks straight into the result (no full-size temporaries)
        matrix = np.empty((data.n, keys.shape[0]))
        for start in range(0, keys.shape[0], W.chunk):
            part = {name: v[start:start + W.chunk] for name, v in params.items()}
            matrix[:, start:start + W.chunk] = evaluate_shapes(family, data.x, part)
    xi = math.ldexp(float(ymean - means @ z), py)
    z = np.ldexp(z, py - d * px)
    dictionary = Dictionary(family, data, params, labels, _OwnAliases(labels), matrix)
    residual = data.w * (data.y - matrix @ z - xi)
    solution = LassoSolution(
        z=z, xi=xi, objective=lasso_objective(matrix, data.y, z, xi, beta, data.w), residual=residual,
        status="optimal", beta=beta, min_norm=False, solve_time=time.perf_counter() - t0)
    solution = _sparsify(solution, matrix, data.y, data.w)   # the network has exactly these units
    return StructuredFit(data, family, beta, dictionary, solution, oracle=oracle, history=history,
                         tol=float(tol), _keys=keys)


def _standardized(data: Dataset, degree: int) -> tuple[Dataset, tuple[int, int, int]]:
    """``data`` with ``x``, ``y``, ``w`` divided by powers of two near their scales, and the exponents.

    ``x' = 2^{-p} x`` (``2^p`` ≈ the span: no shift, so every kink maps back exactly),
    ``y' = 2^{-q} y`` (``2^q`` ≈ the weighted spread of ``y``), ``w' = 2^{-r} w``
    (``2^r`` ≈ the mean weight); see :mod:`lassobook.fitting` for how β and the
    objective transform.
    """
    w = data.w
    ybar = float(w @ data.y) / float(w.sum())
    spread = float(np.sqrt((w @ (data.y - ybar) ** 2) / w.sum()))
    exps = [int(np.frexp(v)[1]) - 1 if np.isfinite(v) and v > 0 else 0
            for v in (float(np.ptp(data.x)), spread, float(w.mean()))]
    px, py, pw = exps
    scaled = Dataset(np.ldexp(data.x, -px), np.ldexp(data.y, -py), data.order, np.ldexp(w, -pw))
    return scaled, (px, py, pw)


def _column_generation(oracle, data, beta, *, tol, batch, initial, max_iter, prune, time_limit,
                       verbose, t0):
    """The working-set loop of :func:`fit_structured` on (scaled) ``data``.

    Returns the working set, its coefficients, the weighted mean of the labels and the history.
    """
    ys, ws = data.y_sorted, data.w_sorted
    ymean = float(ws @ ys) / float(ws.sum())
    yc = ys - ymean
    W = _WorkingSet(oracle, yc, ws)
    z = np.empty(0)
    history = []
    whole = initial is None and data.n * oracle.n_columns ** 2 <= SMALL_PROBLEM
    if whole:                                     # the whole dictionary at once
        cand, ratio = oracle.all_keys(), math.inf
    else:
        value, cand, _ = oracle.search(oracle.sums(ws * yc), initial or batch)
        ratio = value / beta
    for it in range(int(max_iter) + 1):
        if ratio <= 1 + tol:
            break
        if it == max_iter:
            raise SolverError(f"no certificate after {max_iter} working-set iterations "
                              f"(max |A_kᵀλ|/β = {ratio:.12g}, working set {len(W)})")
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            raise SolverError(f"time limit {time_limit:g} s reached after {it} iterations "
                              f"(max |A_kᵀλ|/β = {ratio:.12g})")
        k_old = len(W)
        added = W.add(cand, distinct=whole and it == 0)
        if added == 0 and len(W) == 0:            # no column varies on the data: z = 0
            ratio = oracle.maximum(oracle.sums(ws * yc)) / beta
            if ratio <= 1 + tol:
                break
        if added == 0:
            raise SolverError(
                f"the most violated column is already in the working set (max |A_kᵀλ|/β = "
                f"{ratio:.12g}): the restricted solve is not accurate enough for tol = {tol:g}")
        z0 = np.concatenate([z, np.zeros(len(W) - k_old)])
        z, method = solve_gram_lasso(W.G, W.b, beta, z0=z0)
        lam = ws * (yc - W.fitted(z))
        big = np.abs(z) > 1e-9 * max(1e-300, np.abs(z).max(initial=0.0))
        support = int(np.count_nonzero(big))
        sums = oracle.sums(lam)
        if oracle.fast_maximum:                   # candidates only when they are needed
            ratio = oracle.maximum(sums) / beta
            if ratio > 1 + tol:
                _, cand, _ = oracle.search(sums, max(batch, support // 2))
        else:
            value, cand, _ = oracle.search(sums, max(batch, support // 2))
            ratio = value / beta
        history.append({"iteration": it + 1, "working_set": len(W), "added": int(added),
                        "objective": float(0.5 * lam @ (lam / ws) + beta * np.abs(z).sum()),
                        "support": support, "ratio": float(ratio),
                        "method": method, "time": time.perf_counter() - t0})
        if verbose:
            print(f"iteration {it + 1:3d}: working set {len(W):5d} (+{added}), support "
                  f"{support:5d}, max |A_kᵀλ|/β = {ratio:.12f} [{method}], "
                  f"{time.perf_counter() - t0:.2f} s")
        if prune > 0 and ratio > 1 + tol:
            grad = W.b - W.G @ z                      # A_kᵀλ on the working set
            mask = big | (np.abs(grad) >= prune * beta)
            if not mask.all():
                W.keep(mask)
                z = z[mask]

    if len(W) == 0:          # β ≥ max |A_kᵀ(y − ȳ)|: z = 0 is optimal; keep the best column
        W.add(cand[:1])
        z = np.zeros(len(W))
    return W, z, ymean, history


# ============================================================================ the dense reference
def dense_fit(x, y=None, *, family, beta: float) -> LassoFit:
    """The dense reference: the family's full (pruned) dictionary and cvxpy + Clarabel.

    Every family's dictionary is :func:`lassobook.dictionaries.build_dictionary`.
    """
    from .lasso import fit_dense

    return fit_dense(as_dataset(x, y), family=family, beta=beta)


# ============================================================================ Adam, until close
@dataclass
class AdamTrace:
    """One Adam run traced against wall time (:func:`train_adam_until`).

    Attributes
    ----------
    times, objectives : ndarray
        Wall time (s) and exact objective at each record.
    target : float
        The Lasso optimum the run was racing.
    reached : bool
        The objective came within ``rel_gap`` of ``target`` before the time cap.
    time_to_target : float
        Seconds until then (NaN if never).
    epochs : int
    """

    times: np.ndarray
    objectives: np.ndarray
    target: float
    rel_gap: float
    reached: bool
    time_to_target: float
    epochs: int

    @property
    def gaps(self) -> np.ndarray:
        """Relative gaps ``(objective − target)/|target|`` at every record."""
        return (self.objectives - self.target) / abs(self.target)


def train_adam_until(data, *, family, beta: float, target: float, rel_gap: float = 0.01,
                     time_cap: float = 30.0, width: int = 50, lr: float = 5e-3, seed: int = 0,
                     record_every: int = 10) -> AdamTrace:
    """Full-batch Adam on the exact objective until it is within ``rel_gap`` of ``target`` or ``time_cap`` s.

    One seeded network of ``width`` units (the family's own ``random_init``), the
    same loop as :func:`lassobook.training.train_adam`, but stopped by the clock.
    """
    import torch

    from .networks import as_tensor

    data = as_dataset(data) if isinstance(data, Dataset) else as_dataset(*data)
    beta = check_beta(beta)
    net = family.network(width=width, n_models=1)
    net.random_init([seed], data.x_sorted)
    if data.weighted:
        raise ValueError("this Adam loop is unweighted: for weights or repeated x use "
                         "lassobook.train_adam")
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    goal = target + rel_gap * abs(target)
    times, objs = [], []
    t0 = time.perf_counter()
    epoch, reached, t_hit = 0, False, math.nan
    while True:
        opt.zero_grad()
        obj = net.objective(xt, yt, beta)
        value = float(obj.detach()[0])
        now = time.perf_counter() - t0
        if epoch % record_every == 0 or value <= goal:
            times.append(now)
            objs.append(value)
        if value <= goal:
            reached, t_hit = True, now
            break
        if now > time_cap or not np.isfinite(value):
            break
        obj.sum().backward()
        opt.step()
        epoch += 1
    return AdamTrace(np.array(times), np.array(objs), float(target), float(rel_gap), reached,
                     t_hit, epoch)
