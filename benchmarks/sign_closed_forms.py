"""Benchmark: closed forms of sign/threshold networks against cvxpy and against the Lasso.

The TV solver (two-layer and deep-narrow sign networks, K = 1) against cvxpy is
already measured by ``benchmarks/tv_solver.py`` (``results/tv_solver.json``);
this script reuses its cvxpy reference and KKT check and adds:

1. **ℓ∞ form** (units that reach every pattern, ``K ≥ N − 1``):
   ``lassobook.solvers.closed_forms.linf_network_fit`` (clipping, ``O(N log N)``) against
   cvxpy + Clarabel on ``min_{u,ξ} ½‖u + ξ1 − y‖² + β‖u‖_∞``, for N = 10² … 10⁶
   (cvxpy skipped for larger N once one solve took more than 60 s): time ratio,
   objective and fitted-value agreement, and the KKT violation of our solution.
2. **Lasso comparisons**: the switching-dictionary Lasso of ``DeepSign``
   families (cvxpy over ``Σ_{k≤K} C(N−1, k)`` columns) against the closed
   forms — K = 1 against TV denoising and K = N − 1 against ℓ∞ clipping — for
   small N, both activations: time of each route and agreement.

Usage::

    /work/venv/bin/python benchmarks/sign_closed_forms.py            # full
    /work/venv/bin/python benchmarks/sign_closed_forms.py --quick    # N <= 1e4, Lasso N <= 10

Results go to ``benchmarks/results/sign_closed_forms.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import lassobook as lb  # noqa: E402
from lassobook.solvers.closed_forms import TV_WEIGHT, clip_levels, linf_network_fit, tv_network_fit  # noqa: E402

torch.set_num_threads(1)
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "results" / "sign_closed_forms.json"
CVXPY_TIME_LIMIT = 60.0


def _load_tv_benchmark():
    """The colleague's ``benchmarks/tv_solver.py`` as a module (its cvxpy reference and KKT check)."""
    spec = importlib.util.spec_from_file_location("tv_solver_benchmark", HERE / "tv_solver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(fn, repeats=3):
    best, out = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


# ---------------------------------------------------------------------------- ℓ∞ vs cvxpy
def linf_objective(v, y, omega):
    r = v - y
    return float(0.5 * r @ r + omega * (v.max() - v.min()))


def linf_kkt_violation(v, y, omega):
    """Optimality of ``v`` for ``½‖v − y‖² + ω(max v − min v)``, relative to max(1, max|y|).

    The residual ``r = y − v`` must vanish off argmax/argmin of ``v``, be ≥ 0 on the
    argmax, ≤ 0 on the argmin, and carry mass ``+ω`` and ``−ω`` there (or, for a
    constant ``v``, sum to 0 with positive part ≤ ω).
    """
    scale = max(1.0, float(np.abs(y).max()))
    r = y - v
    tol = 1e-12 * scale
    top, bottom = v >= v.max() - tol, v <= v.min() + tol
    if v.max() - v.min() <= tol:
        return max(abs(r.sum()), max(0.0, np.clip(r, 0, None).sum() - omega)) / scale
    viol = [abs(r[~(top | bottom)]).max(initial=0.0),
            max(0.0, -r[top].min()), max(0.0, r[bottom].max()),
            abs(r[top].sum() - omega), abs(r[bottom].sum() + omega)]
    return float(max(viol)) / scale


def solve_linf_cvxpy(y, beta, tol):
    import cvxpy as cp

    t0 = time.perf_counter()
    u, xi = cp.Variable(y.size), cp.Variable()
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(u + xi - y) + beta * cp.norm_inf(u)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol)
    total = time.perf_counter() - t0
    return np.asarray(u.value) + float(xi.value), total, problem.status


def run_linf(sizes, beta, seed, tol):
    rows, too_slow = [], False
    omega = TV_WEIGHT["sign"] * beta
    x_cache = {}
    for n in sizes:
        rng = np.random.default_rng(seed + n)
        y = rng.standard_normal(n)
        x = x_cache.setdefault(n, np.arange(n, dtype=float))
        (v, f), t_ours = best_of(lambda: linf_network_fit(x, y, activation="sign", beta=beta))
        lo, hi = clip_levels(y, omega)
        row = {"N": n, "beta": beta, "t_ours_s": t_ours, "f_ours": f,
               "clipped_above": int((y > hi).sum()), "clipped_below": int((y < lo).sum()),
               "kkt_violation_rel": linf_kkt_violation(v, y, omega)}
        if not too_slow:
            v_ref, t_cvx, status = solve_linf_cvxpy(y, beta, tol)
            f_ref = linf_objective(v_ref, y, omega)
            row.update(t_cvxpy_s=t_cvx, cvxpy_status=status, time_ratio_cvxpy_over_ours=t_cvx / t_ours,
                       f_cvxpy=f_ref, objective_rel_diff=(f - f_ref) / abs(f_ref),
                       max_abs_fit_diff=float(np.abs(v - v_ref).max()))
            too_slow = t_cvx > CVXPY_TIME_LIMIT
        rows.append(row)
        print(f"linf N={n:>8}: ours {t_ours:.4f} s"
              + (f", cvxpy {row['t_cvxpy_s']:.2f} s, ratio {row['time_ratio_cvxpy_over_ours']:.0f}, "
                 f"rel df {row['objective_rel_diff']:.1e}, max|dv| {row['max_abs_fit_diff']:.1e}"
                 if "t_cvxpy_s" in row else "") + f", KKT {row['kkt_violation_rel']:.1e}", flush=True)
    return rows


