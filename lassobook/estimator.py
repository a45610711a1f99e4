"""A scikit-learn estimator: fit a 1-D network to its certified global optimum.

>>> from lassobook import ConvexNet1D
>>> net = ConvexNet1D(activation="relu", beta=0.1).fit([[0], [2], [6], [7]], [0, 0, 3, 3])
>>> net.certificate_.certified
True

``fit`` builds the family's dictionary, solves the Lasso, and keeps the
reconstructed network; ``predict`` evaluates it.  Inputs are one feature:
shape (n,) or (n, 1).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from lassobook.families import get_family
from lassobook.fitting import SOLVERS
from lassobook.fitting import fit as _fit
from lassobook.solvers.lasso import check_beta

_MULTI = ("the check fits on X with several features; ConvexNet1D is a model of one input "
          "feature and rejects other shapes with a ValueError")


#: scikit-learn checks that cannot apply to a 1-D model, for
#: ``check_estimator(..., expected_failed_checks=EXPECTED_FAILED_CHECKS)``.
EXPECTED_FAILED_CHECKS = {
    **{name: _MULTI for name in (
        "check_fit_score_takes_y", "check_estimators_overwrite_params",
        "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
        "check_readonly_memmap_input", "check_n_features_in_after_fitting",
        "check_positive_only_tag_during_fit", "check_estimators_dtypes", "check_dtype_object",
        "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
        "check_f_contiguous_array_estimator", "check_regressors_train",
        "check_regressor_data_not_an_array", "check_regressors_no_decision_function",
        "check_supervised_y_2d", "check_regressors_int", "check_methods_sample_order_invariance",
        "check_methods_subset_invariance", "check_fit2d_1sample", "check_dict_unchanged",
        "check_fit_idempotent", "check_fit_check_is_fitted", "check_n_features_in",
        "check_fit2d_predict1d", "check_sample_weights_pandas_series",
        "check_sample_weights_not_an_array", "check_sample_weights_list",
        "check_all_zero_sample_weights_error", "check_sample_weights_shape",
        "check_sample_weights_not_overwritten", "check_sample_weight_equivalence_on_dense_data")},
    "check_fit1d": "a 1-D X of shape (n,) is one feature by design, not an error",
}


def _as_column(X):
    """Let a 1-D ``X`` of shape (n,) stand for the column (n, 1)."""
    ndim = getattr(X, "ndim", None)
    if ndim is None and isinstance(X, (list, tuple)):
        ndim = np.asarray(X).ndim
    return np.asarray(X).reshape(-1, 1) if ndim == 1 else X


def _single_feature(X, name: str = "X") -> np.ndarray:
    if X.shape[1] != 1:
        raise ValueError(
            f"ConvexNet1D is for one-dimensional inputs: {name} must have shape (n,) or (n, 1), "
            f"got {X.shape[1]} features")
    return X[:, 0]


class ConvexNet1D(RegressorMixin, BaseEstimator):
    """A 1-D neural network trained to a certified global optimum through its Lasso.

    Parameters
    ----------
    activation : {"relu", "leaky_relu", "abs", "threshold", "sign", "symmetrized_relu"}, default="relu"
        "symmetrized_relu" (:class:`lassobook.families.symmetrized_relu.SymmetrizedReLU`) needs depth=3.
    depth : int, default=2
        Number of layers (see :func:`lassobook.families.get_family` for what is supported).
    architecture : str or None, default=None
        For deep families ("parallel"; "rectangular" or "tree" for sign networks).
    beta : float, default=0.01
        Weight-decay strength β > 0 of the training problem.
    solver : {"auto", "dense", "structured"}, default="auto"
        "dense": the full dictionary and cvxpy + Clarabel; "structured": the
        working-set solver of :mod:`lassobook.solvers.working_set` (no dense dictionary,
        for large n; certified over the continuous family); "auto": the structured
        solver where the family has an oracle, else dense, after a memory estimate
        (:func:`lassobook.fit` decides; this estimator only passes its options on).
    max_memory : int, str or None, default=None
        Memory budget of a fit (bytes or "4GB"); default half of the machine's RAM.
    rho : float, default=0.1
        Leaky ReLU slope.
    widths : tuple of int or None, default=None
        Hidden widths of deep sign/threshold networks.
    min_norm : bool, default=False
        Use the minimum-ℓ2-norm optimal solution (as the paper plots).

    Attributes
    ----------
    fit_ : LassoFit
        The solved Lasso (dictionary, solution, network).
    objective_ : float
        The global optimum of the regularized training problem.
    certificate_ : Certificate
        The dual certificate of global optimality.
    neurons_ : list of dict
        One record per unit: label, coefficient, kinks, parameters.
    breakpoints_ : ndarray
        All kink positions of the network, sorted.
    coefficients_ : ndarray of shape (n_neurons,)
        Each unit's coefficient on its normalized shape.
    intercept_ : float
        Output bias ξ.
    n_features_in_ : int
        Always 1.
    """

    def __init__(self, activation="relu", depth=2, architecture=None, beta=0.01, solver="auto",
                 rho=0.1, widths=None, min_norm=False, max_memory=None):
        self.activation = activation
        self.depth = depth
        self.architecture = architecture
        self.beta = beta
        self.solver = solver
        self.rho = rho
        self.widths = widths
        self.min_norm = min_norm
        self.max_memory = max_memory

    def _family(self):
        if self.solver not in SOLVERS:
            raise ValueError(f"unknown solver {self.solver!r}; choose one of {', '.join(SOLVERS)}")
        widths = None if self.widths is None else tuple(self.widths)
        return get_family(self.activation, self.depth, self.architecture, rho=self.rho, widths=widths)

    def fit(self, X, y, sample_weight=None):
        """Fit by the Lasso; X of shape (n,) or (n, 1), y of shape (n,). Returns self.

        ``sample_weight`` (shape (n,), finite, ≥ 0, not all zero) weights each
        row's squared error; repeated X values are merged exactly.
        """
        family = self._family()
        beta = check_beta(self.beta)
        X, y = validate_data(self, _as_column(X), y, dtype=np.float64, y_numeric=True)
        fit = _fit(_single_feature(X), y, family=family, beta=beta, solver=self.solver,
                   sample_weight=sample_weight, min_norm=self.min_norm, max_memory=self.max_memory)
        self.fit_ = fit
        self.objective_ = fit.objective
        self.certificate_ = fit.certificate()
        self.neurons_ = fit.neurons()
        kinks = [k for n in self.neurons_ for k in n["kinks"]]
        self.breakpoints_ = np.unique(np.asarray(kinks, dtype=np.float64))
        self.coefficients_ = np.array([n["coefficient"] for n in self.neurons_], dtype=np.float64)
        self.intercept_ = fit.solution.xi
        return self

    def predict(self, X) -> np.ndarray:
        """The fitted network at X (shape (n,) or (n, 1)); returns shape (n,)."""
        check_is_fitted(self, "fit_")
        X = validate_data(self, _as_column(X), dtype=np.float64, reset=False)
        return self.fit_.predict(_single_feature(X))

    def to_torch(self):
        """The reconstructed network as a float64 ``torch.nn.Module``."""
        check_is_fitted(self, "fit_")
        return self.fit_.network()
