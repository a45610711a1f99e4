r"""The Lasso that is equivalent to training the network (the paper's main theorem).

.. math::

    \min_{z,\ \xi}\ \tfrac12\|Az + \xi\mathbf 1 - y\|_2^2 + \beta\|z\|_1 ,

with the output bias ``ξ`` unpenalized.  Its dual is
``max_λ −½‖y − λ‖² + ½‖y‖²`` subject to ``1ᵀλ = 0`` and ``|A_kᵀλ| ≤ β``; at the
optimum ``λ* = y − Az* − ξ*1`` is the residual.

:func:`solve_lasso` solves it with cvxpy and the open-source interior-point
solver Clarabel at tight tolerance.  :func:`fit_dense` goes from data and a
network family to a :class:`LassoFit`: dictionary, solution, the reconstructed
network and its certificate.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from lassobook.core.data import Dataset, as_dataset
from lassobook.core.dictionary import Dictionary, build_dictionary

#: Clarabel settings used for every solve (absolute and relative gap, feasibility): through
#: cvxpy as keyword arguments, directly as :func:`clarabel_settings`.
CLARABEL_SETTINGS = dict(tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10, max_iter=500)


def clarabel_settings(tol: float | None = None):
    """:data:`CLARABEL_SETTINGS` as a silent ``clarabel.DefaultSettings`` for Clarabel's own API;
    ``tol`` (if given) replaces the three tolerances."""
    import clarabel

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for name, value in CLARABEL_SETTINGS.items():
        setattr(settings, name, value if tol is None or not name.startswith("tol_") else tol)
    return settings


class SolverError(RuntimeError):
    """The convex solver did not reach an optimal solution (its status is in the message)."""


def check_beta(beta) -> float:
    """Return ``beta`` as a float or raise a ValueError saying why it is unusable."""
    try:
        b = float(beta)
    except (TypeError, ValueError):
        raise ValueError(f"beta must be a positive number, got {beta!r}") from None
    if not np.isfinite(b) or b <= 0:
        raise ValueError(f"beta must be positive and finite (beta > 0), got {beta!r}")
    return b


def lasso_objective(A: np.ndarray, y: np.ndarray, z: np.ndarray, xi: float, beta: float,
                    w: np.ndarray | None = None) -> float:
    """``½ Σ_n w_n (Az + ξ1 − y)_n² + β‖z‖₁`` evaluated in float64 (``w = 1`` by default)."""
    r = A @ z + xi - y
    sq = r @ r if w is None else r @ (np.asarray(w) * r)
    return float(0.5 * sq + beta * np.abs(z).sum())


def _pow2(value: float) -> float:
    """The power of two nearest ``value`` (> 0) from below; 1 for 0 or non-finite values."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(value)[1]) - 1))


@dataclass
class LassoSolution:
    """A solved Lasso.

    Attributes
    ----------
    z : ndarray of shape (p,)
        Coefficients on the dictionary columns.
    xi : float
        Output bias.
    objective : float
        ``½‖Az + ξ1 − y‖² + β‖z‖₁`` at ``(z, xi)``, recomputed in float64.
    residual : ndarray of shape (n,)
        The dual optimal point ``λ* = w ⊙ (y − Az − ξ1)`` (the residual for unit
        weights; the same at every optimum; for a minimum-norm solution it is taken
        from the first solve, the more accurate one).
    status : str
        Solver status (``"optimal"``).
    beta : float
    min_norm : bool
        True if ``z`` is the minimum-ℓ2-norm point of the optimal set.
    solve_time : float
        Wall time of the solve(s), seconds.
    """

    z: np.ndarray
    xi: float
    objective: float
    residual: np.ndarray
    status: str
    beta: float
    min_norm: bool = False
    solve_time: float = 0.0


def _check_problem(A, y):
    A = np.asarray(A, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"the dictionary matrix A must be 2-D, got shape {A.shape}")
    if y.ndim != 1 or y.size != A.shape[0]:
        raise ValueError(f"y must have shape ({A.shape[0]},) to match A {A.shape}, got {y.shape}")
    if A.shape[1] == 0:
        raise ValueError("the dictionary has no columns")
    if not (np.isfinite(A).all() and np.isfinite(y).all()):
        raise ValueError("A and y must be finite (found NaN or inf)")
    return A, y


def _solve(problem, what: str, *, accept_inaccurate: bool = False) -> None:
    import cvxpy as cp  # here, not at import: the structured path never needs it

    try:
        with warnings.catch_warnings():  # an inaccurate solve is reported below, as an error
            warnings.simplefilter("ignore", UserWarning)
            problem.solve(solver=cp.CLARABEL, **CLARABEL_SETTINGS)
    except cp.error.SolverError as exc:
        raise SolverError(f"Clarabel failed on the {what}: {exc}") from None
    if accept_inaccurate and problem.status == cp.OPTIMAL_INACCURATE:
        return  # the caller verifies the point it gets
    if problem.status != cp.OPTIMAL:
        raise SolverError(
            f"Clarabel did not reach optimality on the {what}: status {problem.status!r}"
        )


