r"""One entry point for every fit: validation, the choice of solver, memory budgets.

:func:`fit` (also exported as ``lassobook.fit_lasso``) takes data, a family (a
:class:`~lassobook.families.Family` or its activation name) and ``β``, and
returns a :class:`~lassobook.solvers.lasso.LassoFit` whose :meth:`certificate` checks
dual feasibility over the continuous family, the relative duality gap and the
rebuilt network (:mod:`lassobook.core.certificate`).

Units never matter
------------------
Both solvers work on power-of-two rescalings of the problem: ``x = 2^p x'``,
``y = 2^q y'``, ``w = 2^r w'``.  A family's unit shapes are homogeneous in the
input scale with a *degree* ``d`` (:attr:`Family.degree`): ramps, capped ramps and
chains of ReLU, leaky ReLU and absolute value satisfy ``g(2^p x') = 2^{p} g'(x')``
(``d = 1``: every breakpoint, reflection and threshold scales with ``x``); sign
and threshold units only move their switches (``d = 0``).  A unit with
coefficient ``c`` on ``g`` is the unit ``c' = c·2^{pd}/2^q`` on ``g'``, so

.. math::

    \tfrac12\sum_n w_n (f(x_n) - y_n)^2 + \beta\sum_k |c_k|
    = 2^{r + 2q}\Bigl[\tfrac12\sum_n w'_n (f'(x'_n) - y'_n)^2
      + \beta' \sum_k |c'_k|\Bigr],
    \qquad \beta' = \beta\,2^{-(r + q + p d)} ,

=========================  ==========  =============================
family                     degree d    β' (scaled problem)
=========================  ==========  =============================
relu, leaky_relu, abs (2)  1           β / (2^r 2^q 2^p)
relu chains (3, 4), abs 3  1           β / (2^r 2^q 2^p)
narrow chains (any mix)    1           β / (2^r 2^q 2^p)
sign, threshold (any L)    0           β / (2^r 2^q)
=========================  ==========  =============================

and multiplying by powers of two is exact in floating point, so the map back is
exact.  Every tolerance inside is relative to the problem's scale.

Choosing the solver
-------------------
``solver="auto"`` (the default) takes the structured working-set solver
(:mod:`lassobook.solvers.working_set`: exact active-set solves, sparse optima, memory
of a few dozen arrays of ``N`` numbers plus the solution's columns) where the family
has an oracle, and
the dense path (cvxpy + Clarabel over the whole dictionary) otherwise — or when
``min_norm`` or a ``dictionary`` is asked for.  It estimates the chosen path's
memory before allocating anything; where it does not fit the budget (default:
half of the machine's RAM) it raises :class:`ProblemTooLarge`, a ``ValueError``
that names the size and the options (``solver=``/``--solver``,
``max_memory=``/``--max-memory``) — before any work.
"""

from __future__ import annotations

import math
import os

import numpy as np

from lassobook.core.data import Dataset, as_dataset
from lassobook.core.family import Family
from lassobook.families import get_family
from lassobook.families.two_layer import TwoLayer
from lassobook.solvers.lasso import SolverError, check_beta, fit_dense

SOLVERS = ("auto", "dense", "structured")


#: Callables ``check(fit, given_dictionary=...)`` run on every fit :func:`fit` returns (the
#: test suite registers its contract check here: tests/contract.py); empty by default.
CHECKS: list = []


class ProblemTooLarge(ValueError):
    """No solver path fits the memory budget (the message names the size and the options)."""


def resolve_family(family, *, depth=None) -> Family:
    """A :class:`Family` from a family object or an activation name (``"relu"``, ``"relu,abs"``)."""
    if isinstance(family, Family):
        return family
    if isinstance(family, str):
        return get_family(family, depth)
    raise ValueError(f"family must be a lassobook Family or an activation name such as 'relu' "
                     f"(see lassobook.get_family), got {family!r}")


