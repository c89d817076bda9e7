"""KPIs, benchmark verdicts and what-if on the hand-made shop (tests/unit/_orders_handmade.py)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
from _orders_handmade import handmade_connection

from retention.benchmark_bands import judge_churn_risk_share, judge_clv_cac, judge_repeat_purchase_rate
from retention.cli import dumps
from retention.errors import UserInputError
from retention.filters import Filters, apply_filters
from retention.kpis import compute_kpis, what_if


@pytest.fixture()
def con():
    c = handmade_connection()
    yield c
    c.close()


def test_totals_and_repeat_rate(con):
    k = compute_kpis(con)
    assert k["as_of"] == "2024-04-15"
    assert (k["customers"], k["orders"], k["revenue"]) == (4, 8, 200.5)
    assert k["aov"] == pytest.approx(200.5 / 8)
    assert k["orders_per_customer"] == 2.0
    # A, B and C ordered twice or more; D once.
    assert k["repeat_purchase_rate"] == 0.75 and k["one_time_buyer_share"] == 0.25


def test_time_between_orders(con):
    gaps = compute_kpis(con)["time_between_orders"]
    # 1st -> 2nd: A 0 days (same day), B 1 day (31 Jan -> 1 Feb), C 65 days (10 Feb -> 15 Apr 2024).
    assert gaps["first_to_second"] == {"median_days": 1.0, "customers": 3}
    # 2nd -> 3rd: A, 5 Jan -> 1 Mar 2024 = 56 days.
    assert gaps["second_to_third"] == {"median_days": 56.0, "customers": 1}
    assert gaps["third_to_fourth"] == {"median_days": None, "customers": 0}


def test_repurchase_within_counts_only_customers_observed_long_enough(con):
    r = compute_kpis(con)["repurchase_within"]
    # Days observed to 15 April: A 101, B 75, C 65, D 26.
    assert r[30] == {"rate": pytest.approx(2 / 3), "customers_observed": 3, "repurchased": 2}
    assert r[60] == {"rate": pytest.approx(2 / 3), "customers_observed": 3, "repurchased": 2}  # C took 65 days
    assert r[90] == {"rate": 1.0, "customers_observed": 1, "repurchased": 1}
    assert r[180] == {"rate": None, "customers_observed": 0, "repurchased": 0}


def test_monthly_retention_latest_complete_period(con):
    k = compute_kpis(con)
    # Active: Jan {A,B}, Feb {B,C}, Mar {A,D}, Apr {C} (April not complete on 15 April).
    series = {r["period_start"]: (r["customers_prev"], r["retained"], r["complete"]) for r in k["retention_series"]}
    assert series == {
        "2024-02-01": (2, 1, True),
        "2024-03-01": (2, 0, True),
        "2024-04-01": (2, 0, False),
    }
    assert k["retention_period_start"] == "2024-03-01"
    assert k["retention_rate"] == 0.0 and k["churn_rate"] == 1.0
    feb = compute_kpis(con, as_of=date(2024, 2, 29))
    assert feb["retention_rate"] == 0.5 and feb["churn_rate"] == 0.5 and feb["orders"] == 5


def test_retention_by_day_quarter_and_year(con):
    # B bought on 31 January and again on 1 February: the one retained day-to-day customer.
    day = compute_kpis(con, period="day")
    kept = [r for r in day["retention_series"] if r["retained"]]
    assert [(r["period_start"], r["customers_prev"]) for r in kept] == [("2024-02-01", 1)]
    # Q1 {A,B,C,D} -> Q2 {C}: 1 of 4, complete once June is over.
    q = compute_kpis(con, period="quarter", as_of=date(2024, 6, 30))
    assert q["retention_rate"] == 0.25 and q["retention_period_start"] == "2024-04-01"
    assert compute_kpis(con, period="quarter")["retention_rate"] is None  # Q2 not over on 15 April
    y = compute_kpis(con, period="year")
    assert y["retention_rate"] is None and y["notes"]


def test_benchmark_bands_and_verdicts():
    assert judge_repeat_purchase_rate(0.10)["level"] == "below"
    assert judge_repeat_purchase_rate(0.15)["level"] == "typical"
    assert judge_repeat_purchase_rate(0.22)["level"] == "good"
    assert judge_repeat_purchase_rate(0.30)["level"] == "excellent"
    assert judge_clv_cac(2.0)["level"] == "below"
    assert judge_clv_cac(2.5)["level"] == "typical"
    assert judge_clv_cac(3.0)["level"] == "good"
    assert judge_clv_cac(4.0)["level"] == "excellent"
    assert judge_churn_risk_share(0.35)["level"] == "below"
    assert judge_churn_risk_share(0.28)["level"] == "typical"
    assert judge_churn_risk_share(0.18)["level"] == "good"
    assert judge_churn_risk_share(None)["value"] is None
    assert "22%" in judge_repeat_purchase_rate(0.18)["verdict"]


def test_clv_cac_with_one_cac(con):
    k = compute_kpis(con, cac=20)
    # historical CLV = 200.50 / 4 = 50.125; 50.125 / 20 = 2.50625 -> around the European average.
    assert k["clv_cac"] == pytest.approx(2.50625)
    assert k["clv_cac_detail"]["clv_source"] == "historical_average_revenue_per_customer"
    assert k["benchmarks"]["clv_cac"]["level"] == "typical"
    assert k["benchmarks"]["repeat_purchase_rate"] == judge_repeat_purchase_rate(0.75)
    predicted = compute_kpis(con, cac=20, clv=90.0)
    assert predicted["clv_cac"] == 4.5 and predicted["clv_cac_detail"]["clv_source"] == "predicted_clv_given"
    assert "clv_cac" not in compute_kpis(con)


def test_clv_cac_from_marketing_spend_per_acquisition_month(con):
    spend = pd.DataFrame({"month": ["2024-01", "2024-02"], "spend": [100.0, 30.0]})
    d = compute_kpis(con, marketing_spend=spend)["clv_cac_detail"]
    jan, feb = d["by_cohort"]
    # January: A and B won for 100 -> CAC 50; their revenue so far 47.50 + 38.00 -> CLV 42.75.
    assert (jan["new_customers"], jan["cac"], jan["clv"]) == (2, 50.0, 42.75)
    assert feb["clv_cac"] == pytest.approx(75.0 / 30.0)
    assert d["cac"] == pytest.approx(130 / 3) and d["clv"] == pytest.approx(160.5 / 3)
    assert d["ratio"] == pytest.approx(160.5 / 130)


def test_empty_filter_result_does_not_crash(con):
    scope = apply_filters(con, Filters(channels=("catalogue",)))
    k = compute_kpis(con, table=scope, cac=10)
    assert (k["customers"], k["orders"], k["revenue"]) == (0, 0, 0.0)
    assert k["repeat_purchase_rate"] is None and k["retention_rate"] is None and k["clv_cac"] is None
    assert k["notes"] and "No orders" in k["notes"][0]
    json.loads(dumps(k))
    w = what_if(con, repeat_rate_points=5, table=scope)
    assert w["repeat_rate_scenario"] is None and w["notes"]


def test_kpis_are_json_ready(con):
    spend = pd.DataFrame({"month": [date(2024, 1, 1)], "spend": [10]})
    out = json.loads(dumps(compute_kpis(con, cac=5, marketing_spend=spend)))
    assert out["repurchase_within"]["30"]["customers_observed"] == 3


def test_what_if_from_the_shops_own_numbers(con):
    w = what_if(con, repeat_rate_points=3, retention_rate_points=10)
    # Window: the complete months January-March 2024.
    assert w["window"] == {"from": "2024-01-01", "to": "2024-04-01", "months": 3}
    i = w["inputs"]
    assert i["new_customers_per_month"] == pytest.approx(4 / 3)  # 2, 1, 1
    assert i["active_customers_per_month"] == 2.0
    assert i["monthly_retention_rate"] == 0.25  # Feb 1 of 2, Mar 0 of 2
    assert i["revenue_per_active_customer_month"] == pytest.approx((65.5 + 58 + 52) / 6)
    # No customer has a year of history: all repeat revenue (20 + 12 + 8 + 25) over 3 repeat customers.
    assert i["repeat_revenue_per_returning_customer"] == pytest.approx(65 / 3)
    rep = w["repeat_rate_scenario"]
    assert rep["extra_returning_customers_per_month"] == pytest.approx(0.03 * 4 / 3)
    assert rep["extra_revenue_12m"] == pytest.approx(0.03 * 4 / 3 * 12 * 65 / 3)
    # D_t = q D_(t-1) + d A with q = 0.35: sum over 12 months = dA/(1-q) * (12 - q (1 - q^12) / (1 - q)).
    d, a, q = 0.10, 2.0, 0.35
    total = d * a / (1 - q) * (12 - q * (1 - q**12) / (1 - q))
    ret = w["retention_rate_scenario"]
    assert ret["extra_returning_customers_per_month"] == pytest.approx(total / 12)
    assert ret["extra_revenue_12m"] == pytest.approx(total * 175.5 / 6)
    assert w["baseline_revenue_12m"] == pytest.approx(175.5 * 4)


def test_bad_input_is_a_user_error(con):
    with pytest.raises(UserInputError, match="period"):
        compute_kpis(con, period="fortnight")
    with pytest.raises(UserInputError, match="acquisition cost"):
        compute_kpis(con, cac=0)
    with pytest.raises(UserInputError, match="month and spend"):
        compute_kpis(con, marketing_spend=pd.DataFrame({"m": [1]}))
    with pytest.raises(UserInputError, match="percentage points"):
        what_if(con, repeat_rate_points=500)
