"""Narrow chains of mixed activations: vertex dictionaries, reconstruction, certificates."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.families.abs3 import ThreeLayerAbs
from lassobook.paper.abs_deeper import DEEPEST_KINK, DEPTH_EXAMPLE, SECOND_ORDER_EXAMPLE
from lassobook.analysis.kinks import KINK_CLASSES, classify_kinks, kink_census, mirror_order, piecewise_kinks
from lassobook.core.networks import ChainNet, chain_function
from lassobook.families.chains import NarrowChain, first_order_columns, kink_equations, vertex_thresholds
from lassobook.analysis.search import continuous_search
from lassobook.families.deep_narrow import DeepNarrowReLU
from lassobook.training import train_adam

from conftest import datasets

ABS4 = ("abs", "abs", "abs")
CHAINS3 = [("leaky_relu", "leaky_relu"), ("relu", "abs"), ("abs", "relu"),
           ("leaky_relu", "abs"), ("abs", "leaky_relu"), ("relu", "leaky_relu")]
betas = st.sampled_from([1e-2, 0.1, 1.0])


def test_get_family_routes_chains_and_names_problems():
    assert isinstance(lb.get_family("abs", 4), NarrowChain)
    assert lb.get_family("leaky_relu", 3, rho=0.2).rho == 0.2
    fam = lb.get_family("relu,abs")
    assert isinstance(fam, NarrowChain) and fam.depth == 3 and fam.activations == ("relu", "abs")
    assert lb.get_family(("abs", "abs")).__class__ is ThreeLayerAbs      # one activation: the paper's
    assert isinstance(lb.get_family(["relu"] * 3), DeepNarrowReLU)
    with pytest.raises(ValueError, match="make depth 3, not 4"):
        lb.get_family(("relu", "abs"), 4)
    with pytest.raises(ValueError, match="unknown activation 'tanh'"):
        lb.get_family("relu,tanh")
    with pytest.raises(ValueError, match="positively homogeneous"):
        NarrowChain(("relu", "sign"))
    with pytest.raises(ValueError, match="mixed networks have depth 3, 4"):
        lb.get_family("relu,abs,abs,abs")
    with pytest.raises(ValueError, match="abs networks of depth 5 are not supported"):
        lb.get_family("abs", 5)
    with pytest.raises(ValueError, match="parallel"):
        lb.get_family("relu,abs", architecture="tree")


@given(q=st.integers(1, 9), k=st.integers(1, 4), chunk=st.integers(1, 50))
def test_subsets_are_all_combinations_in_order(q, k, chunk):
    from itertools import combinations

    from lassobook.families.chains import _subsets

    blocks = list(_subsets(q, k, chunk))
    got = np.concatenate(blocks) if blocks else np.zeros((0, k), dtype=int)
    assert got.tolist() == [list(c) for c in combinations(range(q), k)]


def test_too_many_points_for_the_vertex_enumeration_is_a_clear_error():
    with pytest.raises(ValueError, match="needs 3.3e.08 linear systems .* use fewer points"):
        vertex_thresholds(np.linspace(0, 1, 60), ("leaky_relu",) * 3)


def test_kink_equations_are_the_affine_pieces_of_the_chain():
    """Every pool equation ``r·t = rhs`` is ``f_l(x_n) − t_l = 0`` on the piece its slopes name."""
    x = np.array([-1.0, 0.5, 2.0])
    acts = ("leaky_relu", "abs", "relu")
    rows, rhs, layer, point, slopes = kink_equations(x, acts, rho=0.3)
    rng = np.random.default_rng(0)
    for r, b, l, n, e in zip(rows, rhs, layer, point, slopes):
        if l < 0:
            assert r.sum() == 1 and b == 0       # a gauge t_l = 0
            continue
        t = rng.normal(size=3)
        v = x[n]
        for k in range(l):                       # the chain with the assumed slopes
            v = e[k] * (v - t[k])
        assert np.isclose(r @ t - b, -(v - t[l]))


def test_vertices_of_the_three_layer_abs_chain_are_the_papers_library():
    """Two-layer, reflection and midpoint features, nothing else."""
    data = lb.as_dataset([0.0, 2.0, 3.0, 5.0], [0.0, 1.0, 0.0, 1.0])
    t, s = vertex_thresholds(data.x_sorted, ("abs", "abs"))
    params, _ = ThreeLayerAbs().raw_dictionary(data)
    paper = {(round(a, 9), round(c, 9)) for a, c in zip(params["center"], params["offset"])}
    assert {(round(a, 9), round(c, 9)) for a, c in t} == paper
    assert (s == 1).all()


def test_piecewise_kinks_match_a_dense_second_difference():
    rng = np.random.default_rng(1)
    grid = np.linspace(-6, 6, 120_001)
    for acts in [ABS4, ("relu", "abs", "leaky_relu"), ("leaky_relu", "relu")]:
        for _ in range(5):
            s = rng.choice([-1.0, 1.0], len(acts))
            t = rng.uniform(-2, 2, len(acts))
            k = piecewise_kinks(acts, s, t, 0.2)
            v = chain_function(grid, acts, s, t, 0.2)
            bend = np.abs(np.diff(v, 2)) > 1e-7
            dense = grid[1:-1][bend]
            assert all(np.abs(dense - p).min() < 2e-4 for p in k)          # every kink bends
            assert all(np.abs(k - q).min() < 2e-4 for q in dense) if dense.size else k.size == 0


def test_classify_kinks_names_mirrors():
    x = np.array([0.0, 1.0, 3.0])
    assert classify_kinks([1.0, 1.5, 5.0, -1.0, 7.0, np.pi], x) == [
        "data", "midpoint", "reflection", "reflection", "second order", "other"]


def test_kink_census_of_the_known_dictionaries():
    data = lb.random_dataset(6, 0)
    census = {name: set(kink_census(lb.build_dictionary(data, fam))) for name, fam in [
        ("relu2", lb.get_family("relu")), ("abs3", ThreeLayerAbs()), ("leaky3", lb.get_family("leaky_relu", 3)),
        ("relu-abs", lb.get_family("relu,abs")), ("abs4", lb.get_family("abs", 4))]}
    assert census["relu2"] == census["leaky3"] == census["relu-abs"] == {"data"}   # monotone first layers
    assert census["abs3"] == {"data", "midpoint", "reflection"}
    assert "second order" in census["abs4"] and "other" not in census["abs4"]


@pytest.mark.parametrize("acts", [("leaky_relu", "leaky_relu"), ("relu", "abs"), ("abs", "relu"),
                                  ("abs", "leaky_relu"), ("relu", "abs", "abs"), ("abs", "relu", "abs"),
                                  ("abs", "abs", "abs"), ("leaky_relu", "relu", "abs")])
def test_mirror_order_predicts_the_deepest_kinks(acts):
    data = lb.random_dataset(6, 1)
    top = max(kink_census(lb.build_dictionary(data, NarrowChain(acts))), key=KINK_CLASSES.index)
    assert top == DEEPEST_KINK[mirror_order(acts)]


@given(data=datasets(min_n=3, max_n=6), beta=betas, acts=st.sampled_from(CHAINS3))
def test_three_layer_chains_lasso_equals_network_and_is_certified(data, beta, acts):
    fam = NarrowChain(acts)
    fit = lb.fit_lasso(*data, family=fam, beta=beta)
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-7, abs=1e-9)
    cert = fit.certificate(resolution=400)
    assert cert.certified, cert
    search = continuous_search(fit, grid_points=100_000, n_starts=8)
    assert search["ratio"] <= 1 + 1e-5, search


@settings(max_examples=8)
@given(data=datasets(min_n=3, max_n=5), beta=betas)
def test_four_layer_abs_lasso_equals_network_and_is_certified(data, beta):
    fit = lb.fit_lasso(*data, family=lb.get_family("abs", 4), beta=beta)
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-7, abs=1e-9)
    assert fit.certificate(resolution=400).certified
    assert continuous_search(fit, grid_points=100_000, n_starts=8)["ratio"] <= 1 + 1e-5


@settings(max_examples=10)
@given(data=datasets(min_n=3, max_n=6), beta=betas)
def test_vertex_dictionaries_reach_the_papers_optima(data, beta):
    """Same continuous family, so the same optimum: abs L = 3, ReLU L = 3 and 4."""
    for acts, paper in [(("abs", "abs"), ThreeLayerAbs()), (("relu", "relu"), DeepNarrowReLU(3)),
                        (("relu",) * 3, DeepNarrowReLU(4))]:
        ours = lb.fit_lasso(*data, family=NarrowChain(acts), beta=beta)
        ref = lb.fit_lasso(*data, family=paper, beta=beta)
        assert ours.objective == pytest.approx(ref.objective, rel=1e-7, abs=1e-9)


@settings(max_examples=6)
@given(data=datasets(min_n=3, max_n=6), beta=betas)
def test_depth_never_hurts(data, beta):
    """Each depth's family contains the shallower one (set the new threshold to 0)."""
    abs3 = lb.fit_lasso(*data, family=ThreeLayerAbs(), beta=beta).objective
    abs4 = lb.fit_lasso(*data, family=lb.get_family("abs", 4), beta=beta).objective
    assert abs4 <= abs3 * (1 + 1e-7) + 1e-9


