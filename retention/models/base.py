"""Shared fit machinery of the customer-base models (BG/NBD, MBG/NBD, Gamma-Gamma).

The models follow scikit-learn's estimator conventions: `__init__` stores hyperparameters only,
`fit(summary, *, weights=None)` learns from data and returns `self`, and what is learned ends in
`_` (`params_`, `log_likelihood_`). Predictions first check that the model is fitted.

Numerics (the lessons of `lifetimes`, kept; its habits of printing and global warning filters,
dropped):
- the likelihood is maximised over the logarithms of the parameters, so every parameter stays
  positive without bounds;
- identical rows are fitted once, with their count as a weight: the fit costs the same for ten
  thousand or ten million customers;
- the purchase models rescale time so the largest T is 1 (alpha is scaled back afterwards);
- the objective and its analytic gradient are summed in float64 and divided by the total weight,
  so the optimiser sees numbers of order one; `log_likelihood_` is the real, unscaled sum that
  the papers report.
- a fit that fails (no convergence, or a non-finite value) is retried once with a small ridge
  penalty on the log-parameters; if that fails too, `ModelFitError` says why in plain words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from retention.errors import ModelFitError, UserInputError

# Ridge penalty of the retry, on the log-parameters, per unit of total weight: small enough not to
# move a well-determined fit, large enough to stop a parameter running off to 0 or infinity.
RETRY_PENALTY = 1e-3


class NotFittedError(RuntimeError):
    """A prediction was asked of a model that has not been fitted."""


def column_array(summary: pd.DataFrame, name: str) -> np.ndarray:
    """The column `name` of `summary` as float64, with a message naming it when it is missing."""
    if name not in summary.columns:
        raise UserInputError(
            f"the customer summary has no column {name!r}; build it with retention.clv.customer_summary"
        )
    values = pd.to_numeric(summary[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        raise UserInputError(f"column {name!r} of the customer summary has empty or non-numeric values")
    return values


def check_weights(summary: pd.DataFrame, weights: np.ndarray | pd.Series | None) -> np.ndarray:
    """Row weights: the argument, else a `weight` column, else ones. Must be finite and >= 0."""
    if weights is None and "weight" in summary.columns:
        weights = summary["weight"]
    if weights is None:
        return np.ones(len(summary))
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (len(summary),):
        raise UserInputError(f"weights must have one value per row ({len(summary)}), not shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise UserInputError("weights must be finite and not negative")
    return w


def check_purchase_summary(
    summary: pd.DataFrame, weights: np.ndarray | pd.Series | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validate `frequency`, `recency`, `T` (any one time unit) and return them with the weights.

    Rules (those of the BG/NBD data, Fader, Hardie and Lee 2005, section 2): frequency is a whole
    number >= 0; 0 <= recency <= T; recency is 0 when frequency is 0; T >= 0 (a customer
    first seen on the last day adds 0 to the log-likelihood), and some T > 0.
    """
    x = column_array(summary, "frequency")
    t_x = column_array(summary, "recency")
    T = column_array(summary, "T")
    w = check_weights(summary, weights)
    if (x < 0).any() or (np.floor(x) != x).any():
        raise UserInputError("frequency must be a whole number of repeat purchases, 0 or more")
    if (t_x < 0).any():
        raise UserInputError("recency cannot be negative")
    if (t_x > T + 1e-9).any():
        raise UserInputError("recency cannot be greater than T")
    if ((x == 0) & (t_x != 0)).any():
        raise UserInputError("recency must be 0 for customers with frequency 0")
    if (T < 0).any():
        raise UserInputError("T cannot be negative: the end of observation must not come before a first purchase")
    if len(T) and T.max() <= 0:
        raise UserInputError("T is 0 for every customer: end the observation after the first purchases")
    return x, t_x, T, w


