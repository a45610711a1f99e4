r"""Deep narrow ReLU networks (L = 3, 4): chains of width-1 layers, and reflections.

The parallel architecture, its normalized shapes (capped ramps), the paper's
``(s, j, k)`` dictionary with its reflection columns and why ``L = 3`` and ``L = 4``
have the same optimum are derived in :mod:`lassobook.families.deep_narrow`; this
module holds the chapter's tables, figures and runs.

**The authors' architecture** (:class:`lassobook.paper.authors.AuthorsNet`, Figures 2, 3, 19 of the paper):
``L − 2`` *shared* width-1 ReLU layers, then one wide ReLU layer and a linear
output, ``f(x) = Σ_k α_k (u_k h(x) + c_k)_+ + ξ`` with ``h`` the shared chain.  It
is **not** a sum of independent chains: the shared weights are paid once.  With
the same penalty ``(β/L)Σ|w|^L`` its objective can go *below* the parallel
network's optimum (:func:`lassobook.paper.authors.authors_split_network`: one chain spread evenly over
``m`` wide units costs ``β|c|/√m`` at ``L = 4`` instead of ``β|c|``), so the
Lasso describes neither its optimum nor its optimal networks.  Statements about
the Lasso below are about the parallel architecture unless said otherwise.

See Also
--------
lassobook.families.TwoLayer : the ``L = 2`` family (ReLU ramps).
lassobook.core.certificate.certify : the dual search over the continuous chain family.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from lassobook.analysis.interpolation import basis_pursuit
from lassobook.families.deep_narrow import DeepNarrowReLU, capped_ramp
from lassobook.paper.authors import (
    AUTHORS_PROTOCOL,
    FIG3_THEORETICAL,
    authors_options,
    reflection_hits,
    theoretical_coefficients,
)
from lassobook.training import train_adam


def optimal_supports(fit, max_units: int = 3, rtol: float = 1e-6):
    """The smallest supports of optimal Lasso solutions, by exact enumeration over active columns.

    A vector ``z`` supported on ``S`` is optimal iff it reproduces the (unique)
    optimal fitted values and ``sign(z_k) = sign(A_kᵀλ*)`` with ``|A_kᵀλ*| = β``
    on ``S`` (then ``β‖z‖₁ = λ*ᵀAz``, the optimal value).  Tries all subsets of the
    active columns of size ``1, 2, …, max_units``.

    Returns
    -------
    (size, supports) : int and list of (columns, coefficients); ``size = None``
    if no optimal solution has at most ``max_units`` units.
    """
    A = fit.dictionary.matrix
    lam = fit.solution.residual
    corr = A.T @ lam
    active = np.flatnonzero(np.abs(corr) >= fit.beta * (1 - 1e-5))
    Ac = A - A.mean(axis=0)
    target = Ac @ fit.solution.z
    scale = max(1.0, np.abs(target).max())
    for r in range(1, max_units + 1):
        found = []
        for S in combinations(active.tolist(), r):
            M = Ac[:, S]
            z, *_ = np.linalg.lstsq(M, target, rcond=None)
            if np.abs(M @ z - target).max() > rtol * scale:
                continue
            if np.all(z * np.sign(corr[list(S)]) > 0):
                found.append((list(S), z))
        if found:
            return r, found
    return None, []


# ---------------------------------------------------------------------- the chapter's tables
# The deep narrow chapter's computations, each returning a pandas DataFrame (the page
# shows it as a table) and asserting what the chapter states.
def chapter_family(depth: int):
    """The ReLU family of depth ``depth`` (2: two-layer; 3, 4: parallel deep narrow)."""
    from lassobook.families import get_family

    return get_family("relu", depth=depth)


def chapter_dictionary(data, depth: int):
    """The pruned dictionary of ``depth`` (one column per pair g, C − g)."""
    from lassobook.core.dictionary import build_dictionary

    return build_dictionary(data, chapter_family(depth))


def chapter_lasso(data, depth: int, beta: float, **kw):
    """The dense (interior-point) Lasso fit over :func:`chapter_dictionary`."""
    from lassobook.solvers.lasso import fit_dense

    return fit_dense(data, family=chapter_family(depth), beta=beta,
                     dictionary=chapter_dictionary(data, depth), **kw)


def dictionary_table(data, depth: int):
    """The kept columns of ``depth``'s dictionary: index, shape, reflection breakpoint."""
    import pandas as pd

    fam, D = chapter_family(depth), chapter_dictionary(data, depth)
    rows = []
    for c in range(D.size):
        p = {k: v[c] for k, v in D.params.items()}
        sigma, lo, hi = fam.canonical(p)
        rows.append({"index (s, j, k)": D.labels[c],
                     "shape": ("+" if sigma > 0 else "−") + f"ramp({lo:g}, {hi:g})",
                     "reflection breakpoint": fam.mirror(p)})
    return pd.DataFrame(rows)


