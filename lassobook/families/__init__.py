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

import numpy as np

from lassobook.core.activations import ACTIVATIONS, check_activation
from lassobook.core.family import Family
from lassobook.families.two_layer import TwoLayer


def get_family(activation, depth: int | None = None, architecture: str | None = None, *,
               rho: float = 0.1, widths: tuple[int, ...] | None = None) -> Family:
    """The network family for ``activation`` and ``depth`` (default 2).

    ``activation`` is one name, or one name per hidden layer for a narrow chain
    mixing activations (:class:`lassobook.families.chains.NarrowChain`), as a sequence or a
    comma-separated string, e.g. ``"relu,abs"`` (depth 3, inferred).  Leaky-ReLU
    chains of depth 3 and 4, absolute-value chains of depth 4 and mixed chains of
    depth 3 and 4 get the *vertex dictionary* of :mod:`lassobook.families.chains`; ReLU
    chains of depth 3, 4 and absolute value at depth 3 the paper's dictionaries.

    ``widths`` (keyword-only) is used by sign and threshold networks of depth
    ``L >= 3`` (:class:`lassobook.families.sign.DeepSign`): the hidden widths
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
        from lassobook.families.abs3 import ThreeLayerAbs

        return ThreeLayerAbs()
    if activation == "relu" and depth in (3, 4):
        if architecture not in (None, "parallel"):
            raise ValueError(
                f"deep narrow ReLU networks are parallel chains only, got architecture {architecture!r} "
                "(the authors' shared-layer network is lassobook.paper.authors.AuthorsNet; it has no Lasso)")
        from lassobook.families.deep_narrow import DeepNarrowReLU

        return DeepNarrowReLU(int(depth))
    if activation in ("sign", "threshold") and depth >= 3:
        from lassobook.families.sign import DeepSign

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
    """:class:`lassobook.families.symmetrized_relu.SymmetrizedReLU`: depth 3 (the default), parallel."""
    if depth is not None and (isinstance(depth, bool) or depth != 3):
        raise ValueError(f"symmetrized_relu networks have depth 3 (a CReLU layer feeding a ReLU), "
                         f"got depth {depth!r}")
    if architecture not in (None, "parallel"):
        raise ValueError(f"symmetrized ReLU networks are parallel only, got architecture {architecture!r}")
    if widths is not None:
        raise ValueError("widths apply to sign and threshold networks of depth >= 3 only, "
                         "not to symmetrized_relu networks")
    from lassobook.families.symmetrized_relu import SymmetrizedReLU

    return SymmetrizedReLU()


def _narrow_chain(layers: tuple, architecture, rho: float) -> Family:
    """The narrow chain with per-layer ``layers``, depth 3 or 4 (vertex enumeration grows fast)."""
    from lassobook.families.chains import NarrowChain

    if architecture not in (None, "parallel"):
        raise ValueError(f"narrow chains are parallel only, got architecture {architecture!r}")
    if len(layers) not in (2, 3):
        raise ValueError(f"mixed narrow chains are supported at depth 3 and 4, got depth {len(layers) + 1} "
                         f"({len(layers)} hidden-layer activations)")
    return NarrowChain(layers, rho=rho)
