"""Whole ``lassobook fit`` processes for the three-layer abs and the symmetrized ReLU (issue #16).

    python benchmarks/oracles.py                      # N = 10³, 3·10³, 10⁴; β₀ = 0.01 and 0.001
    python benchmarks/oracles.py --n 1000 --beta0 0.01 --out benchmarks/results/oracles_quick.json

Each case writes ``y = sin x + 0.1·noise`` at ``N`` points, ``x`` uniform on
``[−2π, 2π]`` (seed 0), to a CSV file and runs
``lassobook fit DATA --activation A --depth 3 --beta β₀·N`` (default solver, so the
structured one with its oracle) as its own process under ``/usr/bin/time -v``:
``seconds`` is the process's wall time (imports, numba's cached code, the solve,
the certificate, the figure), ``cpu_seconds`` its user + system CPU time (what
the wall time would be on an idle machine, up to the BLAS threads),
``peak_rss_mb`` its maximum resident set.  Also
recorded per case: objective, units, certified, and the machine's 1-minute load
average before and after (the machine is shared; a load above its core count
slows every case down).

Then, in this process, one oracle call of each family on a near-optimal dual
(the residual of the fit at ``N = 1000``) against the former search — the
``O(N² log N)`` scan of every pair for the three-layer abs
(:meth:`~lassobook.families.abs3.AbsThreeLayerOracle._reference_search`) — as a
ratio measured in the same process (``speedup``).

Targets: ``N = 10⁴`` in < 30 s and < 2 GB at ``β₀ = 0.01``; within 3x of that at
``β₀ = 0.001``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = {"abs3": "abs", "symrelu3": "symmetrized_relu"}


def write_data(n: int, path: Path) -> None:
    """``y = sin x + 0.1·N(0, 1)``, ``x`` uniform on ``[−2π, 2π]``, seed 0."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-2 * np.pi, 2 * np.pi, n)
    y = np.sin(x) + 0.1 * rng.standard_normal(n)
    np.savetxt(path, np.c_[x, y], delimiter=",", header="x,y", comments="", fmt="%.17g")


def run_case(family: str, n: int, beta0: float, workdir: Path, timeout: float) -> dict:
    """One ``lassobook fit`` process under ``/usr/bin/time -v``."""
    data = workdir / f"data{n}.csv"
    if not data.exists():
        write_data(n, data)
    out = workdir / f"{family}-{n}-{beta0:g}"
    exe = shutil.which("lassobook") or str(Path(sys.executable).with_name("lassobook"))
    cmd = ["/usr/bin/time", "-v", exe, "fit", str(data), "--x", "x", "--y", "y",
           "--activation", FAMILIES[family], "--depth", "3", "--beta", repr(beta0 * n), "--out", str(out)]
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return dict(family=family, n=n, beta0=beta0, status="timeout", seconds=timeout, load_before=load0)
    seconds = time.perf_counter() - t0
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = [re.search(rf"{k} time \(seconds\): ([\d.]+)", proc.stderr) for k in ("User", "System")]
    record = dict(family=family, n=n, beta0=beta0, beta=beta0 * n, seconds=round(seconds, 2),
                  peak_rss_mb=round(int(rss.group(1)) / 1024, 1) if rss else None,
                  cpu_seconds=round(sum(float(m.group(1)) for m in cpu), 2) if all(cpu) else None,
                  status="ok" if proc.returncode == 0 else f"exit {proc.returncode}",
                  load_before=round(load0, 2), load_after=round(os.getloadavg()[0], 2))
    if proc.returncode == 0:
        fit = json.loads((out / "fit.json").read_text())
        record.update({k: fit.get(k) for k in ("objective", "certified", "max_dual_violation")})
        record["units"] = len(fit.get("neurons", []))
    else:
        record["stderr"] = proc.stderr[-2000:]
    return record


def oracle_speedup(n: int = 1000) -> list[dict]:
    """One oracle call on a near-optimal dual, new against the former search (same process)."""
    import lassobook as lb
    from lassobook.core.data import as_dataset

    rng = np.random.default_rng(0)
    x = rng.uniform(-2 * np.pi, 2 * np.pi, n)
    data = as_dataset(x, np.sin(x) + 0.1 * rng.standard_normal(n))
    rows = []
    for name, activation in FAMILIES.items():
        fam = lb.get_family(activation, 3)
        fit = lb.fit(data, family=fam, beta=0.01 * n)
        oracle = fam.oracle(fit.data)
        sums = oracle.sums(fit.solution.residual[fit.data.order])
        oracle.search(sums, 20)                                   # warm (numba's cache)
        t0 = time.perf_counter()
        value = oracle.search(sums, 20)[0]
        new = time.perf_counter() - t0
        row = dict(family=name, n=n, oracle_seconds=round(new, 4), max_ratio=value / fit.beta)
        if hasattr(oracle, "_reference_search"):
            t0 = time.perf_counter()
            ref = oracle._reference_search(sums, 20)[0]
            old = time.perf_counter() - t0
            row.update(reference_seconds=round(old, 4), speedup=round(old / new, 1), same_value=ref == value)
        rows.append(row)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 3000, 10_000])
    ap.add_argument("--beta0", type=float, nargs="+", default=[0.01, 0.001])
    ap.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results/oracles.json"))
    args = ap.parse_args(argv)
    cases = []
    with tempfile.TemporaryDirectory() as tmp:
        for beta0 in args.beta0:
            for family in args.families:
                for n in args.n:
                    record = run_case(family, n, beta0, Path(tmp), args.timeout)
                    print(json.dumps(record), flush=True)
                    cases.append(record)
    speed = oracle_speedup()
    print(json.dumps(speed), flush=True)
    result = dict(machine=dict(platform=platform.platform(), cpus=os.cpu_count(), python=sys.version.split()[0]),
                  targets="N = 1e4: < 30 s and < 2 GB at beta0 = 0.01; within 3x at beta0 = 0.001",
                  cases=cases, oracle_call=speed)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
