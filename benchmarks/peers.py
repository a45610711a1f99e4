"""lassobook against other Lasso solvers on the same dense ReLU dictionary (issue #16).

    python benchmarks/peers.py --quick          # N = 100, 200, 20 s cap: a few minutes
    python benchmarks/peers.py                  # N = 100, 200, 400, ... until each stops
    python benchmarks/peers.py --sizes 50,100 --solvers sklearn,clarabel --out /tmp/p.json

The problem is the one of ``benchmarks/scaling.py``: ``random_dataset(N, 0)``
(``sin 3x`` plus noise 0.3 on [−1, 1]), the two-layer ReLU family and
``β = β₀·N`` (``β₀ = 0.01``), whose training problem is the Lasso

    min_{z, ξ}  ½‖A z + ξ1 − y‖² + β‖z‖₁        (ξ unpenalized)

over the dense dictionary ``A = build_dictionary(data, family).matrix``
(N rows, about 2N columns).  The reference optimum ``P*`` is lassobook's
default fit, ``lb.fit(data, family="relu", beta=β)`` (the structured solver,
which never forms ``A``) together with its certificate; its certified relative
duality gap is recorded (``gap``).  Its time, fit *and* certificate, is the
denominator of every ratio.

Every peer solves the same problem.  The free bias is removed exactly by
centring (``ξ* = mean(y − A z*)``), so each gets ``A_c = A − mean(A)`` and
``y_c = y − ȳ`` without an intercept; scikit-learn's ``Lasso``, celer and skglm
minimise ``1/(2N)‖y_c − A_c z‖² + α‖z‖₁``, so ``α = β/N``.  cvxpy + Clarabel
gets ``½‖A_c z − y_c‖² + β‖z‖₁`` itself.  The point a peer returns is scored in
*our* objective (``ξ`` put back, in float64): its relative excess
``(P − P*)/P*``.  Building ``A`` and centring it is not timed (the peers get
it for free; lassobook never builds it).

"Same objective to 1e-8": each peer runs a ladder of tolerances, loosest first,
starting with the library's defaults (as a user would first call it; that run's
time and excess are kept as ``default``); its time is that of the first run
whose point is within ``1e-8`` relative of ``P*`` (``reached``).  scikit-learn
and celer stop on their duality gap, ``gap ≤ tol·‖y_c‖²`` in our units, so rung
``k`` is ``tol = 10^−k·P*/‖y_c‖²`` (rung 8 guarantees 1e-8); skglm stops on its
optimality (KKT) violation and gets the same numbers; Clarabel gets
``tol_gap_abs = tol_gap_rel = tol_feas = 10^−k`` (its defaults are 1e-8).  A peer
that cannot get there within ``--max-seconds`` is ``reached: false`` with the
best excess it stopped at (``stopped_seconds``), or ``timeout`` in its last rung.
Adam (one seeded network of width 50, lr 5e-3, full batch, the setting of
``benchmarks/scaling.py``, on the network's own objective) is timed to a
``1e-3`` relative gap (``seconds_1e2``: to 1e-2), capped at ``--max-seconds``.

Timing: one process, single-threaded (BLAS, numba, Clarabel, torch), as
``benchmarks/scaling.py``; every solver is warmed up (imports, numba
compilation) by an untimed solve at the smallest N.  A timed scikit-learn,
celer or skglm solve runs in a *forked copy* of this warm process (same imports,
compiled code and data) so that one past ``--max-seconds`` can be stopped
(``timeout``, at 1.5 times the limit); scikit-learn's epochs are also capped from
its time per epoch (to about 80 % of the limit) so that it stops by itself and
says how far it got.  Clarabel runs in this
process (its thread pool does not survive a fork); a size where ``N³`` scaling
predicts more than twice ``--max-seconds`` is skipped.  A solver's sweep ends at
its first size where it does not reach its target, times out, or takes longer
than ``--max-seconds``; sizes whose dense matrix exceeds ``--max-dense-gb`` are
skipped.  Runs under 3 s are repeated, best of 3; lassobook is repeated until
1 s or 50 runs, best.  Ratios are a solver's seconds over lassobook's at the
same N.

The reference is only as good as its certificate: ``excess_bound`` adds
lassobook's certified relative gap to a row's excess (a bound on the excess over
the true optimum), and ``reached_certified`` says whether that bound is within
the target too.  A slightly negative excess is a peer that went below ``P*``
by less than that gap.

Writes ``benchmarks/results/peers.json`` and the log-log figure
``benchmarks/results/peers.png`` (``--out``, ``--figure``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
             "RAYON_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import json
import math
import multiprocessing
import platform
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEERS = ("sklearn", "celer", "skglm", "clarabel")
SOLVERS = ("lassobook",) + PEERS + ("adam",)
LABELS = {"lassobook": "lassobook (structured, certified)", "sklearn": "scikit-learn Lasso",
          "celer": "celer Lasso", "skglm": "skglm Lasso", "clarabel": "cvxpy + Clarabel",
          "adam": "Adam (to 1e-3)"}
TARGET = 1e-8          #: relative excess a peer must reach
ADAM_TARGET = 1e-3     #: relative gap Adam must reach
#: tolerance ladders (decades below P*/‖y_c‖², or Clarabel's own tolerances)
#: ("default": the library's own defaults, as a user would call it first)
LADDER = {"sklearn": ("default", 6, 7, 8, 10, 12), "celer": ("default", 6, 7, 8, 10, 12),
          "skglm": ("default", 6, 7, 8, 10, 12), "clarabel": ("default", 10, 12)}


@dataclass
class Problem:
    """One benchmark instance: the data, β, the dense dictionary and the reference optimum."""

    n: int
    beta: float
    data: object
    family: object
    A: np.ndarray | None   # dense dictionary on the data (n, p); None when no peer runs
    Ac: np.ndarray         # centred (Fortran order, as the coordinate-descent solvers want it)
    yc: np.ndarray
    optimum: float         # P*, lassobook's certified optimum
    gap: float             # its certified relative duality gap
    build_seconds: float | None   # time to build the dense dictionary (charged to no one)

    def objective(self, z) -> float:
        """Our objective ``½ Σ w (A z + ξ − y)² + β‖z‖₁`` (+ the data's offset), best ``ξ``."""
        z = np.asarray(z, dtype=np.float64).ravel()
        w, y = self.data.w, self.data.y
        fit = self.A @ z
        xi = float(w @ (y - fit)) / float(w.sum())
        r = fit + xi - y
        return float(0.5 * r @ (w * r) + self.beta * np.abs(z).sum() + self.data.offset)

    def excess(self, z) -> float:
        """Relative excess ``(P(z) − P*)/|P*|``."""
        return (self.objective(z) - self.optimum) / abs(self.optimum)


def available() -> dict:
    """Which peers import here: name -> version, or the reason it does not."""
    out = {}
    for name, module in (("sklearn", "sklearn"), ("celer", "celer"), ("skglm", "skglm"),
                         ("clarabel", "clarabel"), ("cvxpy", "cvxpy"), ("torch", "torch")):
        try:
            mod = __import__(module)
            out[name] = getattr(mod, "__version__", "?")
        except Exception as exc:  # noqa: BLE001 - any import failure means "skip it"
            out[name] = None
            out[name + "_error"] = f"{type(exc).__name__}: {exc}"
    if out.get("clarabel") and not out.get("cvxpy"):
        out["clarabel"] = None
        out["clarabel_error"] = "cvxpy does not import: " + out.get("cvxpy_error", "")
    return out


def dense_gb(n: int) -> float:
    """GB of the raw dense two-layer ReLU dictionary on ``n`` points (n × 2n float64)."""
    return 8.0 * n * 2 * n / 1e9


def reference(n: int, beta0: float, seed: int = 0):
    """Data, family, β, lassobook's fit and certificate (untimed)."""
    import lassobook as lb

    data = lb.random_dataset(n, seed)
    family = lb.get_family("relu")
    beta = beta0 * n
    fit = lb.fit(data, family=family, beta=beta)
    cert = fit.certificate()
    return data, family, beta, fit, cert


def make_problem(n: int, beta0: float, seed: int = 0, dense: bool = True) -> Problem:
    """The instance at ``n`` points: reference optimum and the centred dense dictionary
    (``dense=False``: no dictionary, for lassobook and Adam alone)."""
    import lassobook as lb

    data, family, beta, fit, cert = reference(n, beta0, seed)
    if not cert.certified:
        raise RuntimeError(f"lassobook's fit at N={n} is not certified: {cert}")
    gap = fit.duality_gap(cert) / abs(fit.objective) if hasattr(fit, "duality_gap") else math.nan
    if not dense:
        return Problem(n, beta, data, family, None, None, None, float(fit.objective),
                       float(gap), None)
    t0 = time.perf_counter()
    A = lb.build_dictionary(data, family).matrix
    w = data.w
    sw = np.sqrt(w)
    a_mean = (w @ A) / w.sum()
    y_mean = float(w @ data.y) / w.sum()
    Ac = np.asfortranarray((A - a_mean) * sw[:, None])
    yc = np.ascontiguousarray((data.y - y_mean) * sw)
    build = time.perf_counter() - t0
    return Problem(n, beta, data, family, A, Ac, yc, float(fit.objective), float(gap), build)


# --------------------------------------------------------------------------- solvers
def time_lassobook(prob: Problem, budget: float = 1.0, max_runs: int = 50) -> dict:
    """lb.fit + certificate, best of repeated runs (until ``budget`` seconds or ``max_runs``)."""
    import lassobook as lb

    times, spent = [], 0.0
    while not times or (spent < budget and len(times) < max_runs):
        t0 = time.perf_counter()
        fit = lb.fit(prob.data, family=prob.family, beta=prob.beta)
        cert = fit.certificate()
        dt = time.perf_counter() - t0
        times.append(dt)
        spent += dt
    iters = len(getattr(fit, "history", []) or []) or None
    return dict(seconds=min(times), median=float(np.median(times)), repeats=len(times),
                rel_excess=(fit.objective - prob.optimum) / abs(prob.optimum),
                reached=bool(cert.certified), certified=bool(cert.certified),
                iterations=iters, status="ok")


def _tol(prob: Problem, k: int) -> float:
    """Rung ``k`` of a gap-based ladder: ``10^−k · P*/‖y_c‖²``.

    A duality gap ``≤ tol·‖y_c‖²`` then means a relative excess ``≤ 10^−k``.
    """
    return 10.0 ** (-k) * prob.optimum / float(prob.yc @ prob.yc)


def solve_peer(name: str, prob: Problem, k, max_iter: int | None = None):
    """One solve of peer ``name`` at rung ``k``: (z, iterations, converged, tol).

    ``max_iter`` caps scikit-learn's epochs (so that a run stops by itself near the time
    limit and reports where it got to); the other peers run until their tolerance.
    """
    n = prob.n
    alpha = prob.beta / n
    default = k == "default"
    if name == "clarabel":
        import cvxpy as cp

        tol = 1e-8 if default else 10.0 ** (-k)     # Clarabel's defaults are 1e-8
        settings = {} if default else dict(tol_gap_abs=tol, tol_gap_rel=tol, tol_feas=tol,
                                           max_iter=500)
        z = cp.Variable(prob.Ac.shape[1])
        problem = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(prob.Ac @ z - prob.yc)
                                         + prob.beta * cp.norm1(z)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem.solve(solver=cp.CLARABEL, **settings)
        iters = getattr(problem.solver_stats, "num_iters", None)
        return (np.asarray(z.value, dtype=np.float64), iters, problem.status == cp.OPTIMAL, tol)
    # defaults: tol 1e-4 and the library's iteration limits; else tight and unlimited
    tol = 1e-4 if default else _tol(prob, k)
    limits = {} if default else dict(max_iter=10**5, max_epochs=10**8)
    if name == "sklearn":
        from sklearn.linear_model import Lasso

        model = Lasso(alpha=alpha, fit_intercept=False, tol=tol,
                      **({} if default else dict(max_iter=max_iter or 10**8)))
    elif name == "celer":
        from celer import Lasso

        model = Lasso(alpha=alpha, fit_intercept=False, tol=tol, **limits)
    elif name == "skglm":
        from skglm import Lasso

        model = Lasso(alpha=alpha, fit_intercept=False, tol=tol, **limits)
    else:
        raise ValueError(f"unknown peer {name!r}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(prob.Ac, prob.yc)
    converged = not any("onverge" in str(w.message) for w in caught)
    iters = getattr(model, "n_iter_", None)
    if iters is not None:
        iters = int(np.max(iters))
    return np.asarray(model.coef_, dtype=np.float64), iters, converged, tol


def _timed(name: str, prob: Problem, k, max_iter=None) -> dict:
    t0 = time.perf_counter()
    z, iters, converged, tol = solve_peer(name, prob, k, max_iter)
    seconds = time.perf_counter() - t0
    return dict(seconds=seconds, rel_excess=prob.excess(z), iterations=iters,
                converged=bool(converged), tol=tol, rung=k)


def _child(conn, name, prob, k, repeats, max_iter):
    try:
        best = None
        for i in range(repeats):
            out = _timed(name, prob, k, max_iter)
            if best is None or out["seconds"] < best["seconds"]:
                best = out
            if i == 0 and out["seconds"] >= 3.0:
                break
        conn.send(dict(best, status="ok"))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        conn.send(dict(status="error: " + "".join(traceback.format_exception_only(exc)).strip()))
    finally:
        conn.close()


def run_forked(name: str, prob: Problem, k, max_seconds: float, repeats: int = 3,
               max_iter=None) -> dict:
    """:func:`_timed` in a forked copy of this (warm) process, stopped after 1.5 ``max_seconds``
    (a run past ``max_seconds`` ends the sweep anyway; the margin lets scikit-learn's capped
    run finish and report its excess)."""
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, name, prob, k, repeats, max_iter),
                       daemon=True)
    t0 = time.perf_counter()
    proc.start()
    child.close()
    limit = 1.5 * max_seconds + 2.0
    # a first run just under the limit may be repeated: allow for its repeats
    out = None
    while True:
        left = limit - (time.perf_counter() - t0)
        if parent.poll(max(left, 0.0)):
            out = parent.recv()
            break
        if time.perf_counter() - t0 >= limit:
            # repeats can only start after a first run under 3 s, so this is the first run
            break
    if out is None:
        proc.terminate()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
        return dict(status="timeout", seconds=float("nan"), rung=k, rel_excess=None)
    proc.join(5)
    return out


