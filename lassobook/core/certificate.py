r"""Certificates of global optimality (the book's Definition ``def-certificate``).

After rescaling, a unit of a network family adds ``c·g(x)`` at cost ``β|c|``
with ``g`` in a continuous family ``G``.  A Lasso solution whose residual
``λ = y − Az − ξ1`` satisfies

.. math:: \max_{g \in G} |\lambda^\top g(X)| \le \beta

is a global minimum of the training problem for networks of *any* width (no
unit can be added with a first-order decrease of the objective, and the
problem over the measure of units is convex).  :func:`certify` finds the
maximum exactly with the family's structured oracle where it has one
(:mod:`lassobook.solvers.working_set`), or searches ``G`` by dense sampling of its
parameters, always including the data points, all midpoints and all reflections
``2x_i − x_j`` (:func:`lassobook.families.breakpoint_candidates`).

Dual feasibility alone does not make a solution optimal.  Scaled by
``1/max(1, ρ)`` (``ρ`` the maximum over ``β``) the dual point is feasible for the
dual of the training problem, whose objective ``D`` bounds the optimum from
below; :func:`finish` requires the relative duality gap ``(P − D)/P`` to be small
and the rebuilt network's own objective to equal ``P``.  All tolerances are
relative (:data:`DUAL_TOL`, :data:`GAP_TOL`, :data:`NETWORK_TOL`), so the verdict
does not depend on the units of ``x`` and ``y``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lassobook.core.dictionary import evaluate_shapes

#: Relative tolerances of a certificate (documented in README and the module docstring).
DUAL_TOL = 1e-5      # max |λᵀg| ≤ β (1 + DUAL_TOL) over the continuous family


GAP_TOL = 1e-4       # (P − D(λ / max(1, ρ))) ≤ GAP_TOL · P


NETWORK_TOL = 1e-8   # |network objective − P| ≤ NETWORK_TOL · P (+ float64 conditioning of x)


@dataclass
class Certificate:
    """Result of the dual check of a fit: dual feasibility, duality gap, rebuilt network.

    ``certified`` holds only when all three pass their *relative* tolerances:

    1. **dual feasibility** over the continuous unit family:
       ``max_g |λᵀg(X)| ≤ β (1 + tol)``;
    2. **duality gap**: the scaled dual point ``λ / max(1, ρ)`` (``ρ = max_g |λᵀg|/β``)
       is feasible, so ``D(λ/max(1, ρ)) ≤ optimum ≤ P`` with ``D(λ) = λᵀy − ½ Σ λ_n²/w_n``;
       ``relative_gap = (P − D)/P ≤ gap_tol``;
    3. **the network**: the network rebuilt from the solution has training objective
       ``P`` (relative ``network_tol``, widened by the float64 conditioning of inputs
       far from the origin, ``16 ε · max|x| / span``, and measured against at least
       ``64 ε`` times the data's scale ``½ Σ w (y − ȳ)²``, to which float64 evaluates
       squared errors).

    Attributes
    ----------
    max_dual : float
        ``max_g |λᵀg(X)|`` over the continuous family (exact, or over a dense sample).
    beta : float
    ratio : float
        ``max_dual / β`` (≤ 1 means no unit improves the solution).
    max_dual_violation : float
        ``max(0, ratio − 1)``: relative excess over β; 0 for an optimal solution.
    certified : bool
        All three checks pass (see above).
    tol : float
        Relative tolerance of the dual check.
    dictionary_max : float
        ``max_k |A_kᵀλ|`` over the finite dictionary (the Lasso's own dual constraint).
    worst : dict
        Parameters of the shape attaining ``max_dual``.
    n_shapes : int
        Number of shapes the maximum was taken over (sampled or the full dictionary).
    exact : bool
        True if ``max_dual`` is the exact maximum over the continuous family (an oracle),
        False if over a dense sample.
    primal, dual : float
        ``P`` (the Lasso objective of the solution, without the constant of merged
        repeats) and ``D(λ/max(1, ρ))``, a lower bound on the optimum.
    relative_gap, gap_tol : float
    network_objective : float
        The rebuilt network's own training objective (``nan`` if not checked).
    network_error, network_tol : float
        ``|network_objective − objective| / objective`` and its tolerance.
    dual_ok, gap_ok, network_ok : bool
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
    exact: bool = False
    primal: float = float("nan")
    dual: float = float("nan")
    relative_gap: float = float("nan")
    gap_tol: float = GAP_TOL
    network_objective: float = float("nan")
    network_error: float = float("nan")
    network_tol: float = NETWORK_TOL
    dual_ok: bool = False
    gap_ok: bool = False
    network_ok: bool = False
    note: str = ""

    def __str__(self) -> str:
        verdict = "certified" if self.certified else "NOT certified"
        scope = "exact over the continuous family" if self.exact else f"{self.n_shapes} sampled unit shapes"
        ratio = f"{self.ratio:.10f}" if self.ratio < 1e6 else f"{self.ratio:.3e}"
        text = (f"{verdict}: max |λᵀg| / β = {ratio} ({scope}; tol {self.tol:g}), "
                f"relative duality gap {self.relative_gap:.2e} (tol {self.gap_tol:g}), "
                f"network objective error {self.network_error:.1e}")
        return text + (f"; {self.note}" if self.note else "")

    def record(self) -> dict:
        """The JSON-ready numbers (as written to ``fit.json``)."""
        return {
            "certified": self.certified, "max_dual_violation": self.max_dual_violation,
            "dual_ratio": self.ratio, "dual_tol": self.tol, "dual_exact": self.exact,
            "relative_duality_gap": self.relative_gap, "gap_tol": self.gap_tol,
            "dual_objective": self.dual, "network_objective": self.network_objective,
            "network_relative_error": self.network_error, "network_tol": self.network_tol,
            "note": self.note,
        }


def dual_objective(lam, y, w) -> float:
    r"""``D(λ) = λᵀy_c − ½ Σ_n λ_n² / w_n`` (weighted-centred ``y``; needs ``1ᵀλ ≈ 0``)."""
    lam, y, w = (np.asarray(v, dtype=np.float64) for v in (lam, y, w))
    yc = y - float(w @ y) / float(w.sum())
    return float(lam @ yc - 0.5 * np.sum(lam * lam / w))


def finish(cert: Certificate, fit, *, gap_tol: float = GAP_TOL,
           network_tol: float = NETWORK_TOL) -> Certificate:
    """Add the duality gap and the rebuilt-network check to a dual check ``cert`` of ``fit``.

    ``certified`` becomes dual feasibility *and* relative gap *and* network objective.
    """
    data = fit.data
    rho = max(1.0, cert.ratio)
    primal = float(fit.solution.objective)
    dual = dual_objective(fit.solution.residual / rho, data.y, data.w)
    scale = max(primal, 0.0)
    gap = max(0.0, primal - dual)
    rel_gap = 0.0 if gap == 0.0 else (gap / scale if scale > 0 else float("inf"))
    net_obj = float(fit.network_objective())
    total = fit.objective
    span = float(np.ptp(data.x))
    conditioning = 16 * np.finfo(float).eps * float(np.abs(data.x).max()) / span if span > 0 else 0.0
    tol_net = network_tol + conditioning
    # float64 evaluates the squared errors to ~ε of the data's own scale ½Σw(y − ȳ)² (what the
    # zero network costs): at tiny β the optimum can be far below it
    y, w = data.y, data.w
    floor = 64 * np.finfo(float).eps * 0.5 * float(w @ (y - float(w @ y) / float(w.sum())) ** 2)
    err = abs(net_obj - total) / max(total, floor) if max(total, floor) > 0 else abs(net_obj - total)
    cert.primal, cert.dual, cert.relative_gap, cert.gap_tol = primal, dual, rel_gap, gap_tol
    cert.network_objective, cert.network_error, cert.network_tol = net_obj, err, tol_net
    cert.dual_ok = bool(cert.max_dual <= cert.beta * (1 + cert.tol))
    cert.gap_ok = bool(rel_gap <= gap_tol)
    cert.network_ok = bool(err <= tol_net)
    cert.certified = cert.dual_ok and cert.gap_ok and cert.network_ok
    if not cert.certified:
        cert.note = _diagnosis(cert, fit)
    return cert


def beta_max(family, data, *, sampled: bool = True) -> float | None:
    """``β_max = max_g |g(X)ᵀ w (y − ȳ)|`` over the continuous family: for ``β ≥ β_max`` the
    constant network is optimal.  Exact where the family has an oracle; otherwise sampled
    (or ``None`` with ``sampled=False``)."""
    y, w = data.y, data.w
    lam0 = w * (y - float(w @ y) / float(w.sum()))
    found = exact_maximum(family, data, lam0)
    if found is None and sampled:
        found = sampled_maximum(family, data, lam0)
    return None if found is None else found[0]


def interpolation_limit(beta: float, beta_max: float | None) -> str | None:
    """The plain sentence for a β below 1e-6·β_max (the interpolation limit), else ``None``."""
    if beta_max is None or not beta < 1e-6 * beta_max:
        return None
    return (f"β = {beta:.3g} is {beta / beta_max:.1e} of β_max = {beta_max:.3g}: the problem is at "
            f"the interpolation limit; its limit as β → 0 is the minimum-ℓ1 interpolant "
            f"(lassobook.analysis.interpolation.min_l1_interpolation)")


def _diagnosis(cert: Certificate, fit) -> str:
    """One sentence on why a fit is not certified (and what to do)."""
    if not cert.dual_ok:
        limit = interpolation_limit(fit.beta, beta_max(fit.family, fit.data))
        return limit or "a unit outside the dictionary improves the fit (the dual check failed)"
    if not cert.gap_ok:
        return "the solution is not optimal to the stated tolerance (duality gap too large)"
    return "the rebuilt network's objective differs from the Lasso objective"


def dual_correlations(family, x, residual, params, chunk: int = 4096) -> np.ndarray:
    """``|λᵀ g(x)|`` for each shape with parameters ``params`` (arrays of shape (p,)), shape (p,)."""
    p = len(next(iter(params.values())))
    out = np.empty(p)
    for start in range(0, p, chunk):
        part = {k: np.asarray(v)[start:start + chunk] for k, v in params.items()}
        out[start:start + chunk] = np.abs(residual @ evaluate_shapes(family, x, part))
    return out


def sampled_maximum(family, data, lam, resolution: int = 2000) -> tuple[float, dict, int]:
    """``max_g |λᵀg(X)|`` over a dense sample of the continuous family: (value, worst params, count)."""
    params = family.candidate_params(data, resolution)
    corr = dual_correlations(family, data.x, lam, params)
    k = int(np.argmax(corr))
    return float(corr[k]), {n: float(v[k]) for n, v in params.items()}, int(corr.size)


def exact_maximum(family, data, lam, oracle=None):
    """``max_g |λᵀg(X)|`` over the continuous family, exactly, by the family's structured oracle.

    Returns ``(value, worst params, number of dictionary columns)``, or ``None`` when the
    family has no oracle whose maximum is the continuous one
    (:attr:`lassobook.core.oracle.StructuredOracle.continuous`).  A given ``oracle``
    is used as it is (its maximum may be over its finite dictionary only).
    """
    if oracle is None:          # only an oracle whose maximum is the continuous one
        if not family.has_oracle:
            return None
        oracle = family.oracle(data)
        if not oracle.continuous:
            return None
    sums = oracle.sums(np.asarray(lam, dtype=np.float64)[data.order])
    value, keys, _ = oracle.search(sums, 1)
    worst = {k: float(v[0]) for k, v in oracle.params(keys[:1]).items()} if len(keys) else {}
    return float(value), worst, int(min(oracle.n_columns, np.iinfo(np.int64).max))


def certify(fit, *, tol: float = DUAL_TOL, resolution: int = 2000, sampled: bool = True,
            oracle=None) -> Certificate:
    """Certify (or refute) global optimality of a :class:`~lassobook.solvers.lasso.LassoFit`.

    Parameters
    ----------
    fit : LassoFit
    tol : float
        Relative slack for the solver's finite accuracy in the dual check:
        ``max_g |λᵀg| ≤ β (1 + tol)``.
    resolution : int
        Number of grid points per continuous parameter, on top of the data
        points, midpoints and reflections (sampled check).
    sampled : bool
        True: maximize over a dense sample of the continuous family (always
        available, independent of the structured oracles).  False: the exact
        maximum by the family's structured oracle where it has one (falls back
        to the sample otherwise).
    oracle : StructuredOracle, optional
        The oracle to use for the exact maximum (default: built for the fit's data).

    The duality gap and the rebuilt network are then checked (:func:`finish`).
    """
    data, beta = fit.data, fit.beta
    lam = fit.solution.residual
    found = None if sampled else exact_maximum(fit.family, data, lam, oracle)
    exact = found is not None
    max_dual, worst, n_shapes = found if exact else sampled_maximum(fit.family, data, lam, resolution)
    dict_max = float(np.abs(lam @ fit.dictionary.matrix).max(initial=0.0))
    ratio = max_dual / beta
    cert = Certificate(
        max_dual=max_dual, beta=beta, ratio=ratio, max_dual_violation=max(0.0, ratio - 1.0),
        certified=bool(max_dual <= beta * (1 + tol)), tol=tol, dictionary_max=dict_max,
        worst=worst, n_shapes=n_shapes, exact=exact,
    )
    return finish(cert, fit)
