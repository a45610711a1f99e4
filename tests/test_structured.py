"""The structured (no dense dictionary) Lasso solver against the dense reference."""

import numpy as np
import pytest
import torch

import lassobook as lb
from lassobook.closed_forms import tv_network_fit
from lassobook.dictionaries import evaluate_shapes
from lassobook.lasso import SolverError
from lassobook.structured import (dense_fit, fit_structured, solve_gram_lasso, structured_oracle,
                                  train_adam_until)

torch.set_num_threads(1)

FAMILIES = {
    "relu": lambda: lb.get_family("relu"),
    "leaky_relu": lambda: lb.get_family("leaky_relu", rho=0.2),
    "abs": lambda: lb.get_family("abs"),
    "threshold": lambda: lb.get_family("threshold"),
    "sign": lambda: lb.get_family("sign"),
    "abs3": lambda: lb.get_family("abs", 3),
    "deep3": lambda: lb.get_family("relu", 3),
    "deep4": lambda: lb.get_family("relu", 4),
    "sign4_rect": lambda: lb.get_family("sign", 4, widths=(2, 1)),
    "sign4_tree": lambda: lb.get_family("sign", 4, "tree", widths=(2, 2)),
    "threshold3": lambda: lb.get_family("threshold", 3, widths=(3,)),
}


@pytest.mark.parametrize("name", FAMILIES)
def test_oracle_correlations_equal_dense_products(name):
    """Aᵀλ by prefix sums equals the product with the explicitly evaluated columns, for every column."""
    fam = FAMILIES[name]()
    rng = np.random.default_rng(3)
    data = lb.random_dataset(9, 11)
    oracle = structured_oracle(fam, data)
    keys = oracle.all_keys()
    assert keys.shape[0] == oracle.n_columns or name == "abs3"
    A = evaluate_shapes(fam, data.x_sorted, oracle.params(keys))
    for _ in range(3):
        lam = rng.standard_normal(data.n) * 10 ** rng.uniform(-2, 2)
        exact = lam @ A
        fast = oracle.correlations(oracle.sums(lam), keys)
        scale = np.abs(lam).sum() * (1 + np.abs(data.x).max())
        assert np.abs(fast - exact).max() <= 1e-13 * scale
        # the search's maximum is the maximum over every column (dual vectors with 1ᵀλ = 0)
        lam_c = lam - lam.mean()
        value, best, corr = oracle.search(oracle.sums(lam_c), 5)
        full = np.abs(lam_c @ A).max()
        assert abs(value - full) <= 1e-12 * scale
        assert abs(abs(corr[0]) - full) <= 1e-12 * scale


@pytest.mark.parametrize("name", FAMILIES)
def test_oracle_covers_the_dense_dictionary(name):
    """On centred λ, max over the family's own (pruned) dense dictionary equals the oracle's maximum."""
    fam = FAMILIES[name]()
    data = lb.random_dataset(8, 5)
    dense = fam.dictionary(data) if hasattr(fam, "dictionary") else lb.build_dictionary(data, fam)
    oracle = structured_oracle(fam, data)
    rng = np.random.default_rng(0)
    for _ in range(5):
        lam = rng.standard_normal(data.n)
        lam -= lam.mean()
        value, _, _ = oracle.search(oracle.sums(lam[data.order]), 1)
        assert value == pytest.approx(np.abs(lam @ dense.matrix).max(), rel=1e-11, abs=1e-12)


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("seed", [0, 1])
def test_structured_equals_dense(name, seed):
    fam = FAMILIES[name]()
    data = lb.random_dataset(10, seed)
    for beta in (0.02, 0.3):
        sf = fit_structured(data, family=fam, beta=beta)
        df = dense_fit(data, family=fam, beta=beta)
        assert abs(sf.objective - df.objective) <= 1e-8 * df.objective
        cert = sf.certificate()
        assert cert.certified and cert.n_shapes == sf.oracle.n_columns
        assert cert.dictionary_max <= beta * (1 + 1e-6)
        # the same solution object: its network reproduces the Lasso objective and predictions
        assert isinstance(sf, lb.LassoFit)
        assert sf.network_objective() == pytest.approx(sf.objective, rel=1e-9)
        grid = np.linspace(data.x.min(), data.x.max(), 7)
        assert np.allclose(sf.network().predict(grid), sf.predict(grid), atol=1e-9)
        assert len(sf.neurons()) == sf.support.size


@pytest.mark.parametrize("name", ["relu", "abs3", "deep3"])
def test_sampled_certificate_agrees(name):
    """The dense sampled certificate over the continuous family also certifies the structured fit."""
    fam = FAMILIES[name]()
    data = lb.random_dataset(7, 2)
    sf = fit_structured(data, family=fam, beta=0.05)
    sampled = sf.certificate(sampled=True, resolution=400)
    assert sampled.certified
    assert sampled.max_dual <= sf.certificate().max_dual * (1 + 1e-9)


