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
    assert re.search(r'^license\s*=\s*\{\s*text\s*=\s*"MIT"\s*\}', pyproject, re.M)


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
