r"""Deep sign and threshold networks as torch modules, and the weights of a unit realizing any pattern.

:class:`DeepSignNet` is the parallel network ``f(x) = Σ_k α_k s_k σ(v_k·h_k(x) + c_k) + ξ``
of :class:`lassobook.families.sign.DeepSign` (``n_models`` independent copies, for
training several seeds at once): every unit is a small sign/threshold network of
depth ``L`` (rectangular or tree wiring), only ``α`` and the amplitude ``s`` are
penalized.  With gradients on (training), inputs are evaluated in chunks, so a rebuilt
network of a few hundred units on ``10⁵`` points needs tens of megabytes, not gigabytes;
without them (prediction, the certificate's network check) one compiled pass
(:func:`sign_forward`) evaluates the same formula unit by unit and point by point.

:func:`unit_weights` is the constructive half of the theory: it writes down inner
weights whose unit neuron outputs ``Π_l φ_{t_l}(x)`` for any switch locations
``t_1 < … < t_k`` with ``k ≤ K`` (``K = m_1`` rectangular, ``Π m_l`` tree), so every
column of the switching dictionary is a unit and the Lasso optimum is a network.
Weights are built in the ±1 convention and converted to the activation's levels
(:func:`_to_levels`); :func:`sample_unit_patterns` evaluates random units on data.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lassobook.core.activations import activation as activation_record
from lassobook.core.compiled import njit_cached
from lassobook.core.networks import DTYPE, ParallelNetwork
from lassobook.families.sign_patterns import (
    check_sign_architecture,
    max_switches,
    normalize_patterns,
)


# ============================================================================ levels
def _level_sizes(architecture: str, widths: tuple[int, ...]) -> list[int]:
    """Neurons per unit at hidden levels 1..L−2."""
    if architecture == "rectangular":
        return list(widths)
    return [math.prod(widths[l:]) for l in range(len(widths))]


def _level_map(levels) -> tuple[float, float]:
    """``(scale, shift)`` with ``w·g + b = scale·w·u + (b − shift·Σw)`` for inputs ``u ∈ {off, on}``
    and ``g = (2u − on − off)/(on − off) ∈ {−1, +1}``: (1, 0) for sign, (2, 1) for threshold."""
    off, on = (float(v) for v in levels)
    return 2.0 / (on - off), (on + off) / (on - off)


def _to_levels(record: dict, levels) -> dict:
    """Weights of the network on the activation's levels with the same pre-activations as the
    ±1 network ``record`` (first-layer neurons see ``x``, not a level, and are unchanged)."""
    scale, shift = _level_map(levels)
    out = dict(record)
    out["hidden_w"] = [scale * w for w in record["hidden_w"]]
    out["hidden_b"] = [b - shift * w.sum(axis=-1) for w, b in zip(record["hidden_w"], record["hidden_b"])]
    out["unit_w"] = scale * record["unit_w"]
    out["unit_b"] = float(record["unit_b"] - shift * record["unit_w"].sum())
    return out


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
        self.levels = tuple(float(v) for v in activation_record(self.activation).levels)
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
        off, on = self.levels
        return torch.where(t >= 0, on, off).to(t.dtype)

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

    #: inputs are evaluated in chunks of at most this many hidden-neuron outputs (memory bound)
    chunk_entries = 1 << 21

    def _chunks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """``x`` cut into pieces whose hidden layers hold at most :attr:`chunk_entries` values."""
        per_point = self.n_models * self.width * max(self.sizes)
        step = max(1, self.chunk_entries // max(1, per_point))
        return [x] if x.shape[-1] <= step else list(torch.split(x, step, dim=-1))

    def unit_outputs(self, x) -> torch.Tensor:
        """Unit neurons ``σ(v·h + c)`` before amplitude and output weight, shape (S, W, n)."""
        x = torch.as_tensor(x, dtype=DTYPE)
        parts = [self.sigma(torch.einsum("swc,swcn->swn", self.unit_w, self.hidden_layers(c)[-1])
                            + self.unit_b[..., None]) for c in self._chunks(x)]
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.as_tensor(x, dtype=DTYPE)
        if not torch.is_grad_enabled():           # evaluation only: one compiled pass, no temporaries
            return self._forward_compiled(x)
        coef = self.alpha * self.amplitude
        parts = [torch.einsum("sw,swn->sn", coef, self.unit_outputs(c)) for c in self._chunks(x)]
        return (parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)) + self.xi[:, None]

    def _forward_compiled(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`forward` by :func:`sign_forward` (the same formula, unit by unit and point by point):
        a rebuilt network of hundreds of units on 10⁵ points in a fraction of a second."""
        levels = len(self.hidden_w)
        width = max([1] + self.sizes[1:])
        fan = max([1] + list(self.widths[:-1]))
        xs = np.ascontiguousarray(x.detach().numpy().reshape(-1), dtype=np.float64)
        out = np.empty((self.n_models, xs.size))
        for m in range(self.n_models):
            HW = np.zeros((levels, self.width, width, fan))
            HB = np.zeros((levels, self.width, width))
            for i, (w, b) in enumerate(zip(self.hidden_w, self.hidden_b)):
                HW[i, :, :w.shape[2], :w.shape[3]] = w[m].detach().numpy()
                HB[i, :, :b.shape[2]] = b[m].detach().numpy()
            sign_forward(xs, self.first_w[m].detach().numpy(), self.first_b[m].detach().numpy(), HW, HB,
                         np.asarray(self.sizes, dtype=np.int64),
                         np.asarray(self.widths, dtype=np.int64), self.architecture == "tree",
                         self.unit_w[m].detach().numpy(), self.unit_b[m].detach().numpy(),
                         (self.alpha[m] * self.amplitude[m]).detach().numpy(), float(self.xi[m].detach()),
                         self.levels[0], self.levels[1], out[m])
        return torch.from_numpy(out).reshape(self.n_models, *x.shape)

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
            scale, shift = _level_map(self.levels)
            ww, bb = scale * ww, bb - shift * ww.sum(-1)
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
    rec = _blank_unit(architecture, widths)
    if architecture == "tree":
        _realize_tree(rec, widths, len(widths) + 1, 0, t)
    else:
        _realize_rectangular(rec, widths, t)
    return _to_levels(rec, activation_record(activation).levels)


