"""RFM scores (rank-based, ties shared) and the Shopify-named RFM groups, checked by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from _orders import orders_from_rows

from retention.segments import RFM_GROUP_RULES, RfmGroupRule, assign_rfm_groups, rfm_group_rules_table
from retention.sql.segments import query_rfm_snapshot

# (R, F, M) -> group, at every edge of the rule table: FM = (F + M) / 2 at 2 / 2.5 and 3.5 / 4,
# R at 5 / 4, 3 / 2 and 2 / 1.
BOUNDARY_CASES = [
    ((5, 5, 5), "Champions"),
    ((5, 4, 4), "Champions"),  # FM 4: lowest Champions
    ((5, 3, 4), "Active"),  # FM 3.5
    ((5, 2, 3), "Active"),  # FM 2.5
    ((5, 2, 2), "New"),  # FM 2
    ((5, 1, 1), "New"),
    ((4, 5, 5), "Loyal"),
    ((4, 4, 4), "Loyal"),
    ((3, 5, 3), "Loyal"),  # R 3, FM 4: lowest Loyal
    ((4, 4, 3), "Active"),  # R 4, FM 3.5
    ((4, 3, 2), "Active"),  # R 4, FM 2.5
    ((4, 2, 2), "Promising"),  # R 4, FM 2
    ((4, 1, 2), "Promising"),
    ((3, 4, 3), "Needs attention"),  # R 3, FM 3.5
    ((3, 2, 3), "Needs attention"),  # R 3, FM 2.5
    ((3, 2, 2), "Promising"),  # R 3, FM 2
    ((3, 1, 1), "Promising"),
    ((2, 5, 5), "Previously loyal"),
    ((2, 4, 4), "Previously loyal"),  # R 2, FM 4
    ((1, 5, 3), "Previously loyal"),  # R 1, FM 4
    ((2, 4, 3), "At risk"),  # FM 3.5
    ((2, 2, 3), "At risk"),  # FM 2.5
    ((1, 3, 4), "At risk"),
    ((1, 3, 2), "At risk"),
    ((2, 2, 2), "Almost lost"),  # R 2, FM 2
    ((2, 1, 1), "Almost lost"),
    ((1, 2, 2), "Dormant"),  # R 1, FM 2
    ((1, 1, 1), "Dormant"),
]


@pytest.mark.parametrize(("rfm", "group"), BOUNDARY_CASES, ids=[f"{a}{b}{c}" for (a, b, c), _ in BOUNDARY_CASES])
def test_rfm_group_at_each_boundary(rfm, group):
    r, f, m = rfm
    assert assign_rfm_groups([r], [f], [m])[0] == group


def test_every_rfm_cell_has_exactly_one_group():
    cells = [(r, f, m) for r in range(1, 6) for f in range(1, 6) for m in range(1, 6)]
    r, f, m = (np.array(v) for v in zip(*cells, strict=True))
    fm = (f + m) / 2
    hits = np.array([rule.matches(r, fm) for rule in RFM_GROUP_RULES]).sum(axis=0)
    assert (hits == 1).all()
    assert set(assign_rfm_groups(r, f, m)) == {rule.name for rule in RFM_GROUP_RULES}


def test_rules_are_data_that_can_be_overridden():
    vip_first = [RfmGroupRule("VIP", 4, 5, 4.5, 5.0, "top"), *RFM_GROUP_RULES]
    groups = assign_rfm_groups([5, 5, 1], [5, 4, 1], [5, 4, 1], rules=vip_first)
    assert list(groups) == ["VIP", "Champions", "Dormant"]
    assert list(assign_rfm_groups([3], [3], [3], rules=[RfmGroupRule("Only", 5, 5, 5, 5)])) == ["Unclassified"]
    table = rfm_group_rules_table()
    assert table.loc[table["group"] == "Loyal", ["r_score", "fm_score"]].values.tolist() == [["3-4", "4-5"]]


def test_scores_share_ties_and_follow_the_rank_formula():
    # Ten customers; orders per customer 1,1,1,1,1,1,2,2,3,5. score = 1 + (rank - 1) * 5 // 10.
    rows = []
    counts = [1, 1, 1, 1, 1, 1, 2, 2, 3, 5]
    for i, k in enumerate(counts):
        for j in range(k):
            # Last orders on 2024-01-01 + i days (customer 9 latest); amounts 10 * (i + 1) per order.
            rows.append((f"o{i}-{j}", f"c{i}", f"2024-01-{1 + i:02d} 1{j}:00:00", 10.0 * (i + 1)))
    # A second line of the same order: one order, revenue summed.
    rows.append(("o0-0", "c0", "2024-01-01 10:00:00", 5.0))
    con = orders_from_rows(rows)
    snap = query_rfm_snapshot(con, as_of=date(2024, 1, 31)).set_index("customer_id")
    assert snap.loc["c0", "orders"] == 1 and float(snap.loc["c0", "revenue"]) == 15.0
    # F: six one-order customers share F = 1 (rank 1); two-order customers rank 7 -> 1 + 30 // 10 = 4;
    # three orders rank 9 -> 1 + 40 // 10 = 5; five orders rank 10 -> 5.
    assert snap["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    # R: every last order day differs, ranks 1..10 -> 1,1,2,2,3,3,4,4,5,5.
    assert snap["r_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Recency in days from the last order day to 2024-01-31.
    assert snap.loc["c0", "recency_days"] == 30 and snap.loc["c9", "recency_days"] == 21
    # M: revenue 15, 20, 30, 40, ..., 100 x 1 order ... all distinct -> ranks 1..10.
    assert snap["m_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_scores_equal_values_share_a_score_whatever_the_row_order():
    # Four customers with the same revenue and day tie on R and M: all share the lowest rank's score.
    rows = [(f"o{i}", f"c{i}", "2024-02-01 12:00:00", 50.0) for i in range(4)]
    rows.append(("o9", "c9", "2024-02-10 12:00:00", 80.0))
    snap = query_rfm_snapshot(orders_from_rows(rows), as_of=date(2024, 2, 10))
    assert snap["r_score"].tolist() == [1, 1, 1, 1, 5]
    assert snap["m_score"].tolist() == [1, 1, 1, 1, 5]
    assert snap["f_score"].tolist() == [1, 1, 1, 1, 1]


def test_snapshot_ignores_orders_after_the_date():
    rows = [("a", "c1", "2024-01-01 09:00:00", 10.0), ("b", "c1", "2024-03-01 09:00:00", 10.0)]
    snap = query_rfm_snapshot(orders_from_rows(rows), as_of=date(2024, 2, 1))
    assert snap["orders"].tolist() == [1] and snap["recency_days"].tolist() == [31]
