r"""Certificates of global optimality (NOTES §2).

After rescaling, a unit of a network family adds ``c·g(x)`` at cost ``β|c|``
with ``g`` in a continuous family ``G``.  A Lasso solution whose residual
``λ = y − Az − ξ1`` satisfies

.. math:: \max_{g \in G} |\lambda^\top g(X)| \le \beta

is a global minimum of the training problem for networks of *any* width (no
unit can be added with a first-order decrease of the objective, and the
problem over the measure of units is convex).  :func:`certify` searches ``G``
by dense sampling of its parameters, always including the data points, all
midpoints and all reflections ``2x_i − x_j`` (:func:`lassobook.families.breakpoint_candidates`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .dictionaries import evaluate_shapes

__all__ = ["Certificate", "certify", "dual_correlations"]


@dataclass
class Certificate:
    """Result of the dual search.

    Attributes
    ----------
    max_dual : float
        ``max_g |λᵀg(X)|`` over the sampled continuous family.
    beta : float
    ratio : float
        ``max_dual / β`` (≤ 1 means no unit improves the solution).
    max_dual_violation : float
        ``max(0, ratio − 1)``: relative excess over β; 0 for an optimal solution.
    certified : bool
        ``max_dual ≤ β (1 + tol)``.
    tol : float
    dictionary_max : float
        ``max_k |A_kᵀλ|`` over the finite dictionary (the Lasso's own dual constraint).
    worst : dict
        Parameters of the sampled shape attaining ``max_dual``.
    n_shapes : int
        Number of sampled shapes.
    """

    max_dual: float
    beta: float
    ratio: float
    max_dual_violation: float
    certified: bool
    tol: float
    dictionary_max: float
    worst: dict
    n_shapes: int

    def __str__(self) -> str:
        verdict = "certified" if self.certified else "NOT certified"
        return (f"{verdict}: max |λᵀg| / β = {self.ratio:.10f} over {self.n_shapes} sampled unit "
                f"shapes (dictionary: {self.dictionary_max / self.beta:.10f}; tol {self.tol:g})")


def dual_correlations(family, x, residual, params, chunk: int = 4096) -> np.ndarray:
    """``|λᵀ g(x)|`` for each shape with parameters ``params`` (arrays of shape (p,)), shape (p,)."""
    p = len(next(iter(params.values())))
    out = np.empty(p)
    for start in range(0, p, chunk):
        part = {k: np.asarray(v)[start:start + chunk] for k, v in params.items()}
        out[start:start + chunk] = np.abs(residual @ evaluate_shapes(family, x, part))
    return out


def certify(fit, *, tol: float = 1e-5, resolution: int = 2000) -> Certificate:
    """Certify (or refute) global optimality of a :class:`~lassobook.lasso.LassoFit`.

    Parameters
    ----------
    fit : LassoFit
    tol : float
        Relative slack for the solver's finite accuracy: certified iff
        ``max_g |λᵀg| ≤ β (1 + tol)``.
    resolution : int
        Number of grid points per continuous parameter, on top of the data
        points, midpoints and reflections.
    """
    data, beta = fit.data, fit.beta
    lam = fit.solution.residual
    params = fit.family.candidate_params(data, resolution)
    corr = dual_correlations(fit.family, data.x, lam, params)
    k = int(np.argmax(corr))
    max_dual = float(corr[k])
    dict_max = float(np.abs(lam @ fit.dictionary.matrix).max())
    ratio = max_dual / beta
    return Certificate(
        max_dual=max_dual, beta=beta, ratio=ratio, max_dual_violation=max(0.0, ratio - 1.0),
        certified=bool(max_dual <= beta * (1 + tol)), tol=tol, dictionary_max=dict_max,
        worst={n: float(v[k]) for n, v in params.items()}, n_shapes=corr.size,
    )
