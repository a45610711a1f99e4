"""Network families: what a unit looks like, its cost, and its finite dictionary.

A *family* fixes an architecture (activation, depth, how units are wired).  After
rescaling, every unit of the family contributes ``c * g(x)`` to the network at a
cost ``beta * |c|``, where the *unit shape* ``g`` ranges over a continuous set
``G`` described by a few parameters.  A family tells

* :meth:`Family.shape` — the unit shapes as a vectorized function of their parameters;
* :meth:`Family.raw_dictionary` — the paper's finite subset ``D`` of ``G`` built from the data;
* :meth:`Family.candidate_params` — a dense sample of ``G`` (data points,
  midpoints, reflections and a grid) for the certificate;
* :meth:`Family.network` and :meth:`Family.reconstruct` — the torch network and
  the network rebuilt from a Lasso solution.

:func:`get_family` turns the user's words (``activation``, ``depth``,
``architecture``) into a family, and says clearly when a combination is not
(yet) supported.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import torch

from .activations import ACTIVATIONS, HOMOGENEOUS, check_activation, numpy_activation
from .datasets import Dataset

__all__ = ["Family", "TwoLayer", "get_family", "breakpoint_candidates"]


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

    #: activation name (one of :data:`lassobook.activations.ACTIVATIONS`)
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

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.activation!r}, depth={self.depth})"


class TwoLayer(Family):
    """Two-layer networks ``f(x) = Σ_k α_k σ(w_k x + b_k) + ξ`` (the paper's two-layer theorem).

    Homogeneous σ (ReLU, leaky ReLU, absolute value): penalty
    ``(β/2) Σ (w_k² + α_k²)``; unit shapes ``σ(o (x − a))`` with orientation
    ``o = ±1`` (only ``+1`` for the absolute value) and breakpoint ``a``.

    Sign and threshold: each unit has an amplitude ``s_k``,
    ``α_k s_k σ(w_k x + b_k)``, penalty ``(β/2) Σ (α_k² + s_k²)``; inner weights
    are scale-free and not penalized.  Unit shapes ``σ(o (x − a))``.

    Parameters
    ----------
    activation : {"relu", "leaky_relu", "abs", "threshold", "sign"}
    rho : float in (0, 1)
        Negative-side slope of the leaky ReLU (ignored otherwise).
    """

    depth = 2

    def __init__(self, activation: str, rho: float = 0.1):
        check_activation(activation, rho if activation == "leaky_relu" else None)
        self.activation = activation
        self.rho = float(rho)
        self._sigma = numpy_activation(activation, self.rho)

    @property
    def orientations(self) -> tuple[int, ...]:
        """Orientations in the paper's dictionary (the paper's two-layer dictionaries)."""
        return (1, -1) if self.activation in ("relu", "leaky_relu") else (1,)

    @property
    def homogeneous(self) -> bool:
        return self.activation in HOMOGENEOUS

    @property
    def degree(self) -> int:
        """1 for ReLU, leaky ReLU and absolute value units; 0 for sign and threshold."""
        return 1 if self.homogeneous else 0

    def shape(self, x, breakpoint, orientation):
        return self._sigma(orientation * (x - breakpoint))

    def raw_dictionary(self, data):
        xs = data.x_sorted
        o = np.repeat(np.array(self.orientations, dtype=np.float64), xs.size)
        a = np.tile(xs, len(self.orientations))
        labels = [_two_layer_label(self.activation, oi, ai) for oi, ai in zip(o, a)]
        return {"breakpoint": a, "orientation": o}, labels

    def kinks(self, params):
        return np.array([float(params["breakpoint"])])

    def candidate_params(self, data, resolution=2000):
        a = breakpoint_candidates(data.x_sorted, resolution)
        orient = (1.0,) if self.activation == "abs" else (1.0, -1.0)
        return {
            "breakpoint": np.tile(a, len(orient)),
            "orientation": np.repeat(np.array(orient), a.size),
        }

    def network(self, width, n_models=1):
        from .networks import TwoLayerNet

        return TwoLayerNet(self.activation, width, n_models=n_models, rho=self.rho)

    def reconstruct(self, params, coefficients, xi):
        """One unit per coefficient ``c_k`` on shape ``σ(o_k (x − a_k))``.

        Homogeneous σ: ``w = o √|c|``, ``b = −w a``, ``α = sign(c) √|c|``, so that
        ``α σ(w x + b) = c σ(o (x − a))`` and ``(β/2)(w² + α²) = β |c|``.
        Sign/threshold: ``w = o``, ``b = −o a``, ``s = √|c|``, ``α = sign(c) √|c|``.
        """
        c = np.asarray(coefficients, dtype=np.float64)
        a = np.asarray(params["breakpoint"], dtype=np.float64)
        o = np.asarray(params["orientation"], dtype=np.float64)
        if c.size == 0:  # the constant network: one unit with zero weights
            c, a, o = np.zeros(1), np.zeros(1), np.ones(1)
        root = np.sqrt(np.abs(c))
        net = self.network(width=c.size)
        w = o * root if self.homogeneous else o
        with torch.no_grad():
            net.w.copy_(torch.as_tensor(w)[None])
            net.b.copy_(torch.as_tensor(-w * a)[None])
            net.alpha.copy_(torch.as_tensor(np.sign(c) * root)[None])
            net.xi.fill_(float(xi))
            if net.amplitude is not None:
                net.amplitude.copy_(torch.as_tensor(root)[None])
        return net

    @property
    def penalty_formula(self):
        if self.homogeneous:
            return r"\frac{\beta}{2}\sum_k (w_k^2 + \alpha_k^2)"
        return r"\frac{\beta}{2}\sum_k (\alpha_k^2 + s_k^2)"

    def __repr__(self):
        extra = f", rho={self.rho}" if self.activation == "leaky_relu" else ""
        return f"TwoLayer({self.activation!r}{extra})"


def _two_layer_label(activation: str, orientation: float, breakpoint: float) -> str:
    inner = f"x - {breakpoint:g}" if orientation > 0 else f"{breakpoint:g} - x"
    return f"{activation}({inner})"


def get_family(activation, depth: int | None = None, architecture: str | None = None, *,
               rho: float = 0.1, widths: tuple[int, ...] | None = None) -> Family:
    """The network family for ``activation`` and ``depth`` (default 2).

    ``activation`` is one name, or one name per hidden layer for a narrow chain
    mixing activations (:class:`lassobook.chains.NarrowChain`), as a sequence or a
    comma-separated string, e.g. ``"relu,abs"`` (depth 3, inferred).  Leaky-ReLU
    chains of depth 3 and 4, absolute-value chains of depth 4 and mixed chains of
    depth 3 and 4 get the *vertex dictionary* of :mod:`lassobook.chains`; ReLU
    chains of depth 3, 4 and absolute value at depth 3 the paper's dictionaries.

    ``widths`` (keyword-only) is used by sign and threshold networks of depth
    ``L >= 3`` (:class:`lassobook.sign_networks.DeepSign`): the hidden widths
    ``(m_1, ..., m_{L-2})``, ``depth - 2`` positive integers.  The default
    ``None`` means all ones — the deep *narrow* sign network, whose units switch
    once, like a two-layer sign unit; give wider first layers (rectangular) or
    more children (tree) for more switches.  Their ``architecture`` is
    ``"rectangular"`` (default) or ``"tree"``.

    Raises
    ------
    ValueError
        For an unknown activation, a bad depth, or a combination this version
        of lassobook does not support (the message lists what is supported).
    """
    if not isinstance(activation, (str, tuple, list)) or not activation:
        raise ValueError(f"activation must be a name such as 'relu' (one of {', '.join(ACTIVATIONS)}) "
                         f"or one name per hidden layer, got {activation!r}")
    if isinstance(activation, str) and "," in activation:
        activation = tuple(a.strip() for a in activation.split(","))
    if not isinstance(activation, str):
        layers = tuple(activation)
        if depth is not None and depth != len(layers) + 1:
            raise ValueError(f"{len(layers)} hidden-layer activations make depth {len(layers) + 1}, "
                             f"not {depth!r}")
        if len(set(layers)) == 1:   # one activation for every layer: the usual route
            activation, depth = layers[0], len(layers) + 1
        else:
            return _narrow_chain(layers, architecture, rho)
    if activation == "symmetrized_relu":   # one architecture, not a general activation
        return _symmetrized_relu(depth, architecture, widths)
    depth = 2 if depth is None else depth
    if activation not in ACTIVATIONS:
        try:
            check_activation(activation)
        except ValueError as exc:
            raise ValueError(f"{exc}; or symmetrized_relu (depth 3)") from None
    check_activation(activation, rho if activation == "leaky_relu" else None)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    if widths is not None and not (activation in ("sign", "threshold") and depth >= 3):
        raise ValueError(
            f"widths apply to sign and threshold networks of depth >= 3 only, not to "
            f"{activation} networks of depth {depth}")
    if depth == 2:
        if architecture not in (None, "parallel"):
            raise ValueError(f"two-layer networks have no architecture choice, got {architecture!r}")
        return TwoLayer(activation, rho=rho)
    if activation == "abs" and depth == 3:
        if architecture not in (None, "parallel"):
            raise ValueError(
                f"three-layer abs networks are parallel only, got architecture {architecture!r}")
        from .absolute_value import ThreeLayerAbs

        return ThreeLayerAbs()
    if activation == "relu" and depth in (3, 4):
        if architecture not in (None, "parallel"):
            raise ValueError(
                f"deep narrow ReLU networks are parallel chains only, got architecture {architecture!r} "
                "(the authors' shared-layer network is lassobook.deep_narrow.AuthorsNet; it has no Lasso)")
        from .deep_narrow import DeepNarrowReLU

        return DeepNarrowReLU(int(depth))
    if activation in ("sign", "threshold") and depth >= 3:
        from .sign_networks import DeepSign

        return DeepSign(activation, int(depth), architecture, widths)
    if (activation == "abs" and depth == 4) or (activation == "leaky_relu" and depth in (3, 4)):
        return _narrow_chain((activation,) * (int(depth) - 1), architecture, rho)
    supported = (", ".join(f"{a} (depth 2)" for a in ACTIVATIONS) + ", abs (depth 3 and 4, parallel)"
                 + ", relu (depth 3 and 4, parallel deep narrow)"
                 + ", leaky_relu (depth 3 and 4, parallel narrow chains)"
                 + ", mixed relu/leaky_relu/abs chains (depth 3 and 4)"
                 + ", sign and threshold (any depth >= 3, rectangular or tree, with widths)"
                 + ", symmetrized_relu (depth 3, parallel)")
    raise ValueError(
        f"{activation} networks of depth {depth} are not supported yet; supported: {supported}"
    )


def _symmetrized_relu(depth, architecture, widths) -> Family:
    """:class:`lassobook.symmetrized_relu.SymmetrizedReLU`: depth 3 (the default), parallel."""
    if depth is not None and (isinstance(depth, bool) or depth != 3):
        raise ValueError(f"symmetrized_relu networks have depth 3 (a CReLU layer feeding a ReLU), "
                         f"got depth {depth!r}")
    if architecture not in (None, "parallel"):
        raise ValueError(f"symmetrized ReLU networks are parallel only, got architecture {architecture!r}")
    if widths is not None:
        raise ValueError("widths apply to sign and threshold networks of depth >= 3 only, "
                         "not to symmetrized_relu networks")
    from .symmetrized_relu import SymmetrizedReLU

    return SymmetrizedReLU()


def _narrow_chain(layers: tuple, architecture, rho: float) -> Family:
    """The narrow chain with per-layer ``layers``, depth 3 or 4 (vertex enumeration grows fast)."""
    from .chains import NarrowChain

    if architecture not in (None, "parallel"):
        raise ValueError(f"narrow chains are parallel only, got architecture {architecture!r}")
    if len(layers) not in (2, 3):
        raise ValueError(f"mixed narrow chains are supported at depth 3 and 4, got depth {len(layers) + 1} "
                         f"({len(layers)} hidden-layer activations)")
    return NarrowChain(layers, rho=rho)
