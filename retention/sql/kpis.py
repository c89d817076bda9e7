"""SQL of the KPIs: conditional aggregates over the order history (sql/cohorts.py `history_sql`).

Every query reads the history up to $as_of (`scoped_history_sql`), so the whole KPI set costs
a few scans of one row per order once the history exists.
"""

from __future__ import annotations

from retention.sql import quote_ident
from retention.sql.cohorts import scoped_history_sql

FIRST_IN_PERIOD = "(prev_p IS NULL OR prev_p <> p)"


def summary_sql(history: str, windows: list[int]) -> str:  # binds $as_of
    """One row per order number n = 1, 2, 3, 4 and 5 (5 standing for 5 or more), from one scan:

    orders (with that number: n = 1 counts customers, n = 2 repeat customers), revenue (net) and
    total_revenue (net, all orders), gap_days (median days from the previous order: n = 2 is the
    1st -> 2nd gap), and per repurchase window w (binds $w<i>): window_<i> = orders whose customer's
    first order is at least w days before $as_of and that came at most w days after it. For n = 1
    (0 days after) that is the customers observed at least w days; for n = 2 those of them whose 2nd
    order came within w days. Grouping by n evaluates each window test once per order instead of
    once per KPI (measured 0.28-0.32 -> 0.15 s at 5M orders)."""
    parts = [
        f"CAST(sum(CASE WHEN age_days >= $w{i} AND after_first_days <= $w{i} THEN 1 ELSE 0 END) AS BIGINT) "
        f"AS window_{i}"
        for i, _w in enumerate(windows)
    ]
    window_cols = (",\n       " + ",\n       ".join(parts)) if parts else ""
    return f"""
SELECT n,
       CAST(count(*) AS BIGINT) AS orders,
       sum(revenue) AS revenue,
       sum(sum(revenue)) OVER () AS total_revenue,
       median(gap_days) AS gap_days{window_cols}
FROM (
    SELECT CASE WHEN order_no < 5 THEN order_no ELSE 5 END AS n,
           revenue,
           date_diff('day', prev_day, order_day) AS gap_days,
           date_diff('day', first_day, CAST($as_of AS DATE)) AS age_days,
           date_diff('day', first_day, order_day) AS after_first_days
    FROM {quote_ident(history)}
    WHERE order_day <= CAST($as_of AS DATE)
) AS h
GROUP BY n
ORDER BY n"""


def activity_sql(history: str, period: str) -> str:
    """Per period key p: customers active in p, and of them those whose previous order was in p - 1
    (retained from the period before); plus new customers, revenue and repeat-order revenue (net)."""
    return f"""
SELECT p,
       CAST(sum(CASE WHEN {FIRST_IN_PERIOD} THEN 1 ELSE 0 END) AS BIGINT) AS active_customers,
       CAST(sum(CASE WHEN {FIRST_IN_PERIOD} AND prev_p = p - 1 THEN 1 ELSE 0 END) AS BIGINT) AS retained_from_prev,
       CAST(sum(CASE WHEN order_no = 1 THEN 1 ELSE 0 END) AS BIGINT) AS new_customers,
       CAST(sum(revenue) AS DOUBLE) AS revenue,
       CAST(sum(CASE WHEN order_no > 1 THEN revenue ELSE 0 END) AS DOUBLE) AS repeat_revenue
FROM ({scoped_history_sql(history, period)}) AS h
GROUP BY p
ORDER BY p"""


def acquisition_sql(history: str, period: str = "month") -> str:
    """Per acquisition month key: new customers and the net revenue of all their orders to date."""
    return f"""
SELECT year(first_day) * 12 + month(first_day) - 1 AS acq_month,
       CAST(sum(CASE WHEN order_no = 1 THEN 1 ELSE 0 END) AS BIGINT) AS new_customers,
       CAST(sum(revenue) AS DOUBLE) AS revenue
FROM ({scoped_history_sql(history, period)}) AS h
GROUP BY 1
ORDER BY 1"""


def first_year_repeat_sql(history: str, period: str = "month") -> str:
    """Over customers whose first order is at least 365 days before $as_of: how many (observed), how
    many made a 2nd order within 365 days of the first (repeaters), and the net revenue of all their
    repeat orders within those 365 days (repeat_revenue)."""
    seen = "date_diff('day', first_day, CAST($as_of AS DATE)) >= 365"
    within = "date_diff('day', first_day, order_day) <= 365"
    return f"""
SELECT CAST(sum(CASE WHEN order_no = 1 AND {seen} THEN 1 ELSE 0 END) AS BIGINT) AS observed,
       CAST(sum(CASE WHEN order_no = 2 AND {seen} AND {within} THEN 1 ELSE 0 END) AS BIGINT) AS repeaters,
       CAST(sum(CASE WHEN order_no > 1 AND {seen} AND {within} THEN revenue ELSE 0 END) AS DOUBLE) AS repeat_revenue
FROM ({scoped_history_sql(history, period)}) AS h"""
