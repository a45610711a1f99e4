r"""What a *family* of networks is, for the Lasso: the :class:`Family` base class.

The paper's theorem says that training a 1-D network of a given architecture with
weight decay β is the Lasso

.. math:: \min_{z,\,\xi}\ \tfrac12 \|A z + \xi 1 - y\|^2 + \beta \|z\|_1

over a dictionary ``A`` whose columns are *unit shapes* ``g(X)``: every unit of
the network, after the rescaling that balances its layers, is ``c·g`` with
penalty ``β|c|``.  A family therefore has to say

* which shapes its units take (:meth:`Family.shape`, with their kinks
  :meth:`Family.kinks`), and which finite set of them is the paper's dictionary
  (:meth:`Family.raw_dictionary`, pruned by :mod:`lassobook.core.dictionary`);
* a dense sample of the continuous family of shapes
  (:meth:`Family.candidate_params`, probed by the certificate at
  :func:`breakpoint_candidates`: data, midpoints, reflections and a grid);
* the torch network (:meth:`Family.network`) and how a Lasso solution becomes one
  (:meth:`Family.reconstruct`, whose objective must equal the Lasso's);
* optionally, an exact dual oracle (:meth:`Family.oracle`) for the structured solver.

The concrete families live in :mod:`lassobook.families`, one module each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from lassobook.core.data import Dataset
from lassobook.core.points import pair_points


def breakpoint_candidates(x_sorted: np.ndarray, resolution: int = 2000,
                          max_reflections: int = 200_000) -> np.ndarray:
    """Breakpoints at which the certificate probes a continuous unit family.

    The union of: the data points, all midpoints ``(x_i + x_j)/2``, all
    reflections ``2 x_i - x_j`` (every ordered pair; a seeded subsample if there
    are more than ``max_reflections``), and a uniform grid of ``resolution``
    points over the data range widened by its length on both sides.

    Returns
    -------
    ndarray, sorted, unique
    """
    x = np.asarray(x_sorted, dtype=np.float64)
    lo, hi = x.min(), x.max()
    span = hi - lo
    mids, refl = pair_points(x)
    if refl.size > max_reflections:
        refl = np.random.default_rng(0).choice(refl, max_reflections, replace=False)
        mids = np.random.default_rng(1).choice(mids, max_reflections, replace=False)
    grid = np.linspace(lo - span, hi + span, resolution)
    return np.unique(np.concatenate([x, mids, refl, grid]))


class Family(ABC):
    """A family of networks with its unit shapes and dictionary (see module docstring)."""

    #: activation name (one of :data:`lassobook.core.activations.ACTIVATIONS`)
    activation: str
    #: number of layers (2 = one hidden layer)
    depth: int
    #: human-readable architecture name
    architecture: str = "parallel"
    #: how a unit shape scales with the input: ``g(s·x) = s^degree · g'(x)`` with ``g'`` in the
    #: family (1: ramps and chains of ReLU/leaky/abs; 0: sign and threshold units).  It fixes
    #: how β transforms with the units of ``x`` (:mod:`lassobook.fitting`).
    degree: int = 1
    #: False for a family whose dictionary is knowingly incomplete (a restricted feature set,
    #: kept as a counterexample): its Lasso optimum need not be the network optimum.
    complete: bool = True

    @abstractmethod
    def shape(self, x: np.ndarray, **params: np.ndarray) -> np.ndarray:
        """Unit shapes at inputs ``x`` (broadcasting: x of shape (n, 1), params of shape (1, p))."""

    @abstractmethod
    def raw_dictionary(self, data: Dataset) -> tuple[dict[str, np.ndarray], list[str]]:
        """The paper's dictionary before pruning: parameter arrays and labels."""

    @abstractmethod
    def kinks(self, params: dict[str, float]) -> np.ndarray:
        """Kink (or jump) positions of the unit shape with scalar parameters ``params``."""

    @abstractmethod
    def candidate_params(self, data: Dataset, resolution: int = 2000) -> dict[str, np.ndarray]:
        """A dense sample of the continuous unit family (for the certificate)."""

    @abstractmethod
    def network(self, width: int, n_models: int = 1):
        """An untrained torch network of this family (``n_models`` independent copies)."""

    @abstractmethod
    def reconstruct(self, params: dict[str, np.ndarray], coefficients: np.ndarray, xi: float):
        """The network with one unit per (shape params, Lasso coefficient) pair and output bias ``xi``."""

    @staticmethod
    def units(params: dict, coefficients, names, empty: dict | None = None):
        """``(c, p)``: the coefficients and the parameters ``names`` as flat float arrays,
        ready for :meth:`reconstruct`.

        With no coefficient at all (the Lasso picked no unit) the network is the constant
        ``ξ``; torch networks need at least one unit, so this returns one unit with
        coefficient 0 and every parameter 0 (or its value in ``empty``), which has zero
        output and zero penalty.
        """
        c = np.asarray(coefficients, dtype=np.float64).reshape(-1)
        if c.size == 0:
            empty = empty or {}
            return np.zeros(1), {n: np.full(1, float(empty.get(n, 0.0))) for n in names}
        return c, {n: np.asarray(params[n], dtype=np.float64).reshape(-1) for n in names}

    @property
    @abstractmethod
    def penalty_formula(self) -> str:
        """The regularizer ``R(θ)`` of the training problem, as text (LaTeX)."""

    def oracle(self, data: Dataset):
        """The family's exact dual oracle on ``data``: a :class:`lassobook.core.oracle.StructuredOracle`.

        It finds the unit of the *continuous* family that correlates most with a
        residual, by a search over finitely many candidates that provably contains
        the maximizer.  The structured solver (:mod:`lassobook.solvers.working_set`)
        and the exact certificate (:mod:`lassobook.core.certificate`) call this hook;
        a family without one raises ``ValueError`` here and is solved densely.
        """
        raise ValueError(f"no structured oracle for {self!r}; the families with one are "
                         "marked 'oracle' in lassobook.families.FAMILIES")

    @property
    def has_oracle(self) -> bool:
        """True if the family overrides :meth:`oracle` (:func:`overrides_oracle`)."""
        return overrides_oracle(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.activation!r}, depth={self.depth})"


def overrides_oracle(cls: type) -> bool:
    """True if the :class:`Family` subclass ``cls`` overrides :meth:`Family.oracle`: it has a
    structured oracle, so the structured solver applies (the test ``Family.has_oracle`` and the
    ``FAMILIES`` table both make)."""
    return cls.oracle is not Family.oracle
