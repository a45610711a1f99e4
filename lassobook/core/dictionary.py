"""Dictionaries: the finite sets of features a network family's Lasso is built on.

A :class:`Dictionary` is a list of *columns*.  Each column is one normalized unit
shape ``g`` of the family, described by a few numbers (its ``params``: a
breakpoint, an orientation, ...).  The dictionary evaluates its columns on the
training points (:attr:`Dictionary.matrix`, the Lasso's ``A``) and on any new
inputs (:meth:`Dictionary.evaluate`, for plots and prediction).

Raw dictionaries from the paper contain columns that vanish on the data, are
constant there (the unpenalized output bias ``ξ`` absorbs them), or coincide
with another column.  :func:`build_dictionary` removes them and records, for
each kept column, every raw label it stands for (:attr:`Dictionary.aliases`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lassobook.core.data import Dataset, as_dataset

if TYPE_CHECKING:  # pragma: no cover
    from lassobook.core.family import Family


def evaluate_shapes(family: "Family", x, params: dict[str, np.ndarray]) -> np.ndarray:
    """Evaluate the unit shapes with parameters ``params`` at the inputs ``x``.

    Parameters
    ----------
    family : Family
    x : array_like of shape (n,)
    params : dict of arrays of shape (p,)

    Returns
    -------
    ndarray of shape (n, p)
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    cols = {k: np.asarray(v)[None, :] for k, v in params.items()}
    return np.broadcast_to(family.shape(x, **cols), (x.shape[0], len(next(iter(params.values())))))


@dataclass
class Dictionary:
    """A finite dictionary of unit shapes on a dataset.

    Attributes
    ----------
    family : Family
        The network family whose unit shapes the columns are.
    data : Dataset
    params : dict of ndarray of shape (p,)
        Per-column parameters (for two-layer families: ``breakpoint`` and
        ``orientation``).
    labels : list of str, length p
        A readable name per column, e.g. ``"relu(+(x - 2))"``.
    aliases : sequence of list of str, length p
        All raw labels that give this column on the data (the first is ``labels[k]``;
        see :class:`AliasTable`).
    matrix : ndarray of shape (n, p)
        The columns evaluated at the training points, in the caller's order.
    """

    family: "Family"
    data: Dataset
    params: dict[str, np.ndarray]
    labels: list[str]
    aliases: Sequence = field(repr=False)
    matrix: np.ndarray = field(repr=False)

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def size(self) -> int:
        """Number of columns ``p``."""
        return len(self.labels)

    def evaluate(self, x, columns=None) -> np.ndarray:
        """Columns evaluated at new inputs ``x`` (shape (n,)): returns shape (n, p) (or (n, len(columns)))."""
        params = self.column_params(columns)
        return evaluate_shapes(self.family, x, params)

    def column_params(self, columns=None) -> dict[str, np.ndarray]:
        """The parameter arrays restricted to ``columns`` (all columns if None)."""
        if columns is None:
            return dict(self.params)
        idx = np.atleast_1d(np.asarray(columns, dtype=int))
        return {k: v[idx] for k, v in self.params.items()}

    def subset(self, columns) -> "Dictionary":
        """A dictionary with only ``columns`` (for restricted Lassos and counterexamples)."""
        idx = np.atleast_1d(np.asarray(columns, dtype=int))
        return Dictionary(self.family, self.data, self.column_params(idx),
                          [self.labels[k] for k in idx], [self.aliases[k] for k in idx],
                          self.matrix[:, idx])

    def kinks(self, column: int) -> np.ndarray:
        """Input positions of the kinks (or jumps) of one column, sorted."""
        return self.family.kinks({k: v[column] for k, v in self.params.items()})

    def __repr__(self) -> str:
        return f"Dictionary({self.family}, n={self.data.n}, columns={self.size})"


