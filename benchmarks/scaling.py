"""Scaling of certified global training: whole ``lassobook fit`` processes at the sizes of
issue #16, and the structured solver vs dense cvxpy vs Adam.

    python benchmarks/scaling.py                          # the targets of issue #16 (~12 min)
    python benchmarks/scaling.py --families relu2,deep3 --beta0s 0.01 --n 100000   # a subset
    python benchmarks/scaling.py --quick                  # issue #6: structured vs dense vs Adam
    python benchmarks/scaling.py --methods compare,structured,dense,adam   # issue #6, full
    python benchmarks/scaling.py --methods compare --families deep4 --out benchmarks/results/scaling_compare.json

``cli`` cases (the default; issue #16) each run one whole ``lassobook fit`` process —
Python start, imports, reading the CSV, the certified fit, ``fit.json`` and ``fit.png`` —
on a CSV file written beforehand (``y = sin x + 0.3·noise``, ``x`` uniform on [0, 10],
seed 0, ``β = β₀·N``), with the default solver and the machine's cores.  ``time`` is its
wall time, ``cpu_s`` its own user + system CPU seconds, ``rss_mb`` its peak resident
memory (``ru_maxrss`` of that child alone, from ``os.wait4``); ``pass_s`` is the time of one pass over the data measured in this process
just before (``np.sort`` plus ``np.cumsum`` of N random numbers, best of 3), and
``passes = time / pass_s`` the run in units of that pass, which is what to compare
across machines and loads; ``load_before`` is the machine's load average when the
case started.  ``iterations`` and ``working_set`` come from the run's ``fit.json``
(``solver``), as do ``certified`` and ``objective``.  Targets (``TARGETS``: issue #16,
at β₀ = 0.01; 3x the time at β₀ = 0.001): depth-2 ReLU, leaky ReLU and absolute value
at N = 10⁶ in under 10 s and 1 GB; ReLU chains of depth 3 and 4 at N = 10⁶ in under
60 s and 2 GB; three-layer absolute value and symmetrized ReLU at N = 10⁴ in under
30 s and 2 GB; deep sign and threshold networks of depth 3 and 4, rectangular and
tree (widths 2 and 2 × 2: ``K`` = 2 switches, and 4 for the depth-4 tree) at N = 10⁵
in under 30 s and 1 GB.  Results: ``benchmarks/results/scaling_cli.json``.

The other methods (issue #6):

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
    "leaky2": dict(activation="leaky_relu", depth=2),
    "abs2": dict(activation="abs", depth=2),
    "deep3": dict(activation="relu", depth=3),
    "deep4": dict(activation="relu", depth=4),
    "abs3": dict(activation="abs", depth=3),
    "sign2": dict(activation="sign", depth=2),
    "symrelu3": dict(activation="symmetrized_relu", depth=3),
    # deep sign and threshold networks: K = 2 switches (depth 3, and depth 4 rectangular) and
    # K = 4 (depth 4 tree); at depth 3 with widths (2,) the two architectures are one family
    **{f"{short}{depth}{tag}": dict(activation=act, depth=depth, architecture=arch, widths=widths)
       for short, act in (("sign", "sign"), ("thr", "threshold"))
       for depth, tag, arch, widths in ((3, "r", "rectangular", (2,)), (3, "t", "tree", (2,)),
                                        (4, "r", "rectangular", (2, 2)), (4, "t", "tree", (2, 2)))},
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
METHODS = ("cli", "compare", "structured", "dense", "adam")
#: issue #16: (N, seconds, GB) per family for one ``lassobook fit`` process at β = 0.01·N
#: (at β = 0.001·N the time limit is 3x, no memory limit)
TARGETS = {"relu2": (10**6, 10.0, 1.0), "leaky2": (10**6, 10.0, 1.0), "abs2": (10**6, 10.0, 1.0),
           "deep3": (10**6, 60.0, 2.0), "deep4": (10**6, 60.0, 2.0),
           "abs3": (10**4, 30.0, 2.0), "symrelu3": (10**4, 30.0, 2.0),
           **{f"{a}{d}{t}": (10**5, 30.0, 1.0) for a in ("sign", "thr") for d in (3, 4) for t in "rt"}}
CLI_BETA0 = (0.01, 0.001)


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


def write_csv(path: Path, n: int, seed: int = 0) -> None:
    """The issue-16 data: ``x`` uniform on [0, 10], ``y = sin x + 0.3·N(0, 1)``, full precision."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 10.0, n)
    y = np.sin(x) + 0.3 * rng.standard_normal(n)
    with open(path, "w") as fh:
        fh.write("x,y\n")
        np.savetxt(fh, np.column_stack([x, y]), delimiter=",", fmt="%.17g")