@pytest.mark.parametrize("activation", ["threshold", "sign"])
def test_two_layer_step_families_match_tv_denoising(activation):
    data = lb.random_dataset(300, 4)
    beta = 0.5
    sf = fit_structured(data, family=lb.get_family(activation), beta=beta)
    _, tv_objective = tv_network_fit(data, activation=activation, beta=beta)
    assert sf.objective == pytest.approx(tv_objective, rel=1e-9)
    assert sf.certificate().certified


def test_moderate_size_relu_is_certified():
    data = lb.random_dataset(3000, 0)
    sf = fit_structured(data, family=lb.get_family("relu"), beta=0.01 * data.n)
    cert = sf.certificate()
    assert cert.certified and cert.n_shapes == 2 * data.n
    assert sf.dictionary.size < 200


def test_deep_four_certificate_covers_reflections():
    """L = 4: the raw dictionary with reflection columns never beats the structured maximum."""
    fam = lb.get_family("relu", 4)
    data = lb.paper_dataset("fig3")
    sf = fit_structured(data, family=fam, beta=0.01)
    dense = dense_fit(data, family=fam, beta=0.01)
    assert abs(sf.objective - dense.objective) <= 1e-8 * dense.objective
    raw = lb.build_dictionary(data, fam, prune=False)
    assert np.abs(sf.solution.residual @ raw.matrix).max() <= sf.certificate().max_dual * (1 + 1e-9)


def test_gram_lasso_matches_cvxpy():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((30, 8))
    A[:, 7] = A[:, 0] + A[:, 1]                 # a dependent column
    y = rng.standard_normal(30)
    Ac, yc = A - A.mean(0), y - y.mean()
    z, method = solve_gram_lasso(Ac.T @ Ac, Ac.T @ yc, 0.7)
    ref = lb.solve_lasso(A, y, 0.7)
    obj = 0.5 * np.sum((Ac @ z - yc) ** 2) + 0.7 * np.abs(z).sum()
    assert obj == pytest.approx(ref.objective, rel=1e-9)
    assert method in ("active-set", "clarabel+polish", "clarabel")


def test_large_beta_gives_the_constant_network():
    data = lb.random_dataset(20, 0)
    sf = fit_structured(data, family=lb.get_family("relu"), beta=1e6)
    assert np.all(sf.solution.z == 0)
    assert sf.objective == pytest.approx(0.5 * np.sum((data.y - data.y.mean()) ** 2))
    assert sf.certificate().certified


def test_adam_until_stops_at_the_target():
    data = lb.paper_dataset("fig3")
    fam = lb.get_family("relu")
    sf = fit_structured(data, family=fam, beta=0.1)
    trace = train_adam_until(data, family=fam, beta=0.1, target=sf.objective, rel_gap=0.5,
                             time_cap=20, width=20, lr=1e-2)
    assert trace.reached and trace.gaps[-1] <= 0.5
    assert np.all(trace.objectives >= sf.objective * (1 - 1e-9))


class _NotSupported(lb.Family):
    activation, depth = "relu", 5

    def shape(self, x, **p):
        return x

    raw_dictionary = kinks = candidate_params = network = reconstruct = shape
    penalty_formula = ""


@pytest.mark.parametrize("kwargs, match", [
    (dict(beta=0.0), "beta"), (dict(beta=-1), "beta"), (dict(beta="a"), "beta"),
    (dict(beta=0.1, tol=0), "tol"), (dict(beta=0.1, batch=0), "batch"),
    (dict(beta=0.1, prune=1.5), "prune"), (dict(beta=0.1, max_iter=0), "max_iter"),
    (dict(beta=0.1, initial=-2), "initial"), (dict(beta=0.1, time_limit=0), "time_limit"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_structured([0, 1, 2], [0, 1, 0], family=lb.get_family("relu"), **kwargs)


def test_bad_data_and_family():
    with pytest.raises(ValueError, match="duplicate"):
        fit_structured([0, 1, 1], [0, 1, 0], family=lb.get_family("relu"), beta=0.1)
    with pytest.raises(ValueError, match="different lengths"):
        fit_structured([0, 1, 2], [0, 1], family=lb.get_family("relu"), beta=0.1)
    with pytest.raises(ValueError, match="no structured oracle"):
        fit_structured([0, 1, 2], [0, 1, 0], family=_NotSupported(), beta=0.1)
    with pytest.raises(ValueError, match="Family"):
        structured_oracle("relu", lb.as_dataset([0, 1], [0, 1]))


def test_iteration_limit_is_an_error():
    data = lb.random_dataset(200, 0)
    with pytest.raises(SolverError, match="no certificate"):
        fit_structured(data, family=lb.get_family("relu"), beta=1e-3, batch=1, max_iter=2)
