"""Autoregressive time series (lassobook.timeseries): loader, split, ties, Lasso vs Adam."""

import numpy as np
import pytest
import torch

import lassobook as lb
from lassobook import timeseries as ts


@pytest.mark.parametrize("name, n", [("sunspots", 309), ("nile", 100)])
def test_loader_lengths_and_no_nan(name, n):
    t, v = ts.load_series(name)
    assert t.shape == v.shape == (n,)
    assert not np.isnan(v).any() and np.all(np.diff(t) > 0)
    x, y = ts.lag_pairs(v)
    assert x.size == y.size == n - 1
    np.testing.assert_array_equal(x[1:], y[:-1])


def test_unknown_series_is_named():
    with pytest.raises(ValueError, match="available: sunspots, nile"):
        ts.load_series("lynx")


def test_split_is_chronological():
    x, y = ts.lag_pairs(np.arange(11.0))
    x_tr, y_tr, x_te, y_te = ts.chronological_split(x, y, 0.8)
    np.testing.assert_array_equal(x_tr, np.arange(8.0))
    np.testing.assert_array_equal(x_te, [8.0, 9.0])
    np.testing.assert_array_equal(y_te, [9.0, 10.0])
    data = ts.prepare("sunspots")
    assert data.n_train == 246 and data.n_test == 62
    assert data.t_train.max() < data.t_test.min()
    np.testing.assert_allclose(data.y_train * data.scale, data.series[1:247])
    np.testing.assert_allclose(data.x_test * data.scale, data.series[246:-1])


def test_rolling_origin_folds_move_forward():
    folds = ts.rolling_origin_folds(100, 3)
    assert [(f.stop, v.start, v.stop) for f, v in folds] == [(50, 50, 67), (67, 67, 83), (83, 83, 100)]
    assert all(f.start == 0 for f, _ in folds)


def test_break_ties_moves_repeats_by_rank_in_time_order():
    x = np.array([3.0, 1.0, 3.0, 2.0, 3.0, 1.0])
    out = ts.break_ties(x, 1e-6)
    np.testing.assert_array_equal(out, [3.0, 1.0, 3.0 + 1e-6, 2.0, 3.0 + 2e-6, 1.0 + 1e-6])
    assert np.unique(out).size == out.size
    np.testing.assert_array_equal(ts.break_ties(out, 1e-6), out)   # distinct inputs: unchanged
    with pytest.raises(ValueError, match="too large"):
        ts.break_ties(x, 0.3)


def test_prepare_keeps_every_pair_and_only_jitters_training_ties():
    data = ts.prepare("sunspots")
    raw = data.x_train_raw
    assert data.x_train.size == raw.size                          # no pair dropped
    assert np.unique(data.x_train).size == data.x_train.size      # distinct: the Lasso accepts them
    assert data.n_ties == raw.size - np.unique(raw).size == 41
    assert np.abs(data.x_train - raw).max() <= 5 * data.jitter    # at most 5 repeats of a value
    lb.as_dataset(data.x_train, data.y_train)                     # no duplicate error


def test_certified_lasso_below_every_adam_run_on_a_slice():
    torch.set_num_threads(1)
    data = ts.prepare("nile", n_values=40)
    for family in (lb.get_family("relu", depth=2), lb.get_family("relu", depth=4)):
        c = ts.compare(data, family, 0.05, seeds=range(3), epochs=300, width=10)
        assert c.certificate.certified
        assert np.all(c.adam.objectives >= c.fit.objective * (1 - 1e-6))
        assert c.row()["Lasso neurons"] == c.fit.support.size
