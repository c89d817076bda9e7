"""churn_risk_share: the share of ACTIVE customers (an order in the last 365 days) in the high tier."""

from __future__ import annotations

import math

import pandas as pd

from retention.churn import ACTIVE_DAYS, churn_risk_share, judge_churn_risk


def handmade() -> pd.DataFrame:
    # days since the last order = T - recency: 0, 100, 364 (active), 365, 900 (not active)
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "T": [400, 100, 400, 365, 1000],
            "recency": [400, 0, 36, 0, 100],
            "churn_risk": ["low", "high", "medium", "high", "high"],
        }
    )


def test_share_counts_only_customers_with_an_order_in_the_last_365_days():
    assert ACTIVE_DAYS == 365
    # active: a, b, c; of them only b is high -> 1/3; d (365 days) and e (900) are not the base
    assert churn_risk_share(handmade()) == 1 / 3


def test_verdict_says_the_base_and_counts_it():
    verdict = judge_churn_risk(handmade())
    assert verdict["active_customers"] == 3
    assert verdict["level"] == "below"  # 33% > 28%
    assert "active customers (an order in the last 365 days)" in verdict["verdict"]
    assert "attivi" in judge_churn_risk(handmade(), language="it")["verdict"]


def test_no_active_customer_gives_nan_and_no_verdict_value():
    frame = handmade().iloc[3:]
    assert math.isnan(churn_risk_share(frame))
    assert judge_churn_risk(frame)["value"] is None
