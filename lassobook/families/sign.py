"""TODO docstring (structured, sign_networks)."""

from __future__ import annotations

import numpy as np
import torch

from lassobook.core.certificate import Certificate
from lassobook.core.data import Dataset, as_dataset
from lassobook.core.family import Family
from lassobook.core.oracle import StructuredOracle
from lassobook.families.sign_network import DeepSignNet, unit_weights
from lassobook.families.sign_patterns import (
    SIGN_ACTIVATIONS,
    check_sign_architecture,
    dictionary_size,
    gaps_to_switch_params,
    max_switches,
    max_switching_correlation,
    pattern_gaps,
    sample_unit_patterns,
    switching_gaps,
)


class SwitchingOracle(StructuredOracle):
    r"""Sign and threshold networks of depth ``L ≥ 3``: ±1 patterns with ``≤ K`` switches.

    Keys are the gap indices of the switches (a switch after sorted point ``g``),
    padded with ``N − 1``, width ``min(K, N − 1)``.  ``λᵀg`` is an alternating sum
    of segment sums of ``λ`` (``O(K)`` per column); the search is the exact
    dynamic program :func:`lassobook.families.sign_patterns.max_switching_correlation`
    (``O(NK)``), run for ``K' = K, K − 1, …`` to offer up to ``k`` distinct
    violated patterns.  Threshold patterns are ``(g + 1)/2``:
    ``λᵀh = (λᵀg + 1ᵀλ)/2``.
    """

    def __init__(self, family, data):
        super().__init__(family, data)
        self.K = family.switch_budget(data.n)
        self.key_width = self.K

    @property
    def n_columns(self):
        from lassobook.families.sign_patterns import dictionary_size

        return int(dictionary_size(self.data.n, self.K))

    def correlations(self, sums, keys):
        keys = np.atleast_2d(np.asarray(keys, dtype=np.int64))
        n = self.data.n
        bounds = np.concatenate([np.zeros((keys.shape[0], 1), np.int64), keys + 1,
                                 np.full((keys.shape[0], 1), n, np.int64)], axis=1)
        bounds = np.minimum(bounds, n)
        seg = sums.RP[bounds[:, 1:]] - sums.RP[bounds[:, :-1]]
        signs = (-1.0) ** np.arange(seg.shape[1])
        g = seg @ signs
        return g if self.family.activation == "sign" else 0.5 * (g + sums.total)

    def all_keys(self):
        from lassobook.families.sign_patterns import switching_gaps

        return switching_gaps(self.data.n, self.K)

    def search(self, sums, k):
        from lassobook.families.sign_patterns import max_switching_correlation, pattern_gaps

        lam = sums.lam - sums.lam.mean()
        keys, seen = [], set()
        value = None
        for K in range(self.K, 0, -1):
            v, pattern = max_switching_correlation(lam, K)
            if value is None:
                value = v / 2 if self.family.activation == "threshold" else v
            gaps = pattern_gaps(pattern)[0]
            if gaps.size == 0:
                break
            row = np.full(self.K, self.data.n - 1, dtype=np.int64)
            row[:gaps.size] = gaps
            if tuple(row) not in seen:
                seen.add(tuple(row))
                keys.append(row)
            if len(keys) >= k:
                break
        if not keys:   # λ is constant: no column correlates
            row = np.full(self.K, self.data.n - 1, dtype=np.int64)
            row[0] = 0
            keys.append(row)
        keys = np.array(keys)
        return float(value or 0.0), keys, self.correlations(sums, keys)

    def params(self, keys):
        from lassobook.families.sign_patterns import gaps_to_switch_params

        return gaps_to_switch_params(np.atleast_2d(keys), self.xs, self.K)

    def labels(self, keys):
        return [self.family._label(self.xs, row) for row in np.atleast_2d(keys)]


