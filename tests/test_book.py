"""Tests of the book machinery (the package lassobook.book, lassobook.cli).

Fast tests (no marker) use tiny notebooks in a temporary project root, so they
never touch the real book; executing a tiny notebook with papermill takes a
couple of seconds. The ``slow`` test builds the real book with the quick profile.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

from lassobook import book, cli

REPO = Path(__file__).resolve().parents[1]

MYST_HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""


def myst_notebook(title: str, *cells: str, parameters: str | None = None) -> str:
    """A MyST notebook: a title, an optional parameters cell, then code cells."""
    parts = [MYST_HEADER, f"\n# {title}\n"]
    if parameters is not None:
        parts.append(f"\n```{{code-cell}} ipython3\n:tags: [parameters]\n\n{parameters.strip()}\n```\n")
    for cell in cells:
        parts.append(f"\n```{{code-cell}} ipython3\n{textwrap.dedent(cell).strip()}\n```\n")
    return "".join(parts)


def make_root(tmp_path: Path, notebooks: dict[str, str], profiles: str) -> Path:
    """A minimal book root: config, TOC (intro + the notebooks), parameters.yml."""
    root = tmp_path / "proj"
    (root / "book").mkdir(parents=True)
    (root / "_config.yml").write_text("title: test\nexecute:\n  execute_notebooks: 'off'\n")
    chapters = "".join(f"  - file: book/{name}\n" for name in notebooks)
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: book/intro\nchapters:\n{chapters}")
    (root / "book" / "intro.md").write_text("# Intro\n\nPlain page.\n")
    (root / "book" / "parameters.yml").write_text(textwrap.dedent(profiles))
    for name, text in notebooks.items():
        (root / "book" / f"{name}.md").write_text(text)
    return root


# --------------------------------------------------------------------------- (1) sources
def test_notebook_sources_carry_no_outputs():
    book_dir = REPO / "book"
    for path in book_dir.rglob("*.ipynb"):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert not cell.get("outputs"), f"{path} cell {i} has outputs: strip them"
                assert cell.get("execution_count") is None, f"{path} cell {i} has an execution count"

    myst = [p for p in book_dir.rglob("*.md") if book.is_myst_notebook(p)]
    assert myst, "expected MyST notebooks under book/"
    for path in myst:
        nb = book.read_notebook(path)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, f"{path} must have exactly one cell tagged 'parameters' (has {len(tagged)})"
        assert nb.metadata["kernelspec"]["name"] == "python3", path

    # Every notebook of the TOC is one of them, and every profile parameter is declared.
    toc_notebooks = book.notebooks_in_toc(REPO)
    assert toc_notebooks and all(p.suffix == ".md" for p in toc_notebooks)
    for profile, by_key in book.load_profiles(REPO).items():
        for key, params in by_key.items():
            declared = book.declared_parameters(book.resolve_notebook(key, REPO))
            unknown = set(params) - set(declared)
            assert not unknown, f"profile {profile}: {key} does not declare {sorted(unknown)}"


# --------------------------------------------------------------------------- (2) parameters, CLI
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.01", 0.01),
        ("1e-3", 1e-3),
        ("20", 20),
        ("relu", "relu"),
        ("[1,2]", [1, 2]),
        ("[relu, absolute]", ["relu", "absolute"]),
        ("{a: 1}", {"a": 1}),
        ("true", True),
        ("off", "off"),  # YAML 1.1 would say False
        ("2024-01-01", "2024-01-01"),
        ("null", None),
    ],
)
def test_parse_parameter_value(text, value):
    parsed = book.parse_parameter_value(text)
    assert parsed == value and type(parsed) is type(value)


def test_parse_parameters_and_profiles(tmp_path):
    assert book.parse_parameters([("beta", "0.01"), ("activation", "relu"), ("beta", "0.5")]) == {
        "beta": 0.5,
        "activation": "relu",
    }
    with pytest.raises(book.ParameterError):
        book.parse_parameters([("not-a-name", "1")])
    with pytest.raises(book.ParameterError):
        book.parse_parameter_value("[1,")

    profiles = book.load_profiles(REPO)
    assert {"quick", "full"} <= set(profiles)
    assert profiles["quick"]["two_layer"] == {"n_seeds": 4, "epochs": 1500}
    assert profiles["full"]["two_layer"] == {"n_seeds": 50, "epochs": 20000}
    assert book.profile_parameters("quick", "two_layer", REPO)["n_seeds"] == 4
    assert book.profile_parameters("quick", "book/two_layer.md", REPO)["epochs"] == 1500
    with pytest.raises(book.UnknownProfileError):
        book.profile_parameters("nope", "two_layer", REPO)

    root = make_root(
        tmp_path,
        {"nb": myst_notebook("NB", "print(a)", parameters="a = 1\nb: float = 2.0\nc, d = 3, 4")},
        "profiles:\n  quick:\n    nb: {a: 5}\n  full:\n",
    )
    assert book.load_profiles(root) == {"quick": {"nb": {"a": 5}}, "full": {}}
    assert book.declared_parameters(root / "book" / "nb.md") == ["a", "b", "c", "d"]
    assert [p.name for p in book.notebooks_in_toc(root)] == ["nb.md"]
    assert book.resolve_notebook("nb", root) == (root / "book" / "nb.md").resolve()
    assert book.resolve_notebook("book/nb.md", root) == (root / "book" / "nb.md").resolve()


def _cli_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lassobook: error: "), err
    return lines[0]


def test_default_jobs_one_per_core_as_memory_allows(monkeypatch):
    """``lassobook build`` without --jobs: one notebook per usable core, but no more than the
    available memory holds at NOTEBOOK_MEMORY each, and never fewer than one; the full profile
    one at a time."""
    import psutil

    from lassobook.book import execute

    cores = len(os.sched_getaffinity(0))
    plenty = SimpleNamespace(available=64 * cores * execute.NOTEBOOK_MEMORY)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: plenty)
    assert execute.default_jobs() == cores
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=execute.NOTEBOOK_MEMORY // 2))
    assert execute.default_jobs() == 1
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=2 * execute.NOTEBOOK_MEMORY + 1))
    assert execute.default_jobs() == min(2, cores)
    monkeypatch.setattr(psutil, "virtual_memory", lambda: plenty)
    assert execute.default_jobs("full") == 1          # its notebooks use every core themselves


def test_cli_bad_input_is_one_line_exit_2(capsys):
    runs = REPO / "runs"
    before = set(runs.iterdir()) if runs.exists() else set()
    root = ["--root", str(REPO)]
    assert "no_such_notebook" in _cli_error(capsys, ["run", "no_such_notebook", *root])
    assert "unknown profile 'nope'" in _cli_error(capsys, ["run", "two_layer", "--profile", "nope", *root])
    assert "unknown profile 'nope'" in _cli_error(capsys, ["build", "--profile", "nope", "--quiet", *root])
    assert "--jobs: must be a whole number >= 1, got '0'" in _cli_error(capsys, ["build", "--jobs", "0", *root])
    assert "--jobs" in _cli_error(capsys, ["build", "-j", "two", *root])
    assert "no parameter 'gamma'" in _cli_error(capsys, ["run", "two_layer", "-p", "gamma", "1", *root])
    assert "cannot parse" in _cli_error(capsys, ["run", "two_layer", "-p", "beta", "[1,", *root])
    _cli_error(capsys, ["run"])  # missing NOTEBOOK
    _cli_error(capsys, ["frobnicate"])
    after = set(runs.iterdir()) if runs.exists() else set()
    assert after == before, "a rejected run must not leave an output folder behind"


def test_cli_help_shows_examples(capsys):
    for command in ("build", "run"):
        with pytest.raises(SystemExit) as info:
            cli.main([command, "--help"])
        assert info.value.code == 0
        assert f"lassobook {command}" in capsys.readouterr().out.split("examples:")[1]


# --------------------------------------------------------------------------- (3) failing notebook
@pytest.mark.parametrize("jobs", [1, 2])
def test_failing_cell_raises_notebook_error(tmp_path, jobs):
    """The same error with ``jobs=2``, where it comes back from a worker process."""
    text = myst_notebook(
        "Broken",
        "x = n + 1",
        """
        y = x * 2  # the failing cell
        raise ValueError(f"boom {y}")
        """,
        parameters="n = 0",
    )
    notebooks = {"broken": text, "fine": myst_notebook("Fine", "print(1)")}
    root = make_root(tmp_path, notebooks, "profiles:\n  quick:\n    broken: {n: 20}\n")
    with pytest.raises(book.NotebookError) as info:
        book.stage_book("quick", root=root, progress=False, jobs=jobs)
    err = info.value
    message = str(err)
    assert isinstance(err, RuntimeError)
    assert "book/broken.md" in message
    # cells: 0 title (markdown), 1 parameters, 2 `x = n + 1`, 3 the failing cell
    assert err.cell_index == 3 and "cell 3" in message
    assert "y = x * 2  # the failing cell" in message
    assert "ValueError: boom 42" in message  # n=20 came from the profile
    assert err.line == text.splitlines().index("y = x * 2  # the failing cell") + 1
    assert err.executed is not None and err.executed.is_file()
    assert not (root / "_build" / "executed" / "quick" / "broken.hash").exists()


# --------------------------------------------------------------------------- (4) caching, run
def test_stage_book_caches_executed_notebooks(tmp_path, monkeypatch):
    # Others may edit lassobook/*.py while tests run: pin the package hash.
    from lassobook.book import build

    monkeypatch.setattr(build, "package_hash", lambda: "pinned")
    text = myst_notebook(
        "Tiny",
        """
        with open("executions.txt", "a") as f:
            f.write(f"{k}\\n")
        print("k =", k)
        """,
        parameters="k = 1",
    )
    root = make_root(tmp_path, {"tiny": text}, "profiles:\n  quick:\n    tiny: {k: 2}\n  full:\n")
    log = root / "book" / "executions.txt"

    first = book.stage_book("quick", root=root, progress=False)
    assert first.executed == [root / "book" / "tiny.md"] and first.reused == []
    second = book.stage_book("quick", root=root, progress=False)
    assert second.executed == [] and second.reused == [root / "book" / "tiny.md"]
    assert log.read_text().split() == ["2"], "unchanged notebook must not be re-executed"

    staging = root / "_build" / "staging"
    staged = nbformat.read(staging / "book" / "tiny.ipynb", as_version=4)
    assert any("k = 2" in o.get("text", "") for c in staged.cells for o in c.get("outputs", []))
    assert (staging / "book" / "intro.md").is_file() and (staging / "_toc.yml").is_file()
    assert not (staging / "book" / "tiny.md").exists()
    recorded = json.loads((root / "_build" / "executed" / "quick" / "tiny.hash").read_text())
    assert recorded["parameters"] == {"k": 2}

    # Another profile has its own cache; new parameters or force re-execute.
    book.stage_book("full", root=root, progress=False)
    assert log.read_text().split() == ["2", "1"]
    (root / "book" / "parameters.yml").write_text("profiles:\n  quick:\n    tiny: {k: 3}\n  full:\n")
    assert book.stage_book("quick", root=root, progress=False).executed
    assert book.stage_book("quick", root=root, progress=False, force=True).executed
    assert log.read_text().split() == ["2", "1", "3", "3"]


def test_jobs_2_gives_the_same_notebooks_and_a_time_and_memory_each(tmp_path, monkeypatch, capsys):
    """``stage_book(jobs=2)`` executes two notebooks in two worker processes: the same outputs
    as one job, and each notebook's seconds and kernel peak memory in the record and summary."""
    from lassobook.book import build, record

    monkeypatch.setattr(build, "package_hash", lambda: "pinned")
    cells = ("import numpy as np\nrng = np.random.default_rng(k)\nprint(k, rng.normal(size=3).round(12))",
             "big = np.ones((k, 1000, 1000))  # k * 8 MB\nprint(big.sum())")
    notebooks = {name: myst_notebook(name, *cells, parameters="k = 1") for name in ("one", "two")}
    root = make_root(tmp_path, notebooks, "profiles:\n  quick:\n    one: {k: 3}\n    two: {k: 40}\n  full:\n")

    def outputs(report):
        # the kernel may send one print as one or two stream messages: compare the text
        return {e.key: ["".join(o.get("text", "") for o in c.get("outputs", []))
                        for c in nbformat.read(e.notebook, as_version=4).cells if c.cell_type == "code"]
                for e in report.executions}

    parallel = book.stage_book("quick", root=root, progress=False, force=True, jobs=2)
    first = outputs(parallel)
    serial = book.stage_book("quick", root=root, progress=False, force=True, jobs=1)
    assert outputs(serial) == first and "40000000.0" in str(first["two"])
    assert [e.key for e in parallel.executions] == ["one", "two"] and all(e.ran for e in parallel.executions)
    for execution in parallel.executions + serial.executions:
        assert execution.seconds > 0 and execution.peak_mb > 0
    # the kernel holding 320 MB of ones peaks above the one holding 24 MB (RSS: real pages)
    assert serial.executions[1].peak_mb > serial.executions[0].peak_mb + 200

    reused = book.stage_book("quick", root=root, progress=False, jobs=2)
    assert reused.reused == [e.source for e in serial.executions]
    assert [e.peak_mb for e in reused.executions] == [e.peak_mb for e in serial.executions]
    made = json.loads((reused.staging / "build_record.json").read_text())
    assert {k: nb["peak_mb"] for k, nb in made["notebooks"].items()} == {
        e.key: e.peak_mb for e in serial.executions}
    text = record.summary(made)
    for execution in serial.executions:
        line = next(ln for ln in text.splitlines() if ln.startswith(execution.key + " "))
        assert f"{execution.seconds:.1f}" in line and f"{execution.peak_mb:,.0f}" in line
        assert "reused from the cache" in line
    assert text.splitlines()[-1].startswith("largest kernel: two, ")
    with pytest.raises(book.BookInputError, match="jobs must be a whole number >= 1"):
        book.stage_book("quick", root=root, progress=False, jobs=0)


