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


def order_rows_cte(table: str) -> str:
    """CTEs `lines` (order lines up to `$as_of`, inclusive, by calendar day) and `ord` (one row per order).

    An order's day is the day of its earliest line; its revenue is the DECIMAL sum of its lines (net).
    Lines without a customer or a date cannot belong to anybody's history and are left out.
    """
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


def query_rfm_snapshot(con, *, as_of: date, table: str = "orders") -> pd.DataFrame:
    """One row per customer with at least one order on or before `as_of`.

    Columns: customer_id, orders (distinct orders), revenue (net, DECIMAL sum), first_order,
    last_order (DATE), recency_days (days from the last order to `as_of`), tenure_days (days from
    the first order to `as_of`), r_score, f_score, m_score (1-5, 5 best; equal values share a score).
    R ranks the last order day (later is better), F the number of orders, M the net revenue.
    """
    sql = f"""
WITH {order_rows_cte(table)},
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
