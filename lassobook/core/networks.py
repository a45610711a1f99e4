"""Explicit networks in torch (float64), with their exact regularized objectives.

Every network here holds ``n_models`` independent copies side by side (a leading
*model* axis on every parameter), so that many seeded Adam runs train as one
module: the objective of copy ``k`` depends only on copy ``k``'s parameters, and
Adam's update is elementwise, so a batch of copies behaves exactly like separate
runs.  A reconstructed network has ``n_models = 1``.

The training problem (the paper's, with weight decay β) is

.. math:: \\min_\\theta \\tfrac12 \\|f(X;\\theta) - y\\|^2 + R(\\theta),

with the penalty ``R`` given per family and the output bias never penalized.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lassobook.core.activations import activation as activation_record
from lassobook.core.activations import numpy_activation, torch_activation

DTYPE = torch.float64


def as_tensor(values) -> torch.Tensor:
    """A float64 CPU tensor of ``values``."""
    if isinstance(values, torch.Tensor):
        return values.to(DTYPE)
    return torch.tensor(np.array(values, dtype=np.float64), dtype=DTYPE)


def network_values(net, x, chunk: int = 1024) -> np.ndarray:
    """``net(x)`` as a numpy array of shape (n_models, n), without autograd, ``chunk`` inputs at a time.

    A batch of wide models on a fine grid holds ``n_models × width × n`` hidden
    values per layer at once — 50 models of width 500 on 20 001 points are about
    11 GB — so the inputs go through in chunks.  Each output depends on its own
    input only; the numbers agree with one whole batch up to rounding (a matrix
    product may block a different batch size differently).
    """
    x = np.asarray(x, dtype=np.float64)
    with torch.no_grad():
        parts = [net(as_tensor(x[i:i + chunk])).numpy() for i in range(0, max(x.size, 1), chunk)]
    return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


class ParallelNetwork(nn.Module):
    """Base class: ``n_models`` copies of a network of ``width`` units.

    Subclasses implement :meth:`forward` (inputs of shape (n,) → outputs of
    shape (n_models, n)) and :meth:`penalty` (β → shape (n_models,)).
    """

    def __init__(self, width: int, n_models: int = 1):
        super().__init__()
        if int(width) < 1:
            raise ValueError(f"width must be at least 1, got {width!r}")
        if int(n_models) < 1:
            raise ValueError(f"n_models must be at least 1, got {n_models!r}")
        self.width = int(width)
        self.n_models = int(n_models)
        self.xi = nn.Parameter(torch.zeros(self.n_models, dtype=DTYPE))

    def penalty(self, beta: float) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def objective(self, x, y, beta: float, weights=None) -> torch.Tensor:
        """Regularized training objective ``½ Σ_n w_n (f(x_n) − y_n)² + R(θ)`` per model, shape (n_models,).

        ``weights`` (shape (n,)) default to ones.
        """
        x, y = as_tensor(x), as_tensor(y)
        residual = self(x) - y[None, :]
        sq = residual**2 if weights is None else residual**2 * as_tensor(weights)[None, :]
        return 0.5 * sq.sum(dim=1) + self.penalty(beta)

    def predict(self, x, model: int = 0) -> np.ndarray:
        """Network output of copy ``model`` at inputs ``x`` (shape (n,)) as a numpy array."""
        with torch.no_grad():
            return self(as_tensor(np.ravel(x)))[model].numpy().copy()

    def random_init(self, seeds, x_sorted) -> None:
        """Seeded random initialization of every copy, in place.

        Copy ``k`` draws from its own ``torch.Generator().manual_seed(seeds[k])``
        (so a seed's network does not depend on the other seeds in the batch),
        through the subclass's :meth:`init_copy`; the output bias starts at 0.
        """
        seeds = list(seeds)
        if len(seeds) != self.n_models:
            raise ValueError(f"need one seed per model ({self.n_models}), got {len(seeds)}")
        lo, hi = float(np.min(x_sorted)), float(np.max(x_sorted))
        with torch.no_grad():
            for k, seed in enumerate(seeds):
                self.init_copy(k, torch.Generator().manual_seed(int(seed)), lo, hi)
                self.xi[k] = 0.0

    def init_copy(self, k: int, generator: torch.Generator, lo: float, hi: float) -> None:  # pragma: no cover
        """Draw copy ``k``'s parameters from ``generator``; the data lie in ``[lo, hi]``."""
        raise NotImplementedError

    def breakpoints(self) -> np.ndarray:  # pragma: no cover - abstract
        """Kink positions of every unit, shape (n_models, width, k)."""
        raise NotImplementedError


class TwoLayerNet(ParallelNetwork):
    """``f(x) = Σ_k α_k [s_k] σ(w_k x + b_k) + ξ`` (two-layer networks).

    Parameters ``w, b, alpha`` (and ``amplitude`` ``s`` for sign/threshold) have
    shape (n_models, width); ``xi`` has shape (n_models,).

    Penalty: ``(β/2) Σ (w² + α²)`` for ReLU, leaky ReLU and absolute value;
    ``(β/2) Σ (α² + s²)`` for sign and threshold (inner weights are scale-free).
    """

    def __init__(self, activation: str, width: int, n_models: int = 1, rho: float = 0.1):
        super().__init__(width, n_models)
        self.activation = activation
        self.sigma = torch_activation(activation, rho)
        shape = (self.n_models, self.width)
        self.w = nn.Parameter(torch.ones(shape, dtype=DTYPE))
        self.b = nn.Parameter(torch.zeros(shape, dtype=DTYPE))
        self.alpha = nn.Parameter(torch.zeros(shape, dtype=DTYPE))
        self.amplitude = (
            None if activation_record(activation).homogeneous
            else nn.Parameter(torch.ones(shape, dtype=DTYPE))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = self.sigma(self.w[:, :, None] * x[None, None, :] + self.b[:, :, None])
        weights = self.alpha if self.amplitude is None else self.alpha * self.amplitude
        return torch.einsum("sm,smn->sn", weights, hidden) + self.xi[:, None]

    def penalty(self, beta: float) -> torch.Tensor:
        other = self.w if self.amplitude is None else self.amplitude
        return 0.5 * beta * (self.alpha**2 + other**2).sum(dim=1)

    def init_copy(self, k, generator, lo, hi):
        """Inner weights ``w ~ N(0, 1)``; breakpoints ``−b/w`` uniform over the data
        range (units start where the data is); output weights ``α ~ N(0, 1/width)``;
        amplitudes (sign/threshold) ``s ~ N(0, 1)``."""
        m, g = self.width, generator
        w = torch.randn(m, generator=g, dtype=DTYPE)
        a = lo + (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE)
        self.w[k] = w
        self.b[k] = -w * a
        self.alpha[k] = torch.randn(m, generator=g, dtype=DTYPE) / np.sqrt(m)
        if self.amplitude is not None:
            self.amplitude[k] = torch.randn(m, generator=g, dtype=DTYPE)

    def breakpoints(self) -> np.ndarray:
        with torch.no_grad():
            w = self.w.numpy()
            b = self.b.numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            a = np.where(w != 0, -b / w, np.nan)
        return a[:, :, None]

    def unit_coefficients(self) -> np.ndarray:
        """Each unit's coefficient ``c`` on its normalized shape (``α|w|`` or ``α s``), shape (n_models, width)."""
        with torch.no_grad():
            if self.amplitude is None:
                return (self.alpha * self.w.abs()).numpy().copy()
            return (self.alpha * self.amplitude).numpy().copy()


# ---------------------------------------------------------------------- shapes and kinks
def chain_function(x, activations, signs, thresholds, rho: float = 0.1):
    """``f_L(x)`` of the normalized chain, broadcasting over ``x`` and the parameter arrays."""
    h = np.asarray(x, dtype=np.float64)
    for a, s, t in zip(activations, signs, thresholds):
        h = numpy_activation(a, rho)(s * (h - t))
    return h


# ---------------------------------------------------------------------- the family
class ChainParams:
    """Per-layer column parameters of a chain family: signs ``s1, …`` and thresholds
    ``{threshold}1, …`` (``t`` here, ``a`` — input-space breakpoints — for
    :class:`~lassobook.families.deep_narrow.DeepNarrowReLU`)."""

    threshold = "t"

    @property
    def layers(self) -> int:
        """Number of hidden layers, ``L − 1``."""
        return self.depth - 1

    def _split(self, params):
        D = self.layers
        return ([params[f"s{l}"] for l in range(1, D + 1)],
                [params[f"{self.threshold}{l}"] for l in range(1, D + 1)])

    def _load(self, w, b, alpha, xi):
        """The family's network with layer weights ``w[l]``, biases ``b[l]`` and output
        weights ``alpha`` (arrays of shape (m,)), output bias ``xi``."""
        net = self.network(width=np.size(alpha))
        with torch.no_grad():
            for l in range(self.layers):
                getattr(net, f"w{l + 1}").copy_(torch.as_tensor(w[l])[None])
                getattr(net, f"b{l + 1}").copy_(torch.as_tensor(b[l])[None])
            net.alpha.copy_(torch.as_tensor(alpha)[None])
            net.xi.fill_(float(xi))
        return net

    @property
    def penalty_formula(self):
        ws = " + ".join(f"|w_{{{l},k}}|^{self.depth}" for l in range(1, self.depth))
        return rf"\frac{{\beta}}{{{self.depth}}}\sum_k \bigl({ws} + |\alpha_k|^{self.depth}\bigr)"


# ---------------------------------------------------------------------- the network
class ChainNet(ParallelNetwork):
    r"""The parallel network of narrow chains: ``f(x) = Σ_k α_k h_{L,k}(x) + ξ``,
    ``h_{l+1,k} = σ_l(w_{l,k} h_{l,k} + b_{l,k})``, ``h_{1,k} = x``.

    Parameters ``w1, b1, …, w{L−1}, b{L−1}, alpha`` have shape (n_models, width);
    ``xi`` has shape (n_models,).  Penalty ``(β/L) Σ_k (Σ_l |w_{l,k}|^L + |α_k|^L)``.
    """

    def __init__(self, activations, width: int, n_models: int = 1, rho: float = 0.1):
        super().__init__(width, n_models)
        self.activations = tuple(activations)
        self.depth = len(self.activations) + 1
        self.sigmas = [torch_activation(a, rho) for a in self.activations]
        shape = (self.n_models, self.width)
        for l in range(1, self.depth):
            setattr(self, f"w{l}", nn.Parameter(torch.ones(shape, dtype=DTYPE)))
            setattr(self, f"b{l}", nn.Parameter(torch.zeros(shape, dtype=DTYPE)))
        self.alpha = nn.Parameter(torch.zeros(shape, dtype=DTYPE))

    @property
    def weights(self) -> list:
        """The penalized weights ``[w1, …, w{L−1}, alpha]``."""
        return [getattr(self, f"w{l}") for l in range(1, self.depth)] + [self.alpha]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x[None, None, :]
        for l, sigma in enumerate(self.sigmas, start=1):
            w, b = getattr(self, f"w{l}"), getattr(self, f"b{l}")
            h = sigma(w[:, :, None] * h + b[:, :, None])
        return torch.einsum("sm,smn->sn", self.alpha, h) + self.xi[:, None]

    def penalty(self, beta: float) -> torch.Tensor:
        L = self.depth
        return (beta / L) * sum((w.abs() ** L).sum(dim=1) for w in self.weights)

    def init_copy(self, k: int, generator: torch.Generator, lo: float, hi: float) -> None:
        """Weights ``w_l ~ N(0, 1)``; every layer's threshold at the value the chain takes
        at a point uniform over the data range ``[lo, hi]`` (kinks start among the data);
        ``α ~ N(0, 1/width)``."""
        m, g = self.width, generator
        w = [torch.randn(m, generator=g, dtype=DTYPE) for _ in self.sigmas]
        a = [lo + (hi - lo) * torch.rand(m, generator=g, dtype=DTYPE) for _ in self.sigmas]
        b = []
        for l in range(len(self.sigmas)):
            h = a[l]
            for q in range(l):
                h = self.sigmas[q](w[q] * h + b[q])
            b.append(-w[l] * h)
        for l in range(len(self.sigmas)):
            getattr(self, f"w{l + 1}")[k] = w[l]
            getattr(self, f"b{l + 1}")[k] = b[l]
        self.alpha[k] = torch.randn(m, generator=g, dtype=DTYPE) / np.sqrt(m)

    def unit_coefficients(self) -> np.ndarray:
        """Each unit's coefficient ``α Π_l |w_l|`` on its normalized shape, shape (n_models, width)."""
        with torch.no_grad():
            prod = self.alpha.clone()
            for w in self.weights[:-1]:
                prod = prod * w.abs()
            return prod.numpy().copy()

    def breakpoints(self) -> np.ndarray:
        """First-layer breakpoints ``−b1/w1`` of every unit, shape (n_models, width, 1)."""
        with torch.no_grad():
            w, b = self.w1.numpy(), self.b1.numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(w != 0, -b / w, np.nan)[:, :, None]
