"""The structured (no dense dictionary) Lasso solver against the dense reference."""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import lassobook as lb
from lassobook.solvers import gram_lasso
from lassobook.solvers.closed_forms import tv_network_fit
from lassobook.core.dictionary import evaluate_shapes
from lassobook.solvers.lasso import SolverError
from lassobook.solvers.working_set import dense_fit, fit_structured, structured_oracle
from lassobook.solvers.gram_lasso import solve_gram_lasso
from lassobook.training import train_adam_until

from conftest import datasets

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
    with pytest.raises(ValueError, match="2 distinct"):
        fit_structured([1, 1, 1], [0, 1, 0], family=lb.get_family("relu"), beta=0.1)
    with pytest.raises(ValueError, match="different lengths"):
        fit_structured([0, 1, 2], [0, 1], family=lb.get_family("relu"), beta=0.1)
    with pytest.raises(ValueError, match="no structured oracle"):
        fit_structured([0, 1, 2], [0, 1, 0], family=_NotSupported(), beta=0.1)
    with pytest.raises(ValueError, match="Family"):
        structured_oracle("relu", lb.as_dataset([0, 1], [0, 1]))


def test_iteration_limit_is_an_error():
    data = lb.random_dataset(200, 0)
    with pytest.raises(SolverError, match="no certificate"):
        fit_structured(data, family=lb.get_family("relu"), beta=1e-3, batch=1, initial=1, max_iter=2)


# ---------------------------------------------------------------------------- the exact restricted solver
@st.composite
def gram_lassos(draw):
    """A restricted Lasso in Gram form: centred columns of several kinds, labels, β, a warm start.

    Columns: Gaussian with scales 1e-2..1e2, or capped ramps on random points
    (the chains' columns: many exactly dependent), plus exact dependences
    (a multiple of a column, a sum of two).  β is a fraction 1e-4..1 of
    ``max |A_cᵀy_c|`` (larger gives z = 0).
    """
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, p = draw(st.integers(2, 20)), draw(st.integers(1, 25))
    kind = draw(st.sampled_from(["gauss", "ramps", "dependent"]))
    if kind == "ramps":
        x = np.sort(rng.uniform(-1, 1, n))
        i, j = rng.integers(0, n, p), rng.integers(0, n, p)
        lo, hi = np.minimum(x[i], x[j]), np.maximum(x[i], x[j])
        A = np.clip(x[:, None], lo, hi) - lo
    else:
        A = rng.standard_normal((n, p)) * 10 ** rng.uniform(-2, 2, size=p)
        if kind == "dependent" and p >= 3:
            A[:, -1] = A[:, 0] + A[:, 1]
            A[:, -2] = A[:, 2] * rng.uniform(-3, 3)
    y = rng.standard_normal(n)
    Ac, yc = A - A.mean(axis=0), y - y.mean()
    b = Ac.T @ yc
    beta = float(np.abs(b).max(initial=0.0) * 10 ** draw(st.floats(-4, 0))) or 1.0
    z0 = None
    if draw(st.booleans()):
        z0 = rng.standard_normal(p) * (rng.random(p) < 0.5)
    return A, y, Ac, yc, beta, z0


def _kkt_error(Ac, yc, z, beta):
    """Largest violation of the Lasso's optimality conditions, per unit column norm, relative to ‖y_c‖."""
    g = Ac.T @ (yc - Ac @ z)
    norms = np.linalg.norm(Ac, axis=0)
    on = z != 0
    dev = np.where(on, np.abs(g - beta * np.sign(z)), np.abs(g) - beta)
    dev = np.where(norms > 0, dev / np.where(norms > 0, norms, 1.0), 0.0)
    return max(0.0, float(dev.max(initial=0.0))) / (1.0 + np.linalg.norm(yc))


@given(problem=gram_lassos())
def test_active_set_solver_is_exact_and_agrees_with_clarabel(problem):
    """The primal active-set method settles (no fallback), satisfies the KKT conditions to rounding,
    and its objective agrees with cvxpy + Clarabel on the dense problem (1e-8 relative, or Clarabel's
    own 1e-10 gap tolerance on ½‖y_c‖² for tiny optima) — never worse than Clarabel's."""
    A, y, Ac, yc, beta, z0 = problem
    z, method = solve_gram_lasso(Ac.T @ Ac, Ac.T @ yc, beta, z0=z0)
    assert method == "active-set"
    assert _kkt_error(Ac, yc, z, beta) <= 1e-9
    obj = 0.5 * np.sum((Ac @ z - yc) ** 2) + beta * np.abs(z).sum()
    ref = lb.solve_lasso(A, y, beta).objective
    floor = 1e-10 * (1.0 + 0.5 * yc @ yc)
    assert abs(obj - ref) <= 1e-8 * ref + floor
    assert obj <= ref + floor


