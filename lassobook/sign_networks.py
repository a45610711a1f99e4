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

import itertools
import math
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from .certificate import Certificate
from .datasets import Dataset, as_dataset
from .families import Family
from .networks import DTYPE, ParallelNetwork

__all__ = [
    "ARCHITECTURES", "DeepSign", "DeepSignNet", "max_switches", "dictionary_size",
    "switching_gaps", "switching_patterns", "count_switches", "normalize_patterns",
    "unit_weights", "threshold_functions", "first_layer_patterns", "enumerate_unit_patterns",
    "max_switching_correlation", "exact_certificate", "sample_unit_patterns",
    "enumeration_table", "check_reconstruction", "depth_fits", "threshold_table",
    "closed_form_table", "sampled_table", "size_table", "check_zero_gradients",
    "depth_families", "DEPTH_ORDER", "check_enumeration_facts", "optimum_by_K",
    "linf_threshold_K", "plot_fit_grid", "plot_closed_forms", "plot_dictionary_sizes",
    "check_inner_weights_frozen"]

#: Wirings of a sign unit.
ARCHITECTURES = ("rectangular", "tree")
#: Activations of this module.
SIGN_ACTIVATIONS = ("sign", "threshold")
#: Number of linear threshold functions of m Boolean inputs (OEIS A000609).
KNOWN_THRESHOLD_COUNTS = {0: 2, 1: 4, 2: 14, 3: 104, 4: 1882}
#: Integer weight range that reaches all of them (checked against the counts).
_LTF_WEIGHT_RANGE = {0: 1, 1: 1, 2: 1, 3: 2, 4: 3}


# ============================================================================ checks
def check_sign_architecture(activation, depth, architecture, widths) -> tuple[str, int, str, tuple[int, ...]]:
    """Validate the words describing a deep sign/threshold family; return them normalized.

    ``architecture=None`` means ``"rectangular"``; ``widths=None`` means all ones
    (``L − 2`` hidden layers of width 1).

    Raises
    ------
    ValueError
        Unknown activation or architecture, depth not an integer ≥ 3, widths
        not ``depth − 2`` positive integers.
    """
    if activation not in SIGN_ACTIVATIONS:
        raise ValueError(f"deep switching families are for {' and '.join(SIGN_ACTIVATIONS)} "
                         f"activations, got {activation!r}")
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 3:
        raise ValueError(f"depth must be an integer >= 3 for a deep sign network, got {depth!r}")
    depth = int(depth)
    if architecture is None:
        architecture = "rectangular"
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture {architecture!r} is not supported for {activation} networks; "
                         f"choose one of {', '.join(map(repr, ARCHITECTURES))}")
    if widths is None:
        widths = (1,) * (depth - 2)
    if isinstance(widths, (int, np.integer)) and not isinstance(widths, bool):
        widths = (widths,)
    try:
        widths = tuple(widths)
    except TypeError:
        raise ValueError(f"widths must be a tuple of depth - 2 = {depth - 2} positive integers, "
                         f"got {widths!r}") from None
    if len(widths) != depth - 2:
        raise ValueError(f"a depth-{depth} network has {depth - 2} hidden layer(s) before the unit "
                         f"neuron, so widths needs {depth - 2} entries (m_1, ..., m_{{L-2}}), "
                         f"got {len(widths)}: {widths!r}")
    bad = [w for w in widths
           if isinstance(w, bool) or not isinstance(w, (int, np.integer)) or int(w) < 1]
    if bad:
        raise ValueError(f"widths must be positive integers (each hidden layer has at least one "
                         f"neuron), got {widths!r}")
    return activation, depth, architecture, tuple(int(w) for w in widths)


def max_switches(architecture: str, widths) -> int:
    """Switches a unit can realize: ``m_1`` (rectangular) or ``m_1 m_2 ⋯ m_{L−2}`` (tree)."""
    widths = tuple(int(w) for w in widths)
    if architecture == "rectangular":
        return widths[0]
    if architecture == "tree":
        return math.prod(widths)
    raise ValueError(f"unknown architecture {architecture!r}; choose one of {ARCHITECTURES}")


# ============================================================================ patterns
def dictionary_size(n: int, K: int) -> int:
    """``Σ_{k=1}^{min(K, n−1)} C(n−1, k)``: patterns on ``n`` points with 1..K switches, up to sign."""
    n, K = int(n), int(K)
    return sum(math.comb(n - 1, k) for k in range(1, min(K, n - 1) + 1))


