"""`lassobook fit`: a certified fit written to JSON and PNG; bad input is one line, exit 2."""

import json

import numpy as np
import pytest

from lassobook.cli import main


def _csv(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "abs", "threshold", "sign"])
def test_fit_writes_certified_json_and_png(tmp_path, activation):
    data = _csv(tmp_path / "d.csv", "x,y,extra\n6,3,a\n0,0,b\n2,0,c\n7,3,d\n")
    out = tmp_path / "out"
    assert main(["fit", str(data), "--x", "x", "--y", "y", "--activation", activation,
                 "--beta", "0.1", "--out", str(out)]) == 0
    record = json.loads((out / "fit.json").read_text())
    for key in ("objective", "certified", "max_dual_violation", "neurons"):
        assert key in record
    assert record["certified"] is True
    assert np.isclose(record["objective"], record["network_objective"], rtol=1e-6)
    assert all({"kinks", "coefficient"} <= set(n) for n in record["neurons"])
    assert (out / "fit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "content, args, message",
    [
        (None, [], "cannot read"),
        ("x,y\n0,0\n1,1\n", ["--y", "z"], "no column 'z'"),
        ("x,y\n0,0\n1,oops\n", [], "non-numeric value 'oops'"),
        ("x,y\n0,0\n1,1\n", ["--activation", "tanh"], "unknown activation"),
        ("x,y\n0,0\n1,1\n", ["--beta", "0"], "beta must be positive"),
        ("x,y\n0,0\n1,1\n", ["--depth", "9"], "not supported"),
        ("x,y\n0,nan\n1,1\n", [], "line 2: column 'y' is 'nan'"),
        ("\ufeffx,y\n0,0\n1,1\n", ["--weight", "w"], "no column 'w'"),
        ('x,y\n0,0\n1,"1\n2,2\n3,3\n', [], "line 3: a quote"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, content, args, message):
    path = tmp_path / "d.csv"
    if content is not None:
        path.write_text(content)
    out = tmp_path / "out"
    base = {"--x": "x", "--y": "y", "--activation": "relu", "--beta": "0.1", "--out": str(out)}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    argv = ["fit", str(path)] + [t for kv in base.items() for t in kv]
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err
    assert not out.exists()


def test_fit_with_adam_seeds_reports_gaps_none_below_the_optimum(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,y\n0,0\n2,0\n6,3\n7,3\n")
    out = tmp_path / "out"
    assert main(["fit", str(data), "--x", "x", "--y", "y", "--activation", "relu", "--beta", "0.1",
                 "--adam-seeds", "3", "--adam-epochs", "300", "--quiet", "--out", str(out)]) == 0
    record = json.loads((out / "fit.json").read_text())
    assert len(record["adam"]["objectives"]) == 3
    assert record["adam"]["below_optimum"] == 0 and record["adam"]["best_gap"] >= -1e-6


@pytest.mark.parametrize("args", [["--activation", "relu", "--depth", "4"], ["--activation", "abs", "--depth", "3"],
                                  ["--activation", "sign", "--depth", "4", "--architecture", "tree",
                                   "--widths", "2", "2"]])
def test_fit_covers_the_deep_families(tmp_path, args):
    data = _csv(tmp_path / "d.csv", "x,y\n0,0\n2,0\n6,3\n7,3\n4,1\n")
    out = tmp_path / "out"
    assert main(["fit", str(data), "--x", "x", "--y", "y", "--beta", "0.1", "--quiet", "--out", str(out), *args]) == 0
    record = json.loads((out / "fit.json").read_text())
    assert record["certified"] and record["depth"] == int(args[args.index("--depth") + 1])


def test_fit_structured_solver_and_its_errors(tmp_path, capsys):
    data = _csv(tmp_path / "d.csv", "x,y\n0,0\n2,0\n6,3\n7,3\n4,1\n")
    out = tmp_path / "out"
    base = ["fit", str(data), "--x", "x", "--y", "y", "--beta", "0.1", "--quiet", "--solver", "structured"]
    assert main(base + ["--activation", "relu", "--depth", "4", "--out", str(out)]) == 0
    assert json.loads((out / "fit.json").read_text())["certified"]
    with pytest.raises(SystemExit) as info:
        main(base + ["--activation", "relu", "--min-norm", "--out", str(tmp_path / "no")])
    assert info.value.code == 2 and "needs --solver dense" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


# --------------------------------------------------------------------------- issue 13, item 6
BASE = "x,y\n0,0\n2,0\n6,3\n7,3\n"


def _fit_argv(tmp_path, *extra, out=None):
    data = _csv(tmp_path / "d.csv", BASE)
    return ["fit", str(data), "--x", "x", "--y", "y", "--activation", "relu", "--beta", "0.1",
            "--quiet", "--out", str(out or tmp_path / "out"), *extra]


def _one_line_error(capsys, argv, code):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == code
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("lassobook: error: "), err
    assert "Traceback" not in captured.err + captured.out
    return err


def _tree(path):
    return {str(p.relative_to(path)): (p.read_bytes() if p.is_file() else None) for p in path.rglob("*")}


@pytest.fixture
def fit_must_not_run(monkeypatch):
    """Replace the Lasso fit by a tripwire: option errors must stop before any solve."""
    import lassobook.fitting

    def tripwire(*args, **kwargs):
        raise AssertionError("lassobook.fitting.fit was called: options must be checked first")

    monkeypatch.setattr(lassobook.fitting, "fit", tripwire)


@pytest.mark.parametrize("args, message", [
    (["--out", "/proc/lassobook-x"], "is not writable"),
    (["--out", "FILE"], "is an existing file"),
    (["--out", "FILE/sub"], "is a file"),
    (["--n-jobs", "0"], "--n-jobs must be -1 (all cores) or >= 1"),
    (["--adam-width", "0"], "--adam-width must be >= 1"),
    (["--adam-lr", "-1"], "--adam-lr must be a finite number > 0"),
    (["--adam-lr", "nan"], "--adam-lr must be a finite number > 0"),
    (["--adam-epochs", "0"], "--adam-epochs must be >= 1"),
    (["--adam-seeds", "-1"], "--adam-seeds must be >= 0"),
    (["--rho", "1"], "--rho must be in (0, 1)"),
    (["--max-memory", "0"], "--max-memory must be a positive size"),
    (["--max-memory", "lots"], "is not a size"),
    (["--solver", "structured", "--min-norm"], "--min-norm needs --solver dense"),
])
def test_bad_options_fail_before_any_work_and_write_nothing(tmp_path, capsys, fit_must_not_run,
                                                            args, message):
    import os
    import time

    if "/proc/lassobook-x" in args and not os.path.isdir("/proc"):
        pytest.skip("no /proc on this system")
    (tmp_path / "FILE").write_text("the user's file\n")
    args = [str(tmp_path / a) if a.startswith("FILE") else a for a in args]
    argv = _fit_argv(tmp_path, *args)
    before = _tree(tmp_path)
    start = time.perf_counter()
    err = _one_line_error(capsys, argv, 2)
    assert time.perf_counter() - start < 1.0
    assert message in err
    assert _tree(tmp_path) == before          # nothing written, no probe left behind


def test_solver_and_memory_options_reach_the_fit(tmp_path, capsys, monkeypatch):
    import lassobook.fitting as fitting

    seen = {}

    def too_large(data, **kwargs):
        seen.update(kwargs)
        raise fitting.ProblemTooLarge("the dense path needs 149 GiB, more than --max-memory 4GB; "
                                      "use --solver structured")

    monkeypatch.setattr(fitting, "fit", too_large)
    err = _one_line_error(capsys, _fit_argv(tmp_path, "--max-memory", "4GB"), 2)
    assert "149 GiB" in err and not (tmp_path / "out").exists()
    assert seen["solver"] == "auto" and seen["max_memory"] == 4_000_000_000
    assert seen["min_norm"] is False and seen["beta"] == 0.1


@pytest.mark.parametrize("failure", ["solver", "figure", "rename"])
@pytest.mark.parametrize("existing", [False, True])
def test_a_failing_fit_leaves_no_partial_output(tmp_path, capsys, monkeypatch, failure, existing):
    import os

    import lassobook.fitting as fitting
    from lassobook import cli
    from lassobook.solvers.lasso import SolverError

    def bad(*args, **kwargs):
        if failure == "solver":
            raise SolverError("Clarabel failed on the Lasso: Solver 'CLARABEL' failed. Try another "
                              "solver, or solve with verbose=True for more information.\nsecond line")
        raise RuntimeError("the figure failed\nsecond line")

    if failure == "solver":
        monkeypatch.setattr(fitting, "fit", bad)
    elif failure == "figure":
        monkeypatch.setattr(cli, "_fit_figure", bad)
    else:
        monkeypatch.setattr(os, "rename", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left")))
        monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space left")))
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "fit.json").write_text("old\n")
        (out / "notes.txt").write_text("the user's notes\n")
    argv = _fit_argv(tmp_path, out=out)
    before = _tree(tmp_path)
    err = _one_line_error(capsys, argv, 1)
    assert "verbose" not in err and "second line" not in err
    assert _tree(tmp_path) == before


def test_an_existing_out_folder_keeps_the_users_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "fit.json").write_text("old\n")
    (out / "notes.txt").write_text("the user's notes\n")
    assert main(_fit_argv(tmp_path, out=out)) == 0
    assert json.loads((out / "fit.json").read_text())["certified"] is True
    assert (out / "notes.txt").read_text() == "the user's notes\n"
    assert sorted(p.name for p in out.iterdir()) == ["fit.json", "fit.png", "notes.txt"]


def test_weight_column_and_repeated_x(tmp_path):
    data = _csv(tmp_path / "d.csv", "x,y,w\n0,0,1\n2,0,2\n2,0.5,1\n6,3,1\n7,3,0.5\n")
    out = tmp_path / "out"
    assert main(["fit", str(data), "--x", "x", "--y", "y", "--weight", "w", "--activation", "relu",
                 "--beta", "0.1", "--quiet", "--out", str(out)]) == 0
    record = json.loads((out / "fit.json").read_text())
    assert record["certified"] is True and record["data"]["weight"] == "w"


# --------------------------------------------------------------------------- lassobook run --out
def _run_root(tmp_path):
    from test_book import make_root, myst_notebook

    text = myst_notebook(
        "Figures",
        """
        import matplotlib
        matplotlib.use("module://matplotlib_inline.backend_inline")
        import matplotlib.pyplot as plt
        assert not fail, "asked to fail"
        for k in range(n_fig):
            plt.figure(figsize=(1, 1))
            plt.plot([0, 1], [0, k])
            plt.show()
        """,
        parameters="n_fig = 2\nfail = False",
    )
    return make_root(tmp_path, {"figs": text}, "profiles:\n  quick:\n  full:\n")


def test_run_refuses_a_folder_with_the_users_figures(tmp_path, capsys):
    root = _run_root(tmp_path)
    out = tmp_path / "mine"
    out.mkdir()
    (out / "figure-01.png").write_bytes(b"the user's figure")
    before = _tree(out)
    err = _one_line_error(capsys, ["run", "figs", "--out", str(out), "--root", str(root), "--quiet"], 2)
    assert "figure-01.png" in err and "not written by lassobook run" in err
    assert _tree(out) == before


def test_run_replaces_only_its_own_files_and_a_failed_run_changes_nothing(tmp_path, capsys):
    root = _run_root(tmp_path)
    out = tmp_path / "runs"
    out.mkdir()
    (out / "data.csv").write_text("the user's data\n")
    argv = ["run", "figs", "--out", str(out), "--root", str(root), "--quiet"]
    assert main(argv + ["-p", "n_fig", "3"]) == 0
    assert sorted(p.name for p in out.glob("figure-*.png")) == ["figure-01.png", "figure-02.png",
                                                                "figure-03.png"]
    assert main(argv + ["-p", "n_fig", "1"]) == 0       # its own earlier figures are replaced
    assert sorted(p.name for p in out.glob("figure-*.png")) == ["figure-01.png"]
    assert (out / "data.csv").read_text() == "the user's data\n"
    visible = {k: v for k, v in _tree(out).items() if not k.startswith(".")}
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        main(argv + ["-p", "fail", "true"])
    assert info.value.code == 1
    assert {k: v for k, v in _tree(out).items() if not k.startswith(".")} == visible


def test_run_out_that_is_a_file_or_not_writable_is_one_line(tmp_path, capsys):
    import os

    root = _run_root(tmp_path)
    (tmp_path / "FILE").write_text("the user's file\n")
    targets = [tmp_path / "FILE", tmp_path / "FILE" / "sub"] + (["/proc/lassobook-x"] if os.path.isdir("/proc") else [])
    for out in targets:
        err = _one_line_error(capsys, ["run", "figs", "--out", str(out), "--root", str(root), "--quiet"], 2)
        assert "--out" in err
    assert (tmp_path / "FILE").read_text() == "the user's file\n"
