r"""The exact restricted Lasso of the working-set solver, written with a Gram matrix.

With the bias eliminated (columns and labels centred with the weights), the Lasso
restricted to ``k`` columns is

.. math:: \min_z \tfrac12 z^\top G z - b^\top z + \beta\|z\|_1 ,
    \qquad G = A_c^\top W A_c ,\quad b = A_c^\top W y_c ,

whose optimality conditions are ``g = b − Gz`` with ``g_k = β sign(z_k)`` on the
support and ``|g_k| ≤ β`` off it.  :func:`solve_gram_lasso` solves it *exactly*:
the primal active-set (homotopy) method of Osborne, Presnell and Turlach
(:func:`_active_set_lasso`, compiled with numba) ends on a support ``S`` and signs
``s`` with ``G_SS z_S = b_S − β s``, a linear solve, and its answer is accepted only
when the optimality conditions hold to rounding (:func:`_is_optimal`, columns scaled
to norm 1).  Working sets often hold exactly dependent columns (a ReLU pair of both
orientations at two breakpoints, ramps that add up); the method swaps such a column
in at constant fit when that lowers the penalty (rounding can make such swaps cycle;
the iterate is then checked like any other).  If the check fails, Clarabel solves
the split QP and a closed-form solve on its support polishes the answer (:func:`_clarabel_gram_lasso`,
:func:`_kkt_solve`).  The cost is independent of ``N``: ``G`` is ``k × k``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from lassobook.core.compiled import njit_cached
from lassobook.solvers.lasso import (
    SolverError,
    clarabel_settings,
)


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
    settings = clarabel_settings(tol)
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


@njit_cached
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


@njit_cached
def _chol_delete(L, m, q):
    """Remove row and column ``q`` of the factored matrix from ``L[:m, :m]`` in ``O(m²)``.

    Deleting row ``q`` of ``L`` leaves ``L̃`` with ``L̃L̃ᵀ`` the wanted matrix but one
    entry above the diagonal in each later row; Givens rotations of neighbouring
    columns (an orthogonal factor on the right, which ``L̃L̃ᵀ`` does not see) clear them.
    """
    for i in range(q, m - 1):
        for c in range(i + 2):
            L[i, c] = L[i + 1, c]
    for j in range(q, m - 1):
        a = L[j, j]
        e = L[j, j + 1]
        rr = math.sqrt(a * a + e * e)
        cs = a / rr
        sn = e / rr
        for i in range(j + 1, m - 1):
            x1 = L[i, j]
            x2 = L[i, j + 1]
            L[i, j] = cs * x1 + sn * x2
            L[i, j + 1] = cs * x2 - sn * x1
        L[j, j] = rr
        L[j, j + 1] = 0.0
    for i in range(m):
        L[m - 1, i] = 0.0
        L[i, m - 1] = 0.0


@njit_cached
def _border(G, S, m, j, L, col, y):
    """``y[:m] = L⁻¹ G[S, j]`` and the Schur complement ``G_jj − ‖y‖²`` of column ``j`` against
    ``S[:m]``: the row ``[yᵀ, √schur]`` extends the factor by ``j`` (if ``schur > 0``)."""
    for q in range(m):
        col[q] = G[S[q], j]
    _forward(L, m, col, y)
    schur = G[j, j]
    for q in range(m):
        schur -= y[q] * y[q]
    return schur


@njit_cached
def _forward(L, m, v, out):
    """``out[:m] = L[:m, :m]⁻¹ v[:m]`` (lower triangular)."""
    for a in range(m):
        acc = v[a]
        for q in range(a):
            acc -= L[a, q] * out[q]
        out[a] = acc / L[a, a]


@njit_cached
def _backward(L, m, v, out):
    """``out[:m] = L[:m, :m]⁻ᵀ v[:m]``."""
    for a in range(m - 1, -1, -1):
        acc = v[a]
        for q in range(a + 1, m):
            acc -= L[q, a] * out[q]
        out[a] = acc / L[a, a]


@njit_cached
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
                for q in range(m - 1, -1, -1):     # from the end: the factor loses its row q in O(m²)
                    jq = S[q]
                    zq = z[jq]
                    if s[q] * h[q] < 0.0 and zq / (zq - h[q]) <= gmin:
                        z[jq] = 0.0
                        active[jq] = False
                        _chol_delete(L, m, q)
                        for p in range(q, m - 1):
                            S[p] = S[p + 1]
                            s[p] = s[p + 1]
                            r[p] = r[p + 1]
                        m -= 1
                    else:
                        z[jq] = zq + gmin * (h[q] - zq)
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
        schur = _border(G, S, m, j, L, col, y)
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
        _chol_delete(L, m, qi)                     # O(m²), then j joins as the last row
        for q in range(qi, m - 1):
            S[q] = S[q + 1]
            s[q] = s[q + 1]
            r[q] = r[q + 1]
        S[m - 1] = j
        s[m - 1] = sj
        r[m - 1] = b[j] - w[j] * sj
        z[j] = t * sj
        active[j] = True
        schur = _border(G, S, m - 1, j, L, col, y)
        if schur > 0.0:
            for q in range(m - 1):
                L[m - 1, q] = y[q]
            L[m - 1, m - 1] = math.sqrt(schur)
        elif not _chol_active(G, S, m, L, 0.0):
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
    added column, downdated by Givens rotations when one leaves (:func:`_chol_delete`, ``O(m²)``).  Warm start: the support of
    ``z0`` if its columns are independent, else zero.

    The loop is compiled with numba (:func:`_active_set_core`, cached on disk
    like :mod:`lassobook.solvers.tv`): at small sizes a step costs microseconds, where the
    same loop in numpy spends ~50 µs per step on call overhead.

    Returns ``z`` — also at the step limit: on a working set with exactly dependent
    columns, rounding can make the swaps cycle among them at an iterate that already
    meets the optimality conditions to rounding (seen at N = 10⁶) — or None if the
    factorization breaks down.  The caller checks the optimality conditions in any case.
    """
    G = np.ascontiguousarray(G, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    k = b.size
    w = np.ascontiguousarray(np.broadcast_to(np.asarray(w, dtype=np.float64), (k,)))
    z = np.zeros(k) if z0 is None else np.array(z0, dtype=np.float64)
    steps = max(50, 10 * k) if max_steps is None else int(max_steps)
    status = _active_set_core(G, b, w, z, steps, float(dep_tol), float(add_tol))
    return z if status in (0, 1) else None


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
