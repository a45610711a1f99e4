"""Sign and threshold networks of any depth: switching dictionaries and closed forms."""

import itertools
import math

import cvxpy as cp
import numpy as np
import pytest
import torch
from conftest import datasets, without_support
from hypothesis import given
from hypothesis import strategies as st

import lassobook as lb
from lassobook.core.dictionary import evaluate_shapes
from lassobook.families.sign import DeepSign, exact_certificate, multiscale_turns
from lassobook.families.sign_network import (
    DeepSignNet,
    sample_unit_patterns,
    unit_weights,
)
from lassobook.families.sign_patterns import (
    backward_table,
    count_switches,
    dictionary_size,
    enumerate_unit_patterns,
    forward_table,
    max_switches,
    max_switching_correlation,
    max_switching_value,
    patterns_from_gaps,
    switch_profile,
    switching_gaps,
    switching_patterns,
    threshold_functions,
    trace_through,
)
from lassobook.solvers.closed_forms import (
    clip_levels,
    linf_network_fit,
    project_l1_ball,
    prox_linf,
    tv_network_fit,
)
from lassobook.solvers.working_set import fit_structured

torch.set_num_threads(1)

betas = st.sampled_from([1e-3, 1e-2, 0.1, 1.0])
ARCHS = [("rectangular", (1,)), ("rectangular", (2,)), ("rectangular", (3, 2)),
         ("tree", (2, 2)), ("tree", (1, 3)), ("tree", (2, 1, 2)), ("rectangular", (2, 1, 1))]
families = st.builds(lambda act, aw: lb.get_family(act, depth=len(aw[1]) + 2, architecture=aw[0],
                                                   widths=aw[1]),
                     st.sampled_from(["sign", "threshold"]), st.sampled_from(ARCHS))


def _grid(x):
    x = np.asarray(x, dtype=float)
    return np.concatenate([np.linspace(x.min() - 1, x.max() + 1, 301), x])


# ---------------------------------------------------------------------------- Lasso = network
@given(xy=datasets(max_n=8), beta=betas, fam=families)
def test_lasso_optimum_equals_reconstructed_network_and_certificates_hold(xy, beta, fam):
    x, y = xy
    fit = lb.fit_lasso(x, y, family=fam, beta=beta)
    assert abs(fit.network_objective() - fit.objective) <= 1e-6 * fit.objective + 1e-12
    grid = _grid(x)
    assert np.allclose(fit.network().predict(grid), fit.predict(grid), atol=1e-8)
    sampled = fit.certificate(resolution=300)
    assert sampled.certified, str(sampled)
    exact = exact_certificate(fit)
    assert exact.certified, str(exact)
    # the dictionary's own dual max never exceeds the exact one
    assert exact.dictionary_max <= exact.max_dual * (1 + 1e-9) + 1e-12


@given(xy=datasets(min_n=3, max_n=8), beta=betas)
def test_exact_certificate_rejects_a_suboptimal_solution(xy, beta):
    x, y = xy
    fam = lb.get_family("sign", depth=3, widths=(2,))
    best = lb.fit_lasso(x, y, family=fam, beta=beta)
    poor = without_support(best)
    if poor is not None and poor.objective > best.objective * (1 + 1e-6) + 1e-12:
        assert not exact_certificate(poor).certified
        assert not poor.certificate(resolution=300).certified


# ---------------------------------------------------------------------------- closed forms
@pytest.mark.parametrize("activation", ["sign", "threshold"])
@given(xy=datasets(max_n=8), beta=betas)
def test_closed_forms_equal_the_lasso(activation, xy, beta):
    x, y = xy
    n = len(x)
    # K = 1 (deep narrow): TV denoising, as for two layers
    narrow = lb.fit_lasso(x, y, family=lb.get_family(activation, depth=4), beta=beta)
    fitted, obj = tv_network_fit(x, y, activation=activation, beta=beta)
    assert abs(obj - narrow.objective) <= 1e-6 * narrow.objective + 1e-12
    assert np.allclose(fitted, narrow.predict(x), atol=1e-5)
    # K >= N - 1 (tree wide enough, or rectangular with m_1 >= N - 1): ℓ∞ clipping
    for arch, widths in [("tree", (2, 2, 2)), ("rectangular", (max(1, n - 1),))]:
        full = lb.fit_lasso(x, y, family=lb.get_family(activation, depth=len(widths) + 2,
                                                       architecture=arch, widths=widths), beta=beta)
        fitted, obj = linf_network_fit(x, y, activation=activation, beta=beta)
        assert abs(obj - full.objective) <= 1e-6 * full.objective + 1e-12
        assert np.allclose(fitted, full.predict(x), atol=1e-5)