def switching_gaps(n: int, K: int, *, max_columns: int = 2_000_000) -> np.ndarray:
    """Switch positions of every pattern with ``1 ≤ k ≤ min(K, n − 1)`` switches.

    Generated directly from the combinations of gaps (never from the ``2^n``
    patterns).  Gap ``i`` (``0 ≤ i ≤ n − 2``) lies between sorted points ``i`` and
    ``i + 1``.

    Returns
    -------
    ndarray of int, shape (p, min(K, n − 1))
        Row ``r`` lists the gaps of pattern ``r`` in increasing order, padded
        with ``n − 1`` (no switch).  Patterns come by number of switches, then
        lexicographically.
    """
    n, K = int(n), int(K)
    kmax = min(K, n - 1)
    p = dictionary_size(n, K)
    if p > max_columns:
        raise ValueError(f"the switching dictionary would have {p} columns (n = {n}, K = {K}), more "
                         f"than max_columns = {max_columns}; use a closed form or a smaller K")
    out = np.full((p, kmax), n - 1, dtype=np.int64)
    row = 0
    for k in range(1, kmax + 1):
        c = math.comb(n - 1, k)
        flat = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n - 1), k)),
                           dtype=np.int64, count=c * k)
        out[row:row + c, :k] = flat.reshape(c, k)
        row += c
    return out


def patterns_from_gaps(gaps: np.ndarray, n: int) -> np.ndarray:
    """±1 patterns (shape (p, n), starting at +1) with switches after the given gaps (padding ``n − 1``)."""
    gaps = np.atleast_2d(np.asarray(gaps, dtype=np.int64))
    flips = np.zeros((gaps.shape[0], n + 1), dtype=np.int64)
    rows = np.repeat(np.arange(gaps.shape[0]), gaps.shape[1])
    np.add.at(flips, (rows, gaps.ravel() + 1), 1)
    parity = np.cumsum(flips[:, :n], axis=1) % 2
    return (1 - 2 * parity).astype(np.int8)


def switching_patterns(n: int, K: int, activation: str = "sign", *, both_signs: bool = False,
                       constants: bool = False) -> np.ndarray:
    """All patterns on ``n`` sorted points with at most ``K`` switches.

    Parameters
    ----------
    n, K : int
    activation : {"sign", "threshold"}
        ±1 patterns or their 0/1 versions ``(g + 1)/2``.
    both_signs : bool
        Include ``−g`` (for threshold: ``1 − h``) next to each ``g``.
    constants : bool
        Include the constant pattern(s) (0 switches).

    Returns
    -------
    ndarray of int8, shape (p, n)
    """
    g = patterns_from_gaps(switching_gaps(n, K), n) if min(K, n - 1) >= 1 else np.zeros((0, n), np.int8)
    if constants:
        g = np.concatenate([np.ones((1, n), np.int8), g])
    if both_signs:
        g = np.concatenate([g, -g])
    return _to_activation(g, activation)