# ============================================================================ family
class DeepSign(Family):
    r"""Sign or threshold networks of depth ``L ≥ 3`` .

    ``f(x) = Σ_k α_k s_k σ(v_k·h_k(x) + c_k) + ξ`` where ``h_k`` is the last hidden
    layer of unit ``k`` (rectangular or tree wiring, see the module docstring),
    penalty ``(β/2) Σ_k (α_k² + s_k²)``; hidden weights and all biases are free.

    Parameters
    ----------
    activation : {"sign", "threshold"}
    depth : int ≥ 3
    architecture : {"rectangular", "tree"}, default "rectangular"
    widths : tuple of ``depth − 2`` positive ints, default all ones
        Hidden widths ``(m_1, …, m_{L−2})``.  For a tree, ``m_l`` is the number of
        children of each neuron at level ``l + 1``.
    max_columns : int
        Refuse to build a dictionary with more columns than this.

    Attributes
    ----------
    K : int
        Switches a unit realizes: ``m_1`` (rectangular) or ``Π m_l`` (tree);
        on ``N`` points the dictionary uses ``min(K, N − 1)``.
    """

    degree = 0     # a unit only moves its switches when x is rescaled

    def __init__(self, activation: str = "sign", depth: int = 3, architecture: str | None = None,
                 widths=None, *, max_columns: int = 2_000_000):
        (self.activation, self.depth, self.architecture,
         self.widths) = check_sign_architecture(activation, depth, architecture, widths)
        self.K = max_switches(self.architecture, self.widths)
        self.max_columns = int(max_columns)

    # ------------------------------------------------------------------ sizes
    def switch_budget(self, n: int) -> int:
        """``min(K, n − 1)``: switches available on ``n`` points."""
        return min(self.K, int(n) - 1)

    def dictionary_size(self, n: int) -> int:
        """``Σ_{k=1}^{min(K, n−1)} C(n−1, k)``."""
        return dictionary_size(n, self.K)

    # ------------------------------------------------------------------ shapes
    def shape(self, x, **switches):
        """``Π_l (+1 if x < t_l else −1)`` over the ``switch_*`` parameters (``(g + 1)/2`` for threshold)."""
        g = np.ones(np.broadcast_shapes(np.shape(x), *(np.shape(v) for v in switches.values())))
        for key, t in switches.items():
            if key.startswith("switch_"):
                g = g * np.where(x < t, 1.0, -1.0)
        return g if self.activation == "sign" else (g + 1.0) / 2.0

    def kinks(self, params):
        t = np.array([float(v) for k, v in params.items() if k.startswith("switch_")])
        return np.sort(t[np.isfinite(t)])

    def raw_dictionary(self, data):
        """All patterns with ``1..min(K, N−1)`` switches (see :func:`switching_gaps`)."""
        data = data if isinstance(data, Dataset) else as_dataset(*data)
        x = data.x_sorted
        gaps = switching_gaps(x.size, self.K, max_columns=self.max_columns)
        params = gaps_to_switch_params(gaps, x)
        labels = [self._label(x, row) for row in gaps]
        return params, labels

    def _label(self, x, gap_row) -> str:
        locs = [x[g + 1] for g in gap_row if g < x.size - 1]
        return f"{self.activation}: switches at " + ", ".join(f"{v:g}" for v in locs)

    def candidate_params(self, data, resolution=2000):
        """Patterns of ``10 · resolution`` random units of this architecture, plus the dictionary.

        The random units are torch networks with random weights
        (:meth:`DeepSignNet.random_init`, first-layer thresholds spread over the
        data range and a bit beyond), evaluated on the data; nothing about
        switch counts is assumed, so a unit with more than ``K`` switches would
        show up here with as many ``switch_*`` parameters as it needs.
        """
        data = data if isinstance(data, Dataset) else as_dataset(*data)
        x = data.x_sorted
        sampled = sample_unit_patterns(self, x, n_units=10 * int(resolution), seed=0)
        gaps_s = pattern_gaps(sampled)
        gaps_d = switching_gaps(x.size, self.K, max_columns=self.max_columns)
        width = max([self.switch_budget(x.size)] + [g.size for g in gaps_s])
        rows = np.full((len(gaps_s) + gaps_d.shape[0], width), x.size - 1, dtype=np.int64)
        for r, g in enumerate(gaps_s):
            rows[r, :g.size] = g
        rows[len(gaps_s):, :gaps_d.shape[1]] = gaps_d
        return gaps_to_switch_params(rows, x, width)

    # ------------------------------------------------------------------ networks
    def network(self, width, n_models=1):
        return DeepSignNet(self.activation, self.depth, self.architecture, self.widths,
                           width=width, n_models=n_models)

    def reconstruct(self, params, coefficients, xi):
        r"""One unit per coefficient ``z_k`` realizing column ``k`` (:func:`unit_weights`).

        ``α = sign(z)√|z|``, ``s = √|z|``: the unit adds ``z g(x)`` at cost
        ``(β/2)(α² + s²) = β|z|``, so the network objective is the Lasso objective.
        """
        z = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        keys = sorted((k for k in params if k.startswith("switch_")), key=lambda k: int(k[7:]))
        locs = (np.stack([np.asarray(params[k], dtype=np.float64).reshape(-1) for k in keys], axis=1)
                if keys else np.zeros((z.size, 0)))
        if z.size == 0:  # the constant network: one unit with zero output weight
            z, locs = np.zeros(1), np.full((1, 1), np.inf)
        net = self.network(width=z.size)
        units = [unit_weights(row[np.isfinite(row)], self.architecture, self.widths, self.activation)
                 for row in locs]
        net.load_units(units)
        root = np.sqrt(np.abs(z))
        with torch.no_grad():
            net.alpha.copy_(torch.as_tensor(np.sign(z) * root)[None])
            net.amplitude.copy_(torch.as_tensor(root)[None])
            net.xi.fill_(float(xi))
        return net

    @property
    def penalty_formula(self):
        return r"\frac{\beta}{2}\sum_k (\alpha_k^2 + s_k^2)"

    def __repr__(self):
        return (f"DeepSign({self.activation!r}, depth={self.depth}, architecture={self.architecture!r}, "
                f"widths={self.widths})")

    def oracle(self, data):
        """The exact dual oracle (:class:`SwitchingOracle`)."""
        return SwitchingOracle(self, data)