@given(problem=gram_lassos())
def test_active_set_compiled_equals_interpreted(problem):
    """The numba-compiled loop and the same loop run by the interpreter give the same solution."""
    _, _, Ac, yc, beta, z0 = problem
    G, b = Ac.T @ Ac, Ac.T @ yc
    w = np.full(b.size, beta)
    args = (G, b, w)
    z_fast = np.zeros(b.size) if z0 is None else z0.copy()
    z_slow = z_fast.copy()
    steps = max(50, 10 * b.size)
    status = gram_lasso._active_set_core(*args, z_fast, steps, 1e-11, 1e-13)
    status_py = gram_lasso._active_set_core.py_func(*args, z_slow, steps, 1e-11, 1e-13)
    assert status == status_py == 0
    assert np.allclose(z_fast, z_slow, rtol=1e-9, atol=1e-12 * (1 + np.abs(z_slow).max(initial=0.0)))


def test_active_set_handles_exactly_dependent_columns():
    """Duplicated and summed columns (the chains' ramp identities) are swapped, not factored."""
    x = np.linspace(-1, 1, 9)
    ramp = lambda a, c: np.clip(x, a, c) - a
    A = np.stack([ramp(-1, 0), ramp(0, 1), ramp(-1, 1), ramp(-1, 0), ramp(-0.5, 0.5)], axis=1)
    y = np.sin(3 * x)
    Ac, yc = A - A.mean(axis=0), y - y.mean()
    for beta in (1e-3, 0.05, 0.5):
        z, method = solve_gram_lasso(Ac.T @ Ac, Ac.T @ yc, beta)
        assert method == "active-set"
        assert _kkt_error(Ac, yc, z, beta) <= 1e-10
        assert np.linalg.matrix_rank(Ac[:, z != 0]) == np.count_nonzero(z)   # a basic solution


def test_active_set_returns_zero_above_beta_max():
    rng = np.random.default_rng(0)
    A, y = rng.standard_normal((12, 5)), rng.standard_normal(12)
    Ac, yc = A - A.mean(axis=0), y - y.mean()
    beta = 1.0001 * np.abs(Ac.T @ yc).max()
    z, method = solve_gram_lasso(Ac.T @ Ac, Ac.T @ yc, beta)
    assert method == "active-set" and np.all(z == 0)


# ---------------------------------------------------------------------------- structured = dense, property-based
@pytest.mark.parametrize("initial", [None, 1], ids=["default", "column-generation"])
@pytest.mark.parametrize("name", ["relu", "deep4"])
@given(xy=datasets(min_n=2, max_n=12), beta=st.sampled_from([1e-3, 1e-2, 0.1, 1.0]))
def test_structured_equals_dense_on_random_data(name, initial, xy, beta):
    """fit_structured (whole dictionary at small N, or column generation from one column) and the dense
    cvxpy + Clarabel reference reach the same optimum (1e-8 relative; Clarabel's 1e-10 gap floor on
    ½‖y_c‖² for optima near 0), with a certificate over the full dictionary and a duality gap that
    bounds the difference."""
    fam = FAMILIES[name]()
    x, y = xy
    sf = fit_structured(x, y, family=fam, beta=beta, initial=initial)
    df = dense_fit(x, y, family=fam, beta=beta)
    yc = y - y.mean()
    floor = 1e-10 * (1.0 + 0.5 * yc @ yc)
    assert abs(sf.objective - df.objective) <= 1e-8 * df.objective + floor
    cert = sf.certificate()
    assert cert.certified and cert.max_dual_violation <= sf.tol
    gap = sf.duality_gap(cert)
    assert 0.0 <= gap <= 1e-8 * sf.objective + floor
    assert sf.objective - gap <= df.objective + floor       # the bound holds for the dense optimum too
    assert all(h["method"] == "active-set" for h in sf.history)