def _best_of(name, prob, k, max_iter, repeats=3):
    """In this process (Clarabel's thread pool does not survive a fork): best of ``repeats``
    runs when the first takes under 3 s."""
    try:
        best = dict(_timed(name, prob, k, max_iter), status="ok")
        for _ in range(repeats - 1 if best["seconds"] < 3.0 else 0):
            out = dict(_timed(name, prob, k, max_iter), status="ok")
            best = out if out["seconds"] < best["seconds"] else best
        return best
    except Exception as exc:  # noqa: BLE001 - reported in the row
        return dict(status=f"error: {type(exc).__name__}: {exc}", rung=k, seconds=float("nan"))


def run_ladder(name: str, prob: Problem, max_seconds: float) -> dict:
    """Loosest tolerance first, until the point is within TARGET of P* (or time runs out).

    scikit-learn's epochs are capped from the default rung's time per epoch, so that a
    rung stops by itself near ``max_seconds`` (and says how far it got); a rung that
    stops unconverged ends the ladder.  celer and skglm run in a forked copy that is
    stopped at ``max_seconds`` (``timeout``); Clarabel runs here (its thread pool does
    not survive a fork), its sizes guarded by the main loop's prediction.
    """
    rungs = []
    best = None
    max_iter = None
    for k in LADDER[name]:
        if name == "clarabel":
            out = _best_of(name, prob, k, None)
        else:
            out = run_forked(name, prob, k, max_seconds, max_iter=max_iter)
        rungs.append(out)
        if out["status"] != "ok":
            break
        if name == "sklearn" and k == "default" and out.get("iterations"):
            per_epoch = out["seconds"] / out["iterations"]
            # the default rung's time per epoch is rough (and the machine may be busy):
            # aim at 80 % of the limit; the fork is stopped only at 1.5 times the limit
            max_iter = max(1000, int(0.8 * max_seconds / per_epoch))
        if best is None or out["rel_excess"] < best["rel_excess"]:
            best = out
        if out["rel_excess"] <= TARGET:
            best = out
            break
        if out["seconds"] > max_seconds or (k != "default" and not out["converged"]):
            break
    summary = [dict(rung=r["rung"], status=r["status"], seconds=r.get("seconds"),
                    rel_excess=r.get("rel_excess"), converged=r.get("converged"),
                    iterations=r.get("iterations")) for r in rungs]
    if best is None:
        last = rungs[-1]
        return dict(status=last["status"], seconds=None, rel_excess=None, reached=False,
                    rungs=summary, timeout=last["status"] == "timeout")
    reached = best["rel_excess"] <= TARGET
    timed_out = rungs[-1]["status"] == "timeout"
    spent = float(sum(r["seconds"] for r in rungs if r["status"] == "ok"))
    first = summary[0]
    default = (dict(seconds=first["seconds"], rel_excess=first["rel_excess"],
                    converged=first["converged"], iterations=first["iterations"])
               if first["rung"] == "default" and first["status"] == "ok" else None)
    return dict(status="ok", default=default,
                seconds=best["seconds"] if reached else None,
                stopped_seconds=None if reached else best["seconds"],
                rel_excess=best["rel_excess"],
                reached=bool(reached), iterations=best["iterations"], tol=best["tol"],
                rung=best["rung"], converged=best["converged"], rungs=summary,
                timeout=timed_out, total_seconds=spent)


