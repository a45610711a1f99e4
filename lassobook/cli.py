"""Command line interface: ``lassobook build``, ``lassobook run`` and ``lassobook fit``.

Each subcommand is declared by one ``_add_<name>(sub)`` function that creates
its parser (with examples in the epilog) and sets ``func`` to the function
running it; :data:`COMMANDS` lists them. Adding a subcommand is one function
plus one entry in :data:`COMMANDS`.

Exit codes: 0 success; 1 a notebook or the Sphinx build failed (message on
stderr); 2 bad input (unknown notebook/profile/parameter, bad arguments),
reported as one line ``lassobook: error: ...`` on stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from lassobook import book

PROG = "lassobook"


class _Parser(argparse.ArgumentParser):
    """Argument parser whose errors are a single ``lassobook: error: ...`` line (exit 2)."""

    def error(self, message: str):  # noqa: D102 - argparse API
        _fail(f"{message} (see '{self.prog} --help')")


def _fail(message: str, code: int = 2):
    first, *_ = str(message).splitlines() or [""]
    print(f"{PROG}: error: {first}", file=sys.stderr)
    raise SystemExit(code)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


# --------------------------------------------------------------------------- build
BUILD_EXAMPLES = """\
examples:
  lassobook build                     # quick profile (CI): small seeds/epochs
  lassobook build --profile full      # the published book
  lassobook build --force             # re-execute every notebook, ignore the cache
  lassobook build --jobs 1            # one notebook at a time (quick default: one per core)
  lassobook build --no-warnings-as-errors --quiet

