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

from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
from scipy.optimize import linprog
from tqdm import tqdm

from lassobook.analysis.interpolation import PathPoint, _polytope_vertices
from lassobook.analysis.kinks import TightKinks, tight_kinks
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
    from lassobook.analysis.kinks import function_kinks
    from lassobook.core.networks import network_values

    data = fit.data
    xs = data.x_sorted
    tight = tight_kinks(fit) if tight is None else tight
    gaps = (np.asarray(runs.objectives, dtype=np.float64) - fit.objective) / abs(fit.objective)
    span = xs[-1] - xs[0]
    grid = np.linspace(xs[0] - 0.05 * span, xs[-1] + 0.05 * span, 20001)
    values = network_values(runs.network, grid)
    kinks = [k[(k >= xs[0] - radius) & (k <= xs[-1] + radius)]
             for k in function_kinks(values, grid, min_change)]
    stray = np.array([bool(k.size and not tight.near(k, radius).all()) for k in kinks])
    labels = np.where(gaps <= rtol, RUN_CLASSES[0],
                      np.where(gaps <= near, np.where(stray, RUN_CLASSES[2], RUN_CLASSES[1]),
                               RUN_CLASSES[3]))
    return RunClasses(labels.astype(object), gaps, kinks, stray, tight)
