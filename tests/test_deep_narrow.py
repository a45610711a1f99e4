"""Deep narrow ReLU networks (L = 3, 4): dictionary, Lasso = network, certificates, Figures 2 and 3."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.core.certificate import dual_correlations
from lassobook.paper.authors import AUTHORS_PROTOCOL, FIG3_THEORETICAL, AuthorsNet, authors_init, authors_kink, authors_options, authors_split_network, theoretical_coefficients
from lassobook.families.deep_narrow import DeepNarrowNet, DeepNarrowReLU, capped_ramp, chain_shape
from lassobook.paper.deep_narrow import basis_pursuit, optimal_supports
from lassobook.analysis.kinks import function_kinks
from lassobook.solvers.lasso import lasso_objective
from lassobook.training import train_adam

from conftest import datasets

torch.set_num_threads(1)
small = datasets(min_n=3, max_n=6)
betas = st.sampled_from([1e-2, 0.1, 1.0])


# ---------------------------------------------------------------------- the naive dictionary
def naive_feature(l, s, j, k, xs, x):
    """The paper's recursive definition, one entry at a time (the authors' ``reludic``)."""
    if l == 1:
        return x
    l = l - 1
    if l == 1 and k == 1:
        a = 2 * xs[j[1]] - xs[j[0]]
    else:
        a = xs[j[l - 1]]
    return max(0.0, s[l - 1] * (naive_feature(l, s, j, k, xs, x) - naive_feature(l, s, j, k, xs, a)))


def naive_dictionary(xs, L):
    """Dense raw matrix (n, (2N)^{L−1}·K), entry by entry, in the family's raw order (k, s, j)."""
    n, D = xs.size, L - 1
    K = 2 if L == 4 else 1
    cols = []
    for k in range(K):
        for s_idx in np.ndindex(*(2,) * D):
            s = [-1.0 if v == 0 else 1.0 for v in s_idx]
            for j in np.ndindex(*(n,) * D):
                cols.append([naive_feature(L, s, j, k, xs, xv) for xv in xs])
    return np.array(cols).T


@pytest.mark.parametrize("L", [3, 4])
@settings(max_examples=8)
@given(xy=datasets(min_n=2, max_n=5))
def test_vectorized_raw_dictionary_equals_naive_recursion(L, xy):
    x, y = xy
    data = lb.as_dataset(x, y)
    fam = DeepNarrowReLU(L)
    params, labels = fam.raw_dictionary(data)
    xs = data.x_sorted
    A = fam.shape(xs[:, None], **{k: v[None, :] for k, v in params.items()})
    naive = naive_dictionary(xs, L)
    assert A.shape == naive.shape == (xs.size, (2 * xs.size) ** (L - 1) * (2 if L == 4 else 1))
    assert np.allclose(A, naive, rtol=0, atol=1e-12)
    assert len(labels) == A.shape[1]
    # every kept column maps back to its raw labels and evaluates as its raw column
    # (up to a constant, and up to sign for an alias marked "−")
    D = lb.build_dictionary(data, fam)
    index = {lab: i for i, lab in enumerate(labels)}
    centered = naive - naive.mean(axis=0)
    for c in range(D.size):
        kept = D.matrix[data.order, c] - D.matrix[:, c].mean()
        assert D.aliases[c][0] == D.labels[c]
        for alias in D.aliases[c]:
            sign = -1.0 if alias.startswith("−") else 1.0
            assert np.allclose(centered[:, index[alias.lstrip("−")]], sign * kept, atol=1e-9)


@pytest.mark.parametrize("L", [3, 4])
@settings(max_examples=6)
@given(xy=datasets(min_n=2, max_n=8))
def test_pruned_columns_are_distinct_up_to_sign_and_constant(L, xy):
    x, y = xy
    D = lb.build_dictionary(lb.as_dataset(x, y), DeepNarrowReLU(L))
    C = D.matrix - D.matrix.mean(axis=0)
    # a column equals only itself (up to sign and a constant) once negated pairs are merged
    for k in range(D.size):
        twins = np.flatnonzero(np.all(np.isclose(C, C[:, [k]]) | np.isclose(C, -C[:, [k]]), axis=0))
        assert list(twins) == [k]


