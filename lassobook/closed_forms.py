r"""Closed-form routes to the global optimum, for comparison with the Lasso.

Two-layer threshold networks (NOTES §3): the dictionary ``1[x ≥ x_j]`` plus the
free bias spans every vector on the sorted data, a coefficient is a jump, so the
Lasso is 1-D total-variation denoising

.. math:: \min_u \tfrac12\|u - y\|^2 + \beta \sum_n |u_{n+1} - u_n| .

Two-layer sign networks: ``sign(x − x_j) = 2·1[x ≥ x_j] − 1``, so a coefficient
is half a jump and the weight is ``β/2``.  Both are solved exactly in O(N) by
:func:`lassobook.tv.tv_denoise`.
"""

from __future__ import annotations

import numpy as np

from .datasets import as_dataset
from .lasso import check_beta
from .tv import tv_denoise, tv_objective

__all__ = ["TV_WEIGHT", "tv_network_fit"]

#: TV weight per unit of β, by activation.
TV_WEIGHT = {"threshold": 1.0, "sign": 0.5}


def tv_network_fit(x, y=None, *, activation: str, beta: float) -> tuple[np.ndarray, float]:
    """Globally optimal two-layer threshold/sign network, by TV denoising.

    Returns
    -------
    fitted : ndarray of shape (n,)
        The optimal network's values at the training points (caller's order).
    objective : float
        The optimal value of the training problem (equal to the Lasso optimum).
    """
    data = as_dataset(x, y)
    beta = check_beta(beta)
    if activation not in TV_WEIGHT:
        raise ValueError(
            f"the TV closed form exists for two-layer {' and '.join(TV_WEIGHT)} networks, not {activation!r}")
    lam = TV_WEIGHT[activation] * beta
    u = tv_denoise(data.y_sorted, lam)
    objective = tv_objective(u, data.y_sorted, lam)
    return data.to_caller_order(u), objective
