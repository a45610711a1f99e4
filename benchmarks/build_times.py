"""Wall time of the book build, per profile, from a cold cache.

    python benchmarks/build_times.py                 # quick and full
    python benchmarks/build_times.py --profiles quick

Each profile is built with ``force=True`` (every notebook re-executed), then
once more to time the cached rebuild.  Results go to
``benchmarks/results/build_times.json`` and are printed as a table.  Targets
(issue 2): quick <= 5 min, full <= 30 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from lassobook.book import build_book

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"quick": 300.0, "full": 1800.0}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", nargs="+", default=["quick", "full"])
    args = parser.parse_args(argv)
    out = ROOT / "benchmarks" / "results" / "build_times.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    for profile in args.profiles:
        t0 = time.perf_counter()
        build_book(profile, root=ROOT, force=True, progress=False)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_book(profile, root=ROOT, progress=False)
        cached = time.perf_counter() - t0
        results[profile] = {
            "cold_seconds": round(cold, 1),
            "cached_seconds": round(cached, 1),
            "cached_over_cold": round(cached / cold, 3),
            "target_seconds": TARGETS.get(profile),
            "within_target": cold <= TARGETS.get(profile, float("inf")),
            "cores": os.cpu_count(),
            "machine": platform.machine(),
            "date": time.strftime("%Y-%m-%d"),
        }
        print(f"{profile:>6}: cold {cold:7.1f} s   cached {cached:6.1f} s   "
              f"(target {TARGETS.get(profile, float('nan')):.0f} s)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
