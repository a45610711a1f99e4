"""Symmetrized ReLU networks: the family contract, the vertex dictionary, mirrors, comparisons."""

import numpy as np
import pytest
import torch

import lassobook as lb
from lassobook.core.certificate import certify
from lassobook.analysis.kinks import classify_kinks
from lassobook.paper.symmetrized_relu import HAT_EXAMPLE, REFLECTION_EXAMPLE, angle_sweep, continuous_search
from lassobook.families.symmetrized_relu import SymmetrizedReLU, SymReLUNet, reflection_columns, slopes, symrelu_shape

FAM = SymmetrizedReLU()


def _datasets(count, n_min=5, n_max=8):
    """Seeded random datasets (N = n_min … n_max) with a β each."""
    betas = (0.01, 0.03, 0.1, 0.3)
    return [(lb.random_dataset(n_min + k % (n_max - n_min + 1), 100 + k, noise=0.5), betas[k % 4])
            for k in range(count)]


def _contract(data, beta, *, search=True):
    """Fit, then: rebuilt network = Lasso optimum, sampled certificate, continuous search."""
    fit = lb.fit(data, family=FAM, beta=beta, solver="dense")
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-8)
    cert = certify(fit, sampled=True)
    assert cert.certified, cert
    ratio = cert.ratio
    if search:
        for found in (angle_sweep(fit), continuous_search(fit, n_random=40_000, sweeps=4)):
            assert found["ratio"] <= 1 + 1e-6, found
            ratio = max(ratio, found["ratio"])
    return fit, ratio


# ---------------------------------------------------------------------- shapes and networks
def test_sign_of_w_is_redundant_and_the_unit_is_c_times_g():
    """w < 0 swaps the two CReLU halves: (a, c) -> (c, a); a unit is α|w|‖(a,c)‖ g."""
    x = torch.linspace(-3, 3, 121, dtype=torch.float64)
    net = SymReLUNet(width=2)
    with torch.no_grad():
        for name, v in (("w", [-1.7, 1.7]), ("b", [0.5, -0.5]), ("a", [0.3, -1.2]),
                        ("c", [-1.2, 0.3]), ("d", [0.4, 0.4]), ("alpha", [1.0, -1.0])):
            getattr(net, name).copy_(torch.tensor([v], dtype=torch.float64))
        assert torch.allclose(net(x)[0], torch.zeros_like(x), atol=1e-12)
    coef = net.unit_coefficients()[0]
    w, b, a, c, d = 1.7, -0.5, -1.2, 0.3, 0.4             # the second unit, normalized
    r = max(abs(a), abs(c))
    g = symrelu_shape(x.numpy(), -b / w, a / r, c / r, -d / (w * r))
    with torch.no_grad():
        net.alpha[0, 0] = 0.0
        assert np.allclose(net(x)[0].numpy(), coef[1] * g, atol=1e-12)


@pytest.mark.parametrize("norm", ["max", "l2"])
def test_reconstruction_is_balanced(norm):
    fam = SymmetrizedReLU(norm)
    params = {"t1": np.array([0.5, -0.2, 1.0]), "theta": np.array([0.3, -2.356, 2.0]),
              "t2": np.array([-0.4, 0.7, 0.1])}
    coef = np.array([2.0, -0.5, 0.8])
    net = fam.reconstruct(params, coef, xi=0.7)
    x = np.linspace(-3, 3, 61)
    expected = sum(c * fam.shape(x, **{k: v[i] for k, v in params.items()})
                   for i, c in enumerate(coef)) + 0.7
    assert np.allclose(net.predict(x), expected, atol=1e-12)
    assert net.penalty(0.3)[0].item() == pytest.approx(0.3 * np.abs(coef).sum())
    assert np.allclose(net.unit_coefficients()[0], coef)
    a, c = slopes(params["theta"], norm)
    norms = np.maximum(np.abs(a), np.abs(c)) if norm == "max" else np.hypot(a, c)
    assert np.allclose(norms, 1.0)
    other = fam.network(width=4, n_models=2)
    other.random_init([3, 4], x)
    assert other(torch.as_tensor(x)).shape == (2, x.size)
    again = fam.network(width=4, n_models=2)
    again.random_init([3, 4], x)
    assert torch.equal(other.a, again.a)                   # seeded


def test_corners_and_axes_are_the_chains():
    """θ = π/4: relu(|x − t1| − t2); θ = −3π/4: relu(−|x − t1| − t2); θ = 0: relu(relu(x − t1) − t2)."""
    from lassobook.families.chains import NarrowChain

    x = np.linspace(-3, 3, 241)
    absrelu, relu3 = NarrowChain(("abs", "relu")), NarrowChain(("relu", "relu"))
    for t1, t2 in [(0.3, 0.5), (-1.0, -0.2), (0.0, 1.5)]:
        one = {"s1": 1.0, "t1": t1}
        assert np.allclose(FAM.shape(x, t1, np.pi / 4, t2), absrelu.shape(x, **one, s2=1.0, t2=t2))
        assert np.allclose(FAM.shape(x, t1, -3 * np.pi / 4, t2),
                           absrelu.shape(x, **one, s2=-1.0, t2=-t2))
        assert np.allclose(FAM.shape(x, t1, 0.0, t2), relu3.shape(x, **one, s2=1.0, t2=t2))


