"""Cohort tables of the hand-made shop (tests/unit/_orders_handmade.py): every number worked out by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from _orders_handmade import handmade_connection

from retention.cohorts import (
    COHORT_COLUMNS,
    cohort_average,
    cohort_customers,
    cohort_matrix,
    cohort_table,
    revenue_layer_cake,
    wilson_interval,
)
from retention.errors import UserInputError
from retention.filters import Filters, apply_filters


@pytest.fixture()
def con():
    c = handmade_connection()
    yield c
    c.close()


def rows(table, cohort):
    return table[table["cohort"] == cohort].set_index("period")


def test_monthly_cohort_table_by_hand(con):
    t = cohort_table(con)
    assert list(t.columns) == COHORT_COLUMNS
    jan, feb, mar = rows(t, "2024-01-01"), rows(t, "2024-02-01"), rows(t, "2024-03-01")
    # January: A and B. A's two orders on 5 January are two orders of one active customer; B's order at
    # 23:59:59 on 31 January is January, his next at 00:00 on 1 February is period 1.
    assert jan["cohort_size"].tolist() == [2, 2, 2, 2]
    assert jan["active_customers"].tolist() == [2, 1, 1, 0]
    assert jan["orders"].tolist() == [3, 1, 1, 0]
    assert jan["revenue"].tolist() == [65.5, 8.0, 12.0, 0.0]
    assert jan["cumulative_revenue_per_customer"].tolist() == [32.75, 36.75, 42.75, 42.75]
    assert jan["retention"].tolist() == [1.0, 0.5, 0.5, 0.0]
    # A repeated in January (second order the same day), B in February.
    assert jan["repeat_share"].tolist() == [0.5, 1.0, 1.0, 1.0]
    # as_of = 15 April: April is not over.
    assert jan["complete"].tolist() == [True, True, True, False]
    # February: C alone, a cohort of one.
    assert feb["active_customers"].tolist() == [1, 0, 1]
    assert feb["revenue"].tolist() == [50.0, 0.0, 25.0]
    assert feb["cumulative_revenue_per_customer"].tolist() == [50.0, 50.0, 75.0]
    assert feb["repeat_share"].tolist() == [0.0, 0.0, 1.0]
    assert feb["complete"].tolist() == [True, True, False]
    assert mar["active_customers"].tolist() == [1, 0]
    assert len(t) == 4 + 3 + 2


def test_on_or_after_counts_customers_not_yet_seen_for_the_last_time(con):
    t = cohort_table(con, mode="on_or_after")
    # A's last order is in period 2, B's in period 1.
    assert rows(t, "2024-01-01")["active_customers"].tolist() == [2, 2, 1, 0]
    assert rows(t, "2024-02-01")["active_customers"].tolist() == [1, 1, 1]
    # orders and revenue stay those placed in the period
    assert rows(t, "2024-01-01")["orders"].tolist() == [3, 1, 1, 0]


def test_wilson_interval_matches_published_values():
    # Newcombe (1998), Table I: 0/10 -> 0 to 0.2775; 5/10 -> 0.2366 to 0.7634 (Wilson score, 95%).
    low, high = wilson_interval([0, 5], [10, 10])
    np.testing.assert_allclose(low, [0.0, 0.2366], atol=5e-5)
    np.testing.assert_allclose(high, [0.2775, 0.7634], atol=5e-5)


def test_wilson_interval_is_exactly_0_or_1_at_none_or_all():
    # 0 of 72 and 72 of 72 (the CSV printed a lower bound of 3.5e-18 for 0 of 72)
    low, high = wilson_interval([0, 72], [72, 72])
    assert (low[0], high[1]) == (0.0, 1.0)
    np.testing.assert_allclose([high[0], low[1]], [0.05065, 0.94935], atol=5e-6)


def test_cohort_of_one_has_a_wide_interval(con):
    feb = rows(cohort_table(con), "2024-02-01")
    # 1 of 1: the Wilson interval still reaches down to 0.2065: one customer proves little.
    assert feb.loc[0, "retention_low"] == pytest.approx(0.20655, abs=1e-4)
    assert feb.loc[0, "retention_high"] == pytest.approx(1.0)
    # 0 of 1
    assert feb.loc[1, "retention_low"] == pytest.approx(0.0)
    assert feb.loc[1, "retention_high"] == pytest.approx(0.79345, abs=1e-4)


def test_weekly_cohorts_and_boundaries(con):
    t = cohort_table(con, period="week")
    # B's orders (Wed 31 Jan and Thu 1 Feb 2024) fall in the week starting Monday 29 January: period 0.
    b = rows(t, "2024-01-29")
    assert b.loc[0, "orders"] == 2 and b.loc[0, "repeat_share"] == 1.0
    # A's first week starts Monday 1 January; A3 on Friday 1 March is 8 weeks later.
    a = rows(t, "2024-01-01")
    assert a.loc[0, "orders"] == 2 and a.loc[8, "orders"] == 1
    assert a["active_customers"].sum() == 2


def test_quarterly_and_yearly_cohorts(con):
    q = cohort_table(con, period="quarter")
    q1 = rows(q, "2024-01-01")
    assert q1["cohort_size"].tolist() == [4, 4]
    assert q1["active_customers"].tolist() == [4, 1]
    assert q1["complete"].tolist() == [True, False]
    y = cohort_table(con, period="year")
    assert y["orders"].tolist() == [8] and y["revenue"].tolist() == [200.5]


def test_as_of_cuts_later_orders(con):
    t = cohort_table(con, as_of=date(2024, 2, 29))
    assert sorted(t["cohort"].unique()) == ["2024-01-01", "2024-02-01"]
    assert rows(t, "2024-01-01")["complete"].tolist() == [True, True]
    assert t["revenue"].sum() == pytest.approx(65.5 + 8 + 50)


def test_average_row_pools_complete_cells(con):
    avg = cohort_average(cohort_table(con)).set_index("period")
    # period 0: 4 of 4; period 1: Jan 1/2 + Feb 0/1 (March's April cell is incomplete); period 2: Jan 1/2.
    assert avg["retention"].tolist() == [1.0, pytest.approx(1 / 3), 0.5]
    assert avg["cohorts"].tolist() == [3, 2, 1]
    # cumulative revenue per customer, period 1: (36.75 * 2 + 50 * 1) / 3
    assert avg.loc[1, "cumulative_revenue_per_customer"] == pytest.approx((36.75 * 2 + 50) / 3)


def test_matrix_pivots_and_masks_incomplete(con):
    t = cohort_table(con)
    m = cohort_matrix(t, "active_customers")
    assert m.loc["2024-01-01", 2] == 1 and np.isnan(m.loc["2024-03-01", 2])
    masked = cohort_matrix(t, "retention", complete_only=True)
    assert np.isnan(masked.loc["2024-01-01", 3]) and masked.loc["2024-01-01", 1] == 0.5
    with pytest.raises(UserInputError, match="metric"):
        cohort_matrix(t, "nope")


def test_split_by_first_discount_code(con):
    t = cohort_table(con, split_by="discount_code")
    assert list(t.columns) == ["segment"] + COHORT_COLUMNS
    none = t[t["segment"] == "(none)"]  # A (January) and D (March: blank code)
    welcome = t[t["segment"] == "WELCOME"]  # B (January) and C (February)
    assert none.groupby("cohort")["cohort_size"].first().to_dict() == {"2024-01-01": 1, "2024-03-01": 1}
    assert welcome.groupby("cohort")["cohort_size"].first().to_dict() == {"2024-01-01": 1, "2024-02-01": 1}
    # B's second order has no code, but he stays in the segment of his first order.
    assert rows(welcome, "2024-01-01")["active_customers"].tolist() == [1, 1, 0, 0]


def test_split_by_product_takes_the_main_line_of_the_first_order(con):
    t = cohort_table(con, split_by="product")
    # A's first order: Mug 10.00 and Spoon 5.50 -> Mug.
    assert sorted(t["segment"].unique()) == ["Mug", "Tea"]
    assert rows(t[t["segment"] == "Mug"], "2024-01-01").loc[0, "cohort_size"] == 1


def test_revenue_layer_cake(con):
    cake = revenue_layer_cake(con)
    got = {(r.period_start, r.cohort): r.revenue for r in cake.itertuples()}
    assert got == {
        ("2024-01-01", "2024-01-01"): 65.5,
        ("2024-02-01", "2024-01-01"): 8.0,
        ("2024-02-01", "2024-02-01"): 50.0,
        ("2024-03-01", "2024-01-01"): 12.0,
        ("2024-03-01", "2024-03-01"): 40.0,
        ("2024-04-01", "2024-02-01"): 25.0,
    }


def test_cohort_customers_lists_the_cell(con):
    on = cohort_customers(con, "2024-01-01", 1)
    assert on["customer_id"].tolist() == ["B"]
    assert on.loc[0, "orders_in_period"] == 1 and on.loc[0, "revenue_in_period"] == 8.0
    after = cohort_customers(con, "2024-01-01", 1, mode="on_or_after")
    assert after["customer_id"].tolist() == ["A", "B"]
    seg = cohort_customers(con, "2024-01-01", 0, split_by="discount_code", segment="WELCOME")
    assert seg["customer_id"].tolist() == ["B"]


def test_empty_filter_result_gives_zero_rows(con):
    scope = apply_filters(con, Filters(countries=("XX",)))
    t = cohort_table(con, table=scope)
    assert len(t) == 0 and list(t.columns) == COHORT_COLUMNS
    assert len(cohort_average(t)) == 0
    assert len(revenue_layer_cake(con, table=scope)) == 0
    assert len(cohort_customers(con, "2024-01-01", 0, table=scope)) == 0


def test_bad_options_say_what_to_do(con):
    with pytest.raises(UserInputError, match="period"):
        cohort_table(con, period="day")
    with pytest.raises(UserInputError, match="on_or_after"):
        cohort_table(con, mode="later")
    with pytest.raises(UserInputError, match="split"):
        cohort_table(con, split_by="email")
