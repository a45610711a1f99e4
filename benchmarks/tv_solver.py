"""Benchmark: exact TV denoising (lassobook.solvers.tv) against cvxpy + Clarabel.

For each N, y ~ N(0, 1) (seeded) and lam = 1.0; our solver is timed as the
best of 3 warm runs (its numba kernel already compiled), cvxpy (problem
construction + compilation + Clarabel solve) once, in the same process.
cvxpy is run up to ``--cvxpy-max-n`` (default 10^4) and skipped for larger
N once a solve took more than 60 s.  For every N the optimality certificate
of our solution is also reported (max violation of the dual conditions,
relative to max|y|), so the sizes without a cvxpy reference are still
checked.  A second series times our solver on a
noiseless ramp (almost one segment per sample; one hull chain of the
taut string never empties).

The one-off cost of the numba kernel is measured apart, in two fresh
processes sharing an empty ``NUMBA_CACHE_DIR``: the first call in the first
process compiles it (``numba_compile_s``), the first call in the second loads
it from the on-disk cache (``numba_cached_first_call_s``).

A third series compares our solver with the ``condat-tv`` package (a Cython
wrapper of L. Condat's C code, "TV1D_denoise_v2", 2017: the linear-time
successor of the direct algorithm of IEEE SPL 2013; scalar weight only) on
random-walk, Gaussian, ramp and noisy step signals.  condat-tv is optional:
without it this series is skipped with a message.  Both solvers are timed
in this process, warm, as the best over ``--condat-rounds`` rounds of a
block of calls (one block per solver per round, order alternating), by
wall clock (``time.perf_counter``) and by this thread's CPU time
(``time.thread_time``, which excludes time the thread was descheduled:
steadier on a loaded machine).  Both include each package's own input
handling (ours validates ``y`` and ``lam``).  Also reported: the relative
objective difference, ``max|u_ours - u_condat|`` and the optimality
certificate of both solutions.

Usage::

    python benchmarks/tv_solver.py                  # N = 1e2 .. 1e6, all series
    python benchmarks/tv_solver.py --quick          # N <= 1e4, smaller condat series
    python benchmarks/tv_solver.py --condat-only    # only the condat-tv series

Results go to ``benchmarks/results/tv_solver.json`` (``--condat-only``:
``benchmarks/results/tv_solver_condat.json``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from lassobook.solvers.tv import tv_denoise, tv_objective

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_OUT = HERE / "results" / "tv_solver.json"
DEFAULT_OUT_CONDAT = HERE / "results" / "tv_solver_condat.json"
CVXPY_TIME_LIMIT = 60.0  # seconds; larger N are skipped once exceeded


# Run in a fresh interpreter: import, then the first call of tv_denoise.
FIRST_CALL = """
import json, time
t0 = time.perf_counter()
from lassobook.solvers.tv import tv_denoise
t1 = time.perf_counter()
tv_denoise([0.0, 1.0, 0.5], 0.1)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "first_call_s": t2 - t1}))
"""


def time_numba_first_call() -> dict:
    """Import and first-call times of lassobook.solvers.tv: compiling, then cached."""
    with tempfile.TemporaryDirectory() as cache_dir:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        runs = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", FIRST_CALL], env=env, cwd=ROOT,
                    capture_output=True, text=True, check=True,
                ).stdout
            )
            for _ in range(2)
        ]
    return {
        "numba_compile_s": runs[0]["first_call_s"],
        "numba_cached_first_call_s": runs[1]["first_call_s"],
        "tv_import_s": runs[0]["import_s"],
        "tv_cached_import_s": runs[1]["import_s"],
    }


def time_ours(y: np.ndarray, lam: float, repeats: int = 3) -> tuple[np.ndarray, float]:
    best = np.inf
    u = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        u = tv_denoise(y, lam)
        best = min(best, time.perf_counter() - t0)
    return u, best


def solve_cvxpy(y: np.ndarray, lam: float, tol: float) -> tuple[np.ndarray, float, float, str]:
    import cvxpy as cp

    t0 = time.perf_counter()
    u = cp.Variable(y.size)
    problem = cp.Problem(
        cp.Minimize(0.5 * cp.sum_squares(u - y) + lam * cp.norm1(cp.diff(u)))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        problem.solve(
            solver=cp.CLARABEL, tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol
        )
    total = time.perf_counter() - t0
    solve_time = problem.solver_stats.solve_time
    return np.asarray(u.value), total, float(solve_time or np.nan), problem.status


def kkt_violation(u: np.ndarray, y: np.ndarray, lam: float) -> float:
    """Max violation of the optimality conditions, relative to max|y|.

    c = cumsum(y - u) must satisfy c_N = 0, |c_k| <= lam, and
    c_k = -lam * sign(u_{k+1} - u_k) at jumps.
    """
    scale = max(1.0, float(np.max(np.abs(y))))
    c = np.cumsum(y - u)
    d = np.diff(u)
    jumps = np.abs(d) > 1e-9 * scale
    viol = max(
        abs(float(c[-1])),
        float(np.max(np.abs(c[:-1]) - lam, initial=0.0)),
        float(np.max(np.abs(c[:-1][jumps] + lam * np.sign(d[jumps])), initial=0.0)),
    )
    return viol / scale


def run(sizes, lam, seed, cvxpy_max_n, tol):
    rows = []
    cvxpy_too_slow = False
    for n in sizes:
        rng = np.random.default_rng(seed + n)
        y = rng.standard_normal(n)
        u, t_ours = time_ours(y, lam)
        row = {
            "signal": "gaussian",
            "N": n,
            "lam": lam,
            "t_ours_s": t_ours,
            "segments": int(np.count_nonzero(np.diff(u)) + 1),
            "kkt_violation_rel": kkt_violation(u, y, lam),
            "f_ours": tv_objective(u, y, lam),
        }
        if n <= cvxpy_max_n and not cvxpy_too_slow:
            u_ref, t_cvx, t_solve, status = solve_cvxpy(y, lam, tol)
            f_ref = tv_objective(u_ref, y, lam)
            row.update(
                t_cvxpy_s=t_cvx,
                t_clarabel_solve_s=t_solve,
                cvxpy_status=status,
                time_ratio_cvxpy_over_ours=t_cvx / t_ours,
                max_abs_u_diff=float(np.max(np.abs(u - u_ref))),
                f_cvxpy=f_ref,
                # negative: our objective is lower than Clarabel's
                objective_rel_diff=(row["f_ours"] - f_ref) / abs(f_ref),
            )
            cvxpy_too_slow = t_cvx > CVXPY_TIME_LIMIT
        rows.append(row)
    return rows


def run_ramp(sizes, lam):
    rows = []
    for n in sizes:
        y = 1e-3 * np.arange(n, dtype=float)
        u, t_ours = time_ours(y, lam)
        rows.append(
            {
                "signal": "ramp 1e-3*n",
                "N": n,
                "lam": lam,
                "t_ours_s": t_ours,
                "segments": int(np.count_nonzero(np.diff(u)) + 1),
                "kkt_violation_rel": kkt_violation(u, y, lam),
            }
        )
    return rows


# ---------------------------------------------------------------------------
# condat-tv (Condat's C code) against ours
# ---------------------------------------------------------------------------


def condat_signals(quick: bool):
    """(name, N, y) of the condat-tv series; seeded."""
    sizes = [10**4, 10**5] if quick else [10**4, 10**5, 10**6]
    out = []
    for n in sizes:
        rng = np.random.default_rng(n)
        out.append(("random walk", n, np.cumsum(rng.standard_normal(n))))
    for n in sizes:
        out.append(("gaussian", n, np.random.default_rng(n + 1).standard_normal(n)))
    for n in ([10**5, 3 * 10**5] if quick else [10**5, 3 * 10**5, 10**6]):
        out.append(("ramp 1e-3*n", n, 1e-3 * np.arange(n, dtype=float)))
    if not quick:
        n = 10**6
        rng = np.random.default_rng(n + 2)
        steps = np.repeat(rng.normal(size=1000) * 5, n // 1000) + rng.normal(size=n)
        out.append(("steps + noise", n, steps))
        out.append(("ramp 1e-4*n", n, 1e-4 * np.arange(n, dtype=float)))
    return out


def time_pair(funcs: dict, rounds: int, calls: int) -> dict:
    """Best single-call time of each function over ``rounds`` blocks of ``calls``.

    Returns ``{name: (wall_s, cpu_s)}``; the order of the functions
    alternates from round to round.
    """
    best = {name: [np.inf, np.inf] for name in funcs}
    items = list(funcs.items())
    for r in range(rounds):
        for name, f in items if r % 2 == 0 else items[::-1]:
            for _ in range(calls):
                t0, c0 = time.perf_counter(), time.thread_time()
                f()
                c1, t1 = time.thread_time(), time.perf_counter()
                best[name][0] = min(best[name][0], t1 - t0)
                best[name][1] = min(best[name][1], c1 - c0)
    return {name: tuple(v) for name, v in best.items()}


def run_condat(lam: float, rounds: int, quick: bool):
    """The condat-tv series, or ``None`` if condat-tv is not installed."""
    try:
        import condat_tv
    except ImportError:
        return None
    rows = []
    for name, n, y in condat_signals(quick):
        u = tv_denoise(y, lam)  # warm: kernel compiled
        v = condat_tv.tv_denoise(y, lam)
        calls = max(3, min(20, int(2e5 // n)))
        times = time_pair(
            {
                "ours": lambda y=y: tv_denoise(y, lam),
                "condat": lambda y=y: condat_tv.tv_denoise(y, lam),
            },
            rounds,
            calls,
        )
        f_ours = tv_objective(u, y, lam)
        f_condat = tv_objective(v, y, lam)
        rows.append(
            {
                "signal": name,
                "N": n,
                "lam": lam,
                "t_ours_s": times["ours"][0],
                "t_condat_s": times["condat"][0],
                "ratio_ours_over_condat": times["ours"][0] / times["condat"][0],
                "cpu_ours_s": times["ours"][1],
                "cpu_condat_s": times["condat"][1],
                "cpu_ratio_ours_over_condat": times["ours"][1] / times["condat"][1],
                "calls_per_block": calls,
                "f_ours": f_ours,
                "f_condat": f_condat,
                # negative: our objective is lower
                "objective_rel_diff": (f_ours - f_condat) / abs(f_condat),
                "max_abs_u_diff": float(np.max(np.abs(u - v))),
                "kkt_violation_rel_ours": kkt_violation(u, y, lam),
                "kkt_violation_rel_condat": kkt_violation(v, y, lam),
                "segments": int(np.count_nonzero(np.diff(u)) + 1),
            }
        )
    return rows


def print_condat_table(rows):
    print(f"\nours against condat-tv (Condat's C code, TV1D_denoise_v2), lam = {rows[0]['lam']:g};")
    print("best single call, wall clock and thread CPU time; ratio = ours / condat")
    head = (
        f"{'signal':>14} {'N':>8} {'ours [ms]':>10} {'condat [ms]':>11} {'ratio':>6} "
        f"{'cpu ratio':>9} {'rel df':>9} {'max|du|':>8} {'KKT ours':>9} {'KKT condat':>10}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['signal']:>14} {r['N']:>8} {r['t_ours_s'] * 1e3:>10.3f} "
            f"{r['t_condat_s'] * 1e3:>11.3f} {r['ratio_ours_over_condat']:>6.2f} "
            f"{r['cpu_ratio_ours_over_condat']:>9.2f} {r['objective_rel_diff']:>9.1e} "
            f"{r['max_abs_u_diff']:>8.1e} {r['kkt_violation_rel_ours']:>9.1e} "
            f"{r['kkt_violation_rel_condat']:>10.1e}"
        )


def condat_environment() -> dict:
    try:
        from importlib.metadata import version

        return {"condat_tv": version("condat-tv")}
    except Exception:  # noqa: BLE001 -- not installed
        return {"condat_tv": None}


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def print_table(rows, ramp_rows):
    head = (
        f"{'N':>9} {'ours [s]':>10} {'cvxpy [s]':>10} {'(solve)':>9} {'ratio':>9} "
        f"{'max|du|':>9} {'rel df':>10} {'KKT viol':>9} {'segments':>9}"
    )
    print("y ~ N(0,1), lam = %g" % rows[0]["lam"])
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['N']:>9} {r['t_ours_s']:>10.4f} {_fmt(r.get('t_cvxpy_s'), '10.3f'):>10} "
            f"{_fmt(r.get('t_clarabel_solve_s'), '9.3f'):>9} "
            f"{_fmt(r.get('time_ratio_cvxpy_over_ours'), '9.1f'):>9} "
            f"{_fmt(r.get('max_abs_u_diff'), '9.1e'):>9} "
            f"{_fmt(r.get('objective_rel_diff'), '10.1e'):>10} "
            f"{r['kkt_violation_rel']:>9.1e} {r['segments']:>9}"
        )
    print("\nours on a noiseless ramp y = 1e-3*n, lam = %g"
          % ramp_rows[0]["lam"])
    print(f"{'N':>9} {'ours [s]':>10} {'KKT viol':>9} {'segments':>9}")
    for r in ramp_rows:
        print(
            f"{r['N']:>9} {r['t_ours_s']:>10.4f} "
            f"{r['kkt_violation_rel']:>9.1e} {r['segments']:>9}"
        )


CONDAT_MISSING = (
    "condat-tv is not installed (pip install condat-tv; it builds from source "
    "with Cython and a C compiler): skipping the comparison with Condat's C code"
)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="only N <= 10^4 (condat-tv series: N <= 3e5)")
    parser.add_argument("--lam", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cvxpy-max-n", type=int, default=10**4)
    parser.add_argument("--cvxpy-tol", type=float, default=1e-12,
                        help="Clarabel tol_gap_abs = tol_gap_rel = tol_feas")
    parser.add_argument("--condat-only", action="store_true",
                        help="only the comparison with condat-tv")
    parser.add_argument("--condat-rounds", type=int, default=15,
                        help="rounds of the condat-tv timing (one block of calls "
                        "per solver per round; best call kept)")
    parser.add_argument("--out", type=Path, default=None,
                        help=f"default {DEFAULT_OUT.relative_to(ROOT)}, with "
                        f"--condat-only {DEFAULT_OUT_CONDAT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    out = args.out or (DEFAULT_OUT_CONDAT if args.condat_only else DEFAULT_OUT)

    import numba

    result = {
        "benchmark": "tv_solver",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }
    settings = {"quick": args.quick, "lam": args.lam}
    environment = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        # other processes share the machine: timings are best-of-k, but a
        # high load still inflates them (the condat-tv ratios less so)
        "loadavg_1min_at_start": os.getloadavg()[0],
    }
    tv_denoise([0.0, 1.0, 0.5], 0.1)  # compile (or load) the kernel: time warm calls
    if not args.condat_only:
        sizes = [10**2, 10**3, 10**4] if args.quick else [10**2, 10**3, 10**4, 10**5, 10**6]
        numba_times = time_numba_first_call()
        rows = run(sizes, args.lam, args.seed, args.cvxpy_max_n, args.cvxpy_tol)
        ramp_rows = run_ramp(sizes, args.lam)
        print_table(rows, ramp_rows)
        print(
            "\nnumba kernel, fresh process: first call {numba_compile_s:.2f} s (compiling), "
            "{numba_cached_first_call_s:.2f} s (from cache); import lassobook.solvers.tv "
            "{tv_import_s:.2f} s / {tv_cached_import_s:.2f} s".format(**numba_times)
        )

        import cvxpy

        try:
            import clarabel

            clarabel_version = getattr(clarabel, "__version__", "unknown")
        except ImportError:  # pragma: no cover
            clarabel_version = None
        settings.update(
            seed=args.seed,
            y="numpy default_rng(seed + N).standard_normal(N)",
            ours_timing="best of 3 warm calls (kernel compiled), time.perf_counter",
            numba_timing="first call in a fresh process with an empty "
            "NUMBA_CACHE_DIR (compile), then in a second one (cache); "
            "imports are timed separately",
            cvxpy_timing="one run: build + compile + solve, time.perf_counter",
            cvxpy_max_n=args.cvxpy_max_n,
            clarabel_tol=args.cvxpy_tol,
        )
        environment.update(cvxpy=cvxpy.__version__, clarabel=clarabel_version)
        result.update(numba_times)
        result.update(gaussian=rows, ramp=ramp_rows)

    condat_rows = run_condat(args.lam, args.condat_rounds, args.quick)
    environment.update(condat_environment())
    settings.update(
        condat_timing=f"{args.condat_rounds} rounds, each one block of "
        "calls_per_block warm calls per solver (order alternating); best "
        "single call by time.perf_counter (t_*) and time.thread_time (cpu_*); "
        "both include the packages' input handling",
        condat_signals="random walk: cumsum(default_rng(N).standard_normal(N)); "
        "gaussian: default_rng(N + 1).standard_normal(N); ramps noiseless; "
        "steps + noise: 1000 N(0, 25) levels + default_rng(N + 2) N(0, 1) noise",
    )
    if condat_rows is None:
        print("\n" + CONDAT_MISSING)
        result["condat"] = {"skipped": CONDAT_MISSING}
    else:
        print_condat_table(condat_rows)
        worst = max(condat_rows, key=lambda r: r["ratio_ours_over_condat"])
        worst_cpu = max(condat_rows, key=lambda r: r["cpu_ratio_ours_over_condat"])
        print(
            f"worst ratio ours/condat: {worst['ratio_ours_over_condat']:.2f} wall "
            f"({worst['signal']}, N = {worst['N']}), "
            f"{worst_cpu['cpu_ratio_ours_over_condat']:.2f} cpu "
            f"({worst_cpu['signal']}, N = {worst_cpu['N']})"
        )
        result["condat"] = condat_rows
    environment["loadavg_1min_at_end"] = os.getloadavg()[0]
    result["settings"] = settings
    result["environment"] = environment
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(
        "\nload average (1 min) at start / end: {:.1f} / {:.1f} on {} CPUs".format(
            environment["loadavg_1min_at_start"], environment["loadavg_1min_at_end"],
            os.cpu_count(),
        )
    )
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
