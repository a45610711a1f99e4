"""Reproducible for years (issue 17): license and citation metadata, the lock file,
the build record, and the same claim numbers from two independent builds.

The citation check is dependency-free: ``cffconvert`` (the reference validator)
has had no release since 2021 and pins old ``jsonschema``/``ruamel.yaml``, so
instead CITATION.cff is loaded with PyYAML and checked against the keys and
types that the Citation File Format 1.2.0 schema requires.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- license, citation
def test_license_is_mit_and_matches_pyproject():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The lassobook authors" in text
    assert "WITHOUT WARRANTY OF ANY KIND" in text
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license\s*=\s*"MIT"\s*$', pyproject, re.M)          # SPDX expression (PEP 639)
    assert re.search(r'^license-files\s*=\s*\["LICENSE"\]', pyproject, re.M)


# CFF 1.2.0: keys required at the top level and in a reference (preferred-citation / references).
_CFF_REQUIRED = {"cff-version", "message", "title", "authors"}
_REF_REQUIRED = {"type", "title", "authors"}
_CFF_TYPES = {"software", "dataset"}
_REF_TYPES = {
    "art", "article", "audiovisual", "bill", "blog", "book", "catalogue", "conference",
    "conference-paper", "data", "database", "dictionary", "edited-work", "encyclopedia",
    "film-broadcast", "generic", "government-document", "grant", "hearing",
    "historical-work", "legal-case", "legal-rule", "magazine-article", "manual", "map",
    "multimedia", "music", "newspaper-article", "pamphlet", "patent", "personal-communication",
    "proceedings", "report", "serial", "slides", "software", "software-code",
    "software-container", "software-executable", "software-virtual-machine",
    "sound-recording", "standard", "statute", "thesis", "unpublished", "video", "website",
}
_PERSON_KEYS = {"family-names", "given-names", "name-particle", "name-suffix", "affiliation",
                "address", "city", "country", "email", "orcid", "website", "alias", "fax",
                "post-code", "region", "tel"}
_ENTITY_KEYS = {"name", "address", "city", "country", "email", "orcid", "website", "alias",
                "date-end", "date-start", "fax", "location", "post-code", "region", "tel"}


def _check_authors(authors, where: str) -> None:
    assert isinstance(authors, list) and authors, f"{where}: authors must be a non-empty list"
    for i, author in enumerate(authors):
        assert isinstance(author, dict), f"{where}: author {i} must be a mapping"
        if "name" in author:   # an entity
            assert set(author) <= _ENTITY_KEYS, f"{where}: author {i} has unknown keys"
            assert isinstance(author["name"], str) and author["name"].strip()
        else:                  # a person
            assert set(author) <= _PERSON_KEYS, f"{where}: author {i} has unknown keys"
            assert author.get("family-names") or author.get("given-names"), f"{where}: author {i}"
            assert all(isinstance(v, str) and v.strip() for v in author.values())


def _check_common(entry: dict, where: str) -> None:
    for key in ("title", "message", "abstract", "version", "license", "url", "doi", "journal"):
        if key in entry:
            assert isinstance(entry[key], str) and entry[key].strip(), f"{where}: {key}"
    if "doi" in entry:
        assert re.fullmatch(r"10\.\d{4,9}(\.\d+)?/\S+", entry["doi"]), f"{where}: doi"
    if "url" in entry:
        assert re.fullmatch(r"(https|http|ftp|sftp)://\S+", entry["url"]), f"{where}: url"
    if "date-released" in entry:
        # quoted in the file so that YAML keeps it a string, as the schema wants
        assert isinstance(entry["date-released"], str), f"{where}: date-released must be a string"
        _dt.date.fromisoformat(entry["date-released"])
    if "year" in entry:
        assert isinstance(entry["year"], int), f"{where}: year must be an integer"
    for ident in entry.get("identifiers", []):
        assert ident.get("type") in {"doi", "url", "swh", "other"} and ident.get("value")
    if "keywords" in entry:
        assert all(isinstance(k, str) and k for k in entry["keywords"])


def test_citation_cff_is_valid_cff_1_2_0():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert isinstance(cff, dict)
    missing = _CFF_REQUIRED - set(cff)
    assert not missing, f"CITATION.cff lacks the required keys {sorted(missing)}"
    assert cff["cff-version"] == "1.2.0"
    assert cff.get("type", "software") in _CFF_TYPES
    _check_authors(cff["authors"], "CITATION.cff")
    _check_common(cff, "CITATION.cff")
    refs = ([cff["preferred-citation"]] if "preferred-citation" in cff else []) + cff.get("references", [])
    for i, ref in enumerate(refs):
        where = f"CITATION.cff reference {i}"
        missing = _REF_REQUIRED - set(ref)
        assert not missing, f"{where} lacks {sorted(missing)}"
        assert ref["type"] in _REF_TYPES, f"{where}: unknown type {ref['type']!r}"
        _check_authors(ref["authors"], where)
        _check_common(ref, where)


def test_citation_names_the_book_and_the_paper():
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version\s*=\s*"([^"]+)"', pyproject, re.M).group(1)
    assert cff["version"] == version and cff["license"] == "MIT" and "lassobook" in cff["title"]
    paper = cff["preferred-citation"]
    assert paper["title"].startswith("A Library of Mirrors: Deep Neural Nets in Low Dimensions")
    assert [a["family-names"] for a in paper["authors"]] == [
        "Zeger", "Wang", "Mishkin", "Ergen", "Candès", "Pilanci"]
    assert paper["year"] == 2024 and "2403.01046" in paper["url"]
    intro = (REPO / "book" / "intro.md").read_text(encoding="utf-8")
    assert "## How to cite" in intro and "2403.01046" in intro and "@software{lassobook" in intro


# --------------------------------------------------------------------------- lock and build record
def test_lock_pins_every_requirement_exactly():
    from lassobook.book.record import read_lock

    text = (REPO / "requirements.lock").read_text(encoding="utf-8")
    assert "pip-compile" in text.split("\n\n")[0], "the lock states the command that regenerates it"
    pins = read_lock(REPO / "requirements.lock")
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name = re.split(r"[\s<>=!~;\[#]", line.strip(), maxsplit=1)[0]
        if name:
            assert re.sub(r"[-_.]+", "-", name).lower() in pins, f"{name} is not in requirements.lock"
    assert pins["torch"].startswith("2.13.0")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "pip install -r requirements.lock" in readme and "pip-compile" in readme
    assert "requirements.lock" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_lock_mismatch_is_a_warning_naming_the_packages(tmp_path):
    import io

    from lassobook.book import record as br

    assert br.lock_mismatches(tmp_path) is None  # no lock: nothing to compare
    numpy_version = br.installed_versions(["numpy"])["numpy"]
    (tmp_path / "requirements.lock").write_text(
        "# header\nnumpy==%s \\\n    --hash=sha256:00\nNot_A.Package==1.0\nscipy==0.0.1\n" % numpy_version)
    differ = br.lock_mismatches(tmp_path)
    assert [d[0] for d in differ] == ["not-a-package", "scipy"]
    assert differ[0][2] is None and differ[1][1] == "0.0.1"
    out = io.StringIO()
    assert br.warn_lock_mismatch(tmp_path, stream=out) == differ
    message = out.getvalue()
    assert message.startswith("lassobook: warning: 2 installed package(s) differ from requirements.lock")
    assert "scipy" in message and "not-a-package not installed (locked 1.0)" in message
    assert "numpy" not in message


MYST = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst, format_version: 0.13}
kernelspec: {display_name: Python 3 (ipykernel), language: python, name: python3}
---

# Tiny

```{code-cell} ipython3
:tags: [parameters]

k = 1
```

```{code-cell} ipython3
print(k)
```
"""


