"""Units never matter: every family, x scaled by 10^k and shifted, y scaled by 10^k.

If ``x → a x + b`` and ``y → c y``, a unit of degree ``d`` (ramps: 1, switches: 0)
with coefficient ``z`` becomes one with ``c z / a^d`` at cost ``β c / a^d · |z|``, so
with ``β → β c a^d`` the optimum is multiplied by ``c²`` and the optimal network is
the same network in the new units (:mod:`lassobook.fitting`).  These tests check
that the certified fits say so, for every family of the table below.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lassobook as lb
from lassobook.solvers.lasso import lasso_objective
from lassobook.solvers.working_set import StructuredFit

#: (activation, depth, architecture, widths) — one entry per family of the package
FAMILIES = [
    ("relu", 2, None, None), ("leaky_relu", 2, None, None), ("abs", 2, None, None),
    ("sign", 2, None, None), ("threshold", 2, None, None),
    ("relu", 3, None, None), ("relu", 4, None, None), ("abs", 3, None, None),
    ("sign", 3, "rectangular", (2,)), ("threshold", 4, "tree", (2, 2)),
    ("leaky_relu", 3, None, None), ("relu,abs", None, None, None),
    ("symmetrized_relu", 3, None, None),
]
IDS = [f"{a}-{d}-{arch}" for a, d, arch, _ in FAMILIES]

X = np.array([0.0, 2.0, 6.0, 7.0, 9.0, 12.0, 13.0, 15.0])
Y = np.array([0.0, 0.0, 3.0, 3.0, 1.0, 2.0, 5.0, 4.0])


def _family(spec):
    activation, depth, architecture, widths = spec
    return lb.get_family(activation, depth, architecture, widths=widths)


@st.composite
def units(draw):
    """Exponents of the x and y scales and a shift of x that float64 can still resolve."""
    kx = draw(st.integers(-9, 9))
    ky = draw(st.integers(-9, 9))
    # the shift keeps |x| / spacing below 1e8: beyond, float64 itself cannot separate the points
    top = min(9, kx + 8)
    j = draw(st.integers(-12, top)) if top >= -12 else None
    shift = 0.0 if j is None else draw(st.sampled_from([0.0, 1.0, -1.0])) * 10.0**j
    return kx, ky, shift


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
@settings(max_examples=15)
@given(u=units())
def test_certified_fit_is_the_same_in_any_units(spec, u):
    kx, ky, shift = u
    fam = _family(spec)
    n = 6 if fam.depth >= 4 or "," in spec[0] else X.size
    x, y = X[:n], Y[:n]
    beta = 0.1
    base = lb.fit(x, y, family=fam, beta=beta)
    cb = base.certificate()
    assert cb.certified, cb
    xs, ys = x * 10.0**kx + shift, y * 10.0**ky
    beta_s = beta * 10.0**ky * 10.0 ** (kx * fam.degree)
    fit = lb.fit(xs, ys, family=fam, beta=beta_s)
    cert = fit.certificate()
    assert cert.certified, cert
    assert fit.objective == pytest.approx(base.objective * 10.0 ** (2 * ky), rel=1e-6)
    if isinstance(fit, StructuredFit):
        # active-set (vertex) optima; the dense solver's interior-point optimum lies in the
        # relative interior of the optimal set, whose unit count is not a property of the problem
        assert fit.support.size == base.support.size
    spread = np.ptp(y) * 10.0**ky
    # between the data points the optimal network need not be unique: compare at the data
    assert np.abs(fit.predict(xs) - base.predict(x) * 10.0**ky).max() <= 1e-6 * spread
    net = fit.network()
    assert np.abs(net.predict(xs) - fit.predict(xs)).max() <= 1e-6 * spread


@pytest.mark.parametrize("scale", [1e-9, 1e9])
def test_unit_count_and_network_in_natural_units(scale):
    """Issue 13's first reproduction: x·1e9 at β = 1e8 is the base problem; same units, same net."""
    base = lb.fit(X, Y, family="relu", beta=0.1, solver="structured")
    fit = lb.fit(X * scale, Y, family="relu", beta=0.1 * scale, solver="structured")
    assert fit.certificate().certified
    if isinstance(fit, StructuredFit):
        # active-set (vertex) optima; the dense solver's interior-point optimum lies in the
        # relative interior of the optimal set, whose unit count is not a property of the problem
        assert fit.support.size == base.support.size == 7
    assert np.allclose(fit.predict(X * scale), base.predict(X), rtol=1e-9, atol=1e-9)
    assert fit.network_objective() == pytest.approx(fit.objective, rel=1e-10)


def test_tiny_labels_not_certified_unless_optimal():
    """Reproduction 2: y·1e-9 at β = 0.1 is past β_max: the constant fit, certified, gap 0."""
    fit = lb.fit(X, Y * 1e-9, family="relu", beta=0.1)
    cert = fit.certificate()
    assert cert.certified and fit.support.size == 0
    assert fit.objective == pytest.approx(0.5 * np.sum((Y * 1e-9 - np.mean(Y * 1e-9)) ** 2), rel=1e-12)


def test_suboptimal_point_fails_the_gap_check():
    """A dual-feasible residual does not certify a primal point that is not optimal."""
    fit = lb.fit(X, Y, family="relu", beta=0.1)
    fit.solution.z = fit.solution.z * 1.5          # a worse point, same (feasible) dual
    fit.solution.objective = lasso_objective(
        fit.dictionary.matrix, fit.data.y, fit.solution.z, fit.solution.xi, fit.beta)
    fit._network = None
    cert = fit.certificate()
    assert cert.dual_ok and not cert.gap_ok and not cert.certified
    assert "duality gap" in cert.note


