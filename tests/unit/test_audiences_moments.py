"""Moments: anniversaries, milestones, predicted next orders, overdue customers (as of 2024-06-10)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from retention.audiences import (
    first_order_anniversaries,
    order_milestone,
    overdue_customers,
    predicted_next_orders,
)
from retention.errors import UserInputError

AS_OF = date(2024, 6, 10)


def frame(rows: list[tuple[str, str, str, int, float]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=["customer_id", "first_order", "last_order", "orders", "expected_purchases"])
    return out.assign(first_order=pd.to_datetime(out["first_order"]), last_order=pd.to_datetime(out["last_order"]))


def test_anniversaries_in_the_next_30_days():
    customers = frame(
        [
            ("a", "2023-06-15", "2023-06-15", 1, 0.1),  # 1st anniversary in 5 days
            ("b", "2022-07-09", "2024-01-01", 2, 0.1),  # 2nd anniversary in 29 days
            ("c", "2023-07-11", "2023-07-11", 1, 0.1),  # in 31 days: outside
            ("d", "2023-06-10", "2023-06-10", 1, 0.1),  # today: already passed for this window
            ("e", "2024-06-12", "2024-06-12", 1, 0.1),  # first order after as_of... no anniversary yet
        ]
    )
    out = first_order_anniversaries(customers, within_days=30, as_of=AS_OF)
    assert out["customer_id"].tolist() == ["a", "b"]
    assert [str(d) for d in out["anniversary_date"]] == ["2024-06-15", "2024-07-09"]
    assert out["anniversary_years"].tolist() == [1, 2]


def test_leap_day_anniversary_falls_on_28_february():
    customers = frame([("leap", "2020-02-29", "2020-02-29", 1, 0.1)])
    out = first_order_anniversaries(customers, within_days=10, as_of=date(2025, 2, 20))
    assert [str(d) for d in out["anniversary_date"]] == ["2025-02-28"]
    assert out["anniversary_years"].tolist() == [5]


def test_milestone_next_order_is_the_nth():
    customers = frame([("a", "2024-01-01", "2024-02-01", 4, 1.0), ("b", "2024-01-01", "2024-02-01", 5, 1.0)])
    assert order_milestone(customers, n=5)["customer_id"].tolist() == ["a"]
    with pytest.raises(UserInputError):
        order_milestone(customers, n=1)


def test_predicted_next_order_from_cadence_and_from_expected_purchases():
    customers = frame(
        [
            ("cadence", "2024-01-01", "2024-04-30", 3, 2.0),  # every 120/2 = 60 days: 2024-06-29
            ("rate", "2024-05-01", "2024-05-01", 1, 36.5),  # 365 / 36.5 = 10 days after as_of: 2024-06-20
            ("slow", "2024-05-01", "2024-05-01", 1, 0.5),  # 730 days: outside
            ("late", "2024-01-01", "2024-02-01", 3, 2.0),  # every 15.5 days, due long ago: due tomorrow
        ]
    )
    out = predicted_next_orders(customers, within_days=30, as_of=AS_OF)
    assert dict(zip(out["customer_id"], map(str, out["predicted_next_order"]), strict=True)) == {
        "late": "2024-06-11",
        "rate": "2024-06-20",
        "cadence": "2024-06-29",
    }


def test_overdue_against_own_cadence():
    customers = frame(
        [
            ("late", "2024-01-01", "2024-02-01", 3, 2.0),  # cadence 15.5, 130 days since: 114.5 overdue
            ("fine", "2024-01-01", "2024-04-30", 3, 2.0),  # cadence 60, 41 days since: not overdue
            ("once", "2023-01-01", "2023-01-01", 1, 2.0),  # no cadence with one order
        ]
    )
    out = overdue_customers(customers, factor=1.5, as_of=AS_OF)
    assert out["customer_id"].tolist() == ["late"]
    assert out.loc[0, "cadence_days"] == pytest.approx(15.5)
    assert out.loc[0, "days_since_last_order"] == 130
    assert out.loc[0, "days_overdue"] == pytest.approx(114.5)