def _min_norm_point(Ac: np.ndarray, yc: np.ndarray, z_opt: np.ndarray, beta: float) -> np.ndarray:
    """The minimum-ℓ2-norm point of the Lasso's optimal set, given one optimum ``z_opt``.

    The residual is the same at every optimum, so the optimal set is
    ``{z : z_k = 0 off E, s_k z_k ≥ 0 on E, A_c z = A_c z*}`` with ``E`` the
    columns where ``|A_kᵀλ| = β`` and ``s`` their signs (the KKT conditions).  Its
    minimum-norm point solves a small QP in the ``|E|`` variables ``w = s·z_E ≥ 0``
    (far better conditioned than constraining the ℓ1 norm).  ``E`` is taken with a
    tolerance and the solver's support; a candidate is accepted only if its Lasso
    objective is within the solver's accuracy of the optimum (1e-8 relative, with a
    floor of 1e-13·½‖y_c‖² for tiny β), else the tolerance is tightened.
    """
    import cvxpy as cp  # here, not at import: the structured path never needs it

    lam = yc - Ac @ z_opt
    corr = Ac.T @ lam
    support = np.abs(z_opt) > 1e-8 * max(1.0, np.abs(z_opt).max(initial=0.0))
    optimum = lasso_objective(Ac, yc, z_opt, 0.0, beta)
    # the solver's own accuracy: relative 1e-8, with a floor at 1e-13 of the problem's scale ½‖y_c‖²
    slack = 1e-8 * optimum + 1e-13 * (1.0 + 0.5 * float(yc @ yc))
    for tol in (1e-4, 1e-6, 1e-8):
        E = np.flatnonzero((np.abs(corr) >= beta * (1 - tol)) | support)
        if E.size == 0:
            return z_opt
        signs = np.where(support[E], np.sign(z_opt[E]), np.sign(corr[E]))
        B = Ac[:, E] * signs
        target = B @ np.maximum(signs * z_opt[E], 0.0)
        w = cp.Variable(E.size)
        problem = cp.Problem(cp.Minimize(cp.sum_squares(w)), [B @ w == target, w >= 0])
        _solve(problem, "minimum-norm problem", accept_inaccurate=True)
        if w.value is None:
            continue
        z = np.zeros_like(z_opt)
        z[E] = signs * np.maximum(np.asarray(w.value, dtype=np.float64), 0.0)
        if lasso_objective(Ac, yc, z, 0.0, beta) <= optimum + slack:
            return z if np.linalg.norm(z) < np.linalg.norm(z_opt) else z_opt
    # Fallback: the same set written as {A_c z = A_c z*, ‖z‖₁ ≤ ‖z*‖₁} (no E needed).
    z = cp.Variable(z_opt.size)
    problem = cp.Problem(cp.Minimize(cp.sum_squares(z)),
                         [Ac @ z == Ac @ z_opt, cp.norm1(z) <= float(np.abs(z_opt).sum())])
    _solve(problem, "minimum-norm problem", accept_inaccurate=True)
    if z.value is not None:
        z_mn = np.asarray(z.value, dtype=np.float64)
        if lasso_objective(Ac, yc, z_mn, 0.0, beta) <= optimum + slack:
            return z_mn if np.linalg.norm(z_mn) < np.linalg.norm(z_opt) else z_opt
    raise SolverError("the minimum-norm problem gave no point that is optimal for the Lasso "
                      "(within 1e-8 relative, or 1e-13 of ½‖y‖²)")


