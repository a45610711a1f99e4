"""Smoke test of benchmarks/peers.py: every peer, translated to its own parametrization,
reaches lassobook's certified optimum on N = 50 (skipped unless every peer imports)."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

for _module in ("sklearn", "celer", "skglm", "cvxpy", "clarabel"):
    pytest.importorskip(_module)


@pytest.fixture(scope="module")
def peers():
    path = ROOT / "benchmarks" / "peers.py"
    spec = importlib.util.spec_from_file_location("peers_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def problem(peers):
    return peers.make_problem(50, 0.01)


def test_centring_is_exact(peers, problem):
    """The centred problem has the same objective as ours with the best bias."""
    rng = np.random.default_rng(0)
    z = rng.standard_normal(problem.Ac.shape[1]) * 0.1
    centred = 0.5 * np.sum((problem.Ac @ z - problem.yc) ** 2) + problem.beta * np.abs(z).sum()
    assert np.isclose(problem.objective(z), centred + problem.data.offset, rtol=1e-12)
    assert problem.excess(np.zeros(problem.Ac.shape[1])) > 0


@pytest.mark.parametrize("name", ["sklearn", "celer", "skglm", "clarabel"])
def test_peer_reaches_the_optimum(peers, problem, name):
    """At rung 8 (a duality gap of 1e-8 relative) every peer is within 1e-8 of P* and never clearly below it."""
    z, _, _, _ = peers.solve_peer(name, problem, 8)
    excess = problem.excess(z)
    assert -1e-9 <= excess <= peers.TARGET, excess


def test_ladder_and_output(peers, tmp_path):
    out = tmp_path / "peers.json"
    peers.main(["--sizes", "40", "--solvers", "sklearn,clarabel", "--max-seconds", "30",
                "--out", str(out), "--figure", "none"])
    rows = json.loads(out.read_text())["rows"]
    by = {r["solver"]: r for r in rows}
    assert set(by) == {"lassobook", "sklearn", "clarabel"}
    assert by["lassobook"]["ratio"] == 1.0 and by["lassobook"]["certified"]
    for name in ("sklearn", "clarabel"):
        assert by[name]["reached"] and by[name]["rel_excess"] <= peers.TARGET
        assert by[name]["ratio"] == pytest.approx(by[name]["seconds"] / by["lassobook"]["seconds"])
