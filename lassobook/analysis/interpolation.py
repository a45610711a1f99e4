r"""The ``β → 0`` limit: minimum-ℓ1 interpolation and its whole solution set, exactly.

As ``β → 0`` the Lasso ``½‖Az + ξ1 − y‖² + β‖z‖₁`` (divided by β) tends to basis
pursuit, ``min ‖z‖₁`` subject to ``Az + ξ1 = y``: the minimum-norm interpolating
networks.  It is a linear program, solved here exactly by HiGHS
(:func:`basis_pursuit`, :func:`min_l1_interpolation`), and from any optimal dual
vector complementary slackness gives the *whole* optimal set as a polytope
(:class:`InterpolationSet`, :func:`interpolation_set`, whose vertices are
enumerated) — no small β and no tolerance on it.  :func:`off_data_columns` marks
the columns that bend off the data (reflections, midpoints), the ones the
paper's mirrors are about.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import comb

import cvxpy as cp
import numpy as np
from scipy.optimize import linprog

from lassobook.core.data import as_dataset
from lassobook.core.dictionary import build_dictionary
from lassobook.solvers.lasso import (
    CLARABEL_SETTINGS,
    LassoFit,
    LassoSolution,
    SolverError,
    check_beta,
    lasso_objective,
)


@dataclass
class PathPoint:
    """The optimum at one β of a regularization path."""

    beta: float
    objective: float
    l1_norm: float
    training_error: float  # ½‖f(X) − y‖²
    n_neurons: int
    kinks: np.ndarray = field(repr=False)
    z: np.ndarray = field(repr=False)
    xi: float = 0.0


def basis_pursuit(dictionary):
    r"""The ``β → 0`` limit of the Lasso: ``min ‖z‖₁`` s.t. ``Az + ξ1 = y``, exactly (HiGHS LP).

    Returns ``(z, xi, l1, lam)`` with ``lam`` a dual solution (``1ᵀλ = 0``,
    ``|A_kᵀλ| ≤ 1``, ``yᵀλ = l1``).  ``z`` is optimal *among networks of the family*
    iff ``max_{g ∈ G} |λᵀ g(X)| ≤ 1`` over the continuous family (the ``β → 0``
    certificate).
    """
    A, y = dictionary.matrix, dictionary.data.y
    n, p = A.shape
    # HiGHS' tolerances are absolute (1e-7): solve for labels scaled to unit size, scale back
    # (z and ξ scale with y, λ does not), so tiny labels (y ~ 1e-7) are fitted exactly too
    scale = float(np.abs(y - y.mean()).max())
    if scale == 0.0:                      # constant labels: the bias alone interpolates
        return np.zeros(p), float(y.mean()), 0.0, np.zeros(n)
    # variables: z+ (p), z- (p), xi+ , xi-
    A_eq = np.hstack([A, -A, np.ones((n, 1)), -np.ones((n, 1))])
    cost = np.concatenate([np.ones(2 * p), [0.0, 0.0]])
    res = linprog(cost, A_eq=A_eq, b_eq=y / scale, bounds=(0, None), method="highs")
    if res.status != 0:
        raise SolverError(f"HiGHS did not solve the basis-pursuit problem: {res.message}")
    z = scale * (res.x[:p] - res.x[p:2 * p])
    xi = scale * float(res.x[2 * p] - res.x[2 * p + 1])
    lam = np.asarray(res.eqlin.marginals, dtype=np.float64)
    return z, xi, float(np.abs(z).sum()), lam


def min_l1_interpolation(x, y=None, *, family) -> PathPoint:
    """The β → 0 limit: ``min ‖z‖₁`` subject to ``Az + ξ1 = y`` (a linear program).

    Raises SolverError if the dictionary cannot interpolate the data.
    """
    data = as_dataset(x, y)
    D = build_dictionary(data, family)
    A, yv = D.matrix, data.y
    zv, xi, _, _ = basis_pursuit(D)
    support = np.flatnonzero(np.abs(zv) > 1e-9 * max(1.0, np.abs(zv).max()))
    kinks = np.unique(np.concatenate([D.kinks(k) for k in support] or [np.empty(0)]))
    return PathPoint(beta=0.0, objective=float(np.abs(zv).sum()), l1_norm=float(np.abs(zv).sum()),
                     training_error=float(0.5 * np.sum((A @ zv + xi - yv) ** 2)),
                     n_neurons=int(support.size), kinks=kinks, z=zv, xi=xi)


# ---------------------------------------------------------------------- the β → 0 polytope
@dataclass
class InterpolationSet:
    r"""The ``β → 0`` limit of the optimal set: every minimum-ℓ1 interpolating ``z``.

    As ``β → 0`` the Lasso tends to basis pursuit, ``min ‖z‖₁`` subject to
    ``Az + ξ1 = y``.  For *any* optimal dual vector ``λ`` of that linear program
    (``1ᵀλ = 0``, ``|A_kᵀλ| ≤ 1``, ``yᵀλ = ‖z*‖₁``) complementary slackness gives the
    whole solution set exactly:

    .. math:: \{ z : z_k = 0\ (k \notin E),\ s_k z_k \ge 0,\ A_c z = y_c \},\qquad
              E = \{k : |A_k^\top\lambda| = 1\},\ s_k = A_k^\top\lambda ,

    since on it ``‖z‖₁ = λᵀAz = λᵀy``.  No tolerance on a small ``β`` is involved:
    the polytope comes from one exact LP (HiGHS) and the linear algebra of ``A_E``.

    Attributes
    ----------
    dictionary : Dictionary
    l1 : float
        The minimum ``‖z‖₁`` of an interpolating network.
    dual : ndarray of shape (n,)
        The LP's dual vector ``λ``.
    equicorrelation, signs, rank : as in :class:`OptimalSet` (with ``β = 1``).
    vertices : ndarray of shape (V, p)
        The extreme points found (zeros off ``E``).
    xi : ndarray of shape (V,)
        The output bias of each vertex.
    exhaustive : bool
        Every basis of ``A_E`` was enumerated.

    See Also
    --------
    optimal_set : the same for a solved Lasso at ``β > 0``.
    basis_pursuit : the linear program.
    """

    dictionary: object
    l1: float
    dual: np.ndarray = field(repr=False)
    equicorrelation: np.ndarray = field(repr=False)
    signs: np.ndarray = field(repr=False)
    rank: int
    vertices: np.ndarray = field(repr=False)
    xi: np.ndarray = field(repr=False)
    exhaustive: bool = False

    def __len__(self) -> int:
        return self.vertices.shape[0]

    def sparsest(self) -> np.ndarray:
        """Indices (into ``vertices``) of the vertices with the fewest nonzeros."""
        nnz = (self.vertices != 0).sum(axis=1)
        return np.flatnonzero(nnz == nnz.min())

    def contains(self, z, atol: float = 1e-8) -> bool:
        """Is ``z`` (shape (p,)) a minimum-ℓ1 interpolating solution (to ``atol``)?"""
        z = np.asarray(z, dtype=np.float64)
        A = self.dictionary.matrix
        y = self.dictionary.data.y
        r = A @ z + float(np.mean(y - A @ z)) - y
        return bool(np.abs(r).max() <= atol * max(1.0, np.abs(y).max())
                    and abs(np.abs(z).sum() - self.l1) <= atol * max(1.0, self.l1))

    def min_norm(self) -> np.ndarray:
        """The minimum-ℓ2-norm point of the set (a convex QP, Clarabel), shape (p,).

        Over the convex hull of :attr:`vertices` when they are all known (``exhaustive``),
        else over ``{z : A_E z fits, signs as on E}`` directly."""
        D = self.dictionary
        E, s = self.equicorrelation, self.signs
        A = D.matrix
        Ac = A - A.mean(axis=0)
        yc = D.data.y - D.data.y.mean()
        if E.size == 0:  # constant data: z = 0 is the only solution
            return np.zeros(A.shape[1])
        if len(self) == 1 and self.exhaustive:      # the set is one point
            return self.vertices[0].copy()
        if len(self) > 1 and self.exhaustive:
            # the set is the convex hull of its vertices: a QP over the simplex, always feasible
            # (the equality-constrained form below can be infeasible up to rounding when labels
            # are nearly tied, e.g. y_n = −1e-9)
            theta = cp.Variable(len(self))
            problem = cp.Problem(cp.Minimize(cp.sum_squares(self.vertices.T @ theta)),
                                 [theta >= 0, cp.sum(theta) == 1])
            problem.solve(solver=cp.CLARABEL, **CLARABEL_SETTINGS)
            if problem.status != cp.OPTIMAL:
                raise SolverError(f"Clarabel did not solve the minimum-norm problem: status {problem.status!r}")
            weights = np.maximum(np.asarray(theta.value), 0.0)
            return self.vertices.T @ (weights / weights.sum())
        w = cp.Variable(E.size)
        problem = cp.Problem(cp.Minimize(cp.sum_squares(w)), [(Ac[:, E] * s) @ w == yc, w >= 0])
        problem.solve(solver=cp.CLARABEL, **CLARABEL_SETTINGS)
        if problem.status != cp.OPTIMAL:
            raise SolverError(f"Clarabel did not solve the minimum-norm problem: status {problem.status!r}")
        z = np.zeros(A.shape[1])
        z[E] = s * np.maximum(np.asarray(w.value), 0.0)
        return z

    def fit_of(self, z, beta: float) -> LassoFit:
        """A :class:`LassoFit` holding ``z`` (shape (p,)), its bias and its Lasso objective at ``beta``."""
        D = self.dictionary
        A, y = D.matrix, D.data.y
        z = np.asarray(z, dtype=np.float64)
        xi = float(np.mean(y - A @ z))
        beta = check_beta(beta)
        sol = LassoSolution(z=z, xi=xi, objective=lasso_objective(A, y, z, xi, beta),
                            residual=y - A @ z - xi, status="interpolation", beta=beta)
        return LassoFit(D.data, D.family, beta, D, sol, zero_tol=1e-9)

    def fits(self, beta: float = 1e-7) -> list[LassoFit]:
        """One :class:`LassoFit` per vertex (objective evaluated at ``beta``)."""
        return [self.fit_of(z, beta) for z in self.vertices]


def _polytope_vertices(B, target, *, n_random, seed, max_bases, accept, fit_tol: float = 1e-8):
    """Vertices of ``{w ≥ 0 : Bw = target}`` by basis enumeration (if at most ``max_bases``
    bases) and by LPs with random objectives; ``accept(w)`` filters candidates, and a
    candidate must fit ``target`` to ``fit_tol`` (relative).

    Returns ``(W, rank, exhaustive)``: the distinct vertices found, shape (V, m).
    """
    m = B.shape[1]
    scale = max(1.0, np.abs(target).max())
    rank = int(np.linalg.matrix_rank(B, tol=1e-9 * max(1.0, np.abs(B).max()))) if m else 0
    found = []

    def keep(w):
        # a basic solution slightly below 0 (a near-tie in the labels, e.g. y_n = −1e-9) is a
        # vertex up to rounding: clip it, then check the clipped point still solves Bw = target
        if w is None or (w < -1e-7 * scale).any():
            return
        w = np.where(np.abs(w) < 1e-11 * scale, 0.0, np.maximum(w, 0.0))
        if np.abs(B @ w - target).max() > fit_tol * scale:
            return
        if accept(w):
            found.append(w)

    exhaustive = m == 0 or comb(m, rank) <= max_bases
    if exhaustive and m:
        for S in itertools.combinations(range(m), rank):
            BS = B[:, S]
            if np.linalg.matrix_rank(BS) < rank:
                continue
            w_S, *_ = np.linalg.lstsq(BS, target, rcond=None)
            w = np.zeros(m)
            w[list(S)] = w_S
            keep(w)
    rng = np.random.default_rng(seed)
    for _ in range(n_random if m else 0):
        res = linprog(rng.standard_normal(m), A_eq=B, b_eq=target, bounds=(0, None), method="highs")
        keep(res.x if res.status == 0 else None)
    if m == 0 and np.abs(target).max(initial=0.0) <= 1e-8 * scale:
        found.append(np.zeros(0))  # nothing is tight and nothing to fit: z = 0
    if not found:
        return np.zeros((0, m)), rank, bool(exhaustive)
    F = np.array(found)
    _, first = np.unique(np.round(F / max(1.0, np.abs(F).max(initial=0.0)), 7), axis=0, return_index=True)
    return F[np.sort(first)], rank, bool(exhaustive)


def interpolation_set(x, y=None, *, family=None, dictionary=None, tol: float = 1e-7,
                      n_random: int = 100, seed: int = 0, max_bases: int = 200_000) -> InterpolationSet:
    """All minimum-ℓ1 interpolating networks of a dictionary: the ``β → 0`` optimal set.

    Parameters
    ----------
    x, y : data (or a Dataset as ``x``); ignored when ``dictionary`` is given
    family : Family, optional
        Build its dictionary on the data.
    dictionary : Dictionary, optional
        Use this dictionary instead.
    tol : float
        ``|A_kᵀλ| ≥ 1 − tol`` defines ``E`` (HiGHS' dual is accurate to ~1e-9); a
        vertex is kept only if its ``‖z‖₁`` is within ``tol`` (relative) of the minimum,
        so a column let in by the tolerance cannot produce a non-optimal vertex.
    n_random, seed, max_bases : as in :func:`optimal_set`.

    Raises
    ------
    SolverError
        The dictionary cannot interpolate the data (the LP is infeasible).
    """

    if dictionary is None:
        if family is None:
            raise ValueError("give a family or a dictionary")
        dictionary = build_dictionary(as_dataset(x, y), family)
    A, yv = dictionary.matrix, dictionary.data.y
    _, _, l1, lam = basis_pursuit(dictionary)
    corr = A.T @ lam
    E = np.flatnonzero(np.abs(corr) >= 1 - tol)
    s = np.sign(corr[E])
    Ac = A - A.mean(axis=0)
    B = Ac[:, E] * s
    target = yv - yv.mean()
    W, rank, exhaustive = _polytope_vertices(
        B, target, n_random=n_random, seed=seed, max_bases=max_bases,
        accept=lambda w: w.sum() <= l1 * (1 + tol) + 1e-12)
    Z = np.zeros((W.shape[0], A.shape[1]))
    Z[:, E] = W * s
    xi = np.array([float(np.mean(yv - A @ z)) for z in Z])
    return InterpolationSet(dictionary, float(l1), lam, E, s, rank, Z, xi, exhaustive)


def off_data_columns(dictionary, atol: float = 1e-9) -> np.ndarray:
    """Boolean mask over the columns: the shape bends strictly inside the data range at a
    point that is not a data point (a reflection or midpoint feature, as the data see it).

    Kinks outside ``[x_1, x_N]`` do not count: there the shape is linear on the data.
    """
    xs = dictionary.data.x_sorted
    out = np.zeros(dictionary.size, dtype=bool)
    for k in range(dictionary.size):
        t = dictionary.kinks(k)
        t = t[(t > xs[0] + atol) & (t < xs[-1] - atol)]
        out[k] = bool(t.size and (np.abs(t[:, None] - xs[None, :]).min(axis=1) > atol).any())
    return out
