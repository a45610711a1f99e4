"""Wall time and memory of the book build, per profile, from a cold cache.

    python benchmarks/build_times.py                     # quick and full
    python benchmarks/build_times.py --profiles quick     # one profile
    python benchmarks/build_times.py --jobs 2            # notebooks two at a time

Each profile is built with ``force=True`` (every notebook re-executed), then
once more to time the cached rebuild. Recorded per profile in
``benchmarks/results/build_times.json`` (and printed):

* ``cold_seconds``, ``cached_seconds``: wall time of the two builds;
* ``notebooks``: per notebook, the execution's ``seconds`` and ``peak_mb``, the
  peak resident memory of its kernel (from the build record, see
  :mod:`lassobook.book.record`);
* ``build_tree_peak_mb``: the peak of the summed resident memory of the whole
  process tree of the cold build (this process, the kernels, the worker
  processes of ``--jobs N``, Sphinx), polled every 0.5 s
  (:class:`lassobook.book.memory.PeakMemory`);
* ``build_process_peak_mb``: the peak of this process alone (``getrusage``).

The package hash that keys the notebook cache is computed once, at the start:
the cached rebuild measures the cache, even if ``lassobook/*.py`` is edited
while the cold build runs.

Targets: the quick build in under 180 s (issue 16; 5 min in issue 2), the full build in
under 30 min (issue 2) and under 4 GB in its largest process (issue 16: ``peak_process_mb``,
the larger of the largest kernel and the build process), on 2 cores.  ``--jobs`` defaults
to the build's own default (one notebook per core, as memory allows).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from lassobook.book import build
from lassobook.book.build import build_book
from lassobook.book.execute import default_jobs
from lassobook.book.memory import PeakMemory
from lassobook.book.record import RECORD_NAME, summary

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"quick": 180.0, "full": 1800.0}
MEMORY_TARGET_MB = {"full": 4000.0}


def measure(profile: str, jobs: int) -> dict:
    """Build ``profile`` cold (``force=True``) and cached; return the results entry."""
    t0 = time.perf_counter()
    with PeakMemory(os.getpid(), interval=0.5) as tree:
        index = build_book(profile, root=ROOT, force=True, progress=False, jobs=jobs)
    cold = time.perf_counter() - t0
    record = json.loads((index.parent / RECORD_NAME).read_text(encoding="utf-8"))
    print(summary(record))
    t0 = time.perf_counter()
    build_book(profile, root=ROOT, progress=False, jobs=jobs)
    cached = time.perf_counter() - t0
    notebooks = {key: {"seconds": nb.get("seconds"), "peak_mb": nb.get("peak_mb")}
                 for key, nb in record["notebooks"].items()}
    peak = max([record.get("build_process_peak_mb") or 0.0]
               + [nb["peak_mb"] or 0.0 for nb in notebooks.values()])
    return {
        "cold_seconds": round(cold, 1),
        "cached_seconds": round(cached, 1),
        "cached_over_cold": round(cached / cold, 3),
        "target_seconds": TARGETS.get(profile),
        "within_target": cold <= TARGETS.get(profile, float("inf"))
        and peak <= MEMORY_TARGET_MB.get(profile, float("inf")),
        "memory_target_mb": MEMORY_TARGET_MB.get(profile),
        "jobs": jobs,
        "peak_process_mb": peak,
        "build_tree_peak_mb": tree.peak_mb,
        "build_process_peak_mb": record.get("build_process_peak_mb"),
        "notebooks": notebooks,
        "cores": os.cpu_count(),
        "machine": platform.machine(),
        "date": time.strftime("%Y-%m-%d"),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["quick", "full"])
    parser.add_argument("--jobs", type=int, default=None,
                        help="notebooks executed at a time (default: the build's for each profile)")
    args = parser.parse_args(argv)
    pinned = build.package_hash()
    build.package_hash = lambda: pinned   # see the module docstring
    out = ROOT / "benchmarks" / "results" / "build_times.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    for profile in args.profiles:
        jobs = default_jobs(profile) if args.jobs is None else args.jobs
        entry = results[profile] = measure(profile, jobs)
        print(f"{profile:>6}: cold {entry['cold_seconds']:7.1f} s   cached {entry['cached_seconds']:6.1f} s   "
              f"(target {TARGETS.get(profile, float('nan')):.0f} s); process tree peak "
              f"{entry['build_tree_peak_mb']:,.0f} MB, largest process {entry['peak_process_mb']:,.0f} MB, "
              f"jobs {jobs}")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")   # after each profile: nothing lost
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
