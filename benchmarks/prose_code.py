"""Prose to code, per chapter: non-empty lines of text against non-empty lines of code.

Prose lines are the non-empty lines outside code cells (front matter, directive
fences and MyST comments excluded); code lines are the non-empty lines inside
``{code-cell}`` blocks (cell options such as ``:tags:`` excluded).  Folded cells
(``hide-input``) are counted separately: a reader sees them only on request; the
``parameters`` cells are removed from the rendered page (the page's note names them).
Target (issue 14): prose:code ≥ 2:1 per chapter.

    python benchmarks/prose_code.py            # table + benchmarks/results/prose_code.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def count(path: Path) -> dict:
    lines = path.read_text(encoding="utf-8").splitlines()
    if lines and lines[0].strip() == "---":                    # front matter
        end = next(i for i, l in enumerate(lines[1:], 1) if l.strip() == "---")
        lines = lines[end + 1:]
    prose = code = folded = 0
    in_code = hidden = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("```{code-cell}"):
            in_code, hidden = True, False
            continue
        if in_code:
            if stripped.startswith("```"):
                in_code = False
            elif re.match(r"^:[\w-]+:", stripped) or stripped.startswith(":  "):
                # folded cells, and parameters cells (the build removes them from the page)
                hidden = hidden or any(t in stripped for t in ("hide-input", "remove-input",
                                                              "remove-cell", "parameters"))
            elif stripped:
                if hidden:
                    folded += 1
                else:
                    code += 1
            continue
        if stripped and not stripped.startswith(("```", ":::", "<!--", "+++", "(")):
            prose += 1
    ratio = prose / code if code else float("inf")
    return {"prose": prose, "code": code, "folded_code": folded, "prose_per_code": ratio}


def main() -> int:
    pages = [p for p in sorted((ROOT / "book").glob("*.md")) if "kernelspec" in p.read_text()[:400]]
    results = {p.stem: count(p) for p in pages}
    print(f"{'chapter':<18} {'prose':>6} {'code':>6} {'folded':>7} {'prose:code':>11}")
    for name, r in results.items():
        print(f"{name:<18} {r['prose']:>6} {r['code']:>6} {r['folded_code']:>7} {r['prose_per_code']:>10.2f}")
    out = ROOT / "benchmarks" / "results" / "prose_code.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
