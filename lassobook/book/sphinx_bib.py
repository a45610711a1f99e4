"""Bibliography labels that match the book's author–year citations.

The text cites with ``bibtex_reference_style: author_year`` ("Condat (2013)"), but
pybtex's formatting styles label the reference list "[Con13]" or "[3]".  This
extension registers a pybtex label style, ``authoryear`` ("Condat, 2013", "Zeger
et al., 2024"), and a formatting style of the same name that uses it
(``bibtex_default_style: authoryear`` in ``_config.yml``).  Listed in
``_config.yml`` under ``sphinx.extra_extensions``.
"""

from __future__ import annotations

import re

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as _Unsrt
from pybtex.style.labels import BaseLabelStyle


def _plain(text: str) -> str:
    """A LaTeX-ish name as plain text: ``Cand{\\`e}s`` → ``Candès``-ish (accents dropped)."""
    text = re.sub(r"\\[`'^\"~=.uvHcdbt]\{?([A-Za-z])\}?", r"\1", text)
    return re.sub(r"[{}\\]", "", text)


def author_year(entry) -> str:
    """``"Last, 2024"``, ``"Last and Other, 2024"`` or ``"Last et al., 2024"``."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [_plain(" ".join(p.last_names)) for p in persons]
    if not names:
        who = entry.fields.get("title", entry.key).split(":")[0]
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearLabels(BaseLabelStyle):
    """Labels ``"Condat, 2013"``; equal labels get ``a``, ``b``, … appended."""

    def format_labels(self, sorted_entries):
        labels = [author_year(e) for e in sorted_entries]
        seen: dict[str, int] = {}
        for label in labels:
            seen[label] = seen.get(label, 0) + 1
        count: dict[str, int] = {}
        for label in labels:
            if seen[label] > 1:
                count[label] = count.get(label, 0) + 1
                yield label + "abcdefghijklmnopqrstuvwxyz"[count[label] - 1]
            else:
                yield label


class AuthorYearStyle(_Unsrt):
    """pybtex's ``unsrt`` formatting with :class:`AuthorYearLabels`."""

    default_label_style = "authoryear"
    default_sorting_style = "author_year_title"


register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabels)
register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
