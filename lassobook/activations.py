"""The piecewise-linear activations of the paper, for numpy and for torch.

Each activation is given twice, with the same convention at the kink, so that a
dictionary column (numpy) and the reconstructed network (torch) agree exactly on
the training points: ``sign(0) = +1`` and ``threshold(0) = 1``.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["ACTIVATIONS", "HOMOGENEOUS", "check_activation", "numpy_activation", "torch_activation"]

#: Names accepted everywhere (functions, estimator, command line).
ACTIVATIONS = ("relu", "leaky_relu", "abs", "threshold", "sign")
#: Positively homogeneous activations: the unit's scale moves between layers.
HOMOGENEOUS = ("relu", "leaky_relu", "abs")


def check_activation(name: str, rho: float | None = None) -> None:
    """Raise a ValueError naming the problem if ``name`` (and ``rho``) are not usable."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    if name == "leaky_relu":
        if rho is None or not np.isfinite(rho) or not 0 < rho < 1:
            raise ValueError(f"leaky ReLU needs a slope rho in (0, 1), got {rho!r}")


def numpy_activation(name: str, rho: float = 0.1):
    """The activation ``name`` as a vectorized numpy function."""
    check_activation(name, rho if name == "leaky_relu" else None)
    if name == "relu":
        return lambda t: np.maximum(t, 0.0)
    if name == "leaky_relu":
        return lambda t: np.maximum(t, rho * t)
    if name == "abs":
        return np.abs
    if name == "threshold":
        return lambda t: (t >= 0).astype(np.float64)
    return lambda t: np.where(t >= 0, 1.0, -1.0)


def torch_activation(name: str, rho: float = 0.1):
    """The activation ``name`` as a torch function (same kink convention as numpy)."""
    check_activation(name, rho if name == "leaky_relu" else None)
    if name == "relu":
        return torch.relu
    if name == "leaky_relu":
        return lambda t: torch.maximum(t, rho * t)
    if name == "abs":
        return torch.abs
    if name == "threshold":
        return lambda t: (t >= 0).to(t.dtype)
    return lambda t: torch.where(t >= 0, 1.0, -1.0).to(t.dtype)