def test_book_package_layout():
    """lassobook/book: no module over 600 lines, no function over 60 (``def`` to end of body),
    no import cycle between its modules (imports inside functions included), and an
    import-free ``__init__``."""
    import ast

    package = REPO / "lassobook" / "book"
    graph = {}
    for path in sorted(package.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 600, f"{path.name} has {len(text.splitlines())} lines"
        tree = ast.parse(text)
        long = [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(tree)
                if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno >= 60]
        assert not long, f"{path.name}: functions over 60 lines: {long}"
        graph[path.stem] = {(n.module or "").split(".")[0] for n in ast.walk(tree)
                            if isinstance(n, ast.ImportFrom) and n.level == 1 and n.module}
    assert graph["__init__"] == set()

    def reaches(start, target, seen=()):
        return any(m == target or (m not in seen and reaches(m, target, (*seen, m)))
                   for m in graph.get(start, ()))

    cycles = [name for name in graph if reaches(name, name)]
    assert not cycles, f"import cycles through {cycles}: {graph}"


def test_cli_run_writes_notebook_and_figures(tmp_path, capsys):
    text = myst_notebook(
        "Figure",
        """
        import matplotlib
        matplotlib.use("module://matplotlib_inline.backend_inline")
        import matplotlib.pyplot as plt
        assert isinstance(beta, float) and isinstance(names, list) and mode == "relu"
        for b in (beta, 2 * beta):
            plt.figure(figsize=(2, 2))
            plt.plot([0, 1], [0, b])
            plt.show()
        """,
        parameters="beta = 1.0\nnames = ['a']\nmode = 'abs'",
    )
    root = make_root(tmp_path, {"fig": text}, "profiles:\n  quick:\n    fig: {mode: relu}\n  full:\n")
    out = tmp_path / "out"
    code = cli.main(["run", "fig", "-p", "beta", "0.5", "-p", "names", "[x, y]", "--out", str(out),
                     "--root", str(root), "--quiet"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "fig.ipynb" in printed and "figure-01.png" in printed
    assert (out / "fig.ipynb").is_file()
    figures = sorted(out.glob("figure-*.png"))
    assert [f.name for f in figures] == ["figure-01.png", "figure-02.png"]
    assert all(f.read_bytes().startswith(b"\x89PNG") for f in figures)
    import yaml

    used = yaml.safe_load((out / "parameters.yml").read_text())["parameters"]
    assert used == {"mode": "relu", "beta": 0.5, "names": ["x", "y"]}


# --------------------------------------------------------------------------- (5) the real book
@pytest.mark.slow
def test_build_real_book_quick(quick_book):
    # quick_book (tests/conftest.py): built once per session, force=True, in a temporary
    # copy of the sources, so the repository's own _build/ is never touched.
    root = quick_book
    index = root / "_build" / "html" / "index.html"
    assert index.is_file()
    for source in book.notebooks_in_toc(root):
        page = root / "_build" / "html" / source.relative_to(root).with_suffix(".html")
        assert page.is_file(), page
        assert "<img" in page.read_text(encoding="utf-8"), f"{page} has no figure"
    for doc in book.toc_documents(root):
        assert (root / "_build" / "html" / doc.relative_to(root).with_suffix(".html")).is_file()


@pytest.mark.slow
def test_built_book_in_headless_chromium_offline(request):
    """Each page opened offline in Chromium: math typeset, images load, no failed request, no console
    error, no wide code cell, every output image in a numbered captioned figure, the banner, no
    internal reference."""
    from lassobook.book.browser import check_page, find_chromium

    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing on CI: .ci/run installs the Debian package 'chromium'")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    root = request.getfixturevalue("quick_book")  # after the Chromium check: no build to skip
    html = root / "_build" / "html"
    shots = html / "screenshots"
    shots.mkdir(exist_ok=True)
    pages = [html / doc.relative_to(root).with_suffix(".html") for doc in book.toc_documents(root)]
    for page in pages:
        shot = shots / f"{page.stem}.png" if page.stem in ("two_layer", "claims") else None
        report = check_page(page, screenshot=shot)
        assert report.ok, str(report)
        # what a reader meets: no sideways-scrolling code, every image a numbered captioned
        # figure, the build banner, no pointer to files the reader does not have
        assert report.reader_ok, report.reader_summary()
        if page.stem in ("two_layer", "intro", "deep_narrow"):
            assert report.math_containers > 10, str(report)
    claims = (html / "book" / "claims.html").read_text(encoding="utf-8")
    # the counts at the top say no check failed, and no row carries the red failure badge
    assert "<strong>0</strong> check failed" in claims and "#c62828" not in claims
    assert claims.count("reproduced") >= 5
    assert (shots / "two_layer.png").is_file() and (shots / "claims.png").is_file()
