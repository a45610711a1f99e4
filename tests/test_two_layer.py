"""Two-layer networks are Lasso models: the properties the chapter relies on."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import lassobook as lb
from lassobook.solvers import lasso as lasso_module
from lassobook.solvers.closed_forms import tv_network_fit
from lassobook.training import train_adam

from conftest import datasets, without_support

ACTS = list(lb.ACTIVATIONS)
betas = st.sampled_from([1e-3, 1e-2, 0.1, 1.0])


@pytest.mark.parametrize("activation", ACTS)
@given(xy=datasets(), beta=betas)
def test_lasso_optimum_equals_reconstructed_network_and_is_certified(activation, xy, beta):
    x, y = xy
    fit = lb.fit_lasso(x, y, family=lb.get_family(activation), beta=beta)
    net_obj = fit.network_objective()
    assert abs(net_obj - fit.objective) <= 1e-6 * fit.objective + 1e-12
    cert = fit.certificate()
    assert cert.certified, str(cert)
    # the network, evaluated in the caller's order, is the Lasso model
    assert np.allclose(fit.network().predict(x), fit.predict(x), atol=1e-8)
    # the width of the rebuilt network is the support size
    assert fit.network().width == max(1, fit.support.size)


@pytest.mark.parametrize("activation", ["relu", "abs", "sign"])
@given(xy=datasets(min_n=3), beta=betas)
def test_certificate_rejects_a_suboptimal_solution(activation, xy, beta):
    """Negative control: without the optimum's columns the Lasso is worse, and the certificate says so."""
    x, y = xy
    fam = lb.get_family(activation)
    best = lb.fit_lasso(x, y, family=fam, beta=beta)
    poor = without_support(best)
    if poor is not None and poor.objective > best.objective * (1 + 1e-6) + 1e-12:
        assert not poor.certificate().certified


@given(xy=datasets(min_n=3), beta=betas)
def test_min_norm_solution_is_optimal_and_has_smallest_norm(xy, beta):
    x, y = xy
    fam = lb.get_family("relu")
    fit = lb.fit_lasso(x, y, family=fam, beta=beta)
    mn = lb.fit_lasso(x, y, family=fam, beta=beta, min_norm=True)
    assert abs(mn.objective - fit.objective) <= 1e-7 * fit.objective + 1e-12
    assert np.linalg.norm(mn.solution.z) <= np.linalg.norm(fit.solution.z) * (1 + 1e-6) + 1e-9
    assert mn.certificate().certified


@pytest.mark.parametrize("activation", ["threshold", "sign"])
@given(xy=datasets(), beta=betas)
def test_tv_closed_form_equals_lasso(activation, xy, beta):
    x, y = xy
    fit = lb.fit_lasso(x, y, family=lb.get_family(activation), beta=beta)
    fitted, objective = tv_network_fit(x, y, activation=activation, beta=beta)
    assert abs(objective - fit.objective) <= 1e-7 * fit.objective + 1e-12
    assert np.allclose(fitted, fit.predict(x), atol=1e-5)


@pytest.mark.parametrize("activation", ACTS)
@given(xy=datasets())
def test_dictionary_columns_are_distinct_informative_and_evaluate_consistently(activation, xy):
    x, y = xy
    D = lb.build_dictionary(lb.as_dataset(x, y), lb.get_family(activation))
    A = D.matrix
    assert np.allclose(D.evaluate(x), A)
    centered = A - A.mean(axis=0)
    assert (np.abs(centered).max(axis=0) > 1e-9).all()
    assert np.unique(np.round(A, 9), axis=1).shape[1] == A.shape[1]
    for k in range(D.size):  # every kink of a column is a training point
        assert np.isin(D.kinks(k), x).all()


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs"])
@pytest.mark.parametrize("name", ["fig3", "fig18"])
def test_adam_never_beats_the_lasso_optimum(activation, name):
    data = lb.paper_dataset(name)
    fam = lb.get_family(activation)
    beta = 0.1
    fit = lb.fit_lasso(data, family=fam, beta=beta)
    runs = train_adam(data, family=fam, beta=beta, width=20, seeds=range(6), epochs=1500,
                      lr=1e-2, progress=False)
    assert runs.objectives.min() >= fit.objective * (1 - 1e-6)


def test_adam_is_deterministic_and_seeds_are_independent_of_the_batch():
    data = lb.paper_dataset("fig2_left")
    fam = lb.get_family("relu")
    kw = dict(family=fam, beta=0.1, width=8, epochs=200, progress=False)
    batch = train_adam(data, seeds=[1, 2, 3], **kw)
    again = train_adam(data, seeds=[1, 2, 3], **kw)
    alone = train_adam(data, seeds=[3], **kw)
    assert np.array_equal(batch.objectives, again.objectives)
    assert np.isclose(batch.objectives[2], alone.objectives[0], rtol=1e-12)
    assert np.all(np.diff(batch.history[:, 0][[0, -1]]) < 0)  # training lowered the objective


def test_network_objective_matches_formula_for_random_parameters():
    data = lb.paper_dataset("fig3")
    for act in ACTS:
        net = lb.get_family(act).network(width=5, n_models=2)
        net.random_init([4, 5], data.x_sorted)
        x, y = torch.tensor(data.x), torch.tensor(data.y)
        with torch.no_grad():
            out = net(x)
            other = net.w if net.amplitude is None else net.amplitude
            expected = 0.5 * ((out - y) ** 2).sum(1) + 0.05 * (net.alpha**2 + other**2).sum(1)
            assert torch.allclose(net.objective(data.x, data.y, 0.1), expected)


@pytest.mark.parametrize("beta", [0, -1, float("nan"), float("inf"), "big", None])
def test_bad_beta_is_named(beta):
    with pytest.raises(ValueError, match="beta"):
        lb.fit_lasso([0, 1, 2], [0, 1, 0], family=lb.get_family("relu"), beta=beta)


def test_unknown_activation_and_unsupported_combination_are_named():
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        lb.get_family("tanh")
    with pytest.raises(ValueError, match="rho in \\(0, 1\\)"):
        lb.get_family("leaky_relu", rho=1.5)
    with pytest.raises(ValueError, match="not supported"):
        lb.get_family("sigmoid" if False else "threshold", depth=7, architecture="moebius")
    with pytest.raises(ValueError, match="depth must be an integer"):
        lb.get_family("relu", depth=1)


def test_lasso_shape_errors_are_named():
    with pytest.raises(ValueError, match="must have shape \\(3,\\)"):
        lb.solve_lasso(np.ones((3, 2)), np.ones(4), 0.1)
    with pytest.raises(ValueError, match="NaN or inf"):
        lb.solve_lasso(np.array([[1.0], [np.nan]]), np.ones(2), 0.1)


def test_solver_failure_reports_its_status(monkeypatch):
    monkeypatch.setitem(lasso_module.CLARABEL_SETTINGS, "max_iter", 1)
    with pytest.raises(lb.SolverError, match="status"):
        lb.fit_dense(lb.random_dataset(10, 0), family=lb.get_family("relu"), beta=1e-3)
