"""SQL of the CLV area: the customer summary (frequency, recency, T, monetary value) and the backtest.

Customer-days are the unit of a transaction: all orders of one customer on one calendar day make
one transaction (as in the published CDNOW summary, Fader, Hardie and Lee 2005). Times are whole
days between DATEs. Money is summed as DECIMAL and turned into DOUBLE once, at the end.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from retention.sql import fetch_df, fetch_one, quote_ident

CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "country", "city", "zip", "accepts_marketing")

# One row per customer: the whole history up to $end_date (inclusive; default the last order date).
_SUMMARY = """
WITH bounds AS (
    SELECT COALESCE(CAST($end_date AS DATE), CAST(max(order_date) AS DATE)) AS end_date FROM {table}
),
order_rows AS (
    SELECT o.customer_id, o.order_id,
           CAST(min(o.order_date) AS DATE) AS order_day,
           max(o.order_date) AS order_ts,
           sum(CAST(o.revenue AS DECIMAL(18, 2))) AS revenue{contact_aggs}
    FROM {table} AS o CROSS JOIN bounds
    WHERE o.customer_id IS NOT NULL AND CAST(o.order_date AS DATE) <= bounds.end_date
    GROUP BY o.customer_id, o.order_id
),
customer_days AS (
    SELECT customer_id, order_day, sum(revenue) AS day_revenue, count(*) AS day_orders
    FROM order_rows
    GROUP BY customer_id, order_day
),
with_first AS (
    SELECT customer_id, order_day, day_revenue, day_orders,
           min(order_day) OVER (PARTITION BY customer_id) AS first_day
    FROM customer_days
),
summary AS (
    SELECT w.customer_id,
           CAST(sum(w.day_orders) AS BIGINT) AS orders,
           CAST(sum(w.day_revenue) AS DOUBLE) AS revenue,
           min(w.order_day) AS first_order,
           max(w.order_day) AS last_order,
           CAST(count(*) - 1 AS BIGINT) AS frequency,
           CAST(date_diff('day', min(w.order_day), max(w.order_day)) AS BIGINT) AS recency,
           CAST(date_diff('day', min(w.order_day), max(b.end_date)) AS BIGINT) AS "T",
           COALESCE(
               CAST(sum(CASE WHEN w.order_day > w.first_day THEN w.day_revenue END) AS DOUBLE)
                   / NULLIF(count(*) - 1, 0),
               0.0
           ) AS monetary_value
    FROM with_first AS w CROSS JOIN bounds AS b
    GROUP BY w.customer_id
){contact_ctes}
SELECT s.*{contact_cols}
FROM summary AS s{contact_join}
"""

# Contact details: per field, the value on the customer's most recent order that has one. Within an
# order max() picks one value deterministically; orders are ranked with a unique tie-breaker.
_CONTACT_AGGS = "".join(f",\n           max(o.{quote_ident(f)}) AS {quote_ident(f)}" for f in CONTACT_FIELDS)
_CONTACT_CTES = (
    """,
ranked_orders AS (
    SELECT *, row_number() OVER (
        PARTITION BY customer_id ORDER BY order_day DESC, order_ts DESC, order_id DESC
    ) AS recency_rank
    FROM order_rows
),
contacts AS (
    SELECT customer_id"""
    + "".join(f",\n           arg_min({quote_ident(f)}, recency_rank) AS {quote_ident(f)}" for f in CONTACT_FIELDS)
    + """
    FROM ranked_orders
    GROUP BY customer_id
)"""
)
_CONTACT_COLS = "".join(f", c.{quote_ident(f)}" for f in CONTACT_FIELDS)
_CONTACT_JOIN = "\nLEFT JOIN contacts AS c ON c.customer_id = s.customer_id"


def query_last_order_date(con, table: str = "orders") -> date | None:
    """The date of the last order in `table` (None when it is empty)."""
    row = fetch_one(con, f"SELECT CAST(max(order_date) AS DATE) FROM {quote_ident(table)}")
    return row[0] if row else None


def query_first_order_date(con, table: str = "orders") -> date | None:
    row = fetch_one(con, f"SELECT CAST(min(order_date) AS DATE) FROM {quote_ident(table)}")
    return row[0] if row else None


def query_customer_summary(
    con, *, end_date: date | None = None, table: str = "orders", with_contacts: bool = False
) -> pd.DataFrame:
    """One row per customer with an order on or before `end_date` (default: the last order date).

    Columns: customer_id, orders (distinct order ids), revenue (net, DOUBLE), first_order and
    last_order (DATE), frequency (days with a purchase - 1), recency and T (days), monetary_value
    (mean net value of the repeat customer-days; 0 when there is none), and with `with_contacts`
    the contact fields of CONTACT_FIELDS.
    """
    sql = _SUMMARY.format(
        table=quote_ident(table),
        contact_aggs=_CONTACT_AGGS if with_contacts else "",
        contact_ctes=_CONTACT_CTES if with_contacts else "",
        contact_cols=_CONTACT_COLS if with_contacts else "",
        contact_join=_CONTACT_JOIN if with_contacts else "",
    )
    return fetch_df(con, sql, {"end_date": end_date})


_HOLDOUT = """
WITH calibration_customers AS (
    SELECT customer_id
    FROM {table}
    WHERE customer_id IS NOT NULL
    GROUP BY customer_id
    HAVING CAST(min(order_date) AS DATE) <= CAST($calibration_end AS DATE)
),
holdout_days AS (
    SELECT o.customer_id, CAST(o.order_date AS DATE) AS order_day,
           sum(CAST(o.revenue AS DECIMAL(18, 2))) AS day_revenue
    FROM {table} AS o
    JOIN calibration_customers AS c ON c.customer_id = o.customer_id
    WHERE CAST(o.order_date AS DATE) > CAST($calibration_end AS DATE)
      AND CAST(o.order_date AS DATE) <= CAST($observation_end AS DATE)
    GROUP BY o.customer_id, CAST(o.order_date AS DATE)
)
SELECT customer_id,
       CAST(count(*) AS BIGINT) AS holdout_purchases,
       CAST(sum(day_revenue) AS DOUBLE) AS holdout_revenue
FROM holdout_days
GROUP BY customer_id
"""


def query_holdout_activity(con, *, calibration_end: date, observation_end: date, table: str = "orders") -> pd.DataFrame:
    """Per customer first seen on or before `calibration_end`: purchases (customer-days) and net
    revenue after it, up to `observation_end` inclusive. Customers with none are absent."""
    return fetch_df(
        con,
        _HOLDOUT.format(table=quote_ident(table)),
        {"calibration_end": calibration_end, "observation_end": observation_end},
    )