def _blank_unit(architecture: str, widths: tuple[int, ...]) -> dict:
    """Weights of a unit whose every neuron is the constant +1 (zero inner weights, bias 1)."""
    sizes = _level_sizes(architecture, widths)
    L2 = len(widths)
    return {"first_w": np.zeros(sizes[0]), "first_b": np.ones(sizes[0]),
            "hidden_w": [np.zeros((sizes[l], widths[l - 1])) for l in range(1, L2)],
            "hidden_b": [np.ones(sizes[l]) for l in range(1, L2)],
            "unit_w": np.zeros(widths[-1]), "unit_b": 1.0}


def _set_neuron(rec: dict, level: int, p: int, w, b) -> None:
    """Levels 1..L−2 are hidden; level L−1 is the unit neuron (``p = 0``)."""
    L2 = len(rec["hidden_w"]) + 1
    if level == 1:
        rec["first_w"][p], rec["first_b"][p] = w, b
    elif level <= L2:
        rec["hidden_w"][level - 2][p], rec["hidden_b"][level - 2][p] = w, b
    else:
        rec["unit_w"][:], rec["unit_b"] = w, float(b)


def _combine(rec: dict, level: int, p: int, groups, polarities) -> float:
    """Neuron (level, p) realizes the normalized product over all groups from its children
    (weights ``σ_c π_c``, bias ``1 − Σ σ_c``, see :func:`unit_weights`); returns its polarity, +1."""
    w = np.zeros(len(groups))
    sigmas, before = [], 0
    for j, (grp, pol) in enumerate(zip(groups, polarities)):
        if len(grp) == 0:
            continue
        sigma = -1.0 if before % 2 else 1.0
        w[j] = sigma * pol
        sigmas.append(sigma)
        before += len(grp)
    _set_neuron(rec, level, p, w, 1.0 - sum(sigmas) if sigmas else 1.0)
    return 1.0