@pytest.mark.parametrize("L", [3, 4])
@settings(max_examples=6)
@given(xy=small)
def test_every_chain_is_a_signed_capped_ramp_with_its_kinks(L, xy):
    x, y = xy
    data = lb.as_dataset(x, y)
    fam = DeepNarrowReLU(L)
    D = lb.build_dictionary(data, fam)
    grid = np.linspace(x.min() - 3, x.max() + 3, 1201)
    values = D.evaluate(grid)
    for c in range(D.size):
        p = {k: v[c] for k, v in D.params.items()}
        sigma, lo, hi = fam.canonical(p)
        ramp = sigma * capped_ramp(lo, hi, grid)
        diff = values[:, c] - ramp
        assert np.ptp(diff) < 1e-9, (D.labels[c], sigma, lo, hi)
        kinks = D.kinks(c)
        assert set(np.round(kinks, 9)) == set(np.round([v for v in (lo, hi) if np.isfinite(v)], 9))


# ---------------------------------------------------------------------- Lasso = network, certificates
@pytest.mark.parametrize("L", [3, 4])
@settings(max_examples=10)
@given(xy=small, beta=betas)
def test_lasso_optimum_equals_reconstructed_network_and_is_certified(L, xy, beta):
    x, y = xy
    fam = lb.get_family("relu", depth=L)
    fit = lb.fit_lasso(x, y, family=fam, beta=beta)
    assert abs(fit.network_objective() - fit.objective) <= 1e-6 * fit.objective + 1e-12
    assert np.allclose(fit.network().predict(x), fit.predict(x), atol=1e-8)
    cert = fit.certificate()
    assert cert.certified, str(cert)


@settings(max_examples=10)
@given(xy=small, beta=betas)
def test_three_and_four_layer_optima_coincide_and_reflections_do_not_lower_them(xy, beta):
    x, y = xy
    objs = [lb.fit_lasso(x, y, family=fam, beta=beta).objective
            for fam in (DeepNarrowReLU(3), DeepNarrowReLU(4), DeepNarrowReLU(4, reflections=False))]
    assert max(objs) - min(objs) <= 1e-6 * min(objs) + 1e-12, objs


@settings(max_examples=8)
@given(xy=small, beta=betas)
def test_merging_negated_pairs_keeps_the_optimum(xy, beta):
    x, y = xy
    fam = DeepNarrowReLU(4)
    data = lb.as_dataset(x, y)
    merged = lb.build_dictionary(data, fam)
    full = lb.build_dictionary(data, fam, prune=False)
    assert merged.size <= full.size
    a = lb.fit_lasso(data, family=fam, beta=beta, dictionary=merged).objective
    b = lb.fit_lasso(data, family=fam, beta=beta, dictionary=full).objective
    assert abs(a - b) <= 1e-6 * b + 1e-12


def test_certificate_rejects_a_suboptimal_solution():
    data = lb.paper_dataset("fig3")
    fam = DeepNarrowReLU(4)
    best = lb.fit_lasso(data, family=fam, beta=0.1, dictionary=lb.build_dictionary(data, fam))
    rest = np.setdiff1d(np.arange(best.dictionary.size), best.support)
    poor = lb.fit_lasso(data, family=fam, beta=0.1, dictionary=best.dictionary.subset(rest))
    assert poor.objective > best.objective * (1 + 1e-6)
    assert not poor.certificate().certified


@pytest.mark.parametrize("L", [3, 4])
def test_adam_never_beats_the_optimum(L):
    data = lb.paper_dataset("fig19")
    fam = DeepNarrowReLU(L)
    fit = lb.fit_lasso(data, family=fam, beta=0.1)
    runs = train_adam(data, family=fam, beta=0.1, width=20, seeds=range(4), epochs=400, progress=False)
    assert runs.objectives.min() >= fit.objective * (1 - 1e-6)


