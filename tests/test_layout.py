"""The package's layout rules (issue #15), checked on the source with ``ast``.

* no import cycle between modules of :mod:`lassobook`, counting imports inside
  functions too (a lazy import is still a dependency);
* no module over 600 lines;
* no function over 60 lines of code (docstring, comments and blank lines not
  counted), except compiled kernels (decorated with ``njit`` / ``njit_cached``);
* subpackages depend downwards only: ``core`` on nothing else of lassobook,
  ``solvers`` and ``families`` on ``core`` (and ``families`` on ``solvers`` for
  their solvers' building blocks), never on ``analysis``, ``paper`` or ``book``.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lassobook"
MODULES = {".".join(("lassobook",) + p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__"): p
           for p in sorted(PACKAGE.rglob("*.py"))}
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60
#: which subpackages each layer may import (top-level modules such as fitting, training,
#: plotting, estimator and cli may import anything below the book tooling)
ALLOWED = {
    "core": {"core"},
    "solvers": {"core", "solvers"},
    "families": {"core", "solvers", "families", "analysis.kinks"},
    "analysis": {"core", "solvers", "families", "analysis", "training", "plotting", "sweeps"},
}


def _target(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """Modules of lassobook an import statement in ``module`` depends on."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".")
            if not MODULES[module].name == "__init__.py":
                base = base[:-1]
            base = base[:len(base) - node.level + 1]
            root = ".".join(base + ([node.module] if node.module else []))
        else:
            root = node.module or ""
        names = [f"{root}.{a.name}" if f"{root}.{a.name}" in MODULES else root for a in node.names]
    return sorted({n for n in names if n in MODULES and n != "lassobook"})


def import_graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        graph[module] = {t for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                         for t in _target(module, node) if t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_planted_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else None


def _allowed(layer: str, target: str) -> bool:
    rest = target.removeprefix("lassobook.")
    return any(rest == a or rest.startswith(a + ".") for a in ALLOWED[layer])


def test_layers_depend_downwards():
    bad = [f"{m} imports {t}" for m, targets in import_graph().items()
           if (layer := _layer(m)) in ALLOWED for t in targets if not _allowed(layer, t)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_size(module):
    n = len(MODULES[module].read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{module} has {n} lines (at most {MAX_MODULE_LINES})"


def code_lines(node: ast.FunctionDef) -> int:
    """Lines of code of a function: no docstring, comment-only or blank lines."""
    lines = set()
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    for stmt in body:
        for sub in ast.walk(stmt):
            if hasattr(sub, "lineno") and not (isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                                               and sub.end_lineno > sub.lineno):
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1)
                             if not isinstance(sub, (ast.FunctionDef, ast.ClassDef)) else [sub.lineno])
    return len(lines) + 1   # the def line


def _compiled(node) -> bool:
    return any("njit" in ast.unparse(d) for d in node.decorator_list)


def test_code_lines_counts_what_it_says():
    src = 'def f(x):\n    """Doc.\n\n    More."""\n    # note\n\n    y = x\n    return y\n'
    assert code_lines(ast.parse(src).body[0]) == 3


def test_function_size():
    long = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _compiled(node):
                n = code_lines(node)
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {n} lines")
    assert not long, "functions over 60 lines of code:\n" + "\n".join(long)


# ---------------------------------------------------------------------------- dependencies
def _declared() -> tuple[set[str], set[str]]:
    """Import names of the declared runtime dependencies, and of the ``book`` extra (+ runtime)."""
    import re
    import tomllib
    from importlib.metadata import packages_distributions

    project = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["project"]
    dist = lambda req: re.split(r"[<>=!\[; ]", req, maxsplit=1)[0].lower().replace("_", "-")  # noqa: E731
    imports = {}
    for name, dists in packages_distributions().items():
        for d in dists:
            imports.setdefault(d.lower().replace("_", "-"), set()).add(name)
    to_imports = lambda reqs: {i for r in reqs for i in imports.get(dist(r), {dist(r)})}  # noqa: E731
    runtime = to_imports(project["dependencies"])
    book = runtime | to_imports(project["optional-dependencies"]["book"])
    return runtime, book


def _third_party(path: Path, top_level_only: bool) -> set[str]:
    import sys

    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out = set()
    for node in nodes:
        names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                 [node.module] if isinstance(node, ast.ImportFrom) and not node.level and node.module else [])
        out |= {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"lassobook"}
    return out


def test_runtime_imports_are_declared():
    """A module-level import of the library is a declared dependency; the book tooling's, of ``[book]``.

    Imports inside functions of the library may use the ``book`` extra (the chapter
    helpers' ``glue`` and ``display``, plotly); they are declared there.
    """
    runtime, book = _declared()
    missing = []
    for module, path in MODULES.items():
        in_book = module.startswith("lassobook.book")
        allowed = book if in_book else runtime
        missing += [f"{module}: {m}" for m in _third_party(path, True) - allowed]
        missing += [f"{module} (in a function): {m}" for m in _third_party(path, False) - book]
    assert not missing, "undeclared imports:\n" + "\n".join(sorted(missing))


# ---------------------------------------------------------------------------- README tables
def _readme_table(marker: str) -> list[list[str]]:
    text = (PACKAGE.parent / "README.md").read_text()
    start = text.index(marker)
    rows = []
    for line in text[start:].splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows[2:]          # header and rule


def test_readme_layout_table_lists_every_module():
    import re

    listed = {}
    for folder, modules, _ in _readme_table("<!-- layout-table"):
        listed[folder.strip("`").rstrip("/")] = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "", modules)))
    actual = {}
    for path in PACKAGE.rglob("*.py"):
        folder = "/".join(("lassobook",) + path.relative_to(PACKAGE).parent.parts)
        if path.name != "__init__.py" or folder != "lassobook":
            actual.setdefault(folder, set()).add(path.stem)
    actual["lassobook"].discard("__main__")
    for folder in actual:
        actual[folder].discard("__init__") if folder != "lassobook/families" else None
    assert set(listed) == set(actual), (sorted(listed), sorted(actual))
    for folder in actual:
        assert listed[folder] == actual[folder], (folder, sorted(listed[folder] ^ actual[folder]))


def test_readme_families_table_is_the_families_table():
    from lassobook.families import FAMILIES

    rows = _readme_table("<!-- families-table")
    expected = [[row.key, row.describe(), f"`lassobook/families/{row.target.split(':')[0]}.py`",
                 "yes" if row.has_oracle else "no (dense)"] for row in FAMILIES]
    assert rows == expected
