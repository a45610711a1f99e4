"""ConvexNet1D: the scikit-learn contract, on one-dimensional data."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_estimator

import lassobook as lb
from lassobook.estimator import EXPECTED_FAILED_CHECKS, ConvexNet1D

X = np.array([[0.0], [2.0], [6.0], [7.0], [4.5]])
Y = np.array([0.0, 0.0, 3.0, 3.0, 1.0])


def test_scikit_learn_check_estimator_with_documented_expected_failures():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(ConvexNet1D(beta=0.1), on_fail=None,
                                  expected_failed_checks=EXPECTED_FAILED_CHECKS)
    statuses = {r["check_name"]: r["status"] for r in results}
    assert "failed" not in statuses.values()
    assert sum(s == "passed" for s in statuses.values()) >= 20


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "threshold", "sign"])
def test_fit_predict_matches_the_certified_lasso(activation):
    est = ConvexNet1D(activation=activation, beta=0.1)
    assert est.fit(X, Y) is est
    fit = lb.fit_lasso(X[:, 0], Y, family=lb.get_family(activation), beta=0.1)
    assert np.isclose(est.objective_, fit.objective, rtol=1e-9)
    assert est.certificate_.certified
    grid = np.linspace(-1, 8, 50)
    assert np.allclose(est.predict(grid), est.to_torch().predict(grid), atol=1e-8)
    assert np.allclose(est.predict(grid.reshape(-1, 1)), est.predict(grid))
    assert est.coefficients_.shape == (len(est.neurons_),)
    assert np.all(np.isin(est.breakpoints_, X[:, 0]))
    assert est.n_features_in_ == 1


def test_order_invariance_idempotence_pickle_and_clone():
    est = ConvexNet1D(beta=0.05).fit(X, Y)
    perm = [3, 0, 4, 1, 2]
    other = ConvexNet1D(beta=0.05).fit(X[perm], Y[perm])
    grid = np.linspace(-1, 8, 30)
    assert np.allclose(est.predict(grid), other.predict(grid), atol=1e-7)
    again = est.fit(X, Y).predict(grid)
    assert np.allclose(again, other.predict(grid), atol=1e-7)
    restored = pickle.loads(pickle.dumps(est))
    assert np.array_equal(restored.predict(grid), est.predict(grid))
    assert clone(est).get_params() == est.get_params()
    assert 0.9 < est.score(X, Y) <= 1.0


@pytest.mark.parametrize(
    "params, X_, y_, message",
    [
        ({}, np.ones((4, 2)), np.ones(4), "one-dimensional inputs"),
        ({}, np.array([[0.0], [np.nan]]), [0, 1], "NaN"),
        ({}, np.array([[1.0], [1.0], [1.0]]), [0, 1, 2], "2 distinct training points"),
        ({"beta": 0}, X, Y, "beta must be positive"),
        ({"activation": "tanh"}, X, Y, "unknown activation"),
        ({"solver": "magic"}, X, Y, "unknown solver"),
        ({"depth": 9}, X, Y, "not supported"),
    ],
)
def test_bad_input_is_named(params, X_, y_, message):
    with pytest.raises(ValueError, match=message):
        ConvexNet1D(**params).fit(X_, y_)


def test_predict_before_fit_is_an_error():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ConvexNet1D().predict(X)


def test_structured_solver_matches_dense_through_the_estimator():
    x = np.sort(np.random.default_rng(3).uniform(0, 5, 40))
    y = np.sin(x)
    dense = ConvexNet1D(depth=3, beta=0.05).fit(x, y)
    structured = ConvexNet1D(depth=3, beta=0.05, solver="structured").fit(x, y)
    assert structured.certificate_.certified
    assert np.isclose(structured.objective_, dense.objective_, rtol=1e-8)
    assert np.allclose(structured.predict(x), dense.predict(x), atol=1e-5)
    with pytest.raises(ValueError, match="need the dense solver"):
        ConvexNet1D(solver="structured", min_norm=True).fit(x, y)