def certify_cases(cases, tol: float = 1e-6):
    """Lasso vs rebuilt network and the exact certificate, for every (name, data, beta) and L = 3, 4.

    Asserts: the rebuilt network's objective is the Lasso objective of the
    coefficients it keeps; at ``beta ≥ 0.01`` it is the optimum to ``tol``; the exact
    active-set solution is certified and the interior-point optimum matches it to 1e-5.

    Returns ``(fits, table)``: ``fits[name, L, beta]`` the dense fits.
    """
    import pandas as pd

    from lassobook.fitting import fit as exact_fit
    from lassobook.solvers.lasso import lasso_objective

    fits, rows = {}, []
    for name, data, beta in cases:
        for L in (3, 4):
            fit = chapter_lasso(data, L, beta)
            fits[name, L, beta] = fit
            net_obj = fit.network_objective()
            keep = np.isin(np.arange(fit.dictionary.size), fit.support)
            kept = lasso_objective(fit.dictionary.matrix, data.y,
                                   np.where(keep, fit.solution.z, 0.0), fit.solution.xi, beta)
            rel = abs(net_obj - fit.objective) / fit.objective
            assert abs(net_obj - kept) <= 1e-9 * kept
            if beta >= 0.01:
                assert rel <= tol, (name, L, beta, rel)
            exact = exact_fit(data, family=chapter_family(L), beta=beta, solver="structured")
            cert = exact.certificate()
            assert cert.certified, (name, L, beta, str(cert))
            assert abs(fit.objective - exact.objective) <= 1e-5 * exact.objective
            rows.append({"data": name, "β": beta, "L": L, "Lasso optimum / β": fit.objective / beta,
                         "network objective / β": net_obj / beta, "rel. difference": rel,
                         "certificate ratio": cert.ratio, "units": fit.support.size})
    return fits, pd.DataFrame(rows)


def same_optimum_table(cases, fits, rtol: float = 1e-5):
    """Optimal objectives of L = 3, L = 4 and L = 4 without reflection columns (asserted equal)."""
    import pandas as pd

    from lassobook.solvers.lasso import fit_dense

    rows = []
    for name, data, beta in cases:
        no_mirrors = fit_dense(data, family=DeepNarrowReLU(4, reflections=False), beta=beta)
        o = [fits[name, 3, beta].objective, fits[name, 4, beta].objective, no_mirrors.objective]
        spread = (max(o) - min(o)) / min(o)
        assert spread <= rtol, name
        rows.append({"data": name, "β": beta, "L = 3": o[0] / beta, "L = 4": o[1] / beta,
                     "L = 4, no reflections": o[2] / beta, "rel. spread": spread})
    return pd.DataFrame(rows)


def smallest_table(cases, fits, max_units: int = 3):
    """The number of units of the smallest optimal networks at L = 3 and 4 (None: more than
    ``max_units``); asserts that the reflections never make it larger."""
    import pandas as pd

    rows = []
    for name, _, beta in cases:
        sizes = [optimal_supports(fits[name, L, beta], max_units=max_units)[0] for L in (3, 4)]
        if sizes[0] is not None:
            assert sizes[1] is not None and sizes[1] <= sizes[0], name
        rows.append({"data": name, "β": beta, "L = 3": sizes[0], "L = 4": sizes[1]})
    df = pd.DataFrame(rows)
    for col in ("L = 3", "L = 4"):
        df[col] = [f"> {max_units}" if v is None or v != v else str(int(v)) for v in df[col]]
    return df