@given(xy=datasets(max_n=8), beta=betas, fam=families)
def test_threshold_lasso_at_beta_equals_sign_lasso_at_twice_beta(xy, beta, fam):
    x, y = xy
    thr = lb.get_family("threshold", depth=fam.depth, architecture=fam.architecture, widths=fam.widths)
    sgn = lb.get_family("sign", depth=fam.depth, architecture=fam.architecture, widths=fam.widths)
    a = lb.fit_lasso(x, y, family=thr, beta=beta)
    b = lb.fit_lasso(x, y, family=sgn, beta=2 * beta)
    assert abs(a.objective - b.objective) <= 1e-6 * b.objective + 1e-12
    assert np.allclose(a.predict(x), b.predict(x), atol=1e-5)


@given(y=st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=30).map(np.array),
       beta=st.sampled_from([1e-3, 0.1, 1.0, 10.0, 1e3]))
def test_linf_closed_form_matches_cvxpy_and_the_prox(y, beta):
    n = y.size
    x = np.arange(n, dtype=float)
    v, obj = linf_network_fit(x, y, activation="sign", beta=beta)
    u, xi = cp.Variable(n), cp.Variable()
    prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u + xi - y) + beta * cp.norm_inf(u)))
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
    assert abs(prob.value - obj) <= 1e-7 * max(1.0, abs(obj))
    lo, hi = clip_levels(y, beta / 2)
    xi0 = (lo + hi) / 2
    assert np.allclose(prox_linf(y - xi0, beta) + xi0, v, atol=1e-9 * max(1.0, np.abs(y).max()))
    # the residual is a dual certificate: sums to zero, ℓ1 mass β/2 on each side
    r = y - v
    assert abs(r.sum()) <= 1e-9 * max(1.0, np.abs(y).sum())
    assert np.abs(r).sum() <= beta * (1 + 1e-9) + 1e-12


def test_project_l1_ball():
    rng = np.random.default_rng(0)
    for _ in range(50):
        v = rng.normal(size=rng.integers(1, 20)) * 3
        r = float(rng.uniform(0, 5))
        p = project_l1_ball(v, r)
        assert np.abs(p).sum() <= r * (1 + 1e-12) + 1e-12
        w = cp.Variable(v.size)
        cp.Problem(cp.Minimize(cp.sum_squares(w - v)), [cp.norm1(w) <= r]).solve(
            solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)
        assert np.allclose(p, w.value, atol=1e-6)


# ---------------------------------------------------------------------------- enumeration
@pytest.mark.parametrize("arch, widths", [
    ("rectangular", (1,)), ("rectangular", (2,)), ("rectangular", (3,)), ("rectangular", (2, 1)),
    ("rectangular", (1, 3)), ("rectangular", (3, 2)), ("rectangular", (2, 2, 2)),
    ("tree", (1, 2)), ("tree", (2, 2)), ("tree", (1, 3)), ("tree", (2, 1, 2)), ("tree", (3, 3)),
])
@pytest.mark.parametrize("activation", ["sign", "threshold"])
def test_enumeration_equals_switching_set(arch, widths, activation):
    n = 7
    enumerated = enumerate_unit_patterns(n, len(widths) + 2, widths, arch, activation)
    K = max_switches(arch, widths)
    switching = np.unique(switching_patterns(n, K, activation, both_signs=True, constants=True), axis=0)
    assert np.array_equal(enumerated, switching)
    assert len(enumerated) == 2 * (1 + dictionary_size(n, K))