@pytest.mark.parametrize("beta", [1e8, 1e12, 1e300])
@pytest.mark.parametrize("solver", ["dense", "structured"])
def test_beta_above_beta_max_is_the_constant_fit(beta, solver):
    fit = lb.fit(X, Y, family="relu", beta=beta, solver=solver)
    cert = fit.certificate()
    assert cert.certified and fit.support.size == 0
    assert fit.beta_max() < beta
    assert fit.objective == pytest.approx(0.5 * np.sum((Y - Y.mean()) ** 2), rel=1e-12)


@pytest.mark.parametrize("beta", [1e-10, 1e-300])
def test_tiny_beta_certifies_or_says_interpolation_limit(beta):
    try:
        fit = lb.fit(X, Y, family="relu", beta=beta)
    except lb.SolverError as exc:
        message = str(exc)
        assert "interpolation limit" in message and "min_l1_interpolation" in message
        assert "\n" not in message and len(message) < 300
        return
    cert = fit.certificate()
    if not cert.certified:
        assert "interpolation limit" in cert.note
    assert len(str(cert)) < 400


def test_repeated_x_are_merged_exactly():
    """Rows with equal x become one weighted point; the objective keeps the constant part."""
    x = np.array([0.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0])
    y = np.array([0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 5.0])
    fit = lb.fit(x, y, family="relu", beta=0.05)
    assert fit.data.n == 4 and fit.data.n_rows == 7
    assert np.allclose(fit.data.w, [1, 2, 1, 3])
    assert fit.certificate().certified
    # the objective over the original rows, evaluated by the rebuilt network directly
    net = fit.network()
    direct = float(net.objective(x, y, fit.beta)[0].detach())
    assert direct == pytest.approx(fit.objective, rel=1e-10)


@given(w=st.lists(st.floats(0.1, 10.0), min_size=8, max_size=8))
@settings(max_examples=10)
def test_weights_equal_repeated_rows(w):
    """Integer weights are the same problem as repeating rows; real weights certify."""
    counts = np.array([1, 2, 1, 3, 1, 1, 2, 1])
    rep = lb.fit(np.repeat(X, counts), np.repeat(Y, counts), family="relu", beta=0.1)
    wtd = lb.fit(X, Y, family="relu", beta=0.1, sample_weight=counts.astype(float))
    assert wtd.objective == pytest.approx(rep.objective, rel=1e-8)
    for solver in ("dense", "structured"):
        f = lb.fit(X, Y, family="relu", beta=0.1, sample_weight=w, solver=solver)
        assert f.certificate().certified


@pytest.mark.parametrize("bad, message", [
    ([1, 1, -1, 1, 1, 1, 1, 1], ">= 0"),
    ([0] * 8, "zero everywhere"),
    ([1, np.nan, 1, 1, 1, 1, 1, 1], "non-finite"),
    ([1, 1, 1], "8 points"),
])
def test_bad_weights_are_one_line_errors(bad, message):
    with pytest.raises(ValueError, match=message):
        lb.fit(X, Y, family="relu", beta=0.1, sample_weight=bad)


def test_api_edges():
    fit = lb.fit_lasso(X, Y, family="relu", beta=0.1)      # a family by name
    assert fit.certificate().certified
    with pytest.raises(ValueError, match="activation"):
        lb.get_family(None)
    with pytest.raises(ValueError, match="family must be"):
        lb.fit(X, Y, family=3, beta=0.1)
    with pytest.raises(ValueError, match="non-finite"):
        fit.predict([0.0, np.nan])
    with pytest.raises(ValueError, match="solver"):
        lb.fit(X, Y, family="relu", beta=0.1, solver="fast")


@pytest.mark.parametrize("activation, depth, n", [("relu", 3, 100), ("relu", 4, 200), ("abs", 3, 300)])
def test_auto_solver_never_runs_out_of_memory(activation, depth, n):
    """Reproduction 4: sizes that crashed the dense path certify with the default solver."""
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 10, n))
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    fit = lb.fit(x, y, family=activation, depth=depth, beta=0.01 * n)
    assert fit.certificate().certified


def test_memory_budget_is_checked_before_any_work():
    x = np.linspace(0, 1, 40)
    with pytest.raises(lb.ProblemTooLarge, match="memory budget"):
        lb.fit(x, np.sin(x), family=lb.get_family("leaky_relu", 4), beta=0.1, max_memory="1MB")


@pytest.mark.parametrize("solver", ["dense", "structured"])
@pytest.mark.parametrize("case", ["population", "nanoseconds", "days", "x_1e-9"])
def test_natural_units_reproductions(case, solver):
    """Issue 13, reproductions 1 and 3: natural units on both solvers give the base fit."""
    base = lb.fit(X, Y, family="relu", beta=0.1, solver=solver)
    x, y, beta, factor = {
        "population": (1950 + X, 2.5e9 + 1e8 * Y, 0.1 * 1e8, 1e16),     # years, persons
        "nanoseconds": (1.7e18 + X * 86400e9, Y, 0.1 * 86400e9, 1.0),   # daily ns timestamps
        "days": (1.7e9 + X * 86400, Y, 0.1 * 86400, 1.0),               # daily Unix seconds
        "x_1e-9": (X * 1e-9, Y, 0.1 * 1e-9, 1.0),
    }[case]
    fit = lb.fit(x, y, family="relu", beta=beta, solver=solver)
    cert = fit.certificate()
    assert cert.certified, cert
    assert fit.objective == pytest.approx(base.objective * factor, rel=1e-6)
    scale = np.sqrt(factor)
    assert np.abs(fit.predict(x) - (base.predict(X) * scale + (y - Y * scale))).max() <= 1e-6 * np.ptp(y)