def fig3_theory_table(data, beta: float):
    """Figure 3's theoretical networks: interpolation, ℓ1 norm, the exact minimum ℓ1 of an
    interpolating network (an LP) with its dual certified over the continuous family, and
    the objective at ``beta`` vs the minimum-ℓ2-norm Lasso optimum.  Asserts all of it.

    Returns ``(table, min_norm_fits)``.
    """
    import pandas as pd

    from lassobook.core.certificate import dual_correlations
    from lassobook.solvers.lasso import lasso_objective

    rows, min_norm = [], {}
    for L in (2, 3, 4):
        D, fam = chapter_dictionary(data, L), chapter_family(L)
        units = FIG3_THEORETICAL[L]
        fitted = sum(c * capped_ramp(p, q, data.x) for c, p, q in units)
        l1 = sum(abs(c) for c, _, _ in units)
        _, _, l1_bp, lam = basis_pursuit(D)
        sup = dual_correlations(fam, data.x, lam, fam.candidate_params(data)).max()
        zt = theoretical_coefficients(D, units)
        xi_t = float(np.mean(data.y - D.matrix @ zt))
        obj_t = lasso_objective(D.matrix, data.y, zt, xi_t, beta)
        mn = chapter_lasso(data, L, beta, min_norm=True)
        min_norm[L] = mn
        err = np.abs(fitted - data.y).max()
        assert err < 1e-12
        assert abs(l1_bp - l1) <= 1e-9 and sup <= 1 + 1e-9
        assert abs(obj_t - mn.objective) <= 1e-5 * mn.objective
        rows.append({"L": L, "max |f(x_n) − y_n|": err, "‖z‖₁ of the drawn network": l1,
                     "least ‖z‖₁ that interpolates": l1_bp, "dual sup over chains": sup,
                     "objective / β (drawn)": obj_t / beta,
                     "Lasso optimum / β": mn.objective / beta})
    return pd.DataFrame(rows), min_norm


def min_norm_units(fit, atol: float = 1e-6):
    """The minimum-ℓ2-norm solution as units ``(c, p, q)`` (L ≥ 3) or labelled ReLUs (L = 2)."""
    D, z = fit.dictionary, fit.solution.z
    out = []
    for c in fit.support:
        if abs(z[c]) <= atol:
            continue
        p = {k: v[c] for k, v in D.params.items()}
        if isinstance(fit.family, DeepNarrowReLU):
            sigma, lo, hi = fit.family.canonical(p)
            out.append((float(sigma * z[c]), lo, hi))
        else:
            out.append((float(z[c]), D.labels[c]))
    return out


def random_init_runs(panels, seeds, max_epochs: int, fits, radius: float = 0.1, tol=1e-6):
    """Adam from random initializations on each panel, both architectures (parallel chains
    on the exact objective; the authors' network with their loss and weight decay).
    Asserts that no parallel run ends below the Lasso optimum.

    Returns ``(runs, table)``: ``runs[name, L, arch] = (AdamRuns, ReflectionHits, optimum)``.
    """
    import pandas as pd

    from lassobook.core.data import paper_dataset

    seeds = list(seeds)
    runs, rows = {}, []
    for name, L in panels:
        s = AUTHORS_PROTOCOL[name, L]
        data = paper_dataset(s["dataset"])
        epochs = min(s["epochs"], max_epochs)
        opt = fits[name, L, s["beta"]].objective
        parallel = train_adam(data, family=chapter_family(L), beta=s["beta"], width=s["width"],
                              seeds=seeds, epochs=epochs, lr=5e-3, progress=False)
        authors = train_adam(data, beta=s["beta"], width=s["width"], seeds=seeds, epochs=epochs,
                             progress=False, **authors_options(L, seeded=None))
        for arch, r in (("parallel", parallel), ("authors'", authors)):
            hits = reflection_hits(r.network, data, s["reflection"], radius)
            ratio = r.objectives / opt
            runs[name, L, arch] = (r, hits, opt)
            if arch == "parallel":
                assert ratio.min() >= 1 - tol, (name, L)
            rows.append({"panel": name, "L": L, "network": arch,
                         "kink at reflection": hits.fraction,
                         "any kink at reflection": float(np.mean(hits.any_at_reflection)),
                         "interpolating": float(np.mean(hits.interpolates)),
                         "constant": float(np.mean(hits.constant)),
                         "objective / optimum, min": ratio.min(),
                         "median": float(np.median(ratio))})
    return runs, pd.DataFrame(rows)


def representative(runs, hits) -> int:
    """Index of the median-objective run among the interpolating runs (all runs if none)."""
    pool = (np.flatnonzero(hits.interpolates) if hits.interpolates.any()
            else np.arange(runs.objectives.size))
    return int(pool[np.argsort(runs.objectives[pool])[pool.size // 2]])
