"""lassobook: 1-D neural networks trained to a certified global optimum as Lasso models.

The package mirrors the paper's nouns: dataset → dictionary → Lasso solution →
network → certificate → figure.

>>> import lassobook as lb
>>> fit = lb.fit_lasso([0, 2, 6, 7], [0, 0, 3, 3], family=lb.get_family("relu"), beta=0.1)
>>> fit.certificate().certified
True

Names are imported lazily (PEP 562), so ``lassobook --help`` does not pay for
importing torch and cvxpy.
"""

from lassobook.core.lazy import lazy_exports

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "ACTIVATIONS": "core.activations",
    "Certificate": "core.certificate", "certify": "core.certificate",
    "Dataset": "core.data", "as_dataset": "core.data", "paper_dataset": "core.data",
    "random_dataset": "core.data", "read_csv": "core.data", "PAPER_DATASETS": "core.data",
    "Dictionary": "core.dictionary", "build_dictionary": "core.dictionary",
    "Family": "core.family", "TwoLayer": "families.two_layer", "get_family": "families",
    "FAMILIES": "families",
    "LassoFit": "solvers.lasso", "LassoSolution": "solvers.lasso", "SolverError": "solvers.lasso",
    "solve_lasso": "solvers.lasso", "fit_dense": "solvers.lasso",
    "fit_structured": "solvers.working_set", "tv_denoise": "solvers.tv",
    "fit": "fitting", "fit_lasso": "fitting", "ProblemTooLarge": "fitting",
    "train_adam": "training", "AdamRuns": "training", "Budget": "training",
    "sweep": "sweeps",
    "ConvexNet1D": "estimator",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
