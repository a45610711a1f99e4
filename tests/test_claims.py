"""The Claims and checks page is generated from claim records in executed notebooks."""

import nbformat
import pytest

from lassobook.paper.claims import CLAIM_MIME, PAPER_CLAIMS, check, claims_table, collect_claims


def _notebook(*records):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("...")
    cell.outputs = [nbformat.v4.new_output("display_data", data={CLAIM_MIME: r, "text/plain": "x"})
                    for r in records]
    nb.cells.append(cell)
    return nb


def _record(key, passed=True, verdict="reproduced", statement="s"):
    return {"key": key, "statement": statement, "passed": passed, "verdict": verdict,
            "measured": {"gap": 1e-9}, "source": "§3"}


def test_table_lists_every_paper_claim_and_marks_failures_red_and_gaps_uncovered():
    records = collect_claims({"two_layer": _notebook(_record("two_layer.lasso")),
                              "other": _notebook(_record("book.finding", passed=False))})
    table = claims_table(records, profile="quick")
    head, _, *lines = table.strip().splitlines()
    assert len(lines) == 2 + len(PAPER_CLAIMS) + 1          # header, rule, paper claims, one finding
    # counts at the top, and they add up to the rows
    assert head.startswith("**1** reproduced, **0** differs, **1** check failed, "
                           f"**{len(PAPER_CLAIMS) - 1}** not covered yet") and "quick" in head
    assert "{doc}`two_layer`" in table and "gap: 1e-09" in table
    assert table.count("not covered yet") == len(PAPER_CLAIMS) - 1 + 1
    assert "check failed" in table and "#c62828" in table
    assert "§" not in table and "NOTES" not in table


def test_what_we_found_lists_the_page_checks(monkeypatch):
    from lassobook.paper import claims

    monkeypatch.setattr(claims, "_RECORDED", [])
    check("two_layer.lasso", True, measured={"a": 1, "b": 2.5, "c": 3, "d": 4})
    text = claims.what_we_found("Intro.").data
    assert text.startswith("Intro.") and "reproduced (a: 1; b: 2.5; c: 3)" in text
    assert "d: 4" not in text


def test_check_asserts_and_requires_a_statement_for_new_claims():
    check("two_layer.lasso", True, measured={"gap": 0.0})
    with pytest.raises(AssertionError, match="two_layer.tv"):
        check("two_layer.tv", False, measured={"gap": 1.0})
    with pytest.raises(ValueError, match="give its statement"):
        check("not.a.paper.claim", True, measured={})