def test_stage_book_writes_the_build_record(tmp_path):
    import json

    from lassobook import book
    from lassobook.book.record import RECORD_MARKER

    root = tmp_path / "proj"
    (root / "book").mkdir(parents=True)
    (root / "_config.yml").write_text("title: test\nexecute:\n  execute_notebooks: 'off'\n")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/tiny\n  - file: book/build_record\n")
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / "book" / "tiny.md").write_text(MYST)
    (root / "book" / "parameters.yml").write_text("profiles:\n  quick:\n    tiny: {k: 2}\n  full:\n")
    (root / "book" / "build_record.md").write_text(f"# Build record\n\n{RECORD_MARKER}\n")

    staging = book.stage_book("quick", root=root, progress=False).staging
    record = json.loads((staging / "build_record.json").read_text())
    assert record["profile"] == "quick" and record["profile_parameters"] == {"tiny": {"k": 2}}
    assert record["git"] == {"commit": None, "dirty": None}  # a temporary folder is no git work tree
    nb = record["notebooks"]["tiny"]
    assert nb["executed_in_this_build"] and nb["parameters"] == {"k": 2} and nb["seconds"] > 0
    import numpy

    assert record["packages"]["numpy"] == numpy.__version__ and record["packages"]["torch"]
    assert record["python"]["version"].count(".") == 2 and record["lock"] is None
    page = (staging / "book" / "build_record.md").read_text()
    assert RECORD_MARKER not in page and f"| numpy | {numpy.__version__} |" in page
    assert "| [tiny](tiny.ipynb) | k = 2 |" in page and "| peak memory (MB) |" in page
    assert nb["peak_mb"] > 0 and f"| {nb['peak_mb']:,.0f} | in this build |" in page
    import yaml

    banner = yaml.safe_load((staging / "_config.yml").read_text())["html"]["announcement"]
    assert "profile <b>quick</b>" in banner and 'href="build_record.html"' in banner

    # A second stage reuses the notebook and says so, with the time of the run that made it.
    staging = book.stage_book("quick", root=root, progress=False).staging
    again = json.loads((staging / "build_record.json").read_text())["notebooks"]["tiny"]
    assert not again["executed_in_this_build"] and again["seconds"] == nb["seconds"]
    assert again["peak_mb"] == nb["peak_mb"]


