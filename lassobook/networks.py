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

from .activations import HOMOGENEOUS, torch_activation

__all__ = ["ParallelNetwork", "TwoLayerNet", "as_tensor"]

DTYPE = torch.float64


def as_tensor(values) -> torch.Tensor:
    """A float64 CPU tensor of ``values``."""
    if isinstance(values, torch.Tensor):
        return values.to(DTYPE)
    return torch.tensor(np.array(values, dtype=np.float64), dtype=DTYPE)


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
            None if activation in HOMOGENEOUS else nn.Parameter(torch.ones(shape, dtype=DTYPE))
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
