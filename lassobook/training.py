"""The non-convex baseline: Adam on the exact regularized training objective.

:func:`train_adam` trains ``len(seeds)`` randomly initialized networks of a
family *as one module* (see :mod:`lassobook.core.networks`): each copy is
initialized from its own seeded generator, so the result of a seed does not
depend on which other seeds run beside it, and reruns give identical numbers.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from tqdm import tqdm

from lassobook.core.data import Dataset, as_dataset
from lassobook.core.networks import as_tensor
from lassobook.solvers.lasso import (
    check_beta,
)


# ============================================================================ Adam, until close
@dataclass
class AdamTrace:
    """One Adam run traced against wall time (:func:`train_adam_until`).

    Attributes
    ----------
    times, objectives : ndarray
        Wall time (s) and exact objective at each record.
    target : float
        The Lasso optimum the run was racing.
    reached : bool
        The objective came within ``rel_gap`` of ``target`` before the time cap.
    time_to_target : float
        Seconds until then (NaN if never).
    epochs : int
    """

    times: np.ndarray
    objectives: np.ndarray
    target: float
    rel_gap: float
    reached: bool
    time_to_target: float
    epochs: int

    @property
    def gaps(self) -> np.ndarray:
        """Relative gaps ``(objective − target)/|target|`` at every record."""
        return (self.objectives - self.target) / abs(self.target)


def train_adam_until(data, *, family, beta: float, target: float, rel_gap: float = 0.01,
                     time_cap: float = 30.0, width: int = 50, lr: float = 5e-3, seed: int = 0,
                     record_every: int = 10) -> AdamTrace:
    """Full-batch Adam on the exact objective until it is within ``rel_gap`` of ``target`` or ``time_cap`` s.

    One seeded network of ``width`` units (the family's own ``random_init``), the
    same loop as :func:`lassobook.training.train_adam`, but stopped by the clock.
    """
    import torch

    from lassobook.core.networks import as_tensor

    data = as_dataset(data) if isinstance(data, Dataset) else as_dataset(*data)
    beta = check_beta(beta)
    net = family.network(width=width, n_models=1)
    net.random_init([seed], data.x_sorted)
    if data.weighted:
        raise ValueError("this Adam loop is unweighted: for weights or repeated x use "
                         "lassobook.train_adam")
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    goal = target + rel_gap * abs(target)
    times, objs = [], []
    t0 = time.perf_counter()
    epoch, reached, t_hit = 0, False, math.nan
    while True:
        opt.zero_grad()
        obj = net.objective(xt, yt, beta)
        value = float(obj.detach()[0])
        now = time.perf_counter() - t0
        if epoch % record_every == 0 or value <= goal:
            times.append(now)
            objs.append(value)
        if value <= goal:
            reached, t_hit = True, now
            break
        if now > time_cap or not np.isfinite(value):
            break
        obj.sum().backward()
        opt.step()
        epoch += 1
    return AdamTrace(np.array(times), np.array(objs), float(target), float(rel_gap), reached,
                     t_hit, epoch)


@dataclass
class AdamRuns:
    """Seeded Adam runs of one architecture.

    Attributes
    ----------
    seeds : ndarray of shape (S,)
    objectives : ndarray of shape (S,)
        Final regularized training objective of each run.
    history : ndarray of shape (T, S)
        Objective every ``log_every`` epochs (first row: at initialization).
    network : ParallelNetwork
        The trained networks (``n_models = S``).
    epochs, lr, width : training settings
    wall_time : float
        Seconds for all runs together.
    """

    seeds: np.ndarray
    objectives: np.ndarray
    history: np.ndarray = field(repr=False)
    network: object = field(repr=False)
    epochs: int = 0
    lr: float = 0.0
    width: int = 0
    wall_time: float = 0.0

    def gaps(self, optimum: float) -> np.ndarray:
        """Relative gaps ``(objective − optimum) / optimum`` of every run."""
        return (self.objectives - optimum) / abs(optimum)

    def best(self) -> int:
        """Index of the run with the lowest final objective."""
        return int(np.argmin(self.objectives))


def train_adam(x, y=None, *, family, beta: float, width: int = 50, seeds=range(20),
               epochs: int = 5000, lr: float = 5e-3, log_every: int | None = None,
               progress: bool | None = None, init=None, n_jobs: int | None = 1) -> AdamRuns:
    """Train ``family`` networks with full-batch Adam on ``½‖f(X) − y‖² + R(θ)``.

    Parameters
    ----------
    x, y : array_like of shape (n,) (or a Dataset as ``x``)
    family : Family
    beta : float > 0
    width : int
        Units per network.
    seeds : iterable of int
        One independent run per seed, all trained together.
    epochs : int
        Full-batch Adam steps.
    lr : float
        Adam learning rate.
    log_every : int, optional
        Record the objectives every this many epochs (default: about 200 records).
    progress : bool, optional
        Show a tqdm progress bar on stderr (default: only when stderr is a terminal,
        so notebooks and logs stay clean).
    init : callable(network, seeds, x_sorted), optional
        Initialization (default: the network's own seeded ``random_init``).
    n_jobs : int or None
        Split the seeds into this many batches run in parallel by joblib (``-1``:
        all cores).  Results do not depend on ``n_jobs``: every seed is
        initialized from its own generator.  Inside
        ``joblib.parallel_config(backend="dask")`` the batches run on a Dask cluster.
    """
    data = as_dataset(x, y)
    beta = check_beta(beta)
    seeds = np.asarray(list(seeds), dtype=np.int64)
    if seeds.size == 0:
        raise ValueError("seeds is empty: give at least one seed")
    if int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    log_every = int(log_every or max(1, epochs // 200))
    batches = min(seeds.size, effective_n_jobs(n_jobs))
    if batches > 1:
        runs = Parallel(n_jobs=batches)(
            delayed(train_adam)(data, family=family, beta=beta, width=width, seeds=chunk,
                                epochs=epochs, lr=lr, log_every=log_every, progress=False,
                                init=init, n_jobs=1)
            for chunk in np.array_split(seeds, batches))
        return _concatenate(runs, family)
    net = family.network(width=width, n_models=seeds.size)
    if init is None:
        net.random_init(seeds, data.x_sorted)
    else:
        init(net, seeds, data.x_sorted)
    # repeated x are merged (weights) and the constant they leave is added back: the same
    # objective as on the raw rows (lassobook.core.data.Dataset)
    xt, yt, wt = as_tensor(data.x), as_tensor(data.y), (as_tensor(data.w) if data.weighted else None)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    history = []
    t0 = time.perf_counter()
    if progress is None:
        progress = sys.stderr.isatty()
    bar = tqdm(range(int(epochs)), desc=f"Adam {family} x{seeds.size}", disable=not progress,
               leave=False)
    for epoch in bar:
        opt.zero_grad()
        obj = net.objective(xt, yt, beta, weights=wt)
        if epoch % log_every == 0:
            history.append(obj.detach().numpy().copy() + data.offset)
        obj.sum().backward()
        opt.step()
    with torch.no_grad():
        final = net.objective(xt, yt, beta, weights=wt).numpy().copy() + data.offset
    history.append(final)
    return AdamRuns(seeds=seeds, objectives=final, history=np.array(history), network=net,
                    epochs=int(epochs), lr=float(lr), width=int(width),
                    wall_time=time.perf_counter() - t0)


def _concatenate(runs: list[AdamRuns], family) -> AdamRuns:
    """Join seed batches into one :class:`AdamRuns` (networks concatenated along the model axis)."""
    first = runs[0]
    seeds = np.concatenate([r.seeds for r in runs])
    net = family.network(width=first.width, n_models=seeds.size)
    with torch.no_grad():
        for name, param in net.named_parameters():
            param.copy_(torch.cat([dict(r.network.named_parameters())[name] for r in runs]))
    return AdamRuns(seeds=seeds, objectives=np.concatenate([r.objectives for r in runs]),
                    history=np.concatenate([r.history for r in runs], axis=1), network=net,
                    epochs=first.epochs, lr=first.lr, width=first.width,
                    wall_time=max(r.wall_time for r in runs))
