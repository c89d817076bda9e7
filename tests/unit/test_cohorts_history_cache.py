"""The cached order history follows the rows of its table: new rows, another table, eviction."""

from __future__ import annotations

from datetime import date

from _orders_handmade import handmade_connection

from retention.cohorts import cohort_table
from retention.filters import Filters, apply_filters
from retention.history import MAX_CACHED, PREFIX, clear_history_cache, order_history
from retention.kpis import compute_kpis


def cached(con):
    rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return [r[0] for r in rows if r[0].startswith(PREFIX)]


def test_history_is_reused_until_the_rows_change():
    con = handmade_connection()
    first = order_history(con)
    assert order_history(con) == first
    assert compute_kpis(con)["orders"] == 8
    con.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue) "
        "VALUES ('E1', 'E', TIMESTAMP '2024-04-15 10:00:00', 9.50)"
    )
    assert order_history(con) != first
    k = compute_kpis(con)
    assert (k["customers"], k["orders"], k["revenue"]) == (5, 9, 210.0)
    # Changing a value (not the count) is seen too.
    con.execute("UPDATE orders SET revenue = 10.50 WHERE order_id = 'E1'")
    assert compute_kpis(con)["revenue"] == 211.0


def test_filtered_copy_reusing_a_name_gets_its_own_history():
    con = handmade_connection()
    scope = apply_filters(con, Filters(countries=("DE",)))
    assert compute_kpis(con, table=scope)["customers"] == 1
    scope = apply_filters(con, Filters(countries=("IT",)))
    assert compute_kpis(con, table=scope)["customers"] == 2


def test_on_or_after_respects_as_of_with_a_cached_history():
    con = handmade_connection()
    cohort_table(con)  # history built on all orders
    t = cohort_table(con, mode="on_or_after", as_of=date(2024, 2, 29))
    jan = t[t["cohort"] == "2024-01-01"]
    # By 29 February, A's last order seen is in January and B's in February.
    assert jan["active_customers"].tolist() == [2, 1]


def test_at_most_max_cached_histories_are_kept():
    con = handmade_connection()
    for code in ("IT", "DE", "FR", "XX", "IT"):
        order_history(con, apply_filters(con, Filters(countries=(code,)), target=f"scope_{code}"))
    assert len(cached(con)) == MAX_CACHED
    clear_history_cache(con)
    assert cached(con) == []


def _load(con, tmp_path, name, lines):
    from retention.ingest import load_orders

    path = tmp_path / name
    path.write_text("order_id,customer_id,order_date,total\n" + "".join(f"{ln}\n" for ln in lines))
    load_orders(con, [str(path)])


def test_a_loads_orders_are_found_by_its_token_and_a_new_load_gets_a_new_history(tmp_path):
    from retention.db import connect
    from retention.sql.ingest import load_of

    con = connect()
    _load(con, tmp_path, "a.csv", ["1,A,2024-01-05,10.00", "2,A,2024-02-05,20.00", "3,B,2024-01-09,5.00"])
    load = load_of(con, "orders")
    assert load is not None and load.customers == 2
    first = order_history(con)
    assert order_history(con) == first
    assert (compute_kpis(con)["customers"], compute_kpis(con)["orders"]) == (2, 3)
    # Same rows loaded again: another load, another token, another history (never a stale one).
    _load(con, tmp_path, "b.csv", ["1,A,2024-01-05,10.00", "2,A,2024-02-05,20.00"])
    assert load_of(con, "orders") not in (None, load)
    assert order_history(con) != first
    k = compute_kpis(con)
    assert (k["customers"], k["orders"], k["revenue"]) == (1, 2, 30.0)


def test_a_table_that_replaces_or_shadows_the_loads_orders_has_no_token(tmp_path):
    from retention.db import connect
    from retention.sql.ingest import load_of

    con = connect()
    _load(con, tmp_path, "a.csv", ["1,A,2024-01-05,10.00", "2,B,2024-02-05,20.00"])
    assert load_of(con, "rejected_rows") is None
    con.execute("CREATE TEMP TABLE orders AS SELECT * FROM main.orders WHERE customer_id = 'A'")
    assert load_of(con, "orders") is None
    assert compute_kpis(con)["customers"] == 1  # the temp table, read through its digest
    con.execute("DROP TABLE temp.orders")
    assert load_of(con, "orders") is not None
    con.execute("CREATE OR REPLACE TABLE orders_copy AS SELECT * FROM orders")
    con.execute("DROP VIEW orders")
    con.execute("CREATE VIEW orders AS SELECT * FROM orders_copy WHERE customer_id = 'B'")
    assert load_of(con, "orders") is None
    assert compute_kpis(con)["customers"] == 1


def test_a_history_by_customer_key_is_rebuilt_by_id_when_the_first_orders_do_not_match(tmp_path):
    """Two customers sharing a 64-bit key would leave fewer first orders than customers. No such
    pair can be written by hand, so the load's count is raised by one: the check must then rebuild
    the history on the ids, and every figure stays the hand-counted one."""
    from retention.db import connect
    from retention.history import _cached
    from retention.sql.ingest import load_of

    con = connect()
    _load(con, tmp_path, "a.csv", ["1,A,2024-01-05,10.00", "2,A,2024-02-05,20.00", "3,B,2024-01-09,5.00"])
    by_key = compute_kpis(con)
    con.execute("UPDATE _ingest_load SET customers = customers + 1")
    assert load_of(con, "orders").customers == 3
    clear_history_cache(con)
    rebuilt = compute_kpis(con)
    assert (rebuilt["customers"], rebuilt["orders"], rebuilt["repeat_purchase_rate"]) == (2, 3, 0.5)
    assert rebuilt == by_key
    history = _cached(con)[0]
    assert con.execute(f"SELECT count(*) FILTER (WHERE order_no = 1) FROM {history}").fetchone() == (2,)


def test_a_loads_history_from_its_order_totals_by_key_gives_the_figures_of_the_history_by_id():
    """The demo shop (4,501 customers, ties in time included): cohorts split by country (the history
    with customer ids) and weekly KPIs are the same whether the history starts from the load's order
    totals or from the lines, and whether it is sorted by key or by id."""
    from pathlib import Path

    import pandas as pd

    from retention.db import connect
    from retention.ingest import load_orders
    from retention.sql.ingest import load_of

    con = connect()
    report = load_orders(con, [str(Path(__file__).resolve().parents[2] / "data" / "demo_orders.csv")])
    load = load_of(con, "orders")
    assert load.totals is not None
    assert con.execute(f"SELECT count(*) FROM {load.totals}").fetchone() == (report.orders,)

    def figures():
        clear_history_cache(con)
        return cohort_table(con, period="month", split_by="country"), compute_kpis(con, period="week")

    from_totals = figures()
    con.execute("UPDATE _ingest_load SET totals = false")  # the history aggregates the lines, by key
    from_lines = figures()
    con.execute("UPDATE _ingest_load SET customers = NULL")  # not counted: the history sorts by id
    by_id = figures()
    for other in (from_lines, by_id):
        pd.testing.assert_frame_equal(from_totals[0], other[0])
        assert from_totals[1] == other[1]
    assert from_totals[1]["customers"] == 4501 == report.customers
    assert from_totals[1]["orders"] == report.orders
