"""SQL of the acquisition cohorts: per (customer, calendar period) activity and its aggregates.

Calendar periods are integer keys (see retention/periods.py for the same arithmetic in Python):
an order's period index since acquisition is `key(order day) - key(first order day)`.
"""

from __future__ import annotations

from retention.sql import quote_ident
from retention.sql.filters import first_order_segment_sql


def period_key_sql(period: str, day: str) -> str:
    """SQL integer key of the calendar period holding the DATE expression `day`.

    Portable: months by year/month arithmetic, weeks by day difference of the Monday // 7.
    """
    if period == "day":
        return f"date_diff('day', DATE '1970-01-01', {day})"
    if period == "week":
        return f"(date_diff('day', DATE '1970-01-05', CAST(date_trunc('week', {day}) AS DATE)) // 7)"
    if period == "month":
        return f"(year({day}) * 12 + month({day}) - 1)"
    if period == "quarter":
        return f"(year({day}) * 4 + (month({day}) - 1) // 3)"
    if period == "year":
        return f"year({day})"
    raise ValueError(f"unknown period {period!r}")


def orders_sql(table: str) -> str:
    """One row per order (customer_id, order_id) up to `$end` (exclusive TIMESTAMP).

    Columns: customer_id, order_id, order_ts (its earliest line), order_day (DATE), revenue (net,
    DECIMAL sum of its lines).
    """
    t = quote_ident(table)
    return f"""
SELECT customer_id, order_id, min(order_date) AS order_ts, CAST(min(order_date) AS DATE) AS order_day,
       sum(CAST(revenue AS DECIMAL(18,2))) AS revenue
FROM {t}
WHERE order_date < CAST($end AS TIMESTAMP)
GROUP BY customer_id, order_id"""


def customer_periods_sql(table: str, target: str, period: str, split_by: str | None) -> str:
    """CREATE TEMP TABLE target: one row per (customer, period with an order).

    Columns: customer_id, p (period key), cp (key of the customer's first period), n_orders,
    revenue (net), and `segment` (the first-order attribute) when split_by is given.
    Binds $end (and $none_label with split_by).
    """
    key = period_key_sql(period, "order_day")
    seg_join = seg_col = ""
    if split_by:
        seg_join = f"JOIN ({first_order_segment_sql(table, split_by)}) AS s ON s.customer_id = op.customer_id"
        seg_col = ", s.segment"
    return f"""
CREATE OR REPLACE TEMP TABLE {quote_ident(target)} AS
WITH o AS ({orders_sql(table)}),
op AS (
    SELECT customer_id, {key} AS p, CAST(count(*) AS BIGINT) AS n_orders, sum(revenue) AS revenue
    FROM o
    GROUP BY customer_id, p
)
SELECT op.customer_id, op.p, min(op.p) OVER (PARTITION BY op.customer_id) AS cp, op.n_orders, op.revenue{seg_col}
FROM op {seg_join}"""


def cohort_cells_sql(source: str, segmented: bool) -> str:
    """Per (cohort key, period index): active customers, orders, revenue (net)."""
    seg = "segment, " if segmented else ""
    return f"""
SELECT {seg}cp, p - cp AS k, CAST(count(*) AS BIGINT) AS active_customers,
       CAST(sum(n_orders) AS BIGINT) AS orders, CAST(sum(revenue) AS DOUBLE) AS revenue
FROM {quote_ident(source)}
GROUP BY {seg}cp, k"""


def cohort_histograms_sql(source: str, segmented: bool) -> str:
    """Per cohort, how many customers had their LAST active period at index k (kind 'last'),
    and their first repeat purchase at index k (kind 'repeat'; k NULL = never repeated).

    A repeat purchase is a second order: in period 0 when the first period holds 2+ orders,
    else the first later period with an order.
    """
    seg = "segment, " if segmented else ""
    return f"""
WITH per_customer AS (
    SELECT {seg}customer_id, cp, max(p) - cp AS last_k,
           min(CASE WHEN p > cp OR n_orders >= 2 THEN p END) - cp AS repeat_k
    FROM {quote_ident(source)}
    GROUP BY {seg}customer_id, cp
)
SELECT 'last' AS kind, {seg}cp, last_k AS k, CAST(count(*) AS BIGINT) AS customers
FROM per_customer GROUP BY {seg}cp, last_k
UNION ALL
SELECT 'repeat' AS kind, {seg}cp, repeat_k AS k, CAST(count(*) AS BIGINT) AS customers
FROM per_customer GROUP BY {seg}cp, repeat_k"""


def layer_cake_sql(source: str) -> str:
    """Per (cohort key, calendar period key): customers, orders, revenue (net)."""
    return f"""
SELECT cp, p, CAST(count(*) AS BIGINT) AS customers, CAST(sum(n_orders) AS BIGINT) AS orders,
       CAST(sum(revenue) AS DOUBLE) AS revenue
FROM {quote_ident(source)}
GROUP BY cp, p"""


def cell_customers_sql(table: str, period: str, segmented_sql: str | None) -> str:
    """The customers of one cohort cell: binds $end, $cohort_key, $k, $mode_on_or_after
    (and $segment, $none_label when a segment SQL is given).

    Columns: customer_id, first_order_day, last_order_day, orders_in_period, revenue_in_period
    (net, orders in period index k), total_orders, total_revenue (net, up to $end).
    """
    key = period_key_sql(period, "order_day")
    seg_join = seg_where = ""
    if segmented_sql:
        seg_join = f"JOIN ({segmented_sql}) AS s ON s.customer_id = c.customer_id"
        seg_where = "AND s.segment = $segment"
    return f"""
WITH o AS ({orders_sql(table)}),
ok AS (SELECT customer_id, order_day, revenue, {key} AS p FROM o),
c AS (
    SELECT customer_id, min(p) AS cp, max(p) AS lp, min(order_day) AS first_order_day,
           max(order_day) AS last_order_day, CAST(count(*) AS BIGINT) AS total_orders,
           sum(revenue) AS total_revenue
    FROM ok GROUP BY customer_id
),
cell AS (
    SELECT ok.customer_id, CAST(count(*) AS BIGINT) AS orders_in_period, sum(ok.revenue) AS revenue_in_period
    FROM ok JOIN c ON ok.customer_id = c.customer_id
    WHERE ok.p = c.cp + $k
    GROUP BY ok.customer_id
)
SELECT c.customer_id, c.first_order_day, c.last_order_day,
       coalesce(cell.orders_in_period, 0) AS orders_in_period,
       CAST(coalesce(cell.revenue_in_period, 0) AS DOUBLE) AS revenue_in_period,
       c.total_orders, CAST(c.total_revenue AS DOUBLE) AS total_revenue
FROM c
LEFT JOIN cell ON cell.customer_id = c.customer_id
{seg_join}
WHERE c.cp = $cohort_key {seg_where}
  AND (cell.customer_id IS NOT NULL OR ($mode_on_or_after AND c.lp >= c.cp + $k))
ORDER BY c.customer_id"""