class AliasTable(Sequence):
    """The raw labels behind each kept column, built on demand.

    ``table[c]`` lists the raw labels merged into column ``c`` (its own first; a
    raw column equal to it up to sign is marked with a leading "−").  Raw
    dictionaries reach millions of columns, so the strings are made only for the
    columns someone looks at.
    """

    def __init__(self, labels, members: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 negated: np.ndarray):
        self._labels, self._members, self._negated = labels, members, negated
        self._starts, self._ends = starts, ends

    def __len__(self) -> int:
        return len(self._starts)

    def __getitem__(self, c):
        if isinstance(c, slice):
            return [self[i] for i in range(*c.indices(len(self)))]
        raw = self._members[self._starts[c]:self._ends[c]]
        return [("−" if self._negated[i] else "") + self._labels[i] for i in raw]


def _group_columns(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group equal columns of the integer matrix ``key`` (n, p).

    Returns ``first`` (the lowest raw index of each group) and ``inverse`` (the
    group of each column).  Columns are hashed to one integer each (random odd
    weights, arithmetic mod 2^64) and grouped by ``np.unique`` on the hashes —
    fast for millions of columns; exact equality is then checked, with a fall
    back to sorting the columns themselves on a hash collision.
    """
    weights = np.random.default_rng(12345).integers(1, 2**62, size=key.shape[0]) | 1
    with np.errstate(over="ignore"):
        h = (key * weights[:, None]).sum(axis=0)
    _, first, inverse = np.unique(h, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    if not np.array_equal(key[:, first[inverse]], key):  # a hash collision
        _, first, inverse = np.unique(key.T, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
    return first, inverse


def build_dictionary(data, family: "Family", *, prune: bool = True, rtol: float = 1e-10) -> Dictionary:
    """The dictionary of ``family`` on ``data``, with redundant columns removed.

    Parameters
    ----------
    data : Dataset or (x, y)
    family : Family
    prune : bool
        Remove columns that are constant on the data (the free bias ``ξ``
        absorbs them) and merge columns that coincide on the data *up to sign and
        a constant* (the coefficient's sign and ``ξ`` absorb those): such columns
        are the same neuron to the Lasso, and keeping both would only split one
        neuron over two columns.  The first raw column of each group is kept; all
        raw labels are recorded in ``aliases`` (a negated one with a leading "−").
    rtol : float
        Tolerance, relative to the largest centred entry, used to decide that a
        column is constant or that two columns coincide.
    """
    data = data if isinstance(data, Dataset) else as_dataset(*data)
    params, labels = family.raw_dictionary(data)
    matrix = evaluate_shapes(family, data.x, params)
    if not prune:
        return Dictionary(family, data, params, list(labels), [[l] for l in labels],
                          np.ascontiguousarray(matrix))

    centered = matrix - matrix.mean(axis=0, keepdims=True)
    scale = float(np.abs(centered).max(initial=0.0)) or 1.0   # relative: units never matter
    informative = np.ptp(matrix, axis=0) > rtol * scale
    # canonical sign: the first clearly nonzero entry of each centered column is positive
    lead = np.argmax(np.abs(centered) > 1e3 * rtol * scale, axis=0)
    sign = np.where(centered[lead, np.arange(centered.shape[1])] < 0, -1.0, 1.0)
    key = np.round(centered * sign / (rtol * 1e3 * scale)).astype(np.int64)
    first, inverse = _group_columns(key)
    keep = np.sort(first[informative[first]])
    rep = first[inverse]  # representative raw column of every raw column
    negated = sign != sign[rep]
    order = np.argsort(rep, kind="stable")
    starts = np.searchsorted(rep[order], keep)
    ends = np.searchsorted(rep[order], keep, side="right")
    aliases = AliasTable(labels, order, starts, ends, negated)
    kept_params = {k: np.asarray(v)[keep] for k, v in params.items()}
    return Dictionary(family, data, kept_params, [labels[k] for k in keep], aliases,
                      np.ascontiguousarray(matrix[:, keep]))
