"""MBG/NBD: its likelihood against numerical integration, and recovery on retention.simulate data.

retention.simulate lets a customer drop out right after any purchase, the first included: the
MBG/NBD story of Batislam, Denizel and Filiztekin (2007), so that is the model it must recover.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special

from retention.models import BetaGeoModel, ModifiedBetaGeoModel
from retention.simulate import BGNBDParams, simulate_bgnbd


def _likelihood_by_integration(x, t_x, T, r, alpha, a, b):
    """Batislam et al. 2007 eq. 4 before integrating out lambda and p: alive after x + 1 purchases
    with (1 - p)^(x + 1), or dead right after the last one with p (1 - p)^x."""

    def integrand(p, lam):
        alive = (1 - p) ** (x + 1) * lam**x * np.exp(-lam * T)
        dead = p * (1 - p) ** x * lam**x * np.exp(-lam * t_x)
        g = np.exp(r * np.log(alpha) + (r - 1) * np.log(lam) - alpha * lam - special.gammaln(r))
        f = p ** (a - 1) * (1 - p) ** (b - 1) / special.beta(a, b)
        return (alive + dead) * g * f

    return integrate.dblquad(integrand, 0, 5, 0, 1, epsabs=1e-13, epsrel=1e-9)[0]


def test_log_likelihood_equals_numerical_integration():
    rows = pd.DataFrame({"frequency": [0, 2, 5], "recency": [0.0, 3.0, 8.5], "T": [4.0, 9.0, 10.0]})
    params = (1.5, 3.0, 1.2, 2.5)
    expected = sum(np.log(_likelihood_by_integration(x, tx, T, *params)) for x, tx, T in rows.itertuples(index=False))
    objective = ModifiedBetaGeoModel()._objective(
        *(rows[c].to_numpy(float) for c in ("frequency", "recency", "T")), np.ones(3)
    )
    value, _grad = objective(np.log(params))
    assert -value * 3 == pytest.approx(expected, rel=1e-6)


def test_analytic_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    T = rng.uniform(0.2, 1.0, 500)
    x = rng.poisson(2, 500).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0, 1, 500), 0.0)
    objective = ModifiedBetaGeoModel()._objective(x, t_x, T, rng.integers(1, 5, 500).astype(float))
    z = np.log([0.7, 0.2, 1.3, 2.2])
    _value, grad = objective(z)
    step = 1e-6
    numeric = [(objective(z + step * e)[0] - objective(z - step * e)[0]) / (2 * step) for e in np.eye(4)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_one_time_buyer_can_be_gone_and_formulas_by_hand():
    model = ModifiedBetaGeoModel.from_params({"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6})
    # Batislam et al. eq. 6 with x = 0: 1 / (1 + a / b * ((alpha + T) / alpha)^r)
    assert model.probability_alive(0, 0, 20.0)[()] == pytest.approx(1 / (1 + 0.9 / 1.6 * (26 / 6) ** 0.5))
    assert model.probability_alive(0, 0, 20.0) < 1
    # E[Y(t)] = growth * P(alive): the growth factor at x = 0 by hand with scipy's 2F1
    r, alpha, a, b, T, t = 0.5, 6.0, 0.9, 1.6, 20.0, 10.0
    growth = (a + b) / (a - 1) * (1 - (26 / 36) ** r * special.hyp2f1(r, b + 1, a + b, t / (alpha + T + t)))
    expected = growth * model.probability_alive(0, 0, T)
    assert model.conditional_expected_purchases(t, 0, 0, T)[0] == pytest.approx(float(expected), rel=1e-12)


def _summary_in_days(purchases: pd.DataFrame, end: str) -> pd.DataFrame:
    days = purchases.assign(day=purchases["purchase_ts"].dt.floor("D"))
    g = days.groupby("customer_no")["day"].agg(["min", "max", "nunique"])
    return pd.DataFrame(
        {
            "frequency": g["nunique"] - 1,
            "recency": (g["max"] - g["min"]).dt.days,
            "T": (pd.Timestamp(end) - g["min"]).dt.days,
        }
    )


def test_parameter_recovery_on_retention_simulate():
    truth = BGNBDParams()
    _customers, purchases = simulate_bgnbd(50_000, "2022-01-01", "2024-12-31", params=truth, variant="mbgnbd", seed=11)
    model = ModifiedBetaGeoModel().fit(_summary_in_days(purchases, "2024-12-31"))
    assert model.params_["r"] == pytest.approx(truth.r, rel=0.07)
    assert model.params_["alpha"] == pytest.approx(truth.alpha, rel=0.07)
    mean_p = model.params_["a"] / (model.params_["a"] + model.params_["b"])
    assert mean_p == pytest.approx(truth.a / (truth.a + truth.b), rel=0.1)
    # the plain BG/NBD cannot express drop-out after the first purchase and fits worse
    assert BetaGeoModel().fit(_summary_in_days(purchases, "2024-12-31")).log_likelihood_ < model.log_likelihood_