def test_notes_counts():
    """N = 7, rectangular m_1 = 1, 2, 3 → 14, 44, 84 patterns (both signs, constants)."""
    counts = [len(enumerate_unit_patterns(7, 3, (m,))) for m in (1, 2, 3)]
    assert counts == [14, 44, 84]
    for widths in [(1, 2), (2, 2), (1, 3)]:
        pats = enumerate_unit_patterns(7, 4, widths, "tree")
        assert count_switches(pats).max() == min(6, widths[0] * widths[1])


def test_threshold_function_counts():
    for act in ("sign", "threshold"):
        assert [len(threshold_functions(m, act)) for m in range(4)] == [2, 4, 14, 104]


# ---------------------------------------------------------------------------- reconstruction
@pytest.mark.parametrize("arch, widths", ARCHS + [("tree", (3, 2)), ("rectangular", (4, 1, 2))])
@pytest.mark.parametrize("activation", ["sign", "threshold"])
def test_reconstruction_reproduces_every_pattern(arch, widths, activation):
    rng = np.random.default_rng(sum(widths))
    x = np.sort(rng.normal(size=8))
    fam = lb.get_family(activation, depth=len(widths) + 2, architecture=arch, widths=widths)
    D = lb.build_dictionary(lb.as_dataset(x, np.zeros(8)), fam)
    assert D.size == fam.dictionary_size(8)
    net = fam.reconstruct(D.params, np.ones(D.size), 0.0)
    grid = _grid(x)
    with torch.no_grad():
        on_data = net.unit_outputs(torch.as_tensor(x))[0].numpy().T
        on_grid = net.unit_outputs(torch.as_tensor(grid))[0].numpy().T
    assert np.array_equal(on_data, D.matrix)
    assert np.array_equal(on_grid, D.evaluate(grid))  # jumps exactly at the switch locations


@given(switches=st.lists(st.integers(-50, 50), unique=True, max_size=6))
def test_unit_weights_realize_any_target_with_at_most_K_switches(switches):
    t = np.sort(np.array(switches, dtype=float)) / 7
    grid = np.concatenate([np.linspace(-9, 9, 200), t])
    target = np.prod(np.where(grid[:, None] < t[None, :], 1.0, -1.0), axis=1)
    for arch, widths in [("tree", (2, 3)), ("tree", (3, 1, 2)), ("rectangular", (6, 2)), ("rectangular", (6,))]:
        for act in ("sign", "threshold"):
            net = DeepSignNet(act, len(widths) + 2, arch, widths, width=1)
            net.load_units([unit_weights(t, arch, widths, act)])
            with torch.no_grad():
                out = net.unit_outputs(torch.as_tensor(grid))[0, 0].numpy()
            assert np.array_equal(out, target if act == "sign" else (target + 1) / 2)


# ---------------------------------------------------------------------------- dictionary
def test_switching_dictionary_sizes_and_columns():
    for n, K in [(2, 1), (5, 1), (5, 2), (6, 9), (9, 3)]:
        gaps = switching_gaps(n, K)
        assert gaps.shape == (dictionary_size(n, K), min(K, n - 1))
        assert dictionary_size(n, K) == sum(math.comb(n - 1, k) for k in range(1, min(K, n - 1) + 1))
        pats = switching_patterns(n, K)
        assert (pats[:, 0] == 1).all()
        sw = count_switches(pats)
        assert sw.min() == 1 and sw.max() == min(K, n - 1)
        assert np.unique(pats, axis=0).shape[0] == pats.shape[0]
    # generated from combinations: a large N with small K is immediate
    assert switching_gaps(400, 2).shape == (399 + math.comb(399, 2), 2)
    with pytest.raises(ValueError, match="max_columns"):
        switching_gaps(40, 39)


@given(lam=st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=9).map(np.array),
       K=st.integers(0, 9))
def test_max_switching_correlation_is_exact(lam, K):
    n = lam.size
    best = max(abs(float(lam @ np.array(g))) for g in itertools.product([-1, 1], repeat=n)
               if count_switches(np.array(g)) <= K)
    value, pattern = max_switching_correlation(lam, K)
    assert abs(value - best) <= 1e-9 * max(1.0, best)
    assert count_switches(pattern) <= K and abs(abs(lam @ pattern) - value) <= 1e-9 * max(1.0, best)