def run_adam(prob: Problem, max_seconds: float, width: int = 50, lr: float = 5e-3,
             seed: int = 0) -> dict:
    """Full-batch Adam on the network's own objective until within ADAM_TARGET of P*
    (or ``max_seconds``)."""
    import torch

    torch.set_num_threads(1)
    data = prob.data
    net = prob.family.network(width=width, n_models=1)
    net.random_init([seed], data.x_sorted)
    xt = torch.tensor(np.asarray(data.x, dtype=np.float64))
    yt = torch.tensor(np.asarray(data.y, dtype=np.float64))
    wt = torch.tensor(np.asarray(data.w, dtype=np.float64)) if data.weighted else None
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    goal2, goal3 = (prob.optimum * (1 + g) for g in (1e-2, ADAM_TARGET))
    t0 = time.perf_counter()
    t2 = None
    epoch, best = 0, math.inf
    while True:
        opt.zero_grad()
        obj = net.objective(xt, yt, prob.beta, weights=wt)
        value = float(obj.detach()[0]) + data.offset
        best = min(best, value)
        now = time.perf_counter() - t0
        if t2 is None and value <= goal2:
            t2 = now
        if value <= goal3 or now > max_seconds or not math.isfinite(value):
            break
        obj.sum().backward()
        opt.step()
        epoch += 1
    reached = value <= goal3
    return dict(status="ok", seconds=now if reached else None, seconds_1e2=t2,
                stopped_seconds=None if reached else now,
                rel_excess=(best - prob.optimum) / abs(prob.optimum), reached=bool(reached),
                iterations=epoch, width=width, lr=lr, seed=seed, cap=max_seconds)