def memory_budget(max_memory=None) -> int:
    """Bytes a fit may use: ``max_memory`` (bytes or text such as ``"4GB"``), else half of the RAM."""
    if max_memory is not None:
        return parse_memory(max_memory)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        total = 8 * 2**30
    return int(total // 2)


_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_memory(value) -> int:
    """Bytes from a number or a text like ``"500MB"``, ``"4 GB"``, ``"2GiB"`` (ValueError if unusable)."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        number, unit = float(value), ""
    else:
        text = str(value).strip().upper().replace(" ", "")
        i = len(text) - len(text.lstrip("0123456789.E+-"))
        number_text, unit = text[:i], text[i:]
        # "5E" would be read as a number; units never start with E here
        try:
            number = float(number_text)
        except ValueError:
            number = float("nan")
    if unit not in _UNITS or not math.isfinite(number) or number <= 0:
        raise ValueError(f"memory must be a positive size such as 4GB, 500MB or a number of bytes, "
                         f"got {value!r}")
    return int(number * _UNITS[unit])


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.3g} GB" if n_bytes >= 1e8 else f"{n_bytes / 1e6:.3g} MB"


def dense_columns(family: Family, n: int) -> int:
    """Raw columns of ``family``'s dense dictionary on ``n`` points (before pruning)."""
    name = type(family).__name__
    if isinstance(family, TwoLayer):
        return n * len(family.orientations)
    if name == "ThreeLayerAbs":
        per = {"two_layer": n, "reflection": n * (n - 1), "midpoint": n * (n - 1) // 2}
        return sum(per[f] for f in family.features)
    if name == "DeepNarrowReLU":
        return (2 * n) ** (family.depth - 1) * (2 if family.reflections else 1)
    if name == "DeepSign":
        return int(family.dictionary_size(n))
    if name == "SymmetrizedReLU":  # per angle V1-V3 (V4 where the slopes agree), then hats
        from lassobook.families.symmetrized_relu import slopes

        a, c = slopes(family.angles(), family.norm)
        pairs = n * (n - 1) // 2
        return int(a.size * (n + 2 * pairs) + np.count_nonzero(a * c > 0) * pairs + math.comb(n, 3))
    if name == "NarrowChain":      # a vertex pins one data point per layer, with slopes and signs
        layers = family.depth - 1
        return math.comb(n, layers) * 4 ** layers
    return n * n                    # pragma: no cover - a family without an estimate


def dense_memory(family: Family, n: int) -> int:
    """Estimated peak bytes of the dense path on ``n`` points: the raw dictionary with its
    pruning keys and centred copy (~4 copies), the solver's copies of the pruned matrix (~4)
    and, for families without an exact oracle, the sampled certificate's shapes (in chunks)."""
    return int(8 * n * dense_columns(family, n) * 8 + 64 * 2**20)


def structured_memory(n: int) -> int:
    """Estimated peak bytes of the structured solver on ``n`` points, beyond the interpreter's own.

    Its per-point arrays (the data sorted and rescaled, prefix sums, the sweeps'
    outputs, the residual, the certificate's dual vector: about 48 arrays of ``n``
    floats; measured at ``n = 10⁶``: 230-290 MB) and the solution's columns on the data
    (``n × units``; taken as 64 units), plus 64 MB.  The working set itself never
    holds more than ``4·10⁶`` entries (:class:`lassobook.solvers.gram._WorkingSet`).
    """
    return int(8 * n * (48 + 64) + 64 * 2**20)


def _choose(solver: str, family: Family, data: Dataset, budget: int, *, dense_only: bool) -> str:
    """The solver to run ("dense" or "structured"), or ProblemTooLarge before any work."""
    dense_bytes = dense_memory(family, data.n)
    has_oracle = family.has_oracle
    if solver == "structured" and dense_only:
        raise ValueError("min_norm and a given dictionary need the dense solver (solver='dense' or 'auto')")
    if solver == "structured" and not has_oracle:
        raise ValueError(f"no structured solver for {family!r} (the families with one are marked "
                         f"'oracle' in lassobook.families.FAMILIES); "
                         f"use solver='dense' or 'auto'")
    if solver == "auto":      # the oracle's solver: exact, sparse (vertex) optima, memory ~ N
        solver = "structured" if has_oracle and not dense_only else "dense"
    need = dense_bytes if solver == "dense" else structured_memory(data.n)
    if need > budget:
        options = ("use fewer points or a family with a structured solver"
                   if not has_oracle else "use the structured solver (solver='structured', --solver structured)")
        raise ProblemTooLarge(
            f"{family!r} on {data.n} points needs about {_gb(need)} with the {solver} solver, more than "
            f"the memory budget of {_gb(budget)}; {options}, or raise the budget (max_memory, --max-memory)")
    return solver


def fit(x, y=None, *, family, beta, solver: str = "auto", sample_weight=None,
        min_norm: bool = False, dictionary=None, max_memory=None, depth=None):
    """Fit a network family to 1-D data at its certified global optimum.

    Parameters
    ----------
    x, y : array_like of shape (n,) or (n, 1) (or a :class:`Dataset` as ``x``)
        Repeated inputs are merged exactly (weighted least squares, see :class:`Dataset`).
    family : Family or str
        A family (:func:`lassobook.get_family`) or an activation name (``depth`` then applies).
    beta : float > 0
    solver : {"auto", "dense", "structured"}
        See the module docstring.
    sample_weight : array_like of shape (n,), optional
        Finite, ≥ 0, not all zero: the objective is ``½ Σ w_n (f(x_n) − y_n)² + βR(θ)``.
    min_norm : bool
        The minimum-ℓ2-norm optimal point of the dense Lasso (dense solver).
    dictionary : Dictionary, optional
        Solve over this dictionary (dense solver).
    max_memory : int or str, optional
        Memory budget (bytes or ``"4GB"``); default half of the machine's RAM.

    Returns
    -------
    LassoFit (a :class:`~lassobook.solvers.working_set.StructuredFit` from the structured solver)

    Raises
    ------
    ValueError
        Bad data, weights, β, family or options (one line naming them);
        :class:`ProblemTooLarge` when no path fits the memory budget.
    SolverError
        The solver failed (status named).
    """
    fam = resolve_family(family, depth=depth)
    beta = check_beta(beta)
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(SOLVERS)}")
    data = as_dataset(x, y, sample_weight)
    budget = memory_budget(max_memory)
    chosen = _choose(solver, fam, data, budget, dense_only=min_norm or dictionary is not None)
    if chosen == "structured":
        from lassobook.solvers.working_set import fit_structured

        try:
            result = fit_structured(data, family=fam, beta=beta)
        except SolverError as exc:
            from lassobook.core.certificate import beta_max, interpolation_limit

            limit = interpolation_limit(beta, beta_max(fam, data, sampled=False))
            raise SolverError(limit or str(exc)) from None
    else:
        result = fit_dense(data, family=fam, beta=beta, min_norm=min_norm, dictionary=dictionary)
    for check in CHECKS:
        check(result, given_dictionary=dictionary is not None)
    return result


#: The public name of :func:`fit` (``lassobook.fit_lasso``).
fit_lasso = fit