@pytest.mark.slow
def test_quick_build_records_itself(quick_book):
    import json

    html = quick_book / "_build" / "html"
    record = json.loads((html / "build_record.json").read_text())
    assert record["total_seconds"] > 0 and record["force"] is True
    assert set(record["notebooks"]) >= {"two_layer", "deep_narrow"}
    assert all(nb["executed_in_this_build"] and nb["seconds"] > 0 and nb["peak_mb"] > 0
               for nb in record["notebooks"].values())
    assert record["build_process_peak_mb"] > 0
    page = (html / "book" / "build_record.html").read_text(encoding="utf-8")
    for name in ("numpy", "cvxpy", "clarabel", "torch", "jupyter-book"):
        assert f"<td><p>{name}</p></td>" in page, name
    assert "build record</a>" in (html / "book" / "two_layer.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- same numbers twice
#: Floats must agree to this relative tolerance, or this absolute one for quantities that
#: are themselves round-off (gaps of ~1e-12 between two optimal values). Both builds run
#: the same code, seeds and library versions on the same machine, so they are expected to
#: be bitwise equal; the tolerances only leave room for a multithreaded BLAS or torch
#: summing in another order (a few ulps, ~1e-15 relative), while staying 10^3 below the
#: tightest tolerance any check decides with (1e-6 relative), so no verdict can flip
#: inside them.
REL_TOL, ABS_TOL = 1e-9, 1e-12

#: Fields allowed to differ between the two builds, and why: none of them is a number a
#: claim stands on. Claim records carry no timings today, and a measured field with one of
#: these names would be a clock reading. Outside the claims, and not compared at all: the
#: build record's dates and wall times, the cache's ``executed_at``/``seconds``, the wall
#: times printed on the pages, and the scaling page's Adam comparison, which runs under a
#: time cap (``adam_time_cap``) and so depends on the machine's speed.
ALLOWED_TO_DIFFER = {"seconds", "time", "wall time", "executed_at", "built_at"}


def _differences(a, b, where: str) -> list[str]:
    import math

    if isinstance(a, bool) or isinstance(b, bool) or isinstance(a, str) or a is None:
        return [] if a == b else [f"{where}: {a!r} != {b!r}"]
    if isinstance(a, int) and isinstance(b, int):    # counts, sizes, kinks: exactly
        return [] if a == b else [f"{where}: {a} != {b} (exact)"]
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL):
            return []
        return [f"{where}: {a!r} != {b!r} (rel. {abs(a - b) / max(abs(a), abs(b)):.2e})"]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{where}[{i}]")]
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys {sorted(set(a) ^ set(b))} in one build only"]
        return [d for k in a if k not in ALLOWED_TO_DIFFER for d in _differences(a[k], b[k], f"{where}.{k}")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def _claims(root: Path) -> dict[tuple[str, str, int], dict]:
    import nbformat

    from lassobook import book
    from lassobook.paper.claims import collect_claims

    notebooks = {}
    for source in book.notebooks_in_toc(root):
        key = book.notebook_key(source, root) or source.stem
        notebooks[source.stem] = nbformat.read(root / "_build" / "executed" / "quick" / f"{key}.ipynb", 4)
    out, seen = {}, {}
    for rec in collect_claims(notebooks):
        n = seen[(rec.notebook, rec.key)] = seen.get((rec.notebook, rec.key), -1) + 1
        out[(rec.notebook, rec.key, n)] = {"statement": rec.statement, "passed": rec.passed,
                                           "verdict": rec.verdict, "measured": rec.measured}
    return out


def test_claim_comparison_rules():
    assert _differences({"n": 3, "gap": 1e-13}, {"n": 3, "gap": 5e-13}, "c") == []
    assert _differences({"n": 3}, {"n": 4}, "c") == ["c.n: 3 != 4 (exact)"]
    assert _differences({"x": 1.0}, {"x": 1.0 + 1e-12}, "c") == []
    assert _differences({"x": [1.0, 2.0]}, {"x": [1.0, 2.001]}, "c")
    assert _differences({"seconds": 1.0, "v": "a"}, {"seconds": 2.0, "v": "a"}, "c") == []
    assert _differences({"a": 1}, {"b": 1}, "c")


@pytest.mark.slow
def test_quick_build_gives_the_same_numbers_twice(quick_book, tmp_path):
    """The quick profile executed twice, in two temporary roots, from scratch: every claim
    record agrees (exactly for integers, booleans, strings and verdicts; floats to REL_TOL).

    The first build is the session's ``quick_book``; the second re-executes every notebook
    (``stage_book(force=True)``: the claim numbers come from the notebooks, Sphinx only
    renders them, so it is not run again). Cost: one more execution of the quick profile,
    149 s on 2 otherwise idle cores (measured 2026-11-30; the shared first build took 177 s;
    289 s and 404 s while other builds shared the cores).

    Measured then (twice, at two commits): all 27 claim records (100 measured fields) were
    bitwise equal; only wall
    times printed on the pages differed. That holds with ``MKL_CBWR=AVX2``, which the build
    sets (lassobook.book.record.PINNED_ENV): without it the numbers still agree between two
    builds on one machine, but not across CPUs (see there).
    """
    from conftest import copy_book_sources

    from lassobook import book

    second = copy_book_sources(tmp_path / "second")
    book.stage_book("quick", root=second, force=True, progress=False)
    first_claims, second_claims = _claims(quick_book), _claims(second)
    assert first_claims, "no claim records in the quick build"
    assert set(first_claims) == set(second_claims), "the two builds checked different claims"
    differences = [d for key in sorted(first_claims)
                   for d in _differences(first_claims[key], second_claims[key], "/".join(map(str, key)))]
    assert not differences, "claim numbers differ between two builds:\n" + "\n".join(differences)


def test_pin_numerics_sets_mkl_branch_unless_set(monkeypatch):
    import os

    from lassobook.book.record import PINNED_ENV, pin_numerics

    monkeypatch.delenv("MKL_CBWR", raising=False)
    assert pin_numerics() == PINNED_ENV == {"MKL_CBWR": "AVX2"} and os.environ["MKL_CBWR"] == "AVX2"
    monkeypatch.setenv("MKL_CBWR", "COMPATIBLE")  # a user's choice is kept (and recorded)
    assert pin_numerics() == {"MKL_CBWR": "COMPATIBLE"}
