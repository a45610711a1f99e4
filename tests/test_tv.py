"""Tests for :mod:`lassobook.solvers.tv` (exact 1-D TV denoising).

(a) agreement with cvxpy + Clarabel at tight tolerances,
(b) the optimality (dual) certificate, checked directly without a solver,
(c) input validation,
(d) the constant solution for ``lam >= lam_max``,
(e) the compiled (numba) kernel against the same kernel run by the interpreter,
plus symmetries, closed forms and the Lasso (threshold dictionary) view.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba.core import caching as numba_caching

from lassobook.core.compiled import njit_cached
from lassobook.solvers import tv
from lassobook.solvers.tv import tv_denoise, tv_lasso_coefficients, tv_objective

cp = pytest.importorskip("cvxpy")

CLARABEL_TIGHT = dict(tol_gap_abs=1e-12, tol_gap_rel=1e-12, tol_feas=1e-12)

# Deterministic hypothesis runs: the suite must not be flaky, and cvxpy solves
# have no meaningful deadline.
SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

finite = st.floats(-10.0, 10.0, allow_nan=False, allow_infinity=False)
signals = st.lists(finite, min_size=2, max_size=60).map(np.array)
# Scalar weights from "tiny" (u ~ y) to "huge" (u = mean(y): lam_max <= 300
# for these signals).  Clarabel itself fails ("optimal_inaccurate" or an
# objective off by 1e-7) at lam ~ 1e6 with 1e-12 tolerances, so the solver
# comparison stops at 1e3; the solver-free tests also use 1e6.
cvx_lams = st.one_of(
    st.sampled_from([0.0, 1e-9, 1e-4, 0.05, 0.5, 2.0, 10.0, 100.0, 1e3]),
    st.floats(0.0, 20.0, allow_nan=False),
)
scalar_lams = st.one_of(cvx_lams, st.just(1e6))


def lam_max(y: np.ndarray) -> float:
    """Smallest scalar weight for which the solution is constant."""
    return float(np.max(np.abs(np.cumsum(y - y.mean())[:-1]), initial=0.0))


# ---------------------------------------------------------------------------
# Reference: cvxpy + Clarabel
# ---------------------------------------------------------------------------


def cvx_tv(y: np.ndarray, lam) -> np.ndarray:
    """The same problem written in cvxpy, solved by Clarabel at 1e-12."""
    u = cp.Variable(y.size)
    if np.ndim(lam) == 1:
        penalty = cp.sum(cp.multiply(np.asarray(lam, dtype=float), cp.abs(cp.diff(u))))
    else:
        penalty = float(lam) * cp.norm1(cp.diff(u))
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u - y) + penalty))
    with warnings.catch_warnings():
        # At 1e-12 Clarabel occasionally stops at "optimal_inaccurate"; the
        # comparisons below decide whether that is good enough.
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver=cp.CLARABEL, **CLARABEL_TIGHT)
    assert problem.status in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE), problem.status
    return np.asarray(u.value)


def assert_matches_cvxpy(y, lam):
    u = tv_denoise(y, lam)
    u_ref = cvx_tv(y, lam)
    f = tv_objective(u, y, lam)
    f_ref = tv_objective(u_ref, y, lam)
    # Objectives: 1e-9 relative.  The absolute floor covers objectives that
    # are themselves ~0 (tiny lam), where Clarabel's own gap (1e-12) is the
    # limit.  Ours is exact, so it may only be *lower* than Clarabel's.
    assert abs(f - f_ref) <= 1e-9 * abs(f_ref) + 1e-11, (f, f_ref)
    rounding = 1e-13 * (1.0 + abs(f_ref))
    assert f <= f_ref + rounding, (f, f_ref)
    # Solutions.  The objective is 1-strongly convex, so for the exact
    # minimiser u:  0.5 * ||u_ref - u||^2 <= f(u_ref) - f(u).  That is the
    # sharp test; Clarabel's u is itself only accurate to ~1e-6 * max|y|
    # (the square root of its objective gap), so the fixed tolerance is 1e-5.
    dist2 = float(np.sum((u - u_ref) ** 2))
    assert 0.5 * dist2 <= (f_ref - f) + rounding, (dist2, f_ref - f)
    scale = max(1.0, float(np.max(np.abs(y))))
    np.testing.assert_allclose(u, u_ref, rtol=0, atol=1e-5 * scale)


# ---------------------------------------------------------------------------
# Optimality certificate (no solver)
# ---------------------------------------------------------------------------


def assert_tv_optimal(u, y, lam, tol=1e-11):
    """Check the KKT conditions of TV denoising.

    With r = y - u and c_k = sum_{n<=k} r_n: c_N = 0, |c_k| <= lam_k for
    k < N, and c_k = -lam_k * sign(u_{k+1} - u_k) where u jumps (the dual of
    edge k is z_k = -c_k).  Together these certify global optimality.
    """
    u = np.asarray(u, dtype=float)
    y = np.asarray(y, dtype=float)
    n = y.size
    assert u.shape == y.shape
    lam_v = np.broadcast_to(np.asarray(lam, dtype=float), (n - 1,))
    scale = max(1.0, float(np.max(np.abs(y))))
    atol = tol * scale * max(1.0, np.sqrt(n))
    c = np.cumsum(y - u)
    assert abs(c[-1]) <= atol, f"sum of residuals {c[-1]} != 0"
    c_in = c[:-1]
    excess = np.abs(c_in) - lam_v
    assert np.all(excess <= atol), f"dual infeasible by {excess.max()}"
    d = np.diff(u)
    jumps = np.abs(d) > 1e-9 * scale
    mismatch = np.abs(c_in[jumps] + lam_v[jumps] * np.sign(d[jumps]))
    assert np.all(mismatch <= atol), f"complementarity violated by {mismatch.max()}"


# ---------------------------------------------------------------------------
# (a) agreement with cvxpy + Clarabel
# ---------------------------------------------------------------------------


@settings(max_examples=150, **SETTINGS)
@given(y=signals, lam=cvx_lams)
def test_matches_cvxpy_scalar_lam(y, lam):
    assert_matches_cvxpy(y, lam)


@settings(max_examples=60, **SETTINGS)
@given(data=st.data(), y=signals)
def test_matches_cvxpy_vector_lam(data, y):
    weights = st.one_of(st.just(0.0), st.floats(0.0, 5.0, allow_nan=False))
    lam = np.array(data.draw(st.lists(weights, min_size=y.size - 1, max_size=y.size - 1)))
    assert_matches_cvxpy(y, lam)


@pytest.mark.parametrize("lam_factor", [1e-8, 1e-3, 0.1, 0.5, 0.9, 1.0, 1.5, 1e3])
@pytest.mark.parametrize("seed", range(3))
def test_matches_cvxpy_random_gaussian(seed, lam_factor):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 61))
    y = rng.normal(size=n) + np.repeat(rng.normal(size=3) * 3, [n // 3, n // 3, n - 2 * (n // 3)])
    assert_matches_cvxpy(y, lam_factor * max(lam_max(y), 1e-3))


# ---------------------------------------------------------------------------
# (b) optimality certificate, no solver
# ---------------------------------------------------------------------------


@settings(max_examples=300, **SETTINGS)
@given(
    y=st.lists(
        st.one_of(finite, st.integers(-3, 3).map(float)), min_size=1, max_size=200
    ).map(np.array),
    lam=scalar_lams,
)
def test_optimality_conditions_scalar(y, lam):
    assert_tv_optimal(tv_denoise(y, lam), y, lam)


@settings(max_examples=200, **SETTINGS)
@given(data=st.data(), y=st.lists(finite, min_size=1, max_size=200).map(np.array))
def test_optimality_conditions_vector(data, y):
    weights = st.one_of(st.just(0.0), st.floats(0.0, 30.0, allow_nan=False))
    lam = np.array(data.draw(st.lists(weights, min_size=y.size - 1, max_size=y.size - 1)))
    assert_tv_optimal(tv_denoise(y, lam), y, lam)


@pytest.mark.parametrize(
    "kind", ["noise", "steps", "ramp", "sine", "alternating", "random_walk"]
)
def test_optimality_conditions_large(kind):
    # Also exercises smooth signals such as ramps, on which the upper chain
    # of the taut string marches forward (the kernel's chain compaction).
    n = 100_000
    rng = np.random.default_rng(7)
    x = np.arange(n)
    y = {
        "noise": rng.normal(size=n),
        "steps": np.repeat(rng.normal(size=100) * 5, n // 100) + rng.normal(size=n),
        "ramp": x * 1e-3,
        "sine": 3 * np.sin(x / 500) + 0.1 * rng.normal(size=n),
        "alternating": (-1.0) ** x,
        "random_walk": np.cumsum(rng.normal(size=n)),
    }[kind]
    for lam in (0.1, 1.0, 50.0):
        assert_tv_optimal(tv_denoise(y, lam), y, lam, tol=1e-10)


# ---------------------------------------------------------------------------
# (c) input validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "y, lam, match",
    [
        (np.ones((3, 2)), 1.0, "1-D"),
        (np.float64(3.0), 1.0, "1-D"),
        ([], 1.0, "non-empty"),
        (np.array([]), 1.0, "non-empty"),
        ([1.0, np.nan, 2.0], 1.0, "finite.*index 1"),
        ([1.0, 2.0, np.inf], 1.0, "finite.*index 2"),
        ([1.0, -np.inf], 1.0, "finite"),
        ("abc", 1.0, "numeric"),
        (["1", "2"], 1.0, "numeric"),
        ([1.0, None], 1.0, "numeric"),
        ([1 + 2j, 3.0], 1.0, "real"),
        ([[1.0, 2.0], [3.0]], 1.0, "numeric"),
        ([1.0, 2.0, 3.0], -0.5, "non-negative"),
        ([1.0, 2.0, 3.0], np.nan, "finite"),
        ([1.0, 2.0, 3.0], np.inf, "finite"),
        ([1.0, 2.0, 3.0], "1.0", "numeric"),
        ([1.0, 2.0, 3.0], None, "numeric"),
        ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0], "length N-1 = 2"),
        ([1.0, 2.0, 3.0], [1.0], "length N-1 = 2"),
        ([1.0, 2.0, 3.0], np.ones((2, 1)), "shape"),
        ([1.0, 2.0, 3.0], [1.0, -1.0], "non-negative.*index 1"),
        ([1.0, 2.0, 3.0], [1.0, np.nan], "finite.*index 1"),
        ([5.0], [1.0], "length N-1 = 0"),
        ([1.7e308, 1.7e308, -1.7e308], 1.0, "overflow"),
    ],
)
def test_bad_inputs_raise(y, lam, match):
    with pytest.raises(ValueError, match=match):
        tv_denoise(y, lam)


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match="^y must"):
        tv_denoise([[1.0]], 1.0)
    with pytest.raises(ValueError, match="^lam"):
        tv_denoise([1.0, 2.0], -1.0)
    with pytest.raises(ValueError, match="^u must"):
        tv_objective([np.nan, 1.0], [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="same length"):
        tv_objective([1.0, 2.0], [1.0, 2.0, 3.0], 1.0)
    with pytest.raises(ValueError, match="^u must be 1-D"):
        tv_lasso_coefficients(np.ones((2, 2)))


# ---------------------------------------------------------------------------
# (d) lam >= lam_max gives the constant solution
# ---------------------------------------------------------------------------


@settings(max_examples=200, **SETTINGS)
@given(
    y=st.lists(finite, min_size=1, max_size=100).map(np.array),
    factor=st.sampled_from([1.0, 1.0 + 1e-9, 1.5, 10.0, 1e6]),
)
def test_large_lam_gives_mean(y, factor):
    lam = factor * lam_max(y)
    u = tv_denoise(y, lam)
    scale = max(1.0, float(np.max(np.abs(y))))
    assert np.ptp(u) <= 1e-12 * scale
    np.testing.assert_allclose(u, y.mean(), rtol=0, atol=1e-12 * scale)


@settings(max_examples=100, **SETTINGS)
@given(y=st.lists(finite, min_size=2, max_size=100).map(np.array))
def test_lam_below_lam_max_is_not_constant(y):
    lmax = lam_max(y)
    if lmax < 1e-6:
        return
    u = tv_denoise(y, 0.99 * lmax)
    assert np.ptp(u) > 0


# ---------------------------------------------------------------------------
# (e) compiled kernel against the interpreter
# ---------------------------------------------------------------------------


@settings(max_examples=300, **SETTINGS)
@given(
    data=st.data(),
    y=st.lists(
        st.one_of(finite, st.integers(-3, 3).map(float)), min_size=2, max_size=200
    ).map(np.array),
    kind=st.sampled_from(["zero", "scalar", "edges"]),
)
def test_compiled_kernel_matches_python(data, y, kind):
    # Same loop, same float operations: the results agree bit for bit.  The
    # interpreted run also bounds-checks every array access (numba does not).
    # lam = 0 (tube of width 0 everywhere) bypasses the kernel in tv_denoise,
    # so _tv_denoise is called directly.
    n = y.size
    if kind == "zero":
        lam = 0.0
    elif kind == "scalar":
        lam = data.draw(scalar_lams)
    else:
        weights = st.one_of(st.just(0.0), st.floats(0.0, 30.0, allow_nan=False))
        lam = np.array(data.draw(st.lists(weights, min_size=n - 1, max_size=n - 1)))
    u = tv._tv_denoise(y, lam)
    u_python = tv._tv_denoise(y, lam, tv._taut_string.py_func)
    np.testing.assert_array_equal(u, u_python)
    assert_tv_optimal(u, y, lam)
    if kind == "zero":
        np.testing.assert_allclose(u, y, rtol=0, atol=1e-12 * max(1.0, np.abs(y).max()))


@pytest.mark.parametrize(
    "kind", ["ramp up", "ramp down", "parabola", "ramp up edges", "ramp down edges"]
)
def test_compiled_kernel_matches_python_long_chains(kind):
    # Smooth signals keep one chain alive (never empty) while its front is
    # consumed: past 512 consumed points the kernel moves the chain down
    # (compaction; each case here does so 2-5 times, upper chain for rising
    # ramps, lower for falling, both for the parabola).  Scalar and smooth
    # per-edge weights; bit for bit.
    n = 3000
    x = np.arange(n, dtype=float)
    lam = 2.0
    if kind.startswith("ramp up"):
        y = 1e-3 * x
    elif kind.startswith("ramp down"):
        y = -1e-3 * x
    else:
        y = 1e-6 * (x - n / 2) ** 2
    if kind.endswith("edges"):
        lam = 2.0 + 0.5 * np.sin(x[:-1] / 300)
    u = tv._tv_denoise(y, lam)
    np.testing.assert_array_equal(u, tv._tv_denoise(y, lam, tv._taut_string.py_func))
    assert_tv_optimal(u, y, lam)


@pytest.mark.parametrize("exponent", [300, 305, 307])
def test_huge_magnitudes_are_solved_by_exact_rescaling(exponent):
    # |cumulative sums| * 2N beyond float64: the slope tests could overflow,
    # so the problem is solved scaled by a power of two (exact) and scaled
    # back.  The result equals the scaled problem's bit for bit.
    rng = np.random.default_rng(exponent)
    n = 2000
    y = 10.0**exponent * np.repeat(rng.normal(size=20), n // 20) * 1e-3
    y += 10.0**exponent * 1e-4 * rng.normal(size=n)
    lam = 10.0**exponent * 0.05
    u = tv_denoise(y, lam)
    e = 60
    u_scaled = tv_denoise(np.ldexp(y, -e), np.ldexp(lam, -e))
    np.testing.assert_array_equal(u, np.ldexp(u_scaled, e))
    assert np.all(np.isfinite(u))
    assert_tv_optimal(u, y, lam)


def test_finite_y_whose_sum_overflows():
    # The mean overflows: an error unless the problem is trivial (as before).
    y = np.array([1.7e308, 1.7e308, 1.0])
    np.testing.assert_array_equal(tv_denoise(y, 0.0), y)
    with pytest.raises(ValueError, match="overflow"):
        tv_denoise(y, 1.0)


def test_kernel_compiles_without_a_writable_cache(monkeypatch):
    # Read-only install and home: numba.njit(cache=True) raises at import;
    # the module warns and compiles without a cache instead.
    def read_only(self):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(numba_caching._CacheLocator, "ensure_cache_path", read_only)
    with pytest.warns(RuntimeWarning, match="cannot cache.*NUMBA_CACHE_DIR"):
        kernel = njit_cached(tv._taut_string.py_func)
    y = np.array([0.0, 0.0, 1.0, 1.0])
    np.testing.assert_allclose(
        tv._tv_denoise(y, 0.25, kernel), [0.125, 0.125, 0.875, 0.875], rtol=0, atol=1e-15
    )


# ---------------------------------------------------------------------------
# Trivial cases, closed forms, symmetries
# ---------------------------------------------------------------------------


def test_trivial_cases_return_copy_of_y():
    y = np.array([3.0, -1.0, 2.5])
    for lam in (0.0, 0, [0.0, 0.0], np.zeros(2)):
        u = tv_denoise(y, lam)
        assert u is not y and u.dtype == np.float64
        np.testing.assert_array_equal(u, y)
    single = np.array([4.2])
    np.testing.assert_array_equal(tv_denoise(single, 1e9), single)
    np.testing.assert_array_equal(tv_denoise([7], []), [7.0])
    assert tv_denoise(single, 1.0) is not single


def test_accepts_lists_and_ints():
    u = tv_denoise([0, 0, 1, 1], 0.25)
    assert u.dtype == np.float64 and u.shape == (4,)
    np.testing.assert_allclose(u, [0.125, 0.125, 0.875, 0.875], rtol=0, atol=1e-15)


@pytest.mark.parametrize(
    "a, b, lam", [(0.0, 1.0, 0.2), (3.0, -1.0, 1.5), (1.0, 2.0, 0.5), (1.0, 2.0, 7.0)]
)
def test_two_point_closed_form(a, b, lam):
    gap = abs(b - a)
    s = np.sign(b - a)
    if lam < gap / 2:
        expected = [a + s * lam, b - s * lam]
    else:
        expected = [(a + b) / 2] * 2
    np.testing.assert_allclose(tv_denoise([a, b], lam), expected, rtol=0, atol=1e-15)


def test_zero_weight_edges_split_the_problem():
    # A zero weight decouples the two halves: each is solved on its own.
    rng = np.random.default_rng(3)
    y = rng.normal(size=40)
    lam = np.full(39, 0.7)
    lam[19] = 0.0
    u = tv_denoise(y, lam)
    np.testing.assert_allclose(u[:20], tv_denoise(y[:20], 0.7), rtol=0, atol=1e-13)
    np.testing.assert_allclose(u[20:], tv_denoise(y[20:], 0.7), rtol=0, atol=1e-13)


@settings(max_examples=100, **SETTINGS)
@given(
    y=st.lists(finite, min_size=1, max_size=80).map(np.array),
    lam=st.floats(0.0, 20.0, allow_nan=False),
    shift=st.floats(-1e3, 1e3, allow_nan=False),
    scale=st.floats(0.1, 10.0, allow_nan=False),
)
def test_symmetries(y, lam, shift, scale):
    u = tv_denoise(y, lam)
    tol = 1e-9 * max(1.0, float(np.max(np.abs(y))))
    np.testing.assert_allclose(tv_denoise(-y, lam), -u, rtol=0, atol=tol)
    np.testing.assert_allclose(tv_denoise(y[::-1], lam), u[::-1], rtol=0, atol=tol)
    np.testing.assert_allclose(
        tv_denoise(y + shift, lam), u + shift, rtol=0, atol=tol + 1e-12 * abs(shift)
    )
    np.testing.assert_allclose(
        tv_denoise(scale * y, scale * lam), scale * u, rtol=0, atol=scale * tol
    )
    np.testing.assert_allclose(tv_denoise(y, np.full(y.size - 1, lam)), u, rtol=0, atol=tol)


# ---------------------------------------------------------------------------
# tv_objective and the Lasso view
# ---------------------------------------------------------------------------


def test_tv_objective_values():
    y = np.array([1.0, 2.0, 4.0])
    u = np.array([1.5, 1.5, 3.0])
    assert tv_objective(u, y, 2.0) == pytest.approx(0.5 * (0.25 + 0.25 + 1.0) + 2.0 * 1.5)
    assert tv_objective(u, y, [1.0, 3.0]) == pytest.approx(0.75 + 3.0 * 1.5)
    assert tv_objective(y, y, 0.0) == 0.0


def test_solution_beats_perturbations():
    rng = np.random.default_rng(11)
    y = rng.normal(size=30)
    lam = 0.4
    u = tv_denoise(y, lam)
    f = tv_objective(u, y, lam)
    for _ in range(200):
        v = u + 1e-3 * rng.normal(size=30)
        assert tv_objective(v, y, lam) >= f


@settings(max_examples=50, **SETTINGS)
@given(
    y=st.lists(finite, min_size=1, max_size=50).map(np.array),
    lam=st.floats(0.0, 5.0, allow_nan=False),
)
def test_lasso_coefficients_reproduce_u_with_threshold_dictionary(y, lam):
    u = tv_denoise(y, lam)
    jumps, offset = tv_lasso_coefficients(u)
    n = y.size
    assert jumps.shape == (n - 1,) and isinstance(offset, float)
    x = np.sort(np.random.default_rng(0).uniform(-1, 1, size=n))
    # Threshold dictionary 1[x_i >= x_j], j = 2..N (0-based columns 1..N-1).
    features = (x[:, None] >= x[None, 1:]).astype(float)
    atol = 1e-12 * max(1.0, np.abs(y).max())
    np.testing.assert_allclose(offset + features @ jumps, u, rtol=0, atol=atol)
    # ... and the Lasso objective with penalty lam * ||jumps||_1 is the TV objective.
    lasso = 0.5 * np.sum((offset + features @ jumps - y) ** 2) + lam * np.abs(jumps).sum()
    assert lasso == pytest.approx(tv_objective(u, y, lam), rel=1e-12, abs=1e-12)


# ---------------------------------------------------------------------------
# Against condat-tv (Condat's C code), if installed
# ---------------------------------------------------------------------------


def _condat_tv():
    try:
        import condat_tv
    except ImportError:
        pytest.skip("condat-tv not installed (optional: pip install condat-tv)")
    return condat_tv


@settings(max_examples=300, **SETTINGS)
@given(
    y=st.lists(
        st.one_of(finite, st.integers(-3, 3).map(float)), min_size=1, max_size=200
    ).map(np.array),
    lam=scalar_lams,
)
def test_objective_equals_condat_tv(y, lam):
    # condat-tv minimises the same objective, 0.5 ||u - y||^2 + lam TV(u)
    # (scalar lam only), by a different algorithm (running means, TV1D_denoise_v2).
    condat_tv = _condat_tv()
    u = tv_denoise(y, lam)
    v = condat_tv.tv_denoise(y, lam)
    f = tv_objective(u, y, lam)
    g = tv_objective(v, y, lam)
    scale = max(1.0, float(np.max(np.abs(y))))
    assert abs(f - g) <= 1e-12 * abs(g) + 1e-20 * scale**2 * y.size, (f, g)
    # Both are near-exact minimisers of a 1-strongly convex objective.
    # (condat-tv's u is off by ~eps * lam: 3e-11 for y = 0, lam = 1e6.)
    np.testing.assert_allclose(u, v, rtol=0, atol=1e-9 * scale + 1e-15 * lam)


@pytest.mark.parametrize("kind", ["random_walk", "noise", "ramp", "steps"])
def test_objective_equals_condat_tv_large(kind):
    condat_tv = _condat_tv()
    n = 100_000
    rng = np.random.default_rng(11)
    y = {
        "random_walk": np.cumsum(rng.normal(size=n)),
        "noise": rng.normal(size=n),
        "ramp": 1e-3 * np.arange(n),
        "steps": np.repeat(rng.normal(size=100) * 5, n // 100) + rng.normal(size=n),
    }[kind]
    for lam in (0.1, 1.0, 50.0):
        f = tv_objective(tv_denoise(y, lam), y, lam)
        g = tv_objective(condat_tv.tv_denoise(y, lam), y, lam)
        assert abs(f - g) <= 1e-12 * abs(g), (kind, lam, f, g)
