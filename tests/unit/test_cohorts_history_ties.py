"""The order history's fast build (orders sorted by time on integer customer keys) against the
definition: orders of a customer ranked by (time, order_id). Orders at the same moment are where
the two could differ; the history must rebuild those customers exactly."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from retention.db import connect
from retention.history import order_history
from retention.schema import orders_ddl
from retention.sql import kpis

COLUMNS = ["customer_id", "order_no", "order_day", "first_day", "prev_day", "next_day", "revenue"]


def shop(rows):
    """rows: (order_id, customer_id, order_date or None, revenue text)."""
    con = connect()
    con.execute(orders_ddl())
    con.executemany(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue) "
        "VALUES (?, ?, CAST(? AS TIMESTAMP), CAST(? AS DECIMAL(18,2)))",
        rows,
    )
    return con


def history_rows(con) -> pd.DataFrame:
    name = order_history(con, with_customer_id=True)
    frame = con.execute(f'SELECT {", ".join(COLUMNS)} FROM "{name}"').df()
    return frame.sort_values(["customer_id", "order_no"]).reset_index(drop=True)


def pandas_history(rows) -> pd.DataFrame:
    """The definition, computed independently: orders (customer, order) with their earliest line,
    ranked per customer by (time, order_id), NaT last; previous / next / first order days."""
    lines = pd.DataFrame(rows, columns=["order_id", "customer_id", "ts", "revenue"])
    lines["ts"] = pd.to_datetime(lines["ts"])
    lines["revenue"] = lines["revenue"].astype(float)
    o = lines.groupby(["customer_id", "order_id"], as_index=False).agg(ts=("ts", "min"), revenue=("revenue", "sum"))
    o = o.sort_values(["customer_id", "ts", "order_id"], na_position="last").reset_index(drop=True)
    o["order_no"] = o.groupby("customer_id").cumcount() + 1
    o["order_day"] = o["ts"].dt.normalize()
    g = o.groupby("customer_id")["order_day"]
    o["first_day"], o["prev_day"], o["next_day"] = g.transform("first"), g.shift(1), g.shift(-1)
    return o[COLUMNS].sort_values(["customer_id", "order_no"]).reset_index(drop=True)


def assert_same(ours: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert len(ours) == len(expected)
    assert ours["customer_id"].tolist() == expected["customer_id"].tolist()
    assert ours["order_no"].tolist() == expected["order_no"].tolist()
    for col in ("order_day", "first_day", "prev_day", "next_day"):
        a = pd.to_datetime(ours[col]).tolist()
        b = pd.to_datetime(expected[col]).tolist()
        assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], col
    assert np.allclose(ours["revenue"].astype(float), expected["revenue"], rtol=0, atol=1e-9)


def test_orders_at_the_same_moment_are_ranked_by_order_id():
    # T: T2 and T1 at the same moment (T1 is first: order_id breaks the tie), then T3.
    # U: no tie. V: two orders at the same moment, lines split over two rows each.
    rows = [
        ("T2", "T", "2024-01-10 09:00:00", "5.00"),
        ("T1", "T", "2024-01-10 09:00:00", "7.00"),
        ("T3", "T", "2024-02-01 12:00:00", "11.00"),
        ("U1", "U", "2024-01-05 08:00:00", "3.00"),
        ("U2", "U", "2024-03-05 08:00:00", "4.00"),
        ("Vb", "V", "2024-02-20 00:00:00", "1.00"),
        ("Va", "V", "2024-02-20 00:00:00", "2.00"),
        ("Vb", "V", "2024-02-20 00:00:00", "0.50"),
        ("Va", "V", "2024-02-20 00:00:00", "0.25"),
    ]
    con = shop(rows)
    h = history_rows(con)
    t = h[h["customer_id"] == "T"]
    assert t["order_no"].tolist() == [1, 2, 3]
    assert t["revenue"].tolist() == [7.0, 5.0, 11.0]  # T1 (7.00) is the first order
    v = h[h["customer_id"] == "V"]
    assert v["revenue"].tolist() == [2.25, 1.5]  # Va before Vb
    assert_same(h, pandas_history(rows))
    # Repeat revenue per month counts what follows the first order: January 5.00 (T2), February
    # 11.00 (T3) + 1.50 (Vb), March 4.00 (U2).
    act = con.execute(kpis.activity_sql(order_history(con), "month"), {"as_of": date(2024, 3, 31)}).df()
    assert act["repeat_revenue"].tolist() == [5.0, 12.5, 4.0]


def test_date_only_export_with_many_ties_matches_the_definition():
    # Dates without times: every customer with two orders on one day is tied somewhere.
    rng = np.random.default_rng(11)
    rows = []
    for _i in range(400):
        customer = f"c{rng.integers(0, 60)}"
        day = date(2024, 1, 1) + timedelta(days=int(rng.integers(0, 20)))
        order = f"o{rng.integers(0, 10_000):05d}"
        for _line in range(int(rng.integers(1, 3))):
            rows.append((order, customer, f"{day} 00:00:00", f"{rng.integers(100, 9999) / 100:.2f}"))
    con = shop(rows)
    assert_same(history_rows(con), pandas_history(rows))


def test_orders_without_a_time_and_a_customer_without_an_id_follow_the_definition():
    base = datetime(2024, 5, 1, 10)
    rows = [
        ("A1", "A", str(base), "1.00"),
        ("A3", "A", None, "2.00"),
        ("A2", "A", None, "3.00"),
        ("N1", None, str(base + timedelta(days=1)), "4.00"),
        ("N2", None, str(base + timedelta(days=2)), "5.00"),
        ("E1", "", str(base), "6.00"),
    ]
    con = shop(rows)
    ours = history_rows(con)
    expected = pandas_history(rows)
    # pandas drops a NaN group key; compare the customers with an id, then the one without.
    assert_same(ours[ours["customer_id"].notna()].reset_index(drop=True), expected)
    none = ours[ours["customer_id"].isna()]
    assert none["order_no"].tolist() == [1, 2]
    assert none["revenue"].tolist() == [4.0, 5.0]