def _realize_tree(rec: dict, widths, level: int, p: int, ts) -> float:
    """Neuron (level, p) of a tree unit realizes the switches ``ts``; returns its polarity."""
    if level == 1:
        if len(ts) == 0:
            _set_neuron(rec, 1, p, 0.0, 1.0)
            return 1.0
        _set_neuron(rec, 1, p, 1.0, -float(ts[0]))
        return -1.0
    fan = widths[level - 2]
    cap = math.prod(widths[:level - 2])          # switches per child
    groups = [ts[j * cap:(j + 1) * cap] for j in range(fan)]
    pols = [_realize_tree(rec, widths, level - 1, p * fan + j, grp) for j, grp in enumerate(groups)]
    return _combine(rec, level, p, groups, pols)


def _realize_rectangular(rec: dict, widths, t) -> None:
    """Level 1 makes the switches, level 2 (the unit neuron at depth 3) combines them, deeper
    levels pass neuron 0 through (``sign(1·h + 0)``)."""
    groups = [t[j:j + 1] for j in range(widths[0])]
    pols = []
    for j, grp in enumerate(groups):
        if grp.size:
            _set_neuron(rec, 1, j, 1.0, -float(grp[0]))
        pols.append(-1.0 if grp.size else 1.0)
    _combine(rec, 2, 0, groups, pols)
    for level in range(3, len(widths) + 2):
        w = np.zeros(widths[level - 2])
        w[0] = 1.0
        _set_neuron(rec, level, 0, w, 0.0)


# ============================================================================ sampling
def sample_unit_patterns(family, x_sorted, *, n_units: int = 20000, seed: int = 0,
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


@njit_cached
def sign_forward(x, first_w, first_b, HW, HB, sizes, widths, tree, unit_w, unit_b, coef, xi, off, on, out):
    """``out[n] = ξ + Σ_k coef_k σ(v_k·h_k(x_n) + c_k)``: :meth:`DeepSignNet.forward` for one copy.

    ``HW[l, k, p, c]``, ``HB[l, k, p]``: hidden level ``l + 2`` of unit ``k``, padded; neuron ``p``
    sees neuron ``c`` of the level below (rectangular) or its child ``p·m + c`` (tree, ``m`` the
    fan-in ``widths[l]``); the unit neuron sees the whole last level.  ``σ(t) = on`` for
    ``t ≥ 0``, else ``off``.
    """
    n_units = first_w.shape[0]
    top = 1
    for size in sizes:
        if size > top:
            top = size
    cur = np.empty(top)
    nxt = np.empty(top)
    for i in range(x.size):
        acc = 0.0
        for k in range(n_units):
            if coef[k] == 0.0:
                continue
            for p in range(sizes[0]):
                cur[p] = on if first_w[k, p] * x[i] + first_b[k, p] >= 0.0 else off
            for l in range(sizes.size - 1):
                m = widths[l]
                for p in range(sizes[l + 1]):
                    pre = 0.0
                    for c in range(m):
                        pre += HW[l, k, p, c] * cur[p * m + c if tree else c]
                    nxt[p] = on if pre + HB[l, k, p] >= 0.0 else off
                for p in range(sizes[l + 1]):
                    cur[p] = nxt[p]
            pre = 0.0
            for c in range(sizes[sizes.size - 1]):
                pre += unit_w[k, c] * cur[c]
            acc += coef[k] * (on if pre + unit_b[k] >= 0.0 else off)
        out[i] = xi + acc
