"""Trying to refute a chain dictionary: searches of the continuous unit family that never see it.

The vertex argument of :mod:`lassobook.families.chains` says the finite vertex
dictionary is complete: for every dual vector ``λ``, ``max |λᵀg(X)|`` over *all*
chain shapes is attained at a vertex.  The certificate checks that claim on a
sample that contains the vertices (:func:`lassobook.core.certificate.certify`);
:func:`continuous_search` checks it independently — a grid over a box that holds
every vertex (:func:`_search_box`), then zooming line searches from the best grid
points — and :func:`check_dictionary` runs both over many datasets.  A ratio
``max |λᵀg| / β`` above 1 would be a shape the dictionary misses.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from lassobook.core.activations import activation
from lassobook.core.networks import chain_function
from lassobook.families.chains import NarrowChain, _sign_sets


# ---------------------------------------------------------------------- an independent check
def _search_box(family, x_sorted) -> list[tuple[float, float]]:
    """Bounds on ``t`` holding every vertex of the arrangement (and every distinct shape).

    ``t_1`` within the data range widened by its length on both sides; a hidden
    threshold within ``±2·span`` (``[0, 2·span]`` after an even activation, the absolute
    value: a negative threshold there only adds a constant), stretched per layer by
    ``1/`` the layer's smallest nonzero slope magnitude (a leaky ReLU can shrink
    distances by ``ρ``).
    """
    span = float(x_sorted[-1] - x_sorted[0]) or 1.0
    box = [(float(x_sorted[0]) - span, float(x_sorted[-1]) + span)]
    stretch = 1.0
    for l in range(1, family.layers):
        record = activation(family.activations[l - 1])
        stretch /= min(abs(e) for e in record.slopes(family.rho) if e != 0)   # leaky: ρ
        reach = 2 * span * stretch
        box.append((0.0, reach) if record.even else (-reach, reach))
    return box


def continuous_search(fit, *, grid_points: int = 1_000_000, n_starts: int = 40, sweeps: int = 12,
                      seed: int = 0) -> dict:
    """Search the continuous unit family for ``max |λᵀg(X)|`` *without* the vertex list.

    A regular grid over the box of :func:`_search_box` (about ``grid_points`` chains,
    every sign vector), then, from the ``n_starts`` best grid points, line searches
    along the coordinate axes and seeded random directions: each line is sampled at
    1001 points, then zoomed four times around its best point (so a maximum at a
    kink of the piecewise-linear ``λᵀg`` is located to ~1e-12 of the box).  If the
    vertex dictionary were incomplete, this finds shapes beating it; it never sees
    the dictionary.  (It is a search, not a proof: a violating cell much smaller
    than the grid step can be missed — the tests measure what it catches.)

    Returns ``{"max_dual", "ratio", "dictionary_ratio", "worst": {"t", "s"}}``.
    """
    family, data, beta = fit.family, fit.data, fit.beta
    lam = fit.solution.residual
    lam = lam - lam.mean()                 # 1ᵀλ = 0 exactly: constants cannot leak in
    x = data.x
    D = family.layers
    box = np.array(_search_box(family, data.x_sorted))
    signs = np.array(list(product(*_sign_sets(family.activations))))
    per_axis = max(4, int((grid_points / signs.shape[0]) ** (1.0 / D)))
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in box]
    t_grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, D)

    def corr(t, s):                        # |λᵀg| for chains t (p, D) with signs s (D,) or (p, D)
        s = np.broadcast_to(s, t.shape)
        g = chain_function(x[:, None], family.activations, s.T[:, None, :], t.T[:, None, :], family.rho)
        return np.abs(lam @ g)

    cand_t, cand_s, cand_v = [], [], []
    for s in signs:
        for start in range(0, t_grid.shape[0], 100_000):
            part = t_grid[start:start + 100_000]
            v = corr(part, s)
            top = np.argsort(v)[::-1][:n_starts]
            cand_t.append(part[top])
            cand_s.append(np.repeat(s[None], top.size, axis=0))
            cand_v.append(v[top])
    cand_t, cand_s, cand_v = np.concatenate(cand_t), np.concatenate(cand_s), np.concatenate(cand_v)
    order = np.argsort(cand_v)[::-1]
    best_val = float(cand_v[order[0]])
    best = (cand_t[order[0]], cand_s[order[0]])
    rng = np.random.default_rng(seed)
    width = box[:, 1] - box[:, 0]
    for i in order[:n_starts]:
        t, s, val = cand_t[i].copy(), cand_s[i], float(cand_v[i])
        for _ in range(sweeps):
            before = val
            dirs = np.concatenate([np.eye(D), rng.normal(size=(D, D))])
            for d in dirs:
                d = d / np.linalg.norm(d / width)          # unit length in box coordinates
                lo, hi, line_val, line_t = -1.0, 1.0, val, t
                for zoom in range(5):
                    h = np.linspace(lo, hi, 1001 if zoom == 0 else 201)
                    pts = np.clip(t[None, :] + h[:, None] * d[None, :], box[:, 0], box[:, 1])
                    v = corr(pts, s)
                    k = int(np.argmax(v))
                    if v[k] > line_val:
                        line_val, line_t = float(v[k]), pts[k]
                    lo, hi = h[k] - (h[1] - h[0]), h[k] + (h[1] - h[0])
                val, t = line_val, line_t
            if val <= before * (1 + 1e-15):
                break
        if val > best_val:
            best_val, best = val, (t, s)
    dict_max = float(np.abs(lam @ fit.dictionary.matrix).max())
    return {"max_dual": best_val, "ratio": best_val / beta, "dictionary_ratio": dict_max / beta,
            "worst": {"t": [float(v) for v in best[0]], "s": [float(v) for v in best[1]]}}


def _check_one(family, data, beta: float, tol: float, resolution: int, search: bool) -> tuple:
    """One dataset of :func:`check_dictionary`: (worst ratio, network gap)."""
    from lassobook.solvers.lasso import fit_dense

    fit = fit_dense(data, family=family, beta=beta)
    worst = fit.certificate(tol=tol, resolution=resolution).ratio
    if search and isinstance(family, NarrowChain):
        worst = max(worst, continuous_search(fit)["ratio"])
    return worst, abs(fit.network_objective() - fit.objective) / max(fit.objective, 1e-300)


def check_dictionary(family, datasets, beta: float, *, tol: float = 1e-5, resolution: int = 2000,
                     search: bool = True, n_jobs: int = 1, backend=None) -> dict:
    """Fit ``family``'s Lasso on each dataset and try to refute it.

    Runs :func:`lassobook.core.certificate.certify` (the sampled continuous family) and,
    for a :class:`NarrowChain` with ``search``, :func:`continuous_search` too; one
    task per dataset through :func:`lassobook.sweeps.sweep` (``n_jobs`` workers or a
    Dask ``backend``, the same numbers either way).

    Returns ``{"n_datasets", "worst_ratio", "certified", "gap"}``: the largest
    ``max |λᵀg| / β`` found over all datasets and both searches, whether it stays
    within ``1 + tol``, and the largest relative gap between the Lasso optimum and
    the rebuilt network's objective.
    """
    from lassobook.sweeps import sweep

    tasks = [dict(family=family, data=data, beta=beta, tol=tol, resolution=resolution, search=search)
             for data in datasets]
    results = sweep(_check_one, tasks, n_jobs=n_jobs, backend=backend)
    worst = max((r[0] for r in results), default=0.0)
    gap = max((r[1] for r in results), default=0.0)
    return {"n_datasets": len(results), "worst_ratio": worst, "certified": bool(worst <= 1 + tol),
            "gap": gap}
