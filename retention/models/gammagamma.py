"""Gamma-Gamma: the spend-per-transaction model.

Fader, P. S. and Hardie, B. G. S. (2013), "The Gamma-Gamma Model of Monetary Value", note 025
(www.brucehardie.com/notes/025/); first in Fader, Hardie and Lee (2005), "RFM and CLV", Journal of
Marketing Research 42(4), 415-430, section 4.

A customer's transaction values are Gamma(p, nu) around their mean p / nu, and nu ~ Gamma(q, gamma)
across customers. Fitted on customers with at least one repeat transaction (x > 0), from x and
their mean repeat-transaction value m_x (`monetary_value`). The model assumes spend per
transaction is independent of purchase frequency: check it with `frequency_spend_correlation`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from retention.errors import ModelFitError
from retention.models.base import (
    CustomerModel,
    check_weights,
    column_array,
    distinct_rows,
    maximise_log_likelihood,
)

#: Minimum data: customers with a repeat purchase and a positive mean repeat value.
MIN_REPEAT_CUSTOMERS = 10
#: |correlation| above which the independence assumption is called broken (Fader and Hardie 2013
#: show 0.11 on CDNOW as acceptable).
CORRELATION_WARNING = 0.3


class GammaGammaModel(CustomerModel):
    """The Gamma-Gamma spend model; parameters `p`, `q`, `gamma` (gamma in money units)."""

    param_names = ("p", "q", "gamma")
    model_name = "Gamma-Gamma"

    def __init__(self) -> None:
        pass

    def fit(self, summary: pd.DataFrame, *, weights: np.ndarray | pd.Series | None = None):
        """Maximum-likelihood fit on customers with `frequency` > 0 and `monetary_value` > 0.

        Customers without a repeat purchase carry no information on spend variation and are
        left out, as are those whose mean repeat value is 0 or negative (refunds). Sets `params_`,
        `log_likelihood_` (note 025 eq. 4 summed), `n_customers_` (customers used) and returns self.
        Minimum data: 10 such customers; else ModelFitError.
        """
        x = column_array(summary, "frequency")
        m = column_array(summary, "monetary_value") if "monetary_value" in summary.columns else None
        if m is None:
            column_array(summary, "monetary_value")  # raises the message naming the column
        w = check_weights(summary, weights)
        use = (x > 0) & (m > 0)
        n_used = float(w[use].sum())
        if n_used < MIN_REPEAT_CUSTOMERS:
            raise ModelFitError(
                f"too few repeat customers to fit the spend model: {n_used:.0f} with a repeat purchase of "
                f"positive value (it needs at least {MIN_REPEAT_CUSTOMERS}); only historical values are shown",
                code="too_few_spend",
                used=n_used,
                min_repeat=MIN_REPEAT_CUSTOMERS,
            )
        (x, m), w = distinct_rows([x[use], m[use]], w[use])
        scale = float(np.average(m, weights=w))  # money rescaled to mean 1
        objective = self._objective(x, m / scale, w)
        start = np.log(np.array([1.0, 2.0, 1.0]))
        z, penalised, _ = maximise_log_likelihood(objective, start, model_name=self.model_name)
        p, q, gamma_scaled = np.exp(z)
        value, _ = objective(z)
        self.params_ = {"p": float(p), "q": float(q), "gamma": float(gamma_scaled * scale)}
        # m_x is a density: rescaling money by s changes each customer's log-likelihood by -log(s).
        self.log_likelihood_ = float(-value * w.sum() - np.log(scale) * w.sum())
        self.n_customers_ = n_used
        self.penalised_ = penalised
        return self

    @staticmethod
    def _objective(x: np.ndarray, m: np.ndarray, w: np.ndarray):
        """Mean negative log-likelihood (note 025 eq. 4) and its gradient in log-parameters.

        ln f(m_x | p, q, gamma; x) = ln Gamma(px + q) - ln Gamma(px) - ln Gamma(q) + q ln gamma
            + (px - 1) ln m_x + px ln x - (px + q) ln(gamma + x m_x)

        The gamma functions depend on x only and are evaluated once per distinct x; the sums of
        ln m_x and ln x are fixed; per customer only ln(gamma + x m_x) changes with the parameters.
        """
        W = float(w.sum())
        ux, xi = np.unique(x, return_inverse=True)
        Wx = np.bincount(xi, weights=w, minlength=ux.size)
        xm, wx = x * m, w * x
        lm = np.log(m)
        fixed_x = float(wx @ lm + wx @ np.log(x))  # sum of w x (ln m_x + ln x)
        fixed_1 = float(w @ lm)

        def evaluate(z: np.ndarray) -> tuple[float, np.ndarray]:
            p, q, g = np.exp(z)
            pux = p * ux
            lg = np.log(g + xm)
            inv = 1.0 / (g + xm)
            s_lg, s_xlg = float(w @ lg), float(wx @ lg)
            ll = (
                Wx @ (gammaln(pux + q) - gammaln(pux))
                + W * (q * np.log(g) - gammaln(q))
                + p * fixed_x
                - fixed_1
                - p * s_xlg
                - q * s_lg
            )
            psi = digamma(pux + q)
            g_p = Wx @ (ux * (psi - digamma(pux))) + fixed_x - s_xlg
            g_q = Wx @ psi - W * digamma(q) + W * np.log(g) - s_lg
            g_g = W * q / g - p * float(wx @ inv) - q * float(w @ inv)
            grad = np.array([g_p * p, g_q * q, g_g * g])
            return -float(ll) / W, -grad / W

        return evaluate

    def conditional_expected_spend(self, frequency, monetary_value) -> np.ndarray:
        """E[M | x, m_x]: expected value of a customer's future transactions, in money units.

        Note 025 eq. 5: (p (gamma + x m_x)) / (p x + q - 1), a weighted mean of the population
        mean p gamma / (q - 1) and the customer's own mean m_x. Customers with x = 0 (or no usable
        m_x) get the population mean; NaN if q <= 1 (the population mean does not exist).
        """
        p, q, g = self._param_vector()
        x = np.atleast_1d(np.asarray(frequency, dtype=np.float64))
        m = np.atleast_1d(np.asarray(monetary_value, dtype=np.float64))
        own = (x > 0) & np.isfinite(m) & (m > 0)
        xs = np.where(own, x, 0.0)
        ms = np.where(own, m, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = p * (g + xs * ms) / (p * xs + q - 1)
        return np.where((p * xs + q - 1) > 0, out, np.nan)

    def population_mean_spend(self) -> float:
        """E[M] = p gamma / (q - 1) for q > 1 (note 025, section 3), else NaN."""
        p, q, g = self._param_vector()
        return float(p * g / (q - 1)) if q > 1 else float("nan")


def frequency_spend_correlation(summary: pd.DataFrame) -> tuple[float, str | None]:
    """Pearson correlation of frequency and mean repeat spend among repeat customers, and a warning.

    The Gamma-Gamma model assumes the two are independent (note 025, section 2). Returns the
    correlation (NaN with fewer than 3 repeat customers) and a plain-words warning when
    |corr| > 0.3, else None.
    """
    x = pd.to_numeric(summary["frequency"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    m = pd.to_numeric(summary["monetary_value"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    w = summary["weight"].to_numpy(dtype=np.float64) if "weight" in summary.columns else np.ones(len(x))
    use = (x > 0) & np.isfinite(m) & (m > 0)
    if use.sum() < 3 or np.ptp(x[use]) == 0 or np.ptp(m[use]) == 0:
        return float("nan"), None
    cov = np.cov(np.vstack([x[use], m[use]]), aweights=w[use])
    corr = float(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]))
    if abs(corr) > CORRELATION_WARNING:
        direction = "spend more" if corr > 0 else "spend less"
        return corr, (
            f"customers who buy more often also {direction} per order (correlation {corr:.2f}); the spend "
            "model assumes they do not, so predicted spend per order is less reliable"
        )
    return corr, None
