"""The piecewise-linear activations of the paper: one record of facts per activation.

Everything the package needs to know about an activation lives in its
:class:`Activation` record, so that adding one is one row of :data:`RECORDS`
and nothing else string-compares activation names:

* its numpy and torch functions, with the same convention at the kink, so that a
  dictionary column (numpy) and the reconstructed network (torch) agree exactly
  on the training points: ``sign(0) = +1`` and ``threshold(0) = 1``;
* ``homogeneous``: σ(s·t) = s·σ(t) for s > 0 (ReLU, leaky ReLU, abs).  A unit's
  scale then moves freely between layers, which is what turns weight decay into
  an ℓ1 penalty (the rescaling argument); step activations are scale
  *invariant* instead, σ(s·t) = σ(t), and their inner weights are free;
* ``slopes(rho)``: the (left, right) slopes of a homogeneous activation,
  σ(t) = left·t for t < 0 and right·t for t ≥ 0;
* ``levels``: the (off, on) values of a step activation;
* ``orientations``: the signs of the inner weight a two-layer dictionary needs —
  (+1, −1) for ReLU and leaky ReLU, (+1,) for an even activation (|−t| = |t|) and
  for a step;
* ``needs_rho``: the activation has a parameter ρ (leaky ReLU's negative slope).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import numpy as np


def _np_relu(t):
    return np.maximum(t, 0.0)


def _np_leaky_relu(t, rho):
    return np.maximum(t, rho * t)


def _np_threshold(t):
    return (t >= 0).astype(np.float64)


def _np_sign(t):
    return np.where(t >= 0, 1.0, -1.0)


# torch is imported when a torch function first runs, not with this module
# (``lassobook --help`` and the family table stay light).
def _torch_relu(t):
    import torch

    return torch.relu(t)


def _torch_abs(t):
    return t.abs()


def _torch_leaky_relu(t, rho):
    import torch

    return torch.maximum(t, rho * t)


def _torch_threshold(t):
    return (t >= 0).to(t.dtype)


def _torch_sign(t):
    import torch

    return torch.where(t >= 0, 1.0, -1.0).to(t.dtype)


@dataclass(frozen=True)
class Activation:
    """The facts of one activation (see the module docstring)."""

    name: str
    numpy_fn: Callable            # module-level functions (not lambdas), so fitted models pickle
    torch_fn: Callable
    homogeneous: bool
    even: bool = False
    needs_rho: bool = False
    #: (left, right) slopes for homogeneous activations; ``None`` entries are ρ
    slope_pair: tuple | None = None
    #: (off, on) values of a step activation
    levels: tuple[float, float] | None = None

    @property
    def orientations(self) -> tuple[int, ...]:
        """Inner-weight signs a two-layer dictionary needs.

        (+1, −1) for ReLU and leaky ReLU; (+1,) when σ is even (|−t| = |t|) and
        for a step, whose flipped unit σ(−(x − a)) is, on the data, a constant
        minus a multiple of an unflipped one (the free output bias absorbs the
        constant).
        """
        return (1,) if self.even or not self.homogeneous else (1, -1)

    @property
    def degree(self) -> int:
        """1 for homogeneous units (g(s·x) = s·g(x)), 0 for scale-invariant steps."""
        return 1 if self.homogeneous else 0

    def slopes(self, rho: float = 0.1) -> tuple[float, float]:
        """(left, right) slopes of a homogeneous activation."""
        if self.slope_pair is None:
            raise ValueError(f"{self.name} is a step activation; it has levels, not slopes")
        return tuple(rho if s is None else float(s) for s in self.slope_pair)

    def numpy(self, rho: float = 0.1):
        """The activation as a vectorized numpy function."""
        return partial(self.numpy_fn, rho=rho) if self.needs_rho else self.numpy_fn

    def torch(self, rho: float = 0.1):
        """The activation as a torch function (same kink convention as numpy)."""
        return partial(self.torch_fn, rho=rho) if self.needs_rho else self.torch_fn


#: One record per activation, in the order the book lists them.
RECORDS = {a.name: a for a in (
    Activation("relu", _np_relu, _torch_relu, homogeneous=True, slope_pair=(0.0, 1.0)),
    Activation("leaky_relu", _np_leaky_relu, _torch_leaky_relu, homogeneous=True, needs_rho=True,
               slope_pair=(None, 1.0)),
    Activation("abs", np.abs, _torch_abs, homogeneous=True, even=True, slope_pair=(-1.0, 1.0)),
    Activation("threshold", _np_threshold, _torch_threshold, homogeneous=False, levels=(0.0, 1.0)),
    Activation("sign", _np_sign, _torch_sign, homogeneous=False, levels=(-1.0, 1.0)),
)}

#: Names accepted everywhere (functions, estimator, command line).
ACTIVATIONS = tuple(RECORDS)

#: Positively homogeneous activations: the unit's scale moves between layers.
HOMOGENEOUS = tuple(n for n, a in RECORDS.items() if a.homogeneous)

#: Step activations (scale invariant): sign and threshold.
STEPS = tuple(n for n, a in RECORDS.items() if not a.homogeneous)


def check_activation(name: str, rho: float | None = None) -> None:
    """Raise a ValueError naming the problem if ``name`` (and ``rho``) are not usable."""
    if name not in RECORDS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    if RECORDS[name].needs_rho:
        if rho is None or not np.isfinite(rho) or not 0 < rho < 1:
            raise ValueError(f"leaky ReLU needs a slope rho in (0, 1), got {rho!r}")


def activation(name: str) -> Activation:
    """The record of activation ``name`` (ValueError naming the choices if unknown)."""
    check_activation(name, 0.5)
    return RECORDS[name]


def rho_for(name: str, rho: float | None) -> float | None:
    """``rho`` if the activation takes one, else ``None`` (for :func:`check_activation`)."""
    return rho if activation(name).needs_rho else None


def numpy_activation(name: str, rho: float = 0.1):
    """The activation ``name`` as a vectorized numpy function."""
    check_activation(name, rho_for(name, rho))
    return RECORDS[name].numpy(rho)


def torch_activation(name: str, rho: float = 0.1):
    """The activation ``name`` as a torch function (same kink convention as numpy)."""
    check_activation(name, rho_for(name, rho))
    return RECORDS[name].torch(rho)