@pytest.mark.parametrize("arch, widths", [("rectangular", (2,)), ("rectangular", (2, 3)), ("tree", (2, 2))])
def test_random_units_stay_within_K_switches(arch, widths):
    fam = lb.get_family("sign", depth=len(widths) + 2, architecture=arch, widths=widths)
    pats = sample_unit_patterns(fam, np.arange(9.0), n_units=4000)
    assert count_switches(pats).max() <= fam.K
    assert count_switches(pats).max() >= 2  # the sampler does reach multi-switch patterns


# ---------------------------------------------------------------------------- network
def test_network_objective_formula_and_zero_inner_gradients():
    fam = lb.get_family("sign", depth=4, architecture="tree", widths=(2, 2))
    net = fam.network(width=5, n_models=3)
    x = np.linspace(-1, 1, 9)
    y = np.sin(3 * x)
    net.random_init([0, 1, 2], x)
    beta = 0.3
    obj = net.objective(x, y, beta)
    with torch.no_grad():
        g = net.unit_outputs(torch.as_tensor(x)).numpy()
        a, s, xi = net.alpha.numpy(), net.amplitude.numpy(), net.xi.numpy()
    f = np.einsum("sw,swn->sn", a * s, g) + xi[:, None]
    expected = 0.5 * ((f - y) ** 2).sum(1) + 0.5 * beta * (a**2 + s**2).sum(1)
    assert np.allclose(obj.detach().numpy(), expected)
    inner = [net.first_w, net.first_b, net.unit_w, net.unit_b, *net.hidden_w, *net.hidden_b]
    grads = torch.autograd.grad(obj.sum(), inner + [net.alpha], materialize_grads=True)
    assert all(gr.abs().max().item() == 0 for gr in grads[:-1])
    assert grads[-1].abs().max().item() > 0
    # copies are independent
    net2 = fam.network(width=5, n_models=1)
    net2.random_init([1], x)
    assert np.allclose(net2.objective(x, y, beta).detach().numpy(), obj.detach().numpy()[1])


