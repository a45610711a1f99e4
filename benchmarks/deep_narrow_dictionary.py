"""Deep narrow ReLU dictionary (L = 4): vectorized construction + Lasso solve vs entry-by-entry.

    python benchmarks/deep_narrow_dictionary.py                # N = 6, 16, 32
    python benchmarks/deep_narrow_dictionary.py --sizes 6 16

For each N (a seeded random dataset, beta = 0.01):

* **lassobook**: ``build_dictionary(data, DeepNarrowReLU(4))`` — all (2N)³·2 raw
  columns at once with numpy broadcasting, pruning of vanishing and constant
  columns and merging of columns equal up to sign and a constant (hashed) —
  and ``solve_lasso`` on it;
* **baseline** (written here): the dense (2N)³·2 matrix built one entry at a
  time by the recursive definition (the authors' ``reludic``), then the same
  Lasso solved on the *raw* matrix, as the authors do.  Run only when its
  predicted time (per-entry cost measured at N = 6) is under ``--baseline-budget``
  seconds; otherwise the row says "not run" and no ratio is reported.

Time: best of ``--repeats`` wall-clock runs.  Peak memory: a separate run under
``tracemalloc`` (numpy's array buffers are traced).  Targets (issue 3): >= 50x
faster than the baseline at N = 16; N = 32 under 5 s.  Results are printed and
written to ``benchmarks/results/deep_narrow_dictionary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np

from lassobook.core.data import random_dataset
from lassobook.core.dictionary import build_dictionary
from lassobook.families.deep_narrow import DeepNarrowReLU
from lassobook.solvers.lasso import solve_lasso

ROOT = Path(__file__).resolve().parents[1]


def baseline_solve(A, y):
    """The same Lasso on the raw matrix (its many repeated columns make Clarabel's
    last digits shaky: an 'optimal_inaccurate' status is recorded, not fatal)."""
    import cvxpy as cp

    z, xi = cp.Variable(A.shape[1]), cp.Variable()
    problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(A @ z + xi - y) + BETA * cp.norm1(z)))
    problem.solve(solver=cp.CLARABEL)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"baseline solve failed: {problem.status}")
    return float(problem.value), problem.status
BETA = 0.01
L = 4


def naive_feature(l, s, j, k, xs, x):
    """The recursive definition, one scalar at a time."""
    if l == 1:
        return x
    l = l - 1
    a = 2 * xs[j[1]] - xs[j[0]] if (l == 1 and k == 1) else xs[j[l - 1]]
    return max(0.0, s[l - 1] * (naive_feature(l, s, j, k, xs, x) - naive_feature(l, s, j, k, xs, a)))


def naive_matrix(xs) -> np.ndarray:
    """The dense raw (n, (2N)^3 · 2) matrix, entry by entry."""
    n = xs.size
    xl = xs.tolist()
    cols = []
    for k in range(2):
        for s_idx in np.ndindex(2, 2, 2):
            s = [-1.0 if v == 0 else 1.0 for v in s_idx]
            for j in np.ndindex(n, n, n):
                cols.append([naive_feature(L, s, j, k, xl, xv) for xv in xl])
    return np.array(cols).T


def ours(data):
    D = build_dictionary(data, DeepNarrowReLU(L))
    t_build = time.perf_counter()
    sol = solve_lasso(D.matrix, data.y, BETA)
    return D, sol, t_build


def timed(fn, repeats):
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        total = time.perf_counter() - t0
        if best is None or total < best[0]:
            best = (total, out, t0)
    return best


def peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[6, 16, 32])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-budget", type=float, default=120.0,
                        help="run the baseline only if its predicted time is below this (s)")
    args = parser.parse_args(argv)

    # per-entry cost of the baseline, measured once at N = 6
    probe = random_dataset(6, seed=0)
    t0 = time.perf_counter()
    naive_matrix(probe.x_sorted)
    per_entry = (time.perf_counter() - t0) / (6 * (2 * 6) ** 3 * 2)

    rows = []
    for n in args.sizes:
        data = random_dataset(n, seed=n)
        raw = (2 * n) ** 3 * 2
        total, (D, sol, t_build_end), t_start = timed(lambda: ours(data), args.repeats)
        build_s = t_build_end - t_start
        solve_s = total - build_s
        mem = peak_mb(lambda: ours(data))
        row = {"N": n, "raw_columns": raw, "kept_columns": D.size, "objective": sol.objective,
               "ours_build_s": round(build_s, 4), "ours_solve_s": round(solve_s, 4),
               "ours_total_s": round(total, 4), "ours_peak_MB": round(mem, 1)}
        predicted = per_entry * n * raw
        if predicted <= args.baseline_budget:
            t0 = time.perf_counter()
            A = naive_matrix(data.x_sorted)
            base_build = time.perf_counter() - t0
            t0 = time.perf_counter()
            base_sol, base_status = baseline_solve(A, data.y_sorted)
            base_solve = time.perf_counter() - t0
            base_mem = peak_mb(lambda: naive_matrix(data.x_sorted)) if n <= 16 else float("nan")
            assert abs(base_sol - sol.objective) <= 1e-5 * sol.objective, (base_sol, sol.objective)
            row.update({"baseline_build_s": round(base_build, 3), "baseline_solve_s": round(base_solve, 3),
                        "baseline_total_s": round(base_build + base_solve, 3),
                        "baseline_build_peak_MB": round(base_mem, 1),
                        "build_speedup": round(base_build / build_s, 1),
                        "total_speedup": round((base_build + base_solve) / total, 1),
                        "baseline_objective": base_sol, "baseline_status": base_status})
        else:
            row.update({"baseline": "not run", "baseline_predicted_build_s": round(predicted, 1)})
        rows.append(row)

    print(f"\nL = 4 deep narrow ReLU dictionary, beta = {BETA}, best of {args.repeats} "
          f"(baseline per-entry cost {per_entry * 1e6:.2f} µs, measured at N = 6)")
    head = (f"{'N':>3} {'raw cols':>9} {'kept':>6} {'build s':>8} {'solve s':>8} {'total s':>8} "
            f"{'peak MB':>8} | {'base build s':>12} {'base solve s':>12} {'build x':>8} {'total x':>8}")
    print(head)
    print("-" * len(head))
    for r in rows:
        if "baseline_build_s" in r:
            tail = (f"{r['baseline_build_s']:>12.2f} {r['baseline_solve_s']:>12.2f} "
                    f"{r['build_speedup']:>8.1f} {r['total_speedup']:>8.1f}")
        else:
            tail = f"{'not run (predicted build ' + str(r['baseline_predicted_build_s']) + ' s)':>44}"
        print(f"{r['N']:>3} {r['raw_columns']:>9} {r['kept_columns']:>6} {r['ours_build_s']:>8.3f} "
              f"{r['ours_solve_s']:>8.3f} {r['ours_total_s']:>8.3f} {r['ours_peak_MB']:>8.1f} | {tail}")
    result = {
        "rows": rows,
        "beta": BETA,
        "depth": L,
        "baseline_per_entry_us": per_entry * 1e6,
        "targets": {"speedup_at_16": 50, "N32_total_s": 5.0},
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
        "note": "machine shared with other jobs; times are wall clock, best of repeats",
    }
    by_n = {r["N"]: r for r in rows}
    if 16 in by_n and "total_speedup" in by_n[16]:
        result["speedup_at_16_met"] = {"build": by_n[16]["build_speedup"] >= 50,
                                       "total": by_n[16]["total_speedup"] >= 50}
    if 32 in by_n:
        result["N32_under_5s"] = by_n[32]["ours_total_s"] < 5.0
    out = ROOT / "benchmarks" / "results" / "deep_narrow_dictionary.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
