"""SQL of the KPIs: an order-level table, a customer-level table, and their aggregates."""

from __future__ import annotations

from retention.sql import quote_ident
from retention.sql.cohorts import orders_sql, period_key_sql


def numbered_orders_sql(table: str, target: str) -> str:
    """CREATE TEMP TABLE target: one row per order up to $end with its rank per customer.

    Columns: customer_id, order_id, order_day (DATE), revenue (net), order_no (1 = first order;
    earliest line time, ties broken by order_id).
    """
    return f"""
CREATE OR REPLACE TEMP TABLE {quote_ident(target)} AS
SELECT customer_id, order_id, order_day, revenue,
       row_number() OVER (PARTITION BY customer_id ORDER BY order_ts, order_id) AS order_no
FROM ({orders_sql(table)}) AS o"""


def customers_sql(orders: str, target: str) -> str:
    """CREATE TEMP TABLE target: one row per customer from the numbered orders.

    Columns: customer_id, n_orders, revenue (net), first_day, day2, day3, day4 (days of the 2nd to
    4th orders, NULL when there are fewer), acq_month (month key of the first order).
    """
    return f"""
CREATE OR REPLACE TEMP TABLE {quote_ident(target)} AS
SELECT customer_id, CAST(count(*) AS BIGINT) AS n_orders, sum(revenue) AS revenue,
       min(order_day) AS first_day,
       min(CASE WHEN order_no = 2 THEN order_day END) AS day2,
       min(CASE WHEN order_no = 3 THEN order_day END) AS day3,
       min(CASE WHEN order_no = 4 THEN order_day END) AS day4,
       {period_key_sql("month", "min(order_day)")} AS acq_month
FROM {quote_ident(orders)}
GROUP BY customer_id"""


def summary_sql(customers: str, windows: list[int]) -> str:
    """One row: totals, repeat buyers, median gaps (days), and per window w (binds $w<i>, $as_of):
    customers observed >= w days since their first order, and of them those whose 2nd order came
    within w days."""
    parts = []
    for i, _w in enumerate(windows):
        observed = f"date_diff('day', first_day, CAST($as_of AS DATE)) >= $w{i}"
        parts.append(f"CAST(sum(CASE WHEN {observed} THEN 1 ELSE 0 END) AS BIGINT) AS observed_{i}")
        parts.append(
            f"CAST(sum(CASE WHEN {observed} AND date_diff('day', first_day, day2) <= $w{i} THEN 1 ELSE 0 END) "
            f"AS BIGINT) AS repurchased_{i}"
        )
    window_cols = (",\n       " + ",\n       ".join(parts)) if parts else ""
    return f"""
SELECT CAST(count(*) AS BIGINT) AS customers,
       CAST(sum(n_orders) AS BIGINT) AS orders,
       sum(revenue) AS revenue,
       CAST(sum(CASE WHEN n_orders >= 2 THEN 1 ELSE 0 END) AS BIGINT) AS repeat_customers,
       median(date_diff('day', first_day, day2)) AS days_1_2,
       median(date_diff('day', day2, day3)) AS days_2_3,
       median(date_diff('day', day3, day4)) AS days_3_4,
       CAST(count(day2) AS BIGINT) AS n_1_2,
       CAST(count(day3) AS BIGINT) AS n_2_3,
       CAST(count(day4) AS BIGINT) AS n_3_4{window_cols}
FROM {quote_ident(customers)}"""


def retention_series_sql(orders: str, period: str) -> str:
    """Per period key t: customers active in t-1 (customers_prev) and of them active in t (retained).

    Only periods t up to $as_of_key are listed.
    """
    key = period_key_sql(period, "order_day")
    return f"""
WITH active AS (
    SELECT DISTINCT customer_id, {key} AS p FROM {quote_ident(orders)}
)
SELECT a.p + 1 AS p, CAST(count(*) AS BIGINT) AS customers_prev, CAST(count(b.customer_id) AS BIGINT) AS retained
FROM active AS a
LEFT JOIN active AS b ON b.customer_id = a.customer_id AND b.p = a.p + 1
WHERE a.p + 1 <= $as_of_key
GROUP BY a.p + 1
ORDER BY 1"""


def acquisition_sql(customers: str) -> str:
    """Per acquisition month key: new customers and their net revenue to date."""
    return f"""
SELECT acq_month, CAST(count(*) AS BIGINT) AS new_customers, CAST(sum(revenue) AS DOUBLE) AS revenue
FROM {quote_ident(customers)}
GROUP BY acq_month
ORDER BY acq_month"""


def monthly_activity_sql(orders: str) -> str:
    """Per calendar month key: active customers, new customers, net revenue, repeat-order revenue."""
    key = period_key_sql("month", "order_day")
    return f"""
SELECT {key} AS p,
       CAST(count(DISTINCT customer_id) AS BIGINT) AS active_customers,
       CAST(sum(CASE WHEN order_no = 1 THEN 1 ELSE 0 END) AS BIGINT) AS new_customers,
       CAST(sum(revenue) AS DOUBLE) AS revenue,
       CAST(sum(CASE WHEN order_no > 1 THEN revenue ELSE 0 END) AS DOUBLE) AS repeat_revenue
FROM {quote_ident(orders)}
GROUP BY 1
ORDER BY 1"""


def first_year_repeat_sql(orders: str) -> str:
    """Over customers observed >= 365 days (binds $as_of): how many, how many made a repeat order
    within 365 days of the first, and the net revenue of those repeat orders."""
    return f"""
WITH o AS (
    SELECT o.customer_id, o.order_no, o.order_day, o.revenue,
           min(o.order_day) OVER (PARTITION BY o.customer_id) AS first_day
    FROM {quote_ident(orders)} AS o
),
c AS (
    SELECT customer_id,
           sum(CASE WHEN order_no > 1 AND date_diff('day', first_day, order_day) <= 365 THEN revenue ELSE 0 END)
               AS repeat_revenue,
           max(CASE WHEN order_no > 1 AND date_diff('day', first_day, order_day) <= 365 THEN 1 ELSE 0 END)
               AS repeated
    FROM o
    WHERE date_diff('day', first_day, CAST($as_of AS DATE)) >= 365
    GROUP BY customer_id
)
SELECT CAST(count(*) AS BIGINT) AS observed, CAST(sum(repeated) AS BIGINT) AS repeaters,
       CAST(sum(repeat_revenue) AS DOUBLE) AS repeat_revenue
FROM c"""
