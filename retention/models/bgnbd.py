"""BG/NBD: the beta-geometric / negative-binomial purchase model.

Fader, P. S., Hardie, B. G. S. and Lee, K. L. (2005), "'Counting Your Customers' the Easy Way: An
Alternative to the Pareto/NBD Model", Marketing Science 24(2), 275-284 (below: FHL 2005).

While alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each
repeat purchase they drop out for good with probability p ~ Beta(a, b). The data of a customer are
x (repeat purchases, the `frequency`), t_x (time of the last purchase since the first, the
`recency`) and T (time since the first purchase). The model is unit-free: parameters come out in
the time unit of the summary it is fitted on (alpha is a time; r, a, b are pure numbers).

The modified BG/NBD (retention.models.mbgnbd) shares all the machinery here: it lets a customer drop
out right after the first purchase too, which the plain BG/NBD does not (it says a one-time buyer
is alive for sure).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from retention.errors import ModelFitError
from retention.models.base import (
    CustomerModel,
    check_purchase_summary,
    distinct_rows,
    factorize_pairs,
    maximise_log_likelihood,
)

#: Minimum data to fit a purchase model; below this only historical values are shown.
MIN_CUSTOMERS = 20
MIN_REPEAT_CUSTOMERS = 10
#: Above this many distinct rows the fit starts from a fit on a random 20,000 of them.
WARM_START_ROWS = 20_000


class _BetaGeoFamily(CustomerModel):
    """BG/NBD (shift 0) and MBG/NBD (shift 1) differ only in where a drop-out can happen.

    With k = shift, the individual likelihood (FHL 2005 eq. 3; Batislam, Denizel and Filiztekin
    2007 eq. 4 for k = 1), with B the beta function, is

        L = B(a, b + x + k) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
          + d * B(a + 1, b + x - 1 + k) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x))

    where d = 1 if x > 0 (BG/NBD) and d = 1 always (MBG/NBD).
    """

    param_names = ("r", "alpha", "a", "b")
    _shift = 0

    def __init__(self) -> None:
        # No hyperparameters: the model is fully determined by the data.
        pass

    # ---------------------------------------------------------------------------------- fit
    def fit(self, summary: pd.DataFrame, *, weights: np.ndarray | pd.Series | None = None):
        """Maximum-likelihood fit on a customer summary.

        `summary` has `frequency`, `recency` and `T` in one time unit (days in this project, weeks
        for the published CDNOW summary), and optionally `weight` (a count of identical customers).
        Sets `params_` (`r`, `alpha` in the summary's time unit, `a`, `b`), `log_likelihood_` (the
        real sum over customers, comparable with FHL 2005 table 1), `n_customers_` (total weight)
        and `penalised_` (True when only the penalised retry converged). Returns `self`.

        Minimum data: at least 20 customers, of whom at least 10 bought again; else ModelFitError.
        """
        x, t_x, T, w = check_purchase_summary(summary, weights)
        n_customers = float(w.sum())
        n_repeat = float(w[x > 0].sum())
        if n_customers < MIN_CUSTOMERS or n_repeat < MIN_REPEAT_CUSTOMERS:
            raise ModelFitError(
                f"too few customers to fit the purchase model: {n_customers:.0f} customers, {n_repeat:.0f} "
                f"of whom bought again (it needs at least {MIN_CUSTOMERS} and {MIN_REPEAT_CUSTOMERS}); "
                "only historical values are shown",
                code="too_few_customers",
                customers=n_customers,
                repeat=n_repeat,
                min_customers=MIN_CUSTOMERS,
                min_repeat=MIN_REPEAT_CUSTOMERS,
            )
        (x, t_x, T), w = distinct_rows([x, t_x, T], w)
        scale = float(T.max())  # time rescaled so the largest T is 1
        objective = self._objective(x, t_x / scale, T / scale, w)
        # Start: r = 1 and alpha matching the mean purchase rate; a = b = 1 (p uniform).
        rate = max(float(np.average(x, weights=w) / np.average(T / scale, weights=w)), 1e-3)
        start = np.log(np.array([1.0, 1.0 / rate, 1.0, 1.0]))
        hess_inv0 = None
        if len(w) > WARM_START_ROWS:
            # Most iterations are spent far from the optimum: take them on a fixed random share of
            # the distinct rows (their weights unchanged), then polish on all of them.
            pick = np.random.default_rng(0).choice(len(w), WARM_START_ROWS, replace=False)
            sample = self._objective(x[pick], t_x[pick] / scale, T[pick] / scale, w[pick])
            try:
                start, _, h = maximise_log_likelihood(sample, start, model_name=self.model_name)
                h = (h + h.T) / 2.0
                hess_inv0 = h if np.linalg.eigvalsh(h).min() > 0 else None
            except ModelFitError:
                pass  # the full data may still fit from the plain start
        z, penalised, _ = maximise_log_likelihood(objective, start, model_name=self.model_name, hess_inv0=hess_inv0)
        r, alpha_scaled, a, b = np.exp(z)
        value, _ = objective(z)
        # Back to the original time unit: alpha is a time; the likelihood has a density in t_x only
        # through lambda^x, which picks up scale^-x per customer.
        self.params_ = {"r": float(r), "alpha": float(alpha_scaled * scale), "a": float(a), "b": float(b)}
        self.log_likelihood_ = float(-value * w.sum() - np.log(scale) * (w @ x))
        self.n_customers_ = n_customers
        self.penalised_ = penalised
        return self

    def _objective(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray):
        """Mean negative log-likelihood and its analytic gradient in log-parameters.

        Work that depends only on x (gamma and beta functions) is done once per distinct x, and the
        logarithms once per distinct T and t_x, so an evaluation costs a few array operations per
        distinct customer triple.
        """
        k = float(self._shift)
        ux, xi = np.unique(x, return_inverse=True)
        uT, Ti = np.unique(T, return_inverse=True)
        ut, ti = np.unique(t_x, return_inverse=True)
        W = float(w.sum())
        Wx = np.bincount(xi, weights=w, minlength=ux.size)
        has_second = (ux > 0) | (k > 0)
        b_second_shift = np.where(has_second, ux - 1 + k, 0.0)  # avoid B(., b - 1) where unused

        wx = w * x

        def evaluate(z: np.ndarray) -> tuple[float, np.ndarray]:
            # LL_i = c0 + c1 - (r + x) ln(alpha + T) + softplus(u), with
            # u = (c2 - c1) + (r + x) (ln(alpha + T) - ln(alpha + t_x)) the log-odds of the drop-out
            # branch; its probability expit(u) weighs the branch derivatives.
            r, alpha, a, b = np.exp(z)
            lT_u, lt_u = np.log(alpha + uT), np.log(alpha + ut)
            lT, lt = lT_u[Ti], lt_u[ti]
            B0 = betaln(a, b)
            c0 = gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
            c1 = betaln(a, b + ux + k) - B0
            c2 = np.where(has_second, betaln(a + 1, b + b_second_shift) - B0, -np.inf)
            rx = r + ux
            diff = lT - lt
            u = (c2 - c1)[xi] + rx[xi] * diff
            wrx = r * w + wx
            ll = float(Wx @ (c0 + c1) - wrx @ lT + w @ np.logaddexp(0.0, u))
            wp2 = w * expit(u)
            S2 = np.bincount(xi, weights=wp2, minlength=ux.size)
            S1 = Wx - S2
            g_r = Wx @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - w @ lT + wp2 @ diff
            inv_T, inv_t = (1.0 / (alpha + uT))[Ti], (1.0 / (alpha + ut))[ti]
            wrx_p2 = wp2 * rx[xi]
            g_alpha = W * r / alpha - wrx @ inv_T + wrx_p2 @ (inv_T - inv_t)
            psi_ab = digamma(a + b + ux + k)
            g_a = S1 @ (digamma(a) - psi_ab) + S2 @ (digamma(a + 1) - psi_ab) - W * (digamma(a) - digamma(a + b))
            g_b = (
                S1 @ digamma(b + ux + k)
                + S2 @ np.where(has_second, digamma(b + b_second_shift), 0.0)
                - Wx @ psi_ab
                - W * (digamma(b) - digamma(a + b))
            )
            grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
            return -ll / W, -grad / W

        return evaluate

    # ---------------------------------------------------------------------------- predictions
    def _log_dropout_odds(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """log of d * a / (b + x - 1 + k) * ((alpha + T) / (alpha + t_x))^(r + x); -inf where d = 0."""
        r, alpha, a, b = self._param_vector()
        k = self._shift
        has_second = (x > 0) | (k > 0)
        denom = np.where(has_second, b + x - 1 + k, 1.0)
        out = np.log(a) - np.log(denom) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        return np.where(has_second, out, -np.inf)

    def probability_alive(self, frequency, recency, T) -> np.ndarray:
        """P(alive at T | x, t_x, T).

        BG/NBD: Fader, Hardie and Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
        Analysis", Journal of Marketing Research 42(4), and their note "Computing P(alive) Using the
        BG/NBD Model" (eq. 2): 1 / (1 + d * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)).
        MBG/NBD: Batislam et al. (2007) eq. 6, with a / (b + x) and no d.
        """
        x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (frequency, recency, T))
        return expit(-self._log_dropout_odds(x, t_x, T))

    def expected_purchases_population(self, t) -> np.ndarray:
        """E[X(t)]: expected purchases of a new customer in a period of length t after the first.

        FHL 2005 eq. 7 (BG/NBD): (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r
        2F1(r, b; a + b - 1; t / (alpha + t))]. MBG/NBD (Batislam et al. 2007 eq. 8):
        b / (a - 1) * [1 - (alpha / (alpha + t))^r 2F1(r, b + 1; a + b; t / (alpha + t))].
        """
        r, alpha, a, b = self._param_vector()
        t = np.asarray(t, dtype=np.float64)
        z = t / (alpha + t)
        if self._shift == 0:
            return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, z))

    def _conditional_growth(self, t: float, x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """(a + b + x - 1 + k) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(...)].

        Expected purchases in the next t of a customer known to be alive (FHL 2005 eq. 10 without
        the P(alive) factor). Depends on (x, T) only: callers evaluate it once per distinct pair.

        The closed form cancels badly when a is close to 1 (the factor 1 / (a - 1) meets a bracket
        close to 0) and scipy's 2F1 fails for large parameters (a, b in the millions when a small
        shop shows no drop-out): it then gave negative or NaN expectations, hence negative CLV.
        Those entries (and all of them when |a - 1| < 0.05) are computed instead from the same
        quantity as an expectation over the drop-out probability, which has no cancellation
        (`_growth_by_quadrature`). The result always lies in [0, (r + x) t / (alpha + T)].
        """
        r, alpha, a, b = self._param_vector()
        k = self._shift
        x = np.asarray(x, dtype=np.float64)
        T = np.asarray(T, dtype=np.float64)
        z = t / (alpha + T + t)
        log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + T + t))
        with np.errstate(all="ignore"):
            hyp = hyp2f1(r + x, b + x + k, a + b + x - 1 + k, z)
            out = (a + b + x - 1 + k) / (a - 1) * (1 - np.exp(log_ratio) * hyp)
        # E[Y(t) | alive] <= E[lambda | data] t: the purchases of a customer who never drops out.
        upper = (r + x) * t / (alpha + T)
        bad = ~np.isfinite(out) | (out < 0) | (out > upper * (1 + 1e-9))
        if abs(a - 1.0) < 0.05:
            bad[:] = True
        if bad.any():
            out = np.where(bad, 0.0, out)
            out[bad] = self._growth_by_quadrature(t, x[bad], T[bad])
        return np.clip(out, 0.0, upper)

    def _growth_by_quadrature(self, t: float, x: np.ndarray, T: np.ndarray, nodes: int = 64) -> np.ndarray:
        """The same expectation as `_conditional_growth`, by numerical integration.

        Given alive with x repeat purchases by T, lambda ~ Gamma(r + x, alpha + T) and the drop-out
        probability p ~ Beta(a, b + x + k) (FHL 2005 section 5), and E[purchases in t | lambda, p] =
        (1 - exp(-lambda p t)) / p (FHL 2005 eq. 8 with the BG/NBD's fresh start). Integrating lambda:
        E[(1 - (1 + p t / (alpha + T))^-(r + x)) / p], a bounded smooth function of p, averaged over
        Beta(a, b + x + k) by Gauss-Legendre nodes on its quantile scale (no cancellation, any a > 0).
        """
        from scipy.special import betaincinv

        r, alpha, a, b = self._param_vector()
        k = self._shift
        u, wts = np.polynomial.legendre.leggauss(nodes)
        u, wts = (u + 1.0) / 2.0, wts / 2.0
        ux, inv = np.unique(x, return_inverse=True)
        p = betaincinv(a, b + ux[:, None] + k, u[None, :])[inv]  # quantiles of Beta(a, b + x + k)
        p = np.maximum(p, 1e-300)
        tau = (t / (alpha + T))[:, None]
        rx = (r + x)[:, None]
        # 1 - (1 + p tau)^-(r + x) without cancellation for small p tau
        value = -np.expm1(-rx * np.log1p(p * tau)) / p
        return value @ wts

    def conditional_expected_purchases(self, t: float, frequency, recency, T) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next period of length t.

        FHL 2005 eq. 10 (BG/NBD):
        (a + b + x - 1) / (a - 1) * [1 - ((alpha + T) / (alpha + T + t))^(r + x)
        2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))] / (1 + d a / (b + x - 1) ((alpha + T) /
        (alpha + t_x))^(r + x)); the last factor is P(alive). MBG/NBD: Batislam et al. 2007 eq. 9.
        """
        t = float(t)
        x, t_x, T = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (frequency, recency, T))
        if t <= 0:
            return np.zeros(x.shape)
        codes, ux, uT = factorize_pairs(x, T)
        return self._conditional_growth(t, ux, uT)[codes] * self.probability_alive(x, t_x, T)

    def discounted_expected_purchases(
        self, frequency, recency, T, *, period: float, n_periods: int, discount_per_period: float
    ) -> np.ndarray:
        """Sum over periods m = 1..n of E[purchases in period m | x, t_x, T] / (1 + d)^m.

        Period m runs from (m - 1) * period to m * period after T (same time unit as the model);
        its expected purchases are E[Y(m period)] - E[Y((m - 1) period)] (FHL 2005 eq. 10), and
        they are discounted at the end of the period. Because E[Y(t)] = growth(t; x, T) * P(alive),
        the hypergeometric work is done once per distinct (x, T) pair and period.
        """
        x, t_x, T = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (frequency, recency, T))
        if x.size == 0:
            return np.zeros(0)
        codes, ux, uT = factorize_pairs(x, T)
        total = np.zeros(ux.size)
        previous = np.zeros(ux.size)
        for m in range(1, int(n_periods) + 1):
            # expected purchases never decrease with time: a rounding step below the last one is 0
            current = np.maximum(self._conditional_growth(m * float(period), ux, uT), previous)
            total += (current - previous) / (1.0 + discount_per_period) ** m
            previous = current
        return total[codes] * self.probability_alive(x, t_x, T)

    def probability_no_purchase(self, t: float, frequency, recency, T) -> np.ndarray:
        """P(no purchase in the next period of length t | x, t_x, T).

        A dead customer buys nothing; an alive one has lambda ~ Gamma(r + x, alpha + T) given the
        data (FHL 2005 section 5), and in this model drop-out happens only right after a purchase,
        so P = 1 - P(alive) + P(alive) * ((alpha + T) / (alpha + T + t))^(r + x).
        """
        r, alpha, _a, _b = self._param_vector()
        x, t_x, T = (np.atleast_1d(np.asarray(v, dtype=np.float64)) for v in (frequency, recency, T))
        alive = self.probability_alive(x, t_x, T)
        quiet = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + float(t))))
        return 1.0 - alive + alive * quiet


class BetaGeoModel(_BetaGeoFamily):
    """The BG/NBD model of Fader, Hardie and Lee (2005); see the module docstring.

    >>> model = BetaGeoModel().fit(summary)            # doctest: +SKIP
    >>> model.params_                                  # doctest: +SKIP
    {'r': 0.243, 'alpha': 4.414, 'a': 0.793, 'b': 2.426}
    """

    model_name = "BG/NBD"
    _shift = 0
