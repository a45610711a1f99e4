r"""The dual oracles' common ground: prefix sums of a dual vector and the :class:`StructuredOracle` base.

A structured solver (:mod:`lassobook.solvers.working_set`) never forms a family's
dictionary ``A``; it asks the family's *oracle* for ``max_k |A_kᵀλ|`` over every
column, and for the most violated columns, given the residual ``λ`` on the sorted
data.  Every column of the piecewise-linear families is a combination of ReLUs
with kinks at data points (or at points between them), and

.. math::

    F(t) = \sum_n \lambda_n (x_n - t)_+ = \sum_{x_n > t} \lambda_n x_n - t \sum_{x_n > t} \lambda_n ,
    \qquad
    L(t) = \sum_n \lambda_n (t - x_n)_+ = t \sum_{x_n < t} \lambda_n - \sum_{x_n < t} \lambda_n x_n ,

so after one ``O(N)`` pass (:class:`ResidualSums`: prefix sums ``RP, SP`` and
suffix sums ``RQ, SQ`` of ``λ`` and ``λx``) a column's correlation costs ``O(1)`` at
a data point and ``O(log N)`` (one binary search) elsewhere.  The sums are formed
when first read: the two-layer and deep narrow oracles compute what they need in
compiled sweeps (:mod:`lassobook.solvers.gram`) without them.  The inputs are
shifted to the middle of their range first (every formula is shift-invariant), so
the sums of ``λx`` keep their digits when the data sit far from the origin.

:class:`StructuredOracle` fixes the interface each family's oracle implements
(``n_columns``, ``correlations``, ``search``, ``params``, ``labels``, ``all_keys``;
``maximum`` and ``matrix`` have defaults); the helpers pick the top columns
(:func:`top_indices`) and one column per local maximum of the violation (:func:`peak_positions`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property

import numpy as np

from lassobook.core.data import Dataset
from lassobook.core.dictionary import evaluate_shapes


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

    def __init__(self, x_sorted: np.ndarray, lam_sorted: np.ndarray, center: float | None = None,
                 shifted: np.ndarray | None = None):
        self.lam = np.asarray(lam_sorted, dtype=np.float64)
        if shifted is not None:            # x_sorted − center, made once by the oracle
            self.center, self.x = float(center), shifted
        else:
            x = np.asarray(x_sorted, dtype=np.float64)
            self.center = float(0.5 * (x[0] + x[-1])) if center is None else float(center)
            self.x = x - self.center

    # The sums are formed when first read (an oracle with a compiled sweep never needs them):
    # prefix P[m] = Σ_{n<m}, suffix Q[m] = Σ_{n≥m}, each of size n + 1.
    @cached_property
    def RP(self) -> np.ndarray:
        return np.concatenate([np.zeros(1), np.cumsum(self.lam)])

    @cached_property
    def SP(self) -> np.ndarray:
        return np.concatenate([np.zeros(1), np.cumsum(self.lam * self.x)])

    @cached_property
    def RQ(self) -> np.ndarray:
        return np.concatenate([np.cumsum(self.lam[::-1])[::-1], np.zeros(1)])

    @cached_property
    def SQ(self) -> np.ndarray:
        return np.concatenate([np.cumsum((self.lam * self.x)[::-1])[::-1], np.zeros(1)])

    @cached_property
    def total(self) -> float:
        """``1ᵀλ``."""
        return float(self.RQ[0])

    @cached_property
    def total_x(self) -> float:
        """``Σ λ_n x_n`` (shifted)."""
        return float(self.SQ[0])

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
        """The prefix sums of ``λ`` (sorted order) for this dataset (formed when first read)."""
        if getattr(self, "_shifted", None) is None:
            probe = ResidualSums(self.xs, np.zeros(0))
            self._center, self._shifted = probe.center, probe.x
        return ResidualSums(self.xs, lam_sorted, self._center, self._shifted)

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


def top_indices(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``|values|``, in decreasing order."""
    a = np.abs(values)
    k = min(int(k), a.size)
    idx = np.argpartition(-a, k - 1)[:k] if k < a.size else np.arange(a.size)
    return idx[np.argsort(-a[idx], kind="stable")]


def peak_positions(values: np.ndarray) -> np.ndarray:
    """Indices of the local maxima of ``|values|`` along the array (plateaus: every point).

    Neighbouring columns (breakpoints at neighbouring data points) are nearly the
    same feature; adding one column per local maximum of the violation spreads a
    batch over the different places where the fit is wrong.
    """
    a = np.abs(values)
    left = np.concatenate([[-np.inf], a[:-1]])
    right = np.concatenate([a[1:], [-np.inf]])
    return np.flatnonzero((a >= left) & (a >= right))
