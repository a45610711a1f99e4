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

from importlib import import_module

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS = {
    "ACTIVATIONS": "activations",
    "Certificate": "certificate", "certify": "certificate",
    "Dataset": "datasets", "as_dataset": "datasets", "paper_dataset": "datasets",
    "random_dataset": "datasets", "read_csv": "datasets", "PAPER_DATASETS": "datasets",
    "Dictionary": "dictionaries", "build_dictionary": "dictionaries",
    "Family": "families", "TwoLayer": "families", "get_family": "families",
    "LassoFit": "lasso", "LassoSolution": "lasso", "SolverError": "lasso",
    "solve_lasso": "lasso", "fit_dense": "lasso",
    "fit": "fitting", "fit_lasso": "fitting", "ProblemTooLarge": "fitting",
    "train_adam": "training", "AdamRuns": "training",
    "tv_denoise": "solvers.tv",
    "ConvexNet1D": "estimator",
    "fit_structured": "structured",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lassobook' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
