"""SQL of the segments area: per-customer RFM snapshot as of a date, with 1-5 scores.

Portable subset (FIELD-NOTES.md): money summed as DECIMAL, day counts with `date_diff('day', ...)`
on DATEs, and scores from `rank()` so that equal values always share a score:

    score = 1 + (rank() OVER (ORDER BY x) - 1) * 5 // count(*) OVER ()

i.e. 1 + floor(5 x share of customers with a strictly smaller value). With 60% one-order customers,
all of them get F = 1 and the two-order customers start at F = 4; no customer's score depends on the
order rows happen to come in.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from retention.sql import fetch_df, fetch_one, quote_ident

# Order rows prepared once for a whole customer-table run (several cut-offs, RFM, the gap
# histogram): grouping the 10M order lines by (customer, order) per query was most of its time.
PREPARED_ORDERS = "_prepared_order_rows"
PREPARED_PRODUCTS = "_prepared_customer_products"


def create_prepared_order_rows(con, *, table: str = "orders") -> None:
    """Temp tables of one row per order and one per (customer, product), for `prepared=True` queries.

    `_prepared_order_rows`: customer_id, order_id, order_day (day of its earliest line), order_revenue
    (DECIMAL sum of its lines, net), discounted (0/1), channel, country (min over its lines);
    `_prepared_customer_products`: customer_id, product (product_id, else product_name), first_day.
    Unlike the per-cut-off CTE, an order is whole from its first day on (an order whose lines span a
    cut-off counts all its lines). Drop them with `drop_prepared_order_rows` when done.
    """
    t = quote_ident(table)
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE {PREPARED_ORDERS} AS
SELECT customer_id, order_id, min(CAST(order_date AS DATE)) AS order_day,
       sum(CAST(revenue AS DECIMAL(18,2))) AS order_revenue,
       max(CASE WHEN discount_code IS NOT NULL AND trim(discount_code) <> '' THEN 1 ELSE 0 END) AS discounted,
       min(channel) AS channel, min(country) AS country
FROM {t}
WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
GROUP BY customer_id, order_id
"""
    )
    con.execute(
        f"""
CREATE OR REPLACE TEMP TABLE {PREPARED_PRODUCTS} AS
SELECT customer_id, coalesce(product_id, product_name) AS product, min(CAST(order_date AS DATE)) AS first_day
FROM {t}
WHERE customer_id IS NOT NULL AND order_date IS NOT NULL AND coalesce(product_id, product_name) IS NOT NULL
GROUP BY customer_id, coalesce(product_id, product_name)
"""
    )


def drop_prepared_order_rows(con) -> None:
    con.execute(f"DROP TABLE IF EXISTS {PREPARED_ORDERS}")
    con.execute(f"DROP TABLE IF EXISTS {PREPARED_PRODUCTS}")


def order_rows_cte(table: str, *, prepared: bool = False) -> str:
    """CTEs `lines` (order lines up to `$as_of`, inclusive, by calendar day) and `ord` (one row per order).

    An order's day is the day of its earliest line; its revenue is the DECIMAL sum of its lines (net).
    Lines without a customer or a date cannot belong to anybody's history and are left out.
    With `prepared`, only `ord`, read from `create_prepared_order_rows`' table.
    """
    if prepared:
        return f"""
ord AS (
    SELECT customer_id, order_id, order_day, order_revenue, discounted, channel, country
    FROM {PREPARED_ORDERS}
    WHERE order_day <= CAST($as_of AS DATE)
)"""
    t = quote_ident(table)
    return f"""
lines AS (
    SELECT customer_id, order_id, CAST(order_date AS DATE) AS order_day, revenue,
           product_id, product_name, discount_code, channel, country
    FROM {t}
    WHERE customer_id IS NOT NULL AND order_date IS NOT NULL
      AND CAST(order_date AS DATE) <= CAST($as_of AS DATE)
),
ord AS (
    SELECT customer_id, order_id, min(order_day) AS order_day,
           sum(CAST(revenue AS DECIMAL(18,2))) AS order_revenue,
           max(CASE WHEN discount_code IS NOT NULL AND trim(discount_code) <> '' THEN 1 ELSE 0 END) AS discounted,
           min(channel) AS channel, min(country) AS country
    FROM lines
    GROUP BY customer_id, order_id
)"""


def query_last_order_day(con, *, table: str = "orders") -> date | None:
    """The calendar day of the latest order line (the default observation end)."""
    row = fetch_one(con, f"SELECT max(CAST(order_date AS DATE)) FROM {quote_ident(table)}")
    return row[0] if row else None


def query_rfm_snapshot(con, *, as_of: date, table: str = "orders", prepared: bool = False) -> pd.DataFrame:
    """One row per customer with at least one order on or before `as_of`.

    Columns: customer_id, orders (distinct orders), revenue (net, DECIMAL sum), first_order,
    last_order (DATE), recency_days (days from the last order to `as_of`), tenure_days (days from
    the first order to `as_of`), r_score, f_score, m_score (1-5, 5 best; equal values share a score).
    R ranks the last order day (later is better), F the number of orders, M the net revenue.
    """
    sql = f"""
WITH {order_rows_cte(table, prepared=prepared)},
cust AS (
    -- coalesce: a customer whose lines all lack revenue ranks as 0, not above everybody (NULLS LAST)
    SELECT customer_id, count(*) AS orders, coalesce(sum(order_revenue), CAST(0 AS DECIMAL(18,2))) AS revenue,
           min(order_day) AS first_order, max(order_day) AS last_order
    FROM ord
    GROUP BY customer_id
)
SELECT customer_id,
       CAST(orders AS BIGINT) AS orders,
       CAST(revenue AS DECIMAL(18,2)) AS revenue,
       first_order, last_order,
       date_diff('day', last_order, CAST($as_of AS DATE)) AS recency_days,
       date_diff('day', first_order, CAST($as_of AS DATE)) AS tenure_days,
       CAST(1 + (rank() OVER (ORDER BY last_order) - 1) * 5 // count(*) OVER () AS INTEGER) AS r_score,
       CAST(1 + (rank() OVER (ORDER BY orders) - 1) * 5 // count(*) OVER () AS INTEGER) AS f_score,
       CAST(1 + (rank() OVER (ORDER BY revenue) - 1) * 5 // count(*) OVER () AS INTEGER) AS m_score
FROM cust
ORDER BY customer_id
"""
    return fetch_df(con, sql, {"as_of": as_of})