Notebooks are executed with papermill into _build/executed/<profile>/ (reused
while their source, parameters and the lassobook package are unchanged), then
Jupyter Book renders _build/staging/ into _build/html/ (index.html). The
summary printed at the end lists each notebook's seconds and its kernel's peak
memory (also in _build/html/build_record.json and the book's build record page).
"""


def _cmd_build(args: argparse.Namespace) -> int:
    index = book.build_book(
        profile=args.profile,
        root=args.root,
        warnings_as_errors=args.warnings_as_errors,
        force=args.force,
        progress=not args.quiet,
        jobs=args.jobs,
    )
    import json

    from lassobook.book.record import RECORD_NAME, summary

    record_file = index.parent / RECORD_NAME
    if record_file.is_file():
        print(summary(json.loads(record_file.read_text(encoding="utf-8"))))
    print(f"HTML book ({args.profile} profile): {book.display(index)}")
    return 0


def _add_build(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "build",
        help="execute the notebooks and build the HTML book",
        description="Execute every notebook of _toc.yml with a profile's parameters\n"
        "(book/parameters.yml) and build the HTML book with Jupyter Book.",
        epilog=BUILD_EXAMPLES,
        formatter_class=_formatter,
    )
    p.add_argument("--profile", default="quick", metavar="NAME",
                   help="parameter profile of book/parameters.yml: quick (default) or full")
    p.add_argument("--force", action="store_true", help="re-execute all notebooks (ignore cached runs)")

    def jobs(text: str) -> int:
        if not text.strip().isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r} (e.g. --jobs 2)")
        return int(text)

    p.add_argument("-j", "--jobs", type=jobs, default=None, metavar="N",
                   help="execute N notebooks at a time, each in its own kernel (default: quick "
                        "profile one per core, as memory allows, 2 GB each; full profile 1)")
    p.add_argument("--no-warnings-as-errors", dest="warnings_as_errors", action="store_false",
                   help="do not fail on Sphinx warnings (default: -W --keep-going)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no Sphinx output")
    p.add_argument("--root", default=None, metavar="DIR",
                   help="repository root (default: found from the current directory)")
    p.set_defaults(func=_cmd_build)


# --------------------------------------------------------------------------- run
RUN_EXAMPLES = """\
examples:
  lassobook run two_layer -p beta 0.05 -p n_seeds 20
  lassobook run book/two_layer.md -p lr 1e-3 -p epochs 5000
  lassobook run two_layer --profile full --out /tmp/two_layer-full

VALUE is read as YAML: 0.01 and 1e-3 are floats, 20 an int, relu a string,
'[1, 2]' a list, true/false booleans, null None. Parameters not given come
from the profile (default quick), then from the notebook's parameters cell.
Output: runs/<stem>-<YYYYmmdd-HHMMSS>/<stem>.ipynb, figure-01.png, ...,
and parameters.yml (the parameters used).
"""


def _cmd_run(args: argparse.Namespace) -> int:
    params = book.parse_parameters(args.param)
    result = book.run_notebook(
        args.notebook,
        params,
        profile=args.profile,
        out_dir=args.out,
        root=args.root,
        progress=not args.quiet,
    )
    peak = "" if result.peak_mb is None else f", kernel peak {result.peak_mb:,.0f} MB"
    print(f"executed notebook: {book.display(result.notebook)} ({result.seconds:.1f} s{peak})")
    if result.figures:
        print(f"figures ({len(result.figures)}): {book.display(result.out_dir)}/figure-01.png"
              + (f" ... {result.figures[-1].name}" if len(result.figures) > 1 else ""))
    else:
        print("figures: none")
    return 0


def _add_run(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="rerun one notebook with new parameters",
        description="Execute one notebook with the profile's parameters overridden by -p,\n"
        "and extract its figures.",
        epilog=RUN_EXAMPLES,
        formatter_class=_formatter,
    )
    p.add_argument("notebook", metavar="NOTEBOOK",
                   help="two_layer, book/two_layer.md, or a path to a MyST/ipynb notebook")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"), default=[],
                   help="override a parameter (repeatable)")
    p.add_argument("--profile", default="quick", metavar="NAME",
                   help="base parameter profile: quick (default) or full")
    p.add_argument("--out", default=None, metavar="DIR",
                   help="output folder (default: runs/<stem>-<YYYYmmdd-HHMMSS>/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--root", default=None, metavar="DIR",
                   help="repository root (default: found from the current directory)")
    p.set_defaults(func=_cmd_run)


# --------------------------------------------------------------------------- fit
FIT_EXAMPLES = """\
examples:
  lassobook fit data.csv --x x --y y --activation relu --beta 0.01 --out fit-relu
  lassobook fit data.csv --x t --y level --activation leaky_relu --rho 0.2 --beta 0.1 --out out
  lassobook fit data.csv --x x --y y --activation sign --beta 0.5 --min-norm --out out
  lassobook fit data.csv --x x --y y --activation relu --depth 4 --beta 0.01 --out out
  lassobook fit data.csv --x x --y y --activation abs --depth 3 --beta 0.1 --out out \\
      --adam-seeds 20 --adam-epochs 20000 --n-jobs 2
  lassobook fit data.csv --x x --y y --activation sign --depth 4 --beta 0.1 --out out \\
      --architecture tree --widths 2 2
  lassobook fit data.csv --x t --y level --weight w --activation relu --beta 0.1 \\
      --max-memory 4GB --out out       # sample weights; repeated t values are merged exactly
  lassobook fit data.csv --x x --y y --activation symmetrized_relu --depth 3 --beta 0.1 --out out

{families}
Another combination is an error, exit code 2.
Writes DIR/fit.json (objective, certified, max_dual_violation, neurons with
their kinks and coefficients, ...) and DIR/fit.png (data, network, kinks), under
a temporary name renamed into place. Exit 2 (one line, before any work): bad
options, --out not a writable folder, a bad CSV line (named by its file line),
or no solver fitting --max-memory. Exit 1: the solver failed.
"""


def _memory_size(text: str) -> int:
    """``--max-memory`` as bytes: ``4GB`` (4·10⁹), ``4GiB`` (4·2³⁰), ``500MB``, ``500M`` or ``123456``."""
    import math
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([kmgt]?)(i?)b?\s*", text, re.IGNORECASE)
    if m is None:
        raise argparse.ArgumentTypeError(
            f"--max-memory {text!r} is not a size: write e.g. 4GB, 500MB, 2GiB or a number of bytes")
    base = 1024 if m.group(3) else 1000
    size = float(m.group(1)) * base ** (1 + "kmgt".find(m.group(2).lower())) if m.group(2) else float(m.group(1))
    if not math.isfinite(size) or size < 1:
        raise argparse.ArgumentTypeError(f"--max-memory must be a positive size, got {text!r}")
    return int(size)


def _check_out_dir(out) -> None:
    """Fail (exit 2) unless ``out`` is an existing folder or one we can create, both writable.

    Probes by creating and removing a temporary folder in ``out`` or in its
    nearest existing ancestor, so ``/proc/x`` or a read-only location is
    refused before any work and nothing is left behind.
    """
    import tempfile

    if out.exists() and not out.is_dir():
        raise book.BookInputError(f"--out {out} is an existing file; give a folder "
                                  f"(fit.json and fit.png are written into it)")
    probe = out
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise book.BookInputError(f"--out {out}: {probe} is a file, so the folder cannot be created")
    try:
        tempfile.TemporaryDirectory(dir=probe, prefix=".lassobook-probe-").cleanup()
    except OSError as exc:
        raise book.BookInputError(f"--out {out} is not writable ({exc.strerror or exc} in {probe}); "
                                  f"choose another folder") from None


def _check_fit_options(args: argparse.Namespace) -> None:
    """Every ``lassobook fit`` option that needs no data, checked before any work (exit 2)."""
    import math

    checks = [
        (args.n_jobs == -1 or args.n_jobs >= 1, f"--n-jobs must be -1 (all cores) or >= 1, got {args.n_jobs}"),
        (args.adam_seeds >= 0, f"--adam-seeds must be >= 0, got {args.adam_seeds}"),
        (args.adam_epochs >= 1, f"--adam-epochs must be >= 1, got {args.adam_epochs}"),
        (args.adam_width >= 1, f"--adam-width must be >= 1 unit, got {args.adam_width}"),
        (math.isfinite(args.adam_lr) and args.adam_lr > 0,
         f"--adam-lr must be a finite number > 0, got {args.adam_lr:g}"),
        (math.isfinite(args.rho) and 0 < args.rho < 1, f"--rho must be in (0, 1), got {args.rho:g}"),
        (not (args.solver == "structured" and args.min_norm),
         "--min-norm needs --solver dense (or auto); the structured solver returns one optimum"),
        (args.widths is None or all(w >= 1 for w in args.widths),
         f"--widths must all be >= 1, got {args.widths}"),
    ]
    for ok, message in checks:
        if not ok:
            raise book.BookInputError(message)


def _cli_message(exc: BaseException) -> str:
    """First line of an error, without advice meant for Python callers (``verbose=True``)."""
    import re

    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    first = re.sub(r"\s*[^.;:]*verbose=True[^.;]*[.;]?", "", first).strip()
    return first or type(exc).__name__


def _fit_and_train(args: argparse.Namespace, data, family, beta: float, max_memory):
    """The certified Lasso fit and, with ``--adam-seeds``, the Adam runs; returns (fit, cert, record, runs)."""
    from lassobook import fitting

    fit = fitting.fit(data, family=family, beta=beta, solver=args.solver,
                      min_norm=args.min_norm, max_memory=max_memory)
    cert = fit.certificate()
    record = fit.summary(cert)
    record["data"] = {"file": str(args.data), "x": args.x, "y": args.y, "weight": args.weight}
    if hasattr(fit, "history"):        # the structured solver: its working-set iterations
        record["solver"] = {"name": "structured", "iterations": fit.iterations,
                            "working_set": fit.working_set_size,
                            "seconds": fit.solution.solve_time}
    runs = None
    if args.adam_seeds:
        from lassobook.training import train_adam

        runs = train_adam(data, family=family, beta=beta, width=args.adam_width,
                          seeds=range(args.adam_seeds), epochs=args.adam_epochs, lr=args.adam_lr,
                          progress=not args.quiet, n_jobs=args.n_jobs)
        gaps = runs.gaps(fit.objective)
        record["adam"] = {
            "seeds": args.adam_seeds, "epochs": args.adam_epochs, "width": args.adam_width,
            "lr": args.adam_lr, "objectives": runs.objectives.tolist(),
            "relative_gaps": gaps.tolist(), "best_gap": float(gaps.min()),
            "below_optimum": int((gaps < -1e-6).sum()), "wall_time_s": runs.wall_time,
        }
    return fit, cert, record, runs


def _fit_figure(fit, cert, family, beta: float, runs, n_seeds: int) -> bytes:
    """``fit.png`` as bytes (rendered in memory, so nothing is written before everything worked)."""
    import io

    from matplotlib.figure import Figure    # no pyplot: no GUI backend, nothing global

    from lassobook.plotting import plot_fit, plot_network

    fig = Figure(figsize=(6, 3.6))
    ax = fig.add_subplot()
    verdict = "certified" if cert.certified else "NOT certified"
    plot_fit(fit, ax, title=f"{family}, beta={beta:g}: {fit.support.size} units, {verdict}")
    if runs is not None:
        plot_network(runs.network, fit.data, ax, model=runs.best(),
                     label=f"best of {n_seeds} Adam runs (gap {runs.gaps(fit.objective).min():.1e})")
        ax.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    return buf.getvalue()


def _write_atomically(out, files: dict[str, bytes]) -> None:
    """Write ``files`` (name → bytes) into folder ``out`` so that no partial output is ever visible.

    Everything is written into a fresh temporary folder next to its final place
    (inside ``out`` if it exists, else inside its parent), then renamed into
    place: a new ``out`` appears whole, or each file of an existing ``out`` is
    replaced by :func:`os.replace`. On failure the temporary folder is removed.
    """
    import os
    import shutil
    import tempfile

    fresh = not out.exists()
    home = out.parent if fresh else out
    home.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(dir=home, prefix=f".{out.name}.tmp-" if fresh else ".lassobook-fit-")
    try:
        if fresh:                                  # mkdtemp makes it 0700; a new folder gets the umask's mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o777 & ~umask)
        for name, content in files.items():
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
        if fresh:
            os.rename(tmp, out)
            return
        for name in files:
            os.replace(os.path.join(tmp, name), out / name)
    except OSError as exc:
        _fail(f"cannot write the results to {out}: {exc.strerror or exc} (nothing was written)", 1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _cmd_fit(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    out = Path(args.out).expanduser()
    _check_fit_options(args)
    _check_out_dir(out)
    from lassobook.core.data import read_csv
    from lassobook.families import get_family
    from lassobook.solvers.lasso import SolverError, check_beta

    try:
        beta = check_beta(args.beta)
        family = get_family(args.activation, args.depth, args.architecture, rho=args.rho,
                            widths=None if args.widths is None else tuple(args.widths))
        data = read_csv(args.data, args.x, args.y, weight=args.weight)
    except ValueError as exc:
        raise book.BookInputError(_cli_message(exc)) from None
    try:
        fit, cert, record, runs = _fit_and_train(args, data, family, beta, args.max_memory)
        png = _fit_figure(fit, cert, family, beta, runs, args.adam_seeds)
    except ValueError as exc:          # includes lassobook.fitting.ProblemTooLarge
        raise book.BookInputError(_cli_message(exc)) from None
    except (SolverError, Exception) as exc:  # noqa: BLE001 - one line, never a traceback
        label = "" if isinstance(exc, SolverError) else f"{type(exc).__name__}: "
        _fail(f"{label}{_cli_message(exc)}", 1)
    # fit.json last: on an existing folder it is the record that the (already replaced) fit.png shows
    _write_atomically(out, {"fit.png": png, "fit.json": (json.dumps(record, indent=2) + "\n").encode()})
    if not args.quiet:
        verdict = "certified" if cert.certified else "NOT certified"
        ratio = f"{cert.ratio:.8f}" if cert.ratio < 1e6 else f"{cert.ratio:.3e}"
        print(f"objective {fit.objective:.12g}, {fit.support.size} units, {verdict} "
              f"(max |λᵀg|/β = {ratio}, relative duality gap {cert.relative_gap:.1e})")
        if cert.note:
            print(f"note: {cert.note}")
        if runs is not None:
            print(f"Adam, {args.adam_seeds} seeds: best relative gap {record['adam']['best_gap']:.2e}, "
                  f"{record['adam']['below_optimum']} below the optimum")
    print(f"written: {out / 'fit.json'}, {out / 'fit.png'}")
    return 0


def _families_text() -> str:
    """The supported families, one line each, from :data:`lassobook.families.FAMILIES`."""
    from lassobook.families import FAMILIES

    rows = [f"  {row.describe()}: {row.summary}" for row in FAMILIES]
    return "Families (--activation at --depth, --architecture):\n" + "\n".join(rows) + \
        "\n  (--activation relu,abs: one activation per hidden layer, a mixed chain of depth 3)"


def _add_fit(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a network to a CSV file by its Lasso, with a certificate",
        description="Train a network on 1-D data to a certified global optimum via its Lasso.",
        epilog=FIT_EXAMPLES.format(families=_families_text()),
        formatter_class=_formatter,
    )
    p.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    p.add_argument("--x", required=True, metavar="COL", help="input column")
    p.add_argument("--y", required=True, metavar="COL", help="target column")
    p.add_argument("--activation", required=True, metavar="NAME",
                   help="relu, leaky_relu, abs, threshold or sign; or one per hidden layer, "
                        "comma-separated (relu,abs); or symmetrized_relu (depth 3)")
    p.add_argument("--depth", type=int, default=None, metavar="L",
                   help="number of layers (default 2, or one more than the activations listed)")
    p.add_argument("--architecture", default=None, metavar="NAME",
                   help="architecture for deep families (default: parallel)")
    p.add_argument("--rho", type=float, default=0.1, help="leaky ReLU slope (default 0.1)")
    p.add_argument("--widths", type=int, nargs="+", default=None, metavar="M",
                   help="hidden widths of deep sign/threshold networks")
    p.add_argument("--beta", required=True, type=float, metavar="B", help="regularization strength > 0")
    p.add_argument("--min-norm", action="store_true", help="minimum-l2-norm optimal solution")
    p.add_argument("--weight", default=None, metavar="COL",
                   help="column of sample weights (finite, >= 0, not all zero; default: all 1)")
    p.add_argument("--solver", default="auto", choices=["auto", "dense", "structured"],
                   help="auto (default): the structured solver where the family has an oracle, "
                        "else dense if it fits --max-memory; dense: the full dictionary with cvxpy "
                        "+ Clarabel; structured: working sets and prefix-sum oracles")
    p.add_argument("--max-memory", type=_memory_size, default=None, metavar="SIZE",
                   help="memory budget of the solve, e.g. 4GB, 500MB, 2GiB or bytes "
                        "(default: a safe fraction of the machine's RAM)")
    p.add_argument("--adam-seeds", type=int, default=0, metavar="K",
                   help="also train K Adam runs from random seeds and report their gaps")
    p.add_argument("--adam-epochs", type=int, default=5000, metavar="E", help="Adam steps (default 5000)")
    p.add_argument("--adam-width", type=int, default=50, metavar="M", help="units per Adam network (default 50)")
    p.add_argument("--adam-lr", type=float, default=5e-3, metavar="LR", help="Adam learning rate (default 5e-3)")
    p.add_argument("--n-jobs", type=int, default=1, metavar="J",
                   help="joblib workers for the Adam seeds (-1: all cores)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.set_defaults(func=_cmd_fit)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_build, _add_run, _add_fit]
"""Functions adding one subcommand each, in the order shown by ``lassobook --help``."""


def build_parser() -> argparse.ArgumentParser:
    """The ``lassobook`` argument parser with every subcommand of :data:`COMMANDS`."""
    parser = _Parser(
        prog=PROG,
        description="Executable companion to 'A Library of Mirrors' (arXiv:2403.01046).",
        epilog="Run 'lassobook COMMAND --help' for examples.",
        formatter_class=_formatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lassobook`` command; returns 0 on success.

    Raises ``SystemExit(2)`` on bad input (one-line message on stderr) and
    ``SystemExit(1)`` when a notebook or the book build fails.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except book.BookInputError as exc:
        _fail(str(exc), 2)
    except book.NotebookError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except book.BookBuildError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        raise SystemExit(130) from None
    return 0  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