# ---------------------------------------------------------------------------- the pieces of the fast path
@pytest.mark.parametrize("depth", [3, 4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chain_matrix_equals_the_family_shapes_bit_for_bit(depth, seed):
    """DeepNarrowOracle.matrix on the data skips the chain but gives exactly its numbers."""
    fam = lb.get_family("relu", depth)
    data = lb.random_dataset(11, seed)
    oracle = structured_oracle(fam, data)
    keys = oracle.all_keys()
    assert np.array_equal(keys, np.stack(np.triu_indices(data.n, 1), axis=1))
    fast = oracle.matrix(keys)
    exact = evaluate_shapes(fam, data.x_sorted, oracle.params(keys))
    assert np.array_equal(fast, exact)
    grid = np.linspace(-2, 2, 9)                 # off the data: the family's own shapes
    assert np.array_equal(oracle.matrix(keys, grid), evaluate_shapes(fam, grid, oracle.params(keys)))


@pytest.mark.parametrize("name", ["relu", "deep4", "abs3", "sign"])
def test_dictionary_labels_matrix_and_aliases_of_the_working_set(name):
    """Labels are made on demand but equal the oracle's; the matrix is the columns at data.x (caller order)."""
    fam = FAMILIES[name]()
    data = lb.random_dataset(10, 4)
    for initial in (None, 2):
        sf = fit_structured(data, family=fam, beta=0.05, initial=initial)
        d = sf.dictionary
        expected = sf.oracle.labels(sf._keys)
        assert len(d.labels) == len(expected) == d.size
        assert list(d.labels) == expected and d.labels[-1] == expected[-1]
        assert d.labels[1:3] == expected[1:3]
        assert [list(a) for a in d.aliases] == [[lab] for lab in expected]
        assert np.array_equal(d.matrix, evaluate_shapes(fam, data.x, d.params))
        with pytest.raises(IndexError):
            d.labels[d.size]


def test_duality_gap_bounds_the_error_of_a_loose_fit():
    """At a loose tolerance the gap is positive and still bounds objective − (dense) optimum."""
    data = lb.random_dataset(400, 1)
    fam = lb.get_family("relu")
    loose = fit_structured(data, family=fam, beta=0.5, tol=1e-2, initial=2, batch=2)
    tight = fit_structured(data, family=fam, beta=0.5, tol=1e-10)
    cert = loose.certificate()
    gap = loose.duality_gap(cert)
    assert loose.objective - tight.objective <= gap * (1 + 1e-9) + 1e-12
    assert tight.duality_gap() <= 1e-9 * tight.objective


def test_small_beta_at_large_n_certifies_at_a_tight_tolerance():
    """β = 1e-3·N on 20 000 points: the restricted solves are exact, so the certificate reaches 1e-9."""
    data = lb.random_dataset(20_000, 0)
    sf = fit_structured(data, family=lb.get_family("relu"), beta=1e-3 * data.n, tol=1e-9)
    cert = sf.certificate()
    assert cert.max_dual_violation <= 1e-9 and cert.n_shapes == 2 * data.n
    assert all(h["method"] == "active-set" for h in sf.history)
    assert sf.duality_gap(cert) <= 1e-9 * sf.objective


def test_history_objectives_are_in_the_callers_units():
    """The restricted objectives of the history are the fit's own units (not the rescaled ones)."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 10, 500))
    fit = fit_structured(x, 1000 * np.sin(x), family=lb.get_family("relu"), beta=50.0)
    assert fit.history[-1]["objective"] == pytest.approx(fit.objective, rel=1e-9)
    assert all(h["objective"] >= fit.objective * (1 - 1e-9) for h in fit.history)


@pytest.mark.parametrize("activation, depth", [("relu", 2), ("abs", 2), ("relu", 4)])
def test_chunked_network_objective_is_the_networks_own(activation, depth, monkeypatch):
    """StructuredFit.network_objective sums the rebuilt network's squared errors over chunks,
    without autograd: the same number as the whole-batch LassoFit.network_objective (to rounding)."""
    from lassobook.solvers.lasso import LassoFit
    from lassobook.solvers.working_set import StructuredFit

    data = lb.random_dataset(3000, 5)
    fit = fit_structured(data, family=lb.get_family(activation, depth), beta=3.0)
    monkeypatch.setattr(StructuredFit, "_chunk_entries", 7 * fit.network().width)   # chunks of 7 points
    chunked, whole = fit.network_objective(), LassoFit.network_objective(fit)
    assert chunked == pytest.approx(whole, rel=1e-12)
    assert fit.iterations == len(fit.history) and fit.working_set_size >= fit.dictionary.size
