"""TODO docstring (sign_networks)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from lassobook.core.networks import DTYPE, ParallelNetwork
from lassobook.families.sign_patterns import (
    _level_sizes,
    _to_threshold,
    check_sign_architecture,
    max_switches,
)


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