# ---------------------------------------------------------------------------- arguments
def test_get_family_dispatch_and_defaults():
    fam = lb.get_family("sign", depth=5)
    assert isinstance(fam, DeepSign) and fam.widths == (1, 1, 1) and fam.architecture == "rectangular"
    assert fam.K == 1
    assert lb.get_family("threshold", depth=4, architecture="tree", widths=(2, 3)).K == 6
    assert lb.get_family("sign", depth=3, widths=3).widths == (3,)
    assert "DeepSign('sign', depth=4" in repr(lb.get_family("sign", depth=4, widths=(2, 1)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(depth=4, widths=(0, 1)), "positive integers"),
    (dict(depth=4, widths=(2, -1)), "positive integers"),
    (dict(depth=4, widths=(2.5, 1)), "positive integers"),
    (dict(depth=4, widths=(2,)), "needs 2 entries"),
    (dict(depth=3, widths=(2, 2)), "needs 1 entries"),
    (dict(depth=4, architecture="moebius"), "architecture 'moebius' is not supported"),
    (dict(depth=4, architecture="parallel"), "choose one of 'rectangular', 'tree'"),
    (dict(depth=4, widths="ab"), "positive integers"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lb.get_family("sign", **kwargs)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="sign and threshold"):
        DeepSign("relu", 3)
    with pytest.raises(ValueError, match="depth must be an integer >= 3"):
        DeepSign("sign", 2)
    with pytest.raises(ValueError, match="at most 2 switches"):
        unit_weights([0.0, 1.0, 2.0], "rectangular", (2, 5))
    with pytest.raises(ValueError, match="widths <= 4"):
        enumerate_unit_patterns(5, 3, (5,))
    with pytest.raises(ValueError, match="max_columns"):
        lb.build_dictionary(lb.random_dataset(30, 0), DeepSign("sign", 3, widths=(29,), max_columns=1000))


# ---------------------------------------------------------------------------- book helpers
def test_book_helpers_enumeration_and_size_tables():
    from lassobook.paper.sign_networks import (
        check_enumeration_facts,
        enumeration_table,
        size_table,
    )

    cases = [("rectangular", (2,)), ("rectangular", (3,)), ("rectangular", (3, 2)),
             ("rectangular", (2, 2, 2)), ("tree", (2, 2)), ("tree", (3, 3))]
    df, enumerated, equal = enumeration_table(cases, 5)
    assert all(equal.values()) and (df["equal"] == "yes").all()
    assert check_enumeration_facts(enumerated, 5).startswith("all 12 enumerations")
    sizes = size_table([(8, lb.get_family("sign", depth=3, widths=(2,)))])
    assert sizes.loc[0, "columns built"] == sizes.loc[0, "formula"] == 7 + 21


def test_book_helpers_depth_fits_and_K():
    from lassobook.paper.sign_networks import (
        DEPTH_ORDER,
        depth_families,
        depth_fits,
        linf_threshold_K,
        optimum_by_K,
    )

    data = lb.random_dataset(7, 2, noise=2.0)
    df, fits, sampled, exact = depth_fits(depth_families(), data, 0.5, n_random_units=2000)
    assert set(DEPTH_ORDER) <= set(df.index)
    by_K = optimum_by_K(df, data, 0.5)
    K_star = linf_threshold_K(by_K, data, 0.5)
    assert 1 <= K_star <= data.n - 1


# ---------------------------------------------------------------------------- the structured oracle
ORACLE_ARCHS = [("rectangular", (2,)), ("rectangular", (2, 2)), ("tree", (2,)), ("tree", (2, 2)),
                ("rectangular", (3, 1)), ("tree", (1, 3))]


@given(n=st.integers(2, 11), seed=st.integers(0, 10**6), act=st.sampled_from(["sign", "threshold"]),
       aw=st.sampled_from(ORACLE_ARCHS), k=st.integers(1, 30))
def test_oracle_maximum_is_the_dense_dictionary_maximum(n, seed, act, aw, k):
    """search/maximum == max |Aᵀλ| over the dense dictionary (λ ⟂ 1, as every Lasso dual is);
    the candidates are distinct columns whose correlations are those of the dense columns."""
    arch, widths = aw
    rng = np.random.default_rng(seed)
    fam = lb.get_family(act, depth=len(widths) + 2, architecture=arch, widths=widths)
    data = lb.as_dataset(np.sort(rng.normal(size=n)), rng.normal(size=n))
    D = lb.build_dictionary(data, fam)
    lam = rng.normal(size=n)
    lam -= lam.mean()
    dense = float(np.abs(lam @ D.matrix).max())
    oracle = fam.oracle(data)
    sums = oracle.sums(lam[data.order])
    value, keys, corr = oracle.search(sums, k)
    assert abs(value - dense) <= 1e-9 * max(1.0, dense)
    assert abs(oracle.maximum(sums) - dense) <= 1e-9 * max(1.0, dense)
    assert oracle.continuous
    assert 1 <= keys.shape[0] <= k and len({r.tobytes() for r in keys}) == keys.shape[0]
    assert abs(abs(corr[0]) - value) <= 1e-9 * max(1.0, dense)
    cols = oracle.matrix(keys)                          # sorted order
    assert np.allclose(corr, lam[data.order] @ cols, atol=1e-9)
    assert np.allclose(cols, evaluate_shapes(fam, data.x_sorted, oracle.params(keys)))
    dense_cols = {tuple(c) for c in D.matrix[data.order].T.tolist()}
    assert all(tuple(c) in dense_cols for c in cols.T.tolist())
    if hasattr(oracle, "form"):
        assert np.allclose(oracle.form(keys).evaluate(data.x_sorted), cols)


@given(lam=st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=9).map(np.array),
       K=st.integers(1, 5))