def test_dropping_vertices_is_caught_by_the_continuous_search():
    """A negative control: the search refutes a dictionary with the optimum's columns removed."""
    data = lb.random_dataset(6, 3)
    fit = lb.fit_lasso(data, family=lb.get_family("abs", 4), beta=0.02)
    from conftest import without_support

    rest = without_support(fit)
    assert rest.objective > fit.objective * (1 + 1e-6)
    assert continuous_search(rest)["ratio"] > 1 + 1e-4
    assert not rest.certificate().certified


def test_four_layers_beat_three_on_the_depth_example():
    data = lb.as_dataset(DEPTH_EXAMPLE["x"], DEPTH_EXAMPLE["y"])
    beta = DEPTH_EXAMPLE["beta"]
    four = lb.fit_lasso(data, family=lb.get_family("abs", 4), beta=beta)
    three = lb.fit_lasso(data, family=ThreeLayerAbs(), beta=beta)
    assert three.objective > 1.4 * four.objective
    assert four.certificate().certified
    assert three.certificate().certified                 # optimal among three-layer networks ...
    lam = three.solution.residual                        # ... but a four-layer unit improves it
    assert np.abs(lam @ four.dictionary.matrix).max() > 1.5 * beta


def test_second_order_mirrors_cannot_be_dropped():
    data = lb.as_dataset(SECOND_ORDER_EXAMPLE["x"], SECOND_ORDER_EXAMPLE["y"])
    beta = SECOND_ORDER_EXAMPLE["beta"]
    full = lb.fit_lasso(data, family=lb.get_family("abs", 4), beta=beta)
    keep = first_order_columns(full.dictionary)
    assert 0 < keep.size < full.dictionary.size
    first = lb.fit_lasso(data, family=full.family, beta=beta, dictionary=full.dictionary.subset(keep))
    assert first.objective > 1.02 * full.objective
    assert continuous_search(first)["ratio"] > 1.05       # the search finds the missing mirrors
    assert continuous_search(full)["ratio"] <= 1 + 1e-6