def solve_lasso(A, y, beta: float, *, min_norm: bool = False, weights=None) -> LassoSolution:
    r"""Solve ``min ½ Σ_n w_n (Az + ξ1 − y)_n² + β‖z‖₁`` (ξ unpenalized) with Clarabel.

    Units never matter: the problem is solved with ``A``, ``y`` and ``w`` divided
    by powers of two near their scales (``A = a·A'``, ``y = t·y'``, ``w = κ·w'``,
    so ``z = (t/a) z'``, ``β' = β/(κ t a)`` and the objective is ``κ t²`` times the
    scaled one — all exact in floating point), so Clarabel's tolerances are
    relative to the problem.  When ``β ≥ max_k |A_kᵀ w(y − ȳ)|`` the optimum is
    ``z = 0`` (the KKT conditions hold there) and no solver is called.

    Parameters
    ----------
    A : array_like of shape (n, p)
    y : array_like of shape (n,)
    beta : float > 0
    min_norm : bool
        Return the minimum-ℓ2-norm solution among all optima (a second convex
        problem over the optimal set, see :func:`_min_norm_point`; its point is
        accepted when its Lasso objective is within 1e-8 relative of the optimum).
    weights : array_like of shape (n,), optional
        Positive sample weights ``w`` (default all ones).

    Raises
    ------
    ValueError
        Bad shapes, non-finite values, ``beta <= 0``.
    SolverError
        The solver did not report an optimal solution (status named).
    """
    import cvxpy as cp  # here, not at import: the structured path never needs it

    A, y = _check_problem(A, y)
    beta = check_beta(beta)
    w = np.ones(y.size) if weights is None else np.asarray(weights, dtype=np.float64)
    t0 = time.perf_counter()
    # Centering eliminates the free bias: ξ* = weighted mean of (y − Az*).
    a_mean, y_mean = (w @ A) / w.sum(), float(w @ y) / w.sum()
    Ac, yc = A - a_mean, y - y_mean
    lam0 = w * yc
    corr0 = np.abs(Ac.T @ lam0)
    if corr0.max(initial=0.0) <= beta:        # β ≥ β_max of the dictionary: z = 0 is optimal
        z_opt = np.zeros(A.shape[1])
        return LassoSolution(z=z_opt, xi=y_mean, objective=lasso_objective(A, y, z_opt, y_mean, beta, w),
                             residual=lam0, status="optimal", beta=beta, min_norm=min_norm,
                             solve_time=time.perf_counter() - t0)
    # exact power-of-two scalings: every entry of the scaled problem is O(1)
    sw = np.sqrt(w / _pow2(float(w.mean())))
    t = _pow2(float(np.sqrt(np.mean(sw**2 * yc**2))))
    a = _pow2(float(np.abs(Ac).max()))
    As, ys = Ac * (sw / a)[:, None], yc * sw / t
    beta_s = beta / (_pow2(float(w.mean())) * t * a)
    z = cp.Variable(A.shape[1])
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(As @ z - ys) + beta_s * cp.norm1(z)))
    _solve(problem, "Lasso")
    status = problem.status
    zs = np.asarray(z.value, dtype=np.float64)
    z_opt = zs * (t / a)
    xi = float(y_mean - a_mean @ z_opt)
    residual = w * (y - A @ z_opt - xi)
    if min_norm:
        # The dual point λ* is the same at every optimum: keep the first solve's, which
        # is more accurate than the residual of a second solve over the optimal set.
        z_opt = _min_norm_point(As, ys, zs, beta_s) * (t / a)
        xi = float(y_mean - a_mean @ z_opt)
    return LassoSolution(
        z=z_opt, xi=xi, objective=lasso_objective(A, y, z_opt, xi, beta, w), residual=residual,
        status=status, beta=beta, min_norm=min_norm, solve_time=time.perf_counter() - t0,
    )


def _significant(z: np.ndarray, tol: float) -> np.ndarray:
    """Indices with ``|z_k| > tol · max|z|`` (relative: the units of ``z`` never matter)."""
    z = np.asarray(z)
    top = float(np.abs(z).max(initial=0.0))
    return np.flatnonzero(np.abs(z) > tol * top) if top > 0 else np.empty(0, dtype=int)


def _sparsify(sol: LassoSolution, A: np.ndarray, y: np.ndarray, w: np.ndarray,
              tol: float = 1e-8) -> LassoSolution:
    """``sol`` with the coefficients below ``tol · max|z|`` set to exactly 0 and ξ, objective redone.

    The dual point is kept (it is the solver's, the more accurate); the certificate
    measures the duality gap of the returned point, so nothing is hidden.
    """
    keep = _significant(sol.z, tol)
    if keep.size == np.count_nonzero(sol.z):
        return sol
    z = np.zeros_like(sol.z)
    z[keep] = sol.z[keep]
    xi = float(w @ (y - A[:, keep] @ z[keep])) / float(w.sum())
    return LassoSolution(z=z, xi=xi, objective=lasso_objective(A, y, z, xi, sol.beta, w),
                         residual=sol.residual, status=sol.status, beta=sol.beta,
                         min_norm=sol.min_norm, solve_time=sol.solve_time)


