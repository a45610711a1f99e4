"""Claims of the paper and findings of this book, each checked by a notebook.

A chapter calls :func:`check` where it establishes a claim: the check records
what was measured and the verdict in the executed notebook (as a JSON output of
its own MIME type) and then asserts, so a failed check still fails the build.
``lassobook build`` collects the records of every executed notebook and writes
the *Claims and checks* page from them (:func:`claims_table`) — the page is
generated, never typed.

:data:`PAPER_CLAIMS` lists the paper's claims with their source (the paper's figure
or the book's numbered result); one that no notebook checks appears as "not
covered yet".
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass

__all__ = ["CLAIM_MIME", "PAPER_CLAIMS", "check", "collect_claims", "claims_table", "glance_table",
           "what_we_found"]

#: the records :func:`check` made in this kernel (this notebook), in order
_RECORDED: list[dict] = []

CLAIM_MIME = "application/vnd.lassobook.claim+json"

#: key -> (source: the paper's figure or the book's numbered result (MyST), the claim in one line)
PAPER_CLAIMS: dict[str, tuple[str, str]] = {
    "two_layer.lasso": ("paper, two-layer theorem; Eq. {eq}`two-layer-training`",
                        "Two-layer ReLU, leaky ReLU, absolute-value, threshold and sign networks "
                        "are Lasso models over data-point features"),
    "two_layer.tv": ("paper, threshold and sign networks",
                     "Two-layer threshold networks are TV denoising with weight β; sign with β/2"),
    "deep_narrow.lasso": ("{prf:ref}`thm-deep-narrow`",
                          "Deep narrow ReLU networks (L = 3, 4) are Lasso models over the (s, j, k) "
                          "dictionary"),
    "deep_narrow.same_optimum": ("{prf:ref}`thm-deep-narrow`",
                                 "L = 3 and L = 4 optima coincide; reflection columns do not lower it"),
    "deep_narrow.sparser": ("paper, Fig. 3", "Reflection features give sparser optimal networks "
                                             "(Fig. 3: one neuron ramp(5, 8), 8 = 2·4 − 0)"),
    "fig3.min_norm": ("paper, Fig. 3",
                      "The networks drawn in Fig. 3 are the minimum-norm solutions for L = 2, 3, 4"),
    "fig2.kink_at_reflection": ("paper, Fig. 2", "Fig. 2: a 4-layer net trained with Adam puts its "
                                                 "kink at the reflection 2·x₂ − x₁"),
    "adam.finds_reflections": ("paper, Figs. 2 and 19", "Adam from random initialization finds "
                                                        "reflection kinks"),
    "abs3.lasso": ("{prf:ref}`thm-abs3`", "Three-layer absolute-value networks are Lasso models"),
    "abs3.reflections_incomplete": ("{prf:ref}`thm-abs3`",
                                    "Reflection features alone are not a complete dictionary for "
                                    "3-layer abs networks"),
    "abs3.midpoints_complete": ("{prf:ref}`thm-abs3`", "Adding midpoint features makes the 3-layer "
                                                       "abs dictionary complete"),
    "abs4.reflections_of_reflections": ("{prf:ref}`prop-vertices`",
                                        "4-layer abs networks: the arrangement's vertices "
                                        "('reflections of reflections') are a complete dictionary"),
    "sign.rectangular_switches": ("{prf:ref}`thm-switching`", "A rectangular sign unit realizes "
                                                              "exactly the patterns with ≤ m₁ switches"),
    "sign.tree_switches": ("{prf:ref}`thm-switching`", "A tree sign unit realizes exactly the "
                                                       "patterns with ≤ Π m_l switches"),
    "sign.linf": ("{prf:ref}`thm-switching`", "With K ≥ N − 1 switches the sign Lasso is the ℓ∞ "
                                              "(clipping) problem"),
    "fig18.L4_network": ("paper, Fig. 18", "Fig. 18 (L = 4): the Lasso network the paper draws, "
                                           "−2.5·(x − 2)₊ + 6.5·(x − 4)₊, is the four-layer optimum"),
    "fig19.L4_network": ("paper, Fig. 19", "Fig. 19 (L = 4): the Lasso network the paper draws, "
                                           "(3/2)·ramp(2, 4), bending at the mirror 4, is the "
                                           "four-layer optimum"),
    "fig2.seeded_not_optimal": ("paper, Fig. 2", "Fig. 2 (left): the authors' seeded network "
                                                 "(3/2)·ramp(2, 4) is the optimum of the stated "
                                                 "objective"),
    "landscape.polytope": ("Eq. {eq}`landscape-polytope`", "Fitted values are unique; the optimal "
                                                           "networks are the points of a polytope"),
}


@dataclass
class ClaimRecord:
    key: str
    statement: str
    passed: bool
    verdict: str
    measured: dict
    source: str
    notebook: str = ""


def _plain(value):
    """JSON-friendly scalars (numpy numbers, tuples)."""
    if hasattr(value, "item") and callable(value.item):
        try:
            return value.item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def check(key: str, passed: bool, *, measured: dict, verdict: str = "reproduced",
          statement: str | None = None) -> None:
    """Record the check of claim ``key`` in the executed notebook, then assert it.

    Parameters
    ----------
    key : str
        A key of :data:`PAPER_CLAIMS`, or a new key for a finding of this book
        (then ``statement`` is required).
    passed : bool
        Whether the computation confirmed what ``verdict`` says.
    measured : dict
        The numbers that decide it (objective gaps, certificate ratios, counts…).
    verdict : str
        "reproduced", or "differs: <how>" when our computation contradicts the paper.
    statement : str, optional
        The claim in one line (defaults to the paper's, from :data:`PAPER_CLAIMS`).
    """
    if statement is None:
        if key not in PAPER_CLAIMS:
            raise ValueError(f"claim {key!r} is not a paper claim: give its statement")
        statement = PAPER_CLAIMS[key][1]
    source = PAPER_CLAIMS[key][0] if key in PAPER_CLAIMS else "this book"
    record = {"key": key, "statement": statement, "passed": bool(passed), "verdict": verdict,
              "measured": _plain(measured), "source": source}
    _RECORDED.append(record)
    try:
        from IPython.display import display

        mark = "✔" if passed else "✘"
        display({CLAIM_MIME: record, "text/markdown": f"{mark} {_bullet(record)}",
                 "text/plain": f"{mark} [{key}] {verdict}: {record['measured']}"}, raw=True)
    except ImportError:  # pragma: no cover - IPython comes with the notebook stack
        pass
    assert passed, f"claim {key!r} failed its check: {record['measured']}"


def _bullet(rec: dict, limit: int = 3) -> str:
    """``**statement** — verdict (a: 1; b: 2.5)`` with at most ``limit`` measured numbers."""
    items = list(rec["measured"].items())[:limit]
    numbers = "; ".join(f"{k}: {_format(v)}" for k, v in items)
    verdict = rec["verdict"] if rec["passed"] else f"check failed ({rec['verdict']})"
    return f"**{rec['statement']}** — {verdict}" + (f" ({numbers})" if numbers else "")


def what_we_found(intro: str = "", *, limit: int = 3):
    """The chapter's closing "What we found": one bullet per claim checked in this notebook.

    Each bullet is the claim, its verdict and at most ``limit`` measured numbers,
    generated from the run (never typed).  Returns an ``IPython.display.Markdown``
    (rendered as Markdown on the page); ``intro`` is put before the list.
    """
    from IPython.display import Markdown

    lines = [intro.strip(), ""] if intro.strip() else []
    for rec in _RECORDED:
        lines.append(f"- {_bullet(rec, limit)}")
    if not _RECORDED:
        lines.append("- (no claim was checked on this page)")
    return Markdown("\n".join(lines))


def collect_claims(notebooks: dict[str, object]) -> list[ClaimRecord]:
    """Every claim record in the executed notebooks (``{name: nbformat notebook}``)."""
    out = []
    for name, nb in notebooks.items():
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if CLAIM_MIME in data:
                    rec = data[CLAIM_MIME]
                    rec = json.loads(rec) if isinstance(rec, str) else dict(rec)
                    out.append(ClaimRecord(notebook=name, **rec))
    return out


def _cell(text) -> str:
    return html.escape(str(text)).replace("|", "&#124;")


def _kind(rec: ClaimRecord | None) -> str:
    if rec is None:
        return "not covered yet"
    if not rec.passed:
        return "check failed"
    return "differs" if rec.verdict.startswith("differs") else "reproduced"


_COLOUR = {"reproduced": "#2e7d32", "differs": "#e65100", "check failed": "#c62828",
           "not covered yet": "#616161"}


def claims_table(records: list[ClaimRecord], *, profile: str | None = None, limit: int = 3) -> str:
    """The *Claims and checks* page body (MyST markdown): counts, then one row per check.

    Paper claims first, then the book's findings.  Each row links to the page that
    checks it, shows at most ``limit`` measured numbers with their meaning, and its
    source is the paper's figure or the book's numbered result.
    """
    by_key: dict[str, list[ClaimRecord]] = {}
    for rec in records:
        by_key.setdefault(rec.key, []).append(rec)
    keys = list(PAPER_CLAIMS) + sorted(k for k in by_key if k not in PAPER_CLAIMS)
    rows, counts = [], {k: 0 for k in _COLOUR}
    for key in keys:
        recs = by_key.get(key, [None])
        for rec in recs:
            kind = _kind(rec)
            counts[kind] += 1
            source, statement = PAPER_CLAIMS.get(key, ("this book", rec.statement if rec else key))
            if rec is None:
                rows.append(f"| {_cell(statement)} | {source} | — | — | {_badge(kind, kind)} |")
                continue
            items = list(rec.measured.items())[:limit]
            measured = "<br>".join(f"{_cell(k)}: {_cell(_format(v))}" for k, v in items)
            verdict = _badge(kind, rec.verdict)
            rows.append(f"| {_cell(rec.statement)} | {source} | {{doc}}`{rec.notebook}` | {measured} "
                        f"| {verdict} |")
    head = ", ".join(f"**{n}** {k}" for k, n in counts.items())
    built = f" (build profile **{profile}**)" if profile else ""
    table = ["| claim | source | checked in | measured | verdict |", "|---|---|---|---|---|", *rows]
    return f"{head}{built}.\n\n" + "\n".join(table) + "\n"


def glance_table(records: list[ClaimRecord]) -> str:
    """*Results at a glance* (MyST markdown): per page, how many checks and their verdicts."""
    pages: dict[str, dict[str, int]] = {}
    for rec in records:
        counts = pages.setdefault(rec.notebook, {k: 0 for k in _COLOUR if k != "not covered yet"})
        counts[_kind(rec)] += 1
    covered = {rec.key for rec in records}
    missing = [k for k in PAPER_CLAIMS if k not in covered]
    rows = ["| page | checks | reproduced | differs from the paper | failed |", "|---|---|---|---|---|"]
    for page, c in pages.items():
        rows.append(f"| {{doc}}`{page}` | {sum(c.values())} | {c['reproduced']} | {c['differs']} "
                    f"| {c['check failed']} |")
    tail = (f"\n{len(missing)} of the paper's {len(PAPER_CLAIMS)} listed claims are not covered yet."
            if missing else f"\nAll {len(PAPER_CLAIMS)} of the paper's listed claims are checked.")
    return "\n".join(rows) + "\n" + tail + "\n"


def _badge(kind: str, text: str) -> str:
    return f'<span style="color:{_COLOUR[kind]};font-weight:bold">{_cell(text)}</span>'


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    return str(value)
