"""Look at the built book the way a reader does: in headless Chromium, offline.

:func:`check_page` opens one HTML page of ``_build/html`` in Debian's
``chromium`` (no network: background networking off, ``file://`` URLs only),
lets MathJax run, and reports

* math that was not typeset (raw ``$$`` or ``\\(`` left in the rendered DOM, or
  no MathJax containers on a page that has math);
* images whose file is missing, and every "Failed to load resource" the
  browser logged (a failed request);
* console errors;
* what a reader of the page meets: code cells wider than their box (they
  scroll sideways), output images that are not in a numbered figure with a
  caption, a missing build banner, references to files the reader does not have
  ("NOTES", "our notes", "§5").

and can save a screenshot.  Used by the test suite and by anyone checking a
build by hand: ``python -m lassobook.book.browser _build/html/book/two_layer.html``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["find_chromium", "check_page", "PageReport"]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]


def find_chromium() -> str | None:
    """Path of a Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)


@dataclass
class PageReport:
    """What the browser saw on one page."""

    page: Path
    math_containers: int = 0
    raw_math: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    wide_code_cells: int = 0
    images: int = 0
    uncaptioned_images: int = 0
    banner: bool = True
    internal_references: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.raw_math or self.missing_images or self.failed_requests or self.console_errors)

    @property
    def reader_ok(self) -> bool:
        """No wide code cell, every image in a numbered captioned figure, banner, no internal reference."""
        return (self.wide_code_cells == 0 and self.uncaptioned_images == 0 and self.banner
                and not self.internal_references)

    def reader_summary(self) -> str:
        return (f"{self.page.name}: {self.wide_code_cells} code cells wider than their box, "
                f"{self.uncaptioned_images} of {self.images} output images outside a numbered "
                f"captioned figure, banner {'present' if self.banner else 'MISSING'}, internal "
                f"references {self.internal_references[:3] or 'none'}")

    def __str__(self) -> str:
        problems = [f"raw math: {self.raw_math[:3]}" if self.raw_math else "",
                    f"missing images: {self.missing_images[:3]}" if self.missing_images else "",
                    f"failed requests: {self.failed_requests[:3]}" if self.failed_requests else "",
                    f"console errors: {self.console_errors[:3]}" if self.console_errors else ""]
        state = "ok" if self.ok else "; ".join(p for p in problems if p)
        return f"{self.page.name}: {self.math_containers} typeset formulas; {state}"


#: Run in the page after load: measures what the reader meets, into a body attribute.
_MEASURE = """<script>
window.addEventListener('load', function () { setTimeout(function () {
  var pres = document.querySelectorAll('div.cell_input pre');
  var wide = 0;
  pres.forEach(function (p) { if (p.scrollWidth > p.clientWidth + 1) wide += 1; });
  var imgs = document.querySelectorAll('div.cell_output img');
  var loose = 0;
  imgs.forEach(function (i) {
    var f = i.closest('figure');
    if (!(f && f.querySelector('figcaption .caption-number'))) loose += 1;
  });
  var banner = !!document.querySelector('.bd-header-announcement__content a');
  document.body.setAttribute('data-lassobook-reader',
    JSON.stringify({wide: wide, images: imgs.length, loose: loose, banner: banner}));
}, 300); });
</script>"""

#: What a reader cannot follow: pointers to internal notes.
INTERNAL = re.compile(r"\bNOTES\b|\bour notes\b|\bproject notes\b|§\s?\d")


def _reader_checks(chromium: str, page: Path, report: "PageReport", html: str, timeout: float,
                   budget_ms: int, size) -> None:
    """Fill the reader fields of ``report``: a copy of the page with :data:`_MEASURE` appended,
    opened at a desktop window size (beside the page, so relative links resolve)."""
    import json

    probe = page.with_name(f".reader-check-{page.name}")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", _MEASURE + "</body>"),
                     encoding="utf-8")
    try:
        dom = _run(chromium, [f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}",
                              "--dump-dom", probe.as_uri()], timeout).stdout
    finally:
        probe.unlink(missing_ok=True)
    found = re.search(r'data-lassobook-reader="([^"]*)"', dom)
    if found:
        data = json.loads(found.group(1).replace("&quot;", '"'))
        report.wide_code_cells, report.images = int(data["wide"]), int(data["images"])
        report.uncaptioned_images, report.banner = int(data["loose"]), bool(data["banner"])
    text = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    report.internal_references = sorted(set(INTERNAL.findall(text)))


def _run(chromium: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="lassobook-chromium-") as profile:
        return subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout)


def check_page(page, *, screenshot=None, chromium: str | None = None, timeout: float = 90,
               budget_ms: int = 8000, size=(1280, 2200)) -> PageReport:
    """Open ``page`` (an HTML file of the built book) in headless Chromium and report problems.

    Raises
    ------
    FileNotFoundError
        If the page or Chromium is missing.
    """
    page = Path(page).resolve()
    if not page.is_file():
        raise FileNotFoundError(f"no such page: {page}")
    chromium = chromium or find_chromium()
    if chromium is None:
        raise FileNotFoundError("Chromium is not installed (Debian package 'chromium')")
    url = page.as_uri()
    dom = _run(chromium, [f"--virtual-time-budget={budget_ms}", "--dump-dom", url], timeout)
    report = PageReport(page=page)
    html = dom.stdout
    report.math_containers = html.count("<mjx-container")
    # Typeset math lives inside <mjx-container>; anything left as TeX delimiters is raw.
    text = re.sub(r"<(script|style|pre|code|mjx-container)[^>]*>.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    report.raw_math = re.findall(r"\$\$.{0,40}|\\\(.{0,40}|\\\[.{0,40}", text)
    parser = _Images()
    parser.feed(html)
    for src in parser.sources:
        if src.startswith("data:"):
            continue
        target = urlparse(src)
        if target.scheme not in ("", "file"):
            report.failed_requests.append(f"network image {src}")
            continue
        path = Path(unquote(target.path)) if target.scheme == "file" else (page.parent / unquote(target.path))
        if not path.is_file():
            report.missing_images.append(src)
    for line in (dom.stderr or "").splitlines():
        if "Failed to load resource" in line or "net::ERR_" in line:
            report.failed_requests.append(line.strip()[-200:])
        elif "CONSOLE" in line and ("ERROR" in line or '"error"' in line.lower() or "Uncaught" in line):
            report.console_errors.append(line.strip()[-200:])
    _reader_checks(chromium, page, report, html, timeout, budget_ms, (1280, 900))
    if screenshot is not None:
        screenshot = Path(screenshot)
        _run(chromium, [f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}",
                        f"--screenshot={screenshot}", url], timeout)
        report.screenshot = screenshot if screenshot.is_file() else None
    return report


def main(argv=None) -> int:
    pages = argv if argv is not None else sys.argv[1:]
    if not pages:
        print("usage: python -m lassobook.book.browser PAGE.html [PAGE.html ...]", file=sys.stderr)
        return 2
    bad = 0
    for page in pages:
        report = check_page(page)
        print(report)
        print("  " + report.reader_summary())
        bad += not (report.ok and report.reader_ok)
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
