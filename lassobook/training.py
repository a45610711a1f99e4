"""The non-convex baseline: Adam on the exact regularized training objective.

One loop, :func:`train_adam`, trains ``len(seeds)`` randomly initialized networks
*as one module* (see :mod:`lassobook.core.networks`): each copy is initialized
from its own seeded generator, so the result of a seed does not depend on which
other seeds run beside it, and reruns give identical numbers.  Its options cover
every way the book trains:

* a family's network and initialization (the default), or any network factory,
  initialization, training loss and Adam weight decay — the authors' protocol
  (:func:`lassobook.paper.authors.authors_options`) is such a set of options;
* a fixed number of epochs, or a :class:`Budget`: stop as soon as the objective is
  within a relative gap of a target, or at a wall-time cap
  (:func:`train_adam_until` returns that race as an :class:`AdamTrace`).

Whatever is trained, the recorded objectives are the exact objective
``½ Σ_n w_n (f(x_n) − y_n)² + R(θ)`` on the raw rows.
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
from lassobook.solvers.lasso import check_beta


@dataclass(frozen=True)
class Budget:
    """Stop Adam once the objective is within ``rel_gap`` of ``target`` (relative to
    ``|target|``), or after ``time_cap`` seconds of training."""

    target: float
    rel_gap: float = 0.01
    time_cap: float = 30.0

    @property
    def goal(self) -> float:
        """The objective value that counts as reached: ``target + rel_gap·|target|``."""
        return self.target + self.rel_gap * abs(self.target)


@dataclass
class AdamRuns:
    """Seeded Adam runs of one architecture.

    Attributes
    ----------
    seeds : ndarray of shape (S,)
    objectives : ndarray of shape (S,)
        Final regularized training objective of each run.
    history : ndarray of shape (T, S)
        Objective every ``log_every`` epochs (first row: at initialization; last row:
        the final objective — with a :class:`Budget`, the record where it stopped).
    network : ParallelNetwork
        The trained networks (``n_models = S``).
    epochs, lr, width : training settings (``epochs``: Adam steps taken)
    wall_time : float
        Seconds for all runs together.
    times : ndarray of shape (T,)
        Seconds since the start of training at each row of ``history``.
    """

    seeds: np.ndarray
    objectives: np.ndarray
    history: np.ndarray = field(repr=False)
    network: object = field(repr=False)
    epochs: int = 0
    lr: float = 0.0
    width: int = 0
    wall_time: float = 0.0
    times: np.ndarray = field(default=None, repr=False)

    def gaps(self, optimum: float) -> np.ndarray:
        """Relative gaps ``(objective − optimum) / optimum`` of every run."""
        return (self.objectives - optimum) / abs(optimum)

    def best(self) -> int:
        """Index of the run with the lowest final objective."""
        return int(np.argmin(self.objectives))


def _adam_loop(net, data: Dataset, beta: float, *, epochs, lr, weight_decay, loss, log_every,
               budget, bar):
    """Full-batch Adam on every copy of ``net``: the one training loop of the package.

    Each epoch evaluates the exact objective (recorded every ``log_every`` epochs, plus
    offset of merged repeated inputs, :class:`lassobook.core.data.Dataset`), then steps
    on ``loss(net, x, y, β)`` (default: that objective).  Stops after ``epochs`` steps
    (recording the final objective), or — with a ``budget`` — at the first objective
    within the budget's goal (recorded), at its time cap or at a non-finite objective.

    Returns ``(history, times, final, steps, seconds)``.
    """
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    wt = as_tensor(data.w) if data.weighted else None
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    history, times = [], []
    t0 = time.perf_counter()
    epoch = 0
    while True:
        opt.zero_grad()
        last = epochs is not None and epoch >= epochs
        with torch.set_grad_enabled(loss is None and not last):
            obj = net.objective(xt, yt, beta, weights=wt)
        value = obj.detach().numpy().copy() + data.offset
        now = time.perf_counter() - t0
        hit = budget is not None and bool(value.min() <= budget.goal)
        if last or hit or epoch % log_every == 0:
            history.append(value)
            times.append(now)
        if last or hit or (budget is not None and (now > budget.time_cap
                                                   or not np.isfinite(value).all())):
            break
        step = obj if loss is None else loss(net, xt, yt, beta)
        step.sum().backward()
        opt.step()
        epoch += 1
        bar.update()
    return np.array(history), np.array(times), value, epoch, time.perf_counter() - t0


def _check_settings(seeds, epochs, lr, budget) -> np.ndarray:
    seeds = np.asarray(list(seeds), dtype=np.int64)
    if seeds.size == 0:
        raise ValueError("seeds is empty: give at least one seed")
    if epochs is None and budget is None:
        raise ValueError("give epochs, or a budget=Budget(target, rel_gap, time_cap) to stop at")
    if epochs is not None and int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if budget is not None and seeds.size != 1:
        raise ValueError(f"a budget races one network: give one seed, got {seeds.size}")
    return seeds


def train_adam(x, y=None, *, family=None, beta: float, width: int = 50, seeds=range(20),
               epochs: int | None = 5000, lr: float = 5e-3, log_every: int | None = None,
               progress: bool | None = None, init=None, n_jobs: int | None = 1,
               network=None, loss=None, weight_decay: float = 0.0,
               budget: Budget | None = None) -> AdamRuns:
    """Train networks with full-batch Adam on ``½‖f(X) − y‖² + R(θ)`` (or ``loss``).

    Parameters
    ----------
    x, y : array_like of shape (n,) (or a Dataset as ``x``)
    family : Family
        Gives the network (``family.network``) and the initialization (its
        ``random_init``) unless ``network`` / ``init`` are given.
    beta : float > 0
    width : int
        Units per network.
    seeds : iterable of int
        One independent run per seed, all trained together.
    epochs : int, or None with a ``budget``
        Full-batch Adam steps (a cap on them with a ``budget``).
    lr : float
        Adam learning rate.
    log_every : int, optional
        Record the objectives every this many epochs (default: about 200 records,
        10 epochs with a budget).
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
    network : callable(width, n_models), optional
        Builds the untrained network (default ``family.network``).
    loss : callable(network, x, y, beta) → tensor of shape (n_models,), optional
        What Adam minimizes (default: the exact objective, which is always what is
        recorded).
    weight_decay : float
        Adam's (coupled) weight decay on every parameter, biases included.
    budget : Budget, optional
        Stop at the budget's goal or time cap (one seed only).
    """
    data = as_dataset(x, y)
    beta = check_beta(beta)
    seeds = _check_settings(seeds, epochs, lr, budget)
    make = network if network is not None else family.network
    log_every = int(log_every or (10 if epochs is None else max(1, epochs // 200)))
    options = dict(beta=beta, width=width, epochs=epochs, lr=lr, log_every=log_every, init=init,
                   network=make, loss=loss, weight_decay=weight_decay, budget=budget)
    batches = min(seeds.size, effective_n_jobs(n_jobs))
    if batches > 1:
        runs = Parallel(n_jobs=batches)(
            delayed(train_adam)(data, seeds=chunk, progress=False, n_jobs=1, **options)
            for chunk in np.array_split(seeds, batches))
        return _concatenate(runs, make)
    net = make(width=width, n_models=seeds.size)
    if init is None:
        net.random_init(seeds, data.x_sorted)
    else:
        init(net, seeds, data.x_sorted)
    if progress is None:
        progress = sys.stderr.isatty()
    name = family if family is not None else type(net).__name__
    with tqdm(total=epochs, desc=f"Adam {name} x{seeds.size}", disable=not progress,
              leave=False) as bar:
        history, times, final, steps, seconds = _adam_loop(
            net, data, beta, epochs=None if epochs is None else int(epochs), lr=lr,
            weight_decay=weight_decay, loss=loss, log_every=log_every, budget=budget, bar=bar)
    return AdamRuns(seeds=seeds, objectives=final, history=history, network=net, epochs=steps,
                    lr=float(lr), width=int(width), wall_time=seconds, times=times)


def _concatenate(runs: list[AdamRuns], make) -> AdamRuns:
    """Join seed batches into one :class:`AdamRuns` (networks concatenated along the model axis)."""
    first = runs[0]
    seeds = np.concatenate([r.seeds for r in runs])
    net = make(width=first.width, n_models=seeds.size)
    with torch.no_grad():
        for name, param in net.named_parameters():
            param.copy_(torch.cat([dict(r.network.named_parameters())[name] for r in runs]))
    return AdamRuns(seeds=seeds, objectives=np.concatenate([r.objectives for r in runs]),
                    history=np.concatenate([r.history for r in runs], axis=1), network=net,
                    epochs=first.epochs, lr=first.lr, width=first.width,
                    wall_time=max(r.wall_time for r in runs), times=first.times)


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
    """One seeded network of ``width`` units trained by :func:`train_adam` with a
    :class:`Budget`: until its objective is within ``rel_gap`` of ``target`` or
    ``time_cap`` seconds have passed; the objective recorded every ``record_every`` epochs."""
    budget = Budget(float(target), float(rel_gap), float(time_cap))
    data = data if isinstance(data, Dataset) else as_dataset(*data)
    runs = train_adam(data, family=family, beta=beta, width=width, seeds=[seed], epochs=None,
                      lr=lr, log_every=record_every, progress=False, budget=budget)
    objectives = runs.history[:, 0]
    reached = bool(objectives[-1] <= budget.goal)
    return AdamTrace(runs.times, objectives, budget.target, budget.rel_gap, reached,
                     float(runs.times[-1]) if reached else math.nan, runs.epochs)