def one_pass(n: int, repeats: int = 3) -> float:
    """Seconds of one pass over N numbers: ``np.sort`` plus ``np.cumsum`` (best of ``repeats``)."""
    import numpy as np

    data = np.random.default_rng(1).standard_normal(n)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.cumsum(np.sort(data))
        best = min(best, time.perf_counter() - t0)
    return best


def run_cli(case: dict, csv: Path, folder: Path, timeout: float) -> dict:
    """One whole ``lassobook fit`` process: wall time, its own peak RSS (``os.wait4``), fit.json."""
    import signal
    import threading

    fam = FAMILIES[case["family"]]
    out = folder / f"{case['family']}-{case['n']}-{case['beta0']:g}"
    script = Path(sys.executable).with_name("lassobook")      # the installed command
    cmd = ([str(script)] if script.is_file() else [sys.executable, "-m", "lassobook.cli"]) + [
           "fit", str(csv), "--x", "x", "--y", "y",
           "--activation", fam["activation"], "--depth", str(fam["depth"]),
           "--beta", repr(case["beta0"] * case["n"]), "--out", str(out), "--quiet"]
    if "architecture" in fam:
        cmd += ["--architecture", fam["architecture"], "--widths", *map(str, fam["widths"])]
    row = dict(case, beta=case["beta0"] * case["n"], pass_s=one_pass(case["n"]))
    with open(folder / "stderr.txt", "w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        timer = threading.Timer(timeout, lambda: os.kill(proc.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        message = err.read().strip().splitlines()
    row.update(time=elapsed, rss_mb=usage.ru_maxrss / 1024, cpu_s=usage.ru_utime + usage.ru_stime,
               passes=elapsed / row["pass_s"])
    if proc.returncode != 0:
        why = f"timeout > {timeout:g} s" if elapsed >= timeout else (message[-1] if message else "")
        return dict(row, status=f"error (exit {proc.returncode}): {why}"[:300])
    record = json.loads((out / "fit.json").read_text())
    solver = record.get("solver", {})
    _, seconds, gb = TARGETS.get(case["family"], (None, float("nan"), float("nan")))
    if case["beta0"] < 0.01:          # issue #16: 3x the time at β = 0.001·N (no memory target)
        seconds, gb = 3 * seconds, None
    return dict(row, status="ok", certified=record["certified"], objective=record["objective"],
                units=len(record["neurons"]), iterations=solver.get("iterations"),
                working_set=solver.get("working_set"), fit_s=solver.get("seconds"),
                target_s=seconds, target_gb=gb,
                meets=bool(elapsed < seconds and (gb is None or row["rss_mb"] < gb * 1000)
                           and record["certified"]))


def run_cli_cases(args, families: list[str]) -> None:
    """The issue-16 table: each case one ``lassobook fit`` process on a CSV written beforehand."""
    import tempfile

    beta0s = [float(b) for b in args.beta0s.split(",") if b]
    cases = [dict(method="cli", family=f, n=args.n or TARGETS[f][0], beta0=b) for b in beta0s
             for f in families if f in TARGETS]
    meta = dict(method="cli", n=args.n, beta0s=beta0s, families=families, timeout=args.timeout or 600.0,
                load_before=os.getloadavg()[0],
                data="x ~ U(0, 10), y = sin x + 0.3 N(0, 1), seed 0", python=platform.python_version(),
                machine=platform.machine(), cpus=os.cpu_count(), date=time.strftime("%Y-%m-%d %H:%M:%S"))
    out = Path(args.out_cli)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'family':<7} {'N':>8} {'beta':>8} {'time s':>8} {'cpu s':>6} {'target':>7} {'RSS MB':>7} "
          f"{'passes':>7} {'iter':>5} {'W':>5} {'units':>5} status")
    with tempfile.TemporaryDirectory(prefix="lassobook-scaling-") as tmp:
        for case in cases:
            csv = Path(tmp) / f"data-{case['n']}.csv"
            if not csv.exists():
                write_csv(csv, case["n"])
            load = os.getloadavg()[0]
            row = dict(run_cli(case, csv, Path(tmp), meta["timeout"]), load_before=load)
            rows.append(row)
            ok = row["status"] if row["status"] != "ok" else (
                ("certified" if row["certified"] else "NOT certified")
                + ("" if row["meets"] else " (misses the target)"))
            print(f"{row['family']:<7} {row['n']:>8} {row['beta']:>8.4g} {row['time']:>8.2f} {row['cpu_s']:>6.2f} "
                  f"{row.get('target_s', float('nan')):>7.0f} {row['rss_mb']:>7.0f} "
                  f"{row['passes']:>7.0f} {row.get('iterations') or 0:>5} {row.get('working_set') or 0:>5} "
                  f"{row.get('units', 0):>5} {ok}", flush=True)
            out.write_text(json.dumps(dict(meta=dict(meta, complete=False), rows=rows), indent=1))
    meta["load_after"] = os.getloadavg()[0]
    out.write_text(json.dumps(dict(meta=dict(meta, complete=True), rows=rows), indent=1))
    print(f"wrote {out}")


