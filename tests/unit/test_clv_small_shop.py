"""A 60-customer shop (sampled from the demo shop) whose predicted CLV once came out at -26,897.

Its BG/NBD fit lands at a corner of the parameter space (a ~ 1e-7, b ~ 1e10, r and alpha in the
millions: no visible drop-out, Poisson-like buying). There the closed form of E[Y(t) | alive]
(FHL 2005 eq. 10) multiplies 1 / (a - 1) with a bracket that scipy's 2F1 gets wrong, and the
expected purchases, hence the CLV, turned negative. The fix computes those entries as an
expectation over the drop-out probability; here it is checked against scipy's adaptive quadrature
of the same integral, written out independently.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _orders import orders_from_csv
from scipy import integrate, stats

from retention import clv
from retention.models import BetaGeoModel

SHOP = Path(__file__).resolve().parents[1] / "fixtures" / "clv_small_shop_60.csv"


@pytest.fixture(scope="module")
def con():
    return orders_from_csv(SHOP)


def growth_by_adaptive_quadrature(params: dict, t: float, x: float, T: float) -> float:
    """E[purchases in t | alive] = E_p[(1 - (1 + p t / (alpha + T))^-(r + x)) / p], p ~ Beta(a, b + x)."""
    r, alpha, a, b = (params[k] for k in ("r", "alpha", "a", "b"))
    tau = t / (alpha + T)
    beta = stats.beta(a, b + x)

    def integrand(u: float) -> float:  # on the quantile scale, so the density's spike at 0 is gone
        p = max(float(beta.ppf(u)), 1e-300)
        return -np.expm1(-(r + x) * np.log1p(p * tau)) / p

    return integrate.quad(integrand, 0.0, 1.0, limit=200)[0]


def test_predicted_clv_is_never_negative_on_the_small_shop(con):
    table = clv.customer_value_table(con, horizon_months=12)
    assert len(table) == 60
    assert table.attrs["fit_status"]["purchase_ok"]
    for column in ("p_alive", "expected_purchases", "expected_spend_per_order", "predicted_clv"):
        values = table[column].to_numpy(dtype=float)
        assert np.isfinite(values).all(), column
        assert (values >= 0).all(), column
    # a year of purchases is at most what the customer would buy never dropping out
    summary = clv.customer_summary(con)
    model = clv.fit_models(summary).purchase
    r, alpha = model.params_["r"], model.params_["alpha"]
    bound = (r + table["frequency"]) * 12 * clv.DAYS_PER_MONTH / (alpha + table["T"])
    assert (table["expected_purchases"] <= bound * (1 + 1e-9)).all()


def test_the_fit_is_the_corner_case_and_growth_matches_quadrature(con):
    model = clv.fit_models(clv.customer_summary(con)).purchase
    assert model.params_["a"] < 1e-3 and model.params_["b"] > 1e6  # the corner that broke eq. 10
    x = np.array([0.0, 1.0, 2.0, 5.0])
    T = np.array([10.0, 200.0, 300.0, 400.0])
    ours = model._conditional_growth(365.0, x, T)
    theirs = [growth_by_adaptive_quadrature(model.params_, 365.0, xi, Ti) for xi, Ti in zip(x, T, strict=True)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)


@pytest.mark.parametrize("a", [1.0 - 1e-7, 1.0 + 1e-7, 1.02])
def test_growth_near_a_equal_1_matches_quadrature(a):
    """a close to 1: the closed form divides by a - 1 (it gave -4,298 purchases for a customer)."""
    model = BetaGeoModel()
    model.params_ = {"r": 3.6, "alpha": 27.5, "a": a, "b": 2.0e6}
    x = np.array([0.0, 1.0, 4.0])
    T = np.array([0.0, 50.0, 300.0])
    ours = model._conditional_growth(365.0, x, T)
    theirs = [growth_by_adaptive_quadrature(model.params_, 365.0, xi, Ti) for xi, Ti in zip(x, T, strict=True)]
    np.testing.assert_allclose(ours, theirs, rtol=1e-5)
    assert (ours >= 0).all()