def factorize_pairs(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Codes of the distinct (first, second) pairs and the pairs themselves, by two 1-D hashes."""
    c1, u1 = pd.factorize(first)
    c2, u2 = pd.factorize(second)
    codes, pair_keys = pd.factorize(c1.astype(np.int64) * len(u2) + c2)
    pair_keys = np.asarray(pair_keys)
    return (
        codes,
        np.asarray(u1, dtype=np.float64)[pair_keys // len(u2)],
        np.asarray(u2, dtype=np.float64)[pair_keys % len(u2)],
    )


def distinct_rows(columns: list[np.ndarray], weights: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Collapse identical rows into one, summing their weights (rows of weight 0 dropped)."""
    keep = weights > 0
    frame = pd.DataFrame({f"c{i}": c[keep] for i, c in enumerate(columns)})
    frame["w"] = weights[keep]
    grouped = frame.groupby([f"c{i}" for i in range(len(columns))], sort=False, observed=True)["w"].sum()
    keys = [grouped.index.get_level_values(i).to_numpy(dtype=np.float64) for i in range(len(columns))]
    if len(columns) == 1:
        keys = [grouped.index.to_numpy(dtype=np.float64)]
    return keys, grouped.to_numpy(dtype=np.float64)


def maximise_log_likelihood(
    neg_ll_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    start: np.ndarray,
    *,
    model_name: str,
    hess_inv0: np.ndarray | None = None,
) -> tuple[np.ndarray, bool, np.ndarray]:
    """Minimise a mean negative log-likelihood over log-parameters; retry once with a penalty.

    `neg_ll_and_grad(log_params)` returns the mean negative log-likelihood and its gradient with
    respect to the log-parameters. `hess_inv0` is a starting inverse Hessian (from a fit on a
    sample). Returns `(log_params, penalised, inverse_hessian)`; raises `ModelFitError`.
    """

    def attempt(penalty: float, x0: np.ndarray, h0: np.ndarray | None = None):
        def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
            value, grad = neg_ll_and_grad(z)
            return value + penalty * float(z @ z), grad + 2.0 * penalty * z

        with np.errstate(all="ignore"):
            # BFGS: with 3-4 parameters its dense update is cheaper than L-BFGS-B's per-call overhead.
            options = {"maxiter": 1000, "gtol": 1e-8}
            if h0 is not None:
                options["hess_inv0"] = h0
            return minimize(objective, x0, jac=True, method="BFGS", options=options)

    def usable(result) -> bool:
        # BFGS sometimes reports a "precision loss" stop at the optimum, where the gradient is
        # already tiny: accept those, reject anything non-finite or still steep.
        if not np.isfinite(result.fun) or not np.isfinite(result.x).all():
            return False
        if np.abs(result.x).max() > 30:  # a parameter ran to exp(+-30): not identified by the data
            return False
        return bool(result.success) or float(np.abs(result.jac).max()) < 1e-5

    # The objective's dot products are short: a multi-threaded BLAS spends more time waking its
    # threads than computing (22 ms instead of 0.02 ms per 75k-long dot on 2 busy cores).
    with threadpool_limits(limits=1, user_api="blas"):
        first = attempt(0.0, start, hess_inv0)
        if usable(first):
            return first.x, False, first.hess_inv
        second = attempt(RETRY_PENALTY, start)
    if usable(second):
        return second.x, True, second.hess_inv
    raise ModelFitError(
        f"the {model_name} model could not be fitted on this data (the optimiser did not converge even "
        "with a small penalty): there may be too few repeat customers or too short a history; "
        "use historical values only, or add more months of orders",
        code="no_convergence",
        model=model_name,
    )


class CustomerModel:
    """Base of the models: parameter storage and the fitted check."""

    #: names of the parameters, in the order of the internal vector
    param_names: tuple[str, ...] = ()
    #: human name used in messages and reports
    model_name: str = ""

    params_: dict[str, float]
    log_likelihood_: float

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet: call fit(summary) first")

    def _param_vector(self) -> np.ndarray:
        self._check_fitted()
        return np.array([self.params_[k] for k in self.param_names])

    @classmethod
    def from_params(cls, params: Mapping[str, float], **hyper) -> CustomerModel:
        """A model with known parameters (for example published ones), ready to predict."""
        model = cls(**hyper)
        missing = [k for k in cls.param_names if k not in params]
        if missing:
            raise UserInputError(f"{cls.__name__} needs the parameters {', '.join(cls.param_names)}")
        model.params_ = {k: float(params[k]) for k in cls.param_names}
        model.log_likelihood_ = float("nan")
        return model

    def __repr__(self) -> str:
        if hasattr(self, "params_"):
            inner = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
            return f"{type(self).__name__}({inner})"
        return f"{type(self).__name__}()"