def _label(family: str) -> str:
    """The chapter's name of a family key: "ReLU, L = 2", "sign, L = 4, tree (2, 2)"."""
    fam = FAMILIES[family]
    names = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "abs": "abs", "sign": "sign",
             "threshold": "threshold", "symmetrized_relu": "symmetrized ReLU"}
    name = "ReLU chain" if family.startswith("deep") else names[fam["activation"]]
    text = f"{name}, L = {fam['depth']}"
    if "architecture" in fam:
        arch = "rect." if fam["architecture"] == "rectangular" else "tree"
        text += f", {arch} ({', '.join(map(str, fam['widths']))})"
    return text


def _power_of_ten(n: int) -> str:
    """``10⁶`` for 1000000, else the number with thin spaces."""
    k = len(str(n)) - 1
    if n == 10**k:
        return "10" + "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(c)] for c in str(k))
    return f"{n:,}".replace(",", "\u2009")


def markdown_table(path: Path) -> str:
    """The chapter's tables (book/scaling.md) of the cli results in ``path``: the targets, then one
    row per run (seconds, peak memory, passes, iterations, working set); a run that is not
    certified, misses its target or failed says so in its seconds column."""
    groups = {}                                    # (N, seconds, GB) -> family labels
    for family, target in TARGETS.items():
        groups.setdefault(target, []).append(family)
    lines = ["| families | N | seconds at β = 0.01·N | at β = 0.001·N | peak memory at 0.01·N |",
             "|---|---|---:|---:|---:|"]
    for (n, seconds, gb), families in groups.items():
        names = dict.fromkeys(_label(f).split(", rect")[0].split(", tree")[0] for f in families)
        lines.append(f"| {'; '.join(names)} | {_power_of_ten(n)} | < {seconds:g} | < {3 * seconds:g} "
                     f"| < {gb * 1000:.0f} MB |")
    rows = json.loads(Path(path).read_text())["rows"]
    lines += ["", "| family | N | β | seconds | peak MB | passes | iterations | working set |",
              "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        start = f"| {_label(r['family'])} | {_power_of_ten(r['n'])} | {r['beta0']:g}·N "
        if r["status"] != "ok":
            lines.append(start + f"| {r['status']} | | | | |")
            continue
        flag = "" if r["certified"] else " **not certified**"
        flag += "" if r["meets"] else " **misses its target**"
        lines.append(start + f"| {r['time']:.1f}{flag} | {r['rss_mb']:.0f} | {r['passes']:,.0f} "
                     f"| {r['iterations']} | {r['working_set']} |")
    return "\n".join(lines)


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
    ap.add_argument("--methods", default=None,
                    help=f"comma-separated subset of {','.join(METHODS)} (default: cli, the issue-16 "
                         f"targets; with --quick: issue #6's compare,structured,dense,adam)")
    ap.add_argument("--n", type=int, default=None,
                    help="cli: training points (default: each family's target size, TARGETS)")
    ap.add_argument("--beta0s", default=",".join(map(str, CLI_BETA0)),
                    help="cli: comma-separated beta0 values, beta = beta0 * N (default 0.01,0.001)")
    ap.add_argument("--out-cli", default=str(ROOT / "benchmarks" / "results" / "scaling_cli.json"),
                    help="cli: results file (default benchmarks/results/scaling_cli.json)")
    ap.add_argument("--families", default=None,
                    help=f"comma-separated subset of {','.join(FAMILIES)} (default: all; cli: "
                         f"{','.join(TARGETS)})")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "scaling.json"))
    ap.add_argument("--table", action="store_true",
                    help="print the chapter's Markdown table of the cli results file (--out-cli) and stop")
    ap.add_argument("--case", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.table:
        print(markdown_table(Path(args.out_cli)))
        return
    if args.case:
        print(json.dumps(run_case(json.loads(args.case))))
        return
    methods = [m for m in (args.methods or ("compare,structured,dense,adam" if args.quick else "cli")).split(",")
               if m]
    families = [f for f in (args.families or ",".join(FAMILIES)).split(",") if f]
    bad = [m for m in methods if m not in METHODS] + [f for f in families if f not in FAMILIES]
    if bad:
        ap.error(f"unknown method or family: {', '.join(bad)}")
    if "cli" in methods:
        run_cli_cases(args, [f for f in (args.families or ",".join(TARGETS)).split(",") if f])
        methods.remove("cli")
        if not methods:
            return
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