# --------------------------------------------------------------------------- driver
def warm_up(solvers, beta0: float, n: int = 100) -> Problem:
    """One untimed solve per solver (imports, numba compilation, first-call costs)."""
    prob = make_problem(n, beta0)
    time_lassobook(prob, budget=0.0, max_runs=1)
    for name in solvers:
        if name in PEERS:
            try:
                solve_peer(name, prob, LADDER[name][0])
            except Exception:  # noqa: BLE001 - the timed run will report it
                pass
    if "adam" in solvers:
        run_adam(prob, 0.5)
    return prob


def annotate(rows) -> list:
    """Add ``excess_bound`` to every solver row: its relative excess plus lassobook's certified
    relative gap at that N — an upper bound on the excess over the *true* optimum (the
    reference ``P*`` is itself only certified to that gap) — and ``reached_certified``
    (that bound within TARGET; Adam: its own target)."""
    gaps = {r["n"]: r.get("gap") for r in rows if r["solver"] == "lassobook"}
    for r in rows:
        gap = gaps.get(r["n"])
        if r["solver"] == "lassobook" or r.get("rel_excess") is None or gap is None:
            continue
        r["excess_bound"] = r["rel_excess"] + gap
        target = ADAM_TARGET if r["solver"] == "adam" else TARGET
        r["reached_certified"] = bool(r.get("reached") and r["excess_bound"] <= target)
    return rows


