"""Scaling of certified global training: structured solver vs dense cvxpy vs Adam.

    python benchmarks/scaling.py --quick      # about a minute
    python benchmarks/scaling.py              # full: the targets of issue #6

Each case runs in its own subprocess (one thread), so the peak resident memory
(``ru_maxrss``) is that case's own; ``rss_baseline_mb`` is the same process
right after importing lassobook (torch + cvxpy), so ``rss_mb − rss_baseline_mb`` is
what the solve itself needed.  ``traced_mb`` is tracemalloc's peak (numpy and
Python allocations; not Clarabel's or torch's own).  Data: ``random_dataset(N, 0)``
(``sin 3x`` plus noise 0.3 on [−1, 1]) and ``β = β₀·N`` (the mean-squared-error
scaling, so the fit has a similar number of kinks at every N).  A dense case is
skipped (``"skipped"``) when its dictionary would exceed ``--dense-max-entries``
matrix entries, and killed at ``--timeout`` seconds.  Adam: one seeded network of
width 50, lr 5e-3, full batch, until within 1% of the Lasso optimum or the time cap.

Writes ``benchmarks/results/scaling.json`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAMILIES = {
    "relu2": dict(activation="relu", depth=2),
    "deep3": dict(activation="relu", depth=3),
    "deep4": dict(activation="relu", depth=4),
    "abs3": dict(activation="abs", depth=3),
    "sign2": dict(activation="sign", depth=2),
}

#: (family, N values) for the structured solver, per profile
QUICK = {"relu2": [100, 1000, 10_000], "deep3": [100, 1000], "deep4": [16, 100, 1000],
         "abs3": [30, 100, 300], "sign2": [1000, 10_000]}
FULL = {"relu2": [100, 1000, 10_000, 100_000], "deep3": [100, 1000, 10_000],
        "deep4": [16, 100, 1000], "abs3": [30, 100, 300, 1000], "sign2": [1000, 10_000, 100_000]}
DENSE_N = {"relu2": [100, 1000, 10_000], "deep3": [16, 30, 60], "deep4": [8, 16],
           "abs3": [30, 100], "sign2": [1000, 10_000]}
ADAM_N = {"relu2": [100, 1000], "deep3": [100], "deep4": [16, 100], "abs3": [30, 100]}


def dense_entries(family: str, n: int) -> int:
    """Entries of the raw dense dictionary matrix (rows × columns)."""
    depth = FAMILIES[family]["depth"]
    if family in ("deep3", "deep4"):
        return n * (2 * n) ** (depth - 1) * (2 if depth == 4 else 1)
    if family == "abs3":
        return n * (n + n * (n - 1) + n * (n - 1) // 2)
    return n * 2 * n


def run_case(case: dict) -> dict:
    """Run one case in this process (called in the child)."""
    import resource
    import tracemalloc

    import numpy as np
    import torch

    torch.set_num_threads(1)
    import lassobook as lb
    from lassobook.structured import dense_fit, fit_structured, train_adam_until

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fam = lb.get_family(**FAMILIES[case["family"]])
    n = case["n"]
    data = lb.random_dataset(n, 0)
    beta = case["beta0"] * n
    out = dict(case, beta=beta, rss_baseline_mb=base)
    tracemalloc.start()
    t0 = time.perf_counter()
    if case["method"] == "structured":
        fit = fit_structured(data, family=fam, beta=beta)
        cert = fit.certificate()
        out.update(objective=fit.objective, violation=cert.max_dual_violation,
                   certified=cert.certified, columns=cert.n_shapes, support=int(fit.support.size),
                   working_set=fit.dictionary.size, iterations=len(fit.history))
    elif case["method"] == "dense":
        fit = dense_fit(data, family=fam, beta=beta)
        dmax = float(np.abs(fit.solution.residual @ fit.dictionary.matrix).max())
        out.update(objective=fit.objective, violation=max(0.0, dmax / beta - 1), certified=None,
                   columns=fit.dictionary.size, support=int(fit.support.size))
    else:  # adam, racing the structured optimum
        fit = fit_structured(data, family=fam, beta=beta)
        tracemalloc.stop()
        tracemalloc.start()
        t0 = time.perf_counter()
        trace = train_adam_until(data, family=fam, beta=beta, target=fit.objective, rel_gap=0.01,
                                 time_cap=case["time_cap"], width=50, lr=5e-3, seed=0)
        out.update(objective=float(trace.objectives[-1]), lasso_objective=fit.objective,
                   reached=trace.reached, epochs=trace.epochs,
                   final_gap=float(trace.gaps[-1]), certified=None,
                   trace=[[float(a), float(b)] for a, b in zip(trace.times[::10], trace.gaps[::10])])
    out["time"] = time.perf_counter() - t0
    out["traced_mb"] = tracemalloc.get_traced_memory()[1] / 1e6
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def spawn(case: dict, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--case", json.dumps(case)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return dict(case, status=f"timeout > {timeout:g} s")
    if proc.returncode != 0:
        return dict(case, status="error: " + proc.stderr.strip().splitlines()[-1][:300])
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]), status="ok")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (about a minute)")
    ap.add_argument("--beta0", type=float, default=0.01, help="beta = beta0 * N (default 0.01)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per case (quick 60, full 300)")
    ap.add_argument("--adam-cap", type=float, default=None, help="Adam time cap, s (quick 10, full 60)")
    ap.add_argument("--dense-max-entries", type=float, default=2e8,
                    help="skip a dense case whose raw dictionary has more matrix entries (default 2e8 = 1.6 GB)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scaling.json"))
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return
    quick = args.quick
    timeout = args.timeout or (60.0 if quick else 300.0)
    cap = args.adam_cap or (10.0 if quick else 60.0)
    sizes = QUICK if quick else FULL
    cases = []
    for fam, ns in sizes.items():
        cases += [dict(method="structured", family=fam, n=n, beta0=args.beta0) for n in ns]
    for fam, ns in DENSE_N.items():
        if quick:
            ns = ns[:2]
        cases += [dict(method="dense", family=fam, n=n, beta0=args.beta0) for n in ns]
    for fam, ns in ADAM_N.items():
        if quick:
            ns = ns[:1]
        cases += [dict(method="adam", family=fam, n=n, beta0=args.beta0, time_cap=cap) for n in ns]
    rows = []
    print(f"{'method':<10} {'family':<7} {'N':>7} {'time s':>9} {'rss MB':>8} {'traced MB':>9} "
          f"{'objective':>16} {'violation':>10} status")
    for case in cases:
        if case["method"] == "dense" and dense_entries(case["family"], case["n"]) > args.dense_max_entries:
            row = dict(case, status="skipped (dictionary too large)")
        else:
            row = spawn(case, timeout + (cap if case["method"] == "adam" else 0))
        rows.append(row)
        if row["status"] == "ok":
            extra = ""
            if row["method"] == "adam":
                extra = f" reached={row['reached']} gap={row['final_gap']:.3g}"
            elif row["method"] == "structured":
                extra = f" support={row['support']} W={row['working_set']} of {row['columns']}"
            print(f"{row['method']:<10} {row['family']:<7} {row['n']:>7} {row['time']:>9.3f} "
                  f"{row['rss_mb']:>8.0f} {row['traced_mb']:>9.1f} {row['objective']:>16.10g} "
                  f"{row.get('violation', float('nan')):>10.2e} ok{extra}", flush=True)
        else:
            print(f"{row['method']:<10} {row['family']:<7} {row['n']:>7} {row['status']}", flush=True)
    meta = dict(profile="quick" if quick else "full", beta0=args.beta0, timeout=timeout, adam_cap=cap,
                python=platform.python_version(), machine=platform.machine(), cpus=os.cpu_count(),
                date=time.strftime("%Y-%m-%d %H:%M:%S"))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(dict(meta=meta, rows=rows), indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
