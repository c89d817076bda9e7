"""customer_value_table: predicted CLV with margin and discounting, checked by hand; fit status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_clv_summary import SHOP, cdnow_connection, orders_connection

from retention import clv
from retention.errors import UserInputError

CONTRACT = [
    "customer_id", "orders", "revenue", "first_order", "last_order", "frequency", "recency", "T",
    "monetary_value", "p_alive", "expected_purchases", "predicted_clv", "historical_clv",
    "expected_spend_per_order", "email", "phone", "first_name", "last_name", "country", "city", "zip",
    "accepts_marketing",
]  # fmt: skip


@pytest.fixture(scope="module")
def con():
    return cdnow_connection()


@pytest.fixture(scope="module")
def table(con) -> pd.DataFrame:
    return clv.customer_value_table(con, horizon_months=12, margin=0.3, annual_discount_rate=0.1)


def test_one_row_per_customer_with_the_contract_columns(table):
    assert len(table) == 2357 and table["customer_id"].is_unique
    assert set(CONTRACT) <= set(table.columns)
    assert table.attrs["fit_status"]["purchase_ok"] and table.attrs["fit_status"]["spend_ok"]
    assert table["predicted_clv"].notna().all()
    np.testing.assert_allclose(table["historical_clv"], 0.3 * table["revenue"])
    assert table["predicted_clv"].is_monotonic_decreasing  # most valuable first


def test_without_discounting_clv_is_margin_times_spend_times_purchases(con):
    flat = clv.customer_value_table(con, horizon_months=6, margin=0.5, annual_discount_rate=0.0)
    np.testing.assert_allclose(
        flat["predicted_clv"], 0.5 * flat["expected_spend_per_order"] * flat["expected_purchases"], rtol=1e-9
    )


def test_monthly_discounting_by_hand(con, table):
    summary = clv.customer_summary(con)
    models = clv.fit_models(summary)
    row = table.iloc[0]
    x, t_x, T = row["frequency"], row["recency"], row["T"]
    ends = [m * 30.4375 for m in range(13)]
    cumulative = [models.purchase.conditional_expected_purchases(t, x, t_x, T)[0] for t in ends]
    monthly_rate = 1.1 ** (1 / 12) - 1
    by_hand = sum((cumulative[m] - cumulative[m - 1]) / (1 + monthly_rate) ** m for m in range(1, 13))
    assert row["predicted_clv"] == pytest.approx(0.3 * row["expected_spend_per_order"] * by_hand, rel=1e-9)
    assert row["expected_purchases"] == pytest.approx(cumulative[12], rel=1e-9)


def test_longer_horizons_are_worth_more_and_discounting_less(con):
    by_horizon = {
        h: clv.customer_value_table(con, horizon_months=h)["predicted_clv"].sum() for h in clv.CLV_HORIZONS_MONTHS
    }
    assert by_horizon[3] < by_horizon[6] < by_horizon[12] < by_horizon[24]
    steep = clv.customer_value_table(con, horizon_months=24, annual_discount_rate=0.5)["predicted_clv"].sum()
    assert steep < by_horizon[24]


def test_prob_no_purchase_helper(con):
    summary = clv.customer_summary(con)
    model = clv.fit_models(summary).purchase
    got = clv.prob_no_purchase(model, summary, 90)
    expected = model.probability_no_purchase(90, summary["frequency"], summary["recency"], summary["T"])
    np.testing.assert_allclose(got, expected)
    assert ((got > 0) & (got <= 1)).all()


def test_too_few_repeat_customers_gives_historical_values_and_a_reason():
    table = clv.customer_value_table(orders_connection(SHOP))
    assert len(table) == 2
    assert table["predicted_clv"].isna().all() and table["p_alive"].isna().all()
    assert table["historical_clv"].notna().all()
    assert "too few" in table.attrs["fit_status"]["reason"]
    # the same reasons as data, said in Italian: two customers, one of whom bought again
    reason, _warnings = clv.fit_status_text(table.attrs["fit_status"], "it")
    assert reason.startswith("troppo pochi clienti per stimare il modello d'acquisto: 2 clienti in tutto, 1 con più")
    assert "troppo pochi clienti abituali per stimare il modello di spesa: 1 con" in reason


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"horizon_months": 0}, "horizon"),
        ({"margin": 30}, "margin"),
        ({"annual_discount_rate": -0.1}, "discount rate"),
    ],
)
def test_bad_options_are_plain_user_errors(con, options, message):
    with pytest.raises(UserInputError, match=message):
        clv.customer_value_table(con, **options)
