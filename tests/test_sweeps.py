"""Sweeps give the same numbers, bit for bit, in this process, in local workers and on Dask.

The task is a small Monte Carlo study of the book's kind: a random dataset, a
certified Lasso fit and a short seeded Adam run per task.
"""

import numpy as np
import pytest

import lassobook as lb
from lassobook.sweeps import sweep


def study_task(seed: int, n: int, beta: float) -> dict:
    """One Monte Carlo task: random data → certified fit → Adam from a seeded start."""
    data = lb.random_dataset(n, seed)
    family = lb.get_family("relu")
    fit = lb.fit(data, family=family, beta=beta)
    runs = lb.train_adam(data, family=family, beta=beta, width=5, seeds=[seed], epochs=200,
                         progress=False)
    return {"objective": fit.objective, "z": fit.solution.z.copy(),
            "adam": runs.history[:, 0].copy(), "certified": fit.certificate().certified}


TASKS = [dict(seed=s, n=9, beta=b) for s in range(2) for b in (0.05, 0.5)]


def _same(a: list, b: list) -> None:
    assert len(a) == len(b)
    for r, s in zip(a, b):
        assert r["objective"] == s["objective"] and r["certified"] == s["certified"]
        assert np.array_equal(r["z"], s["z"]) and np.array_equal(r["adam"], s["adam"])


@pytest.fixture(scope="module")
def serial():
    return sweep(study_task, TASKS)


def test_sweep_runs_every_task_in_order(serial):
    assert len(serial) == len(TASKS) and all(r["certified"] for r in serial)
    again = [study_task(**t) for t in TASKS[:2]]
    _same(serial[:2], again)


def test_local_processes_give_identical_results(serial):
    _same(serial, sweep(study_task, TASKS, n_jobs=2))


def test_dask_local_cluster_gives_identical_results(serial):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        _same(serial, sweep(study_task, TASKS, backend="dask"))


@pytest.mark.parametrize("bad, message", [(dict(n_jobs=0), "n_jobs must be"),
                                          (dict(n_jobs=True), "n_jobs must be")])
def test_bad_arguments(bad, message):
    with pytest.raises(ValueError, match=message):
        sweep(study_task, TASKS, **bad)
    with pytest.raises(ValueError, match="fn must be"):
        sweep(None, TASKS)
