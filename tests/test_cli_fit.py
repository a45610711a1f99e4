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
        ("x,y\n0,0\n1,1\n1,2\n", [], "duplicate x values"),
        ("x,y\n0,0\n1,1\n", ["--activation", "tanh"], "unknown activation"),
        ("x,y\n0,0\n1,1\n", ["--beta", "0"], "beta must be positive"),
        ("x,y\n0,0\n1,1\n", ["--depth", "9"], "not supported"),
        ("x,y\n0,nan\n1,1\n", [], "non-finite"),
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
