"""Small `orders` tables for tests: from (order_id, customer_id, order_date, revenue) rows or a CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from retention.db import connect
from retention.schema import orders_ddl


def orders_from_rows(rows):
    """A connection whose `orders` holds `rows` of (order_id, customer_id, order_date, revenue)."""
    con = connect()
    con.execute(orders_ddl())
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "revenue"])
    frame["order_date"] = pd.to_datetime(frame["order_date"])
    con.register("_rows", frame)
    con.execute(
        "INSERT INTO orders (order_id, customer_id, order_date, revenue) "
        "SELECT order_id, customer_id, order_date, CAST(revenue AS DECIMAL(18,2)) FROM _rows"
    )
    con.unregister("_rows")
    return con


def orders_from_csv(path: Path | str):
    """A connection whose `orders` holds the customer_id, order_id, order_date, revenue of a CSV,
    inserted as they are (no ingest: the test is about what comes after it)."""
    con = connect()
    con.execute(orders_ddl())
    con.execute(
        "INSERT INTO orders (customer_id, order_id, order_date, revenue) "
        "SELECT customer_id, order_id, order_date, revenue FROM read_csv($path, all_varchar = true)",
        {"path": str(path)},
    )
    return con
