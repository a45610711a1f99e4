r"""Certified global training at scale: a structured Lasso solver with no dense dictionary.

The dense route (:func:`lassobook.solvers.lasso.fit_dense`) builds the whole dictionary
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

It returns a :class:`StructuredFit`, a :class:`~lassobook.solvers.lasso.LassoFit` whose
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
  :func:`lassobook.families.sign_patterns.max_switching_correlation` is exact);
* deep narrow ReLU, ``L = 3`` and ``L = 4`` — every chain is ``±`` a capped ramp
  plus a constant and ``F`` is linear between data points, so
  ``max |F(p) − F(q)|`` over *all* ``p < q`` is ``max_n F(x_n) − min_n F(x_n)``:
  ``O(N)`` for the whole continuous family, reflections included;
* three-layer absolute value with all three feature kinds — the maximum over the
  ``(a, c)`` plane is attained at a vertex of the arrangement, i.e. at a
  two-layer, reflection or midpoint column (:mod:`lassobook.paper.abs_three_layer`;
  verified numerically by the sampled certificate in the tests).  With a subset of
  the feature kinds the certificate is over that dictionary only.

No structured oracle exists here for the narrow chains of :mod:`lassobook.families.chains`
(four-layer absolute value, leaky-ReLU and mixed chains): their vertex columns
are not single ramps — a four-layer abs column has up to seven kinks, placed by
three data points at once — so they use the dense route;
:func:`structured_oracle` says so.

See Also
--------
lassobook.solvers.lasso.fit_dense : the dense reference (cvxpy + Clarabel on the full dictionary).
lassobook.core.certificate.certify : the sampled certificate over the continuous family.
lassobook.solvers.tv.tv_denoise : the exact ``O(N)`` route for two-layer threshold and sign.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lassobook.core.certificate import Certificate
from lassobook.core.data import Dataset, as_dataset
from lassobook.core.dictionary import Dictionary
from lassobook.core.family import Family
from lassobook.core.oracle import StructuredOracle
from lassobook.solvers.gram import _WorkingSet
from lassobook.solvers.gram_lasso import solve_gram_lasso
from lassobook.solvers.lasso import (
    LassoFit,
    LassoSolution,
    SolverError,
    _sparsify,
    check_beta,
)

#: ``fit_structured(initial=None)`` puts the whole dictionary into the first working set when
#: forming its Gram matrix costs at most this many multiply-adds (``N·columns²``; e.g. two-layer
#: ReLU to N = 125, L = 4 chains to N = 32): one exact restricted solve, then the certificate.
#: Measured: faster than column generation up to about there, slower beyond.
SMALL_PROBLEM = 8_000_000

#: The working set keeps at most ``max(WORKING_SET_CAP, 4·support)`` columns: beyond that the
#: zero-coefficient columns least correlated with the residual leave first.  Deep sign networks
#: with ``K = 4`` switches have thousands of columns within 0.1% of tight at every iteration
#: (any alternation of the residual's extremes is one), which ``prune`` keeps; this bounds the
#: Gram matrix (8·cap² bytes) and each iteration's ``O(cap²)`` work.
WORKING_SET_CAP = 4000


def structured_oracle(family, data) -> StructuredOracle:
    """The structured oracle of ``family`` on ``data`` (the family's :meth:`~lassobook.core.family.Family.oracle` hook).

    Raises
    ------
    ValueError
        If ``family`` is not a :class:`~lassobook.core.family.Family` or has no
        structured oracle.
    """
    data = data if isinstance(data, Dataset) else as_dataset(*data)
    if not isinstance(family, Family):
        raise ValueError(f"family must be a lassobook Family (see lassobook.get_family), got {family!r}")
    return family.oracle(data)


@dataclass
class StructuredFit(LassoFit):
    """A :class:`~lassobook.solvers.lasso.LassoFit` found without the full dictionary (:func:`fit_structured`).

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
    working_set_size: int = 0
    _chunk_entries = 1 << 22          # units × points per chunk of network_objective (not a field)

    @property
    def iterations(self) -> int:
        """Working-set iterations (restricted solves) the fit took."""
        return len(self.history)

    def network_objective(self) -> float:
        """The rebuilt network's own training objective (as :meth:`LassoFit.network_objective`),
        its squared errors summed over chunks of the data without autograd: memory ``O(width·chunk)``,
        not ``O(width·N)``."""
        import torch

        net, data = self.network(), self.data
        chunk = max(1, self._chunk_entries // max(1, net.width))
        with torch.no_grad():
            sq = sum(float(net.objective(data.x[i:i + chunk], data.y[i:i + chunk], 0.0,
                                         weights=data.w[i:i + chunk])[0])
                     for i in range(0, data.n, chunk))
            return sq + float(net.penalty(self.beta)[0]) + data.offset

    def certificate(self, *, tol: float | None = None, sampled: bool = False, **kwargs) -> Certificate:
        """The certificate with the dual maximum computed by the oracle over the full dictionary.

        ``max_k |A_kᵀλ| ≤ β(1 + tol)`` over *all* columns of the family's
        dictionary (and over the continuous unit family where
        :attr:`StructuredOracle.continuous`), then the duality gap and the rebuilt
        network (:func:`lassobook.core.certificate.finish`).  ``n_shapes`` is the size of
        the full dictionary.  ``sampled=True`` runs the dense sampled check instead
        (small problems only).
        """
        from lassobook.core.certificate import DUAL_TOL, certify

        if sampled or not self.oracle.continuous:   # the continuous family needs the sample
            return certify(self, tol=DUAL_TOL if tol is None else tol, **kwargs)
        tol = max(self.tol, 1e-9) * 10 if tol is None else float(tol)
        return certify(self, tol=tol, sampled=False, oracle=self.oracle)

    def duality_gap(self, certificate: Certificate | None = None) -> float:
        r"""A certified bound on ``objective − optimum`` (never negative): ``P − D(λ/max(1, ρ))``
        (:func:`lassobook.core.certificate.finish`; up to rounding in the subtraction)."""
        cert = self.certificate() if certificate is None else certificate
        return max(0.0, cert.primal - cert.dual)

    _keys: np.ndarray = field(default=None, repr=False)

    def __repr__(self):
        return (f"StructuredFit({self.family}, n={self.data.n}, beta={self.beta:g}, "
                f"objective={self.objective:.10g}, neurons={self.support.size}/{self.dictionary.size} "
                f"of {self.oracle.n_columns}, iterations={len(self.history)})")


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


def fit_structured(x, y=None, *, family, beta: float, tol: float = 1e-6, batch: int = 20,
                   initial: int | None = None, max_iter: int = 500, prune: float = 0.5,
                   time_limit: float | None = None, verbose: bool = False) -> StructuredFit:
    r"""Fit ``family`` to ``(x, y)`` through its Lasso without forming the full dictionary.

    Parameters
    ----------
    x, y : array_like of shape (n,) (or a Dataset as ``x``)
    family : Family
        One with a structured oracle (``family.has_oracle``; the rows marked so in
        :data:`lassobook.families.FAMILIES`).
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
        violated), and keep at most ``max(WORKING_SET_CAP, 4·support)`` columns
        (:func:`_keep_mask`); 0 keeps every column.
    time_limit : float, optional
        Seconds; raise :class:`~lassobook.solvers.lasso.SolverError` when exceeded.
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
    beta_s = math.ldexp(beta, -(pw + py + family.degree * px))
    W, z, ymean, history = _column_generation(structured_oracle(family, scaled), scaled, beta_s,
                                              tol=tol, batch=batch, initial=initial,
                                              max_iter=max_iter, prune=prune,
                                              time_limit=time_limit, verbose=verbose, t0=t0)
    # back to the caller's units: every factor is a power of two, so this is exact
    for record in history:     # the restricted objectives, in the caller's units
        record["objective"] = math.ldexp(record["objective"], pw + 2 * py)
    W.release_gram()            # the Gram matrix is done with: its memory is free for the fit's columns
    fit = _assemble(oracle, data, beta, W, z, ymean, (px, py), t0)
    fit.history, fit.tol, fit.working_set_size = history, float(tol), len(W)
    return fit


def _assemble(oracle, data: Dataset, beta: float, W: _WorkingSet, z, ymean: float, exps, t0):
    """The :class:`StructuredFit` of the working set's solution ``z`` (scaled units), in the caller's units.

    Its dictionary holds the support's columns only when the working set is large
    (memory ``N·support``), evaluated by the family's own shapes at ``data.x``.
    """
    family, (px, py), d = oracle.family, exps, oracle.family.degree
    keys, means = W.keys, W.means
    raw = W.raw
    if data.n * len(W) > W.cache:   # large: the solution's columns only (memory ~ N·support)
        top = float(np.abs(z).max(initial=0.0))     # below 1e-8·max|z| is zero (as _sparsify)
        cols = np.flatnonzero(np.abs(z) > 1e-8 * top) if top > 0 else np.arange(min(1, len(W)))
        keys, means, z = keys[cols], means[cols], z[cols]
        raw = None if raw is None else raw[:, cols]
    params = oracle.params(keys)
    labels = _KeyLabels(oracle, keys)
    if raw is not None:      # the same numbers evaluate_shapes gives at data.x, rows in the caller's order
        matrix = np.ldexp(data.to_caller_order(raw), d * px)
    else:                    # column by column at data.x (the oracle's columns: evaluate_shapes' numbers)
        matrix = np.empty((data.n, keys.shape[0]), order="F")
        for j in range(keys.shape[0]):
            matrix[:, j] = oracle.matrix(keys[j:j + 1], data.x)[:, 0]
    xi = math.ldexp(float(ymean - means @ z), py)
    z = np.ldexp(z, py - d * px)
    dictionary = Dictionary(family, data, params, labels, _OwnAliases(labels), matrix)
    r = data.y - matrix @ z - xi
    residual = data.w * r                     # λ; the objective as lasso_objective, one product
    objective = float(0.5 * (r @ residual) + beta * np.abs(z).sum())
    solution = LassoSolution(z=z, xi=xi, objective=objective, residual=residual, status="optimal",
                             beta=beta, min_norm=False, solve_time=time.perf_counter() - t0)
    solution = _sparsify(solution, matrix, data.y, data.w)   # the network has exactly these units
    return StructuredFit(data, family, beta, dictionary, solution, oracle=oracle, _keys=keys)


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
        _check_limits(it, max_iter, time_limit, t0, ratio, len(W))
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
        z, method = solve_gram_lasso(W.G, W.b, beta, z0=np.concatenate([z, np.zeros(len(W) - k_old)]))
        lam, half = W.residual(z)
        big = np.abs(z) > 1e-9 * max(1e-300, np.abs(z).max(initial=0.0))
        support = int(np.count_nonzero(big))
        ratio, cand = _price(oracle, oracle.sums(lam), beta, tol, max(batch, support // 2))
        history.append({"iteration": it + 1, "working_set": len(W), "added": int(added),
                        "objective": half + beta * float(np.abs(z).sum()),
                        "support": support, "ratio": float(ratio),
                        "method": method, "time": time.perf_counter() - t0})
        if verbose:
            print(f"iteration {it + 1:3d}: working set {len(W):5d} (+{added}), support "
                  f"{support:5d}, max |A_kᵀλ|/β = {ratio:.12f} [{method}], "
                  f"{time.perf_counter() - t0:.2f} s")
        if prune > 0 and ratio > 1 + tol:
            mask = _keep_mask(W, z, big, prune * beta, max(WORKING_SET_CAP, 4 * support))
            if not mask.all():
                W.keep(mask)
                z = z[mask]
    if len(W) == 0:          # β ≥ max |A_kᵀ(y − ȳ)|: z = 0 is optimal; keep the best column
        W.add(cand[:1])
        z = np.zeros(len(W))
    return W, z, ymean, history


def _keep_mask(W, z, big, floor: float, cap: int) -> np.ndarray:
    """The working-set columns to keep: the support (``big``), and the others whose ``|A_kᵀλ|`` is at
    least ``floor`` — the most correlated of them only, if that would make more than ``cap``."""
    S = np.flatnonzero(z)
    corr = np.abs(W.b - W.G[S].T @ z[S])          # A_kᵀλ on the working set (G symmetric)
    mask = big | (corr >= floor)
    extra = int(mask.sum()) - cap
    if extra > 0:
        free = np.flatnonzero(mask & ~big)
        mask[free[np.argsort(corr[free], kind="stable")[:extra]]] = False
    return mask


def _check_limits(it: int, max_iter: int, time_limit, t0: float, ratio: float, size: int) -> None:
    """Raise :class:`SolverError` at ``max_iter`` iterations or after ``time_limit`` seconds."""
    if it == max_iter:
        raise SolverError(f"no certificate after {max_iter} working-set iterations "
                          f"(max |A_kᵀλ|/β = {ratio:.12g}, working set {size})")
    if time_limit is not None and time.perf_counter() - t0 > time_limit:
        raise SolverError(f"time limit {time_limit:g} s reached after {it} iterations "
                          f"(max |A_kᵀλ|/β = {ratio:.12g})")


def _price(oracle, sums, beta: float, tol: float, k: int):
    """``(max_k |A_kᵀλ|/β over the full dictionary, up to k most violated columns)`` — the
    candidates only when the maximum exceeds ``β(1 + tol)`` if the maximum alone is cheaper."""
    if oracle.fast_maximum:
        ratio = oracle.maximum(sums) / beta
        cand = oracle.search(sums, k)[1] if ratio > 1 + tol else None
        return ratio, cand
    value, cand, _ = oracle.search(sums, k)
    return value / beta, cand


# ============================================================================ the dense reference
def dense_fit(x, y=None, *, family, beta: float) -> LassoFit:
    """The dense reference: the family's full (pruned) dictionary and cvxpy + Clarabel.

    Every family's dictionary is :func:`lassobook.core.dictionary.build_dictionary`.
    """
    from lassobook.solvers.lasso import fit_dense

    return fit_dense(as_dataset(x, y), family=family, beta=beta)