def test_switch_profile_is_the_best_pattern_through_each_boundary(lam, K):
    n = lam.size
    K = min(K, n - 1)
    pats = [np.array(g) for g in itertools.product([-1, 1], repeat=n) if count_switches(np.array(g)) <= K]
    F, PF = forward_table(lam, K)
    B, PB = backward_table(lam, K)
    v, codes = switch_profile(F, B)
    rows = trace_through(PF, PB, np.arange(1, n), codes)
    scale = max(1.0, float(np.abs(lam).sum()))
    for b in range(1, n):
        through = max(float(lam @ g) for g in pats if g[b] != g[b - 1])
        assert abs(v[b - 1] - through) <= 1e-9 * scale
        g = patterns_from_gaps(rows[b - 1][None], n)[0]
        assert g[b] != g[b - 1] and count_switches(g) <= K
        assert abs(abs(float(lam @ g)) - through) <= 1e-9 * scale
    assert abs(max_switching_value(lam, K) - max(float(lam @ g) for g in pats)) <= 1e-9 * scale


@given(R=st.lists(st.floats(-5, 5, allow_nan=False), min_size=2, max_size=40).map(np.array),
       k=st.integers(1, 10))
def test_turning_points_alternate_and_are_valid_boundaries(R, k):
    for turns in multiscale_turns(R, k):
        assert np.all(np.diff(turns) > 0) and (turns.size == 0 or (turns[0] >= 1 and turns[-1] <= R.size - 2))
        d = np.diff(R[turns])
        assert np.all(d[1:] * d[:-1] < 0)            # maxima and minima alternate


@pytest.mark.parametrize("activation", ["sign", "threshold"])
def test_structured_fit_at_n_2000_is_certified(activation):
    """The working-set solver certifies a depth-3 sign/threshold fit over the continuous family."""
    data = lb.random_dataset(2000, 0)
    fam = lb.get_family(activation, depth=3, widths=(2,))
    fit = fit_structured(data, family=fam, beta=0.01 * data.n)
    cert = fit.certificate()
    assert cert.certified, str(cert)
    assert fit.oracle.continuous and cert.max_dual <= fit.beta * (1 + cert.tol)
    assert fit.history[-1]["ratio"] <= 1 + fit.tol
    assert abs(fit.network_objective() - fit.objective) <= 1e-8 * fit.objective


def test_network_in_chunks_equals_one_pass():
    """The torch forward (taken when gradients are on) in chunks equals it in one pass."""
    fam = lb.get_family("threshold", depth=4, architecture="tree", widths=(2, 2))
    net = fam.network(width=7, n_models=2)
    x = np.linspace(-2, 2, 1001)
    net.random_init([3, 4], x)
    whole = net(torch.as_tensor(x)).detach().numpy()
    net.chunk_entries = 50                           # a few points per chunk
    assert len(net._chunks(torch.as_tensor(x))) > 10
    parts = net(torch.as_tensor(x)).detach().numpy()
    assert np.allclose(whole, parts, rtol=1e-13, atol=1e-13)


@given(act=st.sampled_from(["sign", "threshold"]), aw=st.sampled_from(ARCHS),
       seed=st.integers(0, 10**6), models=st.integers(1, 3))
def test_compiled_forward_is_the_torch_forward(act, aw, seed, models):
    """Without gradients the network is evaluated by one compiled pass (sign_forward): the same
    unit outputs as the torch forward, on random weights (some units with coefficient 0) and on
    points placed exactly where level-1 neurons switch."""
    arch, widths = aw
    net = DeepSignNet(act, len(widths) + 2, arch, widths, width=9, n_models=models)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.randn(p.shape, generator=gen, dtype=p.dtype))
        net.alpha[:, ::4] = 0.0
    rng = np.random.default_rng(seed)
    w, b = net.first_w.detach().numpy(), net.first_b.detach().numpy()
    x = np.concatenate([rng.uniform(-3, 3, 200), (-b / w).ravel()[:40], [0.0]])
    reference = net(torch.as_tensor(x)).detach().numpy()            # torch (gradients on)
    with torch.no_grad():
        compiled = net(torch.as_tensor(x)).numpy()
    assert compiled.shape == reference.shape == (models, x.size)
    scale = 1 + float((net.alpha * net.amplitude).detach().abs().sum(dim=1).max())
    assert np.abs(compiled - reference).max() <= 1e-12 * scale
