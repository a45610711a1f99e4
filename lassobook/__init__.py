"""lassobook: 1-D neural networks trained to a certified global optimum as Lasso models.

The package mirrors the paper's nouns: dataset → dictionary → Lasso solution →
network → certificate → figure.

>>> import lassobook as lb
>>> fit = lb.fit_lasso([0, 2, 6, 7], [0, 0, 3, 3], family=lb.get_family("relu"), beta=0.1)
>>> fit.certificate().certified
True
"""

from .activations import ACTIVATIONS
from .certificate import Certificate, certify
from .datasets import Dataset, as_dataset, paper_dataset, random_dataset
from .dictionaries import Dictionary, build_dictionary
from .families import Family, TwoLayer, get_family
from .lasso import LassoFit, LassoSolution, SolverError, fit_lasso, solve_lasso

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS", "Certificate", "certify", "Dataset", "as_dataset", "paper_dataset",
    "random_dataset", "Dictionary", "build_dictionary", "Family", "TwoLayer", "get_family",
    "LassoFit", "LassoSolution", "SolverError", "fit_lasso", "solve_lasso",
]