def test_kinks_match_a_dense_second_difference():
    rng = np.random.default_rng(1)
    grid = np.linspace(-6, 6, 120_001)
    for _ in range(40):
        p = {"t1": rng.uniform(-2, 2), "theta": rng.uniform(-np.pi, np.pi), "t2": rng.uniform(-2, 2)}
        k = FAM.kinks(p)
        k = k[np.abs(k) < 5.9]                                  # those the grid sees
        v = FAM.shape(grid, **p)
        dense = grid[1:-1][np.abs(np.diff(v, 2)) > 1e-7]
        assert all(np.abs(dense - q).min() < 2e-4 for q in k)
        assert all(np.abs(k - q).min() < 2e-4 for q in dense) if dense.size else k.size == 0


def test_dictionary_sizes_and_kinds():
    """8N + 9N(N − 1) vertices at the corner and axis angles, C(N, 3) hats."""
    for n in range(3, 9):
        params, labels = FAM.raw_dictionary(lb.random_dataset(n, 0))
        assert len(labels) == 8 * n + 9 * n * (n - 1) + n * (n - 1) * (n - 2) // 6
        assert (params["kind"] == 1).sum() == n * (n - 1) * (n - 2) // 6


# ---------------------------------------------------------------------- the family contract
def test_contract_on_three_datasets():
    for data, beta in _datasets(3):
        _contract(data, beta)


@pytest.mark.slow
def test_dictionary_is_certified_on_twenty_random_datasets():
    worst = max(_contract(data, beta)[1] for data, beta in _datasets(20))
    assert worst <= 1 + 1e-6


def test_adam_never_beats_the_lasso():
    data, beta = lb.random_dataset(6, 0), 0.05
    fit = lb.fit(data, family=FAM, beta=beta, solver="dense")
    runs = lb.train_adam(data, family=FAM, beta=beta, width=12, seeds=range(5), epochs=2000)
    assert (runs.gaps(fit.objective) >= -1e-6).all(), runs.gaps(fit.objective)


def test_lasso_through_the_default_solver_path():
    fit = lb.fit(*REFLECTION_EXAMPLE["xy"], family=FAM, beta=REFLECTION_EXAMPLE["beta"])
    assert fit.certificate(sampled=True).certified


# ---------------------------------------------------------------------- what it contains
def test_contains_the_abs_relu_and_relu_chains():
    """a = ±c is the abs→ReLU chain, c = 0 the ReLU chain, both at equal cost (max-norm)."""
    for data, beta in _datasets(6, 4, 7):
        sym = lb.fit(data, family=FAM, beta=beta, solver="dense").objective
        absrelu = lb.fit(data, family=lb.get_family("abs,relu"), beta=beta, solver="dense").objective
        relu3 = lb.fit(data, family=lb.get_family("relu", 3), beta=beta, solver="dense").objective
        assert sym <= absrelu * (1 + 1e-7) and sym <= relu3 * (1 + 1e-7)


def test_asymmetric_hats_are_needed():
    """HAT_EXAMPLE: the abs→ReLU chain's optimum is higher, and so is the dictionary
    without the three-point hats; the continuous search refutes that dictionary."""
    data, beta = lb.as_dataset(*HAT_EXAMPLE["xy"]), HAT_EXAMPLE["beta"]
    fit, _ = _contract(data, beta)
    absrelu = lb.fit(data, family=lb.get_family("abs,relu"), beta=beta, solver="dense")
    assert absrelu.objective > fit.objective * (1 + HAT_EXAMPLE["gap"] / 2)
    keep = np.flatnonzero(fit.dictionary.params["kind"] == 0)
    rest = lb.fit(data, family=FAM, beta=beta, dictionary=fit.dictionary.subset(keep))
    assert rest.objective > fit.objective * (1 + 1e-3)
    assert angle_sweep(rest)["ratio"] > 1 + 1e-3
    assert not certify(rest, sampled=True).certified


