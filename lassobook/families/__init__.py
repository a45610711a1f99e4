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

:data:`FAMILIES` is the one list of supported families: one :class:`FamilyRow`
per family module of this folder, saying which activations, depths and
architectures it covers.  :func:`get_family` is built from it: it turns the
user's words (``activation``, ``depth``, ``architecture``) into a family, and
when a combination is not supported, its error lists the table.  The command
line's help, the README's table and the family contract test
(``tests/test_families.py``) read the same rows.

Adding a family is one module here (the :class:`~lassobook.core.family.Family`
subclass, its torch network and, where one exists, its structured oracle via the
:meth:`~lassobook.core.family.Family.oracle` hook), one row below, and one
example in the contract test.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Callable

import numpy as np

from lassobook.core.activations import (
    ACTIVATIONS,
    HOMOGENEOUS,
    STEPS,
    check_activation,
    rho_for,
)
from lassobook.core.family import Family, overrides_oracle


def _two_layer(cls, activation, depth, architecture, rho, widths):
    return cls(activation, rho=rho)


def _no_arguments(cls, activation, depth, architecture, rho, widths):
    return cls()


def _by_depth(cls, activation, depth, architecture, rho, widths):
    return cls(int(depth))


def _sign(cls, activation, depth, architecture, rho, widths):
    return cls(activation, int(depth), architecture, widths)


def _chain(cls, activation, depth, architecture, rho, widths):
    layers = activation if isinstance(activation, tuple) else (activation,) * (int(depth) - 1)
    return cls(layers, rho=rho)


@dataclass(frozen=True)
class FamilyRow:
    """One supported family: which words select it and how it is built.

    ``depths`` is a tuple of depths, or ``(3, None)`` for "any depth >= 3";
    ``activations`` lists the names it accepts ("mixed" marks a chain mixing
    :data:`~lassobook.core.activations.HOMOGENEOUS` activations layer by layer).
    """

    key: str
    activations: tuple[str, ...]
    depths: tuple
    architectures: tuple[str, ...]
    target: str                      # "module:Class" in lassobook.families
    summary: str
    make: Callable = _no_arguments
    widths: bool = False             # accepts ``widths``
    hint: str = ""                   # added to an architecture error
    words: str = ""                  # how :meth:`describe` says activations and depths, if not generated

    def family_class(self) -> type:
        module, name = self.target.split(":")
        return getattr(import_module(f"lassobook.families.{module}"), name)

    @property
    def has_oracle(self) -> bool:
        """The family overrides :meth:`Family.oracle` (a structured solver exists)."""
        return overrides_oracle(self.family_class())

    def takes_depth(self, depth: int) -> bool:
        if self.depths[-1] is None:
            return depth >= self.depths[0]
        return depth in self.depths

    def depth_text(self) -> str:
        if self.depths[-1] is None:
            return f"{self.depths[0]}+"
        return ", ".join(map(str, self.depths))

    def describe(self) -> str:
        words = self.words or f"{'/'.join(self.activations)} at depth {self.depth_text()}"
        return f"{words} ({', '.join(self.architectures)})"


#: The supported families, one row per module of :mod:`lassobook.families`.
FAMILIES = (
    FamilyRow("two_layer", ACTIVATIONS, (2,), ("parallel",), "two_layer:TwoLayer",
              "two-layer networks: ramps, abs, steps; the paper's first theorem", _two_layer),
    FamilyRow("deep_narrow", ("relu",), (3, 4), ("parallel",), "deep_narrow:DeepNarrowReLU",
              "deep narrow ReLU chains: capped ramps and reflections", _by_depth,
              hint="the authors' shared-layer network is lassobook.paper.authors.AuthorsNet; "
                   "it has no Lasso"),
    FamilyRow("abs3", ("abs",), (3,), ("parallel",), "abs3:ThreeLayerAbs",
              "three-layer abs networks: the library of mirrors"),
    FamilyRow("symmetrized_relu", ("symmetrized_relu",), (3,), ("parallel",),
              "symmetrized_relu:SymmetrizedReLU",
              "concatenated ReLU feeding a ReLU (our definition): mirrored kinks"),
    FamilyRow("chains", ("leaky_relu", "abs", "mixed"), (3, 4), ("parallel",), "chains:NarrowChain",
              "narrow chains of homogeneous layers: the vertex dictionary", _chain,
              words="leaky_relu at depth 3, 4; abs at depth 4; mixed relu/leaky_relu/abs layers "
                    "at depth 3, 4"),
    FamilyRow("sign", STEPS, (3, None), ("rectangular", "tree"), "sign:DeepSign",
              "deep sign and threshold networks of any width: switching patterns", _sign, widths=True),
)


