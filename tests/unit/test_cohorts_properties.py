"""Invariants of the cohort table and KPIs on random small shops (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retention.cohorts import cohort_table
from retention.db import connect
from retention.kpis import compute_kpis
from retention.schema import orders_ddl

START = datetime(2023, 12, 25)

line = st.tuples(
    st.integers(0, 6),  # customer
    st.integers(0, 11),  # order number within the customer
    st.integers(0, 200),  # days after START
    st.integers(0, 5000),  # cents
)


def shop(lines):
    con = connect()
    con.execute(orders_ddl())
    rows = []
    for cust, order, day, cents in lines:
        # One order keeps one timestamp: the first line drawn for it decides.
        rows.append((f"o{cust}-{order}", f"c{cust}", START + timedelta(days=day, hours=order), cents))
    first_ts = {}
    for oid, _c, ts, _v in rows:
        first_ts.setdefault(oid, ts)
    rows = [(oid, c, first_ts[oid], v) for oid, c, _ts, v in rows]
    con.executemany(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue) "
        "VALUES (?, ?, ?, CAST(? AS DECIMAL(18,2)) / 100)",
        rows,
    )
    return con, rows


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(line, min_size=1, max_size=30), st.sampled_from(["week", "month", "quarter"]))
def test_cohort_table_invariants(lines, period):
    con, rows = shop(lines)
    on = cohort_table(con, period=period)
    after = cohort_table(con, period=period, mode="on_or_after")
    n_orders = len({r[0] for r in rows})
    n_customers = len({r[1] for r in rows})
    assert on["orders"].sum() == n_orders
    assert np.isclose(on["revenue"].sum(), sum(r[3] for r in rows) / 100)
    assert on.groupby("cohort")["cohort_size"].first().sum() == n_customers
    assert (on.loc[on["period"] == 0, "retention"] == 1.0).all()
    assert (after["active_customers"].to_numpy() >= on["active_customers"].to_numpy()).all()
    assert ((on["retention_low"] <= on["retention"]) & (on["retention"] <= on["retention_high"])).all()
    for _cohort, g in on.groupby("cohort"):
        assert (np.diff(g["repeat_share"].to_numpy()) >= 0).all()
        assert (np.diff(g["cumulative_revenue_per_customer"].to_numpy()) >= -1e-9).all()
        assert (np.diff(after.loc[g.index, "active_customers"].to_numpy()) <= 0).all()
    k = compute_kpis(con, period=period)
    assert (k["customers"], k["orders"]) == (n_customers, n_orders)
    repeaters = sum(1 for c in {r[1] for r in rows} if len({r[0] for r in rows if r[1] == c}) >= 2)
    assert np.isclose(k["repeat_purchase_rate"], repeaters / n_customers)
    con.close()
