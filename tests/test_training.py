"""The one Adam loop (lassobook.training) reproduces, bit for bit, the three loops it replaced.

Each reference below is the replaced loop, written out here as it was: the seeded batch
of ``train_adam``, the authors' protocol loop (``train_network``) and the wall-time race
(``train_adam_until``).  Same seeds, same numbers — compared with ``==``, not a tolerance.
"""

import math
import time

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.core.networks import as_tensor
from lassobook.paper.authors import AUTHORS_PROTOCOL, AuthorsNet, authors_init, authors_options
from lassobook.training import Budget, train_adam, train_adam_until


def _reference_batch(data, family, beta, width, seeds, epochs, lr, log_every):
    """The former ``train_adam`` loop (one batch)."""
    net = family.network(width=width, n_models=len(seeds))
    net.random_init(seeds, data.x_sorted)
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    wt = as_tensor(data.w) if data.weighted else None
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    history = []
    for epoch in range(epochs):
        opt.zero_grad()
        obj = net.objective(xt, yt, beta, weights=wt)
        if epoch % log_every == 0:
            history.append(obj.detach().numpy().copy() + data.offset)
        obj.sum().backward()
        opt.step()
    with torch.no_grad():
        final = net.objective(xt, yt, beta, weights=wt).numpy().copy() + data.offset
    history.append(final)
    return np.array(history), final, net


def _reference_authors(net, data, beta, epochs, lr=5e-3, weight_decay=1e-4):
    """The former ``lassobook.paper.authors.train_network`` loop (authors' loss)."""
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    log_every = max(1, epochs // 200)
    history = []
    for epoch in range(epochs):
        opt.zero_grad()
        if epoch % log_every == 0:
            with torch.no_grad():
                history.append(net.objective(xt, yt, beta).numpy().copy())
        net.authors_loss(xt, yt, beta).sum().backward()
        opt.step()
    with torch.no_grad():
        final = net.objective(xt, yt, beta).numpy().copy()
    history.append(final)
    return np.array(history), final


def _reference_until(data, family, beta, target, rel_gap, time_cap, width, lr, seed, record_every):
    """The former ``train_adam_until`` loop: objectives at the records and the epoch count."""
    net = family.network(width=width, n_models=1)
    net.random_init([seed], data.x_sorted)
    xt, yt = as_tensor(data.x), as_tensor(data.y)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    goal = target + rel_gap * abs(target)
    objs, epoch, reached = [], 0, False
    t0 = time.perf_counter()
    while True:
        opt.zero_grad()
        obj = net.objective(xt, yt, beta)
        value = float(obj.detach()[0])
        if epoch % record_every == 0 or value <= goal:
            objs.append(value)
        if value <= goal:
            reached = True
            break
        if time.perf_counter() - t0 > time_cap or not np.isfinite(value):
            break
        obj.sum().backward()
        opt.step()
        epoch += 1
    return np.array(objs), epoch, reached


def _same_parameters(a, b):
    pa, pb = dict(a.named_parameters()), dict(b.named_parameters())
    assert pa.keys() == pb.keys()
    for name in pa:
        assert torch.equal(pa[name], pb[name]), name


@settings(max_examples=8, deadline=None)
@given(family=st.sampled_from(["relu", "abs", "leaky_relu", "sign"]),
       seeds=st.lists(st.integers(0, 10_000), min_size=1, max_size=3, unique=True),
       epochs=st.integers(1, 60), log_every=st.integers(1, 25), weighted=st.booleans())
def test_train_adam_is_the_former_seeded_batch_loop(family, seeds, epochs, log_every, weighted):
    x = np.array([0.0, 1.0, 1.0, 2.5, 3.0, 4.0]) if weighted else np.array([0.0, 1.0, 2.5, 3.0, 4.0])
    y = np.sin(x) + 0.1 * np.arange(x.size)
    data = lb.as_dataset(x, y)                      # repeated x: merged, weighted, with an offset
    fam = lb.get_family(family)
    kw = dict(beta=0.05, width=7, seeds=seeds, epochs=epochs, lr=1e-2, log_every=log_every)
    runs = train_adam(data, family=fam, progress=False, **kw)
    history, final, net = _reference_batch(data, fam, **kw)
    assert np.array_equal(runs.history, history)
    assert np.array_equal(runs.objectives, final)
    assert runs.epochs == epochs and runs.times.shape == (history.shape[0],)
    _same_parameters(runs.network, net)


def test_authors_options_are_the_former_authors_loop():
    s = AUTHORS_PROTOCOL["fig2_left", 4]
    data = lb.paper_dataset(s["dataset"])
    seeds, epochs, width = [8, 3], 120, 12
    runs = train_adam(data, beta=s["beta"], width=width, seeds=seeds, epochs=epochs,
                      progress=False, **authors_options(4, s["seeded"]))
    net = AuthorsNet(4, width, n_models=len(seeds))
    authors_init(net, seeds, data.x_sorted, seeded=s["seeded"])
    history, final = _reference_authors(net, data, s["beta"], epochs)
    assert np.array_equal(runs.history, history)
    assert np.array_equal(runs.objectives, final)
    _same_parameters(runs.network, net)


def test_train_adam_until_is_the_former_race_loop():
    data = lb.paper_dataset("fig3")
    fam = lb.get_family("relu")
    target = 0.9 * train_adam(data, family=fam, beta=0.1, width=10, seeds=[0], epochs=300,
                              lr=1e-2, progress=False).objectives[0]
    kw = dict(beta=0.1, target=target, rel_gap=0.2, time_cap=600.0, width=10, lr=1e-2, seed=0,
              record_every=7)
    trace = train_adam_until(data, family=fam, **kw)
    objs, epochs, reached = _reference_until(data, fam, **kw)
    assert reached and trace.reached          # the race ends at the target, not the clock
    assert np.array_equal(trace.objectives, objs)
    assert trace.epochs == epochs and trace.times.size == objs.size
    assert trace.time_to_target == trace.times[-1] and not math.isnan(trace.time_to_target)


def test_adam_settings_errors_name_the_fix():
    data = lb.paper_dataset("fig3")
    fam = lb.get_family("relu")
    with pytest.raises(ValueError, match="budget"):
        train_adam(data, family=fam, beta=0.1, epochs=None)
    with pytest.raises(ValueError, match="one seed"):
        train_adam(data, family=fam, beta=0.1, seeds=[0, 1], budget=Budget(1.0))
    with pytest.raises(ValueError, match="seeds is empty"):
        train_adam(data, family=fam, beta=0.1, seeds=[])
