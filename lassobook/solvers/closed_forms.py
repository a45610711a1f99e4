r"""Closed-form routes to the global optimum, for comparison with the Lasso.

Two-layer threshold networks (the paper's two-layer theorem): the dictionary ``1[x ≥ x_j]`` plus the
free bias spans every vector on the sorted data, a coefficient is a jump, so the
Lasso is 1-D total-variation denoising

.. math:: \min_u \tfrac12\|u - y\|^2 + \beta \sum_n |u_{n+1} - u_n| .

Two-layer sign networks: ``sign(x − x_j) = 2·1[x ≥ x_j] − 1``, so a coefficient
is half a jump and the weight is ``β/2``.  Both are solved exactly in O(N) by
:func:`lassobook.solvers.tv.tv_denoise`.
"""

from __future__ import annotations

import numpy as np

from lassobook.core.data import as_dataset
from lassobook.solvers.lasso import check_beta
from lassobook.solvers.tv import tv_denoise, tv_objective

#: TV weight per unit of β, by activation.
TV_WEIGHT = {"threshold": 1.0, "sign": 0.5}


def _weighted_problem(x, y, activation: str, beta: float, what: str):
    """Validated data and the closed form's weight ``TV_WEIGHT[activation] · β``."""
    data = as_dataset(x, y)
    beta = check_beta(beta)
    if activation not in TV_WEIGHT:
        raise ValueError(f"the {what} {' and '.join(TV_WEIGHT)} networks, not {activation!r}")
    return data, TV_WEIGHT[activation] * beta


def tv_network_fit(x, y=None, *, activation: str, beta: float) -> tuple[np.ndarray, float]:
    """Globally optimal two-layer threshold/sign network, by TV denoising.

    Returns
    -------
    fitted : ndarray of shape (n,)
        The optimal network's values at the training points (caller's order).
    objective : float
        The optimal value of the training problem (equal to the Lasso optimum).
    """
    data, lam = _weighted_problem(x, y, activation, beta, "TV closed form exists for two-layer")
    u = tv_denoise(data.y_sorted, lam)
    objective = tv_objective(u, data.y_sorted, lam)
    return data.to_caller_order(u), objective


# ---------------------------------------------------------------------------- ℓ∞ (clipping)



def project_l1_ball(v, radius: float) -> np.ndarray:
    """Euclidean projection of ``v`` onto ``{w : ‖w‖₁ ≤ radius}`` (sort-based, O(N log N))."""
    v = np.asarray(v, dtype=np.float64)
    radius = float(radius)
    if radius < 0:
        raise ValueError(f"radius must be non-negative, got {radius}")
    a = np.abs(v)
    if a.sum() <= radius:
        return v.copy()
    s = np.sort(a)[::-1]
    cs = np.cumsum(s)
    j = np.arange(1, s.size + 1)
    rho = np.flatnonzero(s - (cs - radius) / j > 0)[-1]
    theta = (cs[rho] - radius) / (rho + 1)
    return np.sign(v) * np.maximum(a - theta, 0.0)


def prox_linf(v, tau: float) -> np.ndarray:
    """``argmin_u ½‖u − v‖² + τ‖u‖_∞ = v − proj_{‖·‖₁ ≤ τ}(v)`` (Moreau decomposition)."""
    v = np.asarray(v, dtype=np.float64)
    return v - project_l1_ball(v, tau)


def _upper_level(y: np.ndarray, omega: float) -> float:
    """The level ``h`` with ``Σ (y − h)_+ = ω`` (``ω > 0``)."""
    s = np.sort(y)[::-1]
    cs = np.cumsum(s)
    j = np.arange(1, s.size + 1)
    h = (cs - omega) / j
    # h_j is the answer when exactly the top j values exceed it: s_{j-1} > h_j >= s_j
    below = np.append(s[1:], -np.inf)
    k = np.flatnonzero((s > h) & (h >= below))
    return float(h[k[0]] if k.size else h[-1])


def clip_levels(y, omega: float) -> tuple[float, float]:
    """Clip levels ``(lo, hi)`` of the ℓ∞ closed form: ``Σ(y − hi)_+ = ω = Σ(lo − y)_+``.

    If ``lo ≥ hi`` the optimal fit is the constant ``mean(y)`` and both levels are
    returned as ``mean(y)``.
    """
    y = np.asarray(y, dtype=np.float64)
    hi = _upper_level(y, omega)
    lo = -_upper_level(-y, omega)
    if lo >= hi:
        m = float(y.mean())
        return m, m
    return lo, hi


def linf_network_fit(x, y=None, *, activation: str, beta: float) -> tuple[np.ndarray, float]:
    r"""Globally optimal sign/threshold network when units reach every pattern (``K ≥ N − 1``).

    When a unit realizes every ±1 pattern on the data (``K ≥ N − 1`` switches), the
    atomic norm of the dictionary is ``‖·‖_∞`` (the convex hull of all ±1 vectors is
    the unit cube; dropping the two constant vectors changes nothing because the
    free bias ``ξ`` absorbs constants), so the sign Lasso at ``β`` is

    .. math:: \min_{u, \xi}\ \tfrac12\|u + \xi 1 - y\|^2 + \beta \|u\|_\infty .

    For fitted values ``v = u + ξ1`` the cheapest split is ``ξ`` = the midrange of
    ``v``, with ``‖u‖_∞ = (max v − min v)/2``, so the problem is

    .. math:: \min_v\ \tfrac12\|v - y\|^2 + \omega\,(\max v - \min v), \qquad \omega = \beta/2

    (``ω = β`` for threshold networks, whose Lasso at ``β`` is the sign Lasso at
    ``2β``).  Optimality: the residual ``y − v`` is supported on the argmax and argmin
    of ``v`` and carries mass ``+ω`` and ``−ω`` there, so ``v = clip(y, lo, hi)`` with
    ``Σ(y − hi)_+ = ω = Σ(lo − y)_+``, or ``v = mean(y)`` if those levels cross
    (``Σ(y − ȳ)_+ ≤ ω``).  The centering: the optimal bias is the midrange
    ``ξ = (lo + hi)/2`` (which also equals ``mean(y − u)``, since the residual sums
    to ``ω − ω = 0``), in general *not* ``mean(y)``, so ``ȳ + prox(y − ȳ)`` is wrong;
    with the right ``ξ``, ``u = prox_{β‖·‖∞}(y − ξ1)`` (sign units; radius ``2β`` for
    threshold), the residual of the projection of ``y − ξ1`` onto the ℓ₁ ball of
    that radius.

    Returns
    -------
    fitted : ndarray of shape (n,)
        ``clip(y, lo, hi)`` (or the constant mean), in the caller's order.
    objective : float
        ``½‖v − y‖² + ω (max v − min v)`` with ``ω = β/2`` (sign) or ``β``
        (threshold): the optimal value of the training problem (= the Lasso optimum).
    """
    data, omega = _weighted_problem(x, y, activation, beta, "ℓ∞ closed form exists for")
    lo, hi = clip_levels(data.y, omega)
    v = np.clip(data.y, lo, hi)
    r = v - data.y
    objective = float(0.5 * r @ r + omega * (v.max() - v.min()))
    return v, objective