def test_parallel_network_penalty_uses_absolute_values():
    net = DeepNarrowNet(3, width=2)
    with torch.no_grad():
        net.w1.fill_(-2.0)
        net.alpha.fill_(-1.0)
    assert float(net.penalty(3.0)[0].detach()) == pytest.approx((3.0 / 3) * 2 * (8 + 1 + 1))


# ---------------------------------------------------------------------- Figure 3
def _ramp_5_8_network():
    """ramp(5, 8, x) as a 4-layer chain, weights written by hand: relu(relu(4 − relu(8 − x)) − 1)."""
    net = DeepNarrowNet(4, width=1)
    with torch.no_grad():
        for name, value in [("w1", -1), ("b1", 8), ("w2", -1), ("b2", 4), ("w3", 1), ("b3", -1),
                            ("alpha", 1)]:
            getattr(net, name).fill_(float(value))
    return net


def test_fig3_one_neuron_reflection_network_interpolates_costs_beta_and_is_optimal():
    data = lb.paper_dataset("fig3")
    x, y = data.x, data.y
    assert 8.0 == 2 * 4.0 - 0.0
    ramp = np.minimum(np.maximum(x - 5, 0), 3)                    # ramp(5, 8, x), by hand
    assert np.array_equal(ramp, y)
    net = _ramp_5_8_network()
    grid = np.linspace(-2, 13, 301)
    assert np.allclose(net.predict(grid), np.minimum(np.maximum(grid - 5, 0), 3), atol=1e-12)
    fam = DeepNarrowReLU(4)
    D = lb.build_dictionary(data, fam)
    _, _, l1, lam = basis_pursuit(D)                               # the beta -> 0 dual
    sup = dual_correlations(fam, x, lam, fam.candidate_params(data)).max()
    assert l1 == pytest.approx(1.0, rel=1e-12) and sup <= 1 + 1e-9
    for beta in (1e-4, 1e-7):
        primal = float(net.objective(x, y, beta)[0].detach())
        assert primal == pytest.approx(beta, rel=1e-12)             # interpolates, cost beta·1
        # beta·lam is dual feasible over the continuous family: primal − dual = ½β²‖lam‖²
        dual = beta * (y @ lam) - 0.5 * beta**2 * (lam @ lam)
        assert primal - dual <= 0.5 * beta**2 * (lam @ lam) * (1 + 1e-9)
        fit = lb.fit_lasso(data, family=fam, beta=beta, dictionary=D)
        assert dual * (1 - 1e-6) <= fit.objective <= primal * (1 + 1e-6)
    # one neuron is the smallest optimal network at beta = 1e-7; L = 3 needs two
    assert optimal_supports(fit, 1)[0] == 1
    fit3 = lb.fit_lasso(data, family=DeepNarrowReLU(3), beta=1e-7, dictionary=lb.build_dictionary(data, DeepNarrowReLU(3)))
    assert optimal_supports(fit3, 1)[0] is None and optimal_supports(fit3, 2)[0] == 2


