r"""The solution landscape of a Lasso: every optimal network, and the β path.

For a solved Lasso the residual ``λ* = y − Az* − ξ*1`` — hence the fitted values
— is the same at every optimum.  The KKT conditions then pin the optimal set
down exactly:

* the *equicorrelation set* ``E = {k : |A_kᵀλ*| = β}`` holds every column any
  optimal solution can use, with the sign ``s_k = A_kᵀλ*/β``;
* the optimal set is the polytope

  .. math:: \mathcal P = \{ z : z_k = 0 \ (k \notin E),\ s_k z_k \ge 0,\
            A_c z = A_c z^\star \},

  (``A_c`` the centered dictionary, the free bias follows), on which
  ``‖z‖₁ = λ*ᵀA z/β`` and so the objective are constant.

Its vertices are the *extreme* optimal networks, the sparsest ones among them
(a vertex uses at most ``rank`` columns).  :func:`optimal_set` finds them by
linear programs over ``𝒫`` with random objectives, and — when ``E`` is small —
by enumerating every basis, so the two can be compared.

:func:`regularization_path` follows the optimum over a grid of β, reusing one
compiled cvxpy problem; :func:`min_l1_interpolation` is the β → 0 limit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from math import comb

import cvxpy as cp
import numpy as np
from scipy.optimize import linprog
from tqdm import tqdm

from .datasets import as_dataset
from .dictionaries import build_dictionary
from .lasso import CLARABEL_SETTINGS, LassoFit, LassoSolution, SolverError, check_beta, lasso_objective

__all__ = ["OptimalSet", "optimal_set", "vertex_solution", "basis_pursuit", "PathPoint", "regularization_path", "min_l1_interpolation",
           "InterpolationSet", "interpolation_set", "off_data_columns", "path_sparsity", "TightKinks",
           "tight_kinks", "RUN_CLASSES", "RunClasses", "classify_runs", "plot_optimal_network", "plot_path",
           "describe_column", "network_name", "ramp_coefficients", "library_table", "plot_library",
           "beta_grid", "check_path", "adam_table", "RUN_COLOURS", "plot_runs", "check_library",
           "theory_vertices", "distance_to_small_beta", "min_norm_points", "lasso_min_norm_gap",
           "as_mixture", "mirror_network", "plot_paths"]


@dataclass
class OptimalSet:
    """The set of optimal solutions of a solved Lasso.

    Attributes
    ----------
    fit : LassoFit
        The solved Lasso the set was computed from.
    equicorrelation : ndarray of int
        ``E``: columns with ``|A_kᵀλ| ≥ β(1 − tol)``, and the solver's support.
    signs : ndarray of shape (len(E),)
        ``s_k = sign(A_kᵀλ)`` on ``E``.
    rank : int
        Rank of the centered ``A_E``: a vertex uses at most this many columns.
    vertices : ndarray of shape (V, p)
        The extreme optimal ``z`` found (full length ``p``, zeros off ``E``).
    exhaustive : bool
        True if every basis of ``A_E`` was enumerated (so ``vertices`` is all of them).
    """

    fit: LassoFit
    equicorrelation: np.ndarray
    signs: np.ndarray
    rank: int
    vertices: np.ndarray = field(repr=False)
    exhaustive: bool = False

    def fits(self) -> list[LassoFit]:
        """One :class:`LassoFit` per extreme point (same data, dictionary and β)."""
        out = []
        A, y, beta = self.fit.dictionary.matrix, self.fit.data.y, self.fit.beta
        for z in self.vertices:
            xi = float(np.mean(y - A @ z))
            sol = LassoSolution(z=z, xi=xi, objective=lasso_objective(A, y, z, xi, beta),
                                residual=y - A @ z - xi, status="vertex", beta=beta)
            out.append(LassoFit(self.fit.data, self.fit.family, beta, self.fit.dictionary, sol))
        return out

    def sparsest(self) -> np.ndarray:
        """Indices (into ``vertices``) of the vertices with the fewest nonzeros."""
        nnz = (np.abs(self.vertices) > 1e-9 * max(1.0, np.abs(self.vertices).max())).sum(1)
        return np.flatnonzero(nnz == nnz.min())


def optimal_set(fit: LassoFit, *, tol: float = 1e-4, objective_rtol: float = 1e-7,
                n_random: int = 200, seed: int = 0, max_bases: int = 200_000) -> OptimalSet:
    """Equicorrelation set and extreme points of the optimal set of ``fit``.

    Parameters
    ----------
    fit : LassoFit
    tol : float
        Relative tolerance on ``|A_kᵀλ| = β`` defining ``E`` (columns in the solver's
        support are always included).
    objective_rtol : float
        A vertex is kept when its objective is within this relative tolerance of the optimum.
    n_random : int
        Linear programs with random objectives over ``𝒫`` (each returns a vertex).
    seed : int
        Seed of the random objectives.
    max_bases : int
        Enumerate all ``C(|E|, rank)`` bases exactly when there are at most this many.
    """
    A = fit.dictionary.matrix
    lam, beta = fit.solution.residual, fit.beta
    corr = A.T @ lam
    # Generous E (tolerance and the solver's support): vertices of the true optimal set are
    # vertices of this larger polytope too (the true set is a face of it), and the
    # objective filter below drops the vertices that are not optimal.
    E = np.union1d(np.flatnonzero(np.abs(corr) >= beta * (1 - tol)), fit.support)
    s = np.sign(corr[E])
    Ac = A - A.mean(axis=0)
    B = Ac[:, E] * s  # w = s * z_E >= 0,  B w = target
    # The solver's z* is optimal only to its tolerance: project it onto the KKT pattern
    # (zero off E, signs s on E) so that the target fitted values lie exactly in the polytope.
    target = B @ np.maximum(s * fit.solution.z[E], 0.0)
    y = fit.data.y - fit.data.y.mean()
    optimum = fit.objective

    def optimal(w):
        return lasso_objective(Ac[:, E], y, s * w, 0.0, beta) <= optimum * (1 + objective_rtol) + 1e-12

    W, rank, exhaustive = _polytope_vertices(B, target, n_random=n_random, seed=seed, max_bases=max_bases,
                                             accept=optimal, fit_tol=1e-7)
    Z = np.zeros((W.shape[0], A.shape[1]))
    Z[:, E] = W * s
    return OptimalSet(fit, E, s, rank, Z, exhaustive=bool(exhaustive))


def vertex_solution(fit, *, rtol: float = 1e-7):
    """A sparse optimal Lasso solution: a vertex of the optimal set of ``fit``.

    Interior-point solvers return a point in the relative interior of the
    optimal set, which often uses many columns.  The fitted values of a Lasso
    are unique, so the optimal set is ``{z : A_c z = A_c z*, ‖z‖₁ = ‖z*‖₁}``
    (``A_c`` the column-centered dictionary).  This solves
    ``min ‖z‖₁ s.t. A_c z = A_c z*`` as a linear program with the HiGHS dual
    simplex, whose basic solution has at most ``rank(A_c) ≤ N − 1`` nonzeros:
    an optimal network with that few units (sparse, not necessarily the sparsest).

    Parameters
    ----------
    fit : LassoFit
    rtol : float
        The new objective must be within ``rtol`` (relative) of ``fit.objective``.

    Returns
    -------
    LassoFit with the same dictionary and a vertex solution.
    """
    A, y = fit.dictionary.matrix, fit.data.y
    a_mean = A.mean(axis=0)
    Ac = A - a_mean
    target = Ac @ fit.solution.z
    p = A.shape[1]
    res = linprog(np.ones(2 * p), A_eq=np.hstack([Ac, -Ac]), b_eq=target, bounds=(0, None),
                  method="highs-ds")
    if res.status != 0:
        raise SolverError(f"HiGHS did not solve the vertex problem: {res.message}")
    z = res.x[:p] - res.x[p:]
    z[np.abs(z) <= 1e-12 * max(1.0, np.abs(z).max(initial=0))] = 0.0
    xi = float(y.mean() - a_mean @ z)
    obj = lasso_objective(A, y, z, xi, fit.beta)
    if abs(obj - fit.objective) > rtol * abs(fit.objective) + 1e-12 * max(1.0, float(y @ y)):
        raise SolverError(f"vertex solution objective {obj!r} differs from the optimum "
                          f"{fit.objective!r} by more than rtol={rtol:g}")
    sol = LassoSolution(z=z, xi=xi, objective=obj, residual=y - A @ z - xi, status="optimal",
                        beta=fit.beta, min_norm=False, solve_time=fit.solution.solve_time)
    return LassoFit(fit.data, fit.family, fit.beta, fit.dictionary, sol, zero_tol=fit.zero_tol)


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


def regularization_path(x, y=None, *, family, betas, progress: bool = False) -> list[PathPoint]:
    """The Lasso optimum over a grid of β (one compiled cvxpy problem, re-solved per β).

    Returns the points in the order of ``betas``.
    """
    data = as_dataset(x, y)
    betas = [check_beta(b) for b in np.atleast_1d(betas)]
    D = build_dictionary(data, family)
    A, yv = D.matrix, data.y
    a_mean, y_mean = A.mean(axis=0), yv.mean()
    z = cp.Variable(A.shape[1])
    beta_p = cp.Parameter(nonneg=True)
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares((A - a_mean) @ z - (yv - y_mean))
                                     + beta_p * cp.norm1(z)))
    points = []
    for beta in tqdm(betas, desc="β path", disable=not progress, leave=False):
        beta_p.value = beta
        problem.solve(solver=cp.CLARABEL, **CLARABEL_SETTINGS)
        if problem.status != cp.OPTIMAL:
            raise SolverError(f"Clarabel did not reach optimality at beta={beta:g}: status {problem.status!r}")
        zv = np.asarray(z.value)
        xi = float(y_mean - a_mean @ zv)
        support = np.flatnonzero(np.abs(zv) > 1e-8 * max(1.0, np.abs(zv).max()))
        kinks = np.unique(np.concatenate([D.kinks(k) for k in support] or [np.empty(0)]))
        r = A @ zv + xi - yv
        points.append(PathPoint(beta=beta, objective=lasso_objective(A, yv, zv, xi, beta),
                                l1_norm=float(np.abs(zv).sum()), training_error=float(0.5 * r @ r),
                                n_neurons=int(support.size), kinks=kinks, z=zv, xi=xi))
    return points


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


# ---------------------------------------------------------------------- the β path, sparsity
def path_sparsity(points, x, y=None, *, family, n_random: int = 20, seed: int = 0) -> np.ndarray:
    """Neurons of the sparsest optimal network found at each point of a β path.

    The interior-point solutions of :func:`regularization_path` lie inside the optimal
    set and use every column they can (``PathPoint.n_neurons``); this counts the
    nonzeros of the sparsest vertex of :func:`optimal_set` found by ``n_random``
    random linear programs (no basis enumeration), shape (len(points),).
    """
    data = as_dataset(x, y)
    D = build_dictionary(data, family)
    A, yv = D.matrix, data.y
    out = []
    for p in points:
        sol = LassoSolution(z=p.z, xi=p.xi, objective=p.objective, residual=yv - A @ p.z - p.xi,
                            status="optimal", beta=p.beta)
        S = optimal_set(LassoFit(data, family, p.beta, D, sol), n_random=n_random, seed=seed,
                        max_bases=0)
        nnz = (S.vertices != 0).sum(axis=1)
        out.append(int(nnz.min()) if nnz.size else int(p.n_neurons))
    return np.array(out)


# ---------------------------------------------------------------------- Adam against the landscape
@dataclass
class TightKinks:
    """Where optimal networks of the *continuous* family can bend (see :func:`tight_kinks`).

    Attributes
    ----------
    points : ndarray
        Data points at which some tight shape bends.
    intervals : ndarray of shape (K, 2)
        Gaps ``(x_i, x_{i+1})`` between consecutive data points inside which some tight
        shape bends — then every point of the gap is a tight kink (the dual is linear
        in the kink position there).
    hull : tuple (x_1, x_N)
        Kinks at or outside the data range are invisible on the data and always allowed.
    """

    points: np.ndarray
    intervals: np.ndarray
    hull: tuple = (-np.inf, np.inf)

    def near(self, t, radius: float) -> np.ndarray:
        """Boolean per position in ``t``: within ``radius`` of a tight point or interval, or of
        the ends of the data range (or outside it)."""
        t = np.atleast_1d(np.asarray(t, dtype=np.float64))
        hit = (t <= self.hull[0] + radius) | (t >= self.hull[1] - radius)
        if self.points.size:
            hit |= np.abs(t[:, None] - self.points[None, :]).min(axis=1) <= radius
        for lo, hi in self.intervals:
            hit |= (t >= lo - radius) & (t <= hi + radius)
        return hit


def tight_kinks(fit, *, rtol: float = 1e-4, resolution: int = 2000) -> TightKinks:
    r"""Kinks (inside the data range) of the shapes with ``|λᵀg(X)| ≥ β(1 − rtol)``.

    Every unit of an optimal network of *any* width is tight (KKT of the convex problem
    over unit measures), so a network bending where no tight shape bends is not optimal.
    (Tight is necessary, not sufficient.)  The continuous family is sampled with
    ``family.candidate_params``, as in the certificate.
    """
    from .certificate import dual_correlations

    data, fam = fit.data, fit.family
    xs = data.x_sorted
    params = fam.candidate_params(data, resolution)
    corr = dual_correlations(fam, data.x, fit.solution.residual, params)
    tight = np.flatnonzero(corr >= fit.beta * (1 - rtol))
    kinks = [fam.kinks({n: v[k] for n, v in params.items()}) for k in tight]
    t = np.concatenate(kinks) if kinks else np.empty(0)
    t = t[(t >= xs[0] - 1e-9) & (t <= xs[-1] + 1e-9)]
    distance = np.abs(t[:, None] - xs[None, :])                  # (kinks, data points)
    at_data = distance.min(axis=1) <= 1e-9 * max(1.0, np.abs(xs).max())
    points = np.unique(xs[distance[at_data].argmin(axis=1)])
    gaps = np.unique(np.searchsorted(xs, t[~at_data]) - 1)       # t in (x_i, x_{i+1}) -> i
    intervals = np.array([[xs[i], xs[i + 1]] for i in gaps]).reshape(-1, 2)
    return TightKinks(points, intervals, (float(xs[0]), float(xs[-1])))


#: The four classes of :func:`classify_runs`, in order.
RUN_CLASSES = ("optimal", "near-optimal, tight kinks", "near-optimal, other kinks", "stuck")


@dataclass
class RunClasses:
    """Adam runs sorted against the landscape (see :func:`classify_runs`).

    Attributes
    ----------
    labels : ndarray of str (S,)      one of :data:`RUN_CLASSES` per run
    gaps : ndarray (S,)               ``(objective − optimum) / optimum``
    kinks : list of ndarray           the network's kinks inside the data range, per run
    stray : ndarray bool (S,)         some kink is not near a tight kink
    tight : TightKinks
    """

    labels: np.ndarray
    gaps: np.ndarray
    kinks: list = field(repr=False)
    stray: np.ndarray = field(repr=False)
    tight: TightKinks = field(repr=False)

    def counts(self) -> dict:
        """Runs per class (every class present, possibly 0)."""
        return {c: int(np.sum(self.labels == c)) for c in RUN_CLASSES}


def classify_runs(runs, fit, *, rtol: float = 1e-3, near: float = 5e-2, radius: float = 0.1,
                  min_change: float = 0.05, tight: TightKinks | None = None) -> RunClasses:
    """Classify trained networks against the optimum of ``fit`` (same data, family and β).

    * ``optimal``: objective within ``rtol`` (relative) of the Lasso optimum;
    * ``near-optimal, tight kinks``: within ``near``, every kink (slope change ≥
      ``min_change``, inside the data range) within ``radius`` of a kink some optimal
      network may have (:func:`tight_kinks`) — on its way to the optimal set;
    * ``near-optimal, other kinks``: within ``near`` but bending where no optimal
      network bends — a different support;
    * ``stuck``: further than ``near``.

    Parameters
    ----------
    runs : lassobook.training.AdamRuns
    fit : LassoFit
    """
    from .deep_narrow import function_kinks
    from .networks import as_tensor
    import torch

    data = fit.data
    xs = data.x_sorted
    tight = tight_kinks(fit) if tight is None else tight
    gaps = (np.asarray(runs.objectives, dtype=np.float64) - fit.objective) / abs(fit.objective)
    span = xs[-1] - xs[0]
    grid = np.linspace(xs[0] - 0.05 * span, xs[-1] + 0.05 * span, 20001)
    with torch.no_grad():
        values = runs.network(as_tensor(grid)).numpy()
    kinks = [k[(k >= xs[0] - radius) & (k <= xs[-1] + radius)]
             for k in function_kinks(values, grid, min_change)]
    stray = np.array([bool(k.size and not tight.near(k, radius).all()) for k in kinks])
    labels = np.where(gaps <= rtol, RUN_CLASSES[0],
                      np.where(gaps <= near, np.where(stray, RUN_CLASSES[2], RUN_CLASSES[1]),
                               RUN_CLASSES[3]))
    return RunClasses(labels.astype(object), gaps, kinks, stray, tight)


# ---------------------------------------------------------------------- figures
def plot_optimal_network(fit, ax=None, *, title: str | None = None):
    """One optimal network (a :class:`LassoFit`): the network, the data, its kinks, and the
    kinks that are not data points (reflections, midpoints) as mirror diamonds."""
    import matplotlib.pyplot as plt

    from .plotting import STYLE, input_grid, plot_fit

    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 2.4))
    plot_fit(fit, ax, title=title, legend=False)
    xs = fit.data.x_sorted
    off = [t for n in fit.neurons() for t in n["kinks"]
           if xs[0] < t < xs[-1] and np.abs(xs - t).min() > 1e-9]
    if off:
        off = np.unique(off)
        grid = input_grid(fit.data.x)
        ax.scatter(off, np.interp(off, grid, fit.predict(grid)), **STYLE["mirror"])
    ax.set_xlabel("")
    return ax


def plot_path(points, axes, *, label: str | None = None, neurons=None, **line):
    """A β path on four axes: neurons, objective, training error ``½‖f − y‖²``, ``‖z‖₁`` vs β.

    ``neurons`` (e.g. from :func:`path_sparsity`) replaces ``PathPoint.n_neurons`` in the first panel.
    """
    from .plotting import STYLE

    betas = np.array([p.beta for p in points])
    n = np.array([p.n_neurons for p in points]) if neurons is None else np.asarray(neurons)
    series = [(n, "neurons (sparsest optimal)" if neurons is not None else "neurons", False),
              (np.array([p.objective for p in points]), "objective", True),
              (np.array([p.training_error for p in points]), "training error ½‖f − y‖²", True),
              (np.array([p.l1_norm for p in points]), "‖z‖₁ (= penalty / β)", False)]
    style = {"lw": STYLE["network"]["lw"] * 0.7, **line}
    for ax, (values, name, logy) in zip(axes, series):
        ax.plot(betas, values, label=label, **style)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_ylabel(name)
        ax.set_xlabel("β")
    return axes


# ---------------------------------------------------------------------- the chapter's helpers
def describe_column(dictionary, column: int) -> str:
    """A readable name of one column: its label at depth 2, the capped ramp from depth 3 on."""
    fam = dictionary.family
    if getattr(fam, "depth", 2) == 2:
        return dictionary.labels[column]
    return fam.describe({k: v[column] for k, v in dictionary.params.items()})


def network_name(dictionary, z, digits: int = 3) -> str:
    """``+0.667·ramp(5, 7) …``: the network ``z`` of a dictionary in words.

    From depth 3 on each column is written ``σ·ramp(p, q)`` (plus a constant), so
    the coefficient shown is ``σ·z`` (a reflection column also says which points it
    reflects)."""
    fam = dictionary.family
    cols = np.flatnonzero(z)
    if getattr(fam, "depth", 2) == 2:
        return " ".join(f"{z[c]:+.{digits}g}·{dictionary.labels[c]}" for c in cols)
    parts = []
    for c in cols:
        params = {k: v[c] for k, v in dictionary.params.items()}
        sigma, p, q = fam.canonical(params)
        note = fam.describe(params).partition(" [")[2]
        parts.append(f"{sigma * z[c]:+.{digits}g}·ramp({p:g}, {q:g})"
                     + (f" [{note}" if note else ""))
    return " ".join(parts)


def ramp_coefficients(dictionary, z) -> dict:
    """``{(p, q): coefficient}`` of a deep narrow network ``z``: its chains as capped ramps."""
    fam = dictionary.family
    out = {}
    for c in np.flatnonzero(z):
        sigma, p, q = fam.canonical({k: v[c] for k, v in dictionary.params.items()})
        out[(float(p), float(q))] = out.get((float(p), float(q)), 0.0) + float(sigma * z[c])
    return dict(sorted(out.items()))


def library_table(library: dict, theory_index: dict, min_norm: dict):
    """The library of optimal networks as a DataFrame: one row per vertex and per depth's
    minimum-norm point (units, reflection, sparsest, the paper's network, the network)."""
    import pandas as pd

    rows = []
    for L, S in library.items():
        D = S.dictionary
        off = off_data_columns(D)
        sparsest = set(S.sparsest().tolist())
        for i, z in enumerate(S.vertices):
            rows.append({"depth": L, "network": f"vertex {i}", "units": int((z != 0).sum()),
                         "reflection": "yes" if off[z != 0].any() else "",
                         "sparsest": "yes" if i in sparsest else "",
                         "paper's": "yes" if i == theory_index.get(L) else "",
                         "coefficients": network_name(D, z)})
        mn = min_norm[L]
        rows.append({"depth": L, "network": "minimum norm", "units": int((mn != 0).sum()),
                     "reflection": "yes" if off[mn != 0].any() else "", "sparsest": "",
                     "paper's": "", "coefficients": network_name(D, mn)})
    return pd.DataFrame(rows).set_index(["depth", "network"])


def plot_library(S, min_norm, theory_index: int, *, ncols: int = 3, beta: float = 1e-7,
                 panel=(2.5, 2.3)):
    """One depth of the library: every vertex of ``S``, then the minimum-norm network, on a
    grid of at most ``ncols`` columns (shared axes).  Returns the figure."""
    import matplotlib.pyplot as plt

    fits = S.fits(beta=beta)
    mn_fit = S.fit_of(min_norm, beta)
    sparsest = set(S.sparsest().tolist())
    panels = []
    for i, f in enumerate(fits):
        tags = [t for t, on in (("sparsest", i in sparsest), ("paper's", i == theory_index))
                if on]
        panels.append((f, f"vertex {i}: {f.support.size} units\n{', '.join(tags)}"))
    panels.append((mn_fit, f"minimum norm: {mn_fit.support.size} units\n"))
    n = len(panels)
    cols = min(ncols, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(panel[0] * cols, panel[1] * rows + 0.3),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (f, title) in zip(axes.flat, panels):
        plot_optimal_network(f, ax, title=title)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for k, ax in enumerate(axes.flat[:n]):
        if k + cols >= n:                        # nothing drawn below it: label its axis
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("x")
    fig.tight_layout()
    return fig


def beta_grid(data, family, n: int, low: float = 1e-4, factor: float = 2.0):
    """``(betas, beta_max)``: a log grid from ``low`` to ``factor·β_max``, where
    ``β_max = ‖A_cᵀy_c‖_∞`` of the family's dictionary (beyond it ``z* = 0``)."""
    A = build_dictionary(data, family).matrix
    Ac = A - A.mean(axis=0)
    beta_max = float(np.abs(Ac.T @ (data.y - data.y.mean())).max())
    return np.logspace(np.log10(low), np.log10(factor * beta_max), n), beta_max


def check_path(points, neurons, betas, beta_max, data, family) -> dict:
    """Assert what theory says of a β path; return its summary (one table row).

    Along the path ``‖z‖₁`` does not increase and the training error and objective do
    not decrease; past ``β_max`` the network is constant; the small-β end is the cheapest
    interpolation (:func:`min_l1_interpolation`, to 1 %)."""
    l1 = np.array([p.l1_norm for p in points])
    err = np.array([p.training_error for p in points])
    obj = np.array([p.objective for p in points])
    assert np.all(np.diff(l1) <= 1e-6 * max(1.0, l1.max()))
    assert np.all(np.diff(err) >= -1e-7 * max(1.0, err.max()))
    assert np.all(np.diff(obj) >= -1e-9)
    past = np.asarray(betas) >= beta_max * (1 + 1e-6)
    assert all(p.n_neurons == 0 for p, b in zip(points, past) if b)
    assert past.any() and np.all(neurons[~past] >= 1) and np.all(neurons <= data.n - 1)
    limit = min_l1_interpolation(data, family=family)
    assert abs(points[0].l1_norm - limit.l1_norm) <= 1e-2 * limit.l1_norm
    return {"β_max": beta_max, "‖z‖₁ at the smallest β": points[0].l1_norm,
            "cheapest interpolation ‖z‖₁": limit.l1_norm,
            "most neurons (sparsest optimum)": int(neurons.max())}


def adam_table(adam: dict, radius: float):
    """Adam runs per class, per depth, as a DataFrame (``adam``: depth -> (fit, runs,
    classes)); also the median gap and the share of runs bending at the mirror 8."""
    import pandas as pd

    rows = {}
    for L, (fit, runs, classes) in adam.items():
        at8 = np.mean([bool(k.size and np.abs(k - 8).min() <= radius) for k in classes.kinks])
        rows[L] = {"optimum": fit.objective, **classes.counts(),
                   "median gap": float(np.median(classes.gaps)), "kink at 8": at8}
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "depth"
    return df


#: colour of each class of :func:`classify_runs` in the chapter's figure
RUN_COLOURS = dict(zip(RUN_CLASSES, ["tab:green", "tab:blue", "tab:purple", "tab:gray"]))


def plot_runs(adam: dict, data, *, panel=(2.5, 3.1)):
    """Each Adam run in the colour of its class, one panel per depth (≤ 3), the optimal
    fitted values as black dots on the data.  Returns the figure."""
    import matplotlib.pyplot as plt

    from .plotting import input_grid, plot_data

    fig, axes = plt.subplots(1, len(adam), figsize=(panel[0] * len(adam), panel[1]),
                             sharey=True, squeeze=False)
    grid = input_grid(data.x)
    for ax, (L, (fit, runs, classes)) in zip(axes[0], adam.items()):
        for k, label in enumerate(classes.labels):
            ax.plot(grid, runs.network.predict(grid, model=k), color=RUN_COLOURS[label],
                    lw=1, alpha=0.7)
        plot_data(data, ax)
        ax.scatter(data.x, fit.predict(data.x), color="black", s=12, zorder=6)
        ax.set_title(f"depth {L}")
        ax.set_xlabel("x")
    handles = [plt.Line2D([], [], color=c, label=name) for name, c in RUN_COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=2, frameon=False)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    return fig


# ---------------------------------------------------------------------- the chapter's checks
def check_library(library: dict) -> dict:
    """Assert that every vertex of each β → 0 set (``library``: depth -> InterpolationSet)
    interpolates at the minimum cost, that every basis was enumerated, and that exactly
    the reflection columns (flag ``k = 1`` of the deep narrow dictionary) bend off the
    data.  Returns ``{"vertices": {depth: count}, "same_fit": bool, "exhaustive": bool}``:
    ``same_fit`` says every vertex has the same fitted values (up to the free bias)."""
    same_fit = True
    for L, S in library.items():
        off = off_data_columns(S.dictionary)
        assert S.exhaustive and all(S.contains(z) for z in S.vertices), L
        flagged = (S.dictionary.params["k"] == 1) if "k" in S.dictionary.params else False
        assert np.array_equal(off, np.broadcast_to(flagged, off.shape)), L
        F = S.vertices @ S.dictionary.matrix.T
        F -= F.mean(axis=1, keepdims=True)
        same_fit &= bool(np.allclose(F, F[0], atol=1e-9))
    return {"vertices": {L: len(S) for L, S in library.items()}, "same_fit": same_fit,
            "exhaustive": all(S.exhaustive for S in library.values())}


def theory_vertices(library: dict, theory: dict) -> tuple[dict, float]:
    """Which vertex of each depth's set is the paper's network (``theory``: depth -> units,
    as :data:`lassobook.deep_narrow.FIG3_THEORETICAL`), and the largest coefficient
    difference; asserts it is a vertex (to 1e-9)."""
    from .deep_narrow import theoretical_coefficients

    index, worst = {}, 0.0
    for L, S in library.items():
        dist = np.abs(S.vertices - theoretical_coefficients(S.dictionary, theory[L])).max(1)
        index[L], worst = int(np.argmin(dist)), max(worst, float(dist.min()))
    assert worst <= 1e-9, worst
    return index, worst


def distance_to_small_beta(library: dict, beta: float = 1e-7) -> float:
    """Largest distance from a vertex of the β → 0 set to the nearest vertex of the optimal
    set of the Lasso at ``beta`` (same dictionary); asserts it is at most 1e-5."""
    from .lasso import fit_dense

    worst = 0.0
    for S in library.values():
        fit = fit_dense(S.dictionary.data, family=S.dictionary.family, beta=beta)
        V = optimal_set(fit).vertices
        worst = max([worst] + [float(np.abs(V - v).max(1).min()) for v in S.vertices])
    assert worst <= 1e-5, worst
    return worst


def min_norm_points(library: dict) -> dict:
    """The minimum-ℓ2-norm point of each depth's set (entries below 1e-9 set to 0)."""
    out = {}
    for L, S in library.items():
        mn = S.min_norm()
        mn[np.abs(mn) < 1e-9] = 0.0
        assert S.contains(mn, atol=1e-7), L
        out[L] = mn
    return out


def lasso_min_norm_gap(library: dict, min_norm: dict, beta: float = 1e-7) -> float:
    """Largest difference between each minimum-norm point and the Lasso's own
    minimum-norm solution at ``beta``; asserts it is at most 1e-3."""
    from .lasso import fit_dense

    gaps = [np.abs(fit_dense(S.dictionary.data, family=S.dictionary.family, beta=beta,
                             min_norm=True).solution.z - min_norm[L]).max()
            for L, S in library.items()]
    assert max(gaps) <= 1e-3, gaps
    return float(max(gaps))


def as_mixture(S, z) -> np.ndarray:
    """Weights ``w`` with ``z = Σ_v w_v · vertex_v`` (least squares over the vertices)."""
    weights, *_ = np.linalg.lstsq(S.vertices.T, z, rcond=None)
    assert np.allclose(S.vertices.T @ weights, z, atol=1e-8)
    return weights


def mirror_network(S, family, breakpoints=(5.0, 8.0), coefficients=(1.0, -1.0)) -> float:
    """Check that the two-layer network ``Σ c·(x − b)_+`` interpolates at the minimum cost
    of ``S`` (the β → 0 set of the two-layer ReLU dictionary) with every unit tight, and
    that no unit of the continuous family is more than tight; returns
    ``max |λᵀg(X)|`` over the family (≤ 1)."""
    from .certificate import dual_correlations
    from .dictionaries import evaluate_shapes

    data, lam = S.dictionary.data, S.dual
    units = {"breakpoint": np.asarray(breakpoints, dtype=np.float64),
             "orientation": np.ones(len(breakpoints))}
    coef = np.asarray(coefficients, dtype=np.float64)
    net = family.reconstruct(units, coef, 0.0)
    assert np.abs(net.predict(data.x) - data.y).max() < 1e-12
    assert abs(S.l1 - np.abs(coef).sum()) < 1e-9
    signed = (lam @ evaluate_shapes(family, data.x, units)) * np.sign(coef)
    sup = float(dual_correlations(family, data.x, lam, family.candidate_params(data)).max())
    assert np.allclose(signed, 1) and sup <= 1 + 1e-9
    return sup


def plot_paths(paths: dict, *, figsize=(7.5, 5.6)):
    """Several β paths (``name -> (points, neurons)``) on a 2×2 grid of :func:`plot_path`
    panels, one line style per path, the legend below.  Returns the figure."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=figsize, sharex=True)
    styles = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1))]
    for (name, (points, neurons)), style in zip(paths.items(), styles * len(paths)):
        plot_path(points, axes.flat, label=name, neurons=neurons, ls=style)
    for ax in axes[0]:
        ax.set_xlabel("")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="lower center", ncol=3,
               frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig
