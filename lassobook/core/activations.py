"""The piecewise-linear activations of the paper, for numpy and for torch.

Each activation is given twice, with the same convention at the kink, so that a
dictionary column (numpy) and the reconstructed network (torch) agree exactly on
the training points: ``sign(0) = +1`` and ``threshold(0) = 1``.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

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


def _np_relu(t):
    return np.maximum(t, 0.0)


def _np_leaky_relu(t, rho):
    return np.maximum(t, rho * t)


def _np_threshold(t):
    return (t >= 0).astype(np.float64)


def _np_sign(t):
    return np.where(t >= 0, 1.0, -1.0)


def _torch_leaky_relu(t, rho):
    return torch.maximum(t, rho * t)


def _torch_threshold(t):
    return (t >= 0).to(t.dtype)


def _torch_sign(t):
    return torch.where(t >= 0, 1.0, -1.0).to(t.dtype)


# Module-level functions (not lambdas) so that fitted models pickle.
_NUMPY = {"relu": _np_relu, "abs": np.abs, "threshold": _np_threshold, "sign": _np_sign}


_TORCH = {"relu": torch.relu, "abs": torch.abs, "threshold": _torch_threshold, "sign": _torch_sign}


def numpy_activation(name: str, rho: float = 0.1):
    """The activation ``name`` as a vectorized numpy function."""
    check_activation(name, rho if name == "leaky_relu" else None)
    if name == "leaky_relu":
        return partial(_np_leaky_relu, rho=rho)
    return _NUMPY[name]


def torch_activation(name: str, rho: float = 0.1):
    """The activation ``name`` as a torch function (same kink convention as numpy)."""
    check_activation(name, rho if name == "leaky_relu" else None)
    if name == "leaky_relu":
        return partial(_torch_leaky_relu, rho=rho)
    return _TORCH[name]
