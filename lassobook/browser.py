"""Look at the built book the way a reader does: in headless Chromium, offline.

:func:`check_page` opens one HTML page of ``_build/html`` in Debian's
``chromium`` (no network: background networking off, ``file://`` URLs only),
lets MathJax run, and reports

* math that was not typeset (raw ``$$`` or ``\\(`` left in the rendered DOM, or
  no MathJax containers on a page that has math);
* images whose file is missing, and every "Failed to load resource" the
  browser logged (a failed request);
* console errors;

and can save a screenshot.  Used by the test suite and by anyone checking a
build by hand: ``python -m lassobook.browser _build/html/book/two_layer.html``.
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

    @property
    def ok(self) -> bool:
        return not (self.raw_math or self.missing_images or self.failed_requests or self.console_errors)

    def __str__(self) -> str:
        problems = [f"raw math: {self.raw_math[:3]}" if self.raw_math else "",
                    f"missing images: {self.missing_images[:3]}" if self.missing_images else "",
                    f"failed requests: {self.failed_requests[:3]}" if self.failed_requests else "",
                    f"console errors: {self.console_errors[:3]}" if self.console_errors else ""]
        state = "ok" if self.ok else "; ".join(p for p in problems if p)
        return f"{self.page.name}: {self.math_containers} typeset formulas; {state}"


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
    if screenshot is not None:
        screenshot = Path(screenshot)
        _run(chromium, [f"--virtual-time-budget={budget_ms}", f"--window-size={size[0]},{size[1]}",
                        f"--screenshot={screenshot}", url], timeout)
        report.screenshot = screenshot if screenshot.is_file() else None
    return report


def main(argv=None) -> int:
    pages = argv if argv is not None else sys.argv[1:]
    if not pages:
        print("usage: python -m lassobook.browser PAGE.html [PAGE.html ...]", file=sys.stderr)
        return 2
    bad = 0
    for page in pages:
        report = check_page(page)
        print(report)
        bad += not report.ok
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
