"""Lifecycle segments, segment summary and migration on hand-made customers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from _orders import orders_from_rows

from retention.errors import UserInputError
from retention.segments import (
    LIFECYCLE_SEGMENTS,
    SUMMARY_COLUMNS,
    LifecycleRules,
    assign_lifecycle_segments,
    playbook,
    rfm_segments,
    segment_migration,
    segment_summary,
)

WINDOW = 100  # churn window: at risk after 100 days, lost after 200, new within 30

# (orders, recency_days, tenure_days, m_score) -> segment, at each rule's edge.
LIFECYCLE_CASES = [
    ((1, 30, 30), 1, "New customers"),  # first order exactly 30 days ago
    ((2, 5, 30), 5, "New customers"),  # new wins over repeat
    ((1, 31, 31), 1, "One-time buyers"),
    ((1, 200, 400), 5, "One-time buyers"),  # one order, 200 days: not yet lost, never "at risk"
    ((1, 201, 400), 5, "Lost"),
    ((5, 201, 900), 5, "Lost"),  # lost wins over loyal
    ((2, 101, 400), 1, "At risk"),
    ((6, 200, 900), 5, "At risk"),
    ((2, 100, 400), 1, "Repeat customers"),  # 100 days: not past the window
    ((3, 100, 400), 4, "Loyal high-value"),
    ((3, 10, 400), 3, "Repeat customers"),  # M 3: not high value
    ((2, 10, 400), 5, "Repeat customers"),  # 2 orders: not loyal
]


@pytest.mark.parametrize(("history", "m", "segment"), LIFECYCLE_CASES)
def test_lifecycle_rule_edges(history, m, segment):
    orders, recency, tenure = history
    got = assign_lifecycle_segments(
        orders=[orders], recency_days=[recency], tenure_days=[tenure], m_score=[m], window_days=WINDOW
    )
    assert got[0] == segment


def test_lifecycle_thresholds_can_be_set():
    rules = LifecycleRules(new_days=7, at_risk_after_days=60, lost_after_days=90, loyal_min_orders=2)
    got = assign_lifecycle_segments(
        orders=[1, 2, 2, 2],
        recency_days=[8, 61, 91, 10],
        tenure_days=[8, 300, 300, 300],
        m_score=[1, 1, 1, 4],
        window_days=WINDOW,
        rules=rules,
    )
    assert list(got) == ["One-time buyers", "At risk", "Lost", "Loyal high-value"]


def _customers() -> pd.DataFrame:
    # 5 customers: two Champions, one Dormant, churn tiers and CLV chosen for easy sums.
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "orders": [4, 6, 1, 2, 1],
            "revenue": [400.0, 200.0, 50.0, 100.0, 250.0],
            "predicted_clv": [100.0, 300.0, 0.0, 20.0, 10.0],
            "rfm_group": ["Champions", "Champions", "Dormant", "At risk", "New"],
            "lifecycle_segment": ["Loyal high-value", "Loyal high-value", "Lost", "At risk", "New customers"],
            "churn_risk": ["low", "medium", "high", "high", "low"],
        }
    )


def test_segment_summary_numbers_by_hand():
    out = segment_summary(_customers(), by="rfm")
    assert tuple(out.columns) == SUMMARY_COLUMNS
    assert out["segment"].tolist()[:3] == ["Champions", "Loyal", "Active"]  # every group, rule order
    champ = out.set_index("segment").loc["Champions"]
    assert champ["customers"] == 2 and champ["share"] == pytest.approx(0.4)
    assert champ["revenue"] == 600.0 and champ["revenue_share"] == pytest.approx(0.6)
    assert champ["orders_per_customer"] == 5.0 and champ["aov"] == pytest.approx(60.0)
    assert champ["avg_predicted_clv"] == 200.0
    assert (champ["churn_low_share"], champ["churn_medium_share"], champ["churn_high_share"]) == (0.5, 0.5, 0.0)
    loyal = out.set_index("segment").loc["Loyal"]
    assert loyal["customers"] == 0 and np.isnan(loyal["aov"])
    assert out["customers"].sum() == 5 and out["share"].sum() == pytest.approx(1.0)


def test_segment_summary_by_lifecycle_and_churn_in_italian():
    life = segment_summary(_customers(), by="lifecycle", language="it")
    assert life["segment"].tolist() == list(LIFECYCLE_SEGMENTS)
    one_time = life.set_index("segment").loc["One-time buyers"]
    assert one_time["channel"] == "Retargeting social" and "secondo ordine" in one_time["recommended_action"]
    risk = segment_summary(_customers(), by="churn_risk")
    assert risk["segment"].tolist() == ["low", "medium", "high"]
    assert risk["customers"].tolist() == [2, 1, 2]
    assert risk.set_index("segment").loc["high", "revenue"] == 150.0


def test_playbook_covers_the_research_actions():
    assert "exclusive offers by email" in playbook("lifecycle", "Repeat customers")[1]
    assert playbook("lifecycle", "One-time buyers")[0] == "Social retargeting"
    assert "Personal win-back" in playbook("lifecycle", "At risk")[1]
    assert "anniversary" in playbook("lifecycle", "Loyal high-value")[1]
    assert "Cross-sell and upsell" in playbook("lifecycle", "Loyal high-value")[1]
    for by, names in (("rfm", None), ("lifecycle", LIFECYCLE_SEGMENTS), ("churn_risk", ("low", "medium", "high"))):
        from retention.segments import segment_names

        for name in names or segment_names(by):
            for lang in ("en", "it"):
                channel, action = playbook(by, name, lang)
                assert channel and action


def test_segment_summary_errors():
    with pytest.raises(UserInputError, match="rfm, lifecycle or churn_risk"):
        segment_summary(_customers(), by="colour")
    with pytest.raises(UserInputError, match="lacks rfm_group"):
        segment_summary(_customers().drop(columns="rfm_group"), by="rfm")


def test_migration_between_lifecycle_segments():
    rows = [
        # a: one order in January, a second in June -> One-time buyers in March, Repeat in June
        ("a1", "a", "2024-01-05 10:00", 20.0),
        ("a2", "a", "2024-06-25 10:00", 20.0),
        # b: one order in January only -> One-time buyers then One-time buyers (161 days <= 200)
        ("b1", "b", "2024-01-20 10:00", 20.0),
        # c: first order in June -> (not yet a customer) -> New customers
        ("c1", "c", "2024-06-20 10:00", 20.0),
        # d: orders in February -> New in March (tenure 24 days) -> At risk in June? 2 orders, 120 days
        ("d1", "d", "2024-02-05 10:00", 20.0),
        ("d2", "d", "2024-02-28 10:00", 20.0),
        # e: last order on the last day, first in 2023
        ("e1", "e", "2023-12-01 10:00", 20.0),
        ("e2", "e", "2024-06-30 10:00", 20.0),
    ]
    con = orders_from_rows(rows)
    out = segment_migration(con, since=date(2024, 3, 1), by="lifecycle", window_days=100)
    pairs = {(r.from_segment, r.to_segment): r.customers for r in out.itertuples()}
    assert pairs == {
        ("New customers", "At risk"): 1,  # d
        ("One-time buyers", "Repeat customers"): 2,  # a (and e: 1 order at 2024-03-01, 91 days)
        ("One-time buyers", "One-time buyers"): 1,  # b
        ("(not yet a customer)", "New customers"): 1,  # c
    }
    assert out["customers"].sum() == 5
    shares = out.set_index(["from_segment", "to_segment"])["share_of_from"]
    assert shares[("One-time buyers", "Repeat customers")] == pytest.approx(2 / 3)


def test_rfm_segments_columns():
    rows = [("a1", "a", "2024-01-05 10:00", 20.0), ("b1", "b", "2024-01-06 10:00", 30.0)]
    out = rfm_segments(orders_from_rows(rows), window_days=100)
    # two customers: the later one ranks 2nd of 2 -> 1 + 1 * 5 // 2 = 3
    assert out["rfm_score"].tolist() == ["111", "313"]
    assert out["rfm_group"].tolist() == ["Dormant", "Promising"]
    with pytest.raises(UserInputError, match="before the last order day"):
        segment_migration(orders_from_rows(rows), since=date(2024, 2, 1))


def test_risk_tier_and_rfm_grid_counts_by_hand():
    import pandas as pd

    from retention.segments import rfm_grid_counts, risk_tier_counts

    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "churn_risk": ["high", "high", "low", "medium"],
            "r_score": [5, 5, 1, 1],
            "f_score": [1, 1, 1, 2],
            "revenue": [10.0, 30.0, 5.0, 7.0],
        }
    )
    tiers = risk_tier_counts(customers).set_index("tier")
    assert tiers["customers"].to_dict() == {"high": 2, "low": 1, "medium": 1}
    assert tiers.loc["high", "share"] == 0.5
    grid = rfm_grid_counts(customers).set_index(["r_score", "f_score"])
    assert grid.loc[(5, 1), "customers"] == 2 and grid.loc[(5, 1), "avg_revenue"] == 20.0
    assert grid.loc[(1, 2), "customers"] == 1