def test_reflection_features_come_from_tents():
    """REFLECTION_EXAMPLE: the optimal network has a tent with a foot at a reflection
    2x_i − x_j inside the data range; without such columns the optimum is higher."""
    data, beta = lb.as_dataset(*REFLECTION_EXAMPLE["xy"]), REFLECTION_EXAMPLE["beta"]
    fit, _ = _contract(data, beta)
    refl = reflection_columns(fit.dictionary)
    used = [k for k in fit.support if refl[k]]
    assert used
    x = data.x_sorted
    for k in used:
        a, c = slopes(fit.dictionary.params["theta"][k])
        assert a == c == -1.0                                   # a tent: relu(d − |x − t1|)
        kinks = fit.dictionary.kinks(k)
        inside = kinks[(kinks > x[0]) & (kinks < x[-1])]
        assert "reflection" in classify_kinks(inside, x)
    rest = lb.fit(data, family=FAM, beta=beta,
                  dictionary=fit.dictionary.subset(np.flatnonzero(~refl)))
    assert rest.objective > fit.objective * (1 + REFLECTION_EXAMPLE["gap"] / 2)


def test_euclidean_norm_has_no_finite_dictionary_but_a_bounded_one():
    """With ‖(a, c)‖₂ the dual maximum is R cos(θ − θ*) at a λ-dependent angle: the
    vertex set is refuted by the sampled family, within the factor 1/cos(δ/2)."""
    data, beta = lb.random_dataset(6, 101, noise=0.5), 0.01
    ratios = []
    for fam in (SymmetrizedReLU("l2"), SymmetrizedReLU("l2", extra_angles=64)):
        assert not fam.complete
        fit = lb.fit(data, family=fam, beta=beta, solver="dense")
        assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-8)
        ratio = max(certify(fit, sampled=True).ratio, angle_sweep(fit)["ratio"])
        assert ratio <= (1 + 1e-9) / np.cos(fam.angle_gap() / 2)
        ratios.append(ratio)
    assert ratios[0] == pytest.approx(1 / np.cos(np.pi / 8), rel=1e-6)   # the bound is attained
    assert 1 + 1e-6 < ratios[1] < 1.002


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="norm must be one of"):
        SymmetrizedReLU("l1")
    with pytest.raises(ValueError, match="extra_angles"):
        SymmetrizedReLU(extra_angles=-1)
    with pytest.raises(ValueError, match="symmetrized_relu networks have depth 3"):
        lb.get_family("symmetrized_relu", 4)
    with pytest.raises(ValueError, match="choose one of 'parallel'"):
        lb.get_family("symmetrized_relu", 3, "tree")
    with pytest.raises(ValueError, match=r"unknown activation 'tanh'.*symmetrized_relu"):
        lb.get_family("tanh")
    with pytest.raises(ValueError, match=r"supported: .*symmetrized_relu at depth 3"):
        lb.get_family("relu", 7)


# ---------------------------------------------------------------------- wiring
def test_get_family_and_raw_size():
    from lassobook.fitting import dense_columns

    fam = lb.get_family("symmetrized_relu", depth=3)
    assert isinstance(fam, SymmetrizedReLU) and fam.norm == "max" and fam.complete
    assert isinstance(lb.get_family("symmetrized_relu"), SymmetrizedReLU)   # depth 3 by default
    assert (fam.activation, fam.depth, fam.degree) == ("symmetrized_relu", 3, 1)
    for f in (fam, SymmetrizedReLU("l2"), SymmetrizedReLU("l2", extra_angles=64)):
        for n in (3, 5, 8):
            params, _ = f.raw_dictionary(lb.random_dataset(n, 0))
            assert dense_columns(f, n) == params["t1"].size


def test_cli_fit_writes_a_certified_fit(tmp_path):
    import json

    from lassobook.cli import main

    data = tmp_path / "d.csv"
    data.write_text("x,y\n0,0\n2,0\n6,3\n7,3\n9,1\n12,2\n")
    out = tmp_path / "out"
    assert main(["fit", str(data), "--x", "x", "--y", "y", "--activation", "symmetrized_relu",
                 "--depth", "3", "--beta", "0.1", "--out", str(out)]) == 0
    record = json.loads((out / "fit.json").read_text())
    assert record["certified"] is True
    assert (record["activation"], record["depth"]) == ("symmetrized_relu", 3)
    assert np.isclose(record["objective"], record["network_objective"], rtol=1e-6)
    assert (out / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_convexnet1d_fit_predict():
    from lassobook.estimator import ConvexNet1D

    x = np.array([0.0, 2.0, 6.0, 7.0, 9.0, 12.0])
    y = np.array([0.0, 0.0, 3.0, 3.0, 1.0, 2.0])
    est = ConvexNet1D(activation="symmetrized_relu", depth=3, beta=0.1).fit(x[:, None], y)
    assert est.certificate_.certified
    fit = lb.fit(x, y, family=FAM, beta=0.1, solver="dense")
    assert np.isclose(est.objective_, fit.objective, rtol=1e-7)
    grid = np.linspace(-1, 13, 57)
    assert np.allclose(est.predict(grid[:, None]), est.to_torch().predict(grid), atol=1e-8)