@pytest.mark.parametrize("L", [2, 3, 4])
def test_fig3_theoretical_networks_interpolate_and_are_optimal_as_beta_goes_to_zero(L):
    data = lb.paper_dataset("fig3")
    fam = lb.get_family("relu", depth=L)
    D = lb.build_dictionary(data, fam)
    units = FIG3_THEORETICAL[L]
    f = sum(c * capped_ramp(p, q, data.x) for c, p, q in units)
    assert np.allclose(f, data.y, atol=1e-12)
    l1_theory = sum(abs(c) for c, _, _ in units)
    # beta -> 0: minimum-l1 interpolation (exact LP) and its certificate over the continuous family
    z, xi, l1, lam = basis_pursuit(D)
    assert l1 == pytest.approx(l1_theory, rel=1e-9)
    sup = dual_correlations(fam, data.x, lam, fam.candidate_params(data)).max()
    assert sup <= 1 + 1e-9
    # beta = 1e-7 (the paper's): the Lasso optimum is beta·l1 up to O(beta^2) and solver accuracy
    beta = 1e-7
    zt = theoretical_coefficients(D, units)
    xi_t = float(np.mean(data.y - D.matrix @ zt))
    obj_t = lasso_objective(D.matrix, data.y, zt, xi_t, beta)
    fit = lb.fit_lasso(data, family=fam, beta=beta, dictionary=D, min_norm=True)
    assert obj_t == pytest.approx(beta * l1_theory, rel=1e-12)
    assert fit.objective == pytest.approx(obj_t, rel=1e-5)
    grid = np.linspace(-1, 12, 261)
    theory_f = sum(c * capped_ramp(p, q, grid) for c, p, q in units)
    mn_f = fit.predict(grid)
    offset = np.mean(mn_f - theory_f)
    if L in (2, 3):   # the computed minimum-norm network is the theoretical function
        assert np.allclose(mn_f - offset, theory_f, atol=1e-4)
    else:             # L = 4: it is not ramp(5, 8): the min-l2 point spreads over ramp(5, q), q = 7, 8, 9, 10
        assert not np.allclose(mn_f - offset, theory_f, atol=1e-2)
        canon = {c: fam.canonical({k: v[c] for k, v in D.params.items()}) for c in fit.support}
        coef = {canon[c][1:]: canon[c][0] * fit.solution.z[c]    # σ·z: the coefficient on ramp(p, q)
                for c in fit.support if abs(fit.solution.z[c]) > 1e-6}
        coef = {(float(p), float(q)): z for (p, q), z in coef.items()}
        assert sorted(coef) == [(5.0, 7.0), (5.0, 8.0), (5.0, 9.0), (5.0, 10.0)]
        assert [coef[k] for k in sorted(coef)] == pytest.approx([0.4, 0.3, 0.2, 0.1], abs=1e-4)


# ---------------------------------------------------------------------- Figure 2 and the authors' network
def test_fig2_left_seeded_network_costs_twice_the_interpolant():
    data = lb.paper_dataset("fig2_left")
    fam = DeepNarrowReLU(4)
    seeded = 1.5 * capped_ramp(2, 4, data.x)
    best = 0.75 * capped_ramp(2, 6, data.x)
    assert np.array_equal(seeded, data.y) and np.array_equal(best, data.y)
    beta = 1e-8
    fit = lb.fit_lasso(data, family=fam, beta=beta)
    assert fit.objective == pytest.approx(0.75 * beta, rel=1e-5)
    assert fit.certificate().certified


def test_authors_init_reproduces_their_figure_2_left_kink():
    """Their notebook prints initial loss 0.1711832 and, after 1000 epochs, kink = 4.248748748748748."""
    s = AUTHORS_PROTOCOL[("fig2_left", 4)]
    data = lb.paper_dataset(s["dataset"])
    net = AuthorsNet(4, s["width"])
    authors_init(net, [s["seed"]], data.x_sorted, seeded=s["seeded"])
    assert float(net.authors_loss(data.x, data.y, s["beta"])[0].detach()) == pytest.approx(0.1711832, abs=1e-7)
    runs = train_adam(data, beta=s["beta"], width=s["width"], seeds=[s["seed"]], epochs=s["epochs"],
                      **authors_options(4, s["seeded"]))
    net = runs.network
    # exact with MKL_CBWR=AVX2 (tests/conftest.py, as the book build pins it): MKL's AVX-512
    # path moves the kink one step of the authors' 1000-point grid (to 4.2568)
    assert authors_kink(net, data, 0) == pytest.approx(4.248748748748748, abs=1e-9)


