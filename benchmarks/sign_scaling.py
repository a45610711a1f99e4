"""Deep sign and threshold networks at scale: whole ``lassobook fit`` processes (issue #16).

    python benchmarks/sign_scaling.py                 # N = 10^5, both β, every case below
    python benchmarks/sign_scaling.py --n 10000 --beta0 0.01 --out benchmarks/results/sign_scaling_1e4.json

Each case is one ``lassobook fit`` process under ``/usr/bin/time -v`` (wall time and
peak resident memory of the whole process: Python start, imports, the structured
solve, the certificate over the continuous family, the rebuilt network, fit.json
and fit.png), default solver, ``OMP_NUM_THREADS=2`` (the 2-core target), killed after
``--timeout`` seconds.  Data: ``x`` uniform on ``[−π, π]`` (seed 0), ``y = sin x``
plus Gaussian noise 0.3, written to a CSV file once per ``N``; ``β = β₀·N``.

Cases: sign and threshold; depth 3 with widths (2,) (rectangular and tree: the
same family, ``K = 2``), depth 4 with widths (2, 2) rectangular (``K = m_1 = 2``)
and tree (``K = m_1 m_2 = 4``).  Targets (issue #16): ``N = 10⁵`` in < 30 s and
< 1 GB at ``β = 0.01·N``; within 3x of that at ``β = 0.001·N``.

Writes ``benchmarks/results/sign_scaling.json`` (``--out`` to change).  The committed
file collects several invocations (``runs``, each with its command-line scope and the
machine's load, which dominates wall times on a shared 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "sign_scaling.json"

#: (activation, depth, architecture, widths), most important first
CASES = [(act, depth, arch, widths)
         for depth, arch, widths in [(3, "rectangular", (2,)), (4, "rectangular", (2, 2)),
                                     (4, "tree", (2, 2)), (3, "tree", (2,))]
         for act in ("sign", "threshold")]


def write_data(n: int, folder: Path, seed: int = 0, noise: float = 0.3) -> Path:
    """``x ~ U[−π, π]``, ``y = sin x + noise·N(0, 1)`` as a CSV file with header ``x,y``."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, n)
    y = np.sin(x) + noise * rng.standard_normal(n)
    path = folder / f"sin_{n}.csv"
    np.savetxt(path, np.c_[x, y], delimiter=",", header="x,y", comments="", fmt="%.17g")
    return path


def _time_v(text: str) -> dict:
    """Wall seconds and peak RSS (MB) from ``/usr/bin/time -v`` output."""
    out = {}
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if m:
        out["rss_mb"] = int(m.group(1)) / 1024
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if m:
        secs = 0.0
        for part in m.group(1).split(":"):
            secs = 60 * secs + float(part)
        out["wall_s"] = secs
    return out


def run_case(csv: Path, n: int, beta0: float, case, timeout: float, work: Path) -> dict:
    act, depth, arch, widths = case
    out_dir = work / f"{act}_{depth}_{arch}_{'x'.join(map(str, widths))}_{beta0:g}"
    cmd = ["/usr/bin/time", "-v", str(Path(sys.executable).with_name("lassobook")), "fit", str(csv), "--x", "x",
           "--y", "y", "--activation", act, "--depth", str(depth), "--architecture", arch,
           "--widths", *map(str, widths), "--beta", repr(beta0 * n), "--quiet", "--out", str(out_dir)]
    env = dict(os.environ, OMP_NUM_THREADS="2", MKL_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")
    record = {"activation": act, "depth": depth, "architecture": arch, "widths": list(widths),
              "n": n, "beta0": beta0, "beta": beta0 * n, "command": " ".join(cmd[2:]),
              "load_average_before": os.getloadavg()[0]}
    t0 = time.perf_counter()
    # own process group: on timeout the fit itself is killed, not only /usr/bin/time
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        record.update(status="timeout", wall_s=time.perf_counter() - t0, timeout_s=timeout)
        return record
    record.update(_time_v(stderr), load_average_after=os.getloadavg()[0])
    record["status"] = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    if proc.returncode != 0:
        record["error"] = stderr.strip().splitlines()[-25:]
    fit_json = out_dir / "fit.json"
    if fit_json.exists():
        info = json.loads(fit_json.read_text())
        record.update(certified=info.get("certified"), objective=info.get("objective"),
                      units=len(info.get("neurons", [])), dual_ratio=info.get("dual_ratio"),
                      dual_exact=info.get("dual_exact"), relative_gap=info.get("relative_duality_gap"),
                      network_relative_error=info.get("network_relative_error"))
    record["meets_time"] = record.get("wall_s", np.inf) < 30 * (3 if beta0 < 0.01 else 1)
    record["meets_memory"] = record.get("rss_mb", np.inf) < 1024 * (3 if beta0 < 0.01 else 1)
    return record


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--beta0", type=float, nargs="+", default=[0.01, 0.001])
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--cases", type=int, nargs="*", help="indices into CASES (default: all)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    cases = CASES if not args.cases else [CASES[i] for i in args.cases]
    work = Path(tempfile.mkdtemp(prefix="sign_scaling_"))
    results = []
    try:
        csv = write_data(args.n, work)
        for beta0 in args.beta0:
            for case in cases:
                rec = run_case(csv, args.n, beta0, case, args.timeout, work)
                results.append(rec)
                print(json.dumps({k: rec.get(k) for k in ("activation", "depth", "architecture", "widths",
                                                           "beta0", "status", "wall_s", "rss_mb",
                                                           "certified", "units")}), flush=True)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(_payload(args, results), indent=1) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _payload(args, results) -> dict:
    return {"benchmark": "sign_scaling", "date": time.strftime("%Y-%m-%d %H:%M:%S"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            "targets": {"beta0=0.01": "N=1e5 in < 30 s, < 1 GB", "beta0=0.001": "within 3x"},
            "n": args.n, "timeout_s": args.timeout, "results": results}


if __name__ == "__main__":
    main()
