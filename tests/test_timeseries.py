"""Autoregressive time series (lassobook.analysis.timeseries): loader, split, repeated inputs, Lasso vs Adam."""

import numpy as np
import pytest
import torch

import lassobook as lb
from lassobook.analysis import timeseries as ts


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


def test_prepare_keeps_every_pair_unchanged():
    data = ts.prepare("sunspots")
    m = data.n_train
    assert data.scale == np.abs(data.series[:m]).max()
    np.testing.assert_array_equal(data.x_train, data.series[:m] / data.scale)   # no jitter
    np.testing.assert_array_equal(data.y_train, data.series[1:m + 1] / data.scale)
    np.testing.assert_array_equal(data.x_test, data.series[m:-1] / data.scale)
    assert not hasattr(data, "jitter") and not hasattr(data, "x_train_raw")
    assert not hasattr(ts, "break_ties")
    assert data.n_ties == m - np.unique(data.x_train).size == 41
    assert ts.prepare("nile").n_ties == 12


def _objective_on_pairs(network, x, y, beta):
    """The unweighted objective ``½Σ_i (f(x_i) − y_i)² + R`` on every raw pair, per model."""
    return network.objective(x, y, beta).detach().numpy()


def test_repeated_inputs_are_merged_exactly_for_lasso_and_adam():
    torch.set_num_threads(1)
    data = ts.prepare("nile", n_values=60)
    x, y, beta = data.x_train, data.y_train, 0.05
    assert data.n_ties > 0                                  # the slice does repeat inputs
    family = lb.get_family("relu", depth=2)
    fit = ts.fit_certified(x, y, family=family, beta=beta)
    assert fit.certificate().certified
    assert fit.data.n_rows == x.size and fit.data.n == x.size - data.n_ties
    assert fit.data.offset > 0                              # repeats with different targets
    on_pairs = _objective_on_pairs(fit.network(), x, y, beta)[0]
    assert abs(on_pairs - fit.objective) <= 1e-8 * fit.objective
    runs = lb.train_adam(x, y, family=family, beta=beta, width=10, seeds=range(2), epochs=20,
                         lr=2e-2, progress=False)
    np.testing.assert_allclose(runs.objectives, _objective_on_pairs(runs.network, x, y, beta),
                               rtol=1e-10)
    assert np.all(runs.objectives >= fit.objective * (1 - 1e-6))


def test_certified_lasso_below_every_adam_run_on_a_slice():
    torch.set_num_threads(1)
    data = ts.prepare("nile", n_values=40)
    for family in (lb.get_family("relu", depth=2), lb.get_family("relu", depth=4)):
        c = ts.compare(data, family, 0.05, seeds=range(3), epochs=300, width=10)
        assert c.certificate.certified
        assert np.all(c.adam.objectives >= c.fit.objective * (1 - 1e-6))
        assert c.row()["Lasso neurons"] == c.fit.support.size


def test_chapter_tables_and_figures_from_a_small_run():
    import matplotlib

    matplotlib.use("Agg")
    torch.set_num_threads(1)
    data = ts.prepare("nile", n_values=40)
    fams = {"relu2": lb.get_family("relu", depth=2), "abs3": lb.get_family("abs", depth=3)}
    names = {"relu2": "ReLU, depth 2", "abs3": "abs, depth 3"}
    val = {k: ts.validate_beta(data, f, [0.03, 0.1], n_folds=2, adam_seeds=range(1),
                               adam_epochs=20, width=5) for k, f in fams.items()}
    table = ts.validation_table(val, names)
    assert table.shape == (2, 4) and list(table.columns.levels[0]) == ["Adam", "Lasso"]
    assert list(ts.choice_table(val, names).index) == list(names.values())
    results = {k: ts.compare(data, f, 0.1, name=names[k], seeds=range(2), epochs=20,
                             width=5) for k, f in fams.items()}
    comp = ts.comparison_table(results)
    assert list(comp.index) == list(names.values()) and (comp["gap min"] >= -1e-6).all()
    fig = ts.plot_maps(data, results)
    assert sum(ax.axison for ax in fig.axes) == 2
    ax = ts.plot_predictions(data, results)
    assert ax.get_ylabel() == ts.LABELS["nile"]
    summary = ts.adam_summary(results)
    assert summary["certified"] and summary["below"] and summary["runs"] == 4
    assert summary["mirrors"] <= summary["kinks"] and summary["families"] == 2


def test_chapter_checks_of_the_split_and_the_merging():
    data = ts.prepare("nile")
    numbers = ts.check_data(data)
    assert numbers["values"] == 100 and numbers["ties"] == 12
    assert numbers["train_to"] < numbers["test_from"]
    assert ts.check_merging(data, lb.get_family("relu"), 0.1) < 1e-8
    with pytest.raises(AssertionError):               # a slice is not the documented series
        ts.check_data(ts.prepare("nile", n_values=40))