@dataclass
class LassoFit:
    """A network family fitted to data by its Lasso.

    Attributes
    ----------
    data : Dataset
    family : Family
    beta : float
    dictionary : Dictionary
    solution : LassoSolution
    zero_tol : float
        Coefficients with ``|z_k| <= zero_tol * max|z|`` count as zero (relative:
        interior-point solutions are only approximately sparse; :func:`fit_dense`
        sets them to exactly zero and re-evaluates the objective).
    """

    data: Dataset
    family: object
    beta: float
    dictionary: Dictionary
    solution: LassoSolution
    zero_tol: float = 1e-8
    _network: object = field(default=None, repr=False)

    @property
    def objective(self) -> float:
        """The optimum of the training problem: the Lasso objective plus the constant of merged repeats."""
        return self.solution.objective + self.data.offset

    @property
    def support(self) -> np.ndarray:
        """Indices of the dictionary columns with nonzero coefficient."""
        return _significant(self.solution.z, self.zero_tol)

    def predict(self, x) -> np.ndarray:
        """The Lasso model ``Σ_k z_k g_k(x) + ξ`` at inputs ``x`` of shape (n,) or (n, 1)."""
        from lassobook.core.data import _as_1d_float

        x = _as_1d_float(x, "x")
        s = self.support
        return self.dictionary.evaluate(x, s) @ self.solution.z[s] + self.solution.xi

    def neurons(self) -> list[dict]:
        """One record per selected column: label, coefficient, kinks, shape parameters, aliases."""
        out = []
        for k in self.support:
            out.append({
                "column": int(k),
                "label": self.dictionary.labels[k],
                "coefficient": float(self.solution.z[k]),
                "kinks": [float(v) for v in self.dictionary.kinks(k)],
                "params": {n: float(v[k]) for n, v in self.dictionary.params.items()},
                "aliases": list(self.dictionary.aliases[k]),
            })
        return out

    def network(self):
        """The reconstructed torch network: one unit per selected column."""
        if self._network is None:
            s = self.support
            self._network = self.family.reconstruct(
                self.dictionary.column_params(s), self.solution.z[s], self.solution.xi)
        return self._network

    def network_objective(self) -> float:
        """The reconstructed network's own regularized training objective (weights and repeats included)."""
        net = self.network()
        value = net.objective(self.data.x, self.data.y, self.beta, weights=self.data.w)[0]
        return float(value.detach()) + self.data.offset

    def beta_max(self) -> float:
        """``β_max = max_g |g(X)ᵀ w (y − ȳ)|`` over the continuous family: for ``β ≥ β_max``
        the constant network is optimal (exact where the family has an oracle, else sampled)."""
        from lassobook.core.certificate import beta_max

        return beta_max(self.family, self.data)

    def certificate(self, **kwargs):
        """The certificate of global optimality (:func:`lassobook.core.certificate.certify`).

        By default the dual maximum is exact where the family has a structured
        oracle (``sampled=False``); pass ``sampled=True`` for the dense sample.
        """
        from lassobook.core.certificate import certify

        kwargs.setdefault("sampled", False)
        return certify(self, **kwargs)

    def summary(self, certificate=None) -> dict:
        """A JSON-ready record: objective, certificate, neurons (as written by ``lassobook fit``)."""
        cert = certificate if certificate is not None else self.certificate()
        return {
            "family": repr(self.family),
            "activation": self.family.activation,
            "depth": self.family.depth,
            "beta": self.beta,
            "n": self.data.n,
            "rows": self.data.n_rows,
            "weighted": self.data.weighted,
            "objective": self.objective,
            "bias": self.solution.xi,
            **cert.record(),
            "dictionary_size": self.dictionary.size,
            "solver_status": self.solution.status,
            "neurons": self.neurons(),
        }

    def __repr__(self) -> str:
        return (f"LassoFit({self.family}, beta={self.beta:g}, objective={self.objective:.10g}, "
                f"neurons={self.support.size}/{self.dictionary.size})")


def fit_dense(x, y=None, *, family, beta: float, min_norm: bool = False,
              dictionary: Dictionary | None = None) -> LassoFit:
    """Fit ``family`` to the data ``(x, y)`` through its Lasso over the whole dictionary.

    The dense route: cvxpy + Clarabel (:func:`solve_lasso`).  Most callers want
    :func:`lassobook.fit` (``lassobook.fit_lasso``), which validates, chooses the
    solver and checks memory first.

    Parameters
    ----------
    x, y : array_like of shape (n,) (or a :class:`Dataset` as ``x``)
    family : Family (see :func:`lassobook.families.get_family`)
    beta : float > 0
        Regularization strength β of the network's training problem.
    min_norm : bool
        Pick the minimum-ℓ2-norm optimal ``z`` (as the paper plots).
    dictionary : Dictionary, optional
        Use this dictionary (e.g. a restricted one) instead of the family's own.
    """
    data = as_dataset(x, y)
    beta = check_beta(beta)
    if dictionary is None:
        dictionary = build_dictionary(data, family)
    elif dictionary.data is not data and not np.array_equal(dictionary.data.x, data.x):
        raise ValueError("the dictionary was built on other data than the data given")
    w = data.w
    solution = solve_lasso(dictionary.matrix, data.y, beta, min_norm=min_norm,
                           weights=None if not data.weighted else w)
    solution = _sparsify(solution, dictionary.matrix, data.y, w)
    return LassoFit(data, family, beta, dictionary, solution)