def _to_activation(g: np.ndarray, activation: str) -> np.ndarray:
    return g if activation == "sign" else ((g + 1) // 2).astype(np.int8)


def count_switches(patterns) -> np.ndarray:
    """Number of value changes along the last axis (the sorted data)."""
    p = np.asarray(patterns)
    return (np.diff(p, axis=-1) != 0).sum(axis=-1)


def normalize_patterns(patterns, activation: str = "sign") -> np.ndarray:
    """Flip each pattern (``g → −g``, or ``h → 1 − h``) so that it starts at its 'on' value (+1 / 1)."""
    p = np.asarray(patterns)
    if activation == "sign":
        return (p * p[..., :1]).astype(np.int8)
    return np.where(p[..., :1] == 1, p, 1 - p).astype(np.int8)


def gaps_to_switch_params(gaps: np.ndarray, x_sorted: np.ndarray, n_params: int | None = None) -> dict:
    """``switch_l`` arrays (location ``x_{i+1}`` for gap ``i``, ``+inf`` for padding) from gap rows."""
    gaps = np.atleast_2d(np.asarray(gaps, dtype=np.int64))
    n = x_sorted.size
    k = gaps.shape[1] if n_params is None else int(n_params)
    ext = np.append(np.asarray(x_sorted, dtype=np.float64), np.inf)  # gap n−1 = padding → +inf
    padded = np.full((gaps.shape[0], k), n - 1, dtype=np.int64)
    padded[:, :gaps.shape[1]] = gaps[:, :k]
    loc = ext[np.minimum(padded + 1, n)]
    loc[padded >= n - 1] = np.inf
    return {f"switch_{l}": loc[:, l].copy() for l in range(k)}


def pattern_gaps(patterns) -> list[np.ndarray]:
    """Gap indices of the switches of each pattern (rows of shape (n,))."""
    p = np.atleast_2d(np.asarray(patterns))
    changes = np.diff(p, axis=1) != 0
    return [np.flatnonzero(row) for row in changes]


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


# ============================================================================ torch network
def _level_sizes(architecture: str, widths: tuple[int, ...]) -> list[int]:
    """Neurons per unit at hidden levels 1..L−2."""
    if architecture == "rectangular":
        return list(widths)
    return [math.prod(widths[l:]) for l in range(len(widths))]


class DeepSignNet(ParallelNetwork):
    r"""``f(x) = Σ_k α_k s_k σ(v_k·h_k(x) + c_k) + ξ`` with deep sign/threshold units, ``n_models`` copies.

    Parameters (``S = n_models``, ``W = width``, ``P_l`` neurons per unit at level ``l``)
    -------------------------------------------------------------------------------
    first_w, first_b : (S, W, P_1)
        Level-1 neurons ``σ(w x + b)``.
    hidden_w[i], hidden_b[i] : (S, W, P_l, m_{l−1}) and (S, W, P_l), levels ``l = 2..L−2``
        Rectangular: neuron ``p`` of level ``l`` sees all ``m_{l−1}`` neurons of
        level ``l − 1``.  Tree: it sees its own children ``p·m_{l−1} + j``.
    unit_w, unit_b : (S, W, m_{L−2}) and (S, W)
        The unit neuron.
    amplitude, alpha : (S, W)
        ``s`` and ``α``, the only penalized parameters: ``(β/2) Σ (α² + s²)``.
    xi : (S,)
    """

    def __init__(self, activation: str, depth: int, architecture: str, widths, width: int,
                 n_models: int = 1):
        super().__init__(width, n_models)
        (self.activation, self.depth, self.architecture,
         self.widths) = check_sign_architecture(activation, depth, architecture, widths)
        self.sizes = _level_sizes(self.architecture, self.widths)
        S, W = self.n_models, self.width
        self.first_w = nn.Parameter(torch.ones(S, W, self.sizes[0], dtype=DTYPE))
        self.first_b = nn.Parameter(torch.zeros(S, W, self.sizes[0], dtype=DTYPE))
        self.hidden_w = nn.ParameterList([
            nn.Parameter(torch.zeros(S, W, self.sizes[l], self.widths[l - 1], dtype=DTYPE))
            for l in range(1, len(self.widths))])
        self.hidden_b = nn.ParameterList([
            nn.Parameter(torch.ones(S, W, self.sizes[l], dtype=DTYPE)) for l in range(1, len(self.widths))])
        self.unit_w = nn.Parameter(torch.zeros(S, W, self.widths[-1], dtype=DTYPE))
        self.unit_b = nn.Parameter(torch.ones(S, W, dtype=DTYPE))
        self.amplitude = nn.Parameter(torch.ones(S, W, dtype=DTYPE))
        self.alpha = nn.Parameter(torch.zeros(S, W, dtype=DTYPE))

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        """The activation, ``sign(0) = +1``, ``threshold(0) = 1``."""
        on = t >= 0
        if self.activation == "sign":
            return torch.where(on, 1.0, -1.0).to(t.dtype)
        return on.to(t.dtype)

    def hidden_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Outputs of hidden levels 1..L−2, each of shape (S, W, P_l, n)."""
        x = torch.as_tensor(x, dtype=DTYPE)
        h = self.sigma(self.first_w[..., None] * x + self.first_b[..., None])
        out = [h]
        for i, (w, b) in enumerate(zip(self.hidden_w, self.hidden_b)):
            if self.architecture == "rectangular":
                pre = torch.einsum("swpc,swcn->swpn", w, h)
            else:
                S, W, P, n = h.shape
                children = h.reshape(S, W, w.shape[2], w.shape[3], n)
                pre = torch.einsum("swpc,swpcn->swpn", w, children)
            h = self.sigma(pre + b[..., None])
            out.append(h)
        return out

    def unit_outputs(self, x) -> torch.Tensor:
        """Unit neurons ``σ(v·h + c)`` before amplitude and output weight, shape (S, W, n)."""
        h = self.hidden_layers(x)[-1]
        return self.sigma(torch.einsum("swc,swcn->swn", self.unit_w, h) + self.unit_b[..., None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g = self.unit_outputs(x)
        return torch.einsum("sw,swn->sn", self.alpha * self.amplitude, g) + self.xi[:, None]

    def penalty(self, beta: float) -> torch.Tensor:
        return 0.5 * beta * (self.alpha**2 + self.amplitude**2).sum(dim=1)

    def load_units(self, units, model: int = 0) -> None:
        """Set the inner weights of every unit of copy ``model`` from :func:`unit_weights` records."""
        if len(units) != self.width:
            raise ValueError(f"need one unit record per unit ({self.width}), got {len(units)}")
        with torch.no_grad():
            for k, u in enumerate(units):
                self.first_w[model, k] = torch.as_tensor(u["first_w"])
                self.first_b[model, k] = torch.as_tensor(u["first_b"])
                for i in range(len(self.hidden_w)):
                    self.hidden_w[i][model, k] = torch.as_tensor(u["hidden_w"][i])
                    self.hidden_b[i][model, k] = torch.as_tensor(u["hidden_b"][i])
                self.unit_w[model, k] = torch.as_tensor(u["unit_w"])
                self.unit_b[model, k] = float(u["unit_b"])

    #: level-1 thresholds are drawn over the data range widened by this share of its length
    init_margin = 0.1

    def init_copy(self, k, generator, lo, hi):
        """In the ±1 convention: all inner weights ``N(0, 1)``; level-1 thresholds
        ``−b/w`` uniform over the data range widened by :attr:`init_margin` of its
        length on each side; a neuron with fan-in ``f`` gets bias ``N(0, f/4)``.
        Threshold networks get the equivalent 0/1 weights (``2w``, ``b − Σw``).
        Amplitudes ``s ~ N(0, 1)``, output weights ``α ~ N(0, 1/width)``."""
        g, W = generator, self.width
        pad = self.init_margin * max(hi - lo, 1e-12)
        w = torch.randn(W, self.sizes[0], generator=g, dtype=DTYPE)
        a = (lo - pad) + (hi - lo + 2 * pad) * torch.rand(W, self.sizes[0], generator=g, dtype=DTYPE)
        self.first_w[k] = w
        self.first_b[k] = -w * a
        layers = [(hw, hb) for hw, hb in zip(self.hidden_w, self.hidden_b)]
        for hw, hb in layers + [(self.unit_w, self.unit_b)]:
            shape = hw.shape[1:]
            ww = torch.randn(shape, generator=g, dtype=DTYPE)
            bb = torch.randn(hb.shape[1:], generator=g, dtype=DTYPE) * 0.5 * np.sqrt(shape[-1])
            if self.activation == "threshold":
                ww, bb = 2 * ww, bb - ww.sum(-1)
            hw[k] = ww
            hb[k] = bb
        self.alpha[k] = torch.randn(W, generator=g, dtype=DTYPE) / np.sqrt(W)
        self.amplitude[k] = torch.randn(W, generator=g, dtype=DTYPE)

    def breakpoints(self) -> np.ndarray:
        """Level-1 thresholds ``−b/w`` of every unit (its possible jumps), shape (S, W, P_1); NaN if ``w = 0``."""
        with torch.no_grad():
            w, b = self.first_w.numpy(), self.first_b.numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w != 0, -b / w, np.nan)

    def unit_coefficients(self) -> np.ndarray:
        """Each unit's coefficient ``α s`` on its pattern, shape (S, W)."""
        with torch.no_grad():
            return (self.alpha * self.amplitude).numpy().copy()


# ============================================================================ reconstruction
def unit_weights(switches, architecture: str, widths, activation: str = "sign") -> dict:
    r"""Inner weights of one unit whose unit neuron is ``Π_l φ_{t_l}(x)``, ``φ_t(x) = +1 if x < t else −1``.

    The construction (in the ±1 convention; threshold weights are converted at
    the end: a parent of 0/1 children ``h = (g + 1)/2`` gets weights ``2w`` and
    bias ``b − Σw``, which gives it the same pre-activation):

    * a level-1 neuron ``sign(x − t)`` realizes one switch, ``−φ_t`` (polarity −1:
      this is the only way to have the jump exactly at ``x = t`` with
      ``sign(0) = +1``); a neuron with zero inner weight and bias 1 is the constant +1;
    * a neuron whose nonempty children realize ``π_c Π_{t∈G_c} φ_t`` for
      consecutive groups ``G_1 < G_2 < …`` of the target's switches computes
      ``g = sign(Σ_c w_c h_c − D)`` with ``w_c = σ_c π_c``, ``σ_c`` the value of
      ``g`` just left of ``G_c``, and ``D = Σ_c σ_c − 1``.  On the block of ``x``
      between the groups around ``G_c``, children ``c' < c`` sit at their right
      value ``g(end of B_{c'})`` and ``c' > c`` at their left value
      ``g(start of B_{c'})``; both equal the value of ``g`` at the block
      boundary, so ``Σ_{c'≠c} w_{c'}h_{c'}`` is the same ``D`` for every ``c``, and the
      pre-activation is ``w_c h_c = g(x) = ±1``.

    Tree: a level-``l`` neuron realizes up to ``m_1 ⋯ m_{l−1}`` switches, its
    children take consecutive groups of at most ``m_1 ⋯ m_{l−2}`` each.
    Rectangular: level 1 does the switches, level 2 (or the unit neuron, at
    depth 3) combines them, deeper levels pass neuron 0 through with
    ``sign(1·h + 0)``; unused neurons are constant.

    Parameters
    ----------
    switches : array_like of float
        Switch locations ``t_1 < … < t_k`` (``k ≤ max_switches(architecture, widths)``).
    architecture : {"rectangular", "tree"}
    widths : tuple of int
    activation : {"sign", "threshold"}

    Returns
    -------
    dict with ``first_w, first_b`` (P_1,), ``hidden_w`` list of (P_l, m_{l−1}),
    ``hidden_b`` list of (P_l,), ``unit_w`` (m_{L−2},), ``unit_b`` float.
    """
    widths = tuple(int(w) for w in widths)
    t = np.sort(np.asarray(switches, dtype=np.float64).reshape(-1))
    K = max_switches(architecture, widths)
    if t.size > K:
        raise ValueError(f"a {architecture} unit with widths {widths} realizes at most {K} switches, "
                         f"asked for {t.size}")
    sizes = _level_sizes(architecture, widths)
    L2 = len(widths)  # number of hidden levels
    first_w = np.zeros(sizes[0])
    first_b = np.ones(sizes[0])
    hidden_w = [np.zeros((sizes[l], widths[l - 1])) for l in range(1, L2)]
    hidden_b = [np.ones(sizes[l]) for l in range(1, L2)]
    unit_w = np.zeros(widths[-1])
    unit_b = [1.0]

    def set_neuron(level, p, w, b):
        """Level 1..L2 are hidden; level L2 + 1 is the unit neuron (p = 0)."""
        if level == 1:
            first_w[p], first_b[p] = w, b
        elif level <= L2:
            hidden_w[level - 2][p], hidden_b[level - 2][p] = w, b
        else:
            unit_w[:], unit_b[0] = w, b

    def combine(level, p, children, groups, polarities):
        """Neuron (level, p) realizes the normalized product over all groups from its children."""
        w = np.zeros(len(children))
        sigmas, before = [], 0
        for j, (grp, pol) in enumerate(zip(groups, polarities)):
            if len(grp) == 0:
                continue
            sigma = -1.0 if before % 2 else 1.0
            w[j] = sigma * pol
            sigmas.append(sigma)
            before += len(grp)
        if not sigmas:  # nothing to combine: the constant +1
            set_neuron(level, p, np.zeros(len(children)), 1.0)
            return 1.0
        set_neuron(level, p, w, -(sum(sigmas) - 1.0))
        return 1.0

    if architecture == "tree":
        caps = [math.prod(widths[:l - 1]) for l in range(1, L2 + 2)]  # caps[l-1] = switches at level l

        def realize(level, p, ts):
            if level == 1:
                if len(ts) == 0:
                    set_neuron(1, p, 0.0, 1.0)
                    return 1.0
                set_neuron(1, p, 1.0, -float(ts[0]))
                return -1.0
            fan = widths[level - 2]
            cap = caps[level - 2]
            groups = [ts[j * cap:(j + 1) * cap] for j in range(fan)]
            pols = [realize(level - 1, p * fan + j, grp) for j, grp in enumerate(groups)]
            return combine(level, p, range(fan), groups, pols)

        realize(L2 + 1, 0, t)
    else:
        m1 = widths[0]
        groups = [t[j:j + 1] for j in range(m1)]
        pols = []
        for j, grp in enumerate(groups):
            if grp.size:
                set_neuron(1, j, 1.0, -float(grp[0]))
                pols.append(-1.0)
            else:
                pols.append(1.0)
        if L2 == 1:
            combine(2, 0, range(m1), groups, pols)
        else:
            combine(2, 0, range(m1), groups, pols)
            for level in range(3, L2 + 2):
                fan = widths[level - 2]
                w = np.zeros(fan)
                w[0] = 1.0
                set_neuron(level, 0, w, 0.0)
    record = {"first_w": first_w, "first_b": first_b, "hidden_w": hidden_w, "hidden_b": hidden_b,
              "unit_w": unit_w, "unit_b": unit_b[0]}
    return _to_threshold(record) if activation == "threshold" else record


def _to_threshold(record: dict) -> dict:
    """Weights of the 0/1 network with the same pre-activations as the ±1 network ``record``."""
    out = dict(record)
    out["hidden_w"] = [2 * w for w in record["hidden_w"]]
    out["hidden_b"] = [b - w.sum(axis=-1) for w, b in zip(record["hidden_w"], record["hidden_b"])]
    out["unit_w"] = 2 * record["unit_w"]
    out["unit_b"] = float(record["unit_b"] - record["unit_w"].sum())
    return out


# ============================================================================ enumeration
@lru_cache(maxsize=None)
def threshold_functions(m: int, activation: str = "sign") -> np.ndarray:
    """Truth tables of all linear threshold functions ``σ(w·u + b)`` of ``m`` inputs ``u``.

    Inputs ``u`` range over ``{−1, +1}^m`` (sign) or ``{0, 1}^m`` (threshold);
    input ``r`` (``0 ≤ r < 2^m``) has ``u_j`` 'on' iff bit ``j`` of ``r`` is set.
    Found by enumerating small integer weights and all half-integer biases in
    range, and checked against the known counts 2, 4, 14, 104, 1882 (m = 0..4).

    Returns
    -------
    ndarray of int8, shape (count, 2^m), values in the activation's range
    """
    if m not in KNOWN_THRESHOLD_COUNTS:
        raise ValueError(f"threshold functions are enumerated for m <= 4 inputs, got m = {m}")
    off, on = (-1.0, 1.0) if activation == "sign" else (0.0, 1.0)
    bits = (np.arange(2**m)[:, None] >> np.arange(m)[None, :]) & 1
    inputs = np.where(bits == 1, on, off)                              # (2^m, m)
    W = _LTF_WEIGHT_RANGE[m]
    weights = list(itertools.product(range(-W, W + 1), repeat=m))
    ws = np.array(weights, dtype=np.float64).reshape(len(weights), m)
    B = m * W + 1
    bs = np.arange(-2 * B, 2 * B + 1) / 2.0
    pre = (ws @ inputs.T)[:, None, :] + bs[None, :, None]
    tables = np.unique((pre >= 0).reshape(-1, 2**m), axis=0).astype(np.int8)
    if tables.shape[0] != KNOWN_THRESHOLD_COUNTS[m]:  # pragma: no cover - would be a bug
        raise RuntimeError(f"found {tables.shape[0]} threshold functions of {m} inputs, "
                           f"expected {KNOWN_THRESHOLD_COUNTS[m]}")
    return tables if activation == "threshold" else (2 * tables - 1).astype(np.int8)


def first_layer_patterns(n: int, activation: str = "sign") -> np.ndarray:
    """All patterns ``σ(w x + b)`` of one neuron on ``n`` sorted points (unique rows, int8).

    The output on the data depends only on the orientation of ``w`` and on which
    cell of the data (below all, between two points, at a point, above all)
    holds ``−b/w``; ``w = 0`` gives the constants.
    """
    x = np.arange(n, dtype=np.float64)
    cuts = np.concatenate([[-1.0], x, x[:-1] + 0.5, [n]])
    pats = [np.where(o * (x - c) >= 0, 1, -1) for o in (1.0, -1.0) for c in cuts]
    pats += [np.ones(n, int), -np.ones(n, int)]
    g = np.unique(np.array(pats, dtype=np.int8), axis=0)
    return _to_activation(g, activation)


def _apply_all(tables: np.ndarray, children: np.ndarray, activation: str) -> np.ndarray:
    """Every threshold function applied to every tuple of children.

    children : (C, m, n) patterns (n <= 62); returns the unique resulting rows (sorted by bit code).
    """
    C, m, n = children.shape
    on = children == 1
    idx = (on.astype(np.int64) << np.arange(m)[None, :, None]).sum(axis=1)  # (C, n)
    out_on = (tables == 1)[:, idx]                                          # (F, C, n)
    codes = np.unique(out_on.reshape(-1, n).astype(np.int64) @ (1 << np.arange(n, dtype=np.int64)))
    return _decode(codes, n, activation)


def _decode(codes: np.ndarray, n: int, activation: str) -> np.ndarray:
    """Patterns (rows, int8) from their bit codes (bit ``i`` set = point ``i`` is 'on')."""
    on = (codes[:, None] >> np.arange(n, dtype=np.int64)[None, :]) & 1
    return on.astype(np.int8) if activation == "threshold" else (2 * on - 1).astype(np.int8)


def _closure(patterns: np.ndarray, m: int, activation: str, chunk: int = 20000) -> np.ndarray:
    """Patterns of one neuron whose ``m`` inputs are any multiset of ``patterns``."""
    tables = threshold_functions(m, activation)
    combos = np.array(list(itertools.combinations_with_replacement(range(patterns.shape[0]), m)),
                      dtype=np.int64).reshape(-1, m)
    parts = [_apply_all(tables, patterns[combos[s:s + chunk]], activation)
             for s in range(0, combos.shape[0], chunk)]
    return _unique_rows(np.concatenate(parts), activation)


def _unique_rows(patterns: np.ndarray, activation: str) -> np.ndarray:
    n = patterns.shape[1]
    codes = (patterns == 1).astype(np.int64) @ (1 << np.arange(n, dtype=np.int64))
    return _decode(np.unique(codes), n, activation)


def enumerate_unit_patterns(n: int, depth: int, widths, architecture: str = "rectangular",
                            activation: str = "sign") -> np.ndarray:
    """The set of patterns a unit realizes on ``n`` sorted points, from first principles.

    Independent of the switching dictionary: level-1 patterns come from
    :func:`first_layer_patterns`; a neuron with ``m`` inputs realizes every
    threshold function (:func:`threshold_functions`) of every choice of its
    inputs.  Tree: level ``l`` patterns are the closure of level ``l − 1``
    patterns (children are independent subtrees).  Rectangular: neurons of a
    layer share the previous layer, so the recursion runs over every tuple of
    the previous layer (exact, memoized).  Needs every width ≤ 4.

    Returns
    -------
    ndarray of int8, shape (p, n): unique rows, both signs and constants included.
    """
    activation, depth, architecture, widths = check_sign_architecture(activation, depth, architecture, widths)
    if not 2 <= int(n) <= 62:
        raise ValueError(f"enumeration needs 2 <= n <= 62 points (patterns are coded as 64-bit integers), got {n}")
    if max(widths) > 4:
        raise ValueError(f"enumeration needs widths <= 4 (threshold functions of at most 4 inputs), got {widths}")
    P1 = first_layer_patterns(int(n), activation)
    if architecture == "tree" or depth == 3:
        level = P1
        for m in widths:
            level = _closure(level, m, activation)
        return np.unique(level, axis=0)  # lexicographic rows

    memo: dict = {}

    def rect(layer: np.ndarray, rest: tuple[int, ...]) -> np.ndarray:
        key = (layer.tobytes(), layer.shape, rest)
        if key in memo:
            return memo[key]
        options = _apply_all(threshold_functions(layer.shape[0], activation), layer[None], activation)
        if len(rest) == 1:
            result = _closure(options, rest[0], activation)  # the unit neuron on any tuple of options
        else:
            combos = itertools.combinations_with_replacement(range(options.shape[0]), rest[0])
            result = _unique_rows(np.concatenate([rect(options[list(c)], rest[1:]) for c in combos]),
                                  activation)
        memo[key] = result
        return result

    # level 1 tuples: multisets of m_1 first-layer patterns; the rest of the unit is `rect`
    combos = itertools.combinations_with_replacement(range(P1.shape[0]), widths[0])
    out = [rect(P1[list(c)], widths[1:]) for c in combos]
    return np.unique(np.concatenate(out), axis=0)  # lexicographic rows


# ============================================================================ certificates
def max_switching_correlation(lam, K: int) -> tuple[float, np.ndarray]:
    """``max |λᵀg|`` over ±1 patterns ``g`` with at most ``K`` switches, exactly (dynamic programming).

    ``O(n K)`` time.  ``lam`` is indexed by *sorted* position.

    Returns
    -------
    value : float
    pattern : ndarray of int8, shape (n,)
        A maximizer (starting at +1 if ``K ≥ 0``; flip it for the other sign).
    """
    lam = np.asarray(lam, dtype=np.float64).reshape(-1)
    n = lam.size
    K = max(0, min(int(K), n - 1))
    # best[k, s]: best partial sum ending with sign s (0: +1, 1: −1) after k switches
    best = np.full((K + 1, 2), -np.inf)
    best[0, 0] = lam[0]
    best[0, 1] = -lam[0]
    back = np.zeros((n, K + 1, 2), dtype=np.int8)  # 1 = switched into this state
    for i in range(1, n):
        stay = best
        moved = np.full_like(best, -np.inf)
        moved[1:, 0] = best[:-1, 1]
        moved[1:, 1] = best[:-1, 0]
        switched = moved > stay
        back[i] = switched
        best = np.where(switched, moved, stay) + np.array([lam[i], -lam[i]])[None, :]
    k, s = np.unravel_index(int(np.argmax(best)), best.shape)
    value = float(best[k, s])
    pattern = np.empty(n, dtype=np.int8)
    for i in range(n - 1, -1, -1):
        pattern[i] = 1 if s == 0 else -1
        if i > 0 and back[i, k, s]:
            k, s = k - 1, 1 - s
    return abs(value), normalize_patterns(pattern)


def exact_certificate(fit, *, tol: float = 1e-5) -> Certificate:
    """Exact dual check for a :class:`~lassobook.lasso.LassoFit` of a sign/threshold family.

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


def sample_unit_patterns(family: DeepSign, x_sorted, *, n_units: int = 20000, seed: int = 0,
                         chunk: int = 5000) -> np.ndarray:
    """Normalized unique patterns of ``n_units`` random units of ``family`` on the sorted points.

    Units come from :meth:`DeepSignNet.random_init` (seeded); their unit-neuron
    outputs on the data are flipped to start at the 'on' value and deduplicated.
    Constant patterns are included if they occur.

    Returns
    -------
    ndarray of int8, shape (p, n)
    """
    x = np.asarray(x_sorted, dtype=np.float64)
    out = []
    with torch.no_grad():
        for i, start in enumerate(range(0, int(n_units), chunk)):
            net = family.network(width=min(chunk, int(n_units) - start))
            net.random_init([seed * 100_003 + i], x)
            g = net.unit_outputs(torch.as_tensor(x))[0].numpy()
            g = np.rint(g).astype(np.int8)
            out.append(np.unique(normalize_patterns(g, family.activation), axis=0))
    return np.unique(np.concatenate(out), axis=0)


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

    from .landscape import vertex_solution
    from .lasso import fit_dense

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

    from .families import get_family
    from .lasso import fit_dense

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

    from .closed_forms import linf_network_fit, tv_network_fit
    from .families import get_family
    from .lasso import fit_dense

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
    import math

    import pandas as pd

    from .datasets import random_dataset
    from .dictionaries import build_dictionary

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
    from .families import get_family

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
    from .families import get_family
    from .lasso import fit_dense

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
    from .closed_forms import linf_network_fit

    linf = linf_network_fit(data, activation="sign", beta=beta)[1]
    K_star = min(K for K, v in by_K.items() if v <= linf * (1 + tol))
    for K, v in by_K.items():
        assert v >= linf * (1 - tol)
        assert (v <= linf * (1 + tol)) == (K >= K_star)
    return K_star


def plot_fit_grid(fits: dict, names, labels, *, ncols: int = 3, panel=(2.5, 2.5)):
    """Fits in a grid of at most ``ncols`` columns, each titled by its label."""
    import matplotlib.pyplot as plt

    from .plotting import plot_fit

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

    from .closed_forms import clip_levels
    from .families import get_family
    from .landscape import vertex_solution
    from .lasso import fit_dense
    from .plotting import plot_fit

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
