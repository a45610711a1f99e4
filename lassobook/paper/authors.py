r"""The authors' deep narrow experiments (Figures 2, 3 and 19 of the paper), reproduced.

The paper's figures of deep narrow ReLU networks come from the authors' script
(pilancilab/1d-convex-nn), which trains a *different* architecture from the one
the Lasso theorem is about: ``L − 2`` width-1 ReLU layers **shared** by all units,
then one wide ReLU layer (:class:`AuthorsNet`).  This module replays their
protocol exactly so the book can compare it with the parallel architecture:

* :data:`AUTHORS_PROTOCOL`: their settings per figure panel (data, β, width, epochs,
  seed, the neurons they place by hand, the reflection point the figure is about);
* :func:`authors_init`: their random numbers (``torch.manual_seed`` and the layer
  creation order of their ``initnn``) and seeded neurons;
* :func:`authors_options`: their network, initialization, loss and Adam settings
  as options of the package's one training loop, :func:`lassobook.training.train_adam`;
* :func:`authors_split_network`: why the shared architecture is not the Lasso — one
  chain spread over ``m`` wide units costs ``β|c|/√m`` at ``L = 4`` (Lagrange: the
  penalty ``(L−2)v^L + 2m u^L`` under ``m u² v^{L−2} = |c|`` is smallest at ``v^L = m u^L``);
* :func:`authors_kink` and :func:`reflection_hits`: their kink measure and ours;
* :data:`FIG3_THEORETICAL`, :func:`theoretical_coefficients`: the minimum-norm networks
  drawn in Figure 3, as Lasso coefficient vectors.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
from torch import nn

from lassobook.analysis.kinks import function_kinks
from lassobook.core.networks import DTYPE, ParallelNetwork, as_tensor, network_values
from lassobook.core.points import reflect
from lassobook.families.deep_narrow import DeepNarrowNet, DeepNarrowReLU, capped_ramp, chain_thresholds
from lassobook.training import train_adam


# ---------------------------------------------------------------------- the authors' network
class AuthorsNet(DeepNarrowNet):
    r"""The authors' deep narrow architecture (``DeepNarrowNet1D`` with ``par=False``).

    ``L − 2`` **shared** width-1 ReLU layers ``h_{l+1} = (v_l h_l + c_l)_+``
    (``h_1 = x``), then a wide ReLU layer and a linear output:

    .. math:: f(x) = \sum_{k=1}^m \alpha_k\,(u_k\, h_{L-1}(x) + d_k)_+ + \xi .

    For ``L = 2`` this is the two-layer network.  Parameters: ``w1, b1, …`` for the
    shared layers, shape (n_models, 1); the wide layer ``w{L−1}, b{L−1}`` and ``alpha``,
    shape (n_models, width); ``xi`` (n_models,).

    Objective (same conventions as every network in lassobook):
    ``½‖f(X) − y‖² + (β/L)(Σ_shared |v_l|^L + Σ_k |u_k|^L + Σ_k |α_k|^L)``.
    :meth:`authors_loss` is the authors' own training loss instead:
    ``‖f(X) − y‖² + (β/L) Σ w^L`` with *signed* powers (their ``MSELoss(reduction='sum')``
    and ``torch.pow(p, L)``).  Neither is equivalent to the Lasso: the shared
    weights are paid once for all ``m`` units (see :func:`authors_split_network`).
    """

    def __init__(self, depth: int, width: int, n_models: int = 1):
        # Same forward pass and penalty as the parallel chains: only the shared
        # layers' shape differs, (n_models, 1), which broadcasts over the units.
        ParallelNetwork.__init__(self, width, n_models)
        if depth < 2:
            raise ValueError(f"depth must be at least 2, got {depth!r}")
        self.depth = int(depth)
        self.activations = ("relu",) * (self.depth - 1)
        self.sigmas = [torch.relu] * (self.depth - 1)
        for l in range(1, self.depth - 1):
            setattr(self, f"w{l}", nn.Parameter(torch.ones((self.n_models, 1), dtype=DTYPE)))
            setattr(self, f"b{l}", nn.Parameter(torch.zeros((self.n_models, 1), dtype=DTYPE)))
        wide = (self.n_models, self.width)
        setattr(self, f"w{self.depth - 1}", nn.Parameter(torch.ones(wide, dtype=DTYPE)))
        setattr(self, f"b{self.depth - 1}", nn.Parameter(torch.zeros(wide, dtype=DTYPE)))
        self.alpha = nn.Parameter(torch.zeros(wide, dtype=DTYPE))

    def authors_loss(self, x, y, beta: float) -> torch.Tensor:
        """The authors' training loss ``‖f − y‖² + (β/L) Σ w^L`` (signed powers), shape (n_models,).

        (Their script also penalizes and decays two layers that never touch the
        output; those only add a constant or, for odd ``L``, a term unbounded
        below.  They are left out here.)
        """
        x, y = as_tensor(x), as_tensor(y)
        r = self(x) - y[None, :]
        L = self.depth
        return (r ** 2).sum(dim=1) + (beta / L) * sum((w ** L).sum(dim=1) for w in self.weights)

    def random_init(self, seeds, x_sorted) -> None:
        """The authors' random initialization without the seeded neurons (see :func:`authors_init`).

        (Overrides the per-copy generator scheme of
        :meth:`~lassobook.core.networks.ParallelNetwork.random_init` on purpose: it replays
        the authors' ``torch.manual_seed`` draws, one seed per copy.)
        """
        authors_init(self, seeds, x_sorted, seeded=None)


#: The authors' settings per paper figure panel (their notebooks in pilancilab/1d-convex-nn).
#: ``seeded``: the neurons they initialize at a chosen network — for ``L = 4`` one
#: chain given by ``(x_j1, x_j2, x_j3, α)`` with signs ``(−1, −1, +1)`` and
#: ``a1 = 2x_j2 − x_j1`` (their ``initnn``); for ``L = 2`` ReLU units ``α (x − a)_+``.
AUTHORS_PROTOCOL = {
    ("fig2_left", 4): dict(dataset="fig2_left", beta=1e-8, width=100, epochs=1000, seed=8,
                           seeded=dict(xj=(0.0, 2.0, 2.0), alpha=1.5), reflection=4.0),
    ("fig2_right", 4): dict(dataset="fig2_right", beta=1e-8, width=100, epochs=15000, seed=8,
                            seeded=dict(xj=(0.0, 2.0, 2.0), alpha=1.5), reflection=5.0),
    ("fig19", 3): dict(dataset="fig19", beta=1e-8, width=100, epochs=1000, seed=8, seeded=None,
                       reflection=4.0),
    ("fig19", 4): dict(dataset="fig19", beta=1e-8, width=100, epochs=1000, seed=8,
                       seeded=dict(xj=(0.0, 2.0, 2.0), alpha=1.5), reflection=4.0),
    ("fig3", 2): dict(dataset="fig3", beta=1e-7, width=100, epochs=1000, seed=7,
                      seeded=dict(breakpoints=(5.0, 7.0, 10.0), alpha=(1.0, -2 / 3, -1 / 3)),
                      reflection=8.0),
    ("fig3", 3): dict(dataset="fig3", beta=1e-7, width=500, epochs=100000, seed=7, seeded=None,
                      reflection=8.0),
    ("fig3", 4): dict(dataset="fig3", beta=1e-7, width=100, epochs=1000, seed=7,
                      seeded=dict(xj=(0.0, 4.0, 5.0), alpha=1.0), reflection=8.0),
}


def authors_init(net: AuthorsNet, seeds, x_sorted=None, *, seeded: dict | None = None) -> None:
    """Initialize every copy of ``net`` exactly as the authors' ``initnn`` does (in place).

    For copy ``k``: ``torch.manual_seed(seeds[k])`` (inside ``torch.random.fork_rng``,
    so the global generator is untouched), then the six ``nn.Linear`` layers of their
    ``DeepNarrowNet1D`` are created in their order (PyTorch's default uniform
    initialization, float64), which reproduces their random numbers; the used
    layers are copied into ``net``.  Then, if ``seeded`` is given, the neurons they
    place at a chosen network:

    * ``L = 4``, ``seeded = {"xj": (x_j1, x_j2, x_j3), "alpha": α}``: the shared
      layers and wide neuron 0 become the chain with signs ``(−1, −1, +1)``,
      ``a = (2x_j2 − x_j1, x_j2, x_j3)`` and coefficient ``α`` (rescaled to equal
      weights ``|α|^{1/4}``), output bias 0.  Figures 2 and 19 use
      ``(0, 2, 2), α = 3/2``: ``(3/2)·ramp(2, 4, x)``; Figure 3 uses ``(0, 4, 5), α = 1``:
      ``ramp(5, 8, x)``.
    * ``L = 2``, ``seeded = {"breakpoints": a, "alpha": α}``: wide neurons
      ``0..len(a)−1`` become ``α_i (x − a_i)_+`` with equal weights ``|α_i|^{1/2}``.
    """
    seeds = list(seeds)
    if len(seeds) != net.n_models:
        raise ValueError(f"need one seed per model ({net.n_models}), got {len(seeds)}")
    L, m = net.depth, net.width
    with torch.no_grad():
        for k, seed in enumerate(seeds):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(seed))
                kw = dict(dtype=torch.float64)
                nn.Linear(1, 1, **kw)                 # one2one (unused)
                nn.Linear(m, m, **kw)                 # m2m (unused)
                one2one1 = nn.Linear(1, 1, **kw)
                one2one2 = nn.Linear(1, 1, **kw)
                one2m = nn.Linear(1, m, **kw)
                last = nn.Linear(m, 1, **kw)
            shared = [one2one1, one2one2][:L - 2]
            for l, layer in enumerate(shared, start=1):
                getattr(net, f"w{l}")[k, 0] = layer.weight[0, 0]
                getattr(net, f"b{l}")[k, 0] = layer.bias[0]
            getattr(net, f"w{L - 1}")[k] = one2m.weight[:, 0]
            getattr(net, f"b{L - 1}")[k] = one2m.bias
            net.alpha[k] = last.weight[0]
            net.xi[k] = last.bias[0]
            if seeded is None:
                continue
            if L == 4:
                xj1, xj2, xj3 = seeded["xj"]
                fam = DeepNarrowReLU(4)
                params = {"s1": np.array([-1.0]), "s2": np.array([-1.0]), "s3": np.array([1.0]),
                          "a1": np.array([reflect(xj1, about=xj2)]), "a2": np.array([xj2]), "a3": np.array([xj3])}
                w, b, alpha = fam.unit_weights(params, np.array([seeded["alpha"]]))
                net.w1[k, 0], net.b1[k, 0] = float(w[0][0]), float(b[0][0])
                net.w2[k, 0], net.b2[k, 0] = float(w[1][0]), float(b[1][0])
                net.w3[k, 0], net.b3[k, 0] = float(w[2][0]), float(b[2][0])
                net.alpha[k, 0] = float(alpha[0])
                net.xi[k] = 0.0
            elif L == 2:
                a = np.asarray(seeded["breakpoints"], dtype=np.float64)
                c = np.asarray(seeded["alpha"], dtype=np.float64)
                g = np.sqrt(np.abs(c))
                n0 = a.size
                net.w1[k, :n0] = torch.as_tensor(g)
                net.b1[k, :n0] = torch.as_tensor(-a * g)
                net.alpha[k, :n0] = torch.as_tensor(np.sign(c) * g)
            else:
                raise ValueError(f"the authors seed neurons only for L = 2 and 4, got L = {L}")


def authors_split_network(family: DeepNarrowReLU, params, coefficient: float, xi: float,
                          width: int) -> AuthorsNet:
    r"""One chain ``c·g`` written in :class:`AuthorsNet` with its last layer split over ``width`` units.

    Shared layers with weights ``v``, ``width`` identical wide units with weights
    ``u`` and ``α = sign(c) u``; the function is ``c·g`` whenever
    ``width · u² · v^{L−2} = |c|``.  The weights minimizing the penalty under that
    constraint are used: for ``L = 4`` the penalty is ``β|c|/√width``, for ``L = 3``
    ``β|c|·width^{-1/3}`` — *below* the parallel network's ``β|c|``.  This is why the
    authors' architecture is not described by the Lasso (a computed fact, see the chapter).
    """
    L, m = family.depth, int(width)
    c = float(coefficient)
    # minimize (L−2) v^L + 2 m u^L subject to m u² v^{L−2} = |c|: Lagrange gives v^L = m u^L
    # (each of the L−2 shared weights and each wide/output weight carries the same "marginal" cost).
    u = (abs(c) / (m * m ** ((L - 2) / L))) ** (1.0 / L)
    v = (m ** (1.0 / L)) * u
    signs, breaks = family._split({k: np.asarray(val, dtype=np.float64).reshape(-1)
                                   for k, val in params.items() if k.startswith(("s", "a"))})
    t = chain_thresholds(signs, breaks)
    net = AuthorsNet(L, m)
    with torch.no_grad():
        scale = 1.0                                   # h_l = scale · f_l on the shared chain
        for l in range(1, L - 1):
            s = float(signs[l - 1][0])
            getattr(net, f"w{l}").fill_(s * v)
            getattr(net, f"b{l}").fill_(-s * v * scale * float(t[l - 1][0]))
            scale *= v
        s = float(signs[L - 2][0])
        getattr(net, f"w{L - 1}").fill_(s * u)
        getattr(net, f"b{L - 1}").fill_(-s * u * scale * float(t[L - 2][0]))
        net.alpha.fill_(np.sign(c) * u)
        net.xi.fill_(float(xi))
    return net


# ---------------------------------------------------------------------- training
#: The authors' Adam settings: learning rate and (coupled) weight decay on every parameter.
AUTHORS_ADAM = dict(lr=5e-3, weight_decay=1e-4)


def authors_options(depth: int, seeded: dict | None = None) -> dict:
    """Options of :func:`lassobook.training.train_adam` that train with the authors' protocol.

    Their network (:class:`AuthorsNet` of ``depth``), their initialization
    (:func:`authors_init`, with the ``seeded`` neurons of :data:`AUTHORS_PROTOCOL`), their
    loss (:meth:`AuthorsNet.authors_loss`) and their Adam settings (:data:`AUTHORS_ADAM`).
    The recorded objectives stay the exact objective ``½‖f − y‖² + (β/L)Σ|w|^L``.
    """
    return dict(network=partial(AuthorsNet, int(depth)), init=partial(authors_init, seeded=seeded),
                loss=AuthorsNet.authors_loss, **AUTHORS_ADAM)


def authors_kink(net, data, model: int | None = None) -> np.ndarray:
    """The authors' "kink": the first ``x`` of ``linspace(x_1 − 0.5, x_N + 0.5, 1000)`` where
    ``|f(x) − max(y)| < 10⁻²`` (NaN if never), per copy (their ``plotresults``)."""
    xs = data.x_sorted
    grid = np.linspace(xs[0] - 0.5, xs[-1] + 0.5, 1000)
    f = network_values(net, grid)
    hit = np.abs(f - data.y.max()) < 1e-2
    first = np.where(hit.any(axis=1), grid[np.argmax(hit, axis=1)], np.nan)
    return first if model is None else first[model]


# ---------------------------------------------------------------------- Figure 3's theory
#: The theoretical minimum-norm networks drawn in the paper's Figure 3:
#: lists of ``(coefficient, p, q)`` meaning ``coefficient · ramp(p, q, x)`` (``q = inf``: ReLU).
FIG3_THEORETICAL = {
    2: [(1.0, 5.0, np.inf), (-2 / 3, 7.0, np.inf), (-1 / 3, 10.0, np.inf)],
    3: [(2 / 3, 5.0, 7.0), (1 / 3, 5.0, 10.0)],
    4: [(1.0, 5.0, 8.0)],
}


def theoretical_coefficients(dictionary, units, xi: float = 0.0, atol: float = 1e-9) -> np.ndarray:
    """Express a network ``Σ c·ramp(p, q, x)`` as a coefficient vector on ``dictionary``'s columns.

    Each unit is matched to a column equal to it up to an additive constant and a
    sign (the dictionary keeps one of an increasing/decreasing pair) on a dense
    grid *and* on the data; raises ``ValueError`` if some unit has no column.
    """
    data = dictionary.data
    xs = data.x_sorted
    span = xs[-1] - xs[0]
    grid = np.concatenate([xs, np.linspace(xs[0] - span, xs[-1] + span, 2001)])
    cols = dictionary.evaluate(grid)
    cols = cols - cols.mean(axis=0)
    z = np.zeros(dictionary.size)
    for c, p, q in units:
        g = capped_ramp(p, q, grid)
        g = g - g.mean()
        err = np.abs(cols - g[:, None]).max(axis=0)
        err_neg = np.abs(cols + g[:, None]).max(axis=0)
        sign = np.where(err_neg < err, -1.0, 1.0)
        err = np.minimum(err, err_neg)
        k = int(np.argmin(err))
        if err[k] > atol * max(1.0, np.abs(g).max()):
            raise ValueError(f"no dictionary column equals ramp({p:g}, {q:g}, x)")
        z[k] += sign[k] * c
    return z


def authors_protocol_runs(panels, max_epochs: int, optimum, radius: float = 0.1):
    """One run per paper panel with the authors' protocol (:data:`AUTHORS_PROTOCOL`),
    epochs capped at ``max_epochs``.  ``optimum(name, L, beta)`` gives the parallel optimum.

    Returns ``(runs, table)``: ``runs[name, L] = (net, AdamRuns, ReflectionHits, optimum)``.
    """
    import pandas as pd

    from lassobook.core.data import paper_dataset

    runs, rows = {}, []
    for name, L in panels:
        s = AUTHORS_PROTOCOL[name, L]
        data = paper_dataset(s["dataset"])
        epochs = min(s["epochs"], max_epochs)
        r = train_adam(data, beta=s["beta"], width=s["width"], seeds=[s["seed"]], epochs=epochs,
                       progress=False, **authors_options(L, s["seeded"]))
        net = r.network
        hits = reflection_hits(net, data, s["reflection"], radius)
        opt = optimum(name, L, s["beta"])
        runs[name, L] = (net, r, hits, opt)
        rows.append({"panel": name, "L": L, "epochs": epochs, "authors' kink": hits.authors_kink[0],
                     "reflection": s["reflection"], "interpolates": bool(hits.interpolates[0]),
                     "objective / parallel optimum": r.objectives[0] / opt})
    return runs, pd.DataFrame(rows)


class ReflectionHits:
    """Where trained networks bend, relative to a reflection point (see :func:`reflection_hits`).

    Attributes
    ----------
    authors_kink : ndarray (S,)   the authors' kink measure per run
    kinks : list of ndarrays      slope-change kinks per run inside the widened data range
    at_reflection : ndarray bool (S,)   the authors' kink within ``radius`` of the reflection
    any_at_reflection : ndarray bool (S,)   some kink within ``radius`` of the reflection
    interpolates : ndarray bool (S,)   ``max_n |f(x_n) − y_n| < 1e-2``
    constant : ndarray bool (S,)   the network is constant over the widened data range (a dead chain)
    """

    def __init__(self, authors_kink, kinks, at_reflection, any_at_reflection, interpolates,
                 reflection, radius, constant=None):
        self.authors_kink = authors_kink
        self.kinks = kinks
        self.at_reflection = at_reflection
        self.any_at_reflection = any_at_reflection
        self.interpolates = interpolates
        self.reflection = reflection
        self.radius = radius
        self.constant = np.zeros(len(kinks), dtype=bool) if constant is None else constant

    @property
    def fraction(self) -> float:
        """Share of runs whose (authors') kink is within ``radius`` of the reflection."""
        return float(np.mean(self.at_reflection))

    def __repr__(self):
        return (f"ReflectionHits(reflection={self.reflection:g}, runs={self.at_reflection.size}, "
                f"at reflection={self.at_reflection.sum()}, any kink there={self.any_at_reflection.sum()}, "
                f"interpolating={self.interpolates.sum()}, constant={self.constant.sum()})")


def reflection_hits(net, data, reflection_point: float, radius: float = 0.1,
                    min_change: float = 0.2) -> ReflectionHits:
    """Per run: does the trained network's kink sit at ``reflection_point`` (within ``radius``)?

    Two measures: the authors' kink (:func:`authors_kink`), and any kink whose
    slope change is at least ``min_change`` (the optimal networks of the paper's
    figures bend by 0.75 to 1; trained networks also have many small bends).
    """
    xs = data.x_sorted
    span = xs[-1] - xs[0]
    grid = np.linspace(xs[0] - 0.1 * span, xs[-1] + 0.1 * span, 20001)
    values = network_values(net, grid)
    fitted = network_values(net, data.x)
    kinks = function_kinks(values, grid, min_change)
    ak = authors_kink(net, data)
    with np.errstate(invalid="ignore"):
        at = np.abs(ak - reflection_point) <= radius
    anyk = np.array([bool(k.size and np.abs(k - reflection_point).min() <= radius) for k in kinks])
    interp = np.abs(fitted - data.y[None, :]).max(axis=1) < 1e-2
    constant = np.ptp(values, axis=1) < 1e-3 * max(1.0, float(np.ptp(data.y)))
    return ReflectionHits(ak, kinks, at, anyk, interp, float(reflection_point), float(radius), constant)