def clean(value):
    """``value`` with every NaN or infinity replaced by None (strict JSON)."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def fmt_row(row: dict) -> str:
    def s(v, f):
        return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else format(v, f)

    mark = ""
    if not row.get("reached", True):
        target = "1e-3" if row["solver"] == "adam" else "1e-8"
        mark = f"  ({target} not reached; best excess, at {s(row.get('stopped_seconds'), '.3g')} s)"
    if row.get("default"):
        d = row["default"]
        mark += f"  [defaults: {s(d['seconds'], '.3g')} s, excess {s(d['rel_excess'], '.1e')}]"
    if row.get("seconds_1e2"):
        mark += f"  [1e-2 at {row['seconds_1e2']:.3g} s]"
    if row.get("status") not in (None, "ok"):
        mark = f"  {row['status']}"
    return (f"{row['solver']:<10} {row['n']:>6} {s(row.get('seconds'), '10.4g')} "
            f"{s(row.get('ratio'), '10.3g')} {s(row.get('rel_excess'), '10.1e')} "
            f"{s(row.get('iterations'), '>8')}{mark}")


def table(rows) -> str:
    head = f"{'solver':<10} {'N':>6} {'seconds':>10} {'ratio':>10} {'excess':>10} {'iters':>8}"
    return "\n".join([head] + [fmt_row(r) for r in rows])


def figure(rows, path, meta) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    markers = dict(lassobook="o", sklearn="s", celer="^", skglm="v", clarabel="D", adam="x")
    for name in SOLVERS:
        pts = [r for r in rows if r["solver"] == name and r.get("seconds")]
        miss = [r for r in rows if r["solver"] == name and r.get("status") == "ok"
                and not r.get("reached", True)]
        if not pts and not miss:
            continue
        line, = ax.loglog([r["n"] for r in pts], [r["seconds"] for r in pts],
                          marker=markers[name], label=LABELS[name],
                          ls="--" if name == "adam" else "-")
        if miss:   # not within the target in the time limit: drawn hollow at the limit
            ax.loglog([r["n"] for r in miss], [meta["max_seconds"]] * len(miss), ls="none",
                      marker=markers[name], mfc="white", mec=line.get_color(), ms=9)
    ax.axhline(meta["max_seconds"], color="0.6", lw=0.8, ls=":")
    ax.text(ax.get_xlim()[0] * 1.05, meta["max_seconds"] * 1.15, "time limit (hollow: not reached)",
            fontsize=7, color="0.4")
    ax.set_xlabel("training points N")
    ax.set_ylabel("seconds to 1e-8 relative excess (Adam: 1e-3)")
    ax.set_title("Two-layer ReLU, β = 0.01 N: one core")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="N = 100, 200 only, 20 s cap")
    ap.add_argument("--sizes", help="comma-separated N (default: 100, 200, 400, ... doubling)")
    ap.add_argument("--max-n", type=int, default=25_600, help="largest N of the doubling sweep")
    ap.add_argument("--max-seconds", type=float, default=None,
                    help="a run longer than this ends the solver's sweep (default 60; quick 20)")
    ap.add_argument("--max-dense-gb", type=float, default=4.0,
                    help="skip sizes whose dense n × 2n dictionary exceeds this (default 4 GB)")
    ap.add_argument("--beta0", type=float, default=0.01, help="β = β₀·N (default 0.01)")
    ap.add_argument("--solvers", default=",".join(SOLVERS),
                    help=f"comma-separated subset of {','.join(SOLVERS)}")
    ap.add_argument("--out", default=None,
                    help="JSON to write (default benchmarks/results/peers.json; "
                         "--quick: peers_quick.json, so a smoke run never overwrites it)")
    ap.add_argument("--figure", default=None,
                    help="figure path (default: the --out path with .png; 'none' to skip)")
    args = ap.parse_args(argv)

    solvers = [s for s in args.solvers.split(",") if s]
    bad = [s for s in solvers if s not in SOLVERS]
    if bad:
        ap.error(f"unknown solver(s) {', '.join(bad)}; choose from {', '.join(SOLVERS)}")
    if "lassobook" not in solvers:
        solvers.insert(0, "lassobook")
    max_seconds = args.max_seconds or (20.0 if args.quick else 60.0)
    if args.sizes:
        sizes = [int(v) for v in args.sizes.split(",") if v]
    elif args.quick:
        sizes = [100, 200]
    else:
        sizes = [100 * 2**i for i in range(20) if 100 * 2**i <= args.max_n]

    results = ROOT / "benchmarks" / "results"
    args.out = args.out or str(results / ("peers_quick.json" if args.quick else "peers.json"))
    versions = available()
    import lassobook as lb
    versions["lassobook"] = lb.__version__
    active = []
    for name in solvers:
        need = {"clarabel": "clarabel", "adam": "torch"}.get(name, name)
        if name != "lassobook" and not versions.get(need):
            print(f"skipping {name}: {versions.get(need + '_error', 'not installed')} "
                  f"(pip install {name if name != 'clarabel' else 'cvxpy clarabel'})", flush=True)
            continue
        active.append(name)
    meta = dict(problem="relu depth 2, random_dataset(N, 0), beta = beta0*N", beta0=args.beta0,
                target=TARGET, adam_target=ADAM_TARGET, max_seconds=max_seconds,
                max_dense_gb=args.max_dense_gb, sizes=sizes, solvers=active,
                skipped=[s for s in solvers if s not in active], versions=versions,
                ladder={k: list(v) for k, v in LADDER.items() if k in active},
                threads=1, python=platform.python_version(), machine=platform.machine(),
                cpus=os.cpu_count(), load_start=list(os.getloadavg()),
                date=time.strftime("%Y-%m-%d %H:%M:%S"))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    t_start = time.perf_counter()
    print(f"warming up {', '.join(active)} at N = {min(sizes + [100])} ...", flush=True)
    warm_up(active, args.beta0, n=min(sizes + [100]))
    rows = []
    running = [s for s in active if s != "lassobook"]
    last = {}
    print(table([]), flush=True)
    for n in sizes:
        if not running:
            break
        if dense_gb(n) > args.max_dense_gb:
            for name in running:
                if name in PEERS:
                    rows.append(dict(solver=name, n=n, status=f"skipped: dense matrix "
                                     f"{dense_gb(n):.1f} GB > {args.max_dense_gb:g} GB"))
                    print(fmt_row(rows[-1]), flush=True)
            running = [s for s in running if s not in PEERS]
            if not running:
                break
        prob = make_problem(n, args.beta0, dense=any(s in PEERS for s in running))
        base = dict(solver="lassobook", n=n, beta=prob.beta,
                    columns=None if prob.A is None else int(prob.A.shape[1]),
                    optimum=prob.optimum, gap=prob.gap, build_seconds=prob.build_seconds,
                    **time_lassobook(prob))
        base["ratio"] = 1.0
        rows.append(base)
        print(fmt_row(base), flush=True)
        for name in list(running):
            if name == "clarabel" and name in last:      # in-process: do not start a hopeless run
                n0, t0 = last[name]
                guess = t0 * (n / n0) ** 3
                if guess > 2 * max_seconds:
                    rows.append(dict(solver=name, n=n, status=f"skipped: predicted {guess:.0f} s "
                                     f"(N^3 from {t0:.3g} s at N = {n0})"))
                    print(fmt_row(rows[-1]), flush=True)
                    running.remove(name)
                    continue
            if name == "adam":
                res = run_adam(prob, max_seconds)
            else:
                res = run_ladder(name, prob, max_seconds)
            row = dict(solver=name, n=n, beta=prob.beta, **res)
            row["ratio"] = row["seconds"] / base["seconds"] if row.get("seconds") else None
            rows.append(row)
            print(fmt_row(row), flush=True)
            if row.get("seconds"):
                last[name] = (n, row["seconds"])
            slow = (row.get("timeout") or row.get("status") != "ok" or not row.get("reached")
                    or (row.get("seconds") or 0) > max_seconds)
            if slow:
                running.remove(name)
                print(f"  {name}: sweep ends at N = {n}", flush=True)
        out.write_text(json.dumps(clean(dict(meta=dict(meta, complete=False), rows=rows)),
                                  indent=1))
        del prob
    meta.update(complete=True, load_end=list(os.getloadavg()),
                wall_seconds=time.perf_counter() - t_start)
    out.write_text(json.dumps(clean(dict(meta=meta, rows=annotate(rows))), indent=1))
    print(f"wrote {out}")
    fig_path = args.figure or str(out.with_suffix(".png"))
    if fig_path != "none":
        figure(rows, fig_path, meta)
        print(f"wrote {fig_path}")
    return rows


if __name__ == "__main__":
    main()
