"""The bundled demo shop (a Shopify export) against an independent pandas computation.

Net merchandise revenue of an order is max(Subtotal - Refunded Amount, 0), read from the order's
first line; cancelled and voided orders and orders with neither email nor phone are left out.
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
    kept = ~cancelled & has_identity

    con = connect()
    report = load_orders(con, [DEMO])
    assert report.format == "shopify"
    assert report.rows_in == len(df)
    assert report.orders == int(kept.sum())
    assert report.revenue == pytest.approx(round(float(net[kept].sum()), 2), abs=0.005)
    per_order = dict(con.execute("SELECT order_id, sum(revenue) FROM orders GROUP BY order_id").fetchall())
    sample = net[kept].head(200)
    assert all(float(per_order[name]) == pytest.approx(value, abs=0.005) for name, value in sample.items())
