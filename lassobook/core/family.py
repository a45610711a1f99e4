"""TODO docstring (families)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from lassobook.core.data import Dataset


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
    xi, xj = np.meshgrid(x, x, indexing="ij")
    mids = ((xi + xj) / 2).ravel()
    refl = (2 * xi - xj).ravel()
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
        """True if the family overrides :meth:`oracle`."""
        return type(self).oracle is not Family.oracle

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.activation!r}, depth={self.depth})"
