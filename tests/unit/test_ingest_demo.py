"""The bundled demo shop (a Shopify export) against an independent pandas computation.

Net merchandise revenue of an order is max(Subtotal - Refunded Amount, 0), read from the order's
first line; cancelled and voided orders, test orders (Shopify's Bogus Gateway or a `test` tag) and
orders with neither email nor phone are left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from retention.db import connect
from retention.ingest import load_orders

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_orders.csv"


@pytest.mark.skipif(not DEMO.exists(), reason="demo data not generated")
def test_demo_shop_matches_independent_order_totals():
    df = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    orders = df.drop_duplicates("Name").set_index("Name")
    cancelled = (orders["Cancelled at"] != "") | orders["Financial Status"].str.lower().isin(["voided", "failed"])
    has_identity = (orders["Email"].str.strip() != "") | (orders["Phone"].str.strip() != "")
    refunded = pd.to_numeric(orders["Refunded Amount"].replace("", "0"))
    net = (pd.to_numeric(orders["Subtotal"]) - refunded).clip(lower=0)
    test = (orders["Payment Method"].str.lower() == "bogus") | (orders["Tags"].str.lower() == "test")
    kept = ~cancelled & ~test & has_identity

    con = connect()
    report = load_orders(con, [DEMO])
    assert report.format == "shopify"
    assert report.rows_in == len(df)
    assert report.orders == int(kept.sum())
    # the generator writes exactly 3 Bogus Gateway test orders of one line each (#7502-#7504)
    assert int((test & ~cancelled).sum()) == 3
    assert report.dropped["test order"] == 3
    assert con.execute("SELECT count(*) FROM rejected_rows WHERE reason = 'test order'").fetchall() == [(3,)]
    assert report.revenue == pytest.approx(round(float(net[kept].sum()), 2), abs=0.005)
    per_order = dict(con.execute("SELECT order_id, sum(revenue) FROM orders GROUP BY order_id").fetchall())
    sample = net[kept].head(200)
    assert all(float(per_order[name]) == pytest.approx(value, abs=0.005) for name, value in sample.items())


@pytest.mark.skipif(not DEMO.exists(), reason="demo data not generated")
def test_demo_shop_names_split_from_billing_name():
    df = pd.read_csv(DEMO, dtype=str, keep_default_na=False)
    paid = df[
        (df["Billing Name"].str.count(" ") >= 2) & (df["Financial Status"] == "paid") & (df["Cancelled at"] == "")
    ]
    first = paid.iloc[0]  # a name of three words: the last name keeps two
    con = connect()
    load_orders(con, [DEMO])
    got = con.execute(
        "SELECT DISTINCT first_name, last_name FROM orders WHERE order_id = $o", {"o": first["Name"]}
    ).fetchall()
    given, _, family = first["Billing Name"].partition(" ")
    assert got == [(given, family)]
    # no product type column in the export: the Vendor is not a category
    assert con.execute("SELECT count(category) FROM orders").fetchall() == [(0,)]