@pytest.mark.parametrize("L", [3, 4])
def test_authors_architecture_goes_below_the_lasso_optimum(L):
    data = lb.paper_dataset("fig2_left")
    fam = DeepNarrowReLU(L)
    beta = 1e-8
    fit = lb.fit_lasso(data, family=fam, beta=beta, dictionary=lb.build_dictionary(data, fam))
    [neuron] = [n for n in fit.neurons() if abs(n["coefficient"]) > 1e-3]
    params = {k: np.array([v]) for k, v in neuron["params"].items()}
    for m in (1, 100):
        net = authors_split_network(fam, params, neuron["coefficient"], fit.solution.xi, m)
        single = neuron["coefficient"] * fam.shape(data.x[:, None], **{k: v[None] for k, v in params.items()})[:, 0] + fit.solution.xi
        assert np.allclose(net.predict(data.x), single, atol=1e-9)
        penalty = float(net.penalty(beta)[0].detach())
        assert penalty == pytest.approx(beta * abs(neuron["coefficient"]) * m ** ((2 - L) / L), rel=1e-9)
    assert float(net.objective(data.x, data.y, beta)[0].detach()) < 0.5 * fit.objective


def test_function_kinks_finds_the_kinks_of_a_capped_ramp():
    grid = np.linspace(0, 10, 10001)
    [k] = function_kinks(capped_ramp(2.3456, 7.0, grid)[None], grid)
    assert np.allclose(k, [2.3456, 7.0], atol=2e-3)


def test_get_family_dispatch():
    assert isinstance(lb.get_family("relu", depth=3), DeepNarrowReLU)
    assert lb.get_family("relu", depth=4).depth == 4
    with pytest.raises(ValueError, match="parallel"):
        lb.get_family("relu", depth=4, architecture="tree")
    with pytest.raises(ValueError, match="not supported"):
        lb.get_family("relu", depth=5)
    with pytest.raises(ValueError, match="depth 3 and 4"):
        DeepNarrowReLU(5)


def test_chain_shape_broadcasts():
    x = np.linspace(-1, 1, 7)[:, None]
    out = chain_shape(x, [np.ones((1, 3)), -np.ones((1, 3))], [np.zeros((1, 3)), np.full((1, 3), 0.5)])
    assert out.shape == (7, 3)


def test_chapter_tables_on_fig3():
    """The deep narrow chapter's helpers: dictionary table, same optimum, smallest networks."""
    import lassobook as lb
    from lassobook.paper.deep_narrow import certify_cases, dictionary_table, same_optimum_table, smallest_table

    data = lb.paper_dataset("fig19")
    table = dictionary_table(data, 4)
    assert len(table) == 11 and table["reflection breakpoint"].notna().sum() == 5
    assert set(table["reflection breakpoint"].dropna()) == {4.0, 5.0}
    cases = [("fig3", lb.paper_dataset("fig3"), 0.1)]
    fits, cert = certify_cases(cases)
    assert len(cert) == 2 and (cert["certificate ratio"] <= 1 + 1e-5).all()
    assert (same_optimum_table(cases, fits)["rel. spread"] <= 1e-5).all()
    cases = [("fig3", lb.paper_dataset("fig3"), 1e-7)]
    fits, _ = certify_cases(cases)
    smallest = smallest_table(cases, fits)
    assert list(smallest.iloc[0][["L = 3", "L = 4"]]) == ["2", "1"]


@pytest.mark.parametrize("name", ["fig2_left", "fig2_right", "fig3", "fig18", "fig19"])
@pytest.mark.parametrize("depth", [3, 4])
def test_structured_certifies_paper_beta(name, depth):
    """The deep narrow chapter certifies the paper's tiny-β fits at the exact active-set
    (structured) solution: it must solve and certify every paper dataset at the paper's β."""
    import lassobook as lb

    beta = 1e-7 if name == "fig3" else 1e-8
    fit = lb.fit(lb.paper_dataset(name), family=lb.get_family("relu", depth=depth), beta=beta,
                 solver="structured")
    assert fit.certificate().certified
