"""Cross-sell rules (support, confidence, lift) and replenishment, checked by hand on tiny baskets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retention.audiences import AudienceFilters, add_cross_sell, build_audience
from retention.db import connect
from retention.schema import orders_ddl
from retention.sql.audiences import (
    query_customers_who_bought,
    query_next_best_product,
    query_product_rules,
    query_replenishment,
)

# customer -> [(day, product)]
BASKETS = {
    "u1": [("2024-01-01", "A"), ("2024-01-31", "A"), ("2024-03-01", "A"), ("2024-01-01", "B"), ("2024-01-11", "B")],
    "u2": [("2024-01-05", "A"), ("2024-01-05", "B"), ("2024-01-05", "C")],
    "u3": [("2024-01-01", "A"), ("2024-01-31", "A"), ("2024-03-01", "A"), ("2024-02-01", "C")],
    "u4": [("2024-02-02", "B")],
    "u5": [("2024-02-03", "D")],
}


def load(baskets: dict[str, list[tuple[str, str]]]):
    con = connect()
    con.execute(orders_ddl())
    rows = []
    for cust, lines in baskets.items():
        for i, (day, prod) in enumerate(lines):
            rows.append([f"{cust}-{day}", cust, f"{day} 10:00:00", 10.0, prod, f"Prod {prod}", f"cat-{prod}", i])
    con.executemany(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue, product_id, product_name, category, "
        "source_row) VALUES (?, ?, CAST(? AS TIMESTAMP), ?, ?, ?, ?, ?)",
        rows,
    )
    return con


def test_support_confidence_lift_by_hand():
    # N = 5 customers; n(A) = 3, n(B) = 3, n(C) = 2; n(A,B) = 2, n(A,C) = 2, n(B,C) = 1
    rules = query_product_rules(load(BASKETS), min_pair_customers=1).set_index(["antecedent", "consequent"])
    assert rules.loc[("A", "B"), "support"] == pytest.approx(2 / 5)
    assert rules.loc[("A", "B"), "confidence"] == pytest.approx(2 / 3)
    assert rules.loc[("A", "B"), "lift"] == pytest.approx((2 / 3) / (3 / 5))  # 10/9
    assert rules.loc[("A", "C"), "lift"] == pytest.approx((2 / 3) / (2 / 5))  # 5/3
    assert rules.loc[("C", "A"), "confidence"] == pytest.approx(1.0)
    assert rules.loc[("B", "C"), "lift"] == pytest.approx((1 / 3) / (2 / 5))  # 5/6
    assert int(rules.loc[("B", "C"), "n_pair"]) == 1
    assert len(rules) == 6
    assert len(query_product_rules(load(BASKETS), min_pair_customers=2)) == 4


def test_next_best_product_by_hand():
    nbp = query_next_best_product(load(BASKETS), min_pair_customers=1).set_index("customer_id")
    # u1 owns A, B: C via A->C (lift 5/3); B->C has lift 5/6 < 1
    assert nbp.loc["u1", ["next_best_product", "because_bought"]].tolist() == ["C", "A"]
    assert nbp.loc["u1", "lift"] == pytest.approx(5 / 3)
    # u3 owns A, C: B via A->B (lift 10/9); u4 owns B: A via B->A (10/9)
    assert nbp.loc["u3", "next_best_product"] == "B"
    assert nbp.loc["u4", "next_best_product"] == "A"
    assert nbp.loc["u4", "next_best_product_name"] == "Prod A"
    # u2 owns everything and u5 bought a product nobody else bought: no recommendation
    assert set(nbp.index) == {"u1", "u3", "u4"}


def test_cross_sell_never_recommends_an_owned_product():
    rng = np.random.default_rng(11)
    baskets = {
        f"r{i:03d}": [("2024-01-01", f"P{p}") for p in rng.choice(8, size=rng.integers(1, 6), replace=False)]
        for i in range(200)
    }
    nbp = query_next_best_product(load(baskets), min_pair_customers=1, min_lift=0.0)
    assert len(nbp) > 100
    for cust, product in zip(nbp["customer_id"], nbp["next_best_product"], strict=True):
        assert product not in {p for _d, p in baskets[cust]}


def test_replenishment_by_hand():
    rep = query_replenishment(load(BASKETS)).set_index("customer_id")
    # u1: A every (60 days / 2) = 30, due 2024-03-31; B every 10, due 2024-01-21. B is due first but
    # stale: u1 ordered again on 2024-01-31 and 2024-03-01 without it, so A is the reminder.
    assert rep.loc["u1", "replenish_product"] == "A"
    assert rep.loc["u1", "replenish_every_days"] == pytest.approx(30.0)
    assert rep.loc["u3", "replenish_product"] == "A"
    assert rep.loc["u3", "replenish_every_days"] == pytest.approx(30.0)
    assert set(rep.index) == {"u1", "u3"}  # nobody else bought a product on two different days


def test_add_cross_sell_columns_and_dates():
    customers = pd.DataFrame({"customer_id": ["u1", "u2", "u3", "u4", "u5"], "orders": [5, 1, 4, 1, 1]})
    out = add_cross_sell(customers, load(BASKETS), min_pair_customers=1)
    assert out["customer_id"].tolist() == ["u1", "u2", "u3", "u4", "u5"]
    assert out.loc[0, "next_best_product"] == "Prod C"
    assert pd.isna(out.loc[1, "next_best_product"])
    assert str(out.loc[0, "replenish_date"]) == "2024-03-31"
    assert str(out.loc[2, "replenish_date"]) == "2024-03-31"


def test_product_and_category_filters():
    con = load(BASKETS)
    assert query_customers_who_bought(con, products=["c"])["customer_id"].tolist() == ["u2", "u3"]
    assert query_customers_who_bought(con, products=["Prod D"])["customer_id"].tolist() == ["u5"]
    assert query_customers_who_bought(con, categories=["CAT-B"])["customer_id"].tolist() == ["u1", "u2", "u4"]
    customers = pd.DataFrame({"customer_id": ["u1", "u2", "u3", "u4", "u5"], "lifecycle_segment": "x"})
    aud = build_audience(customers, segments=None, filters=AudienceFilters(products=["C"]), con=con)
    assert aud.members["customer_id"].tolist() == ["u2", "u3"]


def test_replenishment_due_first_when_nothing_is_stale():
    baskets = {"u9": [("2024-01-01", "A"), ("2024-01-31", "A"), ("2024-01-01", "B"), ("2024-01-21", "B"),
                      ("2024-01-31", "B")]}
    rep = query_replenishment(load(baskets)).set_index("customer_id")
    # A every 30 days, due 2024-03-01; B every 15, due 2024-02-15: B first, neither stale
    assert rep.loc["u9", "replenish_product"] == "B"
    assert rep.loc["u9", "replenish_every_days"] == pytest.approx(15.0)
