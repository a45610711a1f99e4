r"""Sign and threshold networks of any depth: switching dictionaries.

A *unit* of depth ``L ≥ 3`` has ``L − 2`` hidden layers of sign (or threshold)
neurons with widths ``m_1, …, m_{L−2}``, then one *unit neuron*
``σ(v·h + c)``, multiplied by an amplitude ``s`` and an output weight ``α``.
The network is a sum of units plus an output bias ``ξ``.  Two wirings:

* **rectangular** — consecutive hidden layers are fully connected (layer ``l``
  has ``m_l`` neurons, each sees all ``m_{l−1}`` neurons of layer ``l − 1``);
* **tree** — every neuron at level ``l ≥ 2`` has its *own* ``m_{l−1}`` children,
  so level ``l`` has ``m_l m_{l+1} ⋯ m_{L−2}`` neurons and the unit neuron has
  ``m_{L−2}`` children.

Only ``α`` and ``s`` are penalized, ``(β/2)(α² + s²) ≥ β|α s|``, with equality
after rescaling; inner weights are scale-free.  On sorted data a unit's output
is a ±1 (or 0/1) *pattern*; the number of *switches* of a pattern is its
number of sign changes along the sorted data.  A rectangular unit realizes
exactly the patterns with at most ``K = m_1`` switches, a tree unit those
with at most ``K = m_1 m_2 ⋯ m_{L−2}`` (capped at ``N − 1``).  The Lasso
dictionary (:class:`DeepSign`) is therefore the set of all ±1 patterns with
``1 ≤ k ≤ K`` switches, one of each ± pair, normalized to start at ``+1`` on
the left (the constant pattern is absorbed by the free bias):
``Σ_{k=1}^{K} C(N−1, k)`` columns.

Column encoding
---------------
Parameters ``switch_0 … switch_{K−1}`` (arrays of shape (p,)) hold the switch
*locations*, sorted, ``+inf`` for unused ones; a switch between sorted points
``x_n`` and ``x_{n+1}`` is stored as ``x_{n+1}``.  The unit shape is

.. math:: g(x) = \prod_l \bigl(+1 \text{ if } x < t_l \text{ else } -1\bigr)

for sign networks and ``(g + 1)/2`` for threshold networks (so the threshold
Lasso at ``β`` is the sign Lasso at ``2β``).

What else lives here
--------------------
* :class:`DeepSignNet` — the torch network (``n_models`` copies, float64).
* :func:`unit_weights` — the constructive reconstruction of a unit realizing a
  given pattern, for any depth and both wirings.
* :func:`enumerate_unit_patterns` — the set of patterns a unit realizes on
  ``N`` points, computed from first principles (first-layer patterns, then all
  linear threshold functions of children patterns), independent of the
  switching dictionary.
* :func:`max_switching_correlation` and :func:`exact_certificate` — the exact
  dual check ``max_{g: ≤K switches} |λᵀg| ≤ β`` by dynamic programming.
* :func:`sample_unit_patterns` — patterns of random units (the sampled,
  non-circular certificate of :meth:`DeepSign.candidate_params`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from lassobook.families.sign import exact_certificate
from lassobook.families.sign_network import DeepSignNet, sample_unit_patterns, unit_weights
from lassobook.families.sign_patterns import (
    count_switches,
    dictionary_size,
    enumerate_unit_patterns,
    max_switches,
    switching_patterns,
)

# ============================================================================ book helpers
# Tables and checks of the chapter "Sign and threshold networks", kept here so that
# the page shows statements, figures and one-line verdicts.

def enumeration_table(cases, n: int):
    """Enumerate the patterns of every ``(architecture, widths)`` unit on ``n`` points.

    For sign and threshold units alike, compares the enumerated patterns with the
    patterns with at most ``K`` switches (both signs and the constants counted).
    Returns ``(DataFrame, enumerated, equal)`` with ``enumerated[arch, widths,
    activation]`` the patterns and ``equal[arch, widths, activation]`` the verdict.
    """
    import pandas as pd

    rows, enumerated, equal = [], {}, {}
    for arch, widths in cases:
        K = max_switches(arch, widths)
        counts = {}
        for act in ("sign", "threshold"):
            pats = enumerate_unit_patterns(n, len(widths) + 2, widths, arch, act)
            target = np.unique(switching_patterns(n, K, act, both_signs=True,
                                                  constants=True), axis=0)
            equal[arch, widths, act] = bool(np.array_equal(pats, target))
            counts[act] = len(pats)
            enumerated[arch, widths, act] = pats
        switching = np.unique(switching_patterns(n, K, both_signs=True, constants=True),
                              axis=0)
        rows.append({"architecture": arch, "widths": str(widths), "depth": len(widths) + 2,
                     "K": K, "sign patterns": counts["sign"],
                     "threshold patterns": counts["threshold"],
                     "patterns with ≤ K switches": len(switching),
                     "equal": "yes" if equal[arch, widths, "sign"]
                     and equal[arch, widths, "threshold"] else "NO"})
    return pd.DataFrame(rows).set_index(["architecture", "widths"]), enumerated, equal


def check_reconstruction(x_sorted, architecture: str = "tree", widths=(2, 2),
                         n_switches: int = 4) -> str:
    """Build a unit for a pattern with (up to) ``n_switches`` switches at training
    points (:func:`unit_weights`) and check it on a dense grid.

    Asserts that the unit neuron's pre-activation is exactly ±1 and that the output
    jumps exactly at the switch locations.  Returns a one-line verdict.
    """
    xs = np.asarray(x_sorted, dtype=np.float64)
    idx = np.unique(np.linspace(1, xs.size - 1, n_switches).astype(int))
    switches = xs[idx]
    weights = unit_weights(switches, architecture, widths)
    unit = DeepSignNet("sign", len(widths) + 2, architecture, widths, width=1)
    unit.load_units([weights])
    grid = np.concatenate([np.linspace(xs[0] - 0.5, xs[-1] + 0.5, 2001), xs])
    with torch.no_grad():
        hidden = unit.hidden_layers(torch.as_tensor(grid))[-1]
        pre = (torch.einsum("swc,swcn->swn", unit.unit_w, hidden)
               + unit.unit_b[..., None])[0, 0].numpy()
        out = unit.unit_outputs(torch.as_tensor(grid))[0, 0].numpy()
    target = np.prod(np.where(grid[:, None] < switches[None, :], 1.0, -1.0), axis=1)
    assert set(np.unique(pre)) <= {-1.0, 1.0} and np.array_equal(out, target)
    return (f"{architecture} {tuple(widths)} unit built for {switches.size} switches: "
            f"pre-activation exactly ±1, output jumps exactly at the switches "
            f"({grid.size} grid points)")


def depth_fits(families: dict, data, beta: float, *, n_random_units: int,
               tol: float = 1e-6):
    """Fit, sparsify (vertex solution), rebuild and certify every family.

    Asserts, per family, that the Lasso optimum equals the rebuilt network's
    objective (relative ``tol``), that the network has at most ``N − 1`` units,
    and that both the sampled and the exact certificates hold.  Returns
    ``(DataFrame, fits, sampled, exact)``.
    """
    import pandas as pd

    from lassobook.analysis.landscape import vertex_solution
    from lassobook.solvers.lasso import fit_dense

    rows, fits, sampled, exact = [], {}, {}, {}
    for name, fam in families.items():
        fit = fits[name] = vertex_solution(fit_dense(data, family=fam, beta=beta))
        net = fit.network_objective()
        rel = abs(net - fit.objective) / fit.objective
        sampled[name] = fit.certificate(resolution=max(1, n_random_units // 10))
        exact[name] = exact_certificate(fit)
        assert rel <= tol and fit.support.size <= data.n - 1, name
        assert sampled[name].certified and exact[name].certified, name
        rows.append({"network": name, "K": min(getattr(fam, "K", 1), data.n - 1),
                     "columns": fit.dictionary.size, "Lasso optimum": fit.objective,
                     "relative difference": rel, "units": fit.support.size,
                     "sampled ratio": sampled[name].ratio, "exact ratio": exact[name].ratio})
    return pd.DataFrame(rows).set_index("network"), fits, sampled, exact


def threshold_table(data, beta: float, *, tol: float = 1e-6):
    """Threshold Lasso at ``β`` against sign Lasso at ``2β`` (rectangular (3,), tree (2, 2)).

    Asserts equal optima, equal fitted values and the rebuilt threshold network's
    objective; returns a DataFrame.
    """
    import pandas as pd

    from lassobook.families import get_family
    from lassobook.solvers.lasso import fit_dense

    rows = []
    for arch, widths in [("rectangular", (3,)), ("tree", (2, 2))]:
        depth = 4 if arch == "tree" else 3
        fams = {act: get_family(act, depth=depth, architecture=arch, widths=widths)
                for act in ("threshold", "sign")}
        thr = fit_dense(data, family=fams["threshold"], beta=beta)
        sgn = fit_dense(data, family=fams["sign"], beta=2 * beta)
        rel = abs(thr.objective - sgn.objective) / sgn.objective
        gap = np.abs(thr.predict(data.x) - sgn.predict(data.x)).max()
        assert rel <= tol and gap <= 1e-5
        assert abs(thr.network_objective() - thr.objective) <= tol * thr.objective
        rows.append({"unit": f"{arch} {widths}", "threshold optimum at β": thr.objective,
                     "sign optimum at 2β": sgn.objective, "relative difference": rel,
                     "largest fit difference": gap})
    return pd.DataFrame(rows).set_index("unit")


def closed_form_table(data, beta: float, *, tol: float = 1e-6):
    """The two closed forms against the Lasso, for sign and threshold networks.

    ``K = 1`` (a depth-4 narrow network): total-variation denoising; ``K = N − 1``
    (a depth-3 network with ``m_1 = N − 1``): ℓ∞ clipping.  Asserts equal optima and
    fitted values; returns a DataFrame (one row per activation and form).
    """
    import pandas as pd

    from lassobook.families import get_family
    from lassobook.solvers.closed_forms import linf_network_fit, tv_network_fit
    from lassobook.solvers.lasso import fit_dense

    rows = []
    for act in ("sign", "threshold"):
        narrow = fit_dense(data, family=get_family(act, depth=4), beta=beta)
        every = fit_dense(data, family=get_family(act, depth=3, widths=(data.n - 1,)),
                          beta=beta)
        for form, lasso, (fitted, value) in [
                ("K = 1: TV denoising", narrow,
                 tv_network_fit(data, activation=act, beta=beta)),
                ("K = N − 1: ℓ∞ clipping", every,
                 linf_network_fit(data, activation=act, beta=beta))]:
            rel = abs(value - lasso.objective) / lasso.objective
            assert rel <= tol and np.abs(fitted - lasso.predict(data.x)).max() <= 1e-5
            rows.append({"activation": act, "closed form": form, "closed-form optimum": value,
                         "Lasso optimum": lasso.objective, "relative difference": rel})
    return pd.DataFrame(rows).set_index(["activation", "closed form"])


def sampled_table(families: dict, fits: dict, data, *, n_units: int, tol: float = 1e-6):
    """The non-circular certificate: patterns of ``n_units`` random units per family.

    Asserts that no random unit exceeds ``K`` switches and none beats ``β``;
    returns a DataFrame (patterns found, of how many, max switches, max ratio).
    """
    import pandas as pd

    rows = []
    for name, fam in families.items():
        pats = sample_unit_patterns(fam, data.x_sorted, n_units=n_units)
        lam = fits[name].solution.residual[data.order]
        ratio = np.abs(pats @ lam).max() / fits[name].beta
        assert count_switches(pats).max() <= fam.K and ratio <= 1 + tol, name
        rows.append({"network": name, "K": fam.switch_budget(data.n),
                     "patterns found": len(pats),
                     "patterns with ≤ K switches": dictionary_size(data.n, fam.K) + 1,
                     "max switches": int(count_switches(pats).max()),
                     "max |λᵀg|/β": ratio})
    return pd.DataFrame(rows).set_index("network")


def size_table(cases):
    """Dictionary sizes ``(N, family)`` built against the formula ``Σ C(N−1, k)``."""

    import pandas as pd

    from lassobook.core.data import random_dataset
    from lassobook.core.dictionary import build_dictionary

    rows = []
    for n, fam in cases:
        d = build_dictionary(random_dataset(n, 1), fam)
        expected = sum(math.comb(n - 1, k) for k in range(1, min(fam.K, n - 1) + 1))
        assert d.size == expected == fam.dictionary_size(n)
        rows.append({"N": n, "K": fam.K, "columns built": d.size, "formula": expected})
    return pd.DataFrame(rows)


def check_zero_gradients(family, data, beta: float, width: int) -> str:
    """Autograd at a random initialization: inner weights and biases get no gradient,
    the output weights do.  Returns a one-line verdict."""
    net = family.network(width=width)
    net.random_init([0], data.x_sorted)
    objective = net.objective(data.x, data.y, beta).sum()
    inner = [net.first_w, net.first_b, *net.hidden_w, *net.hidden_b, net.unit_w, net.unit_b]
    grads = torch.autograd.grad(objective, inner + [net.alpha, net.amplitude],
                                materialize_grads=True)
    inner_max = max(g.abs().max().item() for g in grads[:len(inner)])
    alpha_max = grads[-2].abs().max().item()
    assert inner_max == 0.0 and alpha_max > 0
    return (f"max |∂/∂(inner weights, biases)| = {inner_max:.1e}; "
            f"max |∂/∂α| = {alpha_max:.2e}")


def depth_families() -> dict:
    """The sign networks of the chapter, by name: depth 2 (``K = 1``), a narrow
    depth-4 network, rectangular units and trees up to ``K = 9``."""
    from lassobook.families import get_family

    def sign(**kw):
        return get_family("sign", **kw)

    return {"depth 2": sign(),
            "depth 4, narrow": sign(depth=4),
            "depth 3, rect (2,)": sign(depth=3, widths=(2,)),
            "depth 3, rect (3,)": sign(depth=3, widths=(3,)),
            "depth 5, rect (3,3,3)": sign(depth=5, widths=(3, 3, 3)),
            "depth 4, tree (2,2)": sign(depth=4, architecture="tree", widths=(2, 2)),
            "depth 5, tree (2,2,2)": sign(depth=5, architecture="tree", widths=(2, 2, 2)),
            "depth 4, tree (3,3)": sign(depth=4, architecture="tree", widths=(3, 3))}


#: The networks of :func:`depth_families` with strictly growing switch budgets.
DEPTH_ORDER = ["depth 2", "depth 3, rect (2,)", "depth 3, rect (3,)", "depth 4, tree (2,2)",
               "depth 5, tree (2,2,2)", "depth 4, tree (3,3)"]


def check_enumeration_facts(enumerated: dict, n: int) -> str:
    """The structural facts of the enumeration: rectangular units are limited by their
    first layer, trees multiply switches, and the known counts for ``N = 7``."""
    E = {key[:2]: len(p) for key, p in enumerated.items() if key[2] == "sign"}
    assert E["rectangular", (3,)] == E["rectangular", (3, 2)]
    assert E["rectangular", (2,)] == E["rectangular", (2, 2, 2)]
    assert count_switches(enumerated["tree", (2, 2), "sign"]).max() == min(4, n - 1)
    if n - 1 <= 9:
        assert E["tree", (3, 3)] == 2**n          # every ±1 pattern once K >= N - 1
    if n == 7:  # known counts for N = 7: m_1 = 1, 2, 3 -> 14, 44, 84
        assert [E["rectangular", (m,)] for m in (1, 2, 3)] == [14, 44, 84]
    return f"all {len(enumerated)} enumerations equal the switching sets"


def optimum_by_K(depth_df, data, beta: float, *, tol: float = 1e-6) -> dict:
    """The Lasso optimum as a function of ``K`` alone (depth-3 units with ``m_1 = K``).

    Asserts, on the table of :func:`depth_fits`, that equal-``K`` networks have
    equal optima, that the optimum decreases along :data:`DEPTH_ORDER`, and that
    every network's optimum is the one of its ``K``.  Returns ``{K: optimum}``.
    """
    from lassobook.families import get_family
    from lassobook.solvers.lasso import fit_dense

    obj = depth_df["Lasso optimum"]
    same = lambda a, b: abs(obj[a] - obj[b]) <= tol * obj[b]
    assert same("depth 4, narrow", "depth 2")
    assert same("depth 5, rect (3,3,3)", "depth 3, rect (3,)")
    ordered = obj[DEPTH_ORDER].to_numpy()
    assert all(b <= a * (1 + tol) for a, b in zip(ordered, ordered[1:]))
    by_K = {K: fit_dense(data, family=get_family("sign", depth=3, widths=(K,)),
                         beta=beta).objective for K in range(1, data.n)}
    for name in depth_df.index:
        K = depth_df.loc[name, "K"]
        assert abs(obj[name] - by_K[K]) <= tol * by_K[K], name
    return by_K


def linf_threshold_K(by_K: dict, data, beta: float, *, tol: float = 1e-6) -> int:
    """The smallest ``K`` whose optimum is the ℓ∞ (all-pattern) optimum; asserts that
    no ``K`` goes below it and that it is reached exactly from that ``K`` on."""
    from lassobook.solvers.closed_forms import linf_network_fit

    linf = linf_network_fit(data, activation="sign", beta=beta)[1]
    K_star = min(K for K, v in by_K.items() if v <= linf * (1 + tol))
    for K, v in by_K.items():
        assert v >= linf * (1 - tol)
        assert (v <= linf * (1 + tol)) == (K >= K_star)
    return K_star


def plot_fit_grid(fits: dict, names, labels, *, ncols: int = 3, panel=(2.5, 2.5)):
    """Fits in a grid of at most ``ncols`` columns, each titled by its label."""
    import matplotlib.pyplot as plt

    from lassobook.plotting import plot_fit

    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel[0] * ncols, panel[1] * nrows),
                             sharex=True, sharey=True, squeeze=False)
    for ax in axes.ravel()[len(names):]:
        ax.axis("off")
    for ax, name, label in zip(axes.ravel(), names, labels):
        plot_fit(fits[name], ax, legend=False, title=label)
        ax.set_xlabel("")
    fig.tight_layout()
    return fig


def plot_closed_forms(fit_k1, data, beta: float, *, figsize=(7.5, 3.2)):
    """Left: the ``K = 1`` optimum (TV denoising); right: the all-pattern optimum
    (ℓ∞ clipping) with its clip levels dotted.  Returns the figure."""
    import matplotlib.pyplot as plt

    from lassobook.analysis.landscape import vertex_solution
    from lassobook.families import get_family
    from lassobook.plotting import plot_fit
    from lassobook.solvers.closed_forms import clip_levels
    from lassobook.solvers.lasso import fit_dense

    every = get_family("sign", depth=3, widths=(data.n - 1,))
    every_fit = vertex_solution(fit_dense(data, family=every, beta=beta))
    fig, axes = plt.subplots(1, 2, figsize=figsize, sharey=True)
    plot_fit(fit_k1, axes[0], legend=False)
    plot_fit(every_fit, axes[1], legend=False)
    for level in clip_levels(data.y, beta / 2):
        axes[1].axhline(level, color="gray", ls=":", lw=1)
    fig.tight_layout()
    return fig


def plot_dictionary_sizes(n_max: int, Ks=(1, 2, 3, 5, 8), *, figsize=(6.4, 3.8)):
    """Columns of the switching dictionary against ``N``, for fixed ``K`` and for
    ``K ≥ N − 1`` (dashed).  Returns the figure."""
    import matplotlib.pyplot as plt

    ns = np.arange(2, n_max + 1)
    fig, ax = plt.subplots(figsize=figsize)
    for K in Ks:
        ax.semilogy(ns, [dictionary_size(n, K) for n in ns], label=f"K = {K}")
    ax.semilogy(ns, [dictionary_size(n, n - 1) for n in ns], "k--",
                label="K ≥ N − 1: $2^{N-1} - 1$")
    ax.set_xlabel("N (training points)")
    ax.set_ylabel("dictionary columns")
    ax.legend(ncol=2)
    return fig


def check_inner_weights_frozen(family, runs, data, *, width: int, n_seeds: int) -> str:
    """After Adam, the inner weights equal a fresh initialization with the same seeds."""
    fresh = family.network(width=width, n_models=n_seeds)
    fresh.random_init(range(n_seeds), data.x_sorted)
    assert torch.equal(fresh.first_b, runs.network.first_b)
    assert torch.equal(fresh.unit_w, runs.network.unit_w)
    return "inner weights unchanged by training"
