"""Scaling of certified global training: structured solver vs dense cvxpy vs Adam.

    python benchmarks/scaling.py --quick      # a few minutes
    python benchmarks/scaling.py              # full: the targets of issue #6
    python benchmarks/scaling.py --methods compare --families deep4 --out benchmarks/results/scaling_compare.json

Each case runs in its own subprocess (one thread, address space limited to
``--mem-limit`` GB, so a dense case that needs more fails with a MemoryError
instead of waking the machine's OOM killer), so the peak resident memory
(``ru_maxrss``) is that case's own; ``rss_baseline_mb`` is the same process
right after importing lassobook (torch + cvxpy), so ``rss_mb − rss_baseline_mb`` is
what the solve itself needed.  Data: ``random_dataset(N, 0)`` (``sin 3x`` plus
noise 0.3 on [−1, 1]) and ``β = β₀·N`` (the mean-squared-error scaling, so the fit
has a similar number of kinks at every N; ``--beta0``, or per case below).

Timing is *warm*: the first run of a case (``time_cold``, which also pays for
first-call costs such as loading numba's compiled code) runs under tracemalloc
(``traced_mb``: its peak of numpy and Python allocations, not Clarabel's or
torch's own); then the case is timed without tracing, best of ``repeats`` runs
(3 when the first run took under 5 s, 1 under 30 s, else none and ``time`` is
the first run).  A structured run is ``fit_structured`` *and* its certificate
over the full dictionary; ``gap`` is its certified relative duality gap
(:meth:`~lassobook.solvers.working_set.StructuredFit.duality_gap`).  A dense case is
skipped (``"skipped"``) when its dictionary would exceed ``--dense-max-entries``
matrix entries, and killed at ``--timeout`` seconds.

``compare`` cases (target 1 of issue #6) run the structured solver (fit +
certificate) and the dense reference on the same data and β in one process:
each once to warm up, then interleaved rounds, the structured solver's best of
all its runs against the dense solver's best of at least 3 (``time_structured``,
``time_dense``, ``speedup``); ``rel_diff`` is the relative difference of the
two optima.

Adam: one seeded network of width 50, lr 5e-3, full batch, until within 1% of
the Lasso optimum or the time cap (timed once, after a warm-up structured fit).

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
#: structured cases at their own β₀ (full profile): issue #6, "β = 1e-3·N at N = 10^5 certifies"
FULL_EXTRA = [("relu2", 100_000, 1e-3)]
DENSE_N = {"relu2": [100, 1000, 10_000], "deep3": [16, 30, 60], "deep4": [8, 16],
           "abs3": [30, 100], "sign2": [1000, 10_000]}
ADAM_N = {"relu2": [100, 1000], "deep3": [100], "deep4": [16, 100], "abs3": [30, 100]}
#: structured against dense in one process (issue #6: "N = 16, L = 4 ... at least 100x faster")
COMPARE_QUICK = {"deep4": [16], "deep3": [16], "relu2": [100], "abs3": [30]}
COMPARE_FULL = {"deep4": [8, 16], "deep3": [16, 30], "relu2": [100], "abs3": [30], "sign2": [1000]}
METHODS = ("compare", "structured", "dense", "adam")


def dense_entries(family: str, n: int) -> int:
    """Entries of the raw dense dictionary matrix (rows × columns)."""
    depth = FAMILIES[family]["depth"]
    if family in ("deep3", "deep4"):
        return n * (2 * n) ** (depth - 1) * (2 if depth == 4 else 1)
    if family == "abs3":
        return n * (n + n * (n - 1) + n * (n - 1) // 2)
    return n * 2 * n


def _warm_timing(fn):
    """First run under tracemalloc (cold time, traced peak), then the best of up to 3 untraced runs."""
    import tracemalloc

    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    cold = time.perf_counter() - t0
    traced = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    repeats = 3 if cold < 5 else 1 if cold < 30 else 0
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, dict(time=min(times) if times else cold, time_cold=cold, repeats=repeats,
                     traced_mb=traced)


def _compare(data, fam, beta, rounds: int = 5, per_round: int = 20) -> dict:
    """Structured (fit + certificate) against dense, both warm, interleaved in this process."""
    import numpy as np

    from lassobook.solvers.working_set import dense_fit, fit_structured

    def structured():
        fit = fit_structured(data, family=fam, beta=beta)
        return fit, fit.certificate()

    def dense():
        return dense_fit(data, family=fam, beta=beta)

    structured()
    dense()
    ts, td = [], []
    for _ in range(rounds):
        for _ in range(per_round):
            t0 = time.perf_counter()
            sf, cert = structured()
            ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        df = dense()
        td.append(time.perf_counter() - t0)
        if sum(td) > 60 and len(td) >= 3:
            break
    ts, td = np.array(ts), np.array(td)
    rel = (sf.objective - df.objective) / abs(df.objective)
    return dict(time_structured=float(ts.min()), time_dense=float(td.min()),
                median_structured=float(np.median(ts)), median_dense=float(np.median(td)),
                repeats_structured=int(ts.size), repeats_dense=int(td.size),
                speedup=float(td.min() / ts.min()), speedup_median=float(np.median(td) / np.median(ts)),
                objective=sf.objective, objective_dense=df.objective, rel_diff=float(rel),
                violation=cert.max_dual_violation, certified=cert.certified,
                gap=sf.duality_gap(cert) / abs(sf.objective), columns=cert.n_shapes,
                columns_dense=df.dictionary.size, working_set=sf.dictionary.size,
                support=int(sf.support.size), iterations=len(sf.history),
                time=float(ts.min()))


def run_case(case: dict) -> dict:
    """Run one case in this process (called in the child)."""
    import resource

    import numpy as np
    import torch

    torch.set_num_threads(1)
    import lassobook as lb
    from lassobook.solvers.working_set import dense_fit, fit_structured
    from lassobook.training import train_adam_until

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fam = lb.get_family(**FAMILIES[case["family"]])
    n = case["n"]
    data = lb.random_dataset(n, 0)
    beta = case["beta0"] * n
    out = dict(case, beta=beta, rss_baseline_mb=base)
    if case["method"] == "compare":
        out.update(_compare(data, fam, beta))
    elif case["method"] == "structured":
        def structured():
            fit = fit_structured(data, family=fam, beta=beta)
            return fit, fit.certificate()

        (fit, cert), timing = _warm_timing(structured)
        out.update(timing, objective=fit.objective, violation=cert.max_dual_violation,
                   certified=cert.certified, tol=fit.tol,
                   certified_at_tol=bool(cert.max_dual_violation <= fit.tol),
                   gap=fit.duality_gap(cert) / abs(fit.objective), columns=cert.n_shapes,
                   support=int(fit.support.size), working_set=fit.dictionary.size,
                   iterations=len(fit.history),
                   methods=sorted({h["method"] for h in fit.history}))
    elif case["method"] == "dense":
        fit, timing = _warm_timing(lambda: dense_fit(data, family=fam, beta=beta))
        dmax = float(np.abs(fit.solution.residual @ fit.dictionary.matrix).max())
        out.update(timing, objective=fit.objective, violation=max(0.0, dmax / beta - 1),
                   certified=None, columns=fit.dictionary.size, support=int(fit.support.size))
    else:  # adam, racing the structured optimum
        fit = fit_structured(data, family=fam, beta=beta)
        t0 = time.perf_counter()
        trace = train_adam_until(data, family=fam, beta=beta, target=fit.objective, rel_gap=0.01,
                                 time_cap=case["time_cap"], width=50, lr=5e-3, seed=0)
        out.update(time=time.perf_counter() - t0, objective=float(trace.objectives[-1]),
                   lasso_objective=fit.objective, reached=trace.reached, epochs=trace.epochs,
                   final_gap=float(trace.gaps[-1]), certified=None,
                   trace=[[float(a), float(b)] for a, b in zip(trace.times[::10], trace.gaps[::10])])
    out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def spawn(case: dict, timeout: float, mem_limit_gb: float) -> dict:
    """Run ``case`` in a child process with a time limit and an address-space limit."""
    import resource

    cmd = [sys.executable, __file__, "--case", json.dumps(case)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    limit = int(mem_limit_gb * 2**30)

    def cap_memory():      # a MemoryError in the child, not the machine's OOM killer
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              preexec_fn=cap_memory if limit > 0 else None)
    except subprocess.TimeoutExpired:
        return dict(case, status=f"timeout > {timeout:g} s")
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        why = lines[-1][:300] if lines else f"exit status {proc.returncode}"
        if "MemoryError" in proc.stderr or "bad_alloc" in proc.stderr:
            why = f"out of memory (> {mem_limit_gb:g} GB address space): {why}"
        return dict(case, status="error: " + why)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]), status="ok")


def _print_row(row: dict) -> None:
    head = f"{row['method']:<10} {row['family']:<7} {row['n']:>7} {row['beta']:>9.4g}"
    if row["status"] != "ok":
        print(f"{head} {row['status']}", flush=True)
        return
    if row["method"] == "compare":
        print(f"{head} structured {row['time_structured'] * 1e3:9.3f} ms  dense "
              f"{row['time_dense'] * 1e3:9.1f} ms  speedup {row['speedup']:7.1f}x "
              f"(median {row['speedup_median']:.1f}x)  rel diff {row['rel_diff']:.1e}  "
              f"violation {row['violation']:.1e}  gap {row['gap']:.1e}", flush=True)
        return
    extra = ""
    if row["method"] == "adam":
        extra = f" reached={row['reached']} gap={row['final_gap']:.3g}"
    elif row["method"] == "structured":
        extra = (f" support={row['support']} W={row['working_set']} of {row['columns']}"
                 f" it={row['iterations']} gap={row['gap']:.1e}")
    print(f"{head} {row['time']:>9.4g} {row.get('time_cold', float('nan')):>9.4g} "
          f"{row['rss_mb']:>8.0f} {row.get('traced_mb', float('nan')):>9.1f} "
          f"{row['objective']:>16.10g} {row.get('violation', float('nan')):>10.2e} ok{extra}",
          flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    ap.add_argument("--beta0", type=float, default=0.01, help="beta = beta0 * N (default 0.01)")
    ap.add_argument("--timeout", type=float, default=None, help="seconds per case (quick 60, full 300)")
    ap.add_argument("--adam-cap", type=float, default=None, help="Adam time cap, s (quick 10, full 60)")
    ap.add_argument("--dense-max-entries", type=float, default=2e8,
                    help="skip a dense case whose raw dictionary has more matrix entries (default 2e8 = 1.6 GB)")
    ap.add_argument("--mem-limit", type=float, default=8.0,
                    help="address-space limit of each case's process, GB (default 8; 0: none)")
    ap.add_argument("--methods", default=",".join(METHODS),
                    help=f"comma-separated subset of {','.join(METHODS)} (default: all)")
    ap.add_argument("--families", default=",".join(FAMILIES),
                    help=f"comma-separated subset of {','.join(FAMILIES)} (default: all)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scaling.json"))
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return
    methods = [m for m in args.methods.split(",") if m]
    families = [f for f in args.families.split(",") if f]
    bad = [m for m in methods if m not in METHODS] + [f for f in families if f not in FAMILIES]
    if bad:
        ap.error(f"unknown method or family: {', '.join(bad)}")
    quick = args.quick
    timeout = args.timeout or (60.0 if quick else 300.0)
    cap = args.adam_cap or (10.0 if quick else 60.0)
    b0 = args.beta0
    cases = []
    for fam, ns in (COMPARE_QUICK if quick else COMPARE_FULL).items():
        cases += [dict(method="compare", family=fam, n=n, beta0=b0) for n in ns]
    for fam, ns in (QUICK if quick else FULL).items():
        cases += [dict(method="structured", family=fam, n=n, beta0=b0) for n in ns]
    if not quick:
        cases += [dict(method="structured", family=fam, n=n, beta0=b) for fam, n, b in FULL_EXTRA]
    for fam, ns in DENSE_N.items():
        cases += [dict(method="dense", family=fam, n=n, beta0=b0) for n in (ns[:2] if quick else ns)]
    for fam, ns in ADAM_N.items():
        cases += [dict(method="adam", family=fam, n=n, beta0=b0, time_cap=cap)
                  for n in (ns[:1] if quick else ns)]
    cases = [c for c in cases if c["method"] in methods and c["family"] in families]
    meta = dict(profile="quick" if quick else "full", beta0=b0, timeout=timeout, adam_cap=cap,
                mem_limit_gb=args.mem_limit, methods=methods, families=families,
                python=platform.python_version(), machine=platform.machine(), cpus=os.cpu_count(),
                date=time.strftime("%Y-%m-%d %H:%M:%S"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'method':<10} {'family':<7} {'N':>7} {'beta':>9} {'time s':>9} {'cold s':>9} {'rss MB':>8} "
          f"{'traced MB':>9} {'objective':>16} {'violation':>10} status")
    for case in cases:
        if case["method"] == "dense" and dense_entries(case["family"], case["n"]) > args.dense_max_entries:
            row = dict(case, beta=case["beta0"] * case["n"], status="skipped (dictionary too large)")
        else:
            row = spawn(case, timeout + (cap if case["method"] == "adam" else 0), args.mem_limit)
        row.setdefault("beta", case["beta0"] * case["n"])
        rows.append(row)
        _print_row(row)
        out.write_text(json.dumps(dict(meta=dict(meta, complete=False), rows=rows), indent=1))
    out.write_text(json.dumps(dict(meta=dict(meta, complete=True), rows=rows), indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
