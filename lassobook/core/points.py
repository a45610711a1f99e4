r"""The points where optimal networks bend: data, midpoints and reflections.

The paper's theorems place the kinks of optimal units at a few kinds of points
built from the data ``x_1 < … < x_N``:

* the data points themselves (two-layer networks, every depth with ReLU);
* *reflections* ``2x_i − x_j``, the mirror image of ``x_j`` about ``x_i`` (an
  absolute value folds the line at ``x_i``, and a later layer's kink at ``x_j``
  reappears on the other side) and *midpoints* ``(x_i + x_j)/2`` (the fold
  between two kinks at equal height);
* for deeper absolute-value chains, the same two operations applied again to
  those first-order points ("reflections of reflections").

:func:`pair_points` is the one place these sets are built; the certificate's
probe points (:func:`lassobook.core.family.breakpoint_candidates`), the
dictionaries, the certificate samples and the kink classes of
:mod:`lassobook.analysis.kinks` all call it.
"""

from __future__ import annotations

import numpy as np


def reflect(point, about):
    """``2·about − point``: the mirror image of ``point`` about ``about`` (broadcasting)."""
    return 2 * np.asarray(about, dtype=np.float64) - np.asarray(point, dtype=np.float64)


def pair_points(x, other=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Midpoints and reflections of every ordered pair, flattened in row-major ``(i, j)`` order.

    With ``p = x`` and ``q = other`` (default ``x``): ``mids[i·|q| + j] = (p_i + q_j)/2``
    and ``reflections[i·|q| + j] = 2 p_i − q_j`` (``q_j`` mirrored about ``p_i``).  Pairs
    ``i = j`` are included (a reflection of a point about itself is the point); the
    arrays are neither sorted nor deduplicated, so seeded subsamples of them are
    reproducible.  Use :func:`mirror_set` for the sorted set of distinct mirrors.
    """
    p = np.asarray(x, dtype=np.float64).ravel()
    q = p if other is None else np.asarray(other, dtype=np.float64).ravel()
    pi, qj = np.meshgrid(p, q, indexing="ij")
    return ((pi + qj) / 2).ravel(), reflect(qj, pi).ravel()


def mirror_set(x, *, distinct: bool = False) -> np.ndarray:
    """Sorted unique reflections ``2x_i − x_j``; ``distinct``: only pairs ``i ≠ j``
    (so a data point counts only when it is the mirror of another point)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    _, refl = pair_points(x)
    if distinct:
        refl = refl[~np.eye(x.size, dtype=bool).ravel()]
    return np.unique(refl)


def second_order_points(x) -> dict[str, np.ndarray]:
    """Sorted unique point sets by order: ``"data"``, ``"midpoint"``, ``"reflection"``
    (all pairs, ``i = j`` included) and ``"second order"`` (midpoints and reflections of
    pairs of first-order points, e.g. ``2x_i − (2x_j − x_k)``)."""
    x = np.asarray(x, dtype=np.float64).ravel()
    mids, refl = pair_points(x)
    mids, refl = np.unique(mids), np.unique(refl)
    first = np.unique(np.concatenate([x, mids, refl]))
    mids2, refl2 = pair_points(first)
    second = np.unique(np.concatenate([refl2, mids2]))
    return {"data": x, "midpoint": mids, "reflection": refl, "second order": second}