def exact_certificate(fit, *, tol: float = 1e-5) -> Certificate:
    """Exact dual check for a :class:`~lassobook.solvers.lasso.LassoFit` of a sign/threshold family.

    On the data a unit's output is one of finitely many patterns; for a
    :class:`DeepSign` family (or the two-layer sign/threshold family, ``K = 1``)
    these are the patterns with at most ``K`` switches, and
    :func:`max_switching_correlation` maximizes ``|λᵀg|`` over all of them
    exactly.  Threshold patterns are ``(g + 1)/2`` and ``1ᵀλ = 0``, so
    ``|λᵀh| = |λᵀg|/2``.
    """
    fam, data = fit.family, fit.data
    if fam.activation not in SIGN_ACTIVATIONS:
        raise ValueError(f"the exact certificate is for sign/threshold families, not {fam.activation!r}")
    K = fam.K if isinstance(fam, DeepSign) else 1
    lam = fit.solution.residual[data.order]
    lam = lam - lam.mean()  # exactly orthogonal to the constant pattern
    value, pattern = max_switching_correlation(lam, K)
    if fam.activation == "threshold":
        value = value / 2
    beta = fit.beta
    dict_max = float(np.abs(fit.solution.residual @ fit.dictionary.matrix).max())
    ratio = value / beta
    worst = {f"switch_{l}": float(data.x_sorted[g + 1]) for l, g in enumerate(pattern_gaps(pattern)[0])}
    return Certificate(max_dual=value, beta=beta, ratio=ratio, max_dual_violation=max(0.0, ratio - 1.0),
                       certified=bool(value <= beta * (1 + tol)), tol=tol, dictionary_max=dict_max,
                       worst=worst, n_shapes=2 * dictionary_size(data.n, K) + 2)
