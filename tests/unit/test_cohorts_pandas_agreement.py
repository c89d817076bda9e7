"""The cohort table and KPIs against an independent pandas computation on simulated shoppers."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from retention.cohorts import cohort_table
from retention.db import connect
from retention.kpis import compute_kpis
from retention.schema import orders_ddl
from retention.simulate import simulate_bgnbd


@pytest.fixture(scope="module")
def shop():
    _customers, purchases = simulate_bgnbd(1500, "2022-01-01", "2023-12-31", seed=7)
    rng = np.random.default_rng(7)
    orders = purchases.assign(
        order_id=[f"o{i}" for i in range(len(purchases))],
        customer_id="c" + purchases["customer_no"].astype(str),
    )
    # 1 to 3 lines per order, each with a price in cents.
    n_lines = rng.integers(1, 4, len(orders))
    lines = orders.loc[orders.index.repeat(n_lines)].reset_index(drop=True)
    lines["cents"] = rng.integers(100, 9000, len(lines))
    lines["order_date"] = lines["purchase_ts"]
    con = connect()
    con.execute(orders_ddl())
    con.register("sim_lines", lines[["order_id", "customer_id", "order_date", "cents"]])
    con.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue) "
        "SELECT order_id, customer_id, order_date, CAST(cents AS DECIMAL(18,2)) / 100 FROM sim_lines"
    )
    con.unregister("sim_lines")
    yield con, lines
    con.close()


def pandas_cohorts(lines: pd.DataFrame, as_of: pd.Timestamp, mode: str) -> pd.DataFrame:
    """Monthly cohort table the plain pandas way: orders, first month, month index, groupby, reindex."""
    o = lines.groupby(["customer_id", "order_id"], as_index=False).agg(ts=("order_date", "min"), cents=("cents", "sum"))
    o["m"] = o["ts"].dt.year * 12 + o["ts"].dt.month - 1
    o = o.sort_values(["customer_id", "ts", "order_id"])
    o["cm"] = o.groupby("customer_id")["m"].transform("min")
    o["k"] = o["m"] - o["cm"]
    o["rank"] = o.groupby("customer_id").cumcount() + 1
    size = o.groupby("cm")["customer_id"].nunique()
    on = o.groupby(["cm", "k"])["customer_id"].nunique()
    n_orders = o.groupby(["cm", "k"]).size()
    cents = o.groupby(["cm", "k"])["cents"].sum()
    last_k = o.groupby("customer_id").agg(cm=("cm", "first"), lk=("k", "max"))
    second = o[o["rank"] == 2].set_index("customer_id")["k"]
    asof_m = as_of.year * 12 + as_of.month - 1
    rows = []
    for cm, n in size.items():
        members = last_k[last_k["cm"] == cm]
        rep_k = second.reindex(members.index)
        cum = 0
        for k in range(asof_m - cm + 1):
            c = int(cents.get((cm, k), 0))
            cum += c
            active = int(on.get((cm, k), 0)) if mode == "on" else int((members["lk"] >= k).sum())
            rows.append(
                {
                    "cohort": f"{cm // 12:04d}-{cm % 12 + 1:02d}-01",
                    "period": k,
                    "cohort_size": int(n),
                    "active_customers": active,
                    "orders": int(n_orders.get((cm, k), 0)),
                    "revenue": c / 100,
                    "cumulative_revenue_per_customer": cum / 100 / n,
                    "repeat_share": float((rep_k <= k).sum()) / n,
                }
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize("mode", ["on", "on_or_after"])
def test_monthly_cohort_table_agrees_with_pandas_cell_by_cell(shop, mode):
    con, lines = shop
    got = cohort_table(con, mode=mode)
    want = pandas_cohorts(lines, lines["order_date"].max(), mode)
    assert len(got) == len(want) > 100
    got = got.set_index(["cohort", "period"]).sort_index()
    want = want.set_index(["cohort", "period"]).sort_index()
    assert got.index.equals(want.index)
    for col in ("cohort_size", "active_customers", "orders"):
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    for col in ("revenue", "cumulative_revenue_per_customer", "repeat_share"):
        np.testing.assert_allclose(got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float), atol=1e-9)
    np.testing.assert_allclose(got["retention"], want["active_customers"] / want["cohort_size"])


def test_kpis_agree_with_pandas(shop):
    con, lines = shop
    k = compute_kpis(con, as_of=date(2023, 12, 31))
    o = lines.groupby(["customer_id", "order_id"], as_index=False).agg(ts=("order_date", "min"), cents=("cents", "sum"))
    per_customer = o.groupby("customer_id").size()
    assert k["customers"] == len(per_customer) and k["orders"] == len(o)
    assert k["revenue"] == pytest.approx(o["cents"].sum() / 100)
    assert k["repeat_purchase_rate"] == pytest.approx((per_customer >= 2).mean())
    o = o.sort_values(["customer_id", "ts", "order_id"])
    o["day"] = o["ts"].dt.normalize()
    o["n"] = o.groupby("customer_id").cumcount() + 1
    wide = o[o["n"] <= 2].pivot(index="customer_id", columns="n", values="day")
    gap = (wide[2] - wide[1]).dt.days.dropna()
    assert k["time_between_orders"]["first_to_second"]["median_days"] == pytest.approx(gap.median())
    # monthly retention of the last complete month: December 2023, complete with as_of 31 December
    o["m"] = o["ts"].dt.year * 12 + o["ts"].dt.month - 1
    active = o.groupby("m")["customer_id"].agg(set)
    last = max(active.index)
    prev, cur = active[last - 1], active.get(last, set())
    assert k["retention_rate"] == pytest.approx(len(prev & cur) / len(prev))