# ---------------------------------------------------------------------------- Lasso vs closed forms
def run_lasso(sizes, beta, seed, tv_bench, tol):
    rows = []
    for n in sizes:
        data = lb.random_dataset(n, seed + n)
        for activation in ("sign", "threshold"):
            for route, widths, closed in [("TV (K = 1)", (1,), tv_network_fit),
                                          ("linf (K = N - 1)", (n - 1,), linf_network_fit)]:
                fam = lb.get_family(activation, depth=3, widths=widths)
                t0 = time.perf_counter()
                fit = lb.fit_lasso(data, family=fam, beta=beta)
                t_lasso = time.perf_counter() - t0
                (fitted, f_closed), t_closed = best_of(
                    lambda: closed(data, activation=activation, beta=beta))
                row = {"N": n, "activation": activation, "route": route, "K": fam.switch_budget(n),
                       "columns": fit.dictionary.size, "beta": beta,
                       "t_lasso_s": t_lasso, "t_closed_s": t_closed,
                       "time_ratio_lasso_over_closed": t_lasso / t_closed,
                       "f_lasso": fit.objective, "f_closed": f_closed,
                       "objective_rel_diff": (f_closed - fit.objective) / fit.objective,
                       "max_abs_fit_diff": float(np.abs(fitted - fit.predict(data.x)).max()),
                       "network_objective_rel_diff": abs(fit.network_objective() - fit.objective)
                       / fit.objective}
                if route.startswith("TV"):
                    lam = TV_WEIGHT[activation] * beta
                    u_ref, t_cvx, _, status = tv_bench.solve_cvxpy(data.y_sorted, lam, tol)
                    row["tv_cvxpy_max_abs_diff"] = float(np.abs(data.to_caller_order(u_ref) - fitted).max())
                    row["tv_kkt_violation_rel"] = tv_bench.kkt_violation(fitted[data.order],
                                                                          data.y_sorted, lam)
                rows.append(row)
                print(f"lasso N={n:>3} {activation:<9} {route:<17} columns {row['columns']:>6}: "
                      f"Lasso {t_lasso:.3f} s, closed {t_closed * 1e3:.3f} ms, "
                      f"rel df {row['objective_rel_diff']:.1e}, max|dv| {row['max_abs_fit_diff']:.1e}",
                      flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--lasso-beta", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cvxpy-tol", type=float, default=1e-12)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    sizes = [10**2, 10**3, 10**4] if args.quick else [10**2, 10**3, 10**4, 10**5, 10**6]
    lasso_sizes = [6, 8, 10] if args.quick else [6, 8, 10, 12, 14]
    tv_bench = _load_tv_benchmark()
    linf_rows = run_linf(sizes, args.beta, args.seed, args.cvxpy_tol)
    lasso_rows = run_lasso(lasso_sizes, args.lasso_beta, args.seed, tv_bench, args.cvxpy_tol)

    import clarabel
    import cvxpy

    result = {
        "benchmark": "sign_closed_forms",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "quick": args.quick, "beta_linf": args.beta, "beta_lasso": args.lasso_beta, "seed": args.seed,
            "y_linf": "numpy default_rng(seed + N).standard_normal(N)",
            "lasso_data": "lassobook.random_dataset(N, seed + N)",
            "ours_timing": "best of 3, time.perf_counter",
            "cvxpy_timing": "one run: build + compile + solve",
            "lasso_timing": "one run: dictionary + cvxpy/Clarabel solve (fit_lasso)",
            "clarabel_tol": args.cvxpy_tol,
            "cvxpy_time_limit_s": CVXPY_TIME_LIMIT,
            "tv_vs_cvxpy": "see results/tv_solver.json (benchmarks/tv_solver.py)",
        },
        "environment": {"python": platform.python_version(), "numpy": np.__version__,
                        "cvxpy": cvxpy.__version__, "clarabel": getattr(clarabel, "__version__", "?"),
                        "machine": platform.platform(), "cores": os.cpu_count()},
        "linf_vs_cvxpy": linf_rows,
        "lasso_vs_closed_forms": lasso_rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
