"""The customer summary SQL: a hand-made shop, and the published CDNOW summary from raw rows."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retention import clv
from retention.db import connect
from retention.errors import UserInputError
from retention.schema import orders_ddl
from retention.sql.clv import query_customer_summary

CDNOW = Path(__file__).resolve().parents[1] / "fixtures" / "cdnow"


def orders_connection(rows: list[dict]):
    """A connection whose canonical `orders` table holds `rows` (missing columns NULL)."""
    con = connect()
    con.execute(orders_ddl())
    frame = pd.DataFrame(rows)
    con.register("incoming", frame)
    cols = ", ".join(frame.columns)
    con.execute(f"INSERT INTO orders ({cols}) SELECT {cols} FROM incoming")
    con.unregister("incoming")
    return con


SHOP = [
    # Ann: two orders on 1 March (one transaction), one on 11 March, one on 31 March (the end)
    dict(order_id="1", customer_id="ann", order_date="2024-03-01 09:00", revenue=10.00, email="a@old.it"),
    dict(order_id="1", customer_id="ann", order_date="2024-03-01 09:00", revenue=5.00, email="a@old.it"),
    dict(order_id="2", customer_id="ann", order_date="2024-03-01 18:00", revenue=20.00, email=None),
    dict(order_id="3", customer_id="ann", order_date="2024-03-11 12:00", revenue=30.00, email="a@new.it"),
    dict(order_id="4", customer_id="ann", order_date="2024-03-31 23:59", revenue=-6.00, email=None, phone="+39 06 1"),
    # Bob: one order only
    dict(order_id="5", customer_id="bob", order_date="2024-03-21 10:00", revenue=42.50, email="b@x.it"),
]


def test_summary_of_a_hand_made_shop():
    con = orders_connection(SHOP)
    s = clv.customer_summary(con).set_index("customer_id")
    ann, bob = s.loc["ann"], s.loc["bob"]
    assert ann["orders"] == 4  # distinct order ids, not lines
    assert ann["revenue"] == pytest.approx(59.0)
    assert ann["frequency"] == 2  # three purchase days: 1, 11 and 31 March
    assert ann["recency"] == 30
    assert ann["T"] == 30  # the end is the last order date; a purchase on it counts
    assert ann["monetary_value"] == pytest.approx((30.0 - 6.0) / 2)  # mean of the repeat days
    assert pd.Timestamp(ann["first_order"]) == pd.Timestamp("2024-03-01")
    assert (bob["frequency"], bob["recency"], bob["T"], bob["monetary_value"]) == (0, 0, 10, 0.0)
    assert list(s.reset_index().columns[:9]) == list(clv.SUMMARY_COLUMNS)


def test_observation_and_calibration_end_cut_the_history():
    con = orders_connection(SHOP)
    later = clv.customer_summary(con, observation_end=date(2024, 4, 30)).set_index("customer_id")
    assert later.loc["bob", "T"] == 40 and later.loc["ann", "T"] == 60
    cut = clv.customer_summary(con, calibration_end=date(2024, 3, 15)).set_index("customer_id")
    assert list(cut.index) == ["ann"]  # Bob was not a customer yet
    assert (cut.loc["ann", "frequency"], cut.loc["ann", "T"], cut.loc["ann", "revenue"]) == (1, 14, 65.0)


def test_contacts_come_from_the_most_recent_order_that_has_them():
    con = orders_connection(SHOP)
    s = query_customer_summary(con, with_contacts=True).set_index("customer_id")
    assert s.loc["ann", "email"] == "a@new.it"  # the 31 March order has no email
    assert s.loc["ann", "phone"] == "+39 06 1"
    assert s.loc["bob", "email"] == "b@x.it"


def test_bad_dates_are_plain_user_errors():
    con = orders_connection(SHOP)
    with pytest.raises(UserInputError, match="before the first order"):
        clv.customer_summary(con, observation_end=date(2020, 1, 1))
    with pytest.raises(UserInputError, match="leaves no orders to test against"):
        clv.customer_summary(con, calibration_end=date(2024, 3, 31))
    empty = connect()
    empty.execute(orders_ddl())
    with pytest.raises(UserInputError, match="no orders"):
        clv.customer_summary(empty)


def cdnow_connection():
    """The raw CDNOW rows (with header) as canonical orders: one order per row."""
    con = connect()
    con.execute(orders_ddl())
    con.execute(
        """
        INSERT INTO orders (order_id, customer_id, order_date, revenue, quantity)
        SELECT 'r' || CAST(row_number() OVER (ORDER BY id, date, spent, cds_bought) AS VARCHAR),
               CAST(id AS VARCHAR), strptime(CAST(date AS VARCHAR), '%Y%m%d'), spent, cds_bought
        FROM read_csv($path)
        """,
        {"path": str(CDNOW / "cdnow_sample_transactions.csv")},
    )
    return con


def test_raw_cdnow_rebuilds_the_published_summary():
    con = cdnow_connection()
    ours = clv.customer_summary(con, calibration_end=date(1997, 9, 30))
    published = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    merged = published.merge(ours.assign(ID=ours["customer_id"].astype(int)), on="ID", validate="1:1")
    assert len(merged) == 2357
    assert (merged["x"] == merged["frequency"]).all()
    np.testing.assert_allclose(merged["recency"] / 7, merged["t_x"], atol=0.006)
    np.testing.assert_allclose(merged["T_y"] / 7, merged["T_x"], atol=0.006)
    np.testing.assert_allclose(merged["monetary_value"], merged["zbar"], atol=0.006)


def test_contacts_tie_at_the_same_timestamp_goes_to_the_later_line_of_the_file():
    # Two lines at the very same time with different emails: the one further down the file wins,
    # whatever order the rows are stored or scanned in (8 shuffles, 2 threads).
    rows = [
        dict(order_id="1", customer_id="cat", order_date="2024-05-01 10:00", revenue=1.0, email="first@x.it",
             source_file="f.csv", source_row=2),
        dict(order_id="2", customer_id="cat", order_date="2024-05-01 10:00", revenue=1.0, email="second@x.it",
             source_file="f.csv", source_row=3),
        dict(order_id="0", customer_id="cat", order_date="2024-04-01 10:00", revenue=1.0, email="old@x.it",
             source_file="f.csv", source_row=9),
    ]  # fmt: skip
    for seed in range(8):
        shuffled = [rows[i] for i in np.random.default_rng(seed).permutation(len(rows))]
        s = query_customer_summary(orders_connection(shuffled), with_contacts=True).set_index("customer_id")
        assert s.loc["cat", "email"] == "second@x.it"