def supported_text() -> str:
    """The table as one line, for error messages and ``--help``."""
    return "; ".join(row.describe() for row in FAMILIES)


def _layers(activation, depth):
    """``(activation, depth)`` with per-layer names folded: one name, or a tuple for a mixed chain."""
    if not isinstance(activation, (str, tuple, list)) or not activation:
        raise ValueError(f"activation must be a name such as 'relu' (one of {', '.join(ACTIVATIONS)}, "
                         f"symmetrized_relu) or one name per hidden layer, got {activation!r}")
    if isinstance(activation, str) and "," in activation:
        activation = tuple(a.strip() for a in activation.split(","))
    if isinstance(activation, str):
        return activation, depth
    layers = tuple(activation)
    if depth is not None and depth != len(layers) + 1:
        raise ValueError(f"{len(layers)} hidden-layer activations make depth {len(layers) + 1}, "
                         f"not {depth!r}")
    if len(set(layers)) == 1:       # one activation for every layer: the usual route
        return layers[0], len(layers) + 1
    for a in layers:
        check_activation(a, 0.5)    # an unknown name is named as such
        if a not in HOMOGENEOUS:
            raise ValueError(f"a mixed chain's layers must be {', '.join(HOMOGENEOUS)}, got {a!r}")
    return layers, len(layers) + 1


def _row(activation, depth) -> FamilyRow:
    name = "mixed" if isinstance(activation, tuple) else activation
    rows = [r for r in FAMILIES if name in r.activations]
    if not rows:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}, "
                         "or symmetrized_relu (depth 3)")
    for row in rows:
        if row.takes_depth(depth):
            return row
    finite = sorted({d for r in rows if r.depths[-1] is not None for d in r.depths})
    open_ended = [f"{r.depths[0]}+" for r in rows if r.depths[-1] is None]
    depths = ", ".join([str(d) for d in finite] + open_ended)
    raise ValueError(f"{name} networks of depth {depth} are not supported ({name} networks have depth "
                     f"{depths}); supported: {supported_text()}")


def get_family(activation, depth: int | None = None, architecture: str | None = None, *,
               rho: float = 0.1, widths: tuple[int, ...] | None = None) -> Family:
    """The network family for ``activation`` and ``depth`` (default 2; 3 for symmetrized_relu).

    ``activation`` is one name, or one name per hidden layer for a narrow chain
    mixing activations (:class:`lassobook.families.chains.NarrowChain`), as a
    sequence or a comma-separated string, e.g. ``"relu,abs"`` (depth 3, inferred).
    The family is the row of :data:`FAMILIES` that takes the activation at that
    depth; ``architecture`` must be one the row lists (``None``: its first).

    ``widths`` (keyword-only) is used by sign and threshold networks of depth
    ``L >= 3`` (:class:`lassobook.families.sign.DeepSign`): the hidden widths
    ``(m_1, ..., m_{L-2})``, ``depth - 2`` positive integers.  The default
    ``None`` means all ones — the deep *narrow* sign network, whose units switch
    once, like a two-layer sign unit; give wider first layers (rectangular) or
    more children (tree) for more switches.

    Raises
    ------
    ValueError
        For an unknown activation, a bad depth, or a combination this version
        of lassobook does not support (the message lists what is supported).
    """
    activation, depth = _layers(activation, depth)
    if depth is None:
        depth = 3 if activation == "symmetrized_relu" else 2
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 2:
        raise ValueError(f"depth must be an integer >= 2, got {depth!r}")
    for a in (activation if isinstance(activation, tuple) else (activation,)):
        if a in ACTIVATIONS:
            check_activation(a, rho_for(a, rho))
    row = _row(activation, int(depth))
    if architecture is not None and architecture not in row.architectures:
        raise ValueError(f"architecture {architecture!r} is not supported for {row.describe()}; choose "
                         f"one of {', '.join(map(repr, row.architectures))}" + (f" ({row.hint})" if row.hint else ""))
    if widths is not None and not row.widths:
        raise ValueError(f"widths apply to sign and threshold networks of depth >= 3 only, not to "
                         f"{row.key} networks")
    return row.make(row.family_class(), activation, int(depth), architecture or row.architectures[0],
                    rho, widths)