def test_chain_net_forward_penalty_and_reconstruction():
    acts = ("relu", "abs", "leaky_relu")
    fam = NarrowChain(acts, rho=0.25)
    params = {"s1": np.array([1.0, -1.0]), "s2": np.array([1.0, 1.0]), "s3": np.array([-1.0, 1.0]),
              "t1": np.array([0.5, -0.2]), "t2": np.array([0.3, 1.0]), "t3": np.array([-0.4, 0.1])}
    coef = np.array([2.0, -0.5])
    net = fam.reconstruct(params, coef, xi=0.7)
    x = np.linspace(-3, 3, 61)
    expected = sum(c * fam.shape(x, **{k: v[i] for k, v in params.items()}) for i, c in enumerate(coef)) + 0.7
    assert np.allclose(net.predict(x), expected, atol=1e-12)
    assert net.penalty(0.3)[0].item() == pytest.approx(0.3 * np.abs(coef).sum())
    assert np.allclose(net.unit_coefficients()[0], coef)
    other = ChainNet(acts, width=4, n_models=2, rho=0.25)
    other.random_init([3, 4], x)
    assert other(torch.as_tensor(x)).shape == (2, x.size)


def test_adam_never_beats_the_four_layer_abs_lasso():
    data = lb.random_dataset(6, 0)
    beta = 0.05
    fit = lb.fit_lasso(data, family=lb.get_family("abs", 4), beta=beta)
    runs = train_adam(data, family=fit.family, beta=beta, width=10, seeds=range(4), epochs=800, lr=1e-2)
    gaps = runs.gaps(fit.objective)
    assert (gaps >= -1e-8).all(), gaps


# ---------------------------------------------------------------------------- book helpers
def test_book_helpers_census_rows_and_mirror_order():
    from lassobook.paper.abs_deeper import activation_depth_rows, census_table, check_mirror_order, spread_selection

    census = census_table(range(3, 6), lb.get_family("abs", 4), noise=1.0)
    assert list(census.index) == [3, 4, 5]
    assert (census[list(KINK_CLASSES)].sum(axis=1) == census["columns"]).all()
    assert (census["other"] == 0).all()
    rows = activation_depth_rows()
    keys = {(r[0], r[1]) for r in rows}
    assert len(keys) == len(rows)        # one row per (activations, depth)
    # every homogeneous activation at depths 2-4, and the symmetrized ReLU
    assert {(a, d) for a in ("relu", "leaky_relu", "abs") for d in (2, 3, 4)} <= keys
    assert ("symmetrized_relu", 3) in keys
    data = lb.as_dataset(SECOND_ORDER_EXAMPLE["x"], SECOND_ORDER_EXAMPLE["y"])
    d = lb.build_dictionary(data, lb.get_family("abs", 4))
    second = np.flatnonzero(kink_census(d) == "second order")
    assert set(spread_selection(d, second, 6)) <= set(second)
    deepest = {(name, depth): DEEPEST_KINK[mirror_order(fam.activations)]
               for name, depth, fam, _ in rows if isinstance(fam, NarrowChain)}
    deepest[("abs", 3)] = "reflection"
    assert "predict" in check_mirror_order(rows, deepest)


@pytest.mark.parametrize("family", [lb.get_family("relu"), lb.get_family("sign"), lb.get_family("abs", depth=3),
                                    lb.get_family("relu", depth=4), NarrowChain(("abs", "relu")),
                                    lb.get_family("symmetrized_relu")])
def test_no_coefficient_reconstructs_the_constant_network(family):
    """``Family.units``: with no coefficient, one unit of zero output and zero penalty."""
    net = family.reconstruct({}, np.zeros(0), 0.7)
    x = np.linspace(-3.0, 3.0, 9)
    assert np.array_equal(net.predict(x), np.full(x.size, 0.7))
    assert float(net.penalty(1.0)[0].detach()) == 0.0
